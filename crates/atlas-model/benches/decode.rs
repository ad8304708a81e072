//! Snapshot decoding beside its floor: `serde_json::from_slice` into `serde_json::Value`.
// criterion_group! generates an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const SEED: &[u8] = include_bytes!("../tests/fixtures/seed_v1.json");
const V2: &[u8] = include_bytes!("../tests/fixtures/v2_flex_links.json");

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("snapshot_decode");
    group.bench_function("seed/atlas_model", |b| {
        b.iter(|| atlas_model::parse_snapshot(black_box(SEED)).unwrap())
    });
    group.bench_function("seed/floor_serde_json_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(SEED)).unwrap())
    });
    group.bench_function("v2_links/atlas_model", |b| {
        b.iter(|| atlas_model::parse_snapshot(black_box(V2)).unwrap())
    });
    group.bench_function("v2_links/floor_serde_json_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(V2)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
