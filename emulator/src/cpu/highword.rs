//! The high-word facility (z196): operations on bits 0–31 of a general
//! register that leave bits 32–63 alone. AHHHR, AHHLR, SHHHR, SHHLR,
//! ALHHHR, ALHHLR, SLHHHR, SLHHLR, CHHR, CHLR, CLHHR, CLHLR (B9xx); LBH,
//! LLCH, STCH, LHH, LLHH, STHH, LFH, STFH, CHF, CLHF (E3xx); AIH, ALSIH,
//! ALSIHN, CIH, CLIH, BRCTH (CCxx); RISBHG, RISBLG (EC5D, EC51).
//!
//! Each reuses the 32-bit operation on a copy of the register whose low
//! word holds the high word, so the condition codes and overflow rules are
//! those of the 32-bit forms.

use super::{
    Alu, Bus, Cpu, Insn, Outcome, Stop, alu32, low32, raw_address, read_operand, write_split,
};

/// The high word of `v`.
fn high(v: u64) -> u32 {
    low32(v >> 32)
}

/// `alu` on the high word of R1 and `op2`; the result (if any) into the
/// high word.
fn on_high(cpu: &mut Cpu, r1: usize, a: u32, op2: u32, alu: Alu, ilen: u8) -> Outcome {
    let saved = cpu.gprs[r1];
    cpu.gprs[r1] = u64::from(a);
    let o = alu32(cpu, r1, u64::from(op2), alu, ilen);
    let v = low32(cpu.gprs[r1]);
    cpu.gprs[r1] = (u64::from(v) << 32) | (saved & 0xFFFF_FFFF);
    o
}

/// The high-word instructions; `None` for any other opcode.
pub(super) fn execute(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn) -> Option<Outcome> {
    let t = insn.text;
    let ilen = insn.ilen;
    let r1 = insn.r1();
    Some(match (t[0], t[1], t[5]) {
        (0xB9, op @ (0xC8..=0xCB | 0xD8..=0xDB), _) => {
            let (r1, r2) = insn.rre();
            let r3 = usize::from(t[2] >> 4);
            let b = if op & 0x10 == 0 {
                high(cpu.gprs[r3])
            } else {
                low32(cpu.gprs[r3])
            };
            let alu = [Alu::Add, Alu::Sub, Alu::AddLogical, Alu::SubLogical][usize::from(op & 3)];
            on_high(cpu, r1, high(cpu.gprs[r2]), b, alu, ilen)
        }
        (0xB9, op @ (0xCD | 0xCF | 0xDD | 0xDF), _) => {
            let (r1, r2) = insn.rre();
            let b = if op & 0x10 == 0 {
                high(cpu.gprs[r2])
            } else {
                low32(cpu.gprs[r2])
            };
            let alu = if op & 2 == 0 {
                Alu::Cmp
            } else {
                Alu::CmpLogical
            };
            on_high(cpu, r1, high(cpu.gprs[r1]), b, alu, ilen)
        }
        (0xE3, _, op @ (0xC0 | 0xC2 | 0xC3 | 0xC4 | 0xC6 | 0xC7 | 0xCA | 0xCB | 0xCD | 0xCF)) => {
            let (b, d) = insn.base_disp20();
            let a = raw_address(cpu, insn.r2(), b, d);
            let len = match op {
                0xC0 | 0xC2 | 0xC3 => 1,
                0xC4 | 0xC6 | 0xC7 => 2,
                _ => 4,
            };
            if matches!(op, 0xC3 | 0xC7 | 0xCB) {
                let bytes = high(cpu.gprs[r1]).to_be_bytes();
                return Some(
                    match write_split(bus, insn.amask, a, &bytes[4usize.wrapping_sub(len)..]) {
                        Ok(()) => Outcome::Next,
                        Err(e) => Outcome::StopAt(Stop::Fault(e)),
                    },
                );
            }
            let v = match read_operand(bus, insn.amask, a, len) {
                Ok(v) => low32(v),
                Err(e) => return Some(Outcome::StopAt(Stop::Fault(e))),
            };
            let v = match op {
                0xC0 => i32::from(v.to_be_bytes()[3].cast_signed()).cast_unsigned(),
                0xC4 => {
                    let [.., h0, h1] = v.to_be_bytes();
                    i32::from(i16::from_be_bytes([h0, h1])).cast_unsigned()
                }
                _ => v,
            };
            let alu = match op {
                0xCD => Alu::Cmp,
                0xCF => Alu::CmpLogical,
                _ => Alu::Load,
            };
            on_high(cpu, r1, high(cpu.gprs[r1]), v, alu, ilen)
        }
        (0xCC, _, _) => {
            let imm = insn.i32().cast_unsigned();
            let h = high(cpu.gprs[r1]);
            match insn.r2() {
                0x8 => on_high(cpu, r1, h, imm, Alu::Add, ilen),
                0xA => {
                    // ALSIH: a logical add of a signed immediate: CC as
                    // for add logical (subtracting sets it as subtract).
                    if insn.i32() < 0 {
                        on_high(cpu, r1, h, imm.wrapping_neg(), Alu::SubLogical, ilen)
                    } else {
                        on_high(cpu, r1, h, imm, Alu::AddLogical, ilen)
                    }
                }
                0xB => {
                    let v = h.wrapping_add(imm);
                    cpu.gprs[r1] = (u64::from(v) << 32) | (cpu.gprs[r1] & 0xFFFF_FFFF);
                    Outcome::Next
                }
                0xD => on_high(cpu, r1, h, imm, Alu::Cmp, ilen),
                0xF => on_high(cpu, r1, h, imm, Alu::CmpLogical, ilen),
                0x6 => {
                    let v = h.wrapping_sub(1);
                    cpu.gprs[r1] = (u64::from(v) << 32) | (cpu.gprs[r1] & 0xFFFF_FFFF);
                    if v != 0 {
                        Outcome::Jump(insn.relative(i64::from(insn.i32())))
                    } else {
                        Outcome::Next
                    }
                }
                _ => return None,
            }
        }
        (0xEC, _, 0x5D | 0x51) => {
            let r2 = insn.r2();
            let (s, e) = (u32::from(t[2] & 31), u32::from(t[3] & 31));
            let from = u32::MAX >> s;
            let to = !u32::MAX.checked_shr(e.wrapping_add(1)).unwrap_or(0);
            let mask = if s <= e { from & to } else { from | to };
            let rot = cpu.gprs[r2].rotate_left(u32::from(t[4] & 63));
            let hi = t[5] == 0x5D;
            let (src, old) = if hi {
                (high(rot), high(cpu.gprs[r1]))
            } else {
                (low32(rot), low32(cpu.gprs[r1]))
            };
            let rest = if t[3] & 0x80 != 0 { 0 } else { old & !mask };
            let v = u64::from(rest | (src & mask));
            let r = &mut cpu.gprs[r1];
            *r = if hi {
                (v << 32) | (*r & 0xFFFF_FFFF)
            } else {
                (*r & 0xFFFF_FFFF_0000_0000) | v
            };
            Outcome::Next
        }
        _ => return None,
    })
}
