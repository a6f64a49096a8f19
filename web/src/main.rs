//! The portal's entry point; everything else is in the library (`lib.rs`).

fn main() {
    safegrade_web::run();
}
