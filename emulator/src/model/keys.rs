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
    /// Regular VM `vm` of generation C: its own guest frames.
    Guest(u32),
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
    /// Where frame `gfn` keeps its key; `None` where `generation` reaches
    /// no memory (the kernel's EFAULT).
    fn place(self, generation: Generation, gfn: u64) -> Option<Place> {
        match self {
            Self::User if generation == Generation::A => None,
            // The ucontrol slot ends below 2^64 user addresses.
            Self::User => (gfn < 1 << 52).then_some(Place::User(gfn)),
            Self::Slots(slots) => slots
                .translate(gfn.checked_mul(4096)?)
                .map(|addr| Place::User(addr >> 12)),
            Self::Guest(vm) => Some(Place::Guest(vm, gfn)),
        }
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
            let place = frames.place(generation, gfn).ok_or(Errno::FAULT)?;
            keys.push(self.key(place));
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
            let place = frames.place(generation, gfn).ok_or(Errno::FAULT)?;
            if key & 1 != 0 {
                return Err(Errno::INVAL);
            }
            self.set_key(place, key);
        }
        Ok(0)
    }

    /// `KVM_S390_KEYOP` (generation C) of VM `vm` on the 16-byte
    /// `kvm_s390_keyop` at `arg`: the answer goes back into its `key`.
    ///
    /// # Errors
    /// EFAULT if the struct cannot be read or written back, EINVAL for an
    /// unknown operation.
    pub fn keyop(
        &mut self,
        frames: Frames<'_>,
        arg: u64,
        mem: &mut dyn CallerMemory,
    ) -> Result<i64, Errno> {
        let mut raw = [0u8; 16];
        if !mem.read(arg, &mut raw) {
            return Err(Errno::FAULT);
        }
        let addr = u64::from_ne_bytes(raw[..8].try_into().unwrap_or_default());
        let (key, op) = (raw[8], raw[9]);
        // Only generation C has the operation.
        let place = frames
            .place(Generation::C, addr >> 12)
            .ok_or(Errno::FAULT)?;
        let old = self.key(place);
        let answer = match op {
            KEYOP_SSKE => {
                self.set_key(place, key);
                old
            }
            KEYOP_ISKE => old,
            KEYOP_RRBE => {
                self.set_key(place, old & !KEY_R);
                old & (KEY_R | KEY_C)
            }
            _ => return Err(Errno::INVAL),
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
        }
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
        assert_eq!(
            k.set_skeys(&call(Generation::C, 1, Frames::Guest(1), a), &mut mem),
            Ok(0)
        );
        let other = k.get_skeys(&call(Generation::C, 2, Frames::Guest(2), a), &mut mem);
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
        assert_eq!(k.keyop(Frames::User, 0x10000, &mut mem), Ok(0));
        assert_eq!((mem.0[8], k.user_key(0x7000)), (0x06, 0x50));
        op(&mut mem, 0x7000, 0, KEYOP_ISKE);
        assert_eq!(k.keyop(Frames::User, 0x10000, &mut mem), Ok(0));
        assert_eq!(mem.0[8], 0x50);
        k.touch(0x7000, false);
        op(&mut mem, 0x7000, 0, KEYOP_RRBE);
        assert_eq!(k.keyop(Frames::User, 0x10000, &mut mem), Ok(0));
        assert_eq!((mem.0[8], k.user_key(0x7000)), (0x04, 0x50));
        op(&mut mem, 0x7000, 0, 9);
        assert_eq!(k.keyop(Frames::User, 0x10000, &mut mem), Err(Errno::INVAL));
        assert_eq!(k.keyop(Frames::User, 0x100, &mut mem), Err(Errno::FAULT));
    }
}
