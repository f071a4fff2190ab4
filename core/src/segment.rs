//! 1 MiB segment arithmetic. Every function is `const`, total and
//! overflow-free: what could overflow returns `None`.
//!
//! Internally ucas counts in *segment numbers* (`address >> 20`). There are
//! 2^44 of them, so a half-open range of segment numbers always fits in a
//! `u64`, even one that ends at the top of the 64-bit address space, which a
//! half-open range of byte addresses cannot express.

/// log2 of the segment size.
pub const SEGMENT_SHIFT: u32 = 20;
/// The unit of ucontrol mappings: 1 MiB.
pub const SEGMENT_SIZE: u64 = 1 << SEGMENT_SHIFT;
/// Mask of the offset within a segment.
pub const SEGMENT_MASK: u64 = SEGMENT_SIZE - 1;
/// log2 of the page size.
pub const PAGE_SHIFT: u32 = 12;
/// The s390 page size: 4 KiB.
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;
/// Number of segments in the 64-bit address space (2^44).
pub const SEGMENT_COUNT: u64 = 1 << (64 - SEGMENT_SHIFT);

/// Whether `addr` is a multiple of 1 MiB.
#[must_use]
pub const fn is_segment_aligned(addr: u64) -> bool {
    addr & SEGMENT_MASK == 0
}

/// `addr` rounded down to its segment start.
#[must_use]
pub const fn segment_round_down(addr: u64) -> u64 {
    addr & !SEGMENT_MASK
}

/// `addr` rounded up to a segment boundary, or `None` past `u64::MAX`.
#[must_use]
pub const fn segment_round_up(addr: u64) -> Option<u64> {
    match addr.checked_add(SEGMENT_MASK) {
        Some(v) => Some(segment_round_down(v)),
        None => None,
    }
}

/// `addr` rounded down to its 4 KiB page (what a ucontrol exit reports).
#[must_use]
pub const fn page_round_down(addr: u64) -> u64 {
    addr & !(PAGE_SIZE - 1)
}

/// The segment number of `addr`.
#[must_use]
pub const fn segment_of(addr: u64) -> u64 {
    addr >> SEGMENT_SHIFT
}

/// The first address of segment number `seg` (segments past 2^44 wrap).
#[must_use]
pub const fn segment_start(seg: u64) -> u64 {
    seg << SEGMENT_SHIFT
}

/// How many whole segments `length` bytes are, if it is a multiple of 1 MiB.
#[must_use]
pub const fn segments_in(length: u64) -> Option<u64> {
    if is_segment_aligned(length) {
        Some(length >> SEGMENT_SHIFT)
    } else {
        None
    }
}

/// A half-open range of segment numbers `[first, first + count)` that does not
/// pass the top of the address space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SegmentRange {
    first: u64,
    count: u64,
}

impl SegmentRange {
    /// The empty range.
    pub const EMPTY: Self = Self { first: 0, count: 0 };

    /// The segments of `[addr, addr + length)`, if both are segment-aligned
    /// and the range does not pass 2^64. A range that ends exactly at 2^64 is
    /// accepted here (the kernel's own wrap rule is in [`crate::request`]).
    #[must_use]
    pub const fn from_bytes(addr: u64, length: u64) -> Option<Self> {
        if !is_segment_aligned(addr) || !is_segment_aligned(length) {
            return None;
        }
        Self::new(segment_of(addr), length >> SEGMENT_SHIFT)
    }

    /// `[first, first + count)`, if it stays within the 2^44 segments.
    #[must_use]
    pub const fn new(first: u64, count: u64) -> Option<Self> {
        match first.checked_add(count) {
            Some(end) if end <= SEGMENT_COUNT => Some(Self { first, count }),
            _ => None,
        }
    }

    /// The first segment number.
    #[must_use]
    pub const fn first(&self) -> u64 {
        self.first
    }

    /// How many segments.
    #[must_use]
    pub const fn count(&self) -> u64 {
        self.count
    }

    /// One past the last segment number (at most 2^44).
    #[must_use]
    pub const fn end(&self) -> u64 {
        // Cannot overflow: `new` checked first + count <= 2^44.
        self.first.wrapping_add(self.count)
    }

    /// Whether the range holds no segment.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The first byte address.
    #[must_use]
    pub const fn start_addr(&self) -> u64 {
        segment_start(self.first)
    }

    /// The last byte address, or `None` for an empty range.
    #[must_use]
    pub const fn last_addr(&self) -> Option<u64> {
        if self.count == 0 {
            None
        } else {
            Some(segment_start(self.end().wrapping_sub(1)) | SEGMENT_MASK)
        }
    }

    /// Whether segment number `seg` lies in the range.
    #[must_use]
    pub const fn contains(&self, seg: u64) -> bool {
        seg >= self.first && seg < self.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EDGES: [u64; 6] = [
        0,
        1,
        SEGMENT_SIZE - 1,
        SEGMENT_SIZE,
        u64::MAX - SEGMENT_SIZE + 1,
        u64::MAX,
    ];

    #[test]
    fn alignment_and_rounding_at_the_edges() {
        // (addr, aligned, round_down, round_up)
        let table = [
            (EDGES[0], true, 0, Some(0)),
            (EDGES[1], false, 0, Some(SEGMENT_SIZE)),
            (EDGES[2], false, 0, Some(SEGMENT_SIZE)),
            (EDGES[3], true, SEGMENT_SIZE, Some(SEGMENT_SIZE)),
            (EDGES[4], true, EDGES[4], Some(EDGES[4])),
            (EDGES[5], false, EDGES[4], None),
        ];
        for (addr, aligned, down, up) in table {
            assert_eq!(is_segment_aligned(addr), aligned, "{addr:#x}");
            assert_eq!(segment_round_down(addr), down, "{addr:#x}");
            assert_eq!(segment_round_up(addr), up, "{addr:#x}");
        }
        assert_eq!(page_round_down(0x40_0001), 0x40_0000);
        assert_eq!(page_round_down(u64::MAX), u64::MAX - PAGE_SIZE + 1);
    }

    #[test]
    fn ranges_at_the_edges() {
        assert_eq!(SegmentRange::from_bytes(0, 0), Some(SegmentRange::EMPTY));
        assert_eq!(SegmentRange::from_bytes(1, SEGMENT_SIZE), None);
        assert_eq!(SegmentRange::from_bytes(0, SEGMENT_SIZE - 1), None);
        let top = SegmentRange::from_bytes(EDGES[4], SEGMENT_SIZE).unwrap();
        assert_eq!(top.first(), SEGMENT_COUNT - 1);
        assert_eq!(top.end(), SEGMENT_COUNT);
        assert_eq!(top.last_addr(), Some(u64::MAX));
        assert_eq!(SegmentRange::from_bytes(EDGES[4], 2 * SEGMENT_SIZE), None);
        let all = SegmentRange::from_bytes(0, EDGES[4]).unwrap();
        assert_eq!(all.count(), SEGMENT_COUNT - 1);
        assert!(all.contains(0) && !all.contains(SEGMENT_COUNT - 1));
        assert_eq!(SegmentRange::new(u64::MAX, 2), None);
        assert_eq!(SegmentRange::EMPTY.last_addr(), None);
        assert_eq!(segments_in(3 * SEGMENT_SIZE), Some(3));
        assert_eq!(segments_in(SEGMENT_SIZE + 1), None);
    }
}
