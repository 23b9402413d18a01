//! (g) Server memory held by downloads whose clients stop reading: a
//! member uploads a 10 MB file, then N connections ask for it with a 4 KiB
//! receive buffer and never read. The growth of the server's RSS, divided
//! by N, is what one stalled download holds (the kernel's socket buffers
//! are not in RSS). Measured on a freshly started process.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use tokio::io::AsyncWriteExt;

use crate::Results;
use crate::http::{Auth, Conn, json_number};
use crate::process::ServerProc;
use crate::stats::mib;

/// The file's size.
pub const FILE_BYTES: usize = 10 * 1024 * 1024;

/// What one run measured.
#[derive(Debug, Default)]
pub struct StalledResult {
    pub clients: usize,
    pub rss_before_kib: u64,
    pub rss_stalled_kib: u64,
}

impl StalledResult {
    /// RSS growth per stalled download.
    pub fn kib_per_download(&self) -> f64 {
        (self.rss_stalled_kib as f64 - self.rss_before_kib as f64) / self.clients.max(1) as f64
    }
}

/// Uploads the file as `auth` in room `live`; answers its message id.
async fn upload(server: &ServerProc, auth: &Auth) -> Result<i64> {
    let boundary = "conversate-bench-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\nthe file\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend((0..FILE_BYTES).map(|i| (i % 251) as u8));
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut request = format!(
        "POST /live/api/send/ HTTP/1.1\r\nHost: {}\r\nCookie: {}\r\nX-CSRFToken: {}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        server.addr,
        auth.cookie,
        auth.csrf,
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    let mut conn = Conn::connect(server.addr).await?;
    let status = conn.exchange(&request).await?;
    ensure!(
        status == 200,
        "the upload answered {status}: {}",
        conn.body_text()
    );
    json_number(&conn.body, "last").context("the upload's answer has no `last`")
}

/// Opens `clients` downloads of the file that never read, and measures.
pub async fn stalled_downloads(
    server: &ServerProc,
    auth: &Auth,
    clients: usize,
) -> Result<StalledResult> {
    let id = upload(server, auth).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before_kib = server.rss_kib()?;
    let request = format!(
        "GET /live/file/{id}/ HTTP/1.1\r\nHost: {}\r\nCookie: {}\r\n\r\n",
        server.addr, auth.cookie
    );
    let mut streams = Vec::with_capacity(clients);
    for _ in 0..clients {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_recv_buffer_size(4096)?;
        let mut stream = socket.connect(server.addr).await?;
        stream.write_all(request.as_bytes()).await?;
        streams.push(stream);
    }
    // The server fills what it buffers, then waits for the clients.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_stalled_kib = server.rss_kib()?;
    drop(streams);
    Ok(StalledResult {
        clients,
        rss_before_kib,
        rss_stalled_kib,
    })
}

/// The report's section (g).
pub fn section(o: &mut String, r: &Results) {
    let s = &r.stalled;
    let _ = writeln!(o, "## (g) Downloads whose clients stop reading\n");
    let _ = writeln!(
        o,
        "A member uploads a {} MiB file; then {} connections ask for it with a 4 KiB receive \
         buffer and never read. Growth of the server's RSS from before they connect to 3 s \
         later, on a freshly started process.\n",
        FILE_BYTES / (1024 * 1024),
        s.clients
    );
    let _ = writeln!(
        o,
        "| downloads | RSS before | RSS with them stalled | per download |\n|---|---|---|---|"
    );
    let _ = writeln!(
        o,
        "| {} | {} | {} | {:.0} KiB |\n",
        s.clients,
        mib(s.rss_before_kib),
        mib(s.rss_stalled_kib),
        s.kib_per_download()
    );
}
