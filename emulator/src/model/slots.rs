//! The memory slots of a regular VM: `KVM_SET_USER_MEMORY_REGION` and
//! `KVM_SET_USER_MEMORY_REGION2`, and the guest-frame → user-address
//! translation the fault and storage-key ioctls go through.
//!
//! What the kernel checks, in this order (generic `kvm_main.c`, then
//! s390's `kvm_arch_prepare_memory_region`; the same in generations A
//! (6.8), B and C — read in `kvm-s390.c` at 005467e0 and 42d3b66d):
//!
//! 1. the slot id (its low 16 bits) must be a user slot
//!    (`KVM_USER_MEM_SLOTS`, [`super::caps::user_mem_slots`]);
//! 2. no flag but `KVM_MEM_LOG_DIRTY_PAGES` (s390 has neither read-only
//!    nor guest_memfd slots);
//! 3. size, guest address and user address page-aligned (the user range
//!    also goes through `access_ok`, which never fails on s390: it selects
//!    `ALTERNATE_USER_ADDRESS_SPACE`, and older kernels defined it as 1);
//! 4. the address-space id (the slot's high 16 bits) 0: s390 has one;
//! 5. guest range not wrapping around, and at most 2^31 − 1 pages;
//!
//! all EINVAL. Size 0 deletes the slot (EINVAL if it does not exist). A
//! slot that exists can move (new guest address) or change its flags, but
//! not its user address or size (EINVAL); the same values again change
//! nothing. A new or moved slot overlapping another is EEXIST. Then s390
//! asks for 1 MiB alignment of the user address and the size, and the end
//! within the VM's memory limit (EINVAL).
//!
//! The model keeps at most [`SLOTS_MAX`] slots per VM; beyond that it
//! refuses to create one (the supervisor answers ENOMEM and says why), so
//! hostile input cannot grow the table without bound.

use ucas_core::abi::{KVM_MEM_LOG_DIRTY_PAGES, UserspaceMemoryRegion2};
use ucas_core::{Errno, Generation};

use super::caps::user_mem_slots;

/// The most slots the model keeps for one VM.
pub const SLOTS_MAX: usize = 512;

const PAGE: u64 = 4096;
const SEGMENT_MASK: u64 = (1 << 20) - 1;
/// `KVM_MEM_MAX_NR_PAGES`: a user slot's page count must fit a dirty
/// bitmap indexed by an `int`.
const MAX_PAGES: u64 = (1 << 31) - 1;

/// One memory slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Its id.
    pub id: u16,
    /// Its `KVM_MEM_*` flags.
    pub flags: u32,
    /// Its first guest frame.
    pub base_gfn: u64,
    /// Its length in pages.
    pub npages: u64,
    /// The caller's address behind its first frame.
    pub userspace_addr: u64,
}

/// What a slot change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Nothing: the slot was as asked already.
    Unchanged,
    /// The slot is gone.
    Deleted,
    /// The slot was created, moved or given new flags; whether it keeps a
    /// dirty log now.
    Stored {
        /// `KVM_MEM_LOG_DIRTY_PAGES` is set.
        dirty_log: bool,
    },
}

/// Why a slot change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The kernel refuses it with this errno.
    Kernel(Errno),
    /// The kernel would create it, but the model's table is full.
    Full,
}

/// The slots of one VM, by id; at most [`SLOTS_MAX`].
#[derive(Debug, Default)]
pub struct Slots(Vec<Slot>);

impl Slots {
    /// Whether the VM has no slot.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The caller's address behind guest address `gpa`, if a slot holds it.
    #[must_use]
    pub fn translate(&self, gpa: u64) -> Option<u64> {
        let gfn = gpa / PAGE;
        self.0
            .iter()
            .find(|s| gfn.wrapping_sub(s.base_gfn) < s.npages)
            // A slot's user range may run past 2^64 (nothing refuses
            // it); such addresses reach no memory.
            .map(|s| s.userspace_addr.wrapping_add(gpa - s.base_gfn * PAGE))
    }

    /// `KVM_SET_USER_MEMORY_REGION(2)` with `r` (for the first form, its
    /// guest_memfd fields zero) on a VM of `generation` whose memory ends
    /// at `mem_limit`. Leaves the table as it was when refused.
    ///
    /// # Errors
    /// As the module documentation says; [`Refusal::Full`] when a new slot
    /// would not fit the table.
    pub fn set(
        &mut self,
        generation: Generation,
        mem_limit: u64,
        r: &UserspaceMemoryRegion2,
    ) -> Result<Change, Refusal> {
        let inval = Err(Refusal::Kernel(Errno::INVAL));
        // The low half is the slot id, the high half the address space.
        let id = (r.slot & 0xFFFF) as u16;
        if id >= user_mem_slots(generation) || r.flags & !KVM_MEM_LOG_DIRTY_PAGES != 0 {
            return inval;
        }
        let size = r.memory_size;
        let (gpa, uaddr) = (r.guest_phys_addr, r.userspace_addr);
        if !(size | gpa | uaddr).is_multiple_of(PAGE) {
            return inval;
        }
        if r.slot >> 16 != 0 || gpa.checked_add(size).is_none() || size / PAGE > MAX_PAGES {
            return inval;
        }
        let at = self.0.iter().position(|s| s.id == id);
        if size == 0 {
            return match at {
                Some(i) => {
                    self.0.swap_remove(i);
                    Ok(Change::Deleted)
                }
                None => inval,
            };
        }
        let new = Slot {
            id,
            flags: r.flags,
            base_gfn: gpa / PAGE,
            npages: size / PAGE,
            userspace_addr: uaddr,
        };
        if let Some(i) = at {
            let old = self.0[i];
            if old.userspace_addr != uaddr || old.npages != new.npages {
                return inval;
            }
            if old.base_gfn == new.base_gfn && old.flags == new.flags {
                return Ok(Change::Unchanged);
            }
            if old.base_gfn == new.base_gfn {
                // Only the flags change: no arch checks.
                self.0[i].flags = r.flags;
                return Ok(stored(r.flags));
            }
        }
        let end = new.base_gfn + new.npages;
        let overlaps = self
            .0
            .iter()
            .any(|s| s.id != id && s.base_gfn < end && new.base_gfn < s.base_gfn + s.npages);
        if overlaps {
            return Err(Refusal::Kernel(Errno::EXIST));
        }
        if uaddr & SEGMENT_MASK != 0 || size & SEGMENT_MASK != 0 || gpa + size > mem_limit {
            return inval;
        }
        match at {
            Some(i) => self.0[i] = new,
            None if self.0.len() >= SLOTS_MAX => return Err(Refusal::Full),
            None => self.0.push(new),
        }
        Ok(stored(r.flags))
    }
}

fn stored(flags: u32) -> Change {
    Change::Stored {
        dirty_log: flags & KVM_MEM_LOG_DIRTY_PAGES != 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;
    const LIMIT: u64 = 1 << 42;

    fn region(slot: u32, gpa: u64, size: u64, uaddr: u64) -> UserspaceMemoryRegion2 {
        UserspaceMemoryRegion2 {
            slot,
            guest_phys_addr: gpa,
            memory_size: size,
            userspace_addr: uaddr,
            ..UserspaceMemoryRegion2::default()
        }
    }

    fn set(s: &mut Slots, r: UserspaceMemoryRegion2) -> Result<(), Refusal> {
        s.set(Generation::C, LIMIT, &r).map(drop)
    }

    const EINVAL: Result<(), Refusal> = Err(Refusal::Kernel(Errno::INVAL));

    #[test]
    fn the_generic_checks_refuse_with_einval() {
        let mut s = Slots::default();
        let ok = region(0, 0, MIB, 16 * MIB);
        let cases = [
            // Slot ids: the last user slot of C is 32765.
            UserspaceMemoryRegion2 { slot: 32766, ..ok },
            UserspaceMemoryRegion2 {
                slot: 1 << 16,
                ..ok
            },
            UserspaceMemoryRegion2 { flags: 2, ..ok },
            UserspaceMemoryRegion2 { flags: 4, ..ok },
            region(0, 0, MIB + 1, 16 * MIB),
            region(0, 0x800, MIB, 16 * MIB),
            region(0, 0, MIB, 16 * MIB + 8),
            region(0, 0u64.wrapping_sub(PAGE), MIB, 16 * MIB),
            // The user address must be 1 MiB-aligned (s390).
            region(0, 0, MIB, 0u64.wrapping_sub(PAGE)),
            region(0, 0, MAX_PAGES * PAGE + PAGE, 16 * MIB),
        ];
        for r in cases {
            assert_eq!(set(&mut s, r), EINVAL, "{r:?}");
        }
        assert!(s.is_empty());
        // A user range reaching 2^64 passes: `access_ok` checks nothing on
        // s390. Its last page has no memory behind it.
        let top = region(0, 0, MIB, 0u64.wrapping_sub(MIB));
        assert_eq!(set(&mut s, top), Ok(()));
        assert_eq!(s.translate(MIB - PAGE), Some(0u64.wrapping_sub(PAGE)));
        assert_eq!(set(&mut s, region(0, 0, 0, 0u64.wrapping_sub(MIB))), Ok(()));
        assert!(s.is_empty());
        // The generation decides the number of user slots.
        let a = UserspaceMemoryRegion2 { slot: 32766, ..ok };
        assert_eq!(s.set(Generation::A, LIMIT, &a), Ok(stored(0)));
        assert_eq!(
            s.set(
                Generation::A,
                LIMIT,
                &UserspaceMemoryRegion2 { slot: 32767, ..a }
            )
            .map(drop),
            EINVAL
        );
    }

    #[test]
    fn s390_wants_1_mib_user_memory_below_the_limit() {
        let mut s = Slots::default();
        // Only the user address and the size need 1 MiB; the guest address
        // a page.
        assert_eq!(set(&mut s, region(0, 0, MIB / 2, 16 * MIB)), EINVAL);
        assert_eq!(set(&mut s, region(0, 0, MIB, 16 * MIB + PAGE)), EINVAL);
        assert_eq!(
            set(&mut s, region(0, LIMIT - MIB + PAGE, MIB, 16 * MIB)),
            EINVAL
        );
        assert!(s.is_empty());
        assert_eq!(set(&mut s, region(0, LIMIT - MIB, MIB, 16 * MIB)), Ok(()));
        assert_eq!(set(&mut s, region(1, PAGE, MIB, 32 * MIB)), Ok(()));
        assert_eq!(s.translate(PAGE + 0x123), Some(32 * MIB + 0x123));
        assert_eq!(s.translate(LIMIT - 1), Some(17 * MIB - 1));
        assert_eq!(s.translate(0), None);
        assert_eq!(s.translate(PAGE + MIB), None);
    }

    #[test]
    fn overlap_delete_move_and_flags() {
        let mut s = Slots::default();
        assert_eq!(set(&mut s, region(3, 4 * MIB, 2 * MIB, 16 * MIB)), Ok(()));
        // Overlapping another slot, even by a page.
        let touching = region(4, 6 * MIB - PAGE, MIB, 64 * MIB);
        assert_eq!(set(&mut s, touching), Err(Refusal::Kernel(Errno::EXIST)));
        assert_eq!(set(&mut s, region(4, 6 * MIB, MIB, 64 * MIB)), Ok(()));
        // An existing slot keeps its user memory and size.
        assert_eq!(set(&mut s, region(3, 4 * MIB, 2 * MIB, 32 * MIB)), EINVAL);
        assert_eq!(set(&mut s, region(3, 4 * MIB, MIB, 16 * MIB)), EINVAL);
        // It moves, but not onto slot 4; a slot may overlap its old place.
        assert_eq!(
            set(&mut s, region(3, 5 * MIB, 2 * MIB, 16 * MIB)),
            Err(Refusal::Kernel(Errno::EXIST))
        );
        assert_eq!(set(&mut s, region(3, 3 * MIB, 2 * MIB, 16 * MIB)), Ok(()));
        assert_eq!(s.translate(3 * MIB), Some(16 * MIB));
        // Flags alone: no arch checks, the same values: nothing.
        let logged = UserspaceMemoryRegion2 {
            flags: KVM_MEM_LOG_DIRTY_PAGES,
            ..region(3, 3 * MIB, 2 * MIB, 16 * MIB)
        };
        let again = |s: &mut Slots| s.set(Generation::C, LIMIT, &logged);
        assert_eq!(again(&mut s), Ok(stored(KVM_MEM_LOG_DIRTY_PAGES)));
        assert_eq!(again(&mut s), Ok(Change::Unchanged));
        assert!(s.0.iter().any(|x| x.id == 3 && x.flags == 1));
        // Size 0 deletes; deleting what is not there is EINVAL, and the
        // generic checks still apply to a deletion.
        assert_eq!(set(&mut s, region(3, 0x800, 0, 0)), EINVAL);
        assert_eq!(set(&mut s, region(3, 0, 0, 0)), Ok(()));
        assert_eq!(set(&mut s, region(3, 0, 0, 0)), EINVAL);
        assert_eq!(s.translate(3 * MIB), None);
        assert_eq!(s.0.len(), 1);
    }

    #[test]
    fn a_full_table_refuses_new_slots_and_keeps_its_state() {
        let mut s = Slots::default();
        for i in 0..SLOTS_MAX as u64 {
            let r = region(i as u32, i * MIB, MIB, 16 * MIB);
            assert_eq!(set(&mut s, r), Ok(()));
        }
        let one_more = region(SLOTS_MAX as u32, 1 << 40, MIB, 16 * MIB);
        assert_eq!(set(&mut s, one_more), Err(Refusal::Full));
        assert_eq!(s.0.len(), SLOTS_MAX);
        assert_eq!(s.translate(1 << 40), None);
        // Changing one that exists needs no room; deleting makes some.
        assert_eq!(set(&mut s, region(0, 1 << 41, MIB, 16 * MIB)), Ok(()));
        assert_eq!(set(&mut s, region(1, 0, 0, 0)), Ok(()));
        assert_eq!(set(&mut s, one_more), Ok(()));
    }
}
