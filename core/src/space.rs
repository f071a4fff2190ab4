//! [`AddressSpace`]: one vcpu's address space as a sorted, maximally
//! coalesced table of at most `N` extents.
//!
//! The kernel keeps no queryable record of what a ucontrol vcpu has mapped;
//! this table is that record. The shell uses it as a mirror of the kernel;
//! the emulator's kernel model keeps the very same type inside a
//! [`KernelSpace`], which maps and unmaps as a given kernel generation does,
//! failures included.

use core::fmt;

use crate::Errno;

use crate::abi::UcasMapping;
use crate::request::{RequestError, Rules, SegmentRequest, check_map, check_unmap};
use crate::segment::{SEGMENT_COUNT, SEGMENT_MASK, SEGMENT_SHIFT, SegmentRange, segment_of};

/// A run of vcpu segments that resolve to a run of user segments of the same
/// length: vcpu address `vcpu_addr() + d` resolves to `user_addr() + d`.
///
/// Internally it counts in segment numbers, so no extent can overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Extent {
    vcpu: u64,
    user: u64,
    count: u64,
}

impl Extent {
    /// The first vcpu address.
    #[must_use]
    pub const fn vcpu_addr(&self) -> u64 {
        self.vcpu << SEGMENT_SHIFT
    }

    /// The first user address.
    #[must_use]
    pub const fn user_addr(&self) -> u64 {
        self.user << SEGMENT_SHIFT
    }

    /// The length in bytes; saturates at `u64::MAX` for the one extent that
    /// could cover all 2^64 bytes (its [`Self::segments`] is exact).
    #[must_use]
    pub const fn length(&self) -> u64 {
        match self.count.checked_shl(SEGMENT_SHIFT) {
            Some(bytes) if self.count < SEGMENT_COUNT => bytes,
            _ => u64::MAX,
        }
    }

    /// The number of 1 MiB segments.
    #[must_use]
    pub const fn segments(&self) -> u64 {
        self.count
    }

    /// The vcpu segments the extent covers.
    #[must_use]
    pub const fn vcpu_range(&self) -> SegmentRange {
        bounded_range(self.vcpu, self.count)
    }

    /// The mapping request that would create this extent.
    #[must_use]
    pub const fn as_mapping(&self) -> UcasMapping {
        UcasMapping {
            user_addr: self.user_addr(),
            vcpu_addr: self.vcpu_addr(),
            length: self.length(),
        }
    }

    /// One past the last vcpu segment (at most 2^44).
    const fn vcpu_end(&self) -> u64 {
        // Invariant: vcpu + count <= 2^44, so this never wraps.
        self.vcpu.wrapping_add(self.count)
    }

    /// One past the last user segment (at most 2^44).
    const fn user_end(&self) -> u64 {
        // Invariant: user + count <= 2^44.
        self.user.wrapping_add(self.count)
    }

    /// The user address of `vcpu_addr`, if the extent holds it.
    #[must_use]
    pub const fn translate(&self, vcpu_addr: u64) -> Option<u64> {
        let seg = segment_of(vcpu_addr);
        if seg < self.vcpu || seg >= self.vcpu_end() {
            return None;
        }
        // seg - vcpu < count and user + count <= 2^44: no wrap.
        let user_seg = self.user.wrapping_add(seg.wrapping_sub(self.vcpu));
        Some((user_seg << SEGMENT_SHIFT) | (vcpu_addr & SEGMENT_MASK))
    }

    /// Whether `next` continues this extent in both vcpu and user space.
    const fn joins(&self, next: &Self) -> bool {
        self.vcpu_end() == next.vcpu && self.user_end() == next.user
    }

    /// This extent with `next` appended; only for extents that [`Self::joins`].
    const fn joined(self, next: &Self) -> Self {
        Self {
            vcpu: self.vcpu,
            user: self.user,
            // Both lie within the 2^44 segments and are adjacent.
            count: self.count.wrapping_add(next.count),
        }
    }
}

/// `[first, first + count)` for values the extent invariant already bounds.
const fn bounded_range(first: u64, count: u64) -> SegmentRange {
    match SegmentRange::new(first, count) {
        Some(r) => r,
        None => SegmentRange::EMPTY,
    }
}

/// Why an [`AddressSpace`] operation was refused. The table is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpaceError {
    /// The request breaks a rule (EINVAL from the kernel).
    Request(RequestError),
    /// The result would need more extents than the table holds.
    Full {
        /// Extents the result needs.
        needed: usize,
        /// Extents the table holds.
        capacity: usize,
    },
    /// The request wraps past the top of the address space. Generation C
    /// accepts it, but what it maps is two ranges; the mirror asks for them
    /// one by one.
    Wraps,
}

impl SpaceError {
    /// The errno that best describes the refusal (EINVAL, or ENOMEM when full).
    #[must_use]
    pub const fn errno(&self) -> Errno {
        match self {
            Self::Request(e) => e.errno(),
            Self::Full { .. } => Errno::NOMEM,
            Self::Wraps => Errno::INVAL,
        }
    }
}

impl From<RequestError> for SpaceError {
    fn from(e: RequestError) -> Self {
        Self::Request(e)
    }
}

impl fmt::Display for SpaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Request(e) => e.fmt(f),
            Self::Full { needed, capacity } => write!(
                f,
                "the address-space table would need {needed} extents but holds {capacity}; \
                 unmap something first, merge adjacent mappings, or use a larger capacity"
            ),
            Self::Wraps => f.write_str(
                "the range wraps past 2^64; map the part below 2^64 and the part from 0 \
                 as two requests",
            ),
        }
    }
}

impl core::error::Error for SpaceError {}

/// The rewrite of one window of the table: occupied slots `lo..hi`, which
/// hold `live` extents (and tombstones), are replaced by `with` (at most
/// three: a left remainder, the new extent, a right remainder).
struct Splice {
    lo: usize,
    hi: usize,
    live: usize,
    with: heapless::Vec<Extent, 3>,
}

/// What fills the slots past the last occupied one.
const VACANT: Extent = Extent {
    vcpu: u64::MAX,
    user: 0,
    count: 0,
};

/// Buckets of the lookup index: enough that a table of 4096 evenly spread
/// extents leaves 4 per bucket (one search round), few enough (4.4 KiB of
/// ranks) that the index stays in L1 under a stream of lookups.
const BUCKETS: usize = 1024;

/// Buckets per group of the two-level ranks: a change shifts the ranks of
/// the buckets above it by rewriting one base per group, 32 in all, and
/// the ranks in its own group.
const GROUP: usize = 32;

/// Groups of buckets.
const GROUPS: usize = BUCKETS / GROUP;

/// The most tombstones (see [`AddressSpace`]) a table keeps; one more and
/// the table is compacted. Bounds how far a change looks past tombstones
/// for its live neighbours, and amortises a compaction (one pass over the
/// slots and the index) over this many removals.
const TOMBSTONES_MAX: usize = 16;

/// One vcpu's address space: at most `N` extents, sorted by vcpu address,
/// non-overlapping and maximally coalesced (no extent continues its
/// successor in both vcpu and user space), so the number of extents in use depends only on the mapping
/// and not on the order of the calls that built it.
///
/// Every operation is all-or-nothing: an error leaves the table exactly as it
/// was. Lookups go through a radix index kept beside the extents (see
/// `starts_at_most`): one load picks the run of extents whose starts share
/// the address's bucket, and a branch-free search of that run, O(log n) at
/// worst, finds the extent. Changes move at most the tail of the table and
/// rewrite only the index entries of the buckets the change spans, shifting
/// the rest by the change in length.
///
/// A removed extent leaves a *tombstone* in its slot (an empty extent,
/// which translates nothing), so removing moves nothing, and a later
/// change next to it takes the slot back instead of shifting the tail:
/// mapping and unmapping the same range over and over costs no move at all.
/// A tombstone's start lies between the end of the live extent before it
/// and the start of the one after, so the slots stay sorted and a lookup
/// that lands on a tombstone finds nothing there, as it should. At most
/// `TOMBSTONES_MAX` are kept; [`Self::extents`] skips them.
///
/// ```
/// use ucas_core::{AddressSpace, abi::UcasMapping};
/// const MIB: u64 = 1 << 20;
/// let mut space = AddressSpace::<8>::new();
/// space.map(UcasMapping { user_addr: 0x1000_0000, vcpu_addr: 0, length: 4 * MIB })?;
/// space.unmap(MIB, MIB)?; // punch a hole: two extents now
/// assert_eq!(space.len(), 2);
/// assert_eq!(space.translate(2 * MIB + 5), Some(0x1000_0000 + 2 * MIB + 5));
/// assert_eq!(space.translate(MIB), None);
/// # Ok::<(), ucas_core::SpaceError>(())
/// ```
#[derive(Clone)]
pub struct AddressSpace<const N: usize> {
    /// `slots[..used]` are the extents in vcpu order, with tombstones
    /// (empty extents) among them; the rest are [`VACANT`].
    slots: [Extent; N],
    /// How many slots hold live extents (at most `N`).
    len: usize,
    /// How many slots are occupied, tombstones included (at most `N`, at
    /// most `len + TOMBSTONES_MAX`).
    used: usize,
    /// The radix index: bucket `b` covers the vcpu segments from
    /// `base + (b << shift)` on (the last bucket, all above), where `base` is
    /// the first extent's start and `shift` the least that puts every start
    /// in a bucket; both are 0 for an empty table.
    base: u64,
    /// See `base`.
    shift: u32,
    /// The rank of bucket `b`, how many extents start below its first
    /// segment, is `group_ranks[b / GROUP] + ranks[b]`; the rank of
    /// `BUCKETS` is `used`. Ranks count occupied slots, tombstones too. So the extents that start in bucket `b` are those
    /// from its rank to the next bucket's.
    group_ranks: [usize; GROUPS + 1],
    /// Each bucket's rank less its group's (at most `used`, so at most `N`,
    /// which [`Self::new`] checks fits a `u32`).
    ranks: [u32; BUCKETS + 1],
    /// The first start in each bucket, or `u64::MAX` where none starts
    /// (above every segment): where a bucket holds at most one start,
    /// [`Self::translate`] picks the extent from the index alone.
    lead: [u64; BUCKETS],
}

impl<const N: usize> PartialEq for AddressSpace<N> {
    fn eq(&self, other: &Self) -> bool {
        self.extents().eq(other.extents())
    }
}

impl<const N: usize> Eq for AddressSpace<N> {}

impl<const N: usize> fmt::Debug for AddressSpace<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddressSpace")
            .field("extents", &self.extents())
            .finish()
    }
}

impl<const N: usize> Default for AddressSpace<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> AddressSpace<N> {
    /// An empty address space; `const`, so it can live in a `static`.
    #[must_use]
    pub const fn new() -> Self {
        const {
            // The in-group ranks are u32s (no target has a usize narrower).
            assert!(matches!(N.checked_shr(32), None | Some(0)));
        }
        Self {
            slots: [VACANT; N],
            len: 0,
            used: 0,
            base: 0,
            shift: 0,
            group_ranks: [0; GROUPS + 1],
            ranks: [0; BUCKETS + 1],
            lead: [u64::MAX; BUCKETS],
        }
    }

    /// How many extents are in use.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is mapped.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The most extents the table holds (`N`).
    #[must_use]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// The extents in vcpu-address order.
    #[must_use]
    pub fn extents(&self) -> Extents<'_> {
        Extents {
            slots: self.occupied().iter(),
            left: self.len,
        }
    }

    /// Iterates over the extents in vcpu-address order (as [`Self::extents`]).
    pub fn iter(&self) -> Extents<'_> {
        self.extents()
    }

    /// The occupied slots: the extents and the tombstones among them.
    fn occupied(&self) -> &[Extent] {
        // used <= N always.
        self.slots.get(..self.used).unwrap_or(&[])
    }

    /// The number of mapped segments.
    #[must_use]
    pub fn mapped_segments(&self) -> u64 {
        // At most 2^44 segments in all (a tombstone counts 0): no overflow.
        self.occupied()
            .iter()
            .fold(0u64, |n, e| n.wrapping_add(e.count))
    }

    /// The number of mapped bytes (up to 2^64, hence `u128`).
    #[must_use]
    pub fn mapped_bytes(&self) -> u128 {
        u128::from(self.mapped_segments()) << SEGMENT_SHIFT
    }

    /// The extent holding `vcpu_addr`, found through the index (see `starts_at_most`).
    #[must_use]
    pub fn extent_at(&self, vcpu_addr: u64) -> Option<&Extent> {
        let seg = segment_of(vcpu_addr);
        let e = self.slots.get(self.starts_at_most(seg).checked_sub(1)?)?;
        (seg < e.vcpu_end()).then_some(e)
    }

    /// How many extents start at or below segment `seg`: the index of the
    /// first extent that starts above it.
    ///
    /// The radix index narrows the search to the extents that start in
    /// `seg`'s bucket (those before start below it, those after above `seg`):
    /// four independent loads from the ranks, then [`Self::search`] of that
    /// run. For evenly spread extents the run is about `len / 1024` long
    /// (one search round for 4096 extents instead of six); however uneven,
    /// it is never longer than the table, so a lookup stays O(log n).
    fn starts_at_most(&self, seg: u64) -> usize {
        // Below base nothing starts (bucket 0 then counts none); above the
        // last bucket's first segment, the last bucket.
        let bucket = seg
            .saturating_sub(self.base)
            .checked_shr(self.shift)
            .unwrap_or(0);
        let b = usize::try_from(bucket).map_or(BUCKETS - 1, |b| b.min(BUCKETS - 1));
        // b < BUCKETS: both ranks exist, and they are sorted: to >= from.
        let (from, to) = (self.rank(b), self.rank(b.wrapping_add(1)));
        let (base, size) = self.search(from, to.wrapping_sub(from), seg);
        let at_most = self.slots.get(base).is_some_and(|e| e.vcpu <= seg);
        base.wrapping_add(usize::from(size == 1 && at_most))
    }

    /// Narrows the run `[base, base + size)` to at most one extent, given
    /// that those below `base` start at or below `seg` and those from
    /// `base + size` (at most `len`) on above it.
    ///
    /// A branch-free four-way search: each round loads the starts at the
    /// quarter points of the candidate run, three independent loads the CPU
    /// issues together, and keeps the quarter that holds the answer by
    /// conditional moves, half the dependent rounds of a binary search and
    /// no round waits on a mispredicted branch. Every probed index lies
    /// below `used` (the quarter points of `[base, base + size)`); clamping
    /// it to the last slot only tells the compiler so.
    fn search(&self, mut base: usize, mut size: usize, seg: u64) -> (usize, usize) {
        use core::hint::select_unpredictable as select;
        let Some(last) = N.checked_sub(1) else {
            return (0, 0);
        };
        let slots = &self.slots;
        let at_most = |i: usize| slots[i.min(last)].vcpu <= seg;
        // Indices stay below used <= N and 3 * size fits (an extent is 24
        // bytes), so nothing below wraps.
        while size > 1 {
            let q1 = base.wrapping_add(size.wrapping_shr(2));
            let q2 = base.wrapping_add(size.wrapping_shr(1));
            let q3 = base.wrapping_add(size.wrapping_mul(3).wrapping_shr(2));
            let end = base.wrapping_add(size);
            // The starts are sorted: b3 implies b2 implies b1.
            let (b1, b2, b3) = (at_most(q1), at_most(q2), at_most(q3));
            let lo = select(b3, q3, select(b2, q2, select(b1, q1, base)));
            let hi = select(b3, end, select(b2, q3, select(b1, q2, q1)));
            base = lo;
            size = hi.wrapping_sub(lo);
        }
        // Size 0 only when the first quarter point was `base` itself and
        // started above `seg`: then `base` is the answer; size 1 leaves
        // one start to compare.
        (base, size)
    }

    /// The first segment of bucket `b` (at most 2^44 + 2^44: no wrap).
    fn bucket_start(&self, b: usize) -> u64 {
        let b = u64::try_from(b).unwrap_or(u64::MAX);
        self.base.wrapping_add(b.wrapping_shl(self.shift))
    }

    /// Whether the index is what the occupied slots alone give (tests
    /// only): the grid of the first start and the spread, every bucket's
    /// rank counted afresh, each group's rank its first bucket's; and
    /// whether the slots keep their rules: sorted, `len` live extents and
    /// at most `TOMBSTONES_MAX` tombstones, each starting between the end
    /// of the live extent before it and the start of the one after, the
    /// rest [`VACANT`].
    #[cfg(test)]
    fn index_is_fresh(&self) -> bool {
        let occupied = self.occupied();
        let live = occupied.iter().filter(|e| e.count > 0).count();
        let sorted = occupied.windows(2).all(|w| w[0].vcpu <= w[1].vcpu);
        let mut floor = 0;
        let tombstones_between = occupied.iter().enumerate().all(|(i, e)| {
            if e.count > 0 {
                floor = e.vcpu_end();
                return true;
            }
            let ceiling = occupied[i..]
                .iter()
                .find(|n| n.count > 0)
                .map_or(u64::MAX, |n| n.vcpu);
            floor <= e.vcpu && e.vcpu <= ceiling
        });
        let slots_ok = sorted
            && tombstones_between
            && live == self.len
            && self.used - self.len <= TOMBSTONES_MAX
            && self.slots[self.used..].iter().all(|e| *e == VACANT);
        let grid = match occupied {
            [] => (0, 0),
            [head, .., tail] => {
                let wide = (tail.vcpu - head.vcpu) >> BUCKETS.trailing_zeros();
                (head.vcpu, 64 - wide.leading_zeros())
            }
            [only] => (only.vcpu, 0),
        };
        slots_ok
            && grid == (self.base, self.shift)
            && (0..BUCKETS).all(|b| self.rank(b) == self.starts_below(self.bucket_start(b)))
            && (0..GROUPS).all(|g| self.ranks[g * GROUP] == 0)
            && self.rank(BUCKETS) == self.used
            && (0..BUCKETS).all(|b| {
                let (from, to) = (self.rank(b), self.rank(b + 1));
                let lead = if from < to {
                    self.slots[from].vcpu
                } else {
                    u64::MAX
                };
                self.lead[b] == lead
            })
    }

    /// How many occupied slots start below segment `at`, without the index.
    fn starts_below(&self, at: u64) -> usize {
        self.occupied().partition_point(|e| e.vcpu < at)
    }

    /// Brings the index up to date after a splice changed the extents from
    /// `lo` on, whose starts (removed or added) all lie in
    /// `[first, last]`, and moved the ones after by `grew` slots up
    /// (removals leave tombstones, and compaction rebuilds the index, so
    /// nothing moves down). Buckets that begin at or below `first` keep their
    /// rank, those that begin above `last` shift by the change, and only
    /// those between are counted again; if the first start or the spread of
    /// the starts needs another `base` or `shift`, every rank is.
    fn reindex(&mut self, first: u64, last: u64, grew: usize) {
        let grid = (self.base, self.shift);
        self.reindex_ranks(first, last, grew);
        // The buckets whose first start may have changed: those holding a
        // start the splice removed or added, or all on a new grid.
        let (lo, hi) = if grid == (self.base, self.shift) {
            let bucket_of = |x: u64| {
                let b = x
                    .wrapping_sub(self.base)
                    .checked_shr(self.shift)
                    .unwrap_or(0);
                usize::try_from(b).map_or(BUCKETS - 1, |b| b.min(BUCKETS - 1))
            };
            (bucket_of(first), bucket_of(last))
        } else {
            (0, BUCKETS - 1)
        };
        for b in lo..=hi {
            let (from, to) = (self.rank(b), self.rank(b.wrapping_add(1)));
            self.lead[b] = match self.slots.get(from) {
                Some(e) if from < to => e.vcpu,
                _ => u64::MAX,
            };
        }
    }

    /// The ranks part of [`Self::reindex`].
    fn reindex_ranks(&mut self, first: u64, last: u64, grew: usize) {
        let (base, shift) = match self.occupied() {
            [] => (0, 0),
            [head, .., tail] => {
                let wide = tail
                    .vcpu
                    .wrapping_sub(head.vcpu)
                    .wrapping_shr(BUCKETS.trailing_zeros());
                (head.vcpu, 64u32.wrapping_sub(wide.leading_zeros()))
            }
            [only] => (only.vcpu, 0),
        };
        // The bucket holding segment x >= base, or past the last.
        let bucket_of = |x: u64| {
            let b = x.wrapping_sub(base).checked_shr(shift).unwrap_or(0);
            usize::try_from(b).map_or(BUCKETS, |b| b.min(BUCKETS))
        };
        // Buckets [recount, shifted) begin in (first, last], those from
        // shifted on above last.
        if (base, shift) != (self.base, self.shift) {
            (self.base, self.shift) = (base, shift);
            // A new grid: walk the extents once. Extent i is the first to
            // start in or above the buckets after the previous extent's
            // bucket up to its own; the buckets after the last, none.
            let mut next = 0;
            for i in 0..self.used {
                let start = self.slots.get(i).map_or(u64::MAX, |e| e.vcpu);
                let own = bucket_of(start).min(BUCKETS - 1).wrapping_add(1);
                self.fill_ranks(next, own, i);
                next = next.max(own);
            }
            self.fill_ranks(next, BUCKETS, self.used);
            self.group_ranks[GROUPS] = self.used;
            return;
        }
        // Unchanged base: every start, old or new, lies at or above it.
        let after = |x: u64| bucket_of(x).wrapping_add(1).min(BUCKETS);
        let (recount, shifted) = (after(first), after(last));
        if grew == 0 && recount == shifted {
            // No bucket begins among the changed starts and nothing moved
            // (a tombstone taken back, or left): every rank stands.
            return;
        }
        // Groups that begin at or above `shifted` shift as a whole; the
        // groups that hold buckets of [recount, shifted) are written anew,
        // bucket by bucket.
        let whole = shifted.div_ceil(GROUP).min(GROUPS);
        for rank in self.group_ranks.get_mut(whole..GROUPS).unwrap_or(&mut []) {
            *rank = rank.wrapping_add(grew);
        }
        for g in (recount / GROUP)..whole {
            let first_bucket = g.wrapping_mul(GROUP);
            let end = first_bucket.wrapping_add(GROUP);
            if first_bucket < recount {
                // The group's own rank stands: recount its buckets in
                // [recount, shifted) and shift those above by the change.
                let group_rank = self.group_ranks[g];
                for b in recount..shifted.min(end) {
                    let rank = self.starts_below(self.bucket_start(b));
                    // rank - group_rank <= used <= N fits (see `new`).
                    self.ranks[b] =
                        u32::try_from(rank.wrapping_sub(group_rank)).unwrap_or(u32::MAX);
                }
                let delta = u32::try_from(grew).unwrap_or(0);
                for rank in self
                    .ranks
                    .get_mut(shifted.max(recount)..end)
                    .unwrap_or(&mut [])
                {
                    *rank = rank.wrapping_add(delta);
                }
                continue;
            }
            let mut group_rank = 0;
            for b in first_bucket..first_bucket.wrapping_add(GROUP) {
                let rank = if b < recount {
                    self.rank(b)
                } else if b < shifted {
                    self.starts_below(self.bucket_start(b))
                } else {
                    self.rank(b).wrapping_add(grew)
                };
                if b == first_bucket {
                    group_rank = rank;
                }
                // rank - group_rank <= used <= N fits (see `new`).
                self.ranks[b] = u32::try_from(rank.wrapping_sub(group_rank)).unwrap_or(u32::MAX);
            }
            // Written after its buckets, which read it while old.
            self.group_ranks[g] = group_rank;
        }
        self.group_ranks[GROUPS] = self.used;
    }

    /// Sets the rank of buckets `from..to` (in order after those below) to
    /// `rank`: a group's base where a group begins, one fill per group.
    fn fill_ranks(&mut self, from: usize, to: usize, rank: usize) {
        let mut b = from;
        while b < to {
            let g = b / GROUP;
            let group_end = g.wrapping_add(1).wrapping_mul(GROUP).min(to);
            if b.is_multiple_of(GROUP) {
                self.group_ranks[g] = rank;
            }
            // rank - its group's rank <= used <= N fits (see `new`).
            let within = u32::try_from(rank.wrapping_sub(self.group_ranks[g])).unwrap_or(u32::MAX);
            if let Some(run) = self.ranks.get_mut(b..group_end) {
                run.fill(within);
            }
            b = group_end;
        }
    }

    /// How many extents start below bucket `b` (at most `BUCKETS`).
    fn rank(&self, b: usize) -> usize {
        let within = usize::try_from(self.ranks[b]).unwrap_or(usize::MAX);
        self.group_ranks[b / GROUP].wrapping_add(within)
    }

    /// The index of the first extent that ends after segment `seg`, as
    /// `partition_point(|e| e.vcpu_end() <= seg)` finds it.
    fn first_ending_after(&self, seg: u64) -> usize {
        self.ending_after(seg, self.starts_at_most(seg))
    }

    /// [`Self::first_ending_after`] given `starts = starts_at_most(seg)`:
    /// the extent before that index is the only one that can hold `seg`.
    fn ending_after(&self, seg: u64, starts: usize) -> usize {
        match starts.checked_sub(1).and_then(|j| self.slots.get(j)) {
            Some(e) if e.vcpu_end() > seg => starts.wrapping_sub(1),
            _ => starts,
        }
    }

    /// The user address `vcpu_addr` resolves to, or `None` where unmapped.
    /// O(log n).
    #[must_use]
    pub fn translate(&self, vcpu_addr: u64) -> Option<u64> {
        let seg = segment_of(vcpu_addr);
        // A segment below `base` wraps into the last bucket, where every
        // start lies above it: whatever extent the lookup then picks starts
        // above `seg` too, and the extent's own check refuses it.
        let bucket = seg.wrapping_sub(self.base).wrapping_shr(self.shift);
        let b = usize::try_from(bucket).map_or(BUCKETS - 1, |b| b.min(BUCKETS - 1));
        let (from, to) = (self.rank(b), self.rank(b.wrapping_add(1)));
        let starts = if to.wrapping_sub(from) <= 1 {
            // At most one extent starts in the bucket, at `lead[b]` (or
            // none, and `lead[b]` lies above every segment): the answer
            // needs no slot load, so only one slot load waits on the index.
            from.wrapping_add(usize::from(seg >= self.lead[b]))
        } else {
            let (base, size) = self.search(from, to.wrapping_sub(from), seg);
            let at_most = self.slots.get(base).is_some_and(|e| e.vcpu <= seg);
            base.wrapping_add(usize::from(size == 1 && at_most))
        };
        self.slots.get(starts.checked_sub(1)?)?.translate(vcpu_addr)
    }

    /// Whether the segment holding `vcpu_addr` is mapped.
    #[must_use]
    pub fn is_mapped(&self, vcpu_addr: u64) -> bool {
        self.extent_at(vcpu_addr).is_some()
    }

    /// Reverse lookup: the parts of the vcpu address space that resolve into
    /// user memory `[user_addr, user_addr + length)`, as (vcpu address,
    /// user address, length) triples clipped to that range, in vcpu order.
    /// Several vcpu ranges may resolve to the same user memory.
    pub fn vcpu_ranges_for(
        &self,
        user_addr: u64,
        length: u64,
    ) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        // Work in bytes as u128 so ranges that end at 2^64 need no care.
        let lo = u128::from(user_addr);
        let hi = lo.saturating_add(u128::from(length)).min(1u128 << 64);
        self.extents().filter_map(move |e| {
            let u0 = u128::from(e.user) << SEGMENT_SHIFT;
            let u1 = u128::from(e.user_end()) << SEGMENT_SHIFT;
            let (a, b) = (u0.max(lo), u1.min(hi));
            if a >= b {
                return None;
            }
            let v = (u128::from(e.vcpu) << SEGMENT_SHIFT).checked_add(a.checked_sub(u0)?)?;
            // All three are below 2^64: a < b <= 2^64 and v < vcpu end <= 2^64;
            // a length of exactly 2^64 is reported as u64::MAX.
            let len = b.checked_sub(a)?;
            Some((
                u64::try_from(v).ok()?,
                u64::try_from(a).ok()?,
                u64::try_from(len).unwrap_or(u64::MAX),
            ))
        })
    }

    /// Maps under [`Rules::Strict`]: whatever the range covered is replaced
    /// (kernel semantics), splitting extents as needed.
    ///
    /// # Errors
    /// [`SpaceError::Request`] for a request the strict rules reject,
    /// [`SpaceError::Full`] when the result needs more than `N` extents.
    /// The table is unchanged on error.
    pub fn map(&mut self, m: UcasMapping) -> Result<(), SpaceError> {
        self.map_with(Rules::Strict, m)
    }

    /// Maps under the given rules; a request the rules accept as a no-op
    /// (length 0 on generation C) changes nothing.
    ///
    /// # Errors
    /// As [`Self::map`]; also [`SpaceError::Wraps`] for a wrapping request
    /// that generation C would accept.
    pub fn map_with(&mut self, rules: Rules, m: UcasMapping) -> Result<(), SpaceError> {
        match self.plan_map(rules, &m)? {
            Some(splice) => {
                self.apply(splice);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Unmaps under [`Rules::Strict`]; segments that were not mapped are fine.
    ///
    /// # Errors
    /// [`SpaceError::Request`] for a rejected request; [`SpaceError::Full`]
    /// when punching a hole into an extent needs one more extent than `N`.
    /// The table is unchanged on error.
    pub fn unmap(&mut self, vcpu_addr: u64, length: u64) -> Result<(), SpaceError> {
        self.unmap_with(Rules::Strict, vcpu_addr, length)
    }

    /// Unmaps under the given rules.
    ///
    /// # Errors
    /// As [`Self::unmap`]; also [`SpaceError::Wraps`].
    pub fn unmap_with(
        &mut self,
        rules: Rules,
        vcpu_addr: u64,
        length: u64,
    ) -> Result<(), SpaceError> {
        match self.plan_unmap(rules, vcpu_addr, length)? {
            Some(splice) => {
                self.apply(splice);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Whether [`Self::map_with`] would succeed, without changing anything:
    /// the shell asks this before it calls the kernel.
    ///
    /// # Errors
    /// The error [`Self::map_with`] would return.
    pub fn check_map(&self, rules: Rules, m: &UcasMapping) -> Result<(), SpaceError> {
        self.plan_map(rules, m).map(drop)
    }

    /// Whether [`Self::unmap_with`] would succeed, without changing anything.
    ///
    /// # Errors
    /// The error [`Self::unmap_with`] would return.
    pub fn check_unmap(&self, rules: Rules, vcpu_addr: u64, length: u64) -> Result<(), SpaceError> {
        self.plan_unmap(rules, vcpu_addr, length).map(drop)
    }

    /// How many extents the table would hold after [`Self::map_with`],
    /// whatever its capacity: lets a caller enforce a smaller, run-time limit.
    ///
    /// # Errors
    /// [`SpaceError::Request`] or [`SpaceError::Wraps`] for a rejected request.
    pub fn extents_after_map(&self, rules: Rules, m: &UcasMapping) -> Result<usize, SpaceError> {
        match check_map(rules, m)? {
            None => Ok(self.len()),
            Some(req) => self.extents_after(&req, true),
        }
    }

    /// How many extents the table would hold after [`Self::unmap_with`].
    ///
    /// # Errors
    /// [`SpaceError::Request`] or [`SpaceError::Wraps`] for a rejected request.
    pub fn extents_after_unmap(
        &self,
        rules: Rules,
        vcpu_addr: u64,
        length: u64,
    ) -> Result<usize, SpaceError> {
        match check_unmap(rules, vcpu_addr, length)? {
            None => Ok(self.len()),
            Some(req) => self.extents_after(&req, false),
        }
    }

    fn extents_after(&self, req: &SegmentRequest, map: bool) -> Result<usize, SpaceError> {
        let range = SegmentRange::new(req.vcpu_first, req.count)
            .filter(|_| !req.wraps())
            .ok_or(SpaceError::Wraps)?;
        Ok(self.len_after(&self.plan_replace(range, map.then_some(req.user_first))))
    }

    /// Drops every extent that overlaps `[vcpu_addr, vcpu_addr + length)`
    /// (byte range, clipped at 2^64), whole. It never needs capacity, so it
    /// always succeeds: a caller that no longer knows what the kernel holds
    /// in a range uses it so the table claims nothing it cannot vouch for.
    /// Returns the vcpu range dropped, as (first address, length in bytes;
    /// `u64::MAX` for all of it), or `None` if nothing overlapped.
    pub fn forget_overlapping(&mut self, vcpu_addr: u64, length: u64) -> Option<(u64, u64)> {
        if length == 0 {
            return None;
        }
        let first = segment_of(vcpu_addr);
        let last = segment_of(vcpu_addr.saturating_add(length.wrapping_sub(1)));
        let lo = self.first_ending_after(first);
        let hi = self.starts_at_most(last);
        let window = self.occupied().get(lo..hi).unwrap_or(&[]);
        let start = window.iter().find(|e| e.count > 0)?.vcpu;
        let end = window.iter().rev().find(|e| e.count > 0)?.vcpu_end();
        let dropped = Extent {
            vcpu: start,
            user: 0,
            count: end.wrapping_sub(start),
        };
        let live = live_in(window);
        self.apply(Splice {
            lo,
            hi,
            live,
            with: heapless::Vec::new(),
        });
        Some((dropped.vcpu_addr(), dropped.length()))
    }

    fn plan_map(&self, rules: Rules, m: &UcasMapping) -> Result<Option<Splice>, SpaceError> {
        let Some(req) = check_map(rules, m)? else {
            return Ok(None);
        };
        self.plan_request(&req, true).map(Some)
    }

    fn plan_unmap(
        &self,
        rules: Rules,
        vcpu_addr: u64,
        length: u64,
    ) -> Result<Option<Splice>, SpaceError> {
        let Some(req) = check_unmap(rules, vcpu_addr, length)? else {
            return Ok(None);
        };
        self.plan_request(&req, false).map(Some)
    }

    fn plan_request(&self, req: &SegmentRequest, map: bool) -> Result<Splice, SpaceError> {
        if req.wraps() {
            return Err(SpaceError::Wraps);
        }
        let range = SegmentRange::new(req.vcpu_first, req.count).ok_or(SpaceError::Wraps)?;
        let splice = self.plan_replace(range, map.then_some(req.user_first));
        if self.fits(&splice) {
            Ok(splice)
        } else {
            Err(SpaceError::Full {
                needed: self.len_after(&splice),
                capacity: N,
            })
        }
    }

    fn len_after(&self, s: &Splice) -> usize {
        // The window's live extents are among the table's, and at most
        // three come in.
        self.len.wrapping_sub(s.live).wrapping_add(s.with.len())
    }

    fn fits(&self, s: &Splice) -> bool {
        self.len_after(s) <= N
    }

    /// Plans making `range` resolve to user segments from `user` on (or
    /// unmapped, for `None`), keeping the table sorted and coalesced.
    fn plan_replace(&self, range: SegmentRange, user: Option<u64>) -> Splice {
        let (v, end) = (range.first(), range.end());
        let occupied = self.occupied();
        let at_v = self.starts_at_most(v);
        // The slot of the extent holding `v`, or the first to start above
        // it (a tombstone before `at_v` holds nothing).
        let mut lo = self.ending_after(v, at_v);
        // Slots starting below `end` (none for an empty range at 0); for
        // one segment, the search just made.
        let mut hi = match end.checked_sub(1) {
            Some(last) if last == v => at_v,
            Some(last) => self.starts_at_most(last),
            None => 0,
        };
        let overlapped = occupied.get(lo..hi).unwrap_or(&[]);
        // What survives of the first and last overlapped extents.
        let mut left = overlapped
            .first()
            .filter(|e| e.count > 0 && e.vcpu < v)
            .map(|e| Extent {
                vcpu: e.vcpu,
                user: e.user,
                count: v.wrapping_sub(e.vcpu),
            });
        let mut right = overlapped
            .iter()
            .rev()
            .find(|e| e.count > 0)
            .filter(|e| e.vcpu_end() > end)
            .map(|e| Extent {
                vcpu: end,
                user: e.user.wrapping_add(end.wrapping_sub(e.vcpu)),
                count: e.vcpu_end().wrapping_sub(end),
            });
        let mut live = live_in(overlapped);
        let mut with = heapless::Vec::new();
        let mut middle = user.map(|user| Extent {
            vcpu: v,
            user,
            count: range.count(),
        });
        if let Some(mut m) = middle {
            // Coalesce with what lies to the left: the left remainder, or the
            // untouched extent that ends exactly where the range starts
            // (past the tombstones between, which the window then takes in).
            if let Some(l) = left.filter(|l| l.joins(&m)) {
                m = l.joined(&m);
                left = None;
            } else if left.is_none()
                && let Some(prev) = occupied
                    .get(..lo)
                    .and_then(|before| before.iter().rposition(|e| e.count > 0))
                && occupied[prev].joins(&m)
            {
                m = occupied[prev].joined(&m);
                lo = prev;
                live = live.wrapping_add(1);
            }
            if let Some(r) = right.filter(|r| m.joins(r)) {
                m = m.joined(&r);
                right = None;
            } else if right.is_none()
                && let Some(next) = occupied
                    .get(hi..)
                    .and_then(|after| after.iter().position(|e| e.count > 0))
                    .map(|i| hi.wrapping_add(i))
                && m.joins(&occupied[next])
            {
                m = m.joined(&occupied[next]);
                hi = next.wrapping_add(1);
                live = live.wrapping_add(1);
            }
            middle = Some(m);
        }
        for e in [left, middle, right].into_iter().flatten() {
            // Three slots for at most three extents.
            let _ = with.push(e);
        }
        Splice { lo, hi, live, with }
    }

    /// Carries out a splice that [`Self::fits`]: the window's slots, with
    /// tombstones next to it when it needs more, take the new extents in
    /// order; slots left over become tombstones; only a window still too
    /// small moves the tail (after a compaction, if the slots are full).
    fn apply(&mut self, s: Splice) {
        let added = s.with.len();
        let (mut lo, mut hi) = (s.lo, s.hi);
        if lo == hi && added == 0 {
            return;
        }
        // A tombstone next to the window lies between its live neighbours,
        // so the new extents may take it.
        while hi.wrapping_sub(lo) < added && self.occupied().get(hi).is_some_and(|e| e.count == 0) {
            hi = hi.wrapping_add(1);
        }
        while hi.wrapping_sub(lo) < added
            && let Some(before) = lo.checked_sub(1)
            && self.slots.get(before).is_some_and(|e| e.count == 0)
        {
            lo = before;
        }
        let mut rebuild = false;
        let mut grew = 0;
        if hi.wrapping_sub(lo) < added {
            if self
                .used
                .wrapping_add(added.wrapping_sub(hi.wrapping_sub(lo)))
                > N
            {
                // Only tombstones can fill the slots, as the result fits:
                // drop them, and find the window among what remains.
                let occupied = self.occupied();
                let before = live_in(occupied.get(..lo).unwrap_or(&[]));
                let within = live_in(occupied.get(lo..hi).unwrap_or(&[]));
                self.compact_slots();
                (lo, hi) = (before, before.wrapping_add(within));
                rebuild = true;
            }
            // After a compaction the window may be too small still (or
            // again): then `used + need = len_after <= N`.
            grew = added.saturating_sub(hi.wrapping_sub(lo));
            if grew > 0 {
                self.slots.copy_within(hi..self.used, hi.wrapping_add(grew));
                self.used = self.used.wrapping_add(grew);
            }
        }
        // The lowest and highest start the window held: with the new ones,
        // they bound the starts that change.
        let old = self.slots.get(lo..hi).unwrap_or(&[]);
        let old_span = old.first().zip(old.last()).map(|(a, z)| (a.vcpu, z.vcpu));
        let hi = hi.wrapping_add(grew);
        // What follows the last new extent starts at its end or later.
        let tail_start = s.with.last().map(Extent::vcpu_end);
        let window = self.slots.get_mut(lo..hi).unwrap_or(&mut []);
        let (new, rest) = window.split_at_mut(added.min(window.len()));
        for (slot, e) in new.iter_mut().zip(&s.with) {
            *slot = *e;
        }
        for slot in rest {
            // A removed extent keeps its start (at or past the end of the
            // live extent before it); behind a new extent, its end.
            *slot = Extent {
                vcpu: tail_start.unwrap_or(slot.vcpu),
                user: 0,
                count: 0,
            };
        }
        self.len = self.len.wrapping_sub(s.live).wrapping_add(added);
        if self.used.wrapping_sub(self.len) > TOMBSTONES_MAX {
            self.compact_slots();
            rebuild = true;
        }
        if rebuild {
            self.rebuild_index();
            return;
        }
        let window = self.slots.get(lo..hi).unwrap_or(&[]);
        let new_span = window
            .first()
            .zip(window.last())
            .map(|(a, z)| (a.vcpu, z.vcpu));
        let (first, last) = match (old_span, new_span) {
            (Some((a, z)), Some((b, y))) => (a.min(b), z.max(y)),
            (Some(span), None) | (None, Some(span)) => span,
            (None, None) => return,
        };
        self.reindex(first, last, grew);
    }

    /// Drops the tombstones: the live extents move down in order, the
    /// freed slots become [`VACANT`]. The index is left to the caller.
    fn compact_slots(&mut self) {
        let used = self.used;
        let mut kept = 0;
        for i in 0..used {
            if let Some(e) = self.slots.get(i).copied().filter(|e| e.count > 0) {
                self.slots[kept] = e;
                kept = kept.wrapping_add(1);
            }
        }
        if let Some(freed) = self.slots.get_mut(kept..used) {
            freed.fill(VACANT);
        }
        self.used = kept;
    }

    /// Builds the index afresh from the occupied slots.
    fn rebuild_index(&mut self) {
        // A grid no table has (shift 64 and above is never computed), so
        // the reindex recounts every bucket.
        self.shift = u32::MAX;
        self.reindex(0, u64::MAX, 0);
    }
}

/// How many live extents (not tombstones) a run of slots holds.
fn live_in(slots: &[Extent]) -> usize {
    slots.iter().filter(|e| e.count > 0).count()
}

/// The extents of an [`AddressSpace`] in vcpu-address order (tombstones
/// skipped), from [`AddressSpace::extents`].
#[derive(Clone)]
pub struct Extents<'a> {
    slots: core::slice::Iter<'a, Extent>,
    /// Live extents not yet yielded.
    left: usize,
}

impl<'a> Iterator for Extents<'a> {
    type Item = &'a Extent;

    fn next(&mut self) -> Option<&'a Extent> {
        let e = self.slots.find(|e| e.count > 0)?;
        self.left = self.left.saturating_sub(1);
        Some(e)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl DoubleEndedIterator for Extents<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let e = self.slots.rfind(|e| e.count > 0)?;
        self.left = self.left.saturating_sub(1);
        Some(e)
    }
}

impl ExactSizeIterator for Extents<'_> {}

impl core::iter::FusedIterator for Extents<'_> {}

impl fmt::Debug for Extents<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

impl<'a, const N: usize> IntoIterator for &'a AddressSpace<N> {
    type Item = &'a Extent;
    type IntoIter = Extents<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.extents()
    }
}

/// Splits the first `count` segments of a request into pieces whose vcpu and
/// user ranges do not wrap, in the order the kernel stores them.
fn pieces(req: &SegmentRequest, count: u64) -> impl Iterator<Item = (SegmentRange, u64)> {
    let mut done = 0u64;
    core::iter::from_fn(move || {
        if done >= count {
            return None;
        }
        let v = req.vcpu_first.wrapping_add(done) % SEGMENT_COUNT;
        let u = req.user_first.wrapping_add(done) % SEGMENT_COUNT;
        let room = SEGMENT_COUNT
            .wrapping_sub(v)
            .min(SEGMENT_COUNT.wrapping_sub(u))
            .min(count.wrapping_sub(done));
        done = done.wrapping_add(room);
        Some((SegmentRange::new(v, room)?, u))
    })
}

mod kernel;
#[cfg(test)]
mod tests;

pub use kernel::{KernelError, KernelSpace};
