//! Compare and trap (z10: CRT, CGRT, CLRT, CLGRT, CIT, CGIT, CLFIT, CLGIT;
//! zEC12: CLT, CLGT) and load and trap (zEC12: LAT, LGAT, LLGFAT, LLGTAT,
//! LFHAT). The trap is a data exception with DXC 0xFF
//! ([`super::interrupt::DXC_COMPARE_AND_TRAP`]), which SIE delivers to the
//! guest; the PSW points past the instruction (a load and trap has loaded).

use core::cmp::Ordering;

use super::{Bus, Cpu, Insn, Outcome, PGM_DATA, Stop, low32, raw_address, read_operand, set_low32};

/// The traps; `None` for any other opcode.
pub(super) fn execute(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn) -> Option<Outcome> {
    let t = insn.text;
    let r1 = insn.r1();
    let g = |r: usize| cpu.gprs[r];
    let s32 = |v: u64| i64::from(low32(v).cast_signed());
    let u32_ = |v: u64| u64::from(low32(v));
    let imm16 = i64::from(insn.i16());
    let uimm16 = u64::from(insn.i16().cast_unsigned());
    // (ordering of operand 1 against operand 2, mask)
    let (ord, m): (Ordering, u8) = match (t[0], t[1], t[5]) {
        (0xB9, 0x72 | 0x60 | 0x73 | 0x61, _) => {
            let (a, b) = insn.rre();
            let (x, y) = (g(a), g(b));
            let o = match t[1] {
                0x72 => s32(x).cmp(&s32(y)),
                0x60 => x.cast_signed().cmp(&y.cast_signed()),
                0x73 => low32(x).cmp(&low32(y)),
                _ => x.cmp(&y),
            };
            (o, t[2] >> 4)
        }
        (0xEC, _, 0x70..=0x73) => {
            let x = g(r1);
            let o = match t[5] {
                0x72 => s32(x).cmp(&imm16),
                0x70 => x.cast_signed().cmp(&imm16),
                0x73 => u32_(x).cmp(&uimm16),
                _ => x.cmp(&uimm16),
            };
            (o, t[4] >> 4)
        }
        (0xEB, _, 0x23 | 0x2B) => {
            let (b, d) = insn.base_disp20();
            let a = raw_address(cpu, 0, b, d);
            let len = if t[5] == 0x23 { 4 } else { 8 };
            let v = match read_operand(bus, insn.amask, a, len) {
                Ok(v) => v,
                Err(e) => return Some(Outcome::StopAt(Stop::Fault(e))),
            };
            let x = g(r1);
            let o = if len == 4 {
                low32(x).cmp(&low32(v))
            } else {
                x.cmp(&v)
            };
            (o, u8::try_from(insn.r2()).unwrap_or(0))
        }
        (0xE3, _, 0x9F | 0x85 | 0x9D | 0x9C | 0xC8) => {
            let (b, d) = insn.base_disp20();
            let a = raw_address(cpu, insn.r2(), b, d);
            let len = if t[5] == 0x85 { 8 } else { 4 };
            let v = match read_operand(bus, insn.amask, a, len) {
                Ok(v) => v,
                Err(e) => return Some(Outcome::StopAt(Stop::Fault(e))),
            };
            let r = &mut cpu.gprs[r1];
            let zero = match t[5] {
                0x9F => {
                    set_low32(r, low32(v));
                    low32(v) == 0
                }
                0x85 | 0x9D => {
                    *r = v;
                    v == 0
                }
                0x9C => {
                    *r = v & 0x7FFF_FFFF;
                    *r == 0
                }
                _ => {
                    *r = (*r & 0xFFFF_FFFF) | (v << 32);
                    v == 0
                }
            };
            return Some(if zero { trap(cpu, insn) } else { Outcome::Next });
        }
        _ => return None,
    };
    let bit = match ord {
        Ordering::Equal => 8,
        Ordering::Less => 4,
        Ordering::Greater => 2,
    };
    Some(if m & bit != 0 {
        trap(cpu, insn)
    } else {
        Outcome::Next
    })
}

fn trap(cpu: &mut Cpu, insn: &Insn) -> Outcome {
    cpu.dxc = super::interrupt::DXC_COMPARE_AND_TRAP;
    Outcome::StopPast(Stop::Program {
        code: PGM_DATA,
        ilen: insn.ilen,
    })
}
