//! A streaming writer of POSIX ustar archives: what `tar -x`, every
//! archive tool and Python's `tarfile` read. Each entry's size is known
//! before its bytes (JSON Lines and pages are built in memory a chunk at a
//! time; files have their stored size), so the archive streams straight to
//! a file or an HTTP response without a temporary copy.

use std::io;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncWrite, AsyncWriteExt};

const BLOCK: usize = 512;
/// The largest entry ustar's 11 octal digits can say: 8 GiB less a byte.
const MAX_SIZE: u64 = 0o777_7777_7777;

/// Writes an archive to `out`, entry by entry.
pub struct TarWriter<W> {
    out: W,
    mtime: i64,
}

impl<W: AsyncWrite + Unpin> TarWriter<W> {
    /// An archive whose entries carry `mtime` (Unix seconds).
    pub fn new(out: W, mtime: i64) -> Self {
        Self { out, mtime }
    }

    /// Adds a file holding `bytes`.
    ///
    /// # Errors
    /// When writing fails or the path is too long for ustar.
    pub async fn file(&mut self, path: &str, bytes: &[u8]) -> io::Result<()> {
        self.out
            .write_all(&header(path, bytes.len() as u64, self.mtime)?)
            .await?;
        self.out.write_all(bytes).await?;
        self.pad(bytes.len() as u64).await
    }

    /// Adds a file of `size` bytes read from `body`; fails if the body
    /// holds another number of bytes (the archive would be corrupt).
    ///
    /// # Errors
    /// When reading or writing fails, or the sizes disagree.
    pub async fn stream<S>(&mut self, path: &str, size: u64, mut body: S) -> io::Result<()>
    where
        S: Stream<Item = io::Result<Bytes>> + Unpin,
    {
        self.out.write_all(&header(path, size, self.mtime)?).await?;
        let mut written = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            written += chunk.len() as u64;
            if written > size {
                return Err(io::Error::other(format!("{path} is longer than its size")));
            }
            self.out.write_all(&chunk).await?;
        }
        if written != size {
            return Err(io::Error::other(format!("{path} is shorter than its size")));
        }
        self.pad(size).await
    }

    async fn pad(&mut self, size: u64) -> io::Result<()> {
        let rest = (BLOCK - (size % BLOCK as u64) as usize) % BLOCK;
        self.out.write_all(&[0u8; BLOCK][..rest]).await
    }

    /// Ends the archive (two empty blocks) and flushes; answers the writer.
    ///
    /// # Errors
    /// When writing fails.
    pub async fn finish(mut self) -> io::Result<W> {
        self.out.write_all(&[0u8; BLOCK * 2]).await?;
        self.out.flush().await?;
        Ok(self.out)
    }
}

fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    field[..digits].copy_from_slice(&text.as_bytes()[text.len() - digits..]);
    field[digits] = 0;
}

/// A ustar header for a regular file. Paths over 100 bytes are split into
/// the prefix field at a `/`.
fn header(path: &str, size: u64, mtime: i64) -> io::Result<[u8; BLOCK]> {
    if size > MAX_SIZE {
        return Err(io::Error::other(format!(
            "{path} is too large for the archive"
        )));
    }
    let (prefix, name) = split(path)
        .ok_or_else(|| io::Error::other(format!("the path {path} is too long for the archive")))?;
    let mut h = [0u8; BLOCK];
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], u64::try_from(mtime).unwrap_or(0));
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
    // The checksum counts its own field as spaces.
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    octal(&mut h[148..155], u64::from(sum));
    h[155] = b' ';
    Ok(h)
}

fn split(path: &str) -> Option<(&str, &str)> {
    if path.len() <= 100 {
        return Some(("", path));
    }
    path.char_indices()
        .filter(|&(i, c)| c == '/' && i <= 155 && path.len() - i - 1 <= 100 && i > 0)
        .map(|(i, _)| (&path[..i], &path[i + 1..]))
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_carry_the_size_and_a_valid_checksum() {
        let h = header("a/b.txt", 1234, 1_700_000_000).expect("header");
        assert_eq!(&h[..7], b"a/b.txt");
        assert_eq!(&h[124..136], b"00000002322\0");
        let stored = u32::from_str_radix(std::str::from_utf8(&h[148..154]).expect("ascii"), 8)
            .expect("octal");
        let mut blanked = h;
        blanked[148..156].copy_from_slice(b"        ");
        assert_eq!(stored, blanked.iter().map(|&b| u32::from(b)).sum::<u32>());
    }

    #[test]
    fn long_paths_use_the_prefix_and_impossible_ones_are_refused() {
        let long = format!("{}/{}", "d".repeat(120), "f".repeat(90));
        let h = header(&long, 0, 0).expect("header");
        assert_eq!(&h[..90], "f".repeat(90).as_bytes());
        assert_eq!(&h[345..465], "d".repeat(120).as_bytes());
        assert!(header(&"x".repeat(300), 0, 0).is_err());
        assert!(header("big", MAX_SIZE + 1, 0).is_err());
    }
}
