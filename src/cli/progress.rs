//! Progress of long commands on the terminal: a bar on standard error when
//! it is a terminal, otherwise one plain line per stage (and per tenth of a
//! long stage), so logs of scripted runs stay readable.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

use crate::service::progress::Progress;

/// The command line's [`Progress`].
pub struct Terminal {
    bar: Mutex<Option<ProgressBar>>,
    plain: Mutex<Plain>,
    is_terminal: bool,
}

#[derive(Default)]
struct Plain {
    name: String,
    total: u64,
    done: u64,
    told: u64,
}

impl Terminal {
    /// A bar when standard error is a terminal, plain lines otherwise.
    #[must_use]
    pub fn new() -> Self {
        Self {
            bar: Mutex::new(None),
            plain: Mutex::new(Plain::default()),
            is_terminal: std::io::stderr().is_terminal(),
        }
    }
}

impl Default for Terminal {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for Terminal {
    fn stage(&self, name: &str, total: u64) {
        if self.is_terminal {
            let bar = ProgressBar::new(total);
            if let Ok(style) =
                ProgressStyle::with_template("{prefix:>12} [{bar:40}] {pos}/{len} {eta}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(name.to_owned());
            if let Ok(mut slot) = self.bar.lock() {
                *slot = Some(bar);
            }
        } else {
            eprintln!("{name}: {total} to do");
            if let Ok(mut p) = self.plain.lock() {
                *p = Plain {
                    name: name.to_owned(),
                    total,
                    ..Plain::default()
                };
            }
        }
    }

    fn advance(&self, n: u64) {
        if self.is_terminal {
            if let Ok(slot) = self.bar.lock()
                && let Some(bar) = slot.as_ref()
            {
                bar.inc(n);
            }
        } else if let Ok(mut p) = self.plain.lock() {
            p.done += n;
            // A line per tenth of the stage, at most.
            let step = (p.total / 10).max(1);
            if p.total >= 100 && p.done >= p.told + step {
                p.told = p.done;
                eprintln!("{}: {}/{}", p.name, p.done, p.total);
            }
        }
    }

    fn note(&self, line: &str) {
        match self.bar.lock().ok().as_deref().and_then(Option::as_ref) {
            Some(bar) if self.is_terminal => bar.println(line),
            _ => eprintln!("{line}"),
        }
    }

    fn finish(&self) {
        if self.is_terminal {
            if let Ok(mut slot) = self.bar.lock()
                && let Some(bar) = slot.take()
            {
                bar.finish();
            }
        } else if let Ok(p) = self.plain.lock()
            && !p.name.is_empty()
        {
            eprintln!("{}: done ({})", p.name, p.done);
        }
    }
}
