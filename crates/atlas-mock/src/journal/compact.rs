//! What the journal keeps of a verified Digest `Authorization` header until the journal is read
//! ([`CompactAuth`]), and the choice between it and a summary built at once ([`AuthRecord`]).

use super::{AuthSummary, CUT_MARK_MAX, push_cut};

/// What the journal keeps of a verified Digest `Authorization` header until someone reads the
/// journal: the scheme, username and nonce (each already cut as [`AuthSummary`] cuts them) in one
/// [`Text`], the algorithm and qop as values. [`AuthRecord::into_summary`] builds the
/// [`AuthSummary`] the old code built per request; the journal does it on first read, and sets
/// the entry's `key` from the username when that is the key (see [`JournalEntry::set_verified`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompactAuth {
    /// scheme ‖ username ‖ nonce.
    text: Text,
    scheme_end: usize,
    username_end: usize,
    algorithm: atlas_digest::Algorithm,
    qop: Option<atlas_digest::Qop>,
    nc: Option<u32>,
    opaque: bool,
    /// The entry's `key` is the username: set from it when the journal is read.
    pub(super) key: bool,
}

/// Bytes of scheme ‖ username ‖ nonce kept inside the record: `Digest`, a public key of up to 34
/// characters (Atlas's have 8) and a 32-character nonce fit, so a verified request's record
/// needs no allocation; longer ones (and any that must be cut) go to the heap.
const INLINE: usize = 72;

/// Text held inline when it fits in [`INLINE`] bytes (the rest zero), else in a `String`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Text {
    Inline { bytes: [u8; INLINE], len: u8 },
    Heap(String),
}

impl Text {
    /// The text (whole `str`s were joined, so always valid UTF-8; empty if it were not).
    fn as_str(&self) -> &str {
        match self {
            Text::Inline { bytes, len } => {
                std::str::from_utf8(bytes.get(..usize::from(*len)).unwrap_or_default())
                    .unwrap_or_default()
            }
            Text::Heap(s) => s,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Text::Inline { bytes, len } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Text::Heap(s) => s.as_bytes(),
        }
    }

    fn len(&self) -> usize {
        match self {
            Text::Inline { len, .. } => usize::from(*len),
            Text::Heap(s) => s.len(),
        }
    }
}

impl CompactAuth {
    /// The record of `scheme`, `username` and `nonce` cut at `max_scheme` and `max_value` bytes
    /// (as [`cut`] cuts them), with the rest as given.
    pub(crate) fn new(
        (scheme, max_scheme): (&str, usize),
        (username, nonce, max_value): (&str, &str, usize),
        algorithm: atlas_digest::Algorithm,
        qop: Option<atlas_digest::Qop>,
        nc: Option<u32>,
        opaque: bool,
    ) -> Self {
        let uncut =
            scheme.len() <= max_scheme && username.len() <= max_value && nonce.len() <= max_value;
        let total = scheme.len() + username.len() + nonce.len();
        let (text, scheme_end, username_end) = if uncut && total <= INLINE {
            let mut bytes = [0u8; INLINE];
            let (s, rest) = bytes.split_at_mut(scheme.len());
            s.copy_from_slice(scheme.as_bytes());
            let (u, rest) = rest.split_at_mut(username.len());
            u.copy_from_slice(username.as_bytes());
            rest[..nonce.len()].copy_from_slice(nonce.as_bytes());
            let len = u8::try_from(total).unwrap_or(u8::MAX);
            (
                Text::Inline { bytes, len },
                scheme.len(),
                scheme.len() + username.len(),
            )
        } else {
            let mut text = String::with_capacity(
                scheme.len().min(max_scheme)
                    + username.len().min(max_value)
                    + nonce.len().min(max_value)
                    + 3 * CUT_MARK_MAX,
            );
            push_cut(&mut text, scheme, max_scheme);
            let scheme_end = text.len();
            push_cut(&mut text, username, max_value);
            let username_end = text.len();
            push_cut(&mut text, nonce, max_value);
            (Text::Heap(text), scheme_end, username_end)
        };
        CompactAuth {
            text,
            scheme_end,
            username_end,
            algorithm,
            qop,
            nc,
            opaque,
            key: false,
        }
    }

    /// Whether the username, as the summary shows it (cut like [`AuthSummary::username`]), is
    /// `key` (compared as bytes: the text is not validated again per request).
    pub(super) fn username_is(&self, key: &str) -> bool {
        self.text.as_bytes().get(self.scheme_end..self.username_end) == Some(key.as_bytes())
    }

    /// Bytes [`JournalEntry::cost`] counts for the summary this record becomes, and for the key
    /// when it comes from the record (the same figure).
    pub(super) fn cost(&self) -> usize {
        64 + self.text.len()
            + self.algorithm.as_str().len()
            + self.qop.map_or(0, |q| q.as_str().len())
            + if self.key {
                self.username_end - self.scheme_end
            } else {
                0
            }
    }

    pub(super) fn into_summary(self) -> AuthSummary {
        let text = self.text.as_str();
        let part = |r: std::ops::Range<usize>| text.get(r).unwrap_or_default().to_owned();
        AuthSummary {
            scheme: part(0..self.scheme_end),
            username: Some(part(self.scheme_end..self.username_end)),
            algorithm: Some(self.algorithm.as_str().to_owned()),
            qop: self.qop.map(|q| q.as_str().to_owned()),
            nc: self.nc,
            nonce: Some(part(self.username_end..text.len())),
            opaque: self.opaque,
        }
    }

    /// Whether the text is held inline (no allocation).
    #[cfg(test)]
    fn is_inline(&self) -> bool {
        matches!(self.text, Text::Inline { .. })
    }
}

/// What a request's entry records of its `Authorization` header: a summary built now, or a
/// compact record the journal turns into one when it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthRecord {
    /// Built already (refused credentials, other schemes, a `userhash`).
    Summary(AuthSummary),
    /// A verified Digest header.
    Compact(CompactAuth),
}

impl AuthRecord {
    /// The [`AuthSummary`] the journal shows (the journal itself materializes
    /// [`CompactAuth`] in place; the tests compare through this).
    #[cfg(test)]
    pub(crate) fn into_summary(self) -> AuthSummary {
        match self {
            AuthRecord::Summary(s) => s,
            AuthRecord::Compact(c) => c.into_summary(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{TestCaseError, prop_assert_eq};

    use crate::journal::{Journal, JournalEntry, cut, test_entry};

    /// What the old code built per request for a verified header.
    fn old_summary(
        scheme: &str,
        username: &str,
        nonce: &str,
        algorithm: atlas_digest::Algorithm,
        qop: Option<atlas_digest::Qop>,
        nc: Option<u32>,
        opaque: bool,
    ) -> AuthSummary {
        AuthSummary {
            scheme: cut(scheme, 32),
            username: Some(cut(username, 256)),
            algorithm: Some(algorithm.as_str().to_owned()),
            qop: qop.map(|q| q.as_str().to_owned()),
            nc,
            nonce: Some(cut(nonce, 256)),
            opaque,
        }
    }

    /// The compact record becomes exactly the old summary (long and non-ASCII values cut on
    /// character boundaries, with the same marker), counts the same bytes, and the journal hands
    /// it out materialized; it is inline exactly when the uncut text fits.
    fn agrees(
        scheme: &str,
        username: &str,
        nonce: &str,
        alg: usize,
        qop: Option<bool>,
        nc: Option<u32>,
        opaque: bool,
    ) -> Result<(), TestCaseError> {
        use atlas_digest::{Algorithm, Qop};
        let algorithm = [
            Algorithm::Md5,
            Algorithm::Md5Sess,
            Algorithm::Sha256,
            Algorithm::Sha256Sess,
            Algorithm::Sha512_256,
            Algorithm::Sha512_256Sess,
        ][alg];
        let qop = qop.map(|i| if i { Qop::AuthInt } else { Qop::Auth });
        let old = old_summary(scheme, username, nonce, algorithm, qop, nc, opaque);
        let c = CompactAuth::new(
            (scheme, 32),
            (username, nonce, 256),
            algorithm,
            qop,
            nc,
            opaque,
        );
        let fits = scheme.len() <= 32
            && username.len() <= 256
            && nonce.len() <= 256
            && scheme.len() + username.len() + nonce.len() <= INLINE;
        proptest::prop_assert_eq!(c.is_inline(), fits);
        let mut deferred = test_entry("/");
        deferred.set_auth(AuthRecord::Compact(c.clone()));
        let mut built = test_entry("/");
        built.received_at = deferred.received_at;
        built.set_auth(AuthRecord::Summary(old.clone()));
        proptest::prop_assert_eq!(deferred.cost(), built.cost());
        proptest::prop_assert!(deferred.has_auth() && deferred.auth.is_none());
        proptest::prop_assert_eq!(AuthRecord::Compact(c).into_summary(), old);
        let j = Journal::new(4, usize::MAX);
        deferred.seq = j.next_seq();
        j.push(deferred);
        let out = j.since(0);
        proptest::prop_assert_eq!(&*out[0], &built_with_seq(built, 1));
        proptest::prop_assert_eq!(j.bytes(), out[0].cost());
        Ok(())
    }

    /// A verified record with the key that authenticated: the entry the journal hands out has
    /// that key and the old summary, and counts the same bytes, whether the key came from the
    /// record (it is the username) or was copied (a `userhash`, or a username that was cut).
    fn agrees_with_key(username: &str, nonce: &str, key: &str) -> Result<(), TestCaseError> {
        let algorithm = atlas_digest::Algorithm::Md5;
        let qop = Some(atlas_digest::Qop::Auth);
        let old = old_summary("Digest", username, nonce, algorithm, qop, Some(1), false);
        let c = CompactAuth::new(
            ("Digest", 32),
            (username, nonce, 256),
            algorithm,
            qop,
            Some(1),
            false,
        );
        let mut deferred = test_entry("/");
        deferred.set_verified(AuthRecord::Compact(c), key);
        let from_record = deferred.key.is_none();
        prop_assert_eq!(from_record, key == username && username.len() <= 256);
        let mut built = test_entry("/");
        built.received_at = deferred.received_at;
        built.key = Some(key.to_owned());
        built.set_auth(AuthRecord::Summary(old));
        prop_assert_eq!(deferred.cost(), built.cost());
        let j = Journal::new(4, usize::MAX);
        deferred.seq = j.next_seq();
        j.push(deferred);
        let out = j.since(0);
        prop_assert_eq!(&*out[0], &built_with_seq(built, 1));
        prop_assert_eq!(j.bytes(), out[0].cost());
        Ok(())
    }

    proptest::proptest! {
        /// The key is the username (inline, on the heap, cut), or another one.
        #[test]
        fn a_verified_record_carries_its_key(
            username in "[a-z0-9é]{0,40}|[a-z]{250,300}",
            nonce in "[A-Za-z0-9+/]{32}",
            other in proptest::option::of("[a-f0-9]{64}"),
        ) {
            agrees_with_key(&username, &nonce, other.as_deref().unwrap_or(&username))?;
        }

        /// Any lengths: mostly cut, on the heap.
        #[test]
        fn the_compact_record_materializes_to_the_old_summary(
            scheme in "\\PC{0,40}",
            username in "\\PC{0,300}",
            nonce in "[A-Za-z0-9+/=é]{0,300}",
            alg in 0usize..6,
            qop in proptest::option::of(proptest::bool::ANY),
            nc in proptest::option::of(proptest::num::u32::ANY),
            opaque in proptest::bool::ANY,
        ) {
            agrees(&scheme, &username, &nonce, alg, qop, nc, opaque)?;
        }

        /// The lengths of real requests, on both sides of the inline limit.
        #[test]
        fn short_records_are_inline_and_materialize_alike(
            scheme in "(Digest|dIgEsT|\\PC{0,8})",
            username in "[a-z0-9é]{0,36}",
            nonce in "[A-Za-z0-9+/é]{0,48}",
            alg in 0usize..6,
            qop in proptest::option::of(proptest::bool::ANY),
            nc in proptest::option::of(proptest::num::u32::ANY),
            opaque in proptest::bool::ANY,
        ) {
            agrees(&scheme, &username, &nonce, alg, qop, nc, opaque)?;
        }
    }

    fn built_with_seq(mut e: JournalEntry, seq: u64) -> JournalEntry {
        e.seq = seq;
        e
    }
}
