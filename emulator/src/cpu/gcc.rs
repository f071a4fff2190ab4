//! General instructions gcc emits for freestanding C that the core tables
//! lack.
//!
//! | instruction | opcode | what |
//! |---|---|---|
//! | LOCHI, LOCGHI | EC42, EC46 | load halfword immediate on condition (z13): R1 bits 32–63, or all 64, ← I2 sign-extended when the CC matches M3 |
//!
//! MVCLE, which gcc emits for struct copies at `-Os`, is in `string.rs`.

use super::{Cpu, Insn, Outcome, cc_matches, low32, set_low32};

/// Executes `insn` if it is one of this module's; `None` otherwise.
pub(super) fn execute(cpu: &mut Cpu, insn: &Insn) -> Option<Outcome> {
    let t = insn.text;
    match (t[0], t[5]) {
        (0xEC, 0x42 | 0x46) => {
            let (r1, m3) = (insn.r1(), insn.r2());
            if cc_matches(cpu, m3) {
                let v = i64::from(insn.i16()).cast_unsigned();
                if t[5] == 0x46 {
                    cpu.gprs[r1] = v;
                } else {
                    set_low32(&mut cpu.gprs[r1], low32(v));
                }
            }
            Some(Outcome::Next)
        }
        _ => None,
    }
}
