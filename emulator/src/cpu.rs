//! A small z/Architecture CPU in safe Rust: what executes guest code when the
//! emulator answers `KVM_RUN`.
//!
//! The interpreter runs one vcpu with DAT off and prefix 0, so every address
//! it forms is a vcpu address and goes straight to a [`Bus`]. It stops where
//! real hardware running a ucontrol guest under SIE would hand control to the
//! host, and the [`Stop`] says how: an access the bus refused ([`Stop::Fault`],
//! the emulator's ucontrol exit or `EFAULT`), an instruction intercept or an
//! operation exception ([`Stop::Intercept`], `KVM_EXIT_S390_SIEIC`), a
//! program-interruption condition ([`Stop::Program`]), or the end of the
//! instruction budget ([`Stop::Budget`], `EINTR`).
//!
//! ```
//! use ucas_emulator::cpu::{self, Access, Bus, Cpu, Stop};
//!
//! /// 1 MiB of guest memory at vcpu address 0; everything above is unmapped.
//! struct Ram(Vec<u8>);
//! impl Ram {
//!     fn range(&self, addr: u64, len: usize) -> Result<std::ops::Range<usize>, Access> {
//!         let start = usize::try_from(addr).ok().filter(|&a| a < self.0.len());
//!         let start = start.ok_or(Access::SegmentNotMapped { addr })?;
//!         Ok(start..start + len) // calls never cross a 4 KiB boundary
//!     }
//! }
//! impl Bus for Ram {
//!     fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), Access> {
//!         let r = self.range(addr, buf.len())?;
//!         buf.copy_from_slice(&self.0[r]);
//!         Ok(())
//!     }
//!     fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), Access> {
//!         let r = self.range(addr, data.len())?;
//!         self.0[r].copy_from_slice(data);
//!         Ok(())
//!     }
//! }
//!
//! let mut ram = Ram(vec![0; 1 << 20]);
//! // lghi r1,0x55; st r1,0x100; diag 0,0,0x44
//! let code = [0xa7, 0x19, 0x00, 0x55, 0x50, 0x10, 0x01, 0x00, 0x83, 0x00, 0x00, 0x44];
//! ram.0[0x1000..0x1000 + code.len()].copy_from_slice(&code);
//! let mut vcpu = Cpu::new(cpu::PSW_MASK_64, 0x1000);
//! let stop = cpu::run(&mut vcpu, &mut ram, 1000);
//! assert_eq!(stop, Stop::Intercept { icptcode: 4, ipa: 0x8300, ipb: 0x0044_0000 });
//! assert_eq!(vcpu.psw_addr, 0x100c); // past the DIAGNOSE
//! assert_eq!(vcpu.executed, 2);
//! assert_eq!(ram.0[0x100..0x104], [0, 0, 0, 0x55]);
//! ```
//!
//! # What is modelled
//!
//! The general registers, the PSW's instruction address, condition code,
//! addressing mode (24, 31 or 64 bit), fixed-point-overflow mask and
//! problem-state bit, and the instructions listed on [`step`]. Interruptions
//! are not delivered (the emulator delivers none) and program-interruption
//! conditions stop the run instead of going through the guest's lowcore.
//! DAT, PER, storage keys, the wait state and the control registers are not
//! modelled: the DAT and wait bits are accepted and ignored, because a
//! ucontrol guest in this project runs with DAT off.

// Guest input must never panic the emulator: all address and register
// arithmetic is explicitly wrapping or checked.
#![deny(clippy::arithmetic_side_effects)]
// Every field the decoder takes apart comes from the guest: conversions say
// whether they widen, sign-extend, take a register half or may fail.
#![deny(clippy::as_conversions)]

use core::fmt;

/// The PSW mask of a 64-bit, DAT-off guest with interruptions disabled: what
/// the kernel's ucontrol selftest runs its guest programs with.
pub const PSW_MASK_64: u64 = 0x0000_0001_8000_0000;

/// The unit in which [`Bus`] accesses are split: no bus call crosses a
/// multiple of 4 KiB.
pub const PAGE_SIZE: u64 = 4096;

/// The intercept codes the interpreter reports: [`ICPT_INST`] for DIAGNOSE
/// and the storage-key instructions (PSW past the instruction),
/// [`ICPT_OPEREXC`] for an opcode it does not know (PSW at the instruction).
pub use ucas_core::abi::{ICPT_INST, ICPT_OPEREXC};

/// Program-interruption code: privileged-operation exception.
#[doc(alias = "PGM_PRIVILEGED_OP")]
pub const PGM_PRIVILEGED_OPERATION: u16 = 0x0002;

/// Program-interruption code: specification exception.
pub const PGM_SPECIFICATION: u16 = 0x0006;

/// Program-interruption code: fixed-point-overflow exception.
pub const PGM_FIXED_POINT_OVERFLOW: u16 = 0x0008;

// PSW mask bits, numbered from the left as the architecture does.
/// Bit 15: problem state (privileged instructions are refused).
const PSW_PROBLEM_STATE: u64 = 1 << (63 - 15);
/// Bits 18–19: the condition code.
const PSW_CC_SHIFT: u32 = 63 - 19;
/// Bit 20: the fixed-point-overflow mask.
const PSW_FIXED_OVERFLOW_MASK: u64 = 1 << (63 - 20);
/// Bit 31: extended addressing.
const PSW_EA: u64 = 1 << (63 - 31);
/// Bit 32: basic addressing.
const PSW_BA: u64 = 1 << (63 - 32);
/// Bits that may be one in a valid z/Architecture PSW mask: 1 (PER), 5–11
/// (DAT, I/O, external, key), 13–23 (machine check, wait, problem state,
/// address-space control, CC, program mask), 31 and 32 (addressing mode).
/// Bit 12 must be zero in z/Architecture.
const PSW_VALID_BITS: u64 = 0x47F7_FF00_0000_0000 | PSW_EA | PSW_BA;

/// Why a guest access failed; `addr` is the first vcpu address that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// The vcpu segment holding `addr` is not mapped: the kernel reports a
    /// ucontrol exit (`trans_exc_code` = `addr` rounded down to 4 KiB).
    SegmentNotMapped {
        /// The first vcpu address that failed.
        addr: u64,
    },
    /// The segment is mapped but the user memory behind `addr` is missing.
    NoUserMemory {
        /// The first vcpu address that failed.
        addr: u64,
    },
}

impl Access {
    /// The first vcpu address that failed.
    #[must_use]
    pub const fn addr(&self) -> u64 {
        match *self {
            Self::SegmentNotMapped { addr } | Self::NoUserMemory { addr } => addr,
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::SegmentNotMapped { addr } => {
                write!(f, "vcpu address {addr:#x}: segment not mapped")
            }
            Self::NoUserMemory { addr } => {
                write!(
                    f,
                    "vcpu address {addr:#x}: no user memory behind the mapping"
                )
            }
        }
    }
}

impl std::error::Error for Access {}

/// Guest memory as the interpreter sees it, addressed by vcpu address.
///
/// # Contract
///
/// - The interpreter never passes an empty range, and no range crosses a
///   multiple of [`PAGE_SIZE`] (it splits accesses itself). The address
///   after the last byte may wrap to 0 only as `addr + len == 2^64`.
/// - A failing call reports the first failing address of *its* range and
///   changes no guest memory. The interpreter splits in ascending address
///   order, so that is also the first failing address of the whole access.
/// - Before writing any part of a store the interpreter calls
///   [`check_write`](Self::check_write) on every part, so a store is all or
///   nothing. A `write` that fails after its `check_write` succeeded breaks
///   that: the store is then reported as a [`Stop::Fault`] with its earlier
///   parts already written.
pub trait Bus {
    /// Copies guest bytes at vcpu address `addr` into `buf`.
    ///
    /// # Errors
    /// The first address of the range that cannot be read.
    fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), Access>;

    /// Copies `data` to guest memory at vcpu address `addr`.
    ///
    /// # Errors
    /// The first address of the range that cannot be written; nothing is
    /// written then.
    fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), Access>;

    /// Checks, without changing guest memory, that `len` bytes at `addr`
    /// could be written now. The default reads them (into a scratch buffer),
    /// which is right for any bus where readable means writable.
    ///
    /// # Errors
    /// The first address of the range that cannot be written.
    fn check_write(&mut self, addr: u64, len: usize) -> Result<(), Access> {
        let mut scratch = [0u8; 64];
        let mut done = 0usize;
        while done < len {
            let n = scratch.len().min(len.wrapping_sub(done));
            self.read(addr.wrapping_add(widen(done)), &mut scratch[..n])?;
            done = done.wrapping_add(n);
        }
        Ok(())
    }
}

/// Why [`run`] (or [`step`]) stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stop {
    /// An access failed, instruction fetch included. The instruction is
    /// nullified: the PSW still points at it, and it changed no register and
    /// no memory.
    Fault(Access),
    /// An SIE intercept. DIAGNOSE and the storage-key instructions SSKE, ISKE
    /// and RRBE give [`ICPT_INST`] with the PSW past the instruction (the
    /// controller performs it); an opcode the interpreter does not know
    /// gives [`ICPT_OPEREXC`] with the PSW at the instruction.
    Intercept {
        /// The intercept code.
        icptcode: u8,
        /// The first two instruction bytes.
        ipa: u16,
        /// The next four instruction bytes, zero beyond the instruction's
        /// length: `diag 0,0,0x44` (83000044) gives ipa 0x8300, ipb
        /// 0x00440000.
        ipb: u32,
    },
    /// A program-interruption condition the guest would take through its
    /// lowcore, which the interpreter leaves to the emulator. The PSW is
    /// where the architecture's program old PSW would point:
    /// - [`PGM_SPECIFICATION`] for an invalid PSW (mask bits that must be
    ///   zero, extended without basic addressing, an odd instruction address
    ///   or one beyond the addressing mode): PSW unchanged, `ilen` 0.
    /// - [`PGM_PRIVILEGED_OPERATION`] for DIAGNOSE or a storage-key
    ///   instruction in problem state: suppressed, PSW past the instruction.
    /// - [`PGM_FIXED_POINT_OVERFLOW`] for an overflowing AHI or AGHI while
    ///   the PSW's fixed-point-overflow mask (bit 20) is one: completed
    ///   (result and CC 3 set), PSW past the instruction.
    Program {
        /// The program-interruption code (`PGM_*`).
        code: u16,
        /// The length of the instruction that caused it, 0 if none.
        ilen: u8,
    },
    /// `budget` instructions executed without a stop (the emulator turns
    /// this into `EINTR`).
    Budget,
}

/// The state of one vcpu that the interpreter uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cpu {
    /// General registers 0–15.
    pub gprs: [u64; 16],
    /// PSW bits 0–63; the condition code is bits 18–19.
    pub psw_mask: u64,
    /// PSW bits 64–127: the address of the next instruction.
    pub psw_addr: u64,
    /// How many instructions [`step`] completed without a stop, ever
    /// (wrapping). An instruction that ends in a [`Stop`] is not counted.
    pub executed: u64,
}

impl Cpu {
    /// A vcpu with all registers zero at the given PSW.
    #[must_use]
    pub const fn new(psw_mask: u64, psw_addr: u64) -> Self {
        Self {
            gprs: [0; 16],
            psw_mask,
            psw_addr,
            executed: 0,
        }
    }

    /// The condition code, PSW bits 18–19.
    #[must_use]
    pub const fn cc(&self) -> u8 {
        low8((self.psw_mask >> PSW_CC_SHIFT) & 3)
    }

    /// Sets the condition code (only its low two bits count).
    pub const fn set_cc(&mut self, cc: u8) {
        // `u64::from` is not const: widen through the bytes.
        let cc = u64::from_be_bytes([0, 0, 0, 0, 0, 0, 0, cc & 3]);
        self.psw_mask = (self.psw_mask & !(3 << PSW_CC_SHIFT)) | (cc << PSW_CC_SHIFT);
    }
}

/// The length of the instruction whose first byte is `opcode`: bits 0–1 of
/// every z/Architecture opcode say it (00 → 2, 01 and 10 → 4, 11 → 6).
#[must_use]
pub const fn instruction_length(opcode: u8) -> u8 {
    match opcode >> 6 {
        0 => 2,
        1 | 2 => 4,
        _ => 6,
    }
}

/// Executes instructions until a stop, at most `budget` of them.
///
/// Returns [`Stop::Budget`] when `budget` instructions completed (so at once
/// for budget 0); `cpu.executed` grows by exactly the number completed.
pub fn run(cpu: &mut Cpu, bus: &mut impl Bus, budget: u64) -> Stop {
    for _ in 0..budget {
        if let Some(stop) = step(cpu, bus) {
            return stop;
        }
    }
    Stop::Budget
}

/// Executes one instruction; `None` when it completed without a stop.
///
/// Instructions (mnemonic, opcode, what changes besides the PSW address):
///
/// | | opcode | | opcode |
/// |---|---|---|---|
/// | BCR (BR, NOPR) | 07 | L | 58 |
/// | LR | 18 | DIAG | 83 (intercept) |
/// | LA | 41 | MVI | 92 |
/// | BC (B, NOP) | 47 | CLI | 95 (CC) |
/// | ST | 50 | BRC (J, JNOP) | A7x4 |
/// | BRCT | A7x6 | BRCTG | A7x7 |
/// | LHI | A7x8 | LGHI | A7x9 |
/// | AHI | A7xA (CC) | AGHI | A7xB (CC) |
/// | ISKE | B229 (intercept) | RRBE | B22A (intercept) |
/// | SSKE | B22B (intercept) | LGR | B904 |
/// | XGR | B982 (CC) | LGFI | C0x1 |
/// | BRCL (JG) | C0x4 | LG | E3xx..04 |
/// | STG | E3xx..24 | | |
///
/// 32-bit instructions (LR, LHI, AHI, L, ST, BRCT) change only bits 32–63
/// of their register. Anything else is an operation exception
/// ([`ICPT_OPEREXC`]).
pub fn step(cpu: &mut Cpu, bus: &mut impl Bus) -> Option<Stop> {
    let Some(amask) = address_mask(cpu) else {
        return Some(Stop::Program {
            code: PGM_SPECIFICATION,
            ilen: 0,
        });
    };
    let ia = cpu.psw_addr;
    let mut text = [0u8; 6];
    if let Err(e) = read_split(bus, amask, ia, &mut text[..2]) {
        return Some(Stop::Fault(e));
    }
    let ilen = instruction_length(text[0]);
    let len = usize::from(ilen);
    if let Err(e) = read_split(bus, amask, ia.wrapping_add(2), &mut text[2..len]) {
        return Some(Stop::Fault(e));
    }
    let next = ia.wrapping_add(u64::from(ilen)) & amask;
    let insn = Insn {
        text,
        ilen,
        ia,
        amask,
    };
    match execute(cpu, bus, &insn) {
        Outcome::Next => {
            cpu.psw_addr = next;
            cpu.executed = cpu.executed.wrapping_add(1);
            None
        }
        Outcome::Jump(target) => {
            cpu.psw_addr = target;
            cpu.executed = cpu.executed.wrapping_add(1);
            None
        }
        Outcome::StopAt(stop) => Some(stop),
        Outcome::StopPast(stop) => {
            cpu.psw_addr = next;
            Some(stop)
        }
    }
}

/// The mask that keeps an address inside the PSW's addressing mode, or
/// `None` when the PSW is invalid (a specification exception).
fn address_mask(cpu: &Cpu) -> Option<u64> {
    let mask = cpu.psw_mask;
    if mask & !PSW_VALID_BITS != 0 {
        return None;
    }
    let amask = match (mask & PSW_EA != 0, mask & PSW_BA != 0) {
        (true, true) => u64::MAX,
        (false, true) => 0x7FFF_FFFF,
        (false, false) => 0x00FF_FFFF,
        (true, false) => return None,
    };
    let addr = cpu.psw_addr;
    (addr & 1 == 0 && addr & !amask == 0).then_some(amask)
}

/// Reads `buf.len()` bytes at `addr`, in pieces that do not cross a page,
/// wrapping at the end of the addressing mode.
fn read_split(bus: &mut impl Bus, amask: u64, addr: u64, buf: &mut [u8]) -> Result<(), Access> {
    let mut a = addr & amask;
    let mut rest = buf;
    while !rest.is_empty() {
        let n = piece_len(a, rest.len());
        let (now, later) = rest.split_at_mut(n);
        bus.read(a, now)?;
        a = a.wrapping_add(widen(n)) & amask;
        rest = later;
    }
    Ok(())
}

/// Stores `data` at `addr` all or nothing: checks every piece before
/// writing the first.
fn write_split(bus: &mut impl Bus, amask: u64, addr: u64, data: &[u8]) -> Result<(), Access> {
    let start = addr & amask;
    let mut a = start;
    let mut left = data.len();
    while left > 0 {
        let n = piece_len(a, left);
        bus.check_write(a, n)?;
        a = a.wrapping_add(widen(n)) & amask;
        left = left.wrapping_sub(n);
    }
    let mut a = start;
    let mut rest = data;
    while !rest.is_empty() {
        let n = piece_len(a, rest.len());
        let (now, later) = rest.split_at(n);
        bus.write(a, now)?;
        a = a.wrapping_add(widen(n)) & amask;
        rest = later;
    }
    Ok(())
}

/// How many of `len` bytes at `addr` lie in `addr`'s page (at least 1).
fn piece_len(addr: u64, len: usize) -> usize {
    let room = PAGE_SIZE.wrapping_sub(addr & (PAGE_SIZE - 1));
    usize::try_from(room).map_or(len, |room| room.min(len))
}

/// One fetched instruction.
struct Insn {
    /// The instruction bytes, zero beyond `ilen`.
    text: [u8; 6],
    /// 2, 4 or 6.
    ilen: u8,
    /// Its address.
    ia: u64,
    /// The addressing-mode mask.
    amask: u64,
}

impl Insn {
    /// Bits 8–11 (R1 or M1 in most formats).
    fn r1(&self) -> usize {
        usize::from(self.text[1] >> 4)
    }
    /// Bits 12–15 (R2 in RR, X2 in RX, the sub-opcode in RI and RIL).
    fn r2(&self) -> usize {
        usize::from(self.text[1] & 0xF)
    }
    /// RRE's R1 and R2, bits 24–31.
    fn rre(&self) -> (usize, usize) {
        (
            usize::from(self.text[3] >> 4),
            usize::from(self.text[3] & 0xF),
        )
    }
    /// The base register and 12-bit displacement of bits 16–31.
    fn base_disp12(&self) -> (usize, i64) {
        let b = usize::from(self.text[2] >> 4);
        let d = i64::from(u16::from_be_bytes([self.text[2] & 0xF, self.text[3]]));
        (b, d)
    }
    /// The base register and signed 20-bit displacement of RXY (DL in
    /// bits 20–31, DH in bits 32–39).
    fn base_disp20(&self) -> (usize, i64) {
        let b = usize::from(self.text[2] >> 4);
        // DH:DL as a 20-bit two's-complement number: place it in the top
        // of an i32 and shift back arithmetically.
        let raw = i32::from_be_bytes([self.text[4], (self.text[2] & 0xF) << 4, 0, 0]);
        let lo = i64::from(self.text[3]);
        (b, i64::from(raw >> 12) | lo)
    }
    /// The signed 16-bit immediate of RI, bits 16–31.
    fn i16(&self) -> i16 {
        i16::from_be_bytes([self.text[2], self.text[3]])
    }
    /// The signed 32-bit immediate of RIL, bits 16–47.
    fn i32(&self) -> i32 {
        i32::from_be_bytes([self.text[2], self.text[3], self.text[4], self.text[5]])
    }
    /// The address `halfwords` halfwords from this instruction.
    fn relative(&self, halfwords: i64) -> u64 {
        self.ia
            .wrapping_add(halfwords.wrapping_mul(2).cast_unsigned())
            & self.amask
    }
    /// The intercept this instruction causes.
    fn intercept(&self, icptcode: u8) -> Stop {
        let t = self.text;
        Stop::Intercept {
            icptcode,
            ipa: u16::from_be_bytes([t[0], t[1]]),
            ipb: u32::from_be_bytes([t[2], t[3], t[4], t[5]]),
        }
    }
}

/// What `execute` wants done with the PSW.
enum Outcome {
    /// Completed: continue with the next sequential instruction.
    Next,
    /// Completed: continue at this address.
    Jump(u64),
    /// Stopped with the PSW at the instruction.
    StopAt(Stop),
    /// Stopped with the PSW past the instruction.
    StopPast(Stop),
}

/// The raw sum of base, index and displacement (register 0 means none).
fn raw_address(cpu: &Cpu, x: usize, b: usize, d: i64) -> u64 {
    let mut a = d.cast_unsigned();
    if x != 0 {
        a = a.wrapping_add(cpu.gprs[x]);
    }
    if b != 0 {
        a = a.wrapping_add(cpu.gprs[b]);
    }
    a
}

/// Bits 32–63 of `x`, the register half 32-bit instructions use; dropping
/// bits 0–31 is the point.
const fn low32(x: u64) -> u32 {
    let [_, _, _, _, b4, b5, b6, b7] = x.to_be_bytes();
    u32::from_be_bytes([b4, b5, b6, b7])
}

/// Bits 56–63 of `x`, for fields the caller has already masked to a byte.
const fn low8(x: u64) -> u8 {
    let [.., b7] = x.to_be_bytes();
    b7
}

// A `usize` is at most 64 bits wide, so `widen` cannot fail.
const _: () = assert!(usize::BITS <= u64::BITS);

/// A byte count as an address offset.
pub(crate) fn widen(n: usize) -> u64 {
    u64::try_from(n).expect("usize::BITS <= u64::BITS, asserted at compile time")
}

/// Replaces bits 32–63 of `reg`.
fn set_low32(reg: &mut u64, v: u32) {
    *reg = (*reg & 0xFFFF_FFFF_0000_0000) | u64::from(v);
}

/// Whether a branch with mask `m` (bits 8 → CC 0 … 1 → CC 3) is taken.
fn cc_matches(cpu: &Cpu, m: usize) -> bool {
    m & (8 >> cpu.cc()) != 0
}

/// Signed-add condition code: 0 zero, 1 negative, 2 positive, 3 overflow.
fn add_cc<T: Default + PartialOrd>(result: T, overflow: bool) -> u8 {
    if overflow {
        3
    } else if result == T::default() {
        0
    } else if result < T::default() {
        1
    } else {
        2
    }
}

/// Sets the CC of a signed add and reports the fixed-point-overflow
/// interruption if it is enabled.
fn finish_add<T: Default + PartialOrd>(
    cpu: &mut Cpu,
    result: T,
    overflow: bool,
    ilen: u8,
) -> Outcome {
    cpu.set_cc(add_cc(result, overflow));
    if overflow && cpu.psw_mask & PSW_FIXED_OVERFLOW_MASK != 0 {
        Outcome::StopPast(Stop::Program {
            code: PGM_FIXED_POINT_OVERFLOW,
            ilen,
        })
    } else {
        Outcome::Next
    }
}

/// Executes a fetched instruction. Every instruction makes at most one
/// storage access and changes registers only after it succeeded, which is
/// what makes a fault nullifying.
fn execute(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn) -> Outcome {
    let t = insn.text;
    let amask = insn.amask;
    let fault = |e| Outcome::StopAt(Stop::Fault(e));
    let privileged = |cpu: &Cpu| {
        if cpu.psw_mask & PSW_PROBLEM_STATE != 0 {
            Outcome::StopPast(Stop::Program {
                code: PGM_PRIVILEGED_OPERATION,
                ilen: insn.ilen,
            })
        } else {
            Outcome::StopPast(insn.intercept(ICPT_INST))
        }
    };
    match t[0] {
        // BCR M1,R2: R2 = 0 means no branch (the serializing forms).
        0x07 => {
            let (m, r2) = (insn.r1(), insn.r2());
            if r2 != 0 && cc_matches(cpu, m) {
                Outcome::Jump(cpu.gprs[r2] & amask)
            } else {
                Outcome::Next
            }
        }
        // LR R1,R2
        0x18 => {
            let v = low32(cpu.gprs[insn.r2()]);
            set_low32(&mut cpu.gprs[insn.r1()], v);
            Outcome::Next
        }
        // LA R1,D2(X2,B2): the address as the addressing mode forms it;
        // in 24- and 31-bit mode bits 0–31 of R1 stay.
        0x41 => {
            let (b, d) = insn.base_disp12();
            let a = raw_address(cpu, insn.r2(), b, d) & amask;
            let r = &mut cpu.gprs[insn.r1()];
            *r = if amask == u64::MAX {
                a
            } else {
                (*r & 0xFFFF_FFFF_0000_0000) | a
            };
            Outcome::Next
        }
        // BC M1,D2(X2,B2)
        0x47 => {
            let (b, d) = insn.base_disp12();
            if cc_matches(cpu, insn.r1()) {
                Outcome::Jump(raw_address(cpu, insn.r2(), b, d) & amask)
            } else {
                Outcome::Next
            }
        }
        // ST R1,D2(X2,B2)
        0x50 => {
            let (b, d) = insn.base_disp12();
            let a = raw_address(cpu, insn.r2(), b, d);
            let v = low32(cpu.gprs[insn.r1()]).to_be_bytes();
            match write_split(bus, amask, a, &v) {
                Ok(()) => Outcome::Next,
                Err(e) => fault(e),
            }
        }
        // L R1,D2(X2,B2)
        0x58 => {
            let (b, d) = insn.base_disp12();
            let a = raw_address(cpu, insn.r2(), b, d);
            let mut v = [0u8; 4];
            match read_split(bus, amask, a, &mut v) {
                Ok(()) => {
                    set_low32(&mut cpu.gprs[insn.r1()], u32::from_be_bytes(v));
                    Outcome::Next
                }
                Err(e) => fault(e),
            }
        }
        // DIAG: the controller's business.
        0x83 => privileged(cpu),
        // MVI D1(B1),I2
        0x92 => {
            let (b, d) = insn.base_disp12();
            let a = raw_address(cpu, 0, b, d);
            match write_split(bus, amask, a, &[t[1]]) {
                Ok(()) => Outcome::Next,
                Err(e) => fault(e),
            }
        }
        // CLI D1(B1),I2: CC 0 equal, 1 storage low, 2 storage high.
        0x95 => {
            let (b, d) = insn.base_disp12();
            let a = raw_address(cpu, 0, b, d);
            let mut v = [0u8; 1];
            match read_split(bus, amask, a, &mut v) {
                Ok(()) => {
                    cpu.set_cc(match v[0].cmp(&t[1]) {
                        core::cmp::Ordering::Equal => 0,
                        core::cmp::Ordering::Less => 1,
                        core::cmp::Ordering::Greater => 2,
                    });
                    Outcome::Next
                }
                Err(e) => fault(e),
            }
        }
        0xA7 => execute_a7(cpu, insn),
        0xB2 => match t[1] {
            // ISKE, RRBE, SSKE: storage keys belong to the controller.
            0x29..=0x2B => privileged(cpu),
            _ => Outcome::StopAt(insn.intercept(ICPT_OPEREXC)),
        },
        0xB9 => {
            let (r1, r2) = insn.rre();
            match t[1] {
                // LGR
                0x04 => {
                    cpu.gprs[r1] = cpu.gprs[r2];
                    Outcome::Next
                }
                // XGR: CC 0 result zero, 1 not zero.
                0x82 => {
                    let v = cpu.gprs[r1] ^ cpu.gprs[r2];
                    cpu.gprs[r1] = v;
                    cpu.set_cc(u8::from(v != 0));
                    Outcome::Next
                }
                _ => Outcome::StopAt(insn.intercept(ICPT_OPEREXC)),
            }
        }
        0xC0 => match insn.r2() {
            // LGFI
            0x1 => {
                cpu.gprs[insn.r1()] = i64::from(insn.i32()).cast_unsigned();
                Outcome::Next
            }
            // BRCL
            0x4 => {
                if cc_matches(cpu, insn.r1()) {
                    Outcome::Jump(insn.relative(i64::from(insn.i32())))
                } else {
                    Outcome::Next
                }
            }
            _ => Outcome::StopAt(insn.intercept(ICPT_OPEREXC)),
        },
        0xE3 => {
            let (b, d) = insn.base_disp20();
            let a = raw_address(cpu, insn.r2(), b, d);
            match t[5] {
                // LG
                0x04 => {
                    let mut v = [0u8; 8];
                    match read_split(bus, amask, a, &mut v) {
                        Ok(()) => {
                            cpu.gprs[insn.r1()] = u64::from_be_bytes(v);
                            Outcome::Next
                        }
                        Err(e) => fault(e),
                    }
                }
                // STG
                0x24 => match write_split(bus, amask, a, &cpu.gprs[insn.r1()].to_be_bytes()) {
                    Ok(()) => Outcome::Next,
                    Err(e) => fault(e),
                },
                _ => Outcome::StopAt(insn.intercept(ICPT_OPEREXC)),
            }
        }
        _ => Outcome::StopAt(insn.intercept(ICPT_OPEREXC)),
    }
}

/// The RI-format instructions of opcode A7 (sub-opcode in bits 12–15).
fn execute_a7(cpu: &mut Cpu, insn: &Insn) -> Outcome {
    let r1 = insn.r1();
    let i = insn.i16();
    match insn.r2() {
        // BRC M1,RI2
        0x4 => {
            if cc_matches(cpu, r1) {
                Outcome::Jump(insn.relative(i64::from(i)))
            } else {
                Outcome::Next
            }
        }
        // BRCT: decrement bits 32–63, branch unless they became zero.
        0x6 => {
            let v = low32(cpu.gprs[r1]).wrapping_sub(1);
            set_low32(&mut cpu.gprs[r1], v);
            if v != 0 {
                Outcome::Jump(insn.relative(i64::from(i)))
            } else {
                Outcome::Next
            }
        }
        // BRCTG
        0x7 => {
            let v = cpu.gprs[r1].wrapping_sub(1);
            cpu.gprs[r1] = v;
            if v != 0 {
                Outcome::Jump(insn.relative(i64::from(i)))
            } else {
                Outcome::Next
            }
        }
        // LHI
        0x8 => {
            set_low32(&mut cpu.gprs[r1], i32::from(i).cast_unsigned());
            Outcome::Next
        }
        // LGHI
        0x9 => {
            cpu.gprs[r1] = i64::from(i).cast_unsigned();
            Outcome::Next
        }
        // AHI
        0xA => {
            let (v, o) = low32(cpu.gprs[r1])
                .cast_signed()
                .overflowing_add(i32::from(i));
            set_low32(&mut cpu.gprs[r1], v.cast_unsigned());
            finish_add(cpu, v, o, insn.ilen)
        }
        // AGHI
        0xB => {
            let (v, o) = cpu.gprs[r1].cast_signed().overflowing_add(i64::from(i));
            cpu.gprs[r1] = v.cast_unsigned();
            finish_add(cpu, v, o, insn.ilen)
        }
        _ => Outcome::StopAt(insn.intercept(ICPT_OPEREXC)),
    }
}

#[cfg(test)]
mod tests;
