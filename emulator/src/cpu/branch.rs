//! Branch on index: BXH, BXLE (RS), BXHG, BXLEG (RSY), BRXH, BRXLE (RSI),
//! BRXHG, BRXLG (RIE). R1 += R3; the sum is compared with the odd register
//! of the R3 pair (R3 itself when odd), read before R1 is written, as is
//! the branch address.

use super::{Bus, Cpu, Insn, Outcome, low32, raw_address, set_low32};

/// The branch-on-index instructions; `None` for any other opcode.
pub(super) fn execute(cpu: &mut Cpu, _bus: &mut impl Bus, insn: &Insn) -> Option<Outcome> {
    let t = insn.text;
    let (r1, r3) = (insn.r1(), insn.r2());
    // (64-bit, branch when high, target)
    let (wide, high, target) = match (t[0], t[5]) {
        (0x86 | 0x87, _) => {
            let (b, d) = insn.base_disp12();
            (false, t[0] == 0x86, raw_address(cpu, 0, b, d) & insn.amask)
        }
        (0x84 | 0x85, _) => (false, t[0] == 0x84, insn.relative(i64::from(insn.i16()))),
        (0xEB, 0x44 | 0x45) => {
            let (b, d) = insn.base_disp20();
            (true, t[5] == 0x44, raw_address(cpu, 0, b, d) & insn.amask)
        }
        (0xEC, 0x44 | 0x45) => (true, t[5] == 0x44, insn.relative(i64::from(insn.i16()))),
        _ => return None,
    };
    let increment = cpu.gprs[r3];
    let limit = cpu.gprs[r3 | 1];
    let taken = if wide {
        let sum = cpu.gprs[r1]
            .cast_signed()
            .wrapping_add(increment.cast_signed());
        cpu.gprs[r1] = sum.cast_unsigned();
        (sum > limit.cast_signed()) == high
    } else {
        let sum = low32(cpu.gprs[r1])
            .cast_signed()
            .wrapping_add(low32(increment).cast_signed());
        set_low32(&mut cpu.gprs[r1], sum.cast_unsigned());
        (sum > low32(limit).cast_signed()) == high
    };
    Some(if taken {
        Outcome::Jump(target)
    } else {
        Outcome::Next
    })
}
