//! The response body type: whole bytes, a body that stops early and breaks the connection, a
//! stream of chunks produced on demand (the journal), or a snapshot archive generated as it is sent.

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
pub(crate) struct MockBody {
    kind: Kind,
}

enum Kind {
    Full(Option<Bytes>),
    Truncated {
        data: Option<Bytes>,
        /// A short pause (so the partial data is flushed) and then an error.
        fail: Option<Pin<Box<tokio::time::Sleep>>>,
        len: u64,
    },
    /// Chunks made one at a time when hyper asks for them: nothing big is built up front.
    Chunks(Box<dyn Iterator<Item = Bytes> + Send + Sync>),
    /// A range of a snapshot archive, generated chunk by chunk.
    Archive(Box<crate::downloads::serve::ArchiveBody>),
}

impl std::fmt::Debug for MockBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.kind {
            Kind::Full(_) => "full",
            Kind::Truncated { .. } => "truncated",
            Kind::Chunks(_) => "chunks",
            Kind::Archive(_) => "archive",
        };
        f.debug_struct("MockBody").field("kind", &kind).finish()
    }
}

impl MockBody {
    pub(crate) fn full(b: impl Into<Bytes>) -> Self {
        let data: Bytes = b.into();
        Self {
            kind: Kind::Full((!data.is_empty()).then_some(data)),
        }
    }

    /// The first half of `b`, then a broken connection.
    pub(crate) fn truncated(b: Bytes) -> Self {
        let half = b.len() / 2;
        Self::cut_after(b, half)
    }

    /// The first `n` bytes of `b` (all of it when shorter), then a broken connection.
    pub(crate) fn cut_after(b: Bytes, n: usize) -> Self {
        let half = b.slice(..n.min(b.len()));
        Self {
            kind: Kind::Truncated {
                data: (!half.is_empty()).then_some(half),
                fail: Some(Box::pin(tokio::time::sleep(Duration::from_millis(50)))),
                len: b.len() as u64,
            },
        }
    }

    /// A range of an archive, generated as it is sent.
    pub(crate) fn archive(body: crate::downloads::serve::ArchiveBody) -> Self {
        Self {
            kind: Kind::Archive(Box::new(body)),
        }
    }

    /// A body streamed from `chunks` (length unknown: chunked on HTTP/1.1).
    pub(crate) fn chunks(chunks: impl Iterator<Item = Bytes> + Send + Sync + 'static) -> Self {
        Self {
            kind: Kind::Chunks(Box::new(chunks)),
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
        match &mut self.get_mut().kind {
            Kind::Full(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            Kind::Truncated { data, fail, .. } => {
                if let Some(d) = data.take() {
                    return Poll::Ready(Some(Ok(Frame::data(d))));
                }
                match fail.as_mut() {
                    None => Poll::Ready(None),
                    Some(sleep) => match sleep.as_mut().poll(cx) {
                        Poll::Pending => Poll::Pending,
                        Poll::Ready(()) => {
                            *fail = None;
                            Poll::Ready(Some(Err(Truncated)))
                        }
                    },
                }
            }
            Kind::Chunks(it) => Poll::Ready(it.next().map(|b| Ok(Frame::data(b)))),
            Kind::Archive(a) => a.poll_chunk(cx).map(|o| o.map(|r| r.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Full(d) => d.is_none(),
            Kind::Truncated { data, fail, .. } => data.is_none() && fail.is_none(),
            Kind::Chunks(_) => false,
            Kind::Archive(a) => a.is_end(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full(d) => SizeHint::with_exact(d.as_ref().map_or(0, |d| d.len() as u64)),
            Kind::Truncated { len, .. } => SizeHint::with_exact(*len),
            Kind::Chunks(_) => SizeHint::default(),
            Kind::Archive(a) => SizeHint::with_exact(a.len()),
        }
    }
}
