//! `atlas-transport`: see the crate README (work in progress in this commit).
