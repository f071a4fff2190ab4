//! The extent table (`AddressSpace`) against per-segment bookkeeping
//! (`BTreeMap`, one entry per 1 MiB segment) and a linear-scan `Vec` of
//! extents, all measured in the same run.
//!
//! - `translate/{ucas,btreemap,linear_vec}/K`: one lookup in a table of K
//!   one-segment extents, cycling through scattered mapped addresses. The
//!   per-segment baseline then holds as many entries as there are extents:
//!   its best case. `translate_64mib/…/K`: the same with 64 MiB extents
//!   (64 entries per extent in the baseline).
//! - `map_unmap/{…}/K`: map one segment into the middle of a K-extent table
//!   and unmap it again (the table ends as it began, so every iteration
//!   does the same work on a warm table).
//! - `map_range/{…}/SIZE`: map a 1 MiB, 1 GiB or 1 TiB range into an empty
//!   table; `unmap_range/{…}/SIZE`: unmap it from a table holding just it.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use ucas_benches::baseline::{LinearExtents, PerSegment};
use ucas_benches::fixtures::{EXTENT_COUNTS, GIB, MIB, TIB, gap, lookups, tables};
use ucas_core::{AddressSpace, UcasMapping};

/// Lookup addresses per table; a power of two so the index wraps by mask.
const LOOKUPS: usize = 4096;

fn translate(c: &mut Criterion) {
    translate_with(c, "translate", 1);
    translate_with(c, "translate_64mib", 64);
}

/// Lookups in tables of extents `span` segments long (so the per-segment
/// baseline holds `span` entries per extent).
fn translate_with(c: &mut Criterion, group: &str, span: u64) {
    let mut g = c.benchmark_group(group);
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for k in EXTENT_COUNTS {
        let (space, per, lin) = tables(k, span);
        let addrs = lookups(k, span, LOOKUPS);
        let mut i = 0usize;
        let mut next = || {
            i = (i + 1) & (LOOKUPS - 1);
            addrs[i]
        };
        g.bench_function(BenchmarkId::new("ucas", k), |b| {
            b.iter(|| space.translate(black_box(next())));
        });
        g.bench_function(BenchmarkId::new("btreemap", k), |b| {
            b.iter(|| per.translate(black_box(next())));
        });
        g.bench_function(BenchmarkId::new("linear_vec", k), |b| {
            b.iter(|| lin.translate(black_box(next())));
        });
    }
    g.finish();
}

fn map_unmap(c: &mut Criterion) {
    let mut g = c.benchmark_group("map_unmap");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for k in EXTENT_COUNTS {
        let (mut space, mut per, mut lin) = tables(k, 1);
        let m = gap(k, 1);
        g.bench_function(BenchmarkId::new("ucas", k), |b| {
            b.iter(|| {
                space.map(black_box(m)).expect("fits");
                space.unmap(black_box(m.vcpu_addr), MIB).expect("fits");
            });
        });
        g.bench_function(BenchmarkId::new("btreemap", k), |b| {
            b.iter(|| {
                per.map(black_box(&m));
                per.unmap(black_box(m.vcpu_addr), MIB);
            });
        });
        g.bench_function(BenchmarkId::new("linear_vec", k), |b| {
            b.iter(|| {
                lin.map(black_box(&m));
                lin.unmap(black_box(m.vcpu_addr), MIB);
            });
        });
        assert_eq!((space.len(), per.len(), lin.len()), (k, k, k));
    }
    g.finish();
}

/// A small table is enough for one range; it keeps the per-iteration
/// setup copies cheap.
type Small = AddressSpace<16>;

const RANGES: [(&str, u64); 3] = [("1MiB", MIB), ("1GiB", GIB), ("1TiB", TIB)];

fn range(length: u64) -> UcasMapping {
    UcasMapping {
        user_addr: 4 * TIB,
        vcpu_addr: 8 * TIB,
        length,
    }
}

/// Inputs per timed batch for the per-segment baseline: enough to hide the
/// clock reads where one call is short, one where a call takes
/// milliseconds and a batch of results would not fit in memory.
fn per_segment_batch(length: u64) -> BatchSize {
    match length / MIB {
        0..=1 => BatchSize::NumIterations(64),
        2..=1024 => BatchSize::NumIterations(8),
        _ => BatchSize::PerIteration,
    }
}

fn map_range(c: &mut Criterion) {
    let mut g = c.benchmark_group("map_range");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (label, length) in RANGES {
        let m = range(length);
        if length == TIB {
            // 2^20 inserts per call for the baseline: few, flat samples.
            g.sample_size(10).sampling_mode(SamplingMode::Flat);
        }
        g.bench_function(BenchmarkId::new("ucas", label), |b| {
            b.iter_batched_ref(
                Small::new,
                |s| s.map(black_box(m)).expect("fits"),
                BatchSize::NumIterations(64),
            );
        });
        g.bench_function(BenchmarkId::new("btreemap", label), |b| {
            b.iter_batched(
                PerSegment::new,
                |mut s| {
                    s.map(black_box(&m));
                    s
                },
                per_segment_batch(length),
            );
        });
        g.bench_function(BenchmarkId::new("linear_vec", label), |b| {
            b.iter_batched(
                LinearExtents::new,
                |mut s| {
                    s.map(black_box(&m));
                    s
                },
                BatchSize::NumIterations(64),
            );
        });
    }
    g.finish();
}

fn unmap_range(c: &mut Criterion) {
    let mut g = c.benchmark_group("unmap_range");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (label, length) in RANGES {
        let m = range(length);
        let mut space = Small::new();
        space.map(m).expect("fits");
        let mut per = PerSegment::new();
        per.map(&m);
        let mut lin = LinearExtents::new();
        lin.map(&m);
        if length == TIB {
            g.sample_size(10).sampling_mode(SamplingMode::Flat);
        }
        g.bench_function(BenchmarkId::new("ucas", label), |b| {
            b.iter_batched_ref(
                || space.clone(),
                |s| s.unmap(black_box(m.vcpu_addr), length).expect("fits"),
                BatchSize::NumIterations(64),
            );
        });
        g.bench_function(BenchmarkId::new("btreemap", label), |b| {
            b.iter_batched(
                || per.clone(),
                |mut s| {
                    s.unmap(black_box(m.vcpu_addr), length);
                    s
                },
                per_segment_batch(length),
            );
        });
        g.bench_function(BenchmarkId::new("linear_vec", label), |b| {
            b.iter_batched(
                || lin.clone(),
                |mut s| {
                    s.unmap(black_box(m.vcpu_addr), length);
                    s
                },
                BatchSize::NumIterations(64),
            );
        });
    }
    g.finish();
}

criterion_group!(benches, translate, map_unmap, map_range, unmap_range);
criterion_main!(benches);
