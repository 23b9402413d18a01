//! A request body that fails when the client pauses too long while sending
//! it (`BODY_TIMEOUT_SECS`), or once it has taken longer than [`GRACE`],
//! arrives slower on average than `BODY_MIN_RATE`: so a client that stalls
//! or trickles a body a byte at a time cannot hold a request open for ever.
//!
//! Why not tower-http's `RequestBodyTimeout`: it arms a timer for every
//! frame before it looks whether the frame is already there, and a form's
//! body almost always is (it came with the headers). Arming and cancelling
//! that timer twice per request was the costliest part of reading a poll's
//! form. This one reads first and arms the timer only while it waits.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use http_body::{Frame, SizeHint};

/// The error a body gives when the client paused too long.
#[derive(Debug, thiserror::Error)]
#[error("the request body stopped arriving")]
pub struct BodyTimedOut;

/// How long a body may take before its average rate is checked: enough
/// for a slow start, far less than a trickled body would hold a request.
pub const GRACE: Duration = Duration::from_secs(10);

/// `inner`, failing with [`BodyTimedOut`] after `timeout` without a frame,
/// or when after [`GRACE`] fewer than `min_rate` bytes a second came.
pub struct IdleTimeout {
    inner: Body,
    timeout: Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    min_rate: u64,
    /// When the body was first asked for, and how much of it came since.
    started: Option<std::time::Instant>,
    received: u64,
}

impl IdleTimeout {
    /// Wraps a request body, with no floor on its rate.
    #[must_use]
    pub fn new(inner: Body, timeout: Duration) -> Self {
        Self::with_min_rate(inner, timeout, 0)
    }

    /// Wraps a request body that must also average `min_rate` bytes a
    /// second once it has taken longer than [`GRACE`] (`0`: no floor).
    #[must_use]
    pub fn with_min_rate(inner: Body, timeout: Duration, min_rate: u64) -> Self {
        Self {
            inner,
            timeout,
            sleep: None,
            min_rate,
            started: None,
            received: 0,
        }
    }

    /// Whether the body, `received` bytes so far, arrives too slowly.
    fn too_slow(&mut self) -> bool {
        if self.min_rate == 0 {
            return false;
        }
        let elapsed = self
            .started
            .get_or_insert_with(std::time::Instant::now)
            .elapsed();
        elapsed > GRACE
            && u128::from(self.received) * 1000 < u128::from(self.min_rate) * elapsed.as_millis()
    }
}

impl http_body::Body for IdleTimeout {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            // Each frame starts the wait afresh.
            this.sleep = None;
            if let Some(Ok(data)) = frame.as_ref().map(|f| f.as_ref().map(Frame::data_ref))
                && let Some(data) = data
            {
                this.received += data.len() as u64;
            }
            if this.too_slow() {
                return Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut))));
            }
            return Poll::Ready(frame);
        }
        if this.min_rate > 0 && this.started.is_none() {
            this.started = Some(std::time::Instant::now());
        }
        let timeout = this.timeout;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Whether reading a body failed because the client paused too long.
#[must_use]
pub fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<BodyTimedOut>() {
            return true;
        }
        cause = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt as _;

    #[tokio::test]
    async fn a_body_already_there_is_read_without_a_timer() {
        let body = IdleTimeout::new(Body::from("last=1&hasFocus=true"), Duration::ZERO);
        let bytes = body.collect().await.expect("read").to_bytes();
        assert_eq!(&bytes[..], b"last=1&hasFocus=true");
    }

    #[tokio::test]
    async fn a_body_that_stops_arriving_fails_after_the_timeout() {
        let (mut tx, rx) = futures_channel_body();
        tx.push(Bytes::from_static(b"last="));
        let body = IdleTimeout::new(rx, Duration::from_millis(50));
        let error = body.collect().await.expect_err("times out");
        assert!(timed_out(&error), "{error}");
        drop(tx);
    }

    /// A body whose frames come from a channel that is never closed.
    fn futures_channel_body() -> (Frames, Body) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Result<Bytes, axum::Error>>();
        let stream = tokio_stream::wrappers::UnboundedReceiverStream::new(rx);
        (Frames(tx), Body::from_stream(stream))
    }

    struct Frames(tokio::sync::mpsc::UnboundedSender<Result<Bytes, axum::Error>>);

    impl Frames {
        fn push(&mut self, bytes: Bytes) {
            self.0.send(Ok(bytes)).expect("send");
        }
    }
}
