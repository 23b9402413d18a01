//! An HTTP/1.1 body read as it arrives, with chunked transfer coding taken
//! off: an event stream's chunks may split an event anywhere.

use anyhow::{Context, Result};

use crate::http::find;

/// An event stream's body as it arrives: chunked transfer coding taken off
/// (a chunk's edge may fall anywhere in an event), or the bytes as they are.
pub struct Body {
    chunked: bool,
    /// Bytes not yet decoded.
    raw: Vec<u8>,
    /// Data bytes left in the current chunk.
    left: usize,
    /// The current chunk's data ended; its CRLF comes next.
    crlf: bool,
}

impl Body {
    pub fn new(chunked: bool) -> Self {
        Self {
            chunked,
            raw: Vec::new(),
            left: 0,
            crlf: false,
        }
    }

    /// Decodes `bytes` onto `out`.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> Result<()> {
        if !self.chunked {
            out.extend_from_slice(bytes);
            return Ok(());
        }
        self.raw.extend_from_slice(bytes);
        let mut at = 0;
        let result = loop {
            if self.left > 0 {
                let n = self.left.min(self.raw.len() - at);
                out.extend_from_slice(&self.raw[at..at + n]);
                at += n;
                self.left -= n;
                if self.left > 0 {
                    break Ok(());
                }
                self.crlf = true;
            }
            if self.crlf {
                if self.raw.len() - at < 2 {
                    break Ok(());
                }
                if &self.raw[at..at + 2] != b"\r\n" {
                    break Err(anyhow::anyhow!("a chunk did not end with CRLF"));
                }
                at += 2;
                self.crlf = false;
            }
            let Some(i) = find(&self.raw[at..], b"\r\n") else {
                break Ok(());
            };
            let line = String::from_utf8_lossy(&self.raw[at..at + i]).into_owned();
            let size = usize::from_str_radix(line.split(';').next().unwrap_or_default().trim(), 16)
                .with_context(|| format!("a bad chunk size line {line:?}"));
            at += i + 2;
            match size {
                Ok(0) => break Err(anyhow::anyhow!("the server ended the stream")),
                Ok(n) => self.left = n,
                Err(e) => break Err(e),
            }
        };
        self.raw.drain(..at);
        result
    }
}
