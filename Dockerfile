# syntax=docker/dockerfile:1
# The decision service in a container: `safegrade serve` on port 8080, the
# shipped rule sets in /srv/rules.
#
#   docker build -t safegrade .
#   docker run --rm -p 127.0.0.1:8080:8080 safegrade
#   docker run --rm -p 127.0.0.1:8080:8080 -v "$PWD/rules:/srv/rules:ro" safegrade   # your rule files
#
# README.md, "The decision service", gives the routes, flags and a token.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# The registry and target folders are cached between builds; the binary is
# copied out of the cache in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release -p safegrade-cli --locked \
    && cp target/release/safegrade /usr/local/bin/safegrade

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin safegrade
COPY --from=build /usr/local/bin/safegrade /usr/local/bin/safegrade
COPY rules/ /srv/rules/
USER safegrade:safegrade
EXPOSE 8080
CMD ["safegrade","serve","--rules","/srv/rules","--addr","0.0.0.0:8080"]
