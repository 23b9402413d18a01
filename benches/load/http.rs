//! A minimal HTTP/1.1 client for the load generator: keep-alive connections,
//! one request at a time, requests written as raw bytes, answers read by
//! `Content-Length` or chunked encoding.

use std::fmt::Write as _;
use std::net::SocketAddr;

use anyhow::{Context, Result, bail, ensure};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Who a request is from: the session cookie and its CSRF token.
#[derive(Debug, Clone)]
pub struct Auth {
    pub cookie: String,
    pub csrf: String,
}

pub fn get_request(addr: SocketAddr, path: &str, auth: Option<&Auth>) -> Vec<u8> {
    let mut r = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n");
    if let Some(a) = auth {
        let _ = write!(r, "Cookie: {}\r\n", a.cookie);
    }
    r.push_str("\r\n");
    r.into_bytes()
}

pub fn post_request(addr: SocketAddr, path: &str, auth: &Auth, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {}\r\nX-CSRFToken: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        auth.cookie,
        auth.csrf,
        body.len()
    )
    .into_bytes()
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One keep-alive connection.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    filled: usize,
    /// The body of the last response.
    pub body: Vec<u8>,
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: vec![0; 16 * 1024],
            filled: 0,
            body: Vec::new(),
        })
    }

    /// Sends a request and reads the whole response; returns its status.
    pub async fn exchange(&mut self, request: &[u8]) -> Result<u16> {
        self.stream.write_all(request).await?;
        self.read_response().await
    }

    async fn read_response(&mut self) -> Result<u16> {
        let header_end = loop {
            if let Some(i) = find(&self.buf[..self.filled], b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head = std::str::from_utf8(&self.buf[..header_end])?;
        let status: u16 = head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("bad status line in {head:?}"))?;
        let mut length = None;
        let mut chunked = false;
        for line in head.split("\r\n").skip(1) {
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = Some(value.trim().parse::<usize>()?);
                } else if name.eq_ignore_ascii_case("transfer-encoding")
                    && value.to_ascii_lowercase().contains("chunked")
                {
                    chunked = true;
                }
            }
        }
        self.consume(header_end);
        self.body.clear();
        if let Some(n) = length {
            while self.filled < n {
                self.fill().await?;
            }
            self.body.extend_from_slice(&self.buf[..n]);
            self.consume(n);
        } else if chunked {
            loop {
                let line_end = loop {
                    if let Some(i) = find(&self.buf[..self.filled], b"\r\n") {
                        break i;
                    }
                    self.fill().await?;
                };
                let size_text = std::str::from_utf8(&self.buf[..line_end])?;
                let size = usize::from_str_radix(
                    size_text.split(';').next().unwrap_or_default().trim(),
                    16,
                )?;
                self.consume(line_end + 2);
                while self.filled < size + 2 {
                    self.fill().await?;
                }
                self.body.extend_from_slice(&self.buf[..size]);
                self.consume(size + 2);
                if size == 0 {
                    break;
                }
            }
        } else if !(status == 204 || status == 304 || (100..200).contains(&status)) {
            bail!("a response with neither Content-Length nor chunked encoding");
        }
        Ok(status)
    }

    fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.filled, 0);
        self.filled -= n;
    }

    async fn fill(&mut self) -> Result<()> {
        if self.filled == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let n = self.stream.read(&mut self.buf[self.filled..]).await?;
        ensure!(n > 0, "the server closed the connection");
        self.filled += n;
        Ok(())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body[..self.body.len().min(300)]).into_owned()
    }
}

/// The `"name":<integer>` value in a JSON body.
pub fn json_number(body: &[u8], name: &str) -> Option<i64> {
    let key = format!("\"{name}\":");
    let at = find(body, key.as_bytes())? + key.len();
    let digits: String = body[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .map(|b| char::from(*b))
        .collect();
    digits.parse().ok()
}
