//! `KVM_S390_STORE_STATUS`: the vcpu's registers stored into the guest's
//! save areas, as `kvm_s390_store_status_unloaded` (42d3b66d) writes them.
//!
//! The argument is an address by value: `KVM_S390_STORE_STATUS_NOADDR`
//! stores at absolute 0 (after the architectural-mode byte 1 at absolute
//! 163), `KVM_S390_STORE_STATUS_PREFIXED` at the prefix (the byte at real
//! 163), anything else is the address of the floating-point save area
//! (0x1200 into the areas). Every store is a guest absolute access through
//! the memory slots: generation A's ucontrol VM has none (EFAULT), B and C
//! reach the caller's own memory (absolute = user address). A store that
//! fails gives EFAULT once all were tried; a failing architectural-mode
//! byte gives EFAULT at once. Values are stored big-endian, as the s390
//! guest sees its memory.

use ucas_core::Errno;
use ucas_core::abi::{KVM_S390_STORE_STATUS_NOADDR, KVM_S390_STORE_STATUS_PREFIXED};

use super::keys::CallerMemory;

/// Lowcore save-area offsets (z/Architecture).
const FPREGS: u64 = 0x1200;
const GPREGS: u64 = 0x1280;
const PSW: u64 = 0x1300;
const PREFIX: u64 = 0x1318;
const FPC: u64 = 0x131c;
const TODPR: u64 = 0x1324;
const CPU_TIMER: u64 = 0x1328;
const CLOCK_COMP: u64 = 0x1330;
const AREGS: u64 = 0x1340;
const CREGS: u64 = 0x1380;
/// The architectural-mode byte.
const ARCH_MODE: u64 = 163;

/// What a vcpu stores.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// Floating-point registers 0–15.
    pub fprs: [u64; 16],
    /// General registers.
    pub gprs: [u64; 16],
    /// PSW mask and address.
    pub psw: [u64; 2],
    /// The prefix.
    pub prefix: u32,
    /// Floating-point control.
    pub fpc: u32,
    /// TOD programmable register.
    pub todpr: u32,
    /// CPU timer.
    pub cputm: u64,
    /// Clock comparator (stored shifted right by 8).
    pub ckc: u64,
    /// Access registers.
    pub acrs: [u32; 16],
    /// Control registers.
    pub crs: [u64; 16],
}

fn be64(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_be_bytes()).collect()
}

fn be32(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_be_bytes()).collect()
}

/// Stores `s` as `KVM_S390_STORE_STATUS(addr)` does; `slots` tells whether
/// the generation reaches guest absolute memory.
///
/// # Errors
/// EFAULT as the module documentation says.
pub fn store_status(
    slots: bool,
    addr: u64,
    s: &Status,
    mem: &mut dyn CallerMemory,
) -> Result<i64, Errno> {
    let mut write = |at: u64, data: &[u8]| slots && mem.write(at, data);
    let base = match addr {
        KVM_S390_STORE_STATUS_NOADDR => {
            if !write(ARCH_MODE, &[1]) {
                return Err(Errno::FAULT);
            }
            0
        }
        KVM_S390_STORE_STATUS_PREFIXED => {
            let px = u64::from(s.prefix);
            if !write(px + ARCH_MODE, &[1]) {
                return Err(Errno::FAULT);
            }
            px
        }
        _ => addr.wrapping_sub(FPREGS),
    };
    let at = |offset: u64| base.wrapping_add(offset);
    let stores: [(u64, Vec<u8>); 10] = [
        (at(FPREGS), be64(&s.fprs)),
        (at(GPREGS), be64(&s.gprs)),
        (at(PSW), be64(&s.psw)),
        (at(PREFIX), be32(&[s.prefix])),
        (at(FPC), be32(&[s.fpc])),
        (at(TODPR), be32(&[s.todpr])),
        (at(CPU_TIMER), be64(&[s.cputm])),
        (at(CLOCK_COMP), be64(&[s.ckc >> 8])),
        (at(AREGS), be32(&s.acrs)),
        (at(CREGS), be64(&s.crs)),
    ];
    let mut ok = true;
    for (addr, data) in &stores {
        ok &= write(*addr, data);
    }
    if ok { Ok(0) } else { Err(Errno::FAULT) }
}

#[cfg(test)]
mod tests {
    use super::super::keys::Mem;
    use super::*;

    #[test]
    fn stores_the_save_areas_big_endian() {
        let mut mem = Mem(vec![0; 0x10000]);
        let s = Status {
            gprs: [7; 16],
            prefix: 0x12000,
            ckc: 0x1200,
            ..Status::default()
        };
        // The save areas at 0x11200 onwards: base 0x10000.
        assert_eq!(store_status(true, 0x11200, &s, &mut mem), Ok(0));
        assert_eq!(mem.0[0x1280..0x1288], 7u64.to_be_bytes());
        assert_eq!(mem.0[0x1318..0x131c], 0x12000u32.to_be_bytes());
        assert_eq!(mem.0[0x1330..0x1338], 0x12u64.to_be_bytes());
        // The prefixed form writes the mode byte at prefix + 163.
        let s = Status {
            prefix: 0x10000,
            ..s
        };
        assert_eq!(
            store_status(true, KVM_S390_STORE_STATUS_PREFIXED, &s, &mut mem),
            Ok(0)
        );
        assert_eq!(mem.0[163], 1);
        // NOADDR: absolute 163 is not the caller's memory here.
        assert_eq!(
            store_status(true, KVM_S390_STORE_STATUS_NOADDR, &s, &mut mem),
            Err(Errno::FAULT)
        );
        // Without memory slots nothing is reached.
        assert_eq!(
            store_status(false, 0x11200, &s, &mut mem),
            Err(Errno::FAULT)
        );
    }
}
