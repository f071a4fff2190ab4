//! The floating-point-register moves integer code uses: gcc spills general
//! registers into FPRs (LDGR, LGDR) and saves f0–f6 in varargs prologues
//! (STD, LD). Only moves, loads and stores: no arithmetic, no conversion,
//! no FPC. The FPRs are [`Cpu::fprs`](super::Cpu::fprs), 64 bits each; a
//! short (32-bit) operand is bits 0–31 of its register and leaves bits
//! 32–63 alone. With CR0's AFP-register control off (as a ucontrol vcpu
//! starts) an instruction naming an FPR other than 0, 2, 4 or 6 is a data
//! exception with DXC 1, suppressed: it changes nothing.
//!
//! | instruction | opcode | what |
//! |---|---|---|
//! | LDR, LER | 28, 38 | FPR ← FPR (long, short) |
//! | LDGR, LGDR | B3C1, B3CD | FPR ← GPR, GPR ← FPR (64 bits) |
//! | LZDR, LZER | B375, B374 | FPR ← +0 (long, short) |
//! | LD, LE, LDY, LEY | 68, 78, ED65, ED64 | FPR ← storage |
//! | STD, STE, STDY, STEY | 60, 70, ED67, ED66 | storage ← FPR |

use super::interrupt::DXC_AFP_REGISTER;
use super::{
    Bus, CR0_AFP, Cpu, Insn, Outcome, PGM_DATA, Stop, raw_address, read_split, write_split,
};

/// Bits 0–31 of a register: the short floating-point format.
const HIGH: u64 = 0xFFFF_FFFF_0000_0000;

/// A load (`store` false) or store of `len` (4 or 8) bytes between FPR `r`
/// and `addr`.
fn transfer(
    cpu: &mut Cpu,
    bus: &mut impl Bus,
    insn: &Insn,
    r: usize,
    addr: u64,
    len: usize,
    store: bool,
) -> Outcome {
    let bytes = cpu.fprs[r].to_be_bytes();
    if store {
        return match write_split(bus, insn.amask, addr, &bytes[..len]) {
            Ok(()) => Outcome::Next,
            Err(e) => Outcome::StopAt(Stop::Fault(e)),
        };
    }
    let mut v = bytes;
    if let Err(e) = read_split(bus, insn.amask, addr, &mut v[..len]) {
        return Outcome::StopAt(Stop::Fault(e));
    }
    cpu.fprs[r] = u64::from_be_bytes(v);
    Outcome::Next
}

/// The FPR fields `insn` names (`None`: not one of this module's
/// instructions): `[r1, r2]` for the register-to-register moves, `r1`
/// alone for the loads, stores and LDGR, LZDR, LZER, `r2` for LGDR.
fn fprs_named(insn: &Insn) -> Option<(usize, Option<usize>)> {
    let t = insn.text;
    let (r1, x2) = (insn.r1(), insn.r2());
    Some(match t[0] {
        0x28 | 0x38 => (r1, Some(x2)),
        0x60 | 0x68 | 0x70 | 0x78 => (r1, None),
        0xB3 => {
            let (r1, r2) = insn.rre();
            match t[1] {
                0xC1 | 0x75 | 0x74 => (r1, None),
                0xCD => (r2, None),
                _ => return None,
            }
        }
        0xED if matches!(t[5], 0x64..=0x67) => (r1, None),
        _ => return None,
    })
}

/// Whether FPR `r` is one of 0, 2, 4 and 6, usable without the
/// AFP-register control.
const fn basic(r: usize) -> bool {
    r & 0b1001 == 0
}

/// Executes `insn` if it is one of this module's; `None` otherwise.
pub(super) fn execute(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn) -> Option<Outcome> {
    let (a, b) = fprs_named(insn)?;
    if cpu.crs[0] & CR0_AFP == 0 && !(basic(a) && b.is_none_or(basic)) {
        cpu.dxc = DXC_AFP_REGISTER;
        return Some(Outcome::StopPast(Stop::Program {
            code: PGM_DATA,
            ilen: insn.ilen,
        }));
    }
    let t = insn.text;
    let (r1, x2) = (insn.r1(), insn.r2());
    let (b, d) = insn.base_disp12();
    let rx = |cpu: &Cpu| raw_address(cpu, x2, b, d);
    Some(match t[0] {
        0x28 => {
            cpu.fprs[r1] = cpu.fprs[x2];
            Outcome::Next
        }
        0x38 => {
            cpu.fprs[r1] = (cpu.fprs[r1] & !HIGH) | (cpu.fprs[x2] & HIGH);
            Outcome::Next
        }
        0x60 => transfer(cpu, bus, insn, r1, rx(cpu), 8, true),
        0x68 => transfer(cpu, bus, insn, r1, rx(cpu), 8, false),
        0x70 => transfer(cpu, bus, insn, r1, rx(cpu), 4, true),
        0x78 => transfer(cpu, bus, insn, r1, rx(cpu), 4, false),
        0xB3 => {
            let (r1, r2) = insn.rre();
            match t[1] {
                0xC1 => cpu.fprs[r1] = cpu.gprs[r2],
                0xCD => cpu.gprs[r1] = cpu.fprs[r2],
                0x75 => cpu.fprs[r1] = 0,
                0x74 => cpu.fprs[r1] &= !HIGH,
                _ => return None,
            }
            Outcome::Next
        }
        0xED => {
            let (b, d) = insn.base_disp20();
            let a = raw_address(cpu, x2, b, d);
            match t[5] {
                0x64 => transfer(cpu, bus, insn, r1, a, 4, false),
                0x65 => transfer(cpu, bus, insn, r1, a, 8, false),
                0x66 => transfer(cpu, bus, insn, r1, a, 4, true),
                0x67 => transfer(cpu, bus, insn, r1, a, 8, true),
                _ => return None,
            }
        }
        _ => return None,
    })
}
