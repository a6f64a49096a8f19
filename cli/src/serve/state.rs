//! What every request of the service shares: the rule sets served (a
//! catalog replaced whole by a reload), the limits, the slots, the token
//! and the metrics.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::catalog::Catalog;
use super::metrics::Metrics;

/// How long a request waits for a slot before it is answered 503.
pub(super) const SLOT_WAIT: Duration = Duration::from_secs(1);

/// What every request shares.
pub(super) struct Shared {
    /// The rule sets served; replaced whole by a reload.
    pub(super) catalog: RwLock<Arc<Catalog>>,
    /// One reload at a time.
    pub(super) reloading: tokio::sync::Mutex<()>,
    pub(super) dir: String,
    pub(super) metrics: Metrics,
    pub(super) token: Option<String>,
    pub(super) log_answers: bool,
    pub(super) max_body: usize,
    pub(super) max_batch_body: u64,
    pub(super) timeout: Duration,
    pub(super) batch_timeout: Duration,
    /// Requests in flight, of `max_concurrent`.
    pub(super) slots: Semaphore,
    pub(super) max_concurrent: usize,
    /// Score requests in flight.
    pub(super) batches: Arc<Semaphore>,
    /// Requests reading or evaluating a body over 256 KiB.
    pub(super) large_bodies: Arc<Semaphore>,
}

pub(super) type State = Arc<Shared>;

impl Shared {
    /// The catalog now: a request keeps it to the end.
    pub(super) fn catalog(&self) -> Arc<Catalog> {
        self.catalog.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Loads the folder again and serves what checks; logs every file
    /// that does not.
    pub(super) async fn reload(self: &Arc<Self>) -> Result<Arc<Catalog>, String> {
        let _one = self.reloading.lock().await;
        let (dir, previous) = (self.dir.clone(), self.catalog());
        let next = tokio::task::spawn_blocking(move || Catalog::load(&dir, &previous))
            .await
            .map_err(|e| format!("the reload stopped: {e}"))??;
        let next = Arc::new(next);
        log_problems(&next);
        self.metrics.reloaded(!next.has_problems(), next.len());
        *self.catalog.write().unwrap_or_else(std::sync::PoisonError::into_inner) = next.clone();
        tracing::info!(rulesets = next.len(), problems = next.has_problems(), "reloaded");
        Ok(next)
    }
}

pub(super) fn log_problems(catalog: &Catalog) {
    for (file, problem) in catalog.problem_lines() {
        tracing::warn!(file, problem = %problem, "rule file left out");
    }
}

/// What `--watch` compares: each rule file with its size and time of change.
pub(super) type Fingerprint = Vec<(String, u64, Option<std::time::SystemTime>)>;

/// The [`Fingerprint`] of the rule files under `dir` (empty when the
/// folder cannot be listed).
pub(super) fn fingerprint(dir: &str) -> Fingerprint {
    let files = super::super::files::expand(&[dir.to_string()]).unwrap_or_default();
    files
        .into_iter()
        .map(|path| {
            let meta = std::fs::metadata(&path).ok();
            let (len, modified) = meta.map_or((0, None), |m| (m.len(), m.modified().ok()));
            (path, len, modified)
        })
        .collect()
}
