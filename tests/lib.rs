//! Cross-crate tests, and what the bench programs (`bin/`) share: the load loop and the CPU
//! clock they report.

pub mod bench;
