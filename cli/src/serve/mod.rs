//! `safegrade serve`: the decision service. Every rule file and scheme of
//! a folder, checked and served over HTTP with a JSON API (the
//! questionnaire, one firm's evaluation, a streamed batch), on tokio and
//! axum. This module owns the flags, start-up, the routes, and the
//! signals: SIGHUP reloads the folder, SIGTERM and SIGINT stop accepting
//! and finish the requests in flight. `state.rs` holds what requests
//! share, `api.rs` answers the routes, `score.rs` the streamed batch,
//! `guard.rs` wraps every request (token, slots, time limit, log line,
//! metrics).

mod api;
mod catalog;
mod error;
mod guard;
mod json;
mod metrics;
mod score;
mod spool;
mod state;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::Semaphore;

use catalog::Catalog;
use metrics::Metrics;
use state::{log_problems, Shared, State};

/// The flags of `safegrade serve`.
#[derive(clap::Args, Debug)]
pub(crate) struct ServeArgs {
    /// The folder of rule files and schemes to serve (searched for *.toml);
    /// it is also their rules root.
    #[arg(long, value_name = "DIR")]
    rules: String,
    /// The address to listen on; the default takes requests from this machine only.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Also serve the built self-assessment portal's files from this folder.
    #[arg(long, value_name = "DIR")]
    portal: Option<String>,
    /// A file holding a token every request to the API (/v1/…) and /metrics
    /// must bring as `Authorization: Bearer TOKEN`.
    #[arg(long, value_name = "FILE")]
    token_file: Option<String>,
    /// Log the firm's answers with each evaluate request (off: they may be confidential).
    #[arg(long)]
    log_answers: bool,
    /// The largest request body, in bytes, of every route but score.
    #[arg(long, default_value_t = 16 << 20, value_name = "BYTES")]
    max_body: usize,
    /// The largest score request body, in bytes, counted as it streams.
    #[arg(long, default_value_t = 1 << 30, value_name = "BYTES")]
    max_batch_body: u64,
    /// Seconds a request may take, every route but score.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    timeout: u64,
    /// Seconds a score request may take, streaming included.
    #[arg(long, default_value_t = 900, value_name = "SECS")]
    batch_timeout: u64,
    /// Requests in flight at once; another waits up to a second for a slot, then gets 503.
    #[arg(long, default_value_t = 64, value_name = "N")]
    max_concurrent: usize,
    /// Score requests at once; another gets 503 at once.
    #[arg(long, default_value_t = 2, value_name = "N")]
    max_batches: usize,
    /// Reload when a rule file under --rules changes (looked at every 2 s),
    /// as SIGHUP does.
    #[arg(long)]
    watch: bool,
    /// Connections open at once; more wait to be accepted. A connection
    /// that takes over 10 s to send a request's headers is closed.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    max_connections: usize,
}

pub(crate) fn run(args: ServeArgs) -> Result<ExitCode> {
    // Log lines go to stderr from a thread of their own, written in
    // batches: a request never waits on the reader of the log. The guard
    // writes what is left when `run` returns.
    let (log, _flush_on_exit) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::LineWriter::new(std::io::stderr()));
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_writer(log)
        .init();
    let token = match &args.token_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read --token-file `{path}`"))?;
            let token = text.trim().to_string();
            anyhow::ensure!(!token.is_empty(), "--token-file `{path}` holds no token");
            Some(token)
        }
        None => None,
    };
    if let Some(portal) = &args.portal {
        anyhow::ensure!(
            std::path::Path::new(portal).join("index.html").is_file(),
            "--portal `{portal}` holds no index.html; build the portal first (scripts/portal.sh --build-only --out DIR)"
        );
    }
    // Taken before the files are read: a change while they are read is seen.
    let watched = args.watch.then(|| state::fingerprint(&args.rules));
    let catalog = Catalog::load(&args.rules, &Catalog::default()).map_err(|e| anyhow::anyhow!("--rules: {e}"))?;
    log_problems(&catalog);
    let metrics = Metrics::new();
    metrics.reloaded(!catalog.has_problems(), catalog.len());
    let shared = Arc::new(Shared {
        catalog: RwLock::new(Arc::new(catalog)),
        reloading: tokio::sync::Mutex::new(()),
        dir: args.rules.clone(),
        metrics,
        token,
        log_answers: args.log_answers,
        max_body: args.max_body,
        max_batch_body: args.max_batch_body,
        timeout: Duration::from_secs(args.timeout),
        batch_timeout: Duration::from_secs(args.batch_timeout),
        slots: Semaphore::new(args.max_concurrent.max(1)),
        max_concurrent: args.max_concurrent.max(1),
        batches: Arc::new(Semaphore::new(args.max_batches.max(1))),
        large_bodies: Arc::new(Semaphore::new(json::LARGE_BODY_SLOTS)),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start tokio")?;
    runtime.block_on(serve(shared, args.addr, args.portal, args.max_connections, watched))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(
    shared: State,
    addr: SocketAddr,
    portal: Option<String>,
    max_connections: usize,
    watched: Option<state::Fingerprint>,
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr()?;
    let app = hyper_util::service::TowerToHyperService::new(router(shared.clone(), portal.as_deref()));
    tokio::spawn(reload_on_hangup(shared.clone()));
    if let Some(seen) = watched {
        tokio::spawn(reload_on_change(shared.clone(), seen));
    }
    tracing::info!(addr = %bound, rulesets = shared.catalog().len(), "listening");
    // HTTP/1.1 with a time limit on reading a request's headers, so a
    // client that sends them slowly (or never) cannot keep a connection;
    // at most `max_connections` at once, the others wait to be accepted.
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
    let connections = Arc::new(Semaphore::new(max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let stop = stop_signal();
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => permit.context("the connection slots closed")?,
            () = &mut stop => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait, and go on.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let connection = graceful.watch(http.serve_connection(hyper_util::rt::TokioIo::new(stream), app.clone()));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

/// The longest a client may take to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Every route, wrapped by the guard; the portal's files (or a JSON 404) for any other path.
fn router(shared: State, portal: Option<&str>) -> Router {
    let routes = Router::new()
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(api::metrics))
        .route("/v1/openapi.json", get(api::openapi))
        .route("/v1/rulesets", get(api::rulesets))
        .route("/v1/rulesets/{id}", get(api::schema))
        .route("/v1/rulesets/{id}/evaluate", post(api::evaluate))
        .route("/v1/rulesets/{id}/score", post(score::score))
        .route("/v1/reload", post(api::reload));
    let routes = match portal {
        Some(dir) => {
            let files = tower_http::services::ServeDir::new(dir)
                .not_found_service(axum::handler::HandlerWithoutStateExt::into_service(api::not_found));
            // Files are read with GET or HEAD; any other method gets the JSON 405.
            routes.fallback_service(axum::routing::get_service(files).fallback(api::method_not_allowed))
        }
        None => routes.fallback(api::not_found),
    };
    routes
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(shared.clone(), guard::guard))
        .with_state(shared)
}

/// Reloads the folder on each SIGHUP.
async fn reload_on_hangup(shared: State) {
    let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP; reload with POST /v1/reload");
        return;
    };
    while hangups.recv().await.is_some() {
        if let Err(e) = shared.reload().await {
            tracing::error!(error = %e, "reload failed");
        }
    }
}

/// How often `--watch` looks at the rule files.
const WATCH_EVERY: Duration = Duration::from_secs(2);

/// Reloads the folder when a rule file is added, removed or changed (its
/// size or time of change) since `seen`, looked at every [`WATCH_EVERY`].
async fn reload_on_change(shared: State, seen: state::Fingerprint) {
    let look = |dir: String| tokio::task::spawn_blocking(move || state::fingerprint(&dir));
    let mut seen = Some(seen);
    loop {
        tokio::time::sleep(WATCH_EVERY).await;
        let now = look(shared.dir.clone()).await.ok();
        if now != seen {
            tracing::info!("a rule file changed");
            if let Err(e) = shared.reload().await {
                tracing::error!(error = %e, "reload failed");
            }
            seen = now;
        }
    }
}

/// Resolves on SIGTERM or SIGINT.
async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    tracing::info!("stopping: finishing the requests in flight");
}
