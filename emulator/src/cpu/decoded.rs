//! Pre-decoded instructions: what [`super::run`] executes from.
//!
//! The first execution of an instruction fetches it through the [`Bus`] and
//! decodes it into an `Op`, kept in a [`CodeCache`] slot for its address;
//! later executions dispatch on the `Op` without a bus call. The common
//! instructions of compiled code are decoded into their operands; the rest
//! keep their bytes and go through `super::execute`, as [`super::step`]
//! runs them. An instruction that crosses into the next page is never kept.
//!
//! Coherence: a page's decoded instructions depend on its bytes only, and
//! the bus names the memory behind each page ([`Bus::code_page`]), the same
//! name for every address that reaches it. Every store the interpreter
//! makes goes through `Coherent`, which drops the decoded instructions of
//! the page it wrote under whatever address they were decoded, so the next
//! fetch (even of the very next instruction) reads the new bytes. A bus
//! that names no page ([`Bus::code_page`]'s default) is run the old way,
//! every instruction fetched.

use super::{
    Access, Alu, Bus, Cpu, Ext, Insn, Outcome, PAGE_SIZE, PGM_SPECIFICATION, PSW_CC_SHIFT, Shift,
    Stop, address_fits, alu, c2_kind, cc_matches, execute, extend, fetch, finish, keys,
    load_address, low32, mode_mask, raw_address, read_operand, rr_kind, rre_kind, rx_kind,
    rxy_kind, set_low32, shift_amount, shift32, shift64, step, store_low_value, tm_cc,
};

/// Instruction slots in a page: one per halfword.
const SLOTS: usize = 2048;
const _: () = assert!(PAGE_SIZE == 2 * 2048);

/// Decoded pages kept at once, direct-mapped by instruction address.
const ENTRIES: usize = 16;

/// A page tag no instruction address has (page addresses are multiples of
/// 4 KiB).
const NO_PAGE: u64 = 1;

/// One decoded instruction. Register numbers are below 16 by construction
/// (4-bit fields); displacements and immediates are already sign- or
/// zero-extended as the instruction wants them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// Not decoded yet.
    Empty,
    /// Fetched and executed anew each time: the instruction crosses the
    /// page's end, so its bytes are not all this page's.
    Uncached,
    /// Any other instruction, by its bytes.
    Generic { text: [u8; 6], ilen: u8 },
    /// R1 = R1 op R2 (widened by `ext`).
    AluRr {
        r1: u8,
        r2: u8,
        op: Alu,
        ext: Ext,
        wide: bool,
        ilen: u8,
    },
    /// R1 = R1 op immediate.
    AluRi {
        r1: u8,
        op: Alu,
        wide: bool,
        ilen: u8,
        imm: u64,
    },
    /// R1 = R1 op storage operand of `len` bytes at D2(X2,B2).
    AluRx {
        r1: u8,
        x: u8,
        b: u8,
        len: u8,
        ext: Ext,
        op: Alu,
        wide: bool,
        ilen: u8,
        d: i32,
    },
    /// The low `len` bytes of R1 to D2(X2,B2).
    Store {
        r1: u8,
        x: u8,
        b: u8,
        len: u8,
        ilen: u8,
        d: i32,
    },
    /// LA, LAY.
    LoadAddress {
        r1: u8,
        x: u8,
        b: u8,
        ilen: u8,
        d: i32,
    },
    /// BRC, BRCL: `off` halfwords when the CC matches mask `m`.
    BranchRelative { m: u8, ilen: u8, off: i32 },
    /// BCR with R2 not 0.
    BranchRegister { m: u8, r2: u8 },
    /// BRCT (`wide` false), BRCTG.
    BranchCount { r1: u8, wide: bool, off: i32 },
    /// RSY shifts and rotates: R1 = R3 shifted by D2(B2).
    Shift {
        r1: u8,
        r3: u8,
        b: u8,
        s: Shift,
        wide: bool,
        d: i32,
    },
    /// TMLH, TMLL, TMHH, TMHL: the halfword at `shift`.
    TestMask { r1: u8, shift: u8, imm: u16 },
    /// CRJ, CGRJ, CLRJ, CLGRJ, CIJ, CGIJ, CLIJ, CLGIJ: compare R1 with R2
    /// or the immediate, jump `off` halfwords when mask `m` matches.
    CompareJump {
        r1: u8,
        r2: u8,
        kind: Compare,
        m: u8,
        imm: u8,
        off: i16,
    },
}

/// How COMPARE AND BRANCH compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    /// 32-bit signed, registers.
    Reg32,
    /// 64-bit signed, registers.
    Reg64,
    /// 32-bit logical, registers.
    RegLogical32,
    /// 64-bit logical, registers.
    RegLogical64,
    /// 32-bit signed, the sign-extended immediate.
    Imm32,
    /// 64-bit signed, the sign-extended immediate.
    Imm64,
    /// 32-bit logical, the immediate.
    ImmLogical32,
    /// 64-bit logical, the immediate.
    ImmLogical64,
}

/// The decoded instructions of one page.
#[derive(Debug)]
struct Entry {
    /// The page's address as the interpreter fetches from it, or
    /// [`NO_PAGE`].
    page: u64,
    /// The bus's name for the memory behind it ([`Bus::code_page`]).
    key: u64,
    ops: Box<[Op]>,
}

/// Decoded instructions of up to 16 pages, for [`run_cached`]. Keep one
/// across runs only while the memory behind it changes through the bus the
/// runs use, and [`clear`](Self::clear) it when anything else may have
/// written (another thread, a write that bypassed the interpreter).
#[derive(Debug, Default)]
pub struct CodeCache {
    /// Allocated on first use, [`ENTRIES`] of them.
    entries: Vec<Entry>,
    /// One bit per live entry's key (bit `key / 4096 % 64`): a store whose
    /// bit is clear holds no decoded page.
    keys: u64,
}

/// The [`CodeCache::keys`] bit of page name `key`.
fn key_bit(key: u64) -> u64 {
    1u64 << ((key / PAGE_SIZE) % 64)
}

/// The entry that page address `page` maps to.
fn entry_index(page: u64) -> usize {
    // The remainder is below ENTRIES, so the conversion cannot fail.
    usize::try_from((page / PAGE_SIZE) % 16).unwrap_or(0)
}

/// The slot of instruction address `ia` in its page.
fn slot_index(ia: u64) -> usize {
    usize::try_from((ia % PAGE_SIZE) / 2).unwrap_or(0)
}

impl CodeCache {
    /// An empty cache (it allocates when first used).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
            keys: 0,
        }
    }

    /// Forgets every decoded instruction.
    pub fn clear(&mut self) {
        for e in &mut self.entries {
            e.page = NO_PAGE;
        }
        self.keys = 0;
    }

    /// Forgets the decoded instructions of the memory named `key`, under
    /// every address they were decoded at.
    fn written(&mut self, key: u64) {
        if self.keys & key_bit(key) == 0 {
            return;
        }
        let mut keys = 0;
        for e in &mut self.entries {
            if e.page != NO_PAGE {
                if e.key == key {
                    e.page = NO_PAGE;
                } else {
                    keys |= key_bit(e.key);
                }
            }
        }
        self.keys = keys;
    }

    /// The entry holding `ia`'s page, made empty for it when it held
    /// another.
    fn entry_for(&mut self, page: u64, key: u64) -> usize {
        if self.entries.is_empty() {
            self.entries = (0..ENTRIES)
                .map(|_| Entry {
                    page: NO_PAGE,
                    key: 0,
                    ops: vec![Op::Empty; SLOTS].into_boxed_slice(),
                })
                .collect();
        }
        let i = entry_index(page);
        let e = &mut self.entries[i];
        if e.page != page || e.key != key {
            e.page = page;
            e.key = key;
            e.ops.fill(Op::Empty);
            // A replaced entry's bit may stay set: `written` then only
            // looks for nothing.
            self.keys |= key_bit(key);
        }
        i
    }
}

/// A bus whose stores keep a [`CodeCache`] coherent: what the interpreter
/// runs on while it executes from the cache.
pub(crate) struct Coherent<'a, B: Bus> {
    pub(crate) bus: &'a mut B,
    pub(crate) code: &'a mut CodeCache,
}

impl<B: Bus> Bus for Coherent<'_, B> {
    fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), Access> {
        self.bus.read(addr, buf)
    }

    fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), Access> {
        let done = self.bus.write(addr, data);
        // Even a failed write may have changed bytes (see the contract).
        if self.code.keys != 0
            && let Some(key) = self.bus.code_page(addr)
        {
            self.code.written(key);
        }
        done
    }

    fn check_write(&mut self, addr: u64, len: usize) -> Result<(), Access> {
        self.bus.check_write(addr, len)
    }

    /// A key instruction may reset a reference bit that the next fetch
    /// must set again through the bus: nothing decoded survives it.
    fn storage_keys(&mut self) -> Option<&mut dyn keys::StorageKeys> {
        self.code.clear();
        self.bus.storage_keys()
    }

    fn tod_clock(&mut self) -> u64 {
        self.bus.tod_clock()
    }

    fn code_page(&mut self, addr: u64) -> Option<u64> {
        self.bus.code_page(addr)
    }
}

/// Decodes the instruction `text` (`ilen` bytes, all in one page).
fn decode(text: [u8; 6], ilen: u8) -> Op {
    let t = text;
    let r1 = t[1] >> 4;
    let r2 = t[1] & 0xF;
    let (x, b) = (r2, t[2] >> 4);
    let d12 = i32::from(u16::from_be_bytes([t[2] & 0xF, t[3]]));
    // DH:DL as a 20-bit two's-complement number.
    let d20 = (i32::from_be_bytes([t[4], (t[2] & 0xF) << 4, 0, 0]) >> 12) | i32::from(t[3]);
    let i16v = i16::from_be_bytes([t[2], t[3]]);
    let i32v = i32::from_be_bytes([t[2], t[3], t[4], t[5]]);
    let imm16 = u64::from(u16::from_be_bytes([t[2], t[3]]));
    let imm32 = u64::from(i32v.cast_unsigned());
    let generic = Op::Generic { text, ilen };
    let alu_rr = |r1, r2, (wide, ext, op): (bool, Ext, Alu)| Op::AluRr {
        r1,
        r2,
        op,
        ext,
        wide,
        ilen,
    };
    let alu_ri = |op, wide, imm| Op::AluRi {
        r1,
        op,
        wide,
        ilen,
        imm,
    };
    let alu_rx = |d, (len, ext, op, wide): (u8, Ext, Alu, bool)| Op::AluRx {
        r1,
        x,
        b,
        len,
        ext,
        op,
        wide,
        ilen,
        d,
    };
    let store = |d, len| Op::Store {
        r1,
        x,
        b,
        len,
        ilen,
        d,
    };
    let narrow = |len: usize| u8::try_from(len).unwrap_or(0);
    match t[0] {
        0x07 if r2 != 0 => Op::BranchRegister { m: r1, r2 },
        0x18 => alu_rr(r1, r2, (false, Ext::Full, Alu::Load)),
        0x10..=0x17 | 0x19..=0x1B | 0x1E | 0x1F => {
            rr_kind(t[0]).map_or(generic, |k| alu_rr(r1, r2, k))
        }
        0x40 => store(d12, 2),
        0x41 => Op::LoadAddress {
            r1,
            x,
            b,
            ilen,
            d: d12,
        },
        0x42 => store(d12, 1),
        0x50 => store(d12, 4),
        0x58 => alu_rx(d12, (4, Ext::Full, Alu::Load, false)),
        0x48..=0x4C | 0x54..=0x57 | 0x59..=0x5B | 0x5E | 0x5F | 0x71 => rx_kind(t[0])
            .map_or(generic, |(len, e, op)| {
                alu_rx(d12, (narrow(len), e, op, false))
            }),
        0xA7 => match r2 {
            0x0..=0x3 => Op::TestMask {
                r1,
                shift: [16, 0, 48, 32][usize::from(r2)],
                imm: u16::from_be_bytes([t[2], t[3]]),
            },
            0x4 => Op::BranchRelative {
                m: r1,
                ilen,
                off: i32::from(i16v),
            },
            0x6 | 0x7 => Op::BranchCount {
                r1,
                wide: r2 == 0x7,
                off: i32::from(i16v),
            },
            0x8 => alu_ri(Alu::Load, false, extend(imm16, Ext::S16)),
            0x9 => alu_ri(Alu::Load, true, extend(imm16, Ext::S16)),
            0xA => alu_ri(Alu::Add, false, extend(imm16, Ext::S16)),
            0xB => alu_ri(Alu::Add, true, extend(imm16, Ext::S16)),
            0xC => alu_ri(Alu::Mul, false, extend(imm16, Ext::S16)),
            0xD => alu_ri(Alu::Mul, true, extend(imm16, Ext::S16)),
            0xE => alu_ri(Alu::Cmp, false, extend(imm16, Ext::S16)),
            0xF => alu_ri(Alu::Cmp, true, extend(imm16, Ext::S16)),
            _ => generic,
        },
        0xB9 => {
            let (r1, r2) = (t[3] >> 4, t[3] & 0xF);
            match t[1] {
                0x04 => alu_rr(r1, r2, (true, Ext::Full, Alu::Load)),
                0x82 => alu_rr(r1, r2, (true, Ext::Full, Alu::Xor)),
                op => rre_kind(op).map_or(generic, |k| alu_rr(r1, r2, k)),
            }
        }
        0xC0 => match r2 {
            0x1 => alu_ri(Alu::Load, true, extend(imm32, Ext::S32)),
            0x4 => Op::BranchRelative {
                m: r1,
                ilen,
                off: i32v,
            },
            _ => generic,
        },
        0xC2 => c2_kind(usize::from(r2))
            .map_or(generic, |(wide, e, op)| alu_ri(op, wide, extend(imm32, e))),
        0xE3 => match t[5] {
            0x04 => alu_rx(d20, (8, Ext::Full, Alu::Load, true)),
            0x24 => store(d20, 8),
            0x50 => store(d20, 4),
            0x70 => store(d20, 2),
            0x72 => store(d20, 1),
            0x71 => Op::LoadAddress {
                r1,
                x,
                b,
                ilen,
                d: d20,
            },
            op => rxy_kind(op).map_or(generic, |(len, e, op, wide)| {
                alu_rx(d20, (narrow(len), e, op, wide))
            }),
        },
        0xEB => {
            let s = match t[5] {
                0x0A | 0xDC => Shift::RightArith,
                0x0B | 0xDD => Shift::LeftArith,
                0x0C | 0xDE => Shift::RightLogical,
                0x0D | 0xDF => Shift::LeftLogical,
                0x1C | 0x1D => Shift::Rotate,
                _ => return generic,
            };
            Op::Shift {
                r1,
                r3: r2,
                b,
                s,
                wide: !matches!(t[5], 0x1D | 0xDC..=0xDF),
                d: d20,
            }
        }
        0xEC => {
            let kind = match t[5] {
                0x76 => Compare::Reg32,
                0x64 => Compare::Reg64,
                0x77 => Compare::RegLogical32,
                0x65 => Compare::RegLogical64,
                0x7E => Compare::Imm32,
                0x7C => Compare::Imm64,
                0x7F => Compare::ImmLogical32,
                0x7D => Compare::ImmLogical64,
                _ => return generic,
            };
            let imm_form = matches!(t[5], 0x7C..=0x7F);
            Op::CompareJump {
                r1,
                r2,
                kind,
                m: if imm_form { r2 } else { t[4] >> 4 },
                imm: t[4],
                off: i16v,
            }
        }
        _ => generic,
    }
}

/// The length of a decoded instruction (not of `Empty` or `Uncached`).
fn op_len(op: &Op) -> u8 {
    match *op {
        Op::Empty | Op::Uncached => 0,
        Op::BranchRegister { .. } => 2,
        Op::BranchCount { .. } | Op::TestMask { .. } => 4,
        Op::Shift { .. } | Op::CompareJump { .. } => 6,
        Op::Generic { ilen, .. }
        | Op::AluRr { ilen, .. }
        | Op::AluRi { ilen, .. }
        | Op::AluRx { ilen, .. }
        | Op::Store { ilen, .. }
        | Op::LoadAddress { ilen, .. }
        | Op::BranchRelative { ilen, .. } => ilen,
    }
}

/// `halfwords` halfwords from `ia`, in the addressing mode.
fn relative(ia: u64, halfwords: i64, amask: u64) -> u64 {
    ia.wrapping_add(halfwords.wrapping_mul(2).cast_unsigned()) & amask
}

/// D2(X2,B2) from decoded fields.
fn address(cpu: &Cpu, x: u8, b: u8, d: i32) -> u64 {
    raw_address(cpu, usize::from(x), usize::from(b), i64::from(d))
}

/// Executes decoded instruction `op` at `ia`.
#[inline]
fn execute_op(cpu: &mut Cpu, bus: &mut impl Bus, op: Op, ia: u64, amask: u64) -> Outcome {
    let fault = |e| Outcome::StopAt(Stop::Fault(e));
    match op {
        Op::AluRr {
            r1,
            r2,
            op,
            ext,
            wide,
            ilen,
        } => {
            let v = extend(cpu.gprs[usize::from(r2)], ext);
            alu(cpu, usize::from(r1), v, op, wide, ilen)
        }
        Op::AluRi {
            r1,
            op,
            wide,
            ilen,
            imm,
        } => alu(cpu, usize::from(r1), imm, op, wide, ilen),
        Op::AluRx {
            r1,
            x,
            b,
            len,
            ext,
            op,
            wide,
            ilen,
            d,
        } => {
            let a = address(cpu, x, b, d);
            match read_operand(bus, amask, a, usize::from(len)) {
                Ok(v) => alu(cpu, usize::from(r1), extend(v, ext), op, wide, ilen),
                Err(e) => fault(e),
            }
        }
        Op::Store {
            r1, x, b, len, d, ..
        } => {
            let a = address(cpu, x, b, d);
            store_low_value(bus, amask, a, cpu.gprs[usize::from(r1)], usize::from(len))
        }
        Op::LoadAddress { r1, x, b, d, .. } => {
            let a = address(cpu, x, b, d);
            load_address(cpu, usize::from(r1), a, amask);
            Outcome::Next
        }
        Op::BranchRelative { m, off, .. } => {
            if cc_matches(cpu, usize::from(m)) {
                Outcome::Jump(relative(ia, i64::from(off), amask))
            } else {
                Outcome::Next
            }
        }
        Op::BranchRegister { m, r2 } => {
            if cc_matches(cpu, usize::from(m)) {
                Outcome::Jump(cpu.gprs[usize::from(r2)] & amask)
            } else {
                Outcome::Next
            }
        }
        Op::BranchCount { r1, wide, off } => {
            let r = &mut cpu.gprs[usize::from(r1)];
            let nonzero = if wide {
                *r = r.wrapping_sub(1);
                *r != 0
            } else {
                let v = low32(*r).wrapping_sub(1);
                set_low32(r, v);
                v != 0
            };
            if nonzero {
                Outcome::Jump(relative(ia, i64::from(off), amask))
            } else {
                Outcome::Next
            }
        }
        Op::Shift {
            r1,
            r3,
            b,
            s,
            wide,
            d,
        } => {
            let n = shift_amount(cpu, usize::from(b), i64::from(d));
            let v = cpu.gprs[usize::from(r3)];
            if wide {
                shift64(cpu, usize::from(r1), v, n, s, 6)
            } else {
                shift32(cpu, usize::from(r1), low32(v), n, s, 6)
            }
        }
        Op::TestMask { r1, shift, imm } => {
            let v = cpu.gprs[usize::from(r1)].wrapping_shr(u32::from(shift)) & 0xFFFF;
            cpu.set_cc(tm_cc(v, u64::from(imm)));
            Outcome::Next
        }
        Op::CompareJump {
            r1,
            r2,
            kind,
            m,
            imm,
            off,
        } => {
            let a = cpu.gprs[usize::from(r1)];
            let b = cpu.gprs[usize::from(r2)];
            let i = u64::from(imm);
            let ord = match kind {
                Compare::Reg32 => low32(a).cast_signed().cmp(&low32(b).cast_signed()),
                Compare::Reg64 => a.cast_signed().cmp(&b.cast_signed()),
                Compare::RegLogical32 => low32(a).cmp(&low32(b)),
                Compare::RegLogical64 => a.cmp(&b),
                Compare::Imm32 => {
                    i64::from(low32(a).cast_signed()).cmp(&extend(i, Ext::S8).cast_signed())
                }
                Compare::Imm64 => a.cast_signed().cmp(&extend(i, Ext::S8).cast_signed()),
                Compare::ImmLogical32 => u64::from(low32(a)).cmp(&i),
                Compare::ImmLogical64 => a.cmp(&i),
            };
            let bit = match ord {
                core::cmp::Ordering::Equal => 8,
                core::cmp::Ordering::Less => 4,
                core::cmp::Ordering::Greater => 2,
            };
            if m & bit != 0 {
                Outcome::Jump(relative(ia, i64::from(off), amask))
            } else {
                Outcome::Next
            }
        }
        Op::Generic { text, ilen } => execute(
            cpu,
            bus,
            &Insn {
                text,
                ilen,
                ia,
                amask,
            },
        ),
        // Not reached: the caller runs these through `step`.
        Op::Empty | Op::Uncached => Outcome::StopAt(Stop::Budget),
    }
}

/// [`super::run`] with the decoded instructions kept in `code` (which may
/// hold those of earlier runs on the same memory, see [`CodeCache`]).
pub fn run_cached(cpu: &mut Cpu, bus: &mut impl Bus, budget: u64, code: &mut CodeCache) -> Stop {
    let mut bus = Coherent { bus, code };
    // The PSW mask without its CC, and its addressing-mode mask, as last
    // checked: only the CC changes in most instructions.
    let cc_bits = 3u64 << PSW_CC_SHIFT;
    let mut checked_mask = cpu.psw_mask & !cc_bits;
    let mut mode = mode_mask(checked_mask);
    for _ in 0..budget {
        let psw_mask = cpu.psw_mask & !cc_bits;
        if psw_mask != checked_mask {
            checked_mask = psw_mask;
            mode = mode_mask(psw_mask);
        }
        let ia = cpu.psw_addr;
        let Some(amask) = mode.filter(|&m| address_fits(ia, m)) else {
            return Stop::Program {
                code: PGM_SPECIFICATION,
                ilen: 0,
            };
        };
        let page = ia & !(PAGE_SIZE - 1);
        let i = entry_index(page);
        let slot = slot_index(ia);
        let cached = match bus.code.entries.get(i) {
            Some(e) if e.page == page => Some(e.ops[slot]),
            _ => None,
        };
        let op = match cached {
            Some(Op::Empty) | None => {
                let Some(key) = bus.bus.code_page(ia) else {
                    if let Some(stop) = step(cpu, &mut bus) {
                        return stop;
                    }
                    continue;
                };
                let op = match fetch(&mut bus, ia, amask) {
                    Ok((text, ilen, true)) => decode(text, ilen),
                    Ok((_, _, false)) => Op::Uncached,
                    Err(e) => return Stop::Fault(e),
                };
                let e = bus.code.entry_for(page, key);
                bus.code.entries[e].ops[slot] = op;
                op
            }
            Some(op) => op,
        };
        if op == Op::Uncached {
            if let Some(stop) = step(cpu, &mut bus) {
                return stop;
            }
            continue;
        }
        let next = ia.wrapping_add(u64::from(op_len(&op))) & amask;
        let outcome = execute_op(cpu, &mut bus, op, ia, amask);
        if let Some(stop) = finish(cpu, outcome, next) {
            return stop;
        }
    }
    Stop::Budget
}

#[cfg(test)]
mod tests {
    // Test arithmetic on small known values.
    #![allow(clippy::arithmetic_side_effects, clippy::as_conversions)]

    use super::super::{FlatMemory, PSW_MASK_64, run};
    use super::*;

    /// `code` at 0x1000 in 16 KiB of memory at 0.
    fn machine(code: &[u8]) -> (Cpu, FlatMemory) {
        let mut mem = FlatMemory::new(0, 0x4000);
        mem.bytes_mut()[0x1000..0x1000 + code.len()].copy_from_slice(code);
        (Cpu::new(PSW_MASK_64, 0x1000), mem)
    }

    /// st r4,0(r5); N: lghi r2,1; ahi r4,1; brct r6,start; diag: the
    /// second pass stores `lghi r2,2` over N, decoded in the first.
    const NEXT_MODIFIED: [u8; 20] = [
        0x50, 0x40, 0x50, 0x00, // st r4,0(r5)
        0xa7, 0x29, 0x00, 0x01, // N: lghi r2,1
        0xa7, 0x4a, 0x00, 0x01, // ahi r4,1
        0xa7, 0x66, 0xff, 0xfa, // brct r6,start
        0x83, 0x00, 0x00, 0x44, // diag 0,0,0x44
    ];

    /// The run reached the DIAGNOSE with `r2` in register 2.
    fn ended_with(stop: Stop, cpu: &Cpu, r2: u64) {
        assert!(
            matches!(stop, Stop::Intercept { ipa: 0x8300, .. }),
            "{stop:?}"
        );
        assert_eq!(cpu.gprs[2], r2);
    }

    fn setup(cpu: &mut Cpu, n_addr: u64) {
        cpu.gprs[4] = 0xa729_0001;
        cpu.gprs[5] = n_addr;
        cpu.gprs[6] = 2;
    }

    #[test]
    fn a_store_over_the_next_instruction_is_seen_by_its_next_fetch() {
        let (mut cpu, mut mem) = machine(&NEXT_MODIFIED);
        setup(&mut cpu, 0x1004);
        let stop = run(&mut cpu, &mut mem, 100);
        ended_with(stop, &cpu, 2);
        assert_eq!(cpu.executed, 8);
    }

    #[test]
    fn a_store_elsewhere_in_the_executing_page_is_seen() {
        // The loop body stores over an instruction after the loop, which
        // the first pass ran through by branching there first.
        let code = [
            0xa7, 0xf4, 0x00, 0x0c, // j T (0x1018)
            0x50, 0x40, 0x50, 0x00, // L: st r4,0(r5)
            0xa7, 0xf4, 0x00, 0x08, // j T
            0x83, 0x00, 0x00, 0x44, // E: diag
            0x00, 0x00, 0x00, 0x00, // padding
            0x00, 0x00, 0x00, 0x00, 0xa7, 0x29, 0x00, 0x01, // T (0x1018): lghi r2,1
            0xa7, 0x66, 0xff, 0xf4, // brct r6,L (0x1004)
            0xa7, 0xf4, 0xff, 0xf6, // j E (0x100c)
        ];
        let (mut cpu, mut mem) = machine(&code);
        setup(&mut cpu, 0x1018);
        cpu.gprs[4] = 0xa729_0007;
        let stop = run(&mut cpu, &mut mem, 100);
        ended_with(stop, &cpu, 7);
    }

    /// Memory whose vcpu pages 0x1000 and 0x3000 are the same bytes.
    struct Aliased(FlatMemory);
    impl Aliased {
        fn fold(addr: u64) -> u64 {
            if addr & !0xFFF == 0x3000 {
                addr - 0x2000
            } else {
                addr
            }
        }
    }
    impl Bus for Aliased {
        fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), Access> {
            self.0.read(Self::fold(addr), buf)
        }
        fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), Access> {
            self.0.write(Self::fold(addr), data)
        }
        fn code_page(&mut self, addr: u64) -> Option<u64> {
            Some(Self::fold(addr) & !0xFFF)
        }
    }

    #[test]
    fn a_store_through_an_alias_drops_the_decoded_page() {
        let (mut cpu, mem) = machine(&NEXT_MODIFIED);
        // N at 0x1004 is written as 0x3004.
        setup(&mut cpu, 0x3004);
        let mut bus = Aliased(mem);
        let stop = run(&mut cpu, &mut bus, 100);
        ended_with(stop, &cpu, 2);
    }

    #[test]
    fn a_kept_cache_sees_stores_of_the_previous_run() {
        let (mut cpu, mut mem) = machine(&NEXT_MODIFIED);
        setup(&mut cpu, 0x1004);
        let mut code = CodeCache::new();
        // One instruction a run: the cache carries N's decoding over.
        let mut stop = Stop::Budget;
        for _ in 0..20 {
            stop = run_cached(&mut cpu, &mut mem, 1, &mut code);
            if stop != Stop::Budget {
                break;
            }
        }
        ended_with(stop, &cpu, 2);
    }

    /// A small xorshift generator: the test needs variety, not quality.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn pick<T: Copy>(&mut self, from: &[T]) -> T {
            from[(self.next() % from.len() as u64) as usize]
        }
    }

    /// Every decoded instruction does what `step` does with the same
    /// bytes: registers, PSW, memory and stop, over random operands in
    /// every addressing mode.
    #[test]
    fn decoded_instructions_match_the_interpreter() {
        let firsts = [
            0x07u8, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1E,
            0x1F, 0x40, 0x41, 0x42, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x50, 0x54, 0x55, 0x56, 0x57,
            0x58, 0x59, 0x5A, 0x5B, 0x5E, 0x5F, 0x71, 0xA7, 0xB9, 0xC0, 0xC2, 0xE3, 0xEB, 0xEC,
        ];
        let lasts = [
            0x04u8, 0x24, 0x50, 0x70, 0x72, 0x71, 0x02, 0x08, 0x14, 0x16, 0x20, 0x21, 0x58, 0x90,
            0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0xDC, 0xDD, 0xDE, 0xDF, 0x64, 0x65, 0x76, 0x77,
            0x7C, 0x7D, 0x7E, 0x7F,
        ];
        let values = [
            0u64,
            1,
            2,
            0x7FFF_FFFF,
            0x8000_0000,
            0xFFFF_FFFF,
            u64::MAX,
            1 << 63,
            (1 << 63) - 1,
            0x2000,
            0x1FFC,
            0x2FFE,
        ];
        let masks = [
            PSW_MASK_64,
            0x0000_0000_8000_0000,
            0,
            PSW_MASK_64 | (1 << (63 - 20)),
            0x0000_0000_8000_0000 | (1 << (63 - 20)),
        ];
        // Fewer rounds where each costs a thousandfold (.ci/run sets this for
        // the run under qemu-user).
        let rounds: u32 = std::env::var("UCAS_DECODE_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(60_000);
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut decoded = 0;
        for _ in 0..rounds {
            let mut text = rng.next().to_be_bytes();
            text[0] = rng.pick(&firsts);
            if !rng.next().is_multiple_of(4) {
                text[5] = rng.pick(&lasts);
            }
            let (mut slow, mut slow_mem) = machine(&text[..6]);
            for r in &mut slow.gprs {
                *r = match rng.next() % 3 {
                    0 => rng.pick(&values),
                    1 => rng.next() % 0x4000,
                    _ => rng.next(),
                };
            }
            slow.psw_mask = rng.pick(&masks);
            slow.set_cc((rng.next() % 4) as u8);
            let mut fast = slow;
            let mut fast_mem = slow_mem.clone();
            let ilen = super::super::instruction_length(text[0]);
            let mut t6 = [0u8; 6];
            t6[..usize::from(ilen)].copy_from_slice(&text[..usize::from(ilen)]);
            if !matches!(decode(t6, ilen), Op::Generic { .. }) {
                decoded += 1;
            }
            let want = step(&mut slow, &mut slow_mem).unwrap_or(Stop::Budget);
            let got = run_cached(&mut fast, &mut fast_mem, 1, &mut CodeCache::new());
            assert_eq!(got, want, "{t6:02x?}");
            assert_eq!(fast, slow, "{t6:02x?}");
            assert!(fast_mem == slow_mem, "{t6:02x?}: memory");
        }
        assert!(decoded > rounds / 2, "only {decoded} of {rounds} decoded");
    }
}
