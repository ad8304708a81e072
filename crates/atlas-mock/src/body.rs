//! The response body type: whole bytes, or a body that stops halfway and breaks the connection.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

/// Error a truncated body ends with (hyper then closes the connection).
#[derive(Debug, thiserror::Error)]
#[error("body truncated on purpose by fault injection")]
pub(crate) struct Truncated;

/// A response body.
#[derive(Debug)]
pub(crate) struct MockBody {
    data: Option<Bytes>,
    /// For a truncated body: a short pause (so the partial data is flushed) and then an error.
    fail: Option<Pin<Box<tokio::time::Sleep>>>,
    len: u64,
}

impl MockBody {
    pub(crate) fn full(b: impl Into<Bytes>) -> Self {
        let data: Bytes = b.into();
        let len = data.len() as u64;
        Self {
            data: (!data.is_empty()).then_some(data),
            fail: None,
            len,
        }
    }

    /// The first half of `b`, then a broken connection.
    pub(crate) fn truncated(b: Bytes) -> Self {
        let half = b.slice(..b.len() / 2);
        Self {
            data: (!half.is_empty()).then_some(half),
            fail: Some(Box::pin(tokio::time::sleep(Duration::from_millis(50)))),
            len: b.len() as u64,
        }
    }
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = Truncated;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Truncated>>> {
        let this = self.get_mut();
        if let Some(d) = this.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(d))));
        }
        match this.fail.as_mut() {
            None => Poll::Ready(None),
            Some(sleep) => match sleep.as_mut().poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(()) => {
                    this.fail = None;
                    Poll::Ready(Some(Err(Truncated)))
                }
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && self.fail.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}
