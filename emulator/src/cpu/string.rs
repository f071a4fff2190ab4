//! Problem-state string and long-operand instructions: MVST, CLST, MVCL,
//! CLCL, MVCLE, CLCLE, TR, TRT, TRTR.
//!
//! The interruptible ones process a CPU-determined amount per execution,
//! chosen here as:
//! - MVST, CLST: up to 4096 bytes, then CC 3 with the registers advanced;
//! - MVCLE, CLCLE: up to the next 4 KiB boundary of either operand (at
//!   least one byte), then CC 3 (QEMU stops at the same place);
//! - MVCL, CLCL: 4096 bytes, then the registers are advanced and the
//!   instruction is executed again (the architecture's interruptible unit
//!   of operation: the CC it sets at the end is the same).
//!
//! A fault is nullifying as everywhere ([`Stop::Fault`]): it is reported
//! only when nothing of the execution was done; a fault after some progress
//! ends the execution with that progress (as if the CPU-determined amount
//! had been reached) and the next execution reports it.

use super::{
    Access, Bus, Cpu, Insn, Outcome, PAGE_SIZE, PGM_SPECIFICATION, Stop, cmp_cc, load_address,
    low8, low32, raw_address, read_split, set_low32, widen, write_split,
};

/// Bytes MVST and CLST process per execution, and MVCL and CLCL per unit
/// of operation.
const UNIT: usize = 4096;

/// The string instructions; `None` for any other opcode.
pub(super) fn execute(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn) -> Option<Outcome> {
    let t = insn.text;
    Some(match t[0] {
        0x0E | 0x0F => {
            let (r1, r2) = (insn.r1(), insn.r2());
            long_operands(cpu, bus, insn, r1, r2, None, t[0] == 0x0F)
        }
        0xA8 | 0xA9 => {
            let (b, d) = insn.base_disp12();
            let pad = low8(raw_address(cpu, 0, b, d));
            long_operands(
                cpu,
                bus,
                insn,
                insn.r1(),
                insn.r2(),
                Some(pad),
                t[0] == 0xA9,
            )
        }
        0xB2 if t[1] == 0x55 || t[1] == 0x5D => {
            let (r1, r2) = insn.rre();
            strings(cpu, bus, insn, r1, r2, t[1] == 0x5D)
        }
        0xDC..=0xDD | 0xD0 => translate(cpu, bus, insn),
        _ => return None,
    })
}

fn specification(insn: &Insn) -> Outcome {
    Outcome::StopPast(Stop::Program {
        code: PGM_SPECIFICATION,
        ilen: insn.ilen,
    })
}

/// Bytes from `a` to the end of its page.
fn to_page_end(a: u64) -> u64 {
    PAGE_SIZE.wrapping_sub(a & (PAGE_SIZE - 1))
}

/// MVST (`compare` false) and CLST: the strings at R1 and R2 up to the
/// ending character in R0 bits 56–63.
fn strings(
    cpu: &mut Cpu,
    bus: &mut impl Bus,
    insn: &Insn,
    r1: usize,
    r2: usize,
    compare: bool,
) -> Outcome {
    let amask = insn.amask;
    let r0 = low32(cpu.gprs[0]);
    if r0 & 0xFFFF_FF00 != 0 {
        return specification(insn);
    }
    let c = low8(u64::from(r0));
    let (a1, a2) = (cpu.gprs[r1] & amask, cpu.gprs[r2] & amask);
    let mut done = 0u64;
    let mut buf1 = [0u8; 256];
    let mut buf2 = [0u8; 256];
    while done < widen(UNIT) {
        let (p1, p2) = (a1.wrapping_add(done) & amask, a2.wrapping_add(done) & amask);
        let n = to_page_end(p1).min(to_page_end(p2)).min(256);
        let n = usize::try_from(n).unwrap_or(256);
        let (b1, b2) = (&mut buf1[..n], &mut buf2[..n]);
        let got = read_split(bus, amask, p2, b2).and_then(|()| {
            if compare {
                read_split(bus, amask, p1, b1)
            } else {
                Ok(())
            }
        });
        if let Err(e) = got {
            return partial(cpu, r1, r2, a1, a2, done, amask, e);
        }
        if compare {
            for (i, (&x, &y)) in b1.iter().zip(b2.iter()).enumerate() {
                let at = done.wrapping_add(widen(i));
                if x == y {
                    if x == c {
                        cpu.set_cc(0);
                        return Outcome::Next;
                    }
                    continue;
                }
                let cc = if x == c {
                    1
                } else if y == c {
                    2
                } else {
                    cmp_cc(x.cmp(&y))
                };
                load_address(cpu, r1, a1.wrapping_add(at), amask);
                load_address(cpu, r2, a2.wrapping_add(at), amask);
                cpu.set_cc(cc);
                return Outcome::Next;
            }
        } else {
            let end = b2.iter().position(|&x| x == c);
            let len = end.map_or(n, |e| e.wrapping_add(1));
            if let Err(e) = write_split(bus, amask, p1, &b2[..len]) {
                return partial(cpu, r1, r2, a1, a2, done, amask, e);
            }
            if let Some(e) = end {
                load_address(cpu, r1, p1.wrapping_add(widen(e)), amask);
                cpu.set_cc(1);
                return Outcome::Next;
            }
        }
        done = done.wrapping_add(widen(n));
    }
    load_address(cpu, r1, a1.wrapping_add(done), amask);
    load_address(cpu, r2, a2.wrapping_add(done), amask);
    cpu.set_cc(3);
    Outcome::Next
}

/// A fault after `done` bytes of MVST or CLST. With nothing done it is
/// the fault (nullifying, as [`Stop::Fault`] promises); otherwise the
/// execution ends with the CPU-determined amount `done`: registers
/// advanced, CC 3, and the next execution meets the fault first.
#[expect(clippy::too_many_arguments, reason = "the state of one string loop")]
fn partial(
    cpu: &mut Cpu,
    r1: usize,
    r2: usize,
    a1: u64,
    a2: u64,
    done: u64,
    amask: u64,
    e: Access,
) -> Outcome {
    if done == 0 {
        return Outcome::StopAt(Stop::Fault(e));
    }
    load_address(cpu, r1, a1.wrapping_add(done), amask);
    load_address(cpu, r2, a2.wrapping_add(done), amask);
    cpu.set_cc(3);
    Outcome::Next
}

/// One operand of MVCL, CLCL, MVCLE, CLCLE: the even register holds the
/// address, the odd one the length.
struct Long {
    reg: usize,
    addr: u64,
    len: u64,
}

impl Long {
    fn of(cpu: &Cpu, reg: usize, amask: u64, extended: bool) -> Self {
        let l = cpu.gprs[reg | 1];
        let len = if !extended {
            l & 0x00FF_FFFF
        } else if amask == u64::MAX {
            l
        } else {
            l & 0xFFFF_FFFF
        };
        Self {
            reg,
            addr: cpu.gprs[reg] & amask,
            len,
        }
    }

    /// Advances by `n` bytes (at most `len`) and writes the registers back.
    fn advance(&mut self, cpu: &mut Cpu, n: u64, amask: u64, extended: bool) {
        self.addr = self.addr.wrapping_add(n) & amask;
        self.len = self.len.wrapping_sub(n);
        load_address(cpu, self.reg, self.addr, amask);
        let l = &mut cpu.gprs[self.reg | 1];
        if !extended {
            // Bits 32–39 (MVCL's padding byte in R2 + 1) stay.
            *l = (*l & !0x00FF_FFFF) | self.len;
        } else if amask == u64::MAX {
            *l = self.len;
        } else {
            set_low32(l, low32(self.len));
        }
    }
}

/// MVCL, CLCL (`pad` None: the padding byte is R2 + 1 bits 32–39) and
/// MVCLE, CLCLE (`pad` from the second-operand address), `compare` for the
/// CL forms.
fn long_operands(
    cpu: &mut Cpu,
    bus: &mut impl Bus,
    insn: &Insn,
    r1: usize,
    r2: usize,
    pad: Option<u8>,
    compare: bool,
) -> Outcome {
    if r1 & 1 != 0 || r2 & 1 != 0 {
        return specification(insn);
    }
    let amask = insn.amask;
    let extended = pad.is_some();
    let pad = pad.unwrap_or_else(|| low8(cpu.gprs[r2 | 1] >> 24));
    let mut op1 = Long::of(cpu, r1, amask, extended);
    let mut op2 = Long::of(cpu, r2, amask, extended);
    let length_cc = cmp_cc(op1.len.cmp(&op2.len));
    if !compare && !extended {
        // Destructive overlap: a source byte would be read after it was
        // stored into.
        let n = op1.len.min(op2.len);
        let off = op1.addr.wrapping_sub(op2.addr) & amask;
        if n > 0 && off > 0 && off < n {
            cpu.set_cc(3);
            return Outcome::Next;
        }
    }
    let limit = if extended {
        // Up to the next 4 KiB boundary of either operand.
        let mut l = to_page_end(op1.addr);
        if op2.len > 0 {
            l = l.min(to_page_end(op2.addr));
        }
        l
    } else {
        widen(UNIT)
    };
    let mut done = 0u64;
    let mut b1 = [0u8; 256];
    let mut b2 = [0u8; 256];
    while done < limit {
        let left = if compare {
            op1.len.max(op2.len)
        } else {
            op1.len
        };
        if left == 0 {
            break;
        }
        let mut n = left.min(256).min(limit.wrapping_sub(done));
        n = n.min(to_page_end(op1.addr));
        if op2.len > 0 {
            n = n.min(op2.len).min(to_page_end(op2.addr));
        }
        if compare && op1.len > 0 {
            n = n.min(op1.len);
        }
        let k = usize::try_from(n).unwrap_or(256);
        let (x, y) = (&mut b1[..k], &mut b2[..k]);
        let mut got = Ok(());
        if op2.len > 0 {
            got = read_split(bus, amask, op2.addr, y);
        } else {
            y.fill(pad);
        }
        if compare {
            if op1.len > 0 {
                got = got.and_then(|()| read_split(bus, amask, op1.addr, x));
            } else {
                x.fill(pad);
            }
        } else {
            got = got.and_then(|()| write_split(bus, amask, op1.addr, y));
        }
        if let Err(e) = got {
            // Nothing of this piece happened. With earlier pieces done the
            // execution ends there (MVCLE, CLCLE: CC 3; MVCL, CLCL: again
            // from the advanced registers); the fault comes next time.
            return match (done, extended) {
                (0, _) => Outcome::StopAt(Stop::Fault(e)),
                (_, true) => {
                    cpu.set_cc(3);
                    Outcome::Next
                }
                (_, false) => Outcome::Jump(insn.ia),
            };
        }
        let same = if compare {
            x.iter().zip(y.iter()).position(|(p, q)| p != q)
        } else {
            None
        };
        let step = same.map_or(n, widen);
        let step1 = if op1.len > 0 { step } else { 0 };
        let step2 = if op2.len > 0 { step } else { 0 };
        op1.advance(cpu, step1, amask, extended);
        op2.advance(cpu, step2, amask, extended);
        if let Some(i) = same {
            cpu.set_cc(cmp_cc(x[i].cmp(&y[i])));
            return Outcome::Next;
        }
        done = done.wrapping_add(n);
    }
    let finished = if compare {
        op1.len == 0 && op2.len == 0
    } else {
        op1.len == 0
    };
    if finished {
        cpu.set_cc(if compare { 0 } else { length_cc });
        Outcome::Next
    } else if extended {
        cpu.set_cc(3);
        Outcome::Next
    } else {
        // MVCL and CLCL go on where they stopped: the same instruction
        // again, with the registers advanced.
        Outcome::Jump(insn.ia)
    }
}

/// TR, TRT and TRTR `D1(L,B1),D2(B2)`: translate or test the first
/// operand through the 256-byte table at the second.
fn translate(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn) -> Outcome {
    let t = insn.text;
    let amask = insn.amask;
    let len = usize::from(t[1]).wrapping_add(1);
    let (b1, d1) = insn.base_disp12();
    let (b2, d2) = {
        let b = usize::from(t[4] >> 4);
        (b, i64::from(u16::from_be_bytes([t[4] & 0xF, t[5]])))
    };
    let table_at = raw_address(cpu, 0, b2, d2) & amask;
    let a1 = raw_address(cpu, 0, b1, d1) & amask;
    // TRTR's address designates the rightmost byte.
    let start = if t[0] == 0xD0 {
        a1.wrapping_sub(widen(len).wrapping_sub(1)) & amask
    } else {
        a1
    };
    let mut data = [0u8; 256];
    let data = &mut data[..len];
    if let Err(e) = read_split(bus, amask, start, data) {
        return Outcome::StopAt(Stop::Fault(e));
    }
    let mut table = [0u8; 256];
    if let Err(e) = read_split(bus, amask, table_at, &mut table) {
        return Outcome::StopAt(Stop::Fault(e));
    }
    if t[0] == 0xDC {
        // Byte by byte, left to right: a first operand overlapping the
        // table changes the table for the bytes after it (as QEMU does).
        let mut out = [0u8; 256];
        for (i, (o, &b)) in out.iter_mut().zip(data.iter()).enumerate() {
            let v = table[usize::from(b)];
            *o = v;
            let at = start.wrapping_add(widen(i)).wrapping_sub(table_at) & amask;
            if let Some(slot) = usize::try_from(at).ok().and_then(|k| table.get_mut(k)) {
                *slot = v;
            }
        }
        return match write_split(bus, amask, start, &out[..len]) {
            Ok(()) => Outcome::Next,
            Err(e) => Outcome::StopAt(Stop::Fault(e)),
        };
    }
    let order: Box<dyn Iterator<Item = usize>> = if t[0] == 0xD0 {
        Box::new((0..len).rev())
    } else {
        Box::new(0..len)
    };
    let last = if t[0] == 0xD0 { 0 } else { len.wrapping_sub(1) };
    for i in order {
        let f = table[usize::from(data[i])];
        if f != 0 {
            load_address(cpu, 1, start.wrapping_add(widen(i)), amask);
            cpu.gprs[2] = (cpu.gprs[2] & !0xFF) | u64::from(f);
            cpu.set_cc(if i == last { 2 } else { 1 });
            return Outcome::Next;
        }
    }
    cpu.set_cc(0);
    Outcome::Next
}
