//! Header values without an allocation per request: each thread writes a value into one reused
//! text buffer, then copies it into a slab (`BytesMut`) and splits it off as `Bytes`.
//!
//! A slab is refilled in place once every value split from it was dropped (at one request in
//! flight, on every request), else a new one is allocated for the next values: one allocation per
//! [`SLAB`] bytes of values at most, instead of a `malloc` and a `free` per request (the `free`
//! often on another worker thread, past the allocator's per-thread cache).

use std::cell::RefCell;

use bytes::{Bytes, BytesMut};

/// Bytes per slab: about 40 digest `Authorization` values of Atlas requests.
const SLAB: usize = 16 * 1024;

struct Buffers {
    text: String,
    /// `None` until the thread's first value.
    slab: Option<BytesMut>,
}

thread_local! {
    static BUFFERS: RefCell<Buffers> = const {
        RefCell::new(Buffers {
            text: String::new(),
            slab: None,
        })
    };
}

/// Runs `write` once on an empty text buffer and returns its result with what it wrote, as
/// `Bytes` (empty if it wrote nothing).
pub(crate) fn with_text<T>(mut write: impl FnMut(&mut String) -> T) -> (T, Bytes) {
    let pooled = BUFFERS.try_with(|cell| {
        // Busy only if `write` itself builds a value here (it does not); then, or during the
        // thread's teardown, the plain allocation below. `write` has not run when this is `None`.
        let mut b = cell.try_borrow_mut().ok()?;
        let Buffers { text, slab } = &mut *b;
        text.clear();
        let out = write(text);
        Some((out, split_off(slab, text)))
    });
    if let Ok(Some(done)) = pooled {
        return done;
    }
    let mut text = String::new();
    let out = write(&mut text);
    (out, Bytes::from(text))
}

/// Copies `text` into the slab and splits it off (`Bytes::new()` for an empty text).
fn split_off(slab: &mut Option<BytesMut>, text: &str) -> Bytes {
    let len = text.len();
    if len == 0 {
        return Bytes::new();
    }
    let slab = slab.get_or_insert_with(|| BytesMut::with_capacity(SLAB.max(len)));
    if slab.capacity() < len {
        // In place if nothing split from the slab is alive, else a new slab.
        slab.reserve(SLAB.max(len));
    }
    slab.extend_from_slice(text.as_bytes());
    slab.split().freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_what_was_written_and_outlive_the_slab_refills() {
        let mut kept = Vec::new();
        for i in 0..2000 {
            let text = format!("Digest value {i} {}", "x".repeat(i % 300));
            let ((), bytes) = with_text(|t| t.push_str(&text));
            assert_eq!(&bytes[..], text.as_bytes());
            // Some values live on while later ones are written (requests in flight).
            if i % 7 == 0 {
                kept.push((text, bytes));
            }
        }
        for (text, bytes) in &kept {
            assert_eq!(&bytes[..], text.as_bytes());
        }
        let (n, empty) = with_text(|_| 5);
        assert_eq!(n, 5);
        assert!(empty.is_empty());
    }

    #[test]
    fn a_nested_call_uses_buffers_of_its_own() {
        let ((inner, inner_bytes), outer) = with_text(|t| {
            t.push_str("outer");
            let r = with_text(|u| {
                u.push_str("inner");
                1
            });
            t.push_str("-done");
            r
        });
        assert_eq!(inner, 1);
        assert_eq!(&inner_bytes[..], b"inner");
        assert_eq!(&outer[..], b"outer-done");
    }
}
