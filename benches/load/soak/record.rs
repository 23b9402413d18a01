//! What the soak records: per period (a minute in the full run) and kind
//! of request, every latency until the period is over, then only its count,
//! errors and percentiles, so thirty minutes of polls never sit in memory
//! at once.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::stats::Sample;

/// The kinds of request the soak mixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A message's arrival on a stream open for the whole run.
    Stream,
    /// A stream closed and opened again with `Last-Event-ID`.
    Reconnect,
    Poll,
    Send,
    Upload,
    Search,
    Login,
}

pub const KINDS: [Kind; 7] = [
    Kind::Stream,
    Kind::Reconnect,
    Kind::Poll,
    Kind::Send,
    Kind::Upload,
    Kind::Search,
    Kind::Login,
];

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Stream => "stream",
            Kind::Reconnect => "reconnect",
            Kind::Poll => "poll",
            Kind::Send => "send",
            Kind::Upload => "upload",
            Kind::Search => "search",
            Kind::Login => "login",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One kind's figures in one period.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub count: u64,
    pub errors: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Per kind, in the order of [`KINDS`].
pub type PerKind<T> = [T; KINDS.len()];

/// Latencies and errors, by period and kind.
#[derive(Debug)]
pub struct Recorder {
    epoch: Instant,
    period: Duration,
    periods: usize,
    raw: Vec<PerKind<Vec<u64>>>,
    errors: Vec<PerKind<u64>>,
    summaries: Vec<PerKind<Summary>>,
    /// The first few errors, as text, for the report and the console.
    pub first_errors: Vec<String>,
    /// How late the load generator started a request, at worst.
    pub lag_max: Duration,
}

/// Errors kept as text.
const ERRORS_KEPT: usize = 10;

impl Recorder {
    /// A recorder of `periods` periods of `period` from `epoch`.
    pub fn new(epoch: Instant, period: Duration, periods: usize) -> Self {
        let periods = periods.max(1);
        Self {
            epoch,
            period,
            periods,
            raw: (0..periods)
                .map(|_| std::array::from_fn(|_| Vec::new()))
                .collect(),
            errors: vec![[0; KINDS.len()]; periods],
            summaries: Vec::with_capacity(periods),
            first_errors: Vec::new(),
            lag_max: Duration::ZERO,
        }
    }

    /// Periods count from `epoch` (the load's start) on; whatever was
    /// recorded before falls in the first.
    pub fn start_at(&mut self, epoch: Instant) {
        self.epoch = epoch;
    }

    /// The periods summed up so far.
    pub fn summaries(&self) -> &[PerKind<Summary>] {
        &self.summaries
    }

    /// The period `at` falls in; what happens before the epoch counts in the
    /// first, what comes after the end in the last.
    pub fn period_of(&self, at: Instant) -> usize {
        let since = at.saturating_duration_since(self.epoch);
        let i = (since.as_secs_f64() / self.period.as_secs_f64()) as usize;
        i.min(self.periods - 1)
    }

    /// A request of `kind` started (or a message sent) `at` took `took`.
    pub fn latency(&mut self, kind: Kind, at: Instant, took: Duration) {
        let i = self.period_of(at);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        if i < self.summaries.len() {
            // Its period is already summed up: slower than the wait before
            // summing up, which is longer than a request may take.
            self.add_errors(kind, i, 1);
            self.keep_error(kind, &format!("took {took:?}, too late to count"));
        } else {
            self.raw[i][kind.index()].push(nanos);
        }
    }

    /// A request of `kind` started `at` failed.
    pub fn error(&mut self, kind: Kind, at: Instant, what: &str) {
        let i = self.period_of(at);
        self.add_errors(kind, i, 1);
        self.keep_error(kind, what);
    }

    /// `n` errors of `kind` in period `i` (messages a stream missed).
    pub fn add_errors(&mut self, kind: Kind, i: usize, n: u64) {
        let i = i.min(self.periods - 1);
        self.errors[i][kind.index()] += n;
        if i < self.summaries.len() {
            self.summaries[i][kind.index()].errors += n;
        }
    }

    fn keep_error(&mut self, kind: Kind, what: &str) {
        if self.first_errors.len() < ERRORS_KEPT {
            self.first_errors.push(format!("{}: {what}", kind.name()));
        }
    }

    /// The generator started a request `late` after its time.
    pub fn lag(&mut self, late: Duration) {
        self.lag_max = self.lag_max.max(late);
    }

    /// Summarises every period that ended before `before` (an instant), and
    /// frees its latencies.
    pub fn summarise_until(&mut self, before: Instant) {
        while self.summaries.len() < self.periods {
            let i = self.summaries.len();
            let period_end = self.epoch + self.period * u32::try_from(i + 1).unwrap_or(u32::MAX);
            if period_end > before {
                break;
            }
            self.summarise_next();
        }
    }

    fn summarise_next(&mut self) {
        let i = self.summaries.len();
        let summary = std::array::from_fn(|k| {
            let sample = Sample::new(std::mem::take(&mut self.raw[i][k]), Duration::ZERO);
            Summary {
                count: sample.count() as u64,
                errors: self.errors[i][k],
                p50_ms: sample.pct_ms(50.0),
                p99_ms: sample.pct_ms(99.0),
                max_ms: sample.max_ms(),
            }
        });
        self.summaries.push(summary);
    }

    /// Sums up every period left.
    pub fn finish(&mut self) {
        while self.summaries.len() < self.periods {
            self.summarise_next();
        }
    }
}

/// The recorder shared by the load's tasks.
pub type Shared = std::sync::Arc<Mutex<Recorder>>;

/// Locks the recorder; a task that panicked holding it left nothing half
/// written that matters here.
pub fn lock(r: &Mutex<Recorder>) -> MutexGuard<'_, Recorder> {
    r.lock().unwrap_or_else(PoisonError::into_inner)
}
