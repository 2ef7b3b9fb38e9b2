//! Prometheus text metrics: request counts by method and status class, and a latency
//! histogram. Kept in atomics; rendered on `GET /metrics`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const BUCKETS_MS: [u64; 10] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

#[derive(Debug, Default)]
pub struct Metrics {
    by_class: [AtomicU64; 5],
    buckets: [AtomicU64; 10],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Metrics {
    pub fn observe(&self, status: u16, elapsed: Duration) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
        let ms = elapsed.as_millis() as u64;
        for (i, bound) in BUCKETS_MS.iter().enumerate() {
            if ms <= *bound {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    /// Renders the metrics plus the given counters and gauges in the Prometheus text format.
    pub fn render(&self, counters: &[(&str, &str, u64)], gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP liaison_http_requests_total HTTP requests by status class.\n");
        out.push_str("# TYPE liaison_http_requests_total counter\n");
        for (i, class) in CLASSES.iter().enumerate() {
            let value = self.by_class[i].load(Ordering::Relaxed);
            out.push_str(&format!(
                "liaison_http_requests_total{{status=\"{class}\"}} {value}\n"
            ));
        }
        out.push_str("# HELP liaison_http_request_duration_seconds Request latency.\n");
        out.push_str("# TYPE liaison_http_request_duration_seconds histogram\n");
        for (i, bound) in BUCKETS_MS.iter().enumerate() {
            let value = self.buckets[i].load(Ordering::Relaxed);
            let le = *bound as f64 / 1000.0;
            out.push_str(&format!(
                "liaison_http_request_duration_seconds_bucket{{le=\"{le}\"}} {value}\n"
            ));
        }
        let count = self.count.load(Ordering::Relaxed);
        out.push_str(&format!(
            "liaison_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}\n"
        ));
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1_000_000.0;
        out.push_str(&format!(
            "liaison_http_request_duration_seconds_sum {sum}\n"
        ));
        out.push_str(&format!(
            "liaison_http_request_duration_seconds_count {count}\n"
        ));
        for (name, help, value) in counters {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"
            ));
        }
        for (name, help, value) in gauges {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_show_up_in_the_text_format() {
        let metrics = Metrics::default();
        metrics.observe(200, Duration::from_millis(3));
        metrics.observe(404, Duration::from_millis(30));
        let text = metrics.render(
            &[("liaison_db_statements_total", "Statements.", 7)],
            &[("liaison_db_pool_connections", "Open connections.", 2.0)],
        );
        assert!(text.contains("liaison_http_requests_total{status=\"2xx\"} 1"));
        assert!(text.contains("liaison_http_requests_total{status=\"4xx\"} 1"));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"+Inf\"} 2"));
        assert!(text.contains("liaison_db_pool_connections 2"));
        assert!(
            text.contains(
                "# TYPE liaison_db_statements_total counter\nliaison_db_statements_total 7"
            )
        );
    }
}
