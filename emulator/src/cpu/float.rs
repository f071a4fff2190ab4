//! The floating-point-register moves integer code uses: gcc spills general
//! registers into FPRs (LDGR, LGDR) and saves f0–f6 in varargs prologues
//! (STD, LD). Only moves, loads and stores: no arithmetic, no conversion,
//! no FPC. The FPRs are [`Cpu::fprs`](super::Cpu::fprs), 64 bits each; a
//! short (32-bit) operand is bits 0–31 of its register and leaves bits
//! 32–63 alone. The AFP-register control (CR0 bit 45) is not modelled:
//! all sixteen registers are usable.
//!
//! | instruction | opcode | what |
//! |---|---|---|
//! | LDR, LER | 28, 38 | FPR ← FPR (long, short) |
//! | LDGR, LGDR | B3C1, B3CD | FPR ← GPR, GPR ← FPR (64 bits) |
//! | LZDR, LZER | B375, B374 | FPR ← +0 (long, short) |
//! | LD, LE, LDY, LEY | 68, 78, ED65, ED64 | FPR ← storage |
//! | STD, STE, STDY, STEY | 60, 70, ED67, ED66 | storage ← FPR |

use super::{Bus, Cpu, Insn, Outcome, Stop, raw_address, read_split, write_split};

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

/// Executes `insn` if it is one of this module's; `None` otherwise.
pub(super) fn execute(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn) -> Option<Outcome> {
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
