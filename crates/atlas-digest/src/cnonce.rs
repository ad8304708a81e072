//! Cnonces from a CSPRNG seeded once (feature `rand`): ChaCha20 (`rand_chacha`), seeded by the caller
//! or from the operating system's randomness once, then no system call per request.

use std::fmt;
use std::sync::Mutex;

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use crate::hash::hex_into;

/// A source of cnonces: 128 random bits per cnonce, as 32 lowercase hex characters, from ChaCha20
/// seeded once. `Send + Sync` (a short internal lock); `Debug` shows no state.
///
/// ```
/// use atlas_digest::CnonceSource;
///
/// let source = CnonceSource::from_os()?; // one read of OS randomness, here only
/// let a = source.next();
/// let b = source.next();
/// assert_eq!(a.as_str().len(), 32);
/// assert_ne!(a.as_str(), b.as_str());
/// // Deterministic when seeded by the caller (tests, simulations):
/// let s1 = CnonceSource::from_seed([7; 32]);
/// let s2 = CnonceSource::from_seed([7; 32]);
/// assert_eq!(s1.next().as_str(), s2.next().as_str());
/// # Ok::<(), atlas_digest::OsRandomnessError>(())
/// ```
pub struct CnonceSource {
    rng: Mutex<ChaCha20Rng>,
}

impl fmt::Debug for CnonceSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CnonceSource(ChaCha20, ** state redacted **)")
    }
}

/// The operating system's randomness could not be read ([`CnonceSource::from_os`]).
#[derive(Debug)]
pub struct OsRandomnessError(String);

impl fmt::Display for OsRandomnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "operating system randomness unavailable: {}", self.0)
    }
}

impl std::error::Error for OsRandomnessError {}

/// One cnonce: 32 lowercase hex characters on the stack.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Cnonce {
    hex: [u8; 32],
}

impl Cnonce {
    /// The cnonce text.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are written into `hex`.
        std::str::from_utf8(&self.hex).unwrap_or_default()
    }
}

impl fmt::Debug for Cnonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cnonce({})", self.as_str())
    }
}

impl fmt::Display for Cnonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for Cnonce {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl CnonceSource {
    /// A source seeded with `seed` (from your own CSPRNG; the same seed gives the same cnonces).
    pub fn from_seed(seed: [u8; 32]) -> CnonceSource {
        CnonceSource {
            rng: Mutex::new(ChaCha20Rng::from_seed(seed)),
        }
    }

    /// A source seeded from the operating system's randomness, read once here.
    pub fn from_os() -> Result<CnonceSource, OsRandomnessError> {
        let rng = ChaCha20Rng::try_from_os_rng().map_err(|e| OsRandomnessError(e.to_string()))?;
        Ok(CnonceSource {
            rng: Mutex::new(rng),
        })
    }

    /// The next cnonce.
    pub fn next(&self) -> Cnonce {
        let mut bytes = [0u8; 16];
        self.rng
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .fill_bytes(&mut bytes);
        let mut hex = [0u8; 32];
        hex_into(&bytes, &mut hex);
        Cnonce { hex }
    }
}
