//! `atlas-snapshots`: see the crate README (work in progress in this commit).
