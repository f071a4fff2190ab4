//! General instructions gcc emits for freestanding C that the core tables
//! lack.
//!
//! | instruction | opcode | what |
//! |---|---|---|
//! | MVCLE | A8 | move long extended (gcc's struct copies at `-Os`) |
//! | LOCHI, LOCGHI | EC42, EC46 | load halfword immediate on condition (z13): R1 bits 32–63, or all 64, ← I2 sign-extended when the CC matches M3 |
//!
//! MVCLE moves at most up to the next 4 KiB boundary of either operand per
//! execution and sets CC 3 while bytes remain, so a long move is a loop of
//! executions (the program's `jo` back to it), as the architecture allows
//! and as QEMU does. Destructive overlap is not detected.

use super::{
    Bus, Cpu, Insn, Outcome, PAGE_SIZE, PGM_SPECIFICATION, Stop, cc_matches, low32, raw_address,
    read_split, set_low32, widen, write_split,
};

/// Executes `insn` if it is one of this module's; `None` otherwise.
pub(super) fn execute(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn) -> Option<Outcome> {
    let t = insn.text;
    match (t[0], t[5]) {
        (0xA8, _) => Some(move_long_extended(cpu, bus, insn)),
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

/// Bytes from `addr` to the end of its 4 KiB page.
fn to_page_end(addr: u64) -> u64 {
    PAGE_SIZE.wrapping_sub(addr & (PAGE_SIZE - 1))
}

/// MVCLE R1,R3,D2(B2): R1/R1+1 destination address and length, R3/R3+1
/// source address and length, the padding byte the low 8 bits of D2(B2).
fn move_long_extended(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn) -> Outcome {
    let (r1, r3) = (insn.r1(), insn.r2());
    if r1 % 2 != 0 || r3 % 2 != 0 {
        return Outcome::StopPast(Stop::Program {
            code: PGM_SPECIFICATION,
            ilen: insn.ilen,
        });
    }
    let (b, d) = insn.base_disp12();
    let pad = raw_address(cpu, 0, b, d).to_be_bytes()[7];
    let amask = insn.amask;
    let wide = amask == u64::MAX;
    let length = |v: u64| if wide { v } else { u64::from(low32(v)) };
    let (dest, src) = (cpu.gprs[r1] & amask, cpu.gprs[r3] & amask);
    let (dlen, slen) = (length(cpu.gprs[r1 | 1]), length(cpu.gprs[r3 | 1]));
    let mut cc = match dlen.cmp(&slen) {
        core::cmp::Ordering::Equal => 0,
        core::cmp::Ordering::Less => 1,
        core::cmp::Ordering::Greater => 2,
    };
    if dlen == 0 {
        cpu.set_cc(cc);
        return Outcome::Next;
    }
    let mut n = dlen.min(to_page_end(dest));
    if slen != 0 {
        n = n.min(slen).min(to_page_end(src));
    }
    // At most one page: the cast cannot truncate.
    let mut buf = [pad; 4096];
    let chunk = &mut buf[..usize::try_from(n).unwrap_or(0)];
    if slen != 0
        && let Err(e) = read_split(bus, amask, src, chunk)
    {
        return Outcome::StopAt(Stop::Fault(e));
    }
    if let Err(e) = write_split(bus, amask, dest, chunk) {
        return Outcome::StopAt(Stop::Fault(e));
    }
    let n = widen(chunk.len());
    let set = |reg: &mut u64, v: u64| {
        if wide {
            *reg = v;
        } else {
            set_low32(reg, low32(v));
        }
    };
    set(&mut cpu.gprs[r1], dest.wrapping_add(n) & amask);
    set(&mut cpu.gprs[r1 | 1], dlen.wrapping_sub(n));
    if slen != 0 {
        set(&mut cpu.gprs[r3], src.wrapping_add(n) & amask);
        set(&mut cpu.gprs[r3 | 1], slen.wrapping_sub(n));
    }
    if dlen > n {
        cc = 3;
    }
    cpu.set_cc(cc);
    Outcome::Next
}
