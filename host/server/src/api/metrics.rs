//! `/metrics` in Prometheus text format, and the middleware that feeds it.
//!
//! A small hand-written registry: a few counters and two histograms are all Drydock exposes, and owning the
//! format keeps label cardinality under our control (routes are recorded by their template, never by the
//! concrete path, so ids cannot blow up the series count).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, bound) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {}",
                self.counts[i]
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

#[derive(Default)]
struct Registry {
    requests: BTreeMap<(String, String, u16), u64>,
    request_latency: BTreeMap<String, Histogram>,
    invocations: BTreeMap<String, u64>,
    invocation_latency: Histogram,
    effects: BTreeMap<(String, String), u64>,
}

/// The server's metrics.
#[derive(Default)]
pub struct Metrics {
    registry: Mutex<Registry>,
}

impl Metrics {
    fn with<R>(&self, f: impl FnOnce(&mut Registry) -> R) -> R {
        f(&mut self.registry.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Counts one HTTP request by method, route template and status.
    pub fn request(&self, method: &str, route: &str, status: u16, latency: Duration) {
        self.with(|r| {
            *r.requests
                .entry((method.to_owned(), route.to_owned(), status))
                .or_default() += 1;
            r.request_latency
                .entry(route.to_owned())
                .or_default()
                .observe(latency.as_secs_f64());
        });
    }

    /// Counts one tool invocation by outcome (`ok` or the error code) and its effects by capability and outcome.
    pub fn invocation(
        &self,
        outcome: &str,
        latency: Duration,
        effects: impl IntoIterator<Item = (String, String)>,
    ) {
        self.with(|r| {
            *r.invocations.entry(outcome.to_owned()).or_default() += 1;
            r.invocation_latency.observe(latency.as_secs_f64());
            for key in effects {
                *r.effects.entry(key).or_default() += 1;
            }
        });
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        self.with(|r| {
            let mut out = String::new();
            out.push_str("# HELP drydock_http_requests_total HTTP requests by method, route and status.\n");
            out.push_str("# TYPE drydock_http_requests_total counter\n");
            for ((method, route, status), n) in &r.requests {
                let _ = writeln!(
                    out,
                    "drydock_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
            out.push_str("# HELP drydock_http_request_duration_seconds HTTP request latency by route.\n");
            out.push_str("# TYPE drydock_http_request_duration_seconds histogram\n");
            for (route, histogram) in &r.request_latency {
                let labels = format!("route=\"{}\"", escape(route));
                histogram.render(&mut out, "drydock_http_request_duration_seconds", &labels);
            }
            out.push_str("# HELP drydock_invocations_total Tool invocations by outcome (ok or error code).\n");
            out.push_str("# TYPE drydock_invocations_total counter\n");
            for (outcome, n) in &r.invocations {
                let _ = writeln!(out, "drydock_invocations_total{{outcome=\"{}\"}} {n}", escape(outcome));
            }
            out.push_str("# HELP drydock_invocation_duration_seconds Tool invocation latency.\n");
            out.push_str("# TYPE drydock_invocation_duration_seconds histogram\n");
            r.invocation_latency.render(&mut out, "drydock_invocation_duration_seconds", "");
            out.push_str("# HELP drydock_effects_total Effects by capability and outcome.\n");
            out.push_str("# TYPE drydock_effects_total counter\n");
            for ((capability, outcome), n) in &r.effects {
                let _ = writeln!(
                    out,
                    "drydock_effects_total{{capability=\"{}\",outcome=\"{}\"}} {n}",
                    escape(capability),
                    escape(outcome)
                );
            }
            out
        })
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware: records every request by its route template.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    state.metrics.request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_histograms() {
        let metrics = Metrics::default();
        metrics.request("GET", "/healthz", 200, Duration::from_millis(3));
        metrics.request("GET", "/healthz", 200, Duration::from_millis(30));
        metrics.invocation(
            "ok",
            Duration::from_millis(2),
            [("http".into(), "simulated".into())],
        );
        let text = metrics.render();
        assert!(text.contains(
            "drydock_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "drydock_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "drydock_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 2"
        ));
        assert!(text.contains("drydock_invocations_total{outcome=\"ok\"} 1"));
        assert!(
            text.contains("drydock_effects_total{capability=\"http\",outcome=\"simulated\"} 1")
        );
    }
}
