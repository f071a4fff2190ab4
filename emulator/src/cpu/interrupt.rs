//! Program interruptions as the machine performs them for a ucontrol guest
//! under SIE (`KERNEL-INTERFACE.md`, section "Program interruptions of a
//! ucontrol guest"):
//!
//! - A specification exception is *intercepted*: KVM never sets
//!   `ECB_SPECI` for a ucontrol vcpu, so SIE ends with intercept code
//!   `ICPT_PROGI` (8), the guest PSW left where the program old PSW would
//!   point, and the kernel hands the intercept to userspace unchanged
//!   ([`intercepted`]).
//! - Every other condition the interpreter raises (privileged operation,
//!   execute, fixed-point overflow and divide, data) is *delivered* by the
//!   machine into the guest's lowcore without an exit ([`deliver_program`]).
//!
//! Lowcore addresses are real addresses: the [`Bus`] applies prefixing (the
//! emulator's bus swaps the first 8 KiB with the prefix area), so the old
//! PSW lands in the prefix area, as on the machine.

use super::{Access, Bus, PGM_DATA, PGM_SPECIFICATION};

/// Lowcore: the program-interruption identification, a halfword holding
/// the instruction-length code in bits 13–14 (so its value is the length in
/// bytes), then at [`LC_PGM_CODE`] the interruption code.
pub const LC_PGM_ILC: u64 = 0x8C;
/// Lowcore: the program-interruption code (halfword).
pub const LC_PGM_CODE: u64 = 0x8E;
/// Lowcore: the data-exception code, stored for a data exception only
/// (the byte at real location 147).
pub const LC_DXC: u64 = 0x93;
/// Lowcore: the program old PSW (16 bytes).
pub const LC_PGM_OLD_PSW: u64 = 0x150;
/// Lowcore: the program new PSW (16 bytes).
pub const LC_PGM_NEW_PSW: u64 = 0x1D0;

/// The data-exception code of a compare-and-trap instruction whose
/// comparison holds.
pub const DXC_COMPARE_AND_TRAP: u8 = 0xFF;

/// The data-exception code of an instruction naming an FPR other than 0,
/// 2, 4 or 6 while CR0's AFP-register control ([`super::CR0_AFP`]) is off.
pub const DXC_AFP_REGISTER: u8 = 0x01;

/// Whether SIE intercepts program-interruption `code` of a ucontrol guest
/// (intercept code `ICPT_PROGI`) instead of delivering it: only the
/// specification exception, which SIE would deliver itself only with
/// `ECB_SPECI`, a bit KVM sets for every vcpu except a ucontrol one
/// (`kvm_s390_vcpu_setup`).
#[must_use]
pub const fn intercepted(code: u16) -> bool {
    code == PGM_SPECIFICATION
}

/// Performs program interruption `code` of an instruction `ilen` bytes
/// long (0: none, as for an invalid PSW) through the lowcore: stores the
/// identification (and, for a data exception, [`Cpu::dxc`](super::Cpu::dxc)
/// at [`LC_DXC`] and, with the AFP-register control on, in byte 2 of the
/// FPC) and the old PSW, then loads the new PSW. All or nothing: if a lowcore access fails, nothing
/// has been stored and the PSW is unchanged; the caller reports the access
/// as the machine does (the host's translation of the prefix area failed:
/// a ucontrol exit or `EFAULT`).
///
/// # Errors
/// The first lowcore address that cannot be read or written.
pub fn deliver_program(
    cpu: &mut super::Cpu,
    bus: &mut impl Bus,
    code: u16,
    ilen: u8,
) -> Result<(), Access> {
    let mut new_psw = [0u8; 16];
    bus.read(LC_PGM_NEW_PSW, &mut new_psw)?;
    let mut old_psw = [0u8; 16];
    old_psw[..8].copy_from_slice(&cpu.psw_mask.to_be_bytes());
    old_psw[8..].copy_from_slice(&cpu.psw_addr.to_be_bytes());
    // The ILC (length in halfwords) sits in bits 13–14 of its halfword,
    // which makes the halfword the length in bytes.
    let mut id = [0u8; 4];
    id[..2].copy_from_slice(&u16::from(ilen & 6).to_be_bytes());
    id[2..].copy_from_slice(&code.to_be_bytes());
    let data = code & 0xFF == PGM_DATA;
    bus.check_write(LC_PGM_ILC, id.len())?;
    bus.check_write(LC_PGM_OLD_PSW, old_psw.len())?;
    if data {
        bus.check_write(LC_DXC, 1)?;
        bus.write(LC_DXC, &[cpu.dxc])?;
        if cpu.crs[0] & super::CR0_AFP != 0 {
            cpu.fpc = (cpu.fpc & !0xFF00) | (u32::from(cpu.dxc) << 8);
        }
    }
    bus.write(LC_PGM_ILC, &id)?;
    bus.write(LC_PGM_OLD_PSW, &old_psw)?;
    let (mask, addr) = new_psw.split_at(8);
    cpu.psw_mask = u64::from_be_bytes(mask.try_into().unwrap_or_default());
    cpu.psw_addr = u64::from_be_bytes(addr.try_into().unwrap_or_default());
    Ok(())
}
