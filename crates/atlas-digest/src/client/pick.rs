//! Choosing the challenge to answer: ranking by (qop offered, hash strength), realm binding, and the
//! downgrade pin of a protection space.

use crate::client::config::{ClientConfig, Downgrade};
use crate::client::session::{summarise, usable};
use crate::error::DigestError;
use crate::header::DigestChallenge;
use crate::parse::{ParseError, parse_challenges_partial};

/// How good a usable challenge is: a challenge with qop beats one without (RFC 2069 has no cnonce
/// and no nc), then the stronger algorithm; the plain variant ranks above its `-sess` one.
pub(crate) fn rank(c: &DigestChallenge) -> (bool, u8) {
    (c.qop.is_some(), c.algorithm.strength())
}

/// The part of the rank a downgrade is judged on: qop offered, and the hash function (a switch
/// between a plain algorithm and its `-sess` variant is no downgrade).
pub(crate) fn pin_rank(c: &DigestChallenge) -> (bool, u8) {
    (c.qop.is_some(), c.algorithm.base().strength())
}

/// What the client remembers of its protection space.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProtectionSpace {
    /// The realm of the first adopted challenge.
    pub(crate) realm: Option<String>,
    /// The strongest challenge adopted so far ([`pin_rank`]) and its summary.
    pub(crate) best: Option<((bool, u8), String)>,
}

impl ProtectionSpace {
    /// Records an adopted challenge.
    pub(crate) fn adopt(&mut self, c: &DigestChallenge) {
        if self.realm.is_none() {
            self.realm = Some(c.realm.clone());
        }
        let r = pin_rank(c);
        if self.best.as_ref().is_none_or(|(b, _)| r > *b) {
            self.best = Some((r, summarise(c)));
        }
    }
}

/// Whether one challenge (a saved session's) passes the checks [`pick`] applies to an offer:
/// usable under `config`, the pinned realm, no downgrade below the pinned strength.
pub(crate) fn admissible(
    c: &DigestChallenge,
    config: &ClientConfig,
    pin: &ProtectionSpace,
) -> Result<(), DigestError> {
    if !usable(c, config, true) {
        return Err(DigestError::NoSupportedChallenge {
            offered: vec![summarise(c)],
        });
    }
    if let Some(r) = pin.realm.as_ref().filter(|r| **r != c.realm) {
        return Err(DigestError::RealmMismatch {
            bound: r.clone(),
            offered: vec![c.realm.clone()],
        });
    }
    if config.downgrade() == Downgrade::Refuse {
        if let Some((pinned, summary)) = &pin.best {
            if pin_rank(c) < *pinned {
                return Err(DigestError::Downgrade {
                    pinned: summary.clone(),
                    offered: summarise(c),
                });
            }
        }
    }
    Ok(())
}

/// Picks the best usable challenge among every `WWW-Authenticate` value.
pub(crate) fn pick<'h, I: IntoIterator<Item = &'h str>>(
    values: I,
    config: &ClientConfig,
    body_known: bool,
    pin: &ProtectionSpace,
) -> Result<DigestChallenge, DigestError> {
    let mut offered = Vec::new();
    let mut other_realms: Vec<String> = Vec::new();
    let mut best: Option<DigestChallenge> = None;
    let mut first_error: Option<ParseError> = None;
    let mut parsed_any = false;
    for (i, v) in values.into_iter().enumerate() {
        // Parse each value on its own, keeping what parsed before an error, so that a broken value
        // or a broken vendor challenge does not hide a good Digest challenge.
        let (challenges, error) = parse_challenges_partial(v);
        if let Some(e) = error {
            first_error.get_or_insert(e.with_value_index(i));
        }
        parsed_any |= !challenges.is_empty();
        for c in challenges {
            if !c.is_scheme("Digest") {
                offered.push(c.scheme.clone());
                continue;
            }
            let d = match DigestChallenge::from_challenge(&c) {
                Ok(d) => d,
                Err(_) => {
                    let alg = c.param("algorithm").unwrap_or("?");
                    offered.push(format!("Digest algorithm={alg}"));
                    continue;
                }
            };
            if !usable(&d, config, body_known) {
                offered.push(summarise(&d));
                continue;
            }
            if pin.realm.as_ref().is_some_and(|r| *r != d.realm) {
                if !other_realms.contains(&d.realm) {
                    other_realms.push(d.realm.clone());
                }
                continue;
            }
            if best.as_ref().is_none_or(|b| rank(&d) > rank(b)) {
                best = Some(d);
            }
        }
    }
    match (best, first_error) {
        (Some(b), _) => {
            if config.downgrade() == Downgrade::Refuse {
                if let Some((pinned, summary)) = &pin.best {
                    if pin_rank(&b) < *pinned {
                        return Err(DigestError::Downgrade {
                            pinned: summary.clone(),
                            offered: summarise(&b),
                        });
                    }
                }
            }
            Ok(b)
        }
        (None, _) if !other_realms.is_empty() => Err(DigestError::RealmMismatch {
            bound: pin.realm.clone().unwrap_or_default(),
            offered: other_realms,
        }),
        (None, Some(e)) if !parsed_any || offered.is_empty() => Err(DigestError::Malformed(e)),
        _ => Err(DigestError::NoSupportedChallenge { offered }),
    }
}
