//! How long-running commands (import, export, backup) say how far they
//! are: the command line shows a progress bar on a terminal and plain
//! lines otherwise (`cli/progress.rs`); tests and embedders may stay silent.

/// Receives a long task's progress.
pub trait Progress: Send + Sync {
    /// A new stage begins, of `total` steps (0 when unknown).
    fn stage(&self, name: &str, total: u64);
    /// `n` more steps of the current stage are done.
    fn advance(&self, n: u64);
    /// Something worth telling on the way (a file that could not be found).
    fn note(&self, line: &str);
    /// The current stage is over.
    fn finish(&self);
}

/// Progress told to nobody.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Progress for Silent {
    fn stage(&self, _name: &str, _total: u64) {}
    fn advance(&self, _n: u64) {}
    fn note(&self, _line: &str) {}
    fn finish(&self) {}
}
