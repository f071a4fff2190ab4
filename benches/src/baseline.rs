//! The two obvious alternatives to the extent table, measured beside it.
//!
//! Both take requests the way the benchmarks build them: segment-aligned,
//! non-empty and not wrapping past 2^64. They skip the validation that
//! [`ucas_core::AddressSpace`] performs on every call, which favours them.

use std::collections::BTreeMap;

use ucas_core::UcasMapping;
use ucas_core::segment::{SEGMENT_MASK, SEGMENT_SHIFT};

/// Per-segment bookkeeping: one `BTreeMap` entry per mapped 1 MiB segment,
/// vcpu segment number → user segment number. The kernel keeps one entry per
/// segment too (a radix tree), so its costs grow with the mapped size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerSegment {
    segments: BTreeMap<u64, u64>,
}

impl PerSegment {
    /// An empty table.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Maps `m` segment by segment, replacing what was there.
    pub fn map(&mut self, m: &UcasMapping) {
        let (vcpu, user) = (m.vcpu_addr >> SEGMENT_SHIFT, m.user_addr >> SEGMENT_SHIFT);
        for i in 0..m.length >> SEGMENT_SHIFT {
            self.segments.insert(vcpu + i, user + i);
        }
    }

    /// Unmaps `[vcpu_addr, vcpu_addr + length)` segment by segment.
    pub fn unmap(&mut self, vcpu_addr: u64, length: u64) {
        let first = vcpu_addr >> SEGMENT_SHIFT;
        for i in 0..length >> SEGMENT_SHIFT {
            self.segments.remove(&(first + i));
        }
    }

    /// The user address `vcpu_addr` resolves to.
    #[must_use]
    pub fn translate(&self, vcpu_addr: u64) -> Option<u64> {
        self.segments
            .get(&(vcpu_addr >> SEGMENT_SHIFT))
            .map(|user| (user << SEGMENT_SHIFT) | (vcpu_addr & SEGMENT_MASK))
    }

    /// The number of mapped segments (= entries).
    #[must_use]
    pub fn len(&self) -> usize {
        self.segments.len()
    }

    /// Whether nothing is mapped.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }
}

/// One run of segments: `count` vcpu segments from `vcpu` resolve to user
/// segments from `user`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    vcpu: u64,
    user: u64,
    count: u64,
}

/// Extents in a `Vec`, in no particular order, found by scanning: the
/// simplest table that is not per segment. Maps do not coalesce.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinearExtents {
    runs: Vec<Run>,
}

impl LinearExtents {
    /// An empty table.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Maps `m`: unmaps the range, then appends one extent.
    pub fn map(&mut self, m: &UcasMapping) {
        self.unmap(m.vcpu_addr, m.length);
        self.runs.push(Run {
            vcpu: m.vcpu_addr >> SEGMENT_SHIFT,
            user: m.user_addr >> SEGMENT_SHIFT,
            count: m.length >> SEGMENT_SHIFT,
        });
    }

    /// Unmaps `[vcpu_addr, vcpu_addr + length)`, trimming or splitting the
    /// extents it overlaps.
    pub fn unmap(&mut self, vcpu_addr: u64, length: u64) {
        let lo = vcpu_addr >> SEGMENT_SHIFT;
        let hi = lo + (length >> SEGMENT_SHIFT);
        let mut i = 0;
        while i < self.runs.len() {
            let r = self.runs[i];
            let end = r.vcpu + r.count;
            if end <= lo || r.vcpu >= hi {
                i += 1;
                continue;
            }
            let left = (r.vcpu < lo).then(|| Run {
                count: lo - r.vcpu,
                ..r
            });
            let right = (end > hi).then(|| Run {
                vcpu: hi,
                user: r.user + (hi - r.vcpu),
                count: end - hi,
            });
            match (left, right) {
                (Some(l), Some(rt)) => {
                    self.runs[i] = l;
                    // Past every run that can overlap: the range lies inside r.
                    self.runs.push(rt);
                    return;
                }
                (Some(one), None) | (None, Some(one)) => {
                    self.runs[i] = one;
                    i += 1;
                }
                (None, None) => {
                    self.runs.swap_remove(i);
                }
            }
        }
    }

    /// The user address `vcpu_addr` resolves to, by linear scan.
    #[must_use]
    pub fn translate(&self, vcpu_addr: u64) -> Option<u64> {
        let seg = vcpu_addr >> SEGMENT_SHIFT;
        self.runs
            .iter()
            .find(|r| seg >= r.vcpu && seg - r.vcpu < r.count)
            .map(|r| ((r.user + (seg - r.vcpu)) << SEGMENT_SHIFT) | (vcpu_addr & SEGMENT_MASK))
    }

    /// The number of extents.
    #[must_use]
    pub fn len(&self) -> usize {
        self.runs.len()
    }

    /// Whether nothing is mapped.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ucas_core::AddressSpace;

    const MIB: u64 = 1 << 20;

    /// xorshift64*: deterministic, good enough to pick operations.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Random maps and unmaps over 48 segments: both baselines translate
    /// every address of the range exactly as the extent table does.
    #[test]
    fn baselines_agree_with_the_extent_table() {
        const SEGS: u64 = 48;
        for seed in 1..=40u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            let mut space = AddressSpace::<64>::new();
            let mut per = PerSegment::new();
            let mut lin = LinearExtents::new();
            for step in 0..60 {
                let first = rng.below(SEGS);
                let count = 1 + rng.below(SEGS - first);
                if rng.below(3) == 0 {
                    space.unmap(first * MIB, count * MIB).unwrap();
                    per.unmap(first * MIB, count * MIB);
                    lin.unmap(first * MIB, count * MIB);
                } else {
                    let m = UcasMapping {
                        user_addr: (0x1000 + rng.below(8) * 16) * MIB,
                        vcpu_addr: first * MIB,
                        length: count * MIB,
                    };
                    space.map(m).unwrap();
                    per.map(&m);
                    lin.map(&m);
                }
                for seg in 0..=SEGS {
                    let addr = seg * MIB + rng.below(MIB);
                    let want = space.translate(addr);
                    assert_eq!(per.translate(addr), want, "seed {seed} step {step}");
                    assert_eq!(lin.translate(addr), want, "seed {seed} step {step}");
                }
                assert_eq!(per.len() as u64, space.mapped_segments());
                assert!(lin.len() >= space.len());
            }
        }
    }

    #[test]
    fn unmapping_the_middle_of_an_extent_splits_it() {
        let mut lin = LinearExtents::new();
        lin.map(&UcasMapping {
            user_addr: 100 * MIB,
            vcpu_addr: 0,
            length: 4 * MIB,
        });
        lin.unmap(MIB, 2 * MIB);
        assert_eq!(lin.len(), 2);
        assert_eq!(lin.translate(0), Some(100 * MIB));
        assert_eq!(lin.translate(MIB), None);
        assert_eq!(lin.translate(2 * MIB + 7), None);
        assert_eq!(lin.translate(3 * MIB + 7), Some(103 * MIB + 7));
    }
}
