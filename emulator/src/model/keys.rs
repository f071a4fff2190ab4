//! Storage keys: the table the interpreter's ISKE, SSKE and RRBE and the
//! guest's own accesses work on, and the VM ioctls `KVM_S390_GET_SKEYS`,
//! `KVM_S390_SET_SKEYS` and (generation C) `KVM_S390_KEYOP`.
//!
//! What the kernel does (table V1 of `emulator/KERNEL-INTERFACE.md`):
//!
//! - A and B (`kvm-s390.c` at 005467e0 and d8dfda5a): whether keys are in
//!   use is a property of the calling process (`mm_uses_skeys`), switched
//!   on by the first `SET_SKEYS` once its buffer was read; each frame goes
//!   through the memory slots. A ucontrol VM of generation A has no slot,
//!   so every frame fails with EFAULT; B gives it one slot mapping frame
//!   `n` to user address `n × 4096`. `SET_SKEYS` sets the keys frame by
//!   frame and stops at the first one with bit 7 set (EINVAL), the earlier
//!   ones set.
//! - C (42d3b66d): keys in use is a property of the VM's guest address
//!   space (`gmap_enable_skeys`); `SET_SKEYS` checks every key's bit 7
//!   before it sets any. The ucontrol VM's parent address space maps frame
//!   `n` to user address `n × 4096` too. `KVM_S390_KEYOP` does one SSKE
//!   (answers the key before), ISKE or RRBE (answers the old reference and
//!   change bits) on one frame, without switching key use on.
//!
//! - A regular VM's frames go through its memory slots in A and B
//!   (`gfn_to_hva`, then the key of that user page; a frame outside every
//!   slot is EFAULT); in C they are frames of the VM's own guest address
//!   space, whose keys the kernel keeps there (`dat_get_storage_key`).
//! - Where C's walk meets no memory — a regular VM's frame outside every
//!   slot (the VM's address space marks those as addressing exceptions),
//!   any frame at or past 2^52 (the end of the address space) — it answers
//!   `PGM_ADDRESSING`, and 7.0 and 7.1 hand that code on: `GET_SKEYS` and
//!   `SET_SKEYS` return 5 (no key copied out; the earlier frames of a
//!   `SET_SKEYS` set), `KVM_S390_KEYOP` succeeds with a key made of it
//!   (ISKE 5, RRBE 5 << 1, SSKE the key it was given, nothing set). 7.2
//!   answers EFAULT to all three (42d3b66d against 3a2c4d55). A ucontrol
//!   VM's frames below 2^52 all reach memory in C; in B its internal slot
//!   ends one segment short of 2^64 user addresses (`ALIGN_DOWN(TASK_SIZE,
//!   1 MiB)`), so its last 256 frames are EFAULT there.
//!
//! The model keeps one key per 4 KiB page of user memory, shared by every
//! ucontrol VM and by the slots of every regular VM of A and B (the keys
//! belong to the memory, as on the machine), plus one table of frames per
//! regular VM of C, every frame of which is reachable. Keys nobody set read
//! as 0: access key 0, no fetch protection, reference and change bits off
//! (the kernel leaves the keys of ucontrol memory undefined); a guest
//! fetch sets the reference bit of its page, a store also the change bit.

use std::collections::HashMap;

use ucas_core::Errno;
use ucas_core::abi::S390Skeys;

use super::Generation;
use super::slots::Slots;
use crate::cpu::keys::{KEY_BITS, KEY_C, KEY_R};

pub use ucas_core::abi::{
    KVM_S390_GET_SKEYS_NONE as GET_SKEYS_NONE, KVM_S390_SKEYS_MAX as SKEYS_MAX,
};
use ucas_core::abi::{
    KVM_S390_KEYOP_ISKE as KEYOP_ISKE, KVM_S390_KEYOP_RRBE as KEYOP_RRBE,
    KVM_S390_KEYOP_SSKE as KEYOP_SSKE,
};

/// The keys of one address space, by 4 KiB page number.
#[derive(Debug, Default)]
struct Table(HashMap<u64, u8>);

impl Table {
    fn get(&self, page: u64) -> u8 {
        self.0.get(&page).copied().unwrap_or(0)
    }

    fn set(&mut self, page: u64, key: u8) {
        let key = key & KEY_BITS;
        if key == 0 {
            self.0.remove(&page);
        } else {
            self.0.insert(page, key);
        }
    }
}

/// Whose frames a keys ioctl names.
#[derive(Debug, Clone, Copy)]
pub enum Frames<'a> {
    /// A ucontrol VM: frame `n` is user page `n` (generation A: no frame
    /// at all, for want of a slot).
    User,
    /// A regular VM of generation A or B: its frames are the user pages
    /// its memory slots put behind them.
    Slots(&'a Slots),
    /// Regular VM `vm` of generation C: its own guest frames, those its
    /// memory slots cover.
    Guest(u32, &'a Slots),
}

/// The code generation C's walk answers for a frame behind no memory.
pub const PGM_ADDRESSING: u8 = 5;

/// Frames of the whole address space (2^64 bytes of 4 KiB).
const FRAMES: u64 = 1 << 52;

/// Frames of generation B's ucontrol slot: `ALIGN_DOWN(TASK_SIZE, 1 MiB)`
/// bytes from 0, `TASK_SIZE` being the top page's address.
const B_UCONTROL_FRAMES: u64 = FRAMES - 256;

/// What frame `gfn` reaches.
#[derive(Debug, Clone, Copy)]
enum Reach {
    /// A key, kept there.
    Key(Place),
    /// No memory: EFAULT (A and B).
    Fault,
    /// No memory: `PGM_ADDRESSING` from the walk (C).
    Addressing,
}

/// Where a frame's key is kept.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// With this user page.
    User(u64),
    /// With this frame of the VM's own table.
    Guest(u32, u64),
}

impl Frames<'_> {
    /// What frame `gfn` reaches under `generation`.
    fn reach(self, generation: Generation, gfn: u64) -> Reach {
        match self {
            Self::User => match generation {
                Generation::A => Reach::Fault,
                Generation::B if gfn < B_UCONTROL_FRAMES => Reach::Key(Place::User(gfn)),
                Generation::B => Reach::Fault,
                _ if gfn < FRAMES => Reach::Key(Place::User(gfn)),
                _ => Reach::Addressing,
            },
            Self::Slots(slots) => gfn
                .checked_mul(4096)
                .and_then(|gpa| slots.translate(gpa))
                .map_or(Reach::Fault, |addr| Reach::Key(Place::User(addr >> 12))),
            Self::Guest(vm, slots) => {
                let covered = gfn.checked_mul(4096).and_then(|gpa| slots.translate(gpa));
                if covered.is_some() {
                    Reach::Key(Place::Guest(vm, gfn))
                } else {
                    Reach::Addressing
                }
            }
        }
    }
}

/// What 7.0 and 7.1 hand on of a walk's `PGM_ADDRESSING` (`Some`: the
/// code itself, as a value), or 7.2 (`None`: EFAULT).
fn addressing(leaks: bool) -> Result<i64, Errno> {
    if leaks {
        Ok(i64::from(PGM_ADDRESSING))
    } else {
        Err(Errno::FAULT)
    }
}

/// One `KVM_S390_GET_SKEYS` or `KVM_S390_SET_SKEYS`.
#[derive(Debug, Clone, Copy)]
pub struct SkeysCall<'a> {
    /// The kernel generation.
    pub generation: Generation,
    /// The VM.
    pub vm: u32,
    /// Whose frames.
    pub frames: Frames<'a>,
    /// The argument as read.
    pub args: S390Skeys,
    /// Generation C before 7.2: a frame behind no memory answers
    /// `PGM_ADDRESSING` as the ioctl's value (7.2: EFAULT).
    pub leaks_addressing: bool,
}

impl<'a> SkeysCall<'a> {
    /// Its parts, once its flags are known to be zero (EINVAL otherwise,
    /// the kernel's first check).
    fn checked(&self) -> Result<(Generation, u32, Frames<'a>, &S390Skeys), Errno> {
        if self.args.flags == 0 {
            Ok((self.generation, self.vm, self.frames, &self.args))
        } else {
            Err(Errno::INVAL)
        }
    }
}

/// The storage keys of one emulator run.
#[derive(Debug, Default)]
pub struct KeyStore {
    user: Table,
    guest: HashMap<u32, Table>,
    /// Generations A and B: the caller's process uses keys.
    mm_uses_skeys: bool,
    /// Generation C: the VMs whose address space uses keys.
    vm_uses_skeys: Vec<u32>,
}

/// The caller's memory, as a keys ioctl reads and writes it.
pub trait CallerMemory {
    /// Reads `buf.len()` bytes at `addr`; false if any is unreadable.
    fn read(&mut self, addr: u64, buf: &mut [u8]) -> bool;
    /// Writes `data` at `addr`; false if any byte is unwritable.
    fn write(&mut self, addr: u64, data: &[u8]) -> bool;
}

impl KeyStore {
    /// Forgets what VM `vm` had: its own frames' keys and whether it used
    /// keys (it was destroyed).
    pub fn forget_vm(&mut self, vm: u32) {
        self.guest.remove(&vm);
        self.vm_uses_skeys.retain(|&v| v != vm);
    }

    /// The key of the user page holding `user_addr`.
    #[must_use]
    pub fn user_key(&self, user_addr: u64) -> u8 {
        self.user.get(user_addr >> 12)
    }

    /// Sets the key of the user page holding `user_addr`.
    pub fn set_user_key(&mut self, user_addr: u64, key: u8) {
        self.user.set(user_addr >> 12, key);
    }

    /// A guest access to the user page holding `user_addr`: its reference
    /// bit, and for a store its change bit, go on.
    pub fn touch(&mut self, user_addr: u64, store: bool) {
        let page = user_addr >> 12;
        let bits = if store { KEY_R | KEY_C } else { KEY_R };
        let key = self.user.get(page);
        if key & bits != bits {
            self.user.set(page, key | bits);
        }
    }

    fn uses(&self, generation: Generation, vm: u32) -> bool {
        match generation {
            Generation::C => self.vm_uses_skeys.contains(&vm),
            _ => self.mm_uses_skeys,
        }
    }

    fn enable(&mut self, generation: Generation, vm: u32) {
        match generation {
            Generation::C if !self.vm_uses_skeys.contains(&vm) => self.vm_uses_skeys.push(vm),
            Generation::C => {}
            _ => self.mm_uses_skeys = true,
        }
    }

    /// The table a key is kept in, and its index there.
    fn table(&mut self, place: Place) -> (&mut Table, u64) {
        match place {
            Place::User(page) => (&mut self.user, page),
            Place::Guest(vm, gfn) => (self.guest.entry(vm).or_default(), gfn),
        }
    }

    fn key(&mut self, place: Place) -> u8 {
        let (table, at) = self.table(place);
        table.get(at)
    }

    fn set_key(&mut self, place: Place, key: u8) {
        let (table, at) = self.table(place);
        table.set(at, key);
    }

    /// `KVM_S390_GET_SKEYS` of VM `vm` with its argument `args`.
    ///
    /// # Errors
    /// EINVAL for flags or a count outside 1…2^20, EFAULT for a frame the
    /// generation cannot reach or a buffer it cannot write.
    pub fn get_skeys(
        &mut self,
        call: &SkeysCall<'_>,
        mem: &mut dyn CallerMemory,
    ) -> Result<i64, Errno> {
        let (generation, vm, frames, args) = call.checked()?;
        if !self.uses(generation, vm) {
            return Ok(GET_SKEYS_NONE);
        }
        let count = checked_count(args.count)?;
        let mut keys = Vec::with_capacity(count);
        for i in 0..args.count {
            let gfn = args.start_gfn.wrapping_add(i);
            match frames.reach(generation, gfn) {
                Reach::Key(place) => keys.push(self.key(place)),
                Reach::Fault => return Err(Errno::FAULT),
                // Nothing is copied out.
                Reach::Addressing => return addressing(call.leaks_addressing),
            }
        }
        if mem.write(args.skeydata_addr, &keys) {
            Ok(0)
        } else {
            Err(Errno::FAULT)
        }
    }

    /// `KVM_S390_SET_SKEYS` of VM `vm`.
    ///
    /// # Errors
    /// EINVAL for flags, a count outside 1…2^20 or a key with bit 7 set;
    /// EFAULT for an unreadable buffer or a frame the generation cannot
    /// reach.
    pub fn set_skeys(
        &mut self,
        call: &SkeysCall<'_>,
        mem: &mut dyn CallerMemory,
    ) -> Result<i64, Errno> {
        let (generation, vm, frames, args) = call.checked()?;
        let count = checked_count(args.count)?;
        let mut keys = vec![0u8; count];
        if !mem.read(args.skeydata_addr, &mut keys) {
            return Err(Errno::FAULT);
        }
        self.enable(generation, vm);
        let checks_first = generation == Generation::C;
        if checks_first && keys.iter().any(|k| k & 1 != 0) {
            return Err(Errno::INVAL);
        }
        for (i, &key) in (0..).zip(&keys) {
            let gfn = args.start_gfn.wrapping_add(i);
            let place = match frames.reach(generation, gfn) {
                Reach::Key(place) => place,
                Reach::Fault => return Err(Errno::FAULT),
                // The earlier frames keep their new keys.
                Reach::Addressing => return addressing(call.leaks_addressing),
            };
            if key & 1 != 0 {
                return Err(Errno::INVAL);
            }
            self.set_key(place, key);
        }
        Ok(0)
    }

    /// `KVM_S390_KEYOP` (generation C) of VM `vm` on the 16-byte
    /// `kvm_s390_keyop` at `arg`: the answer goes back into its `key`.
    /// `leaks_addressing` as for [`SkeysCall`]: before 7.2 a frame behind
    /// no memory still succeeds, with a key made of the walk's code.
    ///
    /// # Errors
    /// EFAULT if the struct cannot be read or written back (or, 7.2, for a
    /// frame behind no memory), EINVAL for an unknown operation.
    pub fn keyop(
        &mut self,
        frames: Frames<'_>,
        leaks_addressing: bool,
        arg: u64,
        mem: &mut dyn CallerMemory,
    ) -> Result<i64, Errno> {
        let mut raw = [0u8; 16];
        if !mem.read(arg, &mut raw) {
            return Err(Errno::FAULT);
        }
        let addr = u64::from_ne_bytes(raw[..8].try_into().unwrap_or_default());
        let (key, op) = (raw[8], raw[9]);
        if ![KEYOP_SSKE, KEYOP_ISKE, KEYOP_RRBE].contains(&op) {
            return Err(Errno::INVAL);
        }
        // Only generation C has the operation.
        let answer = match frames.reach(Generation::C, addr >> 12) {
            Reach::Key(place) => {
                let old = self.key(place);
                match op {
                    KEYOP_SSKE => {
                        self.set_key(place, key);
                        old
                    }
                    KEYOP_ISKE => old,
                    _ => {
                        self.set_key(place, old & !KEY_R);
                        old & (KEY_R | KEY_C)
                    }
                }
            }
            Reach::Fault => return Err(Errno::FAULT),
            Reach::Addressing if !leaks_addressing => return Err(Errno::FAULT),
            Reach::Addressing => match op {
                KEYOP_SSKE => key,
                KEYOP_ISKE => PGM_ADDRESSING,
                _ => PGM_ADDRESSING << 1,
            },
        };
        raw[8] = answer;
        if mem.write(arg, &raw) {
            Ok(0)
        } else {
            Err(Errno::FAULT)
        }
    }
}

fn checked_count(count: u64) -> Result<usize, Errno> {
    if (1..=SKEYS_MAX).contains(&count) {
        usize::try_from(count).map_err(|_| Errno::INVAL)
    } else {
        Err(Errno::INVAL)
    }
}

/// A caller with 64 KiB of memory at 0x10000, for the tests.
#[cfg(test)]
pub(super) struct Mem(pub(super) Vec<u8>);

#[cfg(test)]
mod test_memory {
    use super::{CallerMemory, Mem};

    impl Mem {
        fn range(&self, addr: u64, len: usize) -> Option<std::ops::Range<usize>> {
            let start = usize::try_from(addr.checked_sub(0x10000)?).ok()?;
            (start + len <= self.0.len()).then_some(start..start + len)
        }
    }
    impl CallerMemory for Mem {
        fn read(&mut self, addr: u64, buf: &mut [u8]) -> bool {
            self.range(addr, buf.len())
                .map(|r| buf.copy_from_slice(&self.0[r]))
                .is_some()
        }
        fn write(&mut self, addr: u64, data: &[u8]) -> bool {
            self.range(addr, data.len())
                .map(|r| self.0[r].copy_from_slice(data))
                .is_some()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(generation: Generation, vm: u32, frames: Frames<'_>, args: S390Skeys) -> SkeysCall<'_> {
        SkeysCall {
            generation,
            vm,
            frames,
            args,
            leaks_addressing: true,
        }
    }

    /// Slots holding guest frames `first..first + count` (whole segments,
    /// as s390 slots are).
    fn slots(first: u64, count: u64) -> Slots {
        let mut slots = Slots::default();
        let r = ucas_core::abi::UserspaceMemoryRegion2 {
            guest_phys_addr: first << 12,
            memory_size: count << 12,
            userspace_addr: 0x4000_0000,
            ..Default::default()
        };
        slots
            .set(Generation::C, u64::MAX, &r)
            .expect("the slot fits");
        slots
    }

    fn args(start_gfn: u64, count: u64, at: u64) -> S390Skeys {
        S390Skeys {
            start_gfn,
            count,
            skeydata_addr: at,
            ..S390Skeys::default()
        }
    }

    #[test]
    fn get_answers_none_until_set_then_per_generation() {
        for g in Generation::ALL {
            let mut k = KeyStore::default();
            let mut mem = Mem(vec![0; 0x10000]);
            let a = args(0x100, 2, 0x10000);
            let get = |k: &mut KeyStore, mem: &mut Mem, a: &S390Skeys| {
                k.get_skeys(&call(g, 0, Frames::User, *a), mem)
            };
            assert_eq!(get(&mut k, &mut mem, &a), Ok(GET_SKEYS_NONE));
            // Flags first, even before "none".
            let flagged = S390Skeys { flags: 1, ..a };
            assert_eq!(get(&mut k, &mut mem, &flagged), Err(Errno::INVAL));
            mem.0[..2].copy_from_slice(&[0x34, 0x10]);
            let set = k.set_skeys(&call(g, 0, Frames::User, a), &mut mem);
            mem.0[..2].fill(0);
            let got = get(&mut k, &mut mem, &args(0x100, 2, 0x10100));
            if g == Generation::A {
                // No memory slot: keys are in use, but no frame is reached.
                assert_eq!((set, got), (Err(Errno::FAULT), Err(Errno::FAULT)));
            } else {
                assert_eq!((set, got), (Ok(0), Ok(0)));
                assert_eq!(&mem.0[0x100..0x102], &[0x34, 0x10]);
                assert_eq!(k.user_key(0x100 << 12), 0x34);
            }
            let zero = args(0, 0, 0x10000);
            assert_eq!(get(&mut k, &mut mem, &zero), Err(Errno::INVAL));
            let unwritable = args(0, 1, 0x1000);
            assert_eq!(get(&mut k, &mut mem, &unwritable), Err(Errno::FAULT));
        }
    }

    #[test]
    fn a_reserved_bit_stops_b_midway_and_c_before_any_key() {
        for g in [Generation::B, Generation::C] {
            let mut k = KeyStore::default();
            let mut mem = Mem(vec![0; 0x10000]);
            mem.0[..3].copy_from_slice(&[0x20, 0x41, 0x60]);
            let r = k.set_skeys(&call(g, 0, Frames::User, args(0, 3, 0x10000)), &mut mem);
            assert_eq!(r, Err(Errno::INVAL));
            let first = k.user_key(0);
            assert_eq!(first, if g == Generation::B { 0x20 } else { 0 });
            // Keys are in use all the same.
            let got = k.get_skeys(&call(g, 0, Frames::User, args(0, 1, 0x10000)), &mut mem);
            assert_eq!(got, Ok(0));
        }
    }

    #[test]
    fn c_keeps_key_use_per_vm_and_regular_vms_have_their_own_frames() {
        let mut k = KeyStore::default();
        let mut mem = Mem(vec![0x30; 0x10000]);
        let a = args(5, 1, 0x10000);
        let held = slots(0, 256);
        assert_eq!(
            k.set_skeys(
                &call(Generation::C, 1, Frames::Guest(1, &held), a),
                &mut mem
            ),
            Ok(0)
        );
        let other = k.get_skeys(
            &call(Generation::C, 2, Frames::Guest(2, &held), a),
            &mut mem,
        );
        assert_eq!(other, Ok(GET_SKEYS_NONE));
        assert_eq!(k.user_key(5 << 12), 0);
        // B reaches a regular VM's frames only through its slots.
        let none = Slots::default();
        let b = k.set_skeys(&call(Generation::B, 1, Frames::Slots(&none), a), &mut mem);
        assert_eq!(b, Err(Errno::FAULT));
    }

    #[test]
    fn keyop_sske_answers_the_old_key_rrbe_the_old_reference_and_change() {
        let mut k = KeyStore::default();
        let mut mem = Mem(vec![0; 0x10000]);
        let op = |mem: &mut Mem, addr: u64, key: u8, op: u8| {
            mem.0[..8].copy_from_slice(&addr.to_ne_bytes());
            mem.0[8] = key;
            mem.0[9] = op;
        };
        k.touch(0x7000, true);
        op(&mut mem, 0x7123, 0x50, KEYOP_SSKE);
        assert_eq!(k.keyop(Frames::User, true, 0x10000, &mut mem), Ok(0));
        assert_eq!((mem.0[8], k.user_key(0x7000)), (0x06, 0x50));
        op(&mut mem, 0x7000, 0, KEYOP_ISKE);
        assert_eq!(k.keyop(Frames::User, true, 0x10000, &mut mem), Ok(0));
        assert_eq!(mem.0[8], 0x50);
        k.touch(0x7000, false);
        op(&mut mem, 0x7000, 0, KEYOP_RRBE);
        assert_eq!(k.keyop(Frames::User, true, 0x10000, &mut mem), Ok(0));
        assert_eq!((mem.0[8], k.user_key(0x7000)), (0x04, 0x50));
        op(&mut mem, 0x7000, 0, 9);
        assert_eq!(
            k.keyop(Frames::User, true, 0x10000, &mut mem),
            Err(Errno::INVAL)
        );
        assert_eq!(
            k.keyop(Frames::User, true, 0x100, &mut mem),
            Err(Errno::FAULT)
        );
    }

    #[test]
    fn c_answers_addressing_for_frames_behind_no_memory_and_7_2_efault() {
        let held = slots(0, 256);
        for leaks in [true, false] {
            let mut k = KeyStore::default();
            let mut mem = Mem(vec![0x20; 0x10000]);
            // Frames 254 and 255 lie in the slot, frame 256 outside.
            let frames = Frames::Guest(1, &held);
            let set = SkeysCall {
                leaks_addressing: leaks,
                ..call(Generation::C, 1, frames, args(254, 3, 0x10000))
            };
            let want = if leaks { Ok(5) } else { Err(Errno::FAULT) };
            assert_eq!(k.set_skeys(&set, &mut mem), want);
            // The frames before the failing one keep their new keys.
            mem.0[0x100..0x103].fill(0xEE);
            let get = |gfn, count| SkeysCall {
                leaks_addressing: leaks,
                ..call(Generation::C, 1, frames, args(gfn, count, 0x10100))
            };
            assert_eq!(k.get_skeys(&get(254, 2), &mut mem), Ok(0));
            assert_eq!(&mem.0[0x100..0x103], &[0x20, 0x20, 0xEE]);
            // A get that meets the frame copies nothing out.
            mem.0[0x100..0x103].fill(0xEE);
            assert_eq!(k.get_skeys(&get(255, 2), &mut mem), want);
            assert_eq!(&mem.0[0x100..0x103], &[0xEE; 3]);
            // A ucontrol VM reaches every frame below 2^52, none above.
            let uc = |gfn| SkeysCall {
                leaks_addressing: leaks,
                ..call(Generation::C, 2, Frames::User, args(gfn, 1, 0x10100))
            };
            assert_eq!(k.set_skeys(&uc(FRAMES - 1), &mut mem), Ok(0));
            assert_eq!(k.set_skeys(&uc(FRAMES), &mut mem), want);
        }
    }

    #[test]
    fn b_ucontrol_slot_ends_one_segment_below_the_top() {
        let mut k = KeyStore::default();
        let mut mem = Mem(vec![0x20; 0x10000]);
        let set = |k: &mut KeyStore, mem: &mut Mem, gfn| {
            k.set_skeys(
                &call(Generation::B, 0, Frames::User, args(gfn, 1, 0x10000)),
                mem,
            )
        };
        assert_eq!(set(&mut k, &mut mem, B_UCONTROL_FRAMES - 1), Ok(0));
        assert_eq!(set(&mut k, &mut mem, B_UCONTROL_FRAMES), Err(Errno::FAULT));
    }

    #[test]
    fn keyop_behind_no_memory_makes_a_key_of_the_code_until_7_2() {
        let held = slots(0, 256);
        let frames = Frames::Guest(1, &held);
        let mut mem = Mem(vec![0; 0x10000]);
        let op = |mem: &mut Mem, key: u8, op: u8| {
            mem.0[..8].copy_from_slice(&0x10_0000u64.to_ne_bytes());
            mem.0[8] = key;
            mem.0[9] = op;
        };
        let mut k = KeyStore::default();
        for (code, key, answer) in [
            (KEYOP_ISKE, 0x30, 5),
            (KEYOP_RRBE, 0x30, 10),
            (KEYOP_SSKE, 0x30, 0x30),
        ] {
            op(&mut mem, key, code);
            assert_eq!(k.keyop(frames, true, 0x10000, &mut mem), Ok(0), "op {code}");
            assert_eq!(mem.0[8], answer, "op {code}");
            op(&mut mem, key, code);
            assert_eq!(k.keyop(frames, false, 0x10000, &mut mem), Err(Errno::FAULT));
            assert_eq!(mem.0[8], key, "7.2 writes nothing back");
        }
        // Nothing was set, and the frame in the slot still works.
        assert_eq!(k.key(Place::Guest(1, 256)), 0);
        mem.0[..8].copy_from_slice(&0x0fffu64.to_ne_bytes());
        mem.0[8..10].copy_from_slice(&[0x40, KEYOP_SSKE]);
        assert_eq!(k.keyop(frames, false, 0x10000, &mut mem), Ok(0));
        assert_eq!(k.key(Place::Guest(1, 0)), 0x40);
    }
}
