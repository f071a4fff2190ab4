use std::collections::BTreeMap;
use std::vec::Vec;

use proptest::prelude::*;

use super::*;
use crate::request::{Field, Generation, Rule};
use crate::segment::SEGMENT_SIZE as MIB;

/// The obviously correct model: one entry per mapped vcpu segment, the shape
/// of the kernel's own per-segment table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Reference(BTreeMap<u64, u64>);

impl Reference {
    fn set(&mut self, vcpu: u64, user: Option<u64>, count: u64) {
        for i in 0..count {
            let v = (vcpu + i) % SEGMENT_COUNT;
            match user {
                Some(u) => self.0.insert(v, (u + i) % SEGMENT_COUNT),
                None => self.0.remove(&v),
            };
        }
    }

    /// The maximal runs: what a coalesced table must hold, in order.
    fn runs(&self) -> Vec<(u64, u64, u64)> {
        let mut runs: Vec<(u64, u64, u64)> = Vec::new();
        for (&v, &u) in &self.0 {
            match runs.last_mut() {
                Some((rv, ru, n)) if *rv + *n == v && *ru + *n == u => *n += 1,
                _ => runs.push((v, u, 1)),
            }
        }
        runs
    }
}

fn runs_of<const N: usize>(s: &AddressSpace<N>) -> Vec<(u64, u64, u64)> {
    s.iter()
        .map(|e| (e.vcpu_addr() >> 20, e.user_addr() >> 20, e.segments()))
        .collect()
}

fn m(user_addr: u64, vcpu_addr: u64, length: u64) -> UcasMapping {
    UcasMapping {
        user_addr,
        vcpu_addr,
        length,
    }
}

#[test]
fn new_is_const_and_empty() {
    static SPACE: AddressSpace<4> = AddressSpace::new();
    assert!(SPACE.is_empty());
    assert_eq!(SPACE.capacity(), 4);
    assert_eq!(SPACE.translate(0), None);
    assert_eq!(SPACE.mapped_bytes(), 0);
}

#[test]
fn translate_at_the_edges() {
    let mut s = AddressSpace::<4>::new();
    s.map(m(0x4000_0000, 0, 2 * MIB)).unwrap();
    s.map(m(0, u64::MAX - 2 * MIB + 1, MIB)).unwrap();
    let table = [
        (0, Some(0x4000_0000)),
        (1, Some(0x4000_0001)),
        (MIB - 1, Some(0x4000_0000 + MIB - 1)),
        (MIB, Some(0x4000_0000 + MIB)),
        (2 * MIB, None),
        (u64::MAX - 2 * MIB + 1, Some(0)),
        (u64::MAX - MIB, Some(MIB - 1)),
        (u64::MAX - MIB + 1, None),
        (u64::MAX, None),
    ];
    for (v, want) in table {
        assert_eq!(s.translate(v), want, "{v:#x}");
    }
}

#[test]
fn the_last_segment_is_out_of_reach_of_strict_rules() {
    let mut s = AddressSpace::<4>::new();
    let top = m(0, u64::MAX - MIB + 1, MIB);
    assert_eq!(
        s.map(top),
        Err(SpaceError::Request(RequestError {
            op: crate::abi::Ioctl::UcasMap,
            field: Field::VcpuAddr,
            value: top.vcpu_addr,
            length: MIB,
            rule: Rule::Wraps,
        }))
    );
    // Generation C maps it: the range ends exactly at 2^64 but does not wrap.
    s.map_with(Rules::Kernel(Generation::C), top).unwrap();
    assert_eq!(s.translate(u64::MAX), Some(MIB - 1));
    assert_eq!(s.iter().next().unwrap().length(), MIB);
}

#[test]
fn mapping_replaces_and_coalesces() {
    let mut s = AddressSpace::<8>::new();
    s.map(m(0, 0, 4 * MIB)).unwrap();
    assert_eq!(runs_of(&s), [(0, 0, 4)]);
    // Replace the middle with other memory: split into three.
    s.map(m(100 * MIB, MIB, 2 * MIB)).unwrap();
    assert_eq!(runs_of(&s), [(0, 0, 1), (1, 100, 2), (3, 3, 1)]);
    // Put the original back: one extent again.
    s.map(m(MIB, MIB, 2 * MIB)).unwrap();
    assert_eq!(runs_of(&s), [(0, 0, 4)]);
    // Adjacent in vcpu and user space: joins the neighbour.
    s.map(m(4 * MIB, 4 * MIB, MIB)).unwrap();
    assert_eq!(runs_of(&s), [(0, 0, 5)]);
    // Adjacent in vcpu space only: a new extent.
    s.map(m(50 * MIB, 5 * MIB, MIB)).unwrap();
    assert_eq!(runs_of(&s), [(0, 0, 5), (5, 50, 1)]);
    assert_eq!(s.mapped_segments(), 6);
    assert_eq!(s.mapped_bytes(), u128::from(6 * MIB));
}

#[test]
fn unmapping_holes_is_fine_and_splits() {
    let mut s = AddressSpace::<8>::new();
    s.unmap(0, 64 * MIB).unwrap();
    assert!(s.is_empty());
    s.map(m(0, 0, 8 * MIB)).unwrap();
    s.unmap(2 * MIB, MIB).unwrap();
    assert_eq!(runs_of(&s), [(0, 0, 2), (3, 3, 5)]);
    s.unmap(0, 3 * MIB).unwrap();
    assert_eq!(runs_of(&s), [(3, 3, 5)]);
    s.unmap(4 * MIB, 100 * MIB).unwrap();
    assert_eq!(runs_of(&s), [(3, 3, 1)]);
}

#[test]
fn full_table_refuses_exactly_and_keeps_state() {
    let mut s = AddressSpace::<2>::new();
    s.map(m(0, 0, 4 * MIB)).unwrap();
    s.map(m(64 * MIB, 10 * MIB, MIB)).unwrap();
    let before = s.clone();
    // A hole in the first extent needs a third extent.
    assert_eq!(
        s.unmap(MIB, MIB),
        Err(SpaceError::Full {
            needed: 3,
            capacity: 2
        })
    );
    assert_eq!(s, before);
    assert_eq!(
        s.check_unmap(Rules::Strict, MIB, MIB)
            .unwrap_err()
            .errno()
            .raw_os_error(),
        12
    );
    // Joining a neighbour needs no new extent, so it fits.
    s.check_map(Rules::Strict, &m(4 * MIB, 4 * MIB, MIB))
        .unwrap();
    s.map(m(4 * MIB, 4 * MIB, MIB)).unwrap();
    // Replacing both extents with one fits too.
    s.map(m(0, 0, 16 * MIB)).unwrap();
    assert_eq!(runs_of(&s), [(0, 0, 16)]);
}

#[test]
fn rejected_requests_keep_state() {
    let mut s = AddressSpace::<4>::new();
    s.map(m(0, 0, MIB)).unwrap();
    let before = s.clone();
    for bad in [
        m(1, 0, MIB),
        m(0, 1, MIB),
        m(0, 0, 1),
        m(0, 0, 0),
        m(0, u64::MAX - MIB + 1, 2 * MIB),
    ] {
        assert!(s.map(bad).is_err(), "{bad:?}");
        assert_eq!(s, before);
    }
    assert!(s.unmap(0, 0).is_err());
    assert!(s.unmap(1, MIB).is_err());
    assert_eq!(s, before);
    // C accepts a wrapping range but the mirror will not pretend it is one.
    assert_eq!(
        s.map_with(
            Rules::Kernel(Generation::C),
            m(0, u64::MAX - MIB + 1, 2 * MIB)
        ),
        Err(SpaceError::Wraps)
    );
    assert_eq!(s.map_with(Rules::Kernel(Generation::C), m(0, 0, 0)), Ok(()));
    assert_eq!(s, before);
}

#[test]
fn reverse_lookup_finds_every_alias() {
    let mut s = AddressSpace::<8>::new();
    s.map(m(10 * MIB, 0, 2 * MIB)).unwrap();
    s.map(m(10 * MIB, 20 * MIB, 4 * MIB)).unwrap();
    s.map(m(90 * MIB, 40 * MIB, MIB)).unwrap();
    let hits: Vec<_> = s.vcpu_ranges_for(11 * MIB, 2 * MIB).collect();
    assert_eq!(hits, [(MIB, 11 * MIB, MIB), (21 * MIB, 11 * MIB, 2 * MIB)]);
    assert_eq!(s.vcpu_ranges_for(0, 10 * MIB).count(), 0);
    assert_eq!(
        s.vcpu_ranges_for(90 * MIB + 5, 1).collect::<Vec<_>>(),
        [(40 * MIB + 5, 90 * MIB + 5, 1)]
    );
    assert_eq!(s.vcpu_ranges_for(0, u64::MAX).count(), 3);
}

#[test]
fn kernel_map_enomem_per_generation() {
    let old = m(500 * MIB, 2 * MIB, MIB);
    let req = m(0, 0, 8 * MIB);
    for g in Generation::ALL {
        for k in 0..8 {
            let mut s = KernelSpace::<16>::new(g);
            s.map(&old, None).unwrap();
            let err = s.map(&req, Some(k)).unwrap_err();
            assert_eq!(
                (err.errno().raw_os_error(), err.stored()),
                (12, k),
                "{g:?} {k}"
            );
            if g.enomem_keeps_prefix() {
                let mut want = AddressSpace::<16>::new();
                want.map(old).unwrap();
                if k > 0 {
                    want.map(m(0, 0, k * MIB)).unwrap();
                }
                assert_eq!(s.space(), &want, "{g:?} {k}");
            } else {
                assert!(s.space().is_empty(), "{g:?} {k}: {s:?}");
            }
        }
        let mut s = KernelSpace::<16>::new(g);
        assert_eq!(s.map(&req, Some(8)), Ok(8));
        assert_eq!(s.map(&req, None), Ok(8));
        assert_eq!(runs_of(s.space()), [(0, 0, 8)]);
    }
}

#[test]
fn kernel_rules_per_generation() {
    for g in Generation::ALL {
        let mut s = KernelSpace::<4>::new(g);
        let zero = s.map(&m(0, 0, 0), None);
        let unzero = s.unmap(0, 0);
        if g.zero_length_is_noop() {
            assert_eq!((zero, unzero), (Ok(0), Ok(())));
        } else {
            assert_eq!(zero.unwrap_err().errno().raw_os_error(), 22);
            assert_eq!(unzero.unwrap_err().errno().raw_os_error(), 22);
        }
        assert_eq!(
            s.map(&m(0, MIB + 1, MIB), None)
                .unwrap_err()
                .errno()
                .raw_os_error(),
            22
        );
        // UNMAP ignores user_addr entirely.
        s.map(&m(0, 0, 2 * MIB), None).unwrap();
        s.unmap(MIB, MIB).unwrap();
        assert_eq!(runs_of(s.space()), [(0, 0, 1)]);
    }
    // C wraps a range that passes the top around to 0.
    let mut s = KernelSpace::<4>::new(Generation::C);
    let wrap = m(7 * MIB, u64::MAX - MIB + 1, 3 * MIB);
    assert_eq!(s.map(&wrap, None), Ok(3));
    assert_eq!(runs_of(s.space()), [(0, 8, 2), (SEGMENT_COUNT - 1, 7, 1)]);
    assert_eq!(s.unmap(u64::MAX - MIB + 1, 2 * MIB), Ok(()));
    assert_eq!(runs_of(s.space()), [(1, 9, 1)]);
    for g in [Generation::A, Generation::B] {
        assert_eq!(
            KernelSpace::<4>::new(g)
                .map(&wrap, None)
                .unwrap_err()
                .errno()
                .raw_os_error(),
            22
        );
    }
}

#[test]
fn kernel_map_full_table_is_enomem() {
    let mut s = KernelSpace::<1>::new(Generation::C);
    s.map(&m(0, 0, MIB), None).unwrap();
    let err = s.map(&m(9 * MIB, 4 * MIB, MIB), None).unwrap_err();
    assert_eq!((err.errno().raw_os_error(), err.stored()), (12, 0));
    assert_eq!(runs_of(s.space()), [(0, 0, 1)]);
}

/// Operations over a small corner of the address space (so they collide
/// often), plus the top segments.
#[derive(Debug, Clone)]
enum Op {
    Map { user: u64, vcpu: u64, count: u64 },
    Unmap { vcpu: u64, count: u64 },
    Raw(UcasMapping, bool),
}

fn seg_start() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..24, (SEGMENT_COUNT - 8)..SEGMENT_COUNT]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u64..24, seg_start(), 0u64..10).prop_map(|(user, vcpu, count)| Op::Map { user, vcpu, count }),
        3 => (seg_start(), 0u64..10).prop_map(|(vcpu, count)| Op::Unmap { vcpu, count }),
        1 => (any::<u64>(), any::<u64>(), any::<u64>(), any::<bool>())
            .prop_map(|(u, v, l, map)| Op::Raw(m(u, v, l), map)),
    ]
}

fn check_against_reference<const N: usize>(ops: &[Op]) {
    let mut s = AddressSpace::<N>::new();
    let mut r = Reference::default();
    for op in ops {
        let before = s.clone();
        let (result, vcpu, user, count) = match *op {
            Op::Map { user, vcpu, count } => {
                let req = m(user << 20, vcpu << 20, count << 20);
                (s.map(req), vcpu, Some(user), count)
            }
            Op::Unmap { vcpu, count } => (s.unmap(vcpu << 20, count << 20), vcpu, None, count),
            Op::Raw(req, true) => (
                s.map(req),
                req.vcpu_addr >> 20,
                Some(req.user_addr >> 20),
                req.length >> 20,
            ),
            Op::Raw(req, false) => (
                s.unmap(req.vcpu_addr, req.length),
                req.vcpu_addr >> 20,
                None,
                req.length >> 20,
            ),
        };
        let mut next = r.clone();
        match result {
            Ok(()) => {
                next.set(vcpu, user, count);
                r = next;
            }
            Err(SpaceError::Full { needed, capacity }) => {
                assert_eq!(s, before, "full table changed state");
                next.set(vcpu, user, count);
                assert_eq!(needed, next.runs().len(), "capacity must be exact");
                assert!(needed > capacity);
            }
            Err(e) => {
                assert_eq!(s, before, "{e} changed state");
                // Strict rules reject exactly the bad shapes.
                let (u, v, l) = match *op {
                    Op::Raw(req, _) => (req.user_addr, req.vcpu_addr, req.length),
                    Op::Map { user, vcpu, count } => (user << 20, vcpu << 20, count << 20),
                    Op::Unmap { vcpu, count } => (0, vcpu << 20, count << 20),
                };
                let bad = l == 0
                    || (v | l) & (MIB - 1) != 0
                    || v.checked_add(l).is_none()
                    || (user.is_some() && (u & (MIB - 1) != 0 || u.checked_add(l).is_none()));
                assert!(bad, "{op:?} wrongly rejected: {e}");
            }
        }
        assert_eq!(runs_of(&s), r.runs(), "after {op:?}");
        assert!(s.index_is_fresh(), "stale index after {op:?}");
        assert!(s.len() <= N);
        for (&v, &u) in r.0.iter().take(64) {
            assert_eq!(s.translate((v << 20) | 0x7ff), Some((u << 20) | 0x7ff));
        }
    }
}

proptest! {
    #![proptest_config(crate::proptest_config(2048))]

    #[test]
    fn mirror_matches_reference_small_capacity(ops in prop::collection::vec(op(), 1..40)) {
        check_against_reference::<3>(&ops);
    }

    #[test]
    fn mirror_matches_reference_roomy(ops in prop::collection::vec(op(), 1..80)) {
        check_against_reference::<64>(&ops);
    }

    #[test]
    fn kernel_map_matches_reference(
        ops in prop::collection::vec((0u64..24, seg_start(), 0u64..10, prop::option::of(0u64..10), 0usize..3), 1..30)
    ) {
        for g in Generation::ALL {
            let mut s = KernelSpace::<256>::new(g);
            let mut r = Reference::default();
            for &(user, vcpu, count, fail, which) in &ops {
                let req = m(user << 20, vcpu << 20, count << 20);
                if which == 0 {
                    let res = s.unmap(req.vcpu_addr, req.length);
                    if res.is_ok() { r.set(vcpu, None, count); }
                    continue;
                }
                match s.map(&req, fail) {
                    Ok(n) => { r.set(vcpu, Some(user), n); }
                    Err(e) if e.errno().raw_os_error() == 12 => {
                        if g.enomem_keeps_prefix() {
                            r.set(vcpu, Some(user), e.stored());
                        } else {
                            r.set(vcpu, None, count);
                        }
                    }
                    Err(_) => {}
                }
                prop_assert_eq!(runs_of(s.space()), r.runs());
            }
        }
    }
}

#[test]
fn extents_after_and_forget() {
    let mut s = AddressSpace::<2>::new();
    s.map(m(0, 0, 4 * MIB)).unwrap();
    s.map(m(64 * MIB, 10 * MIB, MIB)).unwrap();
    assert_eq!(s.extents_after_unmap(Rules::Strict, MIB, MIB), Ok(3));
    assert_eq!(
        s.extents_after_map(Rules::Strict, &m(4 * MIB, 4 * MIB, MIB)),
        Ok(2)
    );
    assert_eq!(
        s.extents_after_map(Rules::Strict, &m(0, 0, 16 * MIB)),
        Ok(1)
    );
    assert_eq!(
        s.extents_after_map(Rules::Kernel(Generation::C), &m(0, 0, 0)),
        Ok(2)
    );
    assert!(s.extents_after_map(Rules::Strict, &m(0, 1, MIB)).is_err());
    let before = s.clone();
    assert_eq!(s.forget_overlapping(20 * MIB, MIB), None);
    assert_eq!(s, before);
    // Overlapping one byte of each extent drops both, whole.
    assert_eq!(
        s.forget_overlapping(4 * MIB - 1, 6 * MIB + 2),
        Some((0, 11 * MIB))
    );
    assert!(s.is_empty());
}

/// A table of `k` one-segment extents at vcpu segments 0, 2, 4, …, each to
/// its own user segment (so none coalesce), with the gaps between them.
fn spaced<const N: usize>(k: u64) -> AddressSpace<N> {
    let mut s = AddressSpace::<N>::new();
    for i in 0..k {
        s.map(m((1000 + 3 * i) * MIB, 2 * i * MIB, MIB)).unwrap();
    }
    assert_eq!(s.len() as u64, k);
    s
}

/// Every extent's first and last byte, every gap, and past the end.
fn check_spaced<const N: usize>(s: &AddressSpace<N>, k: u64) {
    for i in 0..k {
        let (v, u) = (2 * i * MIB, (1000 + 3 * i) * MIB);
        assert_eq!(s.translate(v), Some(u), "k={k} i={i}");
        assert_eq!(s.translate(v + MIB - 1), Some(u + MIB - 1), "k={k} i={i}");
        assert_eq!(s.translate(v + MIB), None, "k={k} gap {i}");
        assert_eq!(s.extent_at(v).map(Extent::vcpu_addr), Some(v));
    }
    assert_eq!(s.translate(2 * k * MIB), None);
}

#[test]
fn translate_at_search_block_boundaries() {
    for k in [
        0, 1, 15, 16, 17, 31, 32, 33, 47, 48, 49, 255, 256, 257, 511, 512, 513,
    ] {
        let s = spaced::<600>(k);
        check_spaced(&s, k);
        assert_eq!(s.translate(u64::MAX), None);
    }
}

#[test]
fn translate_in_full_tables_of_odd_and_block_sized_capacity() {
    // Capacities that are, and are not, a whole number of search blocks, so
    // the last block is cut short by the end of the table.
    check_spaced(&spaced::<1>(1), 1);
    check_spaced(&spaced::<16>(16), 16);
    check_spaced(&spaced::<17>(17), 17);
    check_spaced(&spaced::<33>(33), 33);
    let mut s = spaced::<33>(33);
    let before = s.clone();
    assert!(matches!(
        s.map(m(0, 200 * MIB, MIB)),
        Err(SpaceError::Full {
            needed: 34,
            capacity: 33
        })
    ));
    assert_eq!(s, before);
    check_spaced(&s, 33);
}

#[test]
fn empty_table_translates_nothing() {
    let s = AddressSpace::<64>::new();
    for a in [0, 1, MIB, u64::MAX >> 1, u64::MAX - MIB + 1, u64::MAX] {
        assert_eq!(s.translate(a), None);
        assert!(!s.is_mapped(a));
    }
    // Emptied again after use, too.
    let mut s = spaced::<64>(40);
    s.unmap(0, 80 * MIB).unwrap();
    assert!(s.is_empty());
    assert_eq!(s.translate(0), None);
    assert_eq!(s, AddressSpace::<64>::new());
}

#[test]
fn the_last_segment_in_a_large_table() {
    // The top segment (u64::MAX >> 20) as the last extent of a table of
    // several blocks, found by the search like any other.
    let top_seg = u64::MAX >> 20;
    for k in [15, 16, 17, 40] {
        let mut s = spaced::<64>(k);
        s.map_with(Rules::Kernel(Generation::C), m(7 * MIB, top_seg << 20, MIB))
            .unwrap();
        assert_eq!(s.len() as u64, k + 1);
        assert_eq!(s.translate(u64::MAX), Some(8 * MIB - 1));
        assert_eq!(s.translate(top_seg << 20), Some(7 * MIB));
        assert_eq!(s.translate((top_seg << 20) - 1), None);
        check_spaced(&s, k);
        s.unmap_with(Rules::Kernel(Generation::C), top_seg << 20, MIB)
            .unwrap();
        assert_eq!(s.translate(u64::MAX), None);
        check_spaced(&s, k);
    }
}

/// Maps `count` segments from `vcpu` to `user` (or unmaps them) in both the
/// table and the reference; a table too full for it must stay as it was.
fn map_or_unmap<const N: usize>(
    s: &mut AddressSpace<N>,
    r: &mut Reference,
    map: bool,
    vcpu: u64,
    user: u64,
    count: u64,
) {
    let before = s.clone();
    let res = if map {
        s.map(m(user << 20, vcpu << 20, count << 20))
    } else {
        s.unmap(vcpu << 20, count << 20)
    };
    match res {
        Ok(()) => r.set(vcpu, map.then_some(user), count),
        Err(SpaceError::Full { .. }) => assert_eq!(*s, before),
        Err(e) => panic!("{e}"),
    }
}

/// Operations spread over 8192 segments with scattered user segments: a
/// few thousand of them build a table of thousands of extents.
fn wide_op() -> impl Strategy<Value = (bool, u64, u64, u64)> {
    (
        prop::bool::weighted(0.8),
        0u64..8192,
        0u64..(1 << 30),
        prop_oneof![4 => Just(1u64), 1 => 1u64..6, 1 => 6u64..64],
    )
}

proptest! {
    #![proptest_config(crate::proptest_config(8))]

    /// At a capacity of 4096, translate, extent_at and the extents agree
    /// with the per-segment reference after thousands of operations.
    #[test]
    fn translate_matches_reference_at_4096(
        ops in prop::collection::vec(wide_op(), 2000..4000)
    ) {
        let mut s = Box::new(AddressSpace::<4096>::new());
        let mut r = Reference::default();
        for (n, &(map, vcpu, user, count)) in ops.iter().enumerate() {
            map_or_unmap(&mut s, &mut r, map, vcpu, user, count);
            if n % 512 == 0 || n + 1 == ops.len() {
                prop_assert_eq!(runs_of(&s), r.runs());
                prop_assert!(s.index_is_fresh());
                for seg in 0..8192 + 64 {
                    let want = r.0.get(&seg).map(|u| (u << 20) | 0x5a5);
                    prop_assert_eq!(s.translate((seg << 20) | 0x5a5), want, "segment {}", seg);
                    prop_assert_eq!(s.is_mapped(seg << 20), want.is_some());
                }
            }
        }
        prop_assert!(s.len() > 256, "only {} extents", s.len());
    }
}

/// Operations over 1024 low segments, now and then one near the top of the
/// address space: the index's buckets go from one segment each to 2^36,
/// from one extent each to all of them in bucket 0, and its base moves.
fn spread_op() -> impl Strategy<Value = (bool, u64, u64, u64)> {
    (
        prop::bool::weighted(0.7),
        prop_oneof![12 => 0u64..1024, 1 => (SEGMENT_COUNT - 64)..(SEGMENT_COUNT - 1)],
        0u64..(1 << 30),
        prop_oneof![4 => Just(1u64), 1 => 1u64..40],
    )
}

proptest! {
    #![proptest_config(crate::proptest_config(64))]

    /// Every change keeps the radix index what the extents alone give, and
    /// translate agrees with the reference on every low segment, at a
    /// capacity (300) that is not a multiple of the bucket count.
    #[test]
    fn index_follows_every_change(ops in prop::collection::vec(spread_op(), 1..400)) {
        let mut s = Box::new(AddressSpace::<300>::new());
        let mut r = Reference::default();
        for &(map, vcpu, user, count) in &ops {
            let count = count.min(SEGMENT_COUNT - 1 - vcpu);
            map_or_unmap(&mut s, &mut r, map, vcpu, user, count);
            prop_assert!(s.index_is_fresh());
        }
        prop_assert_eq!(runs_of(&s), r.runs());
        for seg in (0..1100).chain((SEGMENT_COUNT - 70)..SEGMENT_COUNT) {
            let want = r.0.get(&seg).map(|u| (u << 20) | 0x123);
            prop_assert_eq!(s.translate((seg << 20) | 0x123), want, "segment {}", seg);
        }
    }
}

#[test]
fn a_removed_extent_leaves_a_tombstone_that_the_next_change_takes_back() {
    let mut s = spaced::<80>(64);
    let tail = s.slots[40..64].to_vec();
    // Unmapping extent 20 moves nothing: its slot becomes a tombstone.
    s.unmap(40 * MIB, MIB).unwrap();
    assert_eq!((s.len(), s.used), (63, 64));
    assert_eq!(s.slots[40..64], tail[..]);
    assert_eq!(s.translate(40 * MIB), None);
    assert!(s.index_is_fresh());
    // Mapping into the gap after extent 19 takes the tombstone: still no move.
    s.map(m(7000 * MIB, 39 * MIB, MIB)).unwrap();
    assert_eq!((s.len(), s.used), (64, 64));
    assert_eq!(s.slots[40..64], tail[..]);
    assert_eq!(s.translate(39 * MIB + 5), Some(7000 * MIB + 5));
    assert_eq!(s.translate(40 * MIB), None);
    assert!(s.index_is_fresh());
    // Over and over, the same.
    for _ in 0..100 {
        s.unmap(39 * MIB, MIB).unwrap();
        s.map(m(7000 * MIB, 39 * MIB, MIB)).unwrap();
        assert_eq!(s.used, 64);
    }
    assert_eq!(s.extents().len(), 64);
    assert!(s.index_is_fresh());
}

#[test]
fn tombstones_beyond_the_limit_are_compacted_away() {
    let mut s = spaced::<80>(64);
    for i in 0..=TOMBSTONES_MAX as u64 {
        s.unmap(4 * i * MIB, MIB).unwrap();
        assert!(s.index_is_fresh());
    }
    // One more than the limit: the table holds only live extents again.
    assert_eq!(s.len(), 64 - TOMBSTONES_MAX - 1);
    assert_eq!(s.used, s.len());
    for i in 0..64u64 {
        let want = (i % 2 == 1 || i > 2 * TOMBSTONES_MAX as u64).then(|| (1000 + 3 * i) * MIB);
        assert_eq!(s.translate(2 * i * MIB), want, "extent {i}");
    }
}

#[test]
fn a_full_table_with_tombstones_compacts_to_take_a_new_extent() {
    // Four slots: three extents and the tombstone of a fourth.
    let mut s = spaced::<4>(4);
    s.unmap(0, MIB).unwrap();
    assert_eq!((s.len(), s.used), (3, 4));
    // A new extent far from the tombstone needs a slot the tail has not.
    s.map(m(9000 * MIB, 7 * MIB, MIB)).unwrap();
    assert_eq!((s.len(), s.used), (4, 4));
    assert!(s.index_is_fresh());
    assert_eq!(s.translate(0), None);
    assert_eq!(s.translate(7 * MIB), Some(9000 * MIB));
    assert_eq!(s.translate(6 * MIB), Some((1000 + 9) * MIB));
    assert_eq!(
        s.map(m(9100 * MIB, 9 * MIB, MIB)),
        Err(SpaceError::Full {
            needed: 5,
            capacity: 4
        })
    );
}
