//! Header values without an allocation per request: each thread writes a value into one reused
//! text buffer, then copies it into a slab (`BytesMut`) and splits it off as `Bytes`.
//!
//! A slab is refilled in place once every value split from it was dropped (at one request in
//! flight, on every request), else a new one is allocated for the next values: one allocation per
//! [`SLAB`] bytes of values at most, instead of a `malloc` and a `free` per request (the `free`
//! often on another worker thread, past the allocator's per-thread cache).

use std::cell::Cell;

use bytes::{Bytes, BytesMut};

/// Bytes per slab: about 40 digest `Authorization` values of Atlas requests.
const SLAB: usize = 16 * 1024;

#[derive(Default)]
struct Buffers {
    text: String,
    slab: BytesMut,
}

thread_local! {
    /// Taken out while in use (a nested or late call finds `None` and uses buffers of its own).
    static BUFFERS: Cell<Option<Buffers>> = const { Cell::new(None) };
}

/// Runs `write` on an empty text buffer and returns its result with what it wrote, as `Bytes`
/// (empty if it wrote nothing).
pub(crate) fn with_text<T>(write: impl FnOnce(&mut String) -> T) -> (T, Bytes) {
    let mut b = BUFFERS
        .try_with(Cell::take)
        .ok()
        .flatten()
        .unwrap_or_default();
    b.text.clear();
    let out = write(&mut b.text);
    let len = b.text.len();
    let bytes = if len == 0 {
        Bytes::new()
    } else {
        if b.slab.capacity() < len {
            // In place if nothing split from the slab is alive, else a new slab.
            b.slab.reserve(SLAB.max(len));
        }
        b.slab.extend_from_slice(b.text.as_bytes());
        b.slab.split().freeze()
    };
    let _ = BUFFERS.try_with(|cell| cell.set(Some(b)));
    (out, bytes)
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
