//! The `atlas-snapshots` command.
fn main() {}
