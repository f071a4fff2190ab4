//! Tables with a chosen number of extents, the same mapping in each of the
//! three representations, and the addresses looked up in them.

use ucas_core::{AddressSpace, UcasMapping};

use crate::baseline::{LinearExtents, PerSegment};

/// 1 MiB, one segment.
pub const MIB: u64 = 1 << 20;
/// 1 GiB.
pub const GIB: u64 = 1 << 30;
/// 1 TiB.
pub const TIB: u64 = 1 << 40;

/// The extent counts the table benchmarks use.
pub const EXTENT_COUNTS: [usize; 4] = [1, 16, 256, 1024];

/// Capacity of the benchmarked table: the largest count plus room for the
/// extent a benchmark adds.
pub const CAPACITY: usize = 1024 + 8;

/// The benchmarked table type.
pub type Space = AddressSpace<CAPACITY>;

/// The extent counts of the lookup-pattern benchmarks (random and
/// dependent-chain translates).
pub const PATTERN_COUNTS: [usize; 3] = [256, 1024, 4096];

/// Capacity of the table the lookup-pattern benchmarks use: the largest of
/// [`PATTERN_COUNTS`] plus the same headroom as [`CAPACITY`].
pub const BIG_CAPACITY: usize = 4096 + 8;

/// The table type of the lookup-pattern benchmarks.
pub type BigSpace = AddressSpace<BIG_CAPACITY>;

/// The user segment the table's extents start at.
const USER_BASE_SEG: u64 = 0x10_0000;

/// Extent `i` of a table whose extents are `span` segments long: vcpu
/// segment `i * (span + 1)` (the one-segment gaps keep extents apart, so
/// `k` mappings make `k` extents) to user segment `USER_BASE_SEG` plus the
/// same offset.
#[must_use]
pub fn extent(i: usize, span: u64) -> UcasMapping {
    let first = i as u64 * (span + 1);
    UcasMapping {
        user_addr: (USER_BASE_SEG + first) * MIB,
        vcpu_addr: first * MIB,
        length: span * MIB,
    }
}

/// One segment in the gap after extent `k / 2` of a `k`-extent table,
/// resolving to user memory far from the others so it joins nothing:
/// mapping it adds an extent in the middle of the table.
#[must_use]
pub fn gap(k: usize, span: u64) -> UcasMapping {
    UcasMapping {
        user_addr: 0x80_0000 * MIB,
        vcpu_addr: (k as u64 / 2 * (span + 1) + span) * MIB,
        length: MIB,
    }
}

/// The same `k` mappings of `span` segments each in all three
/// representations (the per-segment one holds `k * span` entries).
///
/// # Panics
/// If `k` exceeds [`CAPACITY`].
#[must_use]
pub fn tables(k: usize, span: u64) -> (Space, PerSegment, LinearExtents) {
    let mut space = Space::new();
    let mut per = PerSegment::new();
    let mut lin = LinearExtents::new();
    for i in 0..k {
        let m = extent(i, span);
        space.map(m).expect("the fixture fits the table");
        per.map(&m);
        lin.map(&m);
    }
    assert_eq!(space.len(), k);
    (space, per, lin)
}

/// A table of capacity `N` holding the `k` mappings of [`tables`], boxed
/// so that large capacities stay off the stack.
///
/// # Panics
/// If `k` exceeds `N`.
#[must_use]
pub fn space<const N: usize>(k: usize, span: u64) -> Box<AddressSpace<N>> {
    let mut space = Box::new(AddressSpace::<N>::new());
    for i in 0..k {
        space
            .map(extent(i, span))
            .expect("the fixture fits the table");
    }
    assert_eq!(space.len(), k);
    space
}

/// The per-segment baseline holding the `k` mappings of [`tables`].
#[must_use]
pub fn per_segment(k: usize, span: u64) -> PerSegment {
    let mut per = PerSegment::new();
    for i in 0..k {
        per.map(&extent(i, span));
    }
    per
}

/// `n` addresses inside the `k` extents of `span` segments, scattered over
/// them in a fixed pseudo-random order so the lookups do not follow one
/// predictable path.
#[must_use]
pub fn lookups(k: usize, span: u64, n: usize) -> Vec<u64> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x % k as u64) as usize;
            extent(i, span).vcpu_addr + (x >> 24) % (span * MIB)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_hold_k_extents_and_agree_on_every_lookup() {
        for (k, span) in EXTENT_COUNTS.into_iter().flat_map(|k| [(k, 1), (k, 64)]) {
            let (space, per, lin) = tables(k, span);
            assert_eq!(space.len(), k);
            assert_eq!(per.len() as u64, k as u64 * span);
            assert_eq!(lin.len(), k);
            for a in lookups(k, span, 4096) {
                let got = space.translate(a);
                assert!(got.is_some(), "{a:#x} is mapped");
                assert_eq!(per.translate(a), got);
                assert_eq!(lin.translate(a), got);
            }
        }
    }

    #[test]
    fn the_big_tables_agree_with_the_per_segment_baseline() {
        for k in PATTERN_COUNTS {
            let space = space::<BIG_CAPACITY>(k, 1);
            let per = per_segment(k, 1);
            assert_eq!(per.len(), k);
            for a in lookups(k, 1, 1 << 12) {
                let got = space.translate(a);
                assert!(got.is_some(), "{a:#x} is mapped");
                assert_eq!(per.translate(a), got);
            }
        }
    }

    #[test]
    fn the_gap_adds_one_extent_and_unmapping_it_restores_the_table() {
        for (k, span) in EXTENT_COUNTS.into_iter().flat_map(|k| [(k, 1), (k, 64)]) {
            let (mut space, ..) = tables(k, span);
            let before = space.clone();
            space.map(gap(k, span)).unwrap();
            assert_eq!(space.len(), k + 1);
            space.unmap(gap(k, span).vcpu_addr, MIB).unwrap();
            assert_eq!(space, before);
        }
    }
}
