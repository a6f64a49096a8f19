//! The service's Prometheus metrics: requests by route and status, their
//! latency, evaluations and rejects by rule set, reloads, and the rule
//! sets served; `GET /metrics` gives them in the text format.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RuleSet {
    ruleset: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RejectLabels {
    ruleset: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    result: String,
}

/// Every metric, registered once.
pub(super) struct Metrics {
    registry: Registry,
    requests: Family<RouteStatus, Counter>,
    latency: Family<Route, Histogram, fn() -> Histogram>,
    evaluations: Family<RuleSet, Counter>,
    rejects: Family<RejectLabels, Counter>,
    reloads: Family<Outcome, Counter>,
    served: Gauge,
}

/// Latency buckets from 50 µs to about 6.5 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_05, 2.0, 18))
}

impl Metrics {
    pub(super) fn new() -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RouteStatus, Counter>::default();
        registry.register("safegrade_requests", "HTTP requests answered, by route and status", requests.clone());
        let latency = Family::<Route, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register("safegrade_request_duration_seconds", "Time to answer a request, by route", latency.clone());
        let evaluations = Family::<RuleSet, Counter>::default();
        registry.register("safegrade_evaluations", "Firms evaluated or scored, by rule set", evaluations.clone());
        let rejects = Family::<RejectLabels, Counter>::default();
        registry.register(
            "safegrade_rejects",
            "Rows rejected by score requests, by rule set and reason",
            rejects.clone(),
        );
        let reloads = Family::<Outcome, Counter>::default();
        registry.register(
            "safegrade_reloads",
            "Reloads of the rules folder, by result (ok, problems)",
            reloads.clone(),
        );
        let served = Gauge::default();
        registry.register("safegrade_rulesets_served", "Rule sets and schemes being served", served.clone());
        Metrics { registry, requests, latency, evaluations, rejects, reloads, served }
    }

    pub(super) fn request(&self, route: &str, status: u16, seconds: f64) {
        self.requests.get_or_create(&RouteStatus { route: route.into(), status }).inc();
        self.latency.get_or_create(&Route { route: route.into() }).observe(seconds);
    }

    pub(super) fn evaluated(&self, ruleset: &str, firms: u64) {
        self.evaluations.get_or_create(&RuleSet { ruleset: ruleset.into() }).inc_by(firms);
    }

    pub(super) fn rejected(&self, ruleset: &str, reason: &str, rows: u64) {
        self.rejects.get_or_create(&RejectLabels { ruleset: ruleset.into(), reason: reason.into() }).inc_by(rows);
    }

    pub(super) fn reloaded(&self, clean: bool, served: usize) {
        let result = if clean { "ok" } else { "problems" };
        self.reloads.get_or_create(&Outcome { result: result.into() }).inc();
        self.served.set(i64::try_from(served).unwrap_or(i64::MAX));
    }

    /// The text exposition format.
    pub(super) fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}
