//! `KVM_S390_MEM_OP`: guest memory read and written for the controller, on
//! a VM fd (absolute addresses, and compare-and-exchange) and on a vcpu fd
//! (logical addresses of the vcpu; SIDA operations of protected vcpus).
//!
//! From `kvm-s390.c` at 42d3b66d (`kvm_s390_vm_mem_op`,
//! `kvm_s390_vcpu_memsida_op`; B and A have the same checks): neither path
//! checks for ucontrol. Guest absolute addresses go through the memory
//! slots, never through a vcpu's UCAS mappings: a ucontrol VM of generation
//! A has none (every access is a positive answer 5, addressing), B and C
//! have the one internal slot that makes absolute address `a` user address
//! `a` of the calling process. A positive answer is the program-interruption
//! code the access met (4 protection, 5 addressing), not an error.
//!
//! The model's differences: the vcpu's logical addresses are taken as real
//! addresses (DAT off, which is how a ucontrol guest here runs) in 64-bit
//! mode; storage-key protection is checked for every page before any byte
//! moves (the kernel stops at the first protected page, after copying the
//! earlier ones); compare-and-exchange is atomic only against the caller,
//! which waits in the ioctl, not against its other threads.

use core::mem::offset_of;

use ucas_core::Errno;
use ucas_core::abi::S390MemOp;

use super::Generation;
use super::keys::{CallerMemory, KeyStore};

use ucas_core::abi::{
    KVM_S390_MEMOP_ABSOLUTE_CMPXCHG as ABSOLUTE_CMPXCHG,
    KVM_S390_MEMOP_ABSOLUTE_READ as ABSOLUTE_READ, KVM_S390_MEMOP_ABSOLUTE_WRITE as ABSOLUTE_WRITE,
    KVM_S390_MEMOP_F_CHECK_ONLY as F_CHECK_ONLY,
    KVM_S390_MEMOP_F_INJECT_EXCEPTION as F_INJECT_EXCEPTION,
    KVM_S390_MEMOP_F_SKEY_PROTECTION as F_SKEY_PROTECTION,
    KVM_S390_MEMOP_LOGICAL_READ as LOGICAL_READ, KVM_S390_MEMOP_LOGICAL_WRITE as LOGICAL_WRITE,
    KVM_S390_MEMOP_SIDA_READ as SIDA_READ, KVM_S390_MEMOP_SIDA_WRITE as SIDA_WRITE,
    MEM_OP_MAX_SIZE,
};

/// Program-interruption code: protection.
const PGM_PROTECTION: i64 = 4;
/// Program-interruption code: addressing.
const PGM_ADDRESSING: i64 = 5;

/// The SIDA of a vcpu that is not protected spans one page.
const SIDA_SIZE: u64 = 4096;
const PAGE: u64 = 4096;

/// A `kvm_s390_mem_op` as read from the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemOp {
    gaddr: u64,
    flags: u64,
    size: u32,
    op: u32,
    buf: u64,
    ar: u8,
    key: u8,
    old_addr: u64,
    sida_offset: u32,
}

impl MemOp {
    /// Decodes the struct's bytes (native order).
    #[must_use]
    pub fn parse(raw: &[u8; size_of::<S390MemOp>()]) -> Self {
        let u64_at = |at: usize| u64::from_ne_bytes(raw[at..at + 8].try_into().unwrap_or_default());
        let u32_at = |at: usize| u32::from_ne_bytes(raw[at..at + 4].try_into().unwrap_or_default());
        let u = offset_of!(S390MemOp, u);
        Self {
            gaddr: u64_at(offset_of!(S390MemOp, gaddr)),
            flags: u64_at(offset_of!(S390MemOp, flags)),
            size: u32_at(offset_of!(S390MemOp, size)),
            op: u32_at(offset_of!(S390MemOp, op)),
            buf: u64_at(offset_of!(S390MemOp, buf)),
            // The union: `ar`, `key`, six bytes, `old_addr`; or the SIDA
            // offset.
            ar: raw[u],
            key: raw[u + 1],
            old_addr: u64_at(u + 8),
            sida_offset: u32_at(u),
        }
    }

    /// The checks every memory operation makes first: no other flags than
    /// `supported`, a size of 1…65536 (E2BIG above), an access key of at
    /// most 15 when key protection is asked for (else the key is 0).
    fn validate(&mut self, supported: u64) -> Result<(), Errno> {
        if self.flags & !supported != 0 || self.size == 0 {
            return Err(Errno::INVAL);
        }
        if self.size > MEM_OP_MAX_SIZE {
            return Err(Errno::TOOBIG);
        }
        if self.flags & F_SKEY_PROTECTION == 0 {
            self.key = 0;
        } else if self.key > 0xF {
            return Err(Errno::INVAL);
        }
        Ok(())
    }
}

/// Who is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The VM fd.
    Vm,
    /// A vcpu fd, with the vcpu's prefix.
    Vcpu {
        /// The prefix register (8 KiB-aligned).
        prefix: u64,
    },
}

/// The guest memory one operation reaches.
struct Guest<'a> {
    /// The generation's memory slots reach guest absolute addresses.
    slots: bool,
    keys: &'a mut KeyStore,
    key: u8,
}

impl Guest<'_> {
    /// Whether `len` bytes at absolute `addr` are reachable, and allowed
    /// to the access key: 0, or a positive program-interruption code.
    fn check(&self, addr: u64, len: u64, store: bool) -> i64 {
        if !self.slots || addr.checked_add(len).is_none() {
            return PGM_ADDRESSING;
        }
        if self.key == 0 {
            return 0;
        }
        let mut page = addr & !(PAGE - 1);
        while page < addr + len {
            let storage = self.keys.user_key(page);
            let matches = storage >> 4 == self.key;
            // A fetch is refused only from a fetch-protected page.
            if !matches && (store || storage & 0x08 != 0) {
                return PGM_PROTECTION;
            }
            page += PAGE;
        }
        0
    }
}

/// `KVM_S390_MEM_OP` with its decoded argument.
///
/// # Errors
/// As the kernel: EINVAL, E2BIG, EFAULT (the caller's buffer, or user
/// memory missing behind an absolute address).
pub fn mem_op(
    keys: &mut KeyStore,
    generation: Generation,
    ucontrol: bool,
    target: Target,
    mut op: MemOp,
    mem: &mut dyn CallerMemory,
) -> Result<i64, Errno> {
    let slots = ucontrol && generation != Generation::A;
    let (store, addr) = match (target, op.op) {
        (Target::Vm, ABSOLUTE_READ | ABSOLUTE_WRITE) => {
            op.validate(F_SKEY_PROTECTION | F_CHECK_ONLY)?;
            (op.op == ABSOLUTE_WRITE, op.gaddr)
        }
        (Target::Vm, ABSOLUTE_CMPXCHG) => {
            op.validate(F_SKEY_PROTECTION)?;
            let key = op.key;
            return cmpxchg(&mut Guest { slots, keys, key }, &op, mem);
        }
        (Target::Vcpu { prefix }, LOGICAL_READ | LOGICAL_WRITE) => {
            op.validate(F_INJECT_EXCEPTION | F_CHECK_ONLY | F_SKEY_PROTECTION)?;
            if op.ar >= 16 {
                return Err(Errno::INVAL);
            }
            // Prefixing swaps whole 8 KiB areas: a range crossing one of
            // their edges would need splitting, which the model leaves out
            // (such a range is reported as addressing).
            let real = op.gaddr;
            let abs = crate::guest::absolute(real, prefix);
            let crosses = (real ^ real.wrapping_add(u64::from(op.size) - 1)) >= 8192;
            if crosses && abs != real {
                return Ok(PGM_ADDRESSING);
            }
            (op.op == LOGICAL_WRITE, abs)
        }
        (Target::Vcpu { .. }, SIDA_READ | SIDA_WRITE) => {
            if op.flags != 0 || op.size == 0 {
                return Err(Errno::INVAL);
            }
            let end = u64::from(op.size) + u64::from(op.sida_offset);
            if u32::try_from(end).is_err() {
                return Err(Errno::INVAL);
            }
            // Not a protected vcpu: no SIDA to reach.
            return Err(if end > SIDA_SIZE {
                Errno::TOOBIG
            } else {
                Errno::INVAL
            });
        }
        _ => return Err(Errno::INVAL),
    };
    let key = op.key;
    let guest = Guest { slots, keys, key };
    let len = u64::from(op.size);
    if op.flags & F_CHECK_ONLY != 0 {
        return Ok(guest.check(addr, len, store));
    }
    let mut data = vec![0u8; len as usize];
    if store && !mem.read(op.buf, &mut data) {
        return Err(Errno::FAULT);
    }
    let pgm = guest.check(addr, len, store);
    if pgm != 0 {
        return Ok(pgm);
    }
    if store {
        if !mem.write(addr, &data) {
            return Err(Errno::FAULT);
        }
    } else if !mem.read(addr, &mut data) || !mem.write(op.buf, &data) {
        return Err(Errno::FAULT);
    }
    touch(guest.keys, addr, len, store);
    Ok(0)
}

/// The reference (and for a store, change) bits of the pages an access
/// used, as the machine sets them.
fn touch(keys: &mut KeyStore, addr: u64, len: u64, store: bool) {
    let mut page = addr & !(PAGE - 1);
    while page < addr + len {
        keys.touch(page, store);
        page += PAGE;
    }
}

/// `KVM_S390_MEMOP_ABSOLUTE_CMPXCHG`: `size` bytes (1, 2, 4, 8 or 16, on
/// an address aligned to them) at `gaddr` become the bytes at `buf` if they
/// equal those at `old_addr`; otherwise the bytes found go to `old_addr`.
fn cmpxchg(guest: &mut Guest<'_>, op: &MemOp, mem: &mut dyn CallerMemory) -> Result<i64, Errno> {
    let len = u64::from(op.size);
    if len > 16 {
        return Err(Errno::INVAL);
    }
    let n = op.size as usize;
    let mut new = [0u8; 16];
    let mut old = [0u8; 16];
    if !mem.read(op.buf, &mut new[..n]) || !mem.read(op.old_addr, &mut old[..n]) {
        return Err(Errno::FAULT);
    }
    if !len.is_power_of_two() || !op.gaddr.is_multiple_of(len) {
        return Err(Errno::INVAL);
    }
    let pgm = guest.check(op.gaddr, len, true);
    if pgm != 0 {
        return Ok(pgm);
    }
    let mut now = [0u8; 16];
    if !mem.read(op.gaddr, &mut now[..n]) {
        return Err(Errno::FAULT);
    }
    if now[..n] == old[..n] {
        if !mem.write(op.gaddr, &new[..n]) {
            return Err(Errno::FAULT);
        }
        touch(guest.keys, op.gaddr, len, true);
    } else {
        touch(guest.keys, op.gaddr, len, false);
        if !mem.write(op.old_addr, &now[..n]) {
            return Err(Errno::FAULT);
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::super::keys::Mem;
    use super::*;

    fn op(op: u32, gaddr: u64, size: u32, buf: u64) -> MemOp {
        MemOp {
            gaddr,
            size,
            op,
            buf,
            ..MemOp::default()
        }
    }

    #[test]
    fn absolute_read_and_write_reach_user_memory_on_b_and_c_only() {
        for g in Generation::ALL {
            let mut keys = KeyStore::default();
            let mut mem = Mem(vec![0; 0x10000]);
            mem.0[0x100..0x104].copy_from_slice(b"abcd");
            let read = op(ABSOLUTE_READ, 0x10100, 4, 0x18000);
            let r = mem_op(&mut keys, g, true, Target::Vm, read, &mut mem);
            if g == Generation::A {
                assert_eq!(r, Ok(PGM_ADDRESSING));
            } else {
                assert_eq!(r, Ok(0));
                assert_eq!(&mem.0[0x8000..0x8004], b"abcd");
                assert_eq!(keys.user_key(0x10100), 0x04);
            }
            // A regular VM has no memory slot in the model.
            let r = mem_op(&mut keys, g, false, Target::Vm, read, &mut mem);
            assert_eq!(r, Ok(PGM_ADDRESSING));
        }
    }

    #[test]
    fn the_common_checks_come_first() {
        let mut keys = KeyStore::default();
        let mut mem = Mem(vec![0; 0x10000]);
        let g = Generation::C;
        let mut ask = |o: MemOp, t: Target| mem_op(&mut keys, g, true, t, o, &mut mem);
        let base = op(ABSOLUTE_READ, 0x10000, 4, 0x18000);
        assert_eq!(
            ask(MemOp { size: 0, ..base }, Target::Vm),
            Err(Errno::INVAL)
        );
        let big = MemOp {
            size: MEM_OP_MAX_SIZE + 1,
            ..base
        };
        assert_eq!(ask(big, Target::Vm), Err(Errno::TOOBIG));
        let inject = MemOp {
            flags: F_INJECT_EXCEPTION,
            ..base
        };
        assert_eq!(ask(inject, Target::Vm), Err(Errno::INVAL));
        let key = MemOp {
            flags: F_SKEY_PROTECTION,
            key: 16,
            ..base
        };
        assert_eq!(ask(key, Target::Vm), Err(Errno::INVAL));
        assert_eq!(ask(MemOp { op: 9, ..base }, Target::Vm), Err(Errno::INVAL));
        let vcpu = Target::Vcpu { prefix: 0 };
        assert_eq!(ask(base, vcpu), Err(Errno::INVAL));
        let logical = MemOp {
            op: LOGICAL_READ,
            ar: 16,
            ..base
        };
        assert_eq!(ask(logical, vcpu), Err(Errno::INVAL));
        let sida = MemOp {
            op: SIDA_READ,
            ..base
        };
        assert_eq!(ask(sida, vcpu), Err(Errno::INVAL));
        let sida_big = MemOp {
            op: SIDA_READ,
            size: 4097,
            ..base
        };
        assert_eq!(ask(sida_big, vcpu), Err(Errno::TOOBIG));
        let unreadable = op(ABSOLUTE_WRITE, 0x10000, 4, 0x100);
        assert_eq!(ask(unreadable, Target::Vm), Err(Errno::FAULT));
        let no_user_memory = op(ABSOLUTE_READ, 0x100, 4, 0x18000);
        assert_eq!(ask(no_user_memory, Target::Vm), Err(Errno::FAULT));
    }

    #[test]
    fn key_protection_refuses_stores_and_fetch_protected_fetches() {
        let mut keys = KeyStore::default();
        keys.set_user_key(0x11000, 0x30);
        keys.set_user_key(0x12000, 0x38);
        let mut mem = Mem(vec![0; 0x10000]);
        let g = Generation::B;
        let mut ask = |o: MemOp| mem_op(&mut keys, g, true, Target::Vm, o, &mut mem);
        let with = |o: MemOp, key| MemOp {
            flags: F_SKEY_PROTECTION,
            key,
            ..o
        };
        let store = op(ABSOLUTE_WRITE, 0x11000, 4, 0x18000);
        assert_eq!(ask(with(store, 2)), Ok(PGM_PROTECTION));
        assert_eq!(ask(with(store, 3)), Ok(0));
        assert_eq!(ask(with(store, 0)), Ok(0));
        let fetch = op(ABSOLUTE_READ, 0x11000, 4, 0x18000);
        assert_eq!(ask(with(fetch, 2)), Ok(0));
        let fetch_protected = op(ABSOLUTE_READ, 0x12000, 4, 0x18000);
        assert_eq!(ask(with(fetch_protected, 2)), Ok(PGM_PROTECTION));
        let check = MemOp {
            flags: F_CHECK_ONLY,
            ..store
        };
        assert_eq!(ask(check), Ok(0));
    }

    #[test]
    fn cmpxchg_exchanges_or_reports_what_it_found() {
        let mut keys = KeyStore::default();
        let mut mem = Mem(vec![0; 0x10000]);
        mem.0[0x40..0x48].copy_from_slice(&7u64.to_ne_bytes());
        mem.0[0x8000..0x8008].copy_from_slice(&9u64.to_ne_bytes()); // new
        mem.0[0x8100..0x8108].copy_from_slice(&7u64.to_ne_bytes()); // old
        let g = Generation::C;
        let x = MemOp {
            old_addr: 0x18100,
            ..op(ABSOLUTE_CMPXCHG, 0x10040, 8, 0x18000)
        };
        assert_eq!(mem_op(&mut keys, g, true, Target::Vm, x, &mut mem), Ok(0));
        assert_eq!(&mem.0[0x40..0x48], &9u64.to_ne_bytes());
        // Again: 9 is not 7, so 9 goes back to old.
        assert_eq!(mem_op(&mut keys, g, true, Target::Vm, x, &mut mem), Ok(0));
        assert_eq!(&mem.0[0x8100..0x8108], &9u64.to_ne_bytes());
        for bad in [
            MemOp { size: 3, ..x },
            MemOp {
                gaddr: 0x10044,
                ..x
            },
            MemOp { size: 32, ..x },
        ] {
            assert_eq!(
                mem_op(&mut keys, g, true, Target::Vm, bad, &mut mem),
                Err(Errno::INVAL)
            );
        }
    }

    #[test]
    fn logical_addresses_are_prefixed() {
        let mut keys = KeyStore::default();
        let mut mem = Mem(vec![0; 0x10000]);
        mem.0[0x4010] = 0xAB;
        let read = op(LOGICAL_READ, 0x10, 1, 0x18000);
        let vcpu = Target::Vcpu { prefix: 0x14000 };
        assert_eq!(
            mem_op(&mut keys, Generation::B, true, vcpu, read, &mut mem),
            Ok(0)
        );
        assert_eq!(mem.0[0x8000], 0xAB);
    }
}
