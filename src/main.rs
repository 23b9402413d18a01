//! The `conversate` command.

use clap::Parser;

use tracing_subscriber::EnvFilter;

/// Makes glibc serve every block of 128 KiB or more with its own mapping,
/// returned to the system when freed. By default glibc raises that threshold
/// after the first large free, so each login's argon2 buffer (19 MiB) was
/// later carved from a thread arena and stayed resident: 16 logins left the
/// idle server at 129 MiB instead of 16 MiB. (mimalloc fixed that too, but
/// cost 13 KiB more per open connection.)
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn return_large_blocks_to_the_system() {
    // SAFETY: mallopt only sets an allocator parameter; it is called before
    // any other thread exists, as glibc asks.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks_to_the_system() {}

fn main() -> std::process::ExitCode {
    return_large_blocks_to_the_system();
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
    // tower_sessions opens an info span for every request; it logs nothing
    // useful at that level and the span costs a few percent of a poll.
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            EnvFilter::new("info,sqlx=warn,tower_sessions=warn,tower_sessions_core=warn")
        }))
        .with_writer(std::io::stderr)
        .init();
    let cli = conversate::cli::Cli::parse();
    match conversate::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
