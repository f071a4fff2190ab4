//! The extent table (`AddressSpace`) against per-segment bookkeeping
//! (`BTreeMap`, one entry per 1 MiB segment) and a linear-scan `Vec` of
//! extents, all measured in the same run.
//!
//! - `translate/{ucas,btreemap,linear_vec}/K`: one lookup in a table of K
//!   one-segment extents, cycling through scattered mapped addresses. The
//!   per-segment baseline then holds as many entries as there are extents:
//!   its best case. `translate_64mib/…/K`: the same with 64 MiB extents
//!   (64 entries per extent in the baseline).
//! - `translate_random/{ucas,btreemap,rangemap}/K`: independent lookups in
//!   a table of K one-segment extents (K = 256, 1024, 4096), walking a pool
//!   of 2^16 random mapped addresses, far more than a branch predictor
//!   learns, so the search paths do not repeat. Throughput: the CPU may
//!   overlap consecutive lookups.
//! - `translate_chain/{…}/K`: the same tables and pool, but each lookup's
//!   address is picked by the previous lookup's result
//!   (`pool[(prev ^ i) & mask]`), so no lookup starts before the one before
//!   it ends: the latency a guest access sees. `rangemap` is the
//!   `rangemap` crate's `RangeMap<u64, u64>` from vcpu segment ranges to
//!   the user-minus-vcpu segment delta (equal deltas of adjacent ranges
//!   coalesce, as extents do). `pool_only` runs either loop with an
//!   identity "lookup": the floor the pool loads and index arithmetic put
//!   under every other line.
//! - `map_unmap/{…}/K`: map one segment into the middle of a K-extent table
//!   and unmap it again (the table ends as it began, so every iteration
//!   does the same work on a warm table).
//! - `map_range/{…}/SIZE`: map a 1 MiB, 1 GiB or 1 TiB range into an empty
//!   table; `unmap_range/{…}/SIZE`: unmap it from a table holding just it.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, criterion_group,
    criterion_main,
};
use rangemap::RangeMap;
use ucas_benches::baseline::{LinearExtents, PerSegment};
use ucas_benches::fixtures::{
    BIG_CAPACITY, EXTENT_COUNTS, GIB, MIB, PATTERN_COUNTS, TIB, extent, gap, lookups, per_segment,
    space, tables,
};
use ucas_core::segment::{SEGMENT_MASK, SEGMENT_SHIFT};
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

/// The `rangemap` crate's answer: vcpu segment range → user segment minus
/// vcpu segment (wrapping), so adjacent ranges with equal deltas coalesce
/// exactly when extents would.
#[derive(Debug, Clone, Default)]
struct Ranges(RangeMap<u64, u64>);

impl Ranges {
    fn of(k: usize, span: u64) -> Self {
        let mut r = Self::default();
        for i in 0..k {
            r.map(&extent(i, span));
        }
        r
    }

    fn map(&mut self, m: &UcasMapping) {
        let (vcpu, user) = (m.vcpu_addr >> SEGMENT_SHIFT, m.user_addr >> SEGMENT_SHIFT);
        let end = vcpu + (m.length >> SEGMENT_SHIFT);
        self.0.insert(vcpu..end, user.wrapping_sub(vcpu));
    }

    fn unmap(&mut self, vcpu_addr: u64, length: u64) {
        let first = vcpu_addr >> SEGMENT_SHIFT;
        self.0.remove(first..first + (length >> SEGMENT_SHIFT));
    }

    fn translate(&self, vcpu_addr: u64) -> Option<u64> {
        let seg = vcpu_addr >> SEGMENT_SHIFT;
        self.0
            .get(&seg)
            .map(|delta| (seg.wrapping_add(*delta) << SEGMENT_SHIFT) | (vcpu_addr & SEGMENT_MASK))
    }
}

/// Addresses in the lookup-pattern pool; a power of two so indices wrap
/// by mask. 2^16 addresses (512 KiB) is far past what a branch predictor
/// can learn.
const POOL: usize = 1 << 16;

fn translate_patterns(c: &mut Criterion) {
    let tables: Vec<_> = PATTERN_COUNTS
        .into_iter()
        .map(|k| {
            let pool = lookups(k, 1, POOL);
            (
                k,
                space::<BIG_CAPACITY>(k, 1),
                per_segment(k, 1),
                Ranges::of(k, 1),
                pool,
            )
        })
        .collect();
    for (group, chain) in [("translate_random", false), ("translate_chain", true)] {
        let mut g = c.benchmark_group(group);
        g.warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        for (k, space, per, ranges, pool) in &tables {
            for a in pool.iter().step_by(997) {
                let want = space.translate(*a);
                assert!(want.is_some());
                assert_eq!((per.translate(*a), ranges.translate(*a)), (want, want));
            }
            pattern(&mut g, "ucas", *k, pool, chain, |a| space.translate(a));
            pattern(&mut g, "btreemap", *k, pool, chain, |a| per.translate(a));
            pattern(&mut g, "rangemap", *k, pool, chain, |a| ranges.translate(a));
            // What the loop itself costs (the pool load and, for the chain,
            // the index arithmetic): subtract it to compare the lookups
            // alone.
            pattern(&mut g, "pool_only", *k, pool, chain, Some);
        }
        g.finish();
    }
}

/// One lookup per iteration through `pool`: the next address in turn, or
/// (for `chain`) the one the previous result picks.
fn pattern(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    k: usize,
    pool: &[u64],
    chain: bool,
    translate: impl Fn(u64) -> Option<u64>,
) {
    let mask = pool.len() - 1;
    g.bench_function(BenchmarkId::new(name, k), |b| {
        let mut i = 0usize;
        if chain {
            let mut prev = 0u64;
            b.iter(|| {
                i = i.wrapping_add(1);
                // The result feeds the next index: lookups cannot overlap.
                prev = translate(pool[(prev as usize ^ i) & mask]).unwrap_or(0);
                prev
            });
        } else {
            b.iter(|| {
                i = (i + 1) & mask;
                translate(black_box(pool[i]))
            });
        }
    });
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
        let mut ranges = Ranges::of(k, 1);
        g.bench_function(BenchmarkId::new("rangemap", k), |b| {
            b.iter(|| {
                ranges.map(black_box(&m));
                ranges.unmap(black_box(m.vcpu_addr), MIB);
            });
        });
        assert_eq!((space.len(), per.len(), lin.len()), (k, k, k));
        assert_eq!(ranges.0.len(), k);
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

criterion_group!(
    benches,
    translate,
    translate_patterns,
    map_unmap,
    map_range,
    unmap_range
);
criterion_main!(benches);
