//! What the soak's figures say: memory settled and its growth after (by
//! each period's median RSS), the windows whose p99s are compared, errors
//! and CPU.

use std::time::Duration;

use super::SoakResult;
use super::readings::CpuReading;
use super::record::{KINDS, Kind};

impl SoakResult {
    /// The end of the first sixth (minute 5 of 30): memory has settled.
    pub fn settle(&self) -> Duration {
        self.period * self.reference_window().0
    }

    /// The median of the RSS readings in period `i` (none: no reading).
    /// A median, because a login holds argon2's 19 MiB for the moment it
    /// hashes, and a reading that falls on one says nothing about growth.
    pub fn rss_median_kib(&self, i: u32) -> Option<u64> {
        let (from, to) = (self.period * i, self.period * (i + 1));
        let mut v: Vec<u64> = self
            .rss
            .iter()
            .filter(|(at, _)| *at > from && *at <= to)
            .map(|(_, k)| *k)
            .collect();
        middle(&mut v)
    }

    /// The RSS when memory has settled: the median of the period that ends
    /// at the settling point.
    pub fn rss_settled_kib(&self) -> u64 {
        let settle = self.reference_window().0;
        self.rss_median_kib(settle.saturating_sub(1)).unwrap_or(0)
    }

    /// The highest period median after the settling point, and its period.
    pub fn rss_max_after(&self) -> (u64, u32) {
        let settle = self.reference_window().0.max(1);
        (settle..to_u32(self.periods.len()))
            .filter_map(|i| self.rss_median_kib(i).map(|k| (k, i)))
            .max()
            .unwrap_or((0, settle))
    }

    /// Where memory stayed at the end: the median of the last third's
    /// period medians, the window the p99 verdict reads too.
    pub fn rss_final_kib(&self) -> u64 {
        let (from, to) = self.final_window();
        let mut v: Vec<u64> = (from..to).filter_map(|i| self.rss_median_kib(i)).collect();
        middle(&mut v).unwrap_or(0)
    }

    /// Growth: where memory stayed at the end over where it settled. Not
    /// the highest period: a minute in which the machine runs slow queues
    /// requests and opens connections, and their memory comes back when it
    /// catches up (BENCHMARKS.md, nineteenth part); a leak stays. The
    /// highest period is reported beside it.
    pub fn rss_growth(&self) -> f64 {
        self.rss_final_kib() as f64 / self.rss_settled_kib().max(1) as f64 - 1.0
    }

    /// Periods of the reference window: the second sixth (minutes 5–10).
    pub fn reference_window(&self) -> (u32, u32) {
        let n = self.periods.len();
        let a = n / 6;
        (to_u32(a), to_u32((2 * n / 6).max(a + 1)))
    }

    /// Periods compared with the reference: the last third (minutes 20–30).
    pub fn final_window(&self) -> (u32, u32) {
        let n = self.periods.len();
        (to_u32(2 * n / 3), to_u32(n))
    }

    /// The median of a kind's per-period p99s over `window`.
    fn p99_over(&self, kind: usize, (from, to): (u32, u32)) -> f64 {
        let mut v: Vec<f64> = self.periods[from as usize..to as usize]
            .iter()
            .map(|p| p[kind].p99_ms)
            .filter(|v| v.is_finite())
            .collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    }

    /// Per kind: the reference p99, the last third's, their ratio.
    pub fn p99_drift(&self, kind: usize) -> (f64, f64, f64) {
        let reference = self.p99_over(kind, self.reference_window());
        let last = self.p99_over(kind, self.final_window());
        (reference, last, last / reference)
    }

    /// The kind whose p99 drifted most, and by how much (NaN: no kind had
    /// answers in both windows).
    pub fn worst_drift(&self) -> (Kind, f64) {
        KINDS
            .iter()
            .enumerate()
            .map(|(k, kind)| (*kind, self.p99_drift(k).2))
            .filter(|(_, r)| r.is_finite())
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((Kind::Poll, f64::NAN))
    }

    pub fn errors(&self) -> u64 {
        self.periods.iter().flatten().map(|s| s.errors).sum()
    }

    pub fn total(&self, kind: usize) -> (u64, u64) {
        self.periods
            .iter()
            .fold((0, 0), |(c, e), p| (c + p[kind].count, e + p[kind].errors))
    }

    /// The share of a core `what` took between `from` and `to` into the run.
    pub fn cpu_share(&self, what: CpuUse, from: Duration, to: Duration) -> f64 {
        let at = |t: Duration| {
            self.cpu
                .iter()
                .rev()
                .find(|c| c.at <= t)
                .or(self.cpu.first())
        };
        match (at(from), at(to)) {
            (Some(a), Some(b)) if b.at > a.at => {
                ((what.seconds(b) - what.seconds(a)) / (b.at - a.at).as_secs_f64()).max(0.0)
            }
            _ => f64::NAN,
        }
    }

    /// A kind's slowest answer in the whole run, ms.
    pub fn slowest(&self, kind: usize) -> f64 {
        self.periods
            .iter()
            .map(|p| p[kind].max_ms)
            .filter(|v| v.is_finite())
            .fold(f64::NAN, f64::max)
    }
}

/// The upper median of `v` (sorted in place), none when `v` is empty.
fn middle(v: &mut [u64]) -> Option<u64> {
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}

pub fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// What took CPU time, in [`SoakResult::cpu_share`].
#[derive(Clone, Copy)]
pub enum CpuUse {
    Server,
    Generator,
    /// Everything else on the server's core.
    OthersOnServerCore,
    /// The hypervisor, from the server's core.
    StolenFromServerCore,
}

impl CpuUse {
    fn seconds(self, c: &CpuReading) -> f64 {
        match self {
            Self::Server => c.server,
            Self::Generator => c.generator,
            // The server runs only on its core, so all its time is in the
            // core's. The two are counted differently (the process's from
            // the scheduler's own clock, the core's by sampling at each
            // tick), so a quiet core may read a little below zero.
            Self::OthersOnServerCore => c.core_busy - c.server,
            Self::StolenFromServerCore => c.core_steal,
        }
    }
}
