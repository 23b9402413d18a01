//! The password policy, and hashing with argon2id.
//!
//! Every way a password is set (setup, the account page, the admin pages,
//! invitations, password resets, the CLI) goes through [`Policy::hash`], so
//! the policy holds on every path with the same words. Hashes kept from a
//! django-conversate import are checked by [`django`] and replaced at the
//! next login ([`needs_upgrade`]).

pub mod django;

use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

/// Longest accepted password, bytes: hashing cost must not grow with input.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Shortest accepted password, characters, unless `PASSWORD_MIN_CHARS`
/// raises it; never lower (NIST SP 800-63B's floor).
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The sentence for a password found in the list of common ones.
pub const TOO_COMMON: &str =
    "This password is one of the most common passwords; please choose another.";

/// The most common passwords of at least 8 characters, most common first,
/// in lower case: the entries of Django's `common-passwords.txt` (Royce
/// Williams' list, BSD licence) that the length rule alone would let through.
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

// Immutable data parsed once on first use, not configuration.
static COMMON: LazyLock<HashSet<String>> = LazyLock::new(|| {
    COMMON_PASSWORDS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_lowercase)
        .collect()
});

/// Whether `password` is on the bundled list, in any case.
#[must_use]
pub fn is_common(password: &str) -> bool {
    // A list entry is short; a long input cannot be on it.
    password.len() <= 64 && COMMON.contains(&password.to_lowercase())
}

/// What a new password must be: long enough, not too long, not common.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Shortest accepted password, characters (`PASSWORD_MIN_CHARS`).
    pub min_chars: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            min_chars: MIN_PASSWORD_CHARS,
        }
    }
}

impl Policy {
    /// Checks a new password against the policy.
    ///
    /// # Errors
    /// A sentence saying what is wrong: too short (or empty), too long, or
    /// too common.
    pub fn check(&self, password: &str) -> Result<(), String> {
        let min = self.min_chars.max(MIN_PASSWORD_CHARS);
        if password.chars().count() < min {
            return Err(format!("The password must be at least {min} characters."));
        }
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(format!(
                "The password must be at most {MAX_PASSWORD_BYTES} bytes."
            ));
        }
        if is_common(password) {
            return Err(TOO_COMMON.to_owned());
        }
        Ok(())
    }

    /// Hashes a new password (argon2id with a fresh salt, OWASP parameters)
    /// once it passes [`Policy::check`].
    ///
    /// # Errors
    /// A sentence when the password breaks the policy, or hashing failed.
    pub fn hash(&self, password: &str) -> Result<String, String> {
        self.check(password)?;
        hash_unchecked(password)
    }

    /// [`Policy::hash`] for async code: the policy is checked at once, the
    /// hashing is done through [`HASHING`].
    ///
    /// # Errors
    /// As [`Policy::hash`].
    pub async fn hash_off_workers(&self, password: &str) -> Result<String, String> {
        self.check(password)?;
        let password = password.to_owned();
        HASHING.run(move || hash_unchecked(&password)).await?
    }
}

/// Where argon2 runs for async code: off the async workers, and at most one
/// hash per core at a time. Each hash takes tens of milliseconds of CPU and
/// 19 MiB of memory for as long as it runs. Without a limit, a burst of
/// logins (a flood, or the backlog after the server stalled) ran every hash
/// at once on threads of its own: no sooner done, since the cores are the
/// limit, but 19 MiB each at once (50 MiB in the soak of BENCHMARKS.md,
/// fourteenth part; 1.9 GiB for a hundred). Waiting for a turn costs a
/// few hundred bytes of a task instead.
pub static HASHING: LazyLock<Gate> = LazyLock::new(|| {
    Gate::new(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get))
});

/// Runs password hashing on tokio's blocking threads, a fixed number at
/// once (its errors say so).
pub struct Gate {
    turns: tokio::sync::Semaphore,
}

impl Gate {
    /// A gate that lets `at_once` pieces of work run together.
    #[must_use]
    pub fn new(at_once: usize) -> Self {
        Self {
            turns: tokio::sync::Semaphore::new(at_once.max(1)),
        }
    }

    /// Waits for a turn, then runs `work` on a blocking thread.
    ///
    /// # Errors
    /// A sentence when the work panicked (or the runtime is shutting down).
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, String> {
        // The semaphore is never closed, so a turn always comes.
        let _turn = self
            .turns
            .acquire()
            .await
            .map_err(|e| format!("Could not hash the password: {e}"))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| format!("Could not hash the password: {e}"))
    }
}

/// Hashes without the policy: only for the fixed dummy password that makes
/// an unknown username cost as much as a wrong password, and for [`rehash`].
pub(crate) fn hash_unchecked(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("Could not hash the password: {e}"))
}

/// Checks a password against a stored hash (ours, or one of Django's
/// kept by an import); false for any malformed hash.
#[must_use]
pub fn verify(password: &str, stored: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    if django::is_django(stored) {
        return django::verify(password, stored);
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// Whether a stored hash should be replaced by a fresh argon2id one once
/// the password is known (after a successful login): Django's hashes.
#[must_use]
pub fn needs_upgrade(stored: &str) -> bool {
    django::is_django(stored)
}

/// Hashes a password that was just verified against a hash that
/// [`needs_upgrade`], skipping the policy: the person chose it elsewhere,
/// and refusing it here would lock them out.
///
/// # Errors
/// When hashing fails.
pub fn rehash(password: &str) -> Result<String, String> {
    hash_unchecked(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No more pieces of work run together than the gate allows, however
    /// many wait, and every one of them runs.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_gate_runs_a_fixed_number_at_once() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let gate = Arc::new(Gate::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let (gate, running, most) = (gate.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    gate.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(40));
                        running.fetch_sub(1, Ordering::SeqCst);
                        i
                    })
                    .await
                })
            })
            .collect();
        let mut done = Vec::new();
        for task in tasks {
            done.push(task.await.expect("task").expect("ran"));
        }
        assert_eq!(done, (0..8).collect::<Vec<_>>());
        // Eight blocking threads would have run together without the gate.
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn hashing_off_the_workers_keeps_the_policy() {
        let p = Policy::default();
        assert_eq!(
            p.hash_off_workers("short").await,
            Err("The password must be at least 8 characters.".to_owned())
        );
        let h = p.hash_off_workers("correct horse").await.expect("hash");
        assert!(verify("correct horse", &h));
    }

    #[test]
    fn round_trip() {
        let h = Policy::default().hash("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse", &h));
        assert!(!verify("wrong horse", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn refuses_short_empty_and_huge_passwords_in_the_same_words() {
        let p = Policy::default();
        let short = "The password must be at least 8 characters.";
        assert_eq!(p.hash(""), Err(short.to_owned()));
        assert_eq!(p.hash("x"), Err(short.to_owned()));
        // Characters, not bytes: seven accented letters are still too short.
        assert_eq!(p.hash("ééééééé"), Err(short.to_owned()));
        assert!(p.hash("éééééééé").is_ok());
        assert!(p.hash(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
    }

    #[test]
    fn the_minimum_follows_the_setting_but_never_drops_below_eight() {
        let twelve = Policy { min_chars: 12 };
        assert_eq!(
            twelve.check("elevenchars"),
            Err("The password must be at least 12 characters.".to_owned())
        );
        assert!(twelve.check("twelve chars").is_ok());
        let lax = Policy { min_chars: 1 };
        assert_eq!(
            lax.check("x"),
            Err("The password must be at least 8 characters.".to_owned())
        );
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        let p = Policy::default();
        for common in [
            "password",
            "PASSWORD",
            "Password1",
            "12345678",
            "iloveyou1",
            "qwertyuiop",
        ] {
            assert_eq!(p.check(common), Err(TOO_COMMON.to_owned()), "{common}");
        }
        assert!(p.check("correct horse battery").is_ok());
        assert!(COMMON.len() > 8_000, "the whole list is read");
        assert!(!is_common(&"password".repeat(20)));
    }
}
