//! The `conversate` command.

use clap::Parser;

/// jemalloc rather than glibc's malloc. Allocating and freeing took 14% of
/// a poll's time with glibc and takes about 3% with jemalloc. Pages of a
/// buffer that are never written (most of each connection's 8 KiB read and
/// write buffers) stay out of memory, where glibc's chunk headers touched
/// them: 16.5 against 12.5 KiB per open event stream. And argon2's 19 MiB
/// per login goes back to the system, which glibc needed tuning for.
/// C code takes it too (`malloc` itself is jemalloc's, Cargo.toml): SQLite
/// allocates for every column of every row read, and glibc's `malloc`,
/// `free` and their locks were 14% of a page of history's time.
/// Its options are compiled in (`.cargo/config.toml`): freed pages go back
/// to the system after 1 s.
#[cfg(all(not(target_env = "msvc"), feature = "jemalloc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    // With S3 support, rustls has two crypto providers compiled in: ring
    // (database, mail) and aws-lc-rs (the S3 client). Any TLS client built
    // without an explicit provider would then panic, so pick one for the
    // process; the S3 client uses it too.
    #[cfg(feature = "s3")]
    let _ = rustls::crypto::ring::default_provider().install_default();
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> std::process::ExitCode {
    // The log is set up by `cli::run` once the settings are read: its
    // format is a setting, and only `serve` logs below errors.
    let cli = conversate::cli::Cli::parse();
    match conversate::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
