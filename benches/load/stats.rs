//! Small statistics and number formatting: exact percentiles over every
//! latency kept, medians, and the units the report prints.

use std::time::Duration;

/// Latencies of one measurement, nanoseconds, sorted.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    latencies: Vec<u64>,
    elapsed: Duration,
}

impl Sample {
    pub fn new(mut latencies: Vec<u64>, elapsed: Duration) -> Self {
        latencies.sort_unstable();
        Self { latencies, elapsed }
    }

    /// Every latency kept, nanoseconds, sorted.
    pub fn raw(&self) -> &[u64] {
        &self.latencies
    }

    pub fn count(&self) -> usize {
        self.latencies.len()
    }

    /// Requests per second over the measured window.
    pub fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Percentile `p` (0–100), milliseconds.
    pub fn pct_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        let i = rank.clamp(1, self.latencies.len()) - 1;
        self.latencies[i] as f64 / 1e6
    }

    pub fn max_ms(&self) -> f64 {
        self.latencies.last().map_or(f64::NAN, |v| *v as f64 / 1e6)
    }
}

/// Milliseconds: two decimals below 10, one above.
pub fn ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.1}")
    }
}

/// The middle value (the upper one of an even count).
pub fn median(values: &[Duration]) -> Duration {
    let mut v = values.to_vec();
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// KiB as MiB, one decimal.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// `1000000` as `1,000,000`.
pub fn thousands(n: i64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The sample taken at concurrency `c`, or an empty one.
pub fn at(v: &[(usize, Sample)], c: usize) -> Sample {
    v.iter()
        .find(|(k, _)| *k == c)
        .map(|(_, s)| s.clone())
        .unwrap_or_default()
}

/// The rate of the sample taken at concurrency `c`, or NaN.
pub fn rate_at(v: &[(usize, Sample)], c: usize) -> f64 {
    v.iter()
        .find(|(k, _)| *k == c)
        .map_or(f64::NAN, |(_, s)| s.rate())
}
