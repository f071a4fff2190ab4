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
//! problem-state bit, the control and access registers, and the
//! instructions listed on [`step`]. I/O and external interruptions are not
//! delivered (the emulator delivers none); program-interruption conditions
//! stop the run, and [`interrupt`] performs them through the guest's
//! lowcore as the machine does under SIE. DAT, PER, key-controlled
//! protection and the wait state are not modelled (storage keys only as
//! [`keys`] says): the DAT and wait bits are accepted and ignored, because
//! a ucontrol guest in this project runs with DAT off.
//!
//! [`disasm`] holds the table of every instruction [`step`] executes and
//! prints them as objdump does; [`run_traced`] shows each instruction
//! before it executes (the emulator's `--trace=insn`).

// Guest input must never panic the emulator: all address and register
// arithmetic is explicitly wrapping or checked.
#![deny(clippy::arithmetic_side_effects)]
// Every field the decoder takes apart comes from the guest: conversions say
// whether they widen, sign-extend, take a register half or may fail.
#![deny(clippy::as_conversions)]

use core::fmt;

pub mod keys;

/// The PSW mask of a 64-bit, DAT-off guest with interruptions disabled: what
/// the kernel's ucontrol selftest runs its guest programs with.
pub const PSW_MASK_64: u64 = 0x0000_0001_8000_0000;

/// The unit in which [`Bus`] accesses are split: no bus call crosses a
/// multiple of 4 KiB.
pub const PAGE_SIZE: u64 = 4096;

/// The intercept codes the interpreter reports: [`ICPT_INST`] for DIAGNOSE
/// and the storage-key instructions (PSW past the instruction),
/// [`ICPT_OPEREXC`] for an opcode it does not know (PSW at the instruction).
pub use decoded::{CodeCache, run_cached};
pub use flat::FlatMemory;
pub use ucas_core::abi::{ICPT_INST, ICPT_OPEREXC};

mod flat;

/// Program-interruption code: privileged-operation exception.
#[doc(alias = "PGM_PRIVILEGED_OP")]
pub const PGM_PRIVILEGED_OPERATION: u16 = 0x0002;

/// Program-interruption code: specification exception.
pub const PGM_SPECIFICATION: u16 = 0x0006;

/// Program-interruption code: execute exception (the target of EX or
/// EXRL is itself EX or EXRL).
pub const PGM_EXECUTE: u16 = 0x0003;

/// Program-interruption code: fixed-point-overflow exception.
pub const PGM_FIXED_POINT_OVERFLOW: u16 = 0x0008;

/// Program-interruption code: fixed-point-divide exception.
pub const PGM_FIXED_POINT_DIVIDE: u16 = 0x0009;

/// Program-interruption code: data exception; its data-exception code is
/// [`Cpu::dxc`] ([`interrupt::DXC_COMPARE_AND_TRAP`] for the
/// compare-and-trap instructions, [`interrupt::DXC_AFP_REGISTER`] for an
/// FPR beyond 0, 2, 4 and 6 while CR0's AFP-register control is off).
pub const PGM_DATA: u16 = 0x0007;

/// CR0 bit 45, the AFP-register control: without it only FPRs 0, 2, 4
/// and 6 may be named (Linux turns it on for its processes; a ucontrol
/// vcpu starts with it off, CR0 = 0xE0).
pub const CR0_AFP: u64 = 1 << (63 - 45);

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

    /// The storage keys ISKE, SSKE and RRBE work on ([`keys`]); `None`, the
    /// default, keeps them intercepted.
    fn storage_keys(&mut self) -> Option<&mut dyn keys::StorageKeys> {
        None
    }

    /// A name for the memory behind the page of vcpu address `addr`, the
    /// same for every address whose page reaches the same memory (an
    /// alias) and for the whole run, or `None` (the default) to have every
    /// instruction on the page fetched through [`read`](Self::read) each
    /// time it executes. Naming a page promises that its bytes change
    /// during a run only through this bus's [`write`](Self::write): the
    /// interpreter then keeps the page's instructions decoded
    /// ([`decoded`]) until a write to the same name.
    fn code_page(&mut self, addr: u64) -> Option<u64> {
        let _ = addr;
        None
    }

    /// The TOD clock the guest reads with STCK, STCKF and STCKE. The
    /// default is the host's time on the TOD epoch
    /// ([`control::host_tod`]).
    fn tod_clock(&mut self) -> u64 {
        control::host_tod()
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
    /// - [`PGM_SPECIFICATION`] for a divide, multiply or FLOGR naming an
    ///   odd register pair, an interlocked update, compare and swap or
    ///   relative-long access on an unaligned operand or an odd EX target,
    ///   [`PGM_EXECUTE`] for an EX or EXRL whose target is EX or EXRL, and [`PGM_FIXED_POINT_DIVIDE`] for a zero divisor
    ///   or a quotient too big for its register: suppressed (no register
    ///   changes), PSW past the instruction, `ilen` its length.
    /// - [`PGM_PRIVILEGED_OPERATION`] for DIAGNOSE, a storage-key or a
    ///   privileged control instruction in problem state: suppressed, PSW
    ///   past the instruction. The same for a misaligned control-register,
    ///   access-register, PSW or STFLE operand ([`PGM_SPECIFICATION`]) and
    ///   SSM under SSM suppression ([`control::PGM_SPECIAL_OPERATION`]).
    /// - [`PGM_FIXED_POINT_OVERFLOW`] for an overflowing signed add or
    ///   subtract (AR, AHI, AFI, A, AG, …), load complement or positive
    ///   (LCR, LPR, …) or arithmetic left shift (SLA, SLAG) while the
    ///   PSW's fixed-point-overflow mask (bit 20) is one: completed (result
    ///   and CC 3 set), PSW past the instruction, `ilen` 2, 4 or 6.
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
    /// Floating-point registers 0–15 (bits 0–63 of vector registers 0–15),
    /// which integer code uses as spill space (moves, loads and stores only).
    pub fprs: [u64; 16],
    /// PSW bits 0–63; the condition code is bits 18–19.
    pub psw_mask: u64,
    /// PSW bits 64–127: the address of the next instruction.
    pub psw_addr: u64,
    /// How many instructions [`step`] completed without a stop, ever
    /// (wrapping). An instruction that ends in a [`Stop`] is not counted.
    pub executed: u64,
    /// Control registers 0–15 (LCTL, LCTLG, STCTL, STCTG; the emulator
    /// keeps them in the SIE block's `gcr`, as KVM does).
    pub crs: [u64; 16],
    /// Access registers 0–15 (SAR, EAR, LAM, STAM; kvm_run's sync regs).
    pub acrs: [u32; 16],
    /// The facility list STFLE stores, bit 0 leftmost in `facilities[0]`:
    /// the first 256 facility bits of the VM's CPU model.
    pub facilities: [u64; 4],
    /// The floating-point-control register (kvm_run's `s.regs.fpc`). The
    /// interpreter changes only its data-exception code, byte 2, which a
    /// data exception sets while CR0's AFP-register control is on.
    pub fpc: u32,
    /// The data-exception code of the data exception a
    /// [`Stop::Program`] with [`PGM_DATA`] reports, set by the instruction
    /// that raised it; its delivery stores it in the lowcore.
    pub dxc: u8,
}

impl Cpu {
    /// A vcpu with all registers zero at the given PSW.
    #[must_use]
    pub const fn new(psw_mask: u64, psw_addr: u64) -> Self {
        Self {
            gprs: [0; 16],
            fprs: [0; 16],
            psw_mask,
            psw_addr,
            executed: 0,
            crs: [0; 16],
            acrs: [0; 16],
            facilities: [0; 4],
            fpc: 0,
            dxc: 0,
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
///
/// Instructions are decoded once per run and executed from a
/// [`CodeCache`] when the bus names its pages ([`Bus::code_page`]); stores
/// keep it coherent, so self-modifying code sees its stores at the next
/// fetch. [`run_cached`] keeps the cache across runs.
pub fn run(cpu: &mut Cpu, bus: &mut impl Bus, budget: u64) -> Stop {
    run_cached(cpu, bus, budget, &mut CodeCache::new())
}

/// [`run`], showing `trace` every instruction before it executes: its
/// address and its bytes (zero past its length; [`disasm`] prints them).
///
/// An instruction whose fetch fails is not shown; one that an access
/// nullifies (a [`Stop::Fault`]) is shown, and again when it is run again.
/// The target of EX and EXRL is not shown apart from the EX.
pub fn run_traced(
    cpu: &mut Cpu,
    bus: &mut impl Bus,
    budget: u64,
    mut trace: impl FnMut(u64, &[u8; 6]),
) -> Stop {
    for _ in 0..budget {
        if let Some(stop) = step_traced(cpu, bus, &mut trace) {
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
/// Added with the differential oracle (`tests/src/oracle.rs`, which checks
/// every one of them against QEMU), all problem-state:
///
/// | group | instructions |
/// |---|---|
/// | add, subtract (CC) | AR AGR AGFR ALR ALGR ALGFR SR SGR SGFR SLR SLGR SLGFR (1A 1E 1B 1F, B908–0B, B918–1B); A AH AL S SH SL (5A 4A 5E 5B 4B 5F); AY AHY ALY SY SHY SLY AG AGF ALG ALGF SG SGF SLG SLGF (E3); AFI AGFI ALFI ALGFI SLFI SLGFI (C2x) |
/// | multiply (no CC) | MSR MSGR MSGFR (B252, B90C, B91C); MS MH MSY MSG MSGF (71, 4C, E3); MHI MGHI (A7xC/D); MSFI MSGFI (C2x) |
/// | logic (CC) | NR OR XR NGR OGR (14 16 17, B980/81); N O X NY OY XY NG OG XG (54 56 57, E3); NI OI XI TM (94 96 97 91); NC OC XC (D4 D6 D7) |
/// | compare (CC) | CR CLR CGR CLGR CGFR CLGFR (19 15, B920/21/30/31); C CH CL CY CHY CLY CG CGF CLG CLGF (59 49 55, E3); CHI CGHI (A7xE/F); CFI CGFI CLFI CLGFI (C2x); CLC (D5) |
/// | immediates | NIHH NIHL NILH NILL OIHH…OILL IIHH…IILL LLIHH…LLILL (A5x); NIHF NILF OIHF OILF XIHF XILF IIHF IILF LLIHF LLILF (C0x); TMHH TMHL TMLH TMLL (A7x0–3) |
/// | load (no CC) | LGFR LLGFR LGBR LGHR LLGCR LLGHR LBR LHR LLCR LLHR (B9); LH LY LB LGB LHY LGF LGH LLGF LLGC LLGH LLC LLH (48, E3); IC ICY (43, E373); LAY (E371), LARL (C0x0) |
/// | load and test, complement, positive, negative (CC) | LTR LCR LPR LNR (12 13 10 11); LTGR LCGR LPGR LNGR LTGFR LCGFR LPGFR LNGFR (B9); LT LTG (E312, E302) |
/// | store | STH STC (40 42); STY STHY STCY (E3); MVC (D2) |
/// | shift, rotate | SRL SLL SRA SLA (88–8B); SRAG SLAG SRLG SLLG RLLG RLL (EB) |
/// | branch | BASR (0D); BRAS (A7x5), BRASL (C0x5); CRJ CGRJ CLRJ CLGRJ CIJ CGIJ CLIJ CLGIJ (EC) |
/// | distinct operands (z196) | ARK AGRK SRK SGRK ALRK ALGRK SLRK SLGRK NRK NGRK ORK OGRK XRK XGRK (B9Ex/B9Fx); AHIK AGHIK (ECD8/D9); SLLK SRLK SRAK SLAK (EBDC–DF) |
/// | load/store on condition (z196) | LOCR LOCGR (B9F2/E2); LOC LOCG STOC STOCG (EBF2/E2/F3/E3) |
/// | rotate then … selected bits | RNSBG RISBG ROSBG RXSBG RISBGN (EC54–57, EC59) |
/// | carry, borrow (CC in and out) | ALCR ALCGR SLBR SLBGR (B998 B988 B999 B989); ALC ALCG SLB SLBG (E398 E388 E399 E389) |
/// | multiply into a pair, FLOGR | MR M MLR ML MLGR MLG (1C 5C B996 E396 B986 E386); FLOGR (B983) |
/// | multiple, under mask | STM LM STMY LMY STMG LMG (90 98 EB90 EB98 EB24 EB04); ICM ICMY ICMH STCM STCMY STCMH (BF EB81 EB80 BE EB2D EB2C) |
/// | storage immediates | MVHHI MVHI MVGHI CHHSI CHSI CGHSI CLHHSI CLFHSI CLGHSI (E5xx); ASI AGSI ALSI ALGSI (EB6A EB7A EB6E EB7E) |
/// | compare and swap | CS CSY CSG (BA EB14 EB30) |
/// | prefetch (no-op) | PFD (E336), PFDRL (C6x2) |
/// | relative long | LRL LGRL LGFRL LLGFRL LHRL LGHRL LLHRL LLGHRL STRL STGRL STHRL (C4x); CRL CGRL CGFRL CHRL CGHRL CLRL CLGRL CLGFRL CLHRL CLGHRL (C6x) |
/// | interlocked load and … | LAA LAAG LAAL LAALG LAN LANG LAO LAOG LAX LAXG (EBF8 EBE8 EBFA EBEA EBF4 EBE4 EBF6 EBE6 EBF7 EBE7) |
/// | execute | EX (44), EXRL (C6x0): the target with bits 8–15 ORed from R1 |
/// | strings, bits | SRST (B25E; 256 bytes per execution, then CC 3), POPCNT (B9E1, M3 0) |
/// | pair shifts | SRDL SLDL SRDA SLDA (8C–8F) |
/// | SIY byte immediates | TMY MVIY NIY CLIY OIY XIY (EB51 EB52 EB54–57) |
/// | more | ALHSIK ALGHSIK (ECDA/DB), LLGTR LLGT (B917, E317), LTGF (E332) |
/// | other | IPM (B222), BAS (4D) |
///
/// Control instructions ([`control`]; privileged ones are a
/// privileged-operation exception in problem state) and the problem-state
/// rest of modules `string`, `branch`, `trap` and `highword`:
///
/// | group | instructions |
/// |---|---|
/// | PSW | LPSW (82), LPSWE (B2B2), SSM (80), STNSM STOSM (AC AD), EPSW (B98D), IPK SPKA (B20B B20A) |
/// | control registers | LCTL STCTL (B7 B6), LCTLG STCTG (EB2F EB25) |
/// | access registers | SAR EAR (B24E B24F), LAM STAM (9A 9B), LAMY STAMY (EB9A EB9B) |
/// | machine | STFLE (B2B0), STCK STCKF STCKE (B205 B27C B278), TPROT (E501), PTLB (B20D) |
/// | strings, long operands (CPU-determined amounts: MVST, CLST 4096 bytes; MVCLE, CLCLE to the next 4 KiB boundary; then CC 3) | MVST CLST (B255 B25D), MVCL CLCL (0E 0F), MVCLE CLCLE (A8 A9), TR TRT TRTR (DC DD D0) |
/// | branch on index | BXH BXLE (86 87), BXHG BXLEG (EB44 EB45), BRXH BRXLE (84 85), BRXHG BRXLG (EC44 EC45) |
/// | compare and trap, load and trap (data exception, DXC FF) | CRT CGRT CLRT CLGRT (B972 B960 B973 B961), CIT CGIT CLFIT CLGIT (EC72 EC70 EC73 EC71), CLT CLGT (EB23 EB2B), LAT LGAT LLGFAT LLGTAT LFHAT (E39F E385 E39D E39C E3C8) |
/// | high word (z196) | AHHHR SHHHR ALHHHR SLHHHR AHHLR SHHLR ALHHLR SLHHLR (B9C8–CB, B9D8–DB), CHHR CHLR CLHHR CLHLR (B9CD B9DD B9CF B9DF), LBH LLCH STCH LHH LLHH STHH LFH STFH CHF CLHF (E3C0 C2 C3 C4 C6 C7 CA CB CD CF), AIH ALSIH ALSIHN CIH CLIH BRCTH (CCx8 xA xB xD xF x6), RISBHG RISBLG (EC5D EC51) |
/// | intercepted ([`ICPT_INST`], PSW past) | SIGP (AE), SERVC (B220), STIDP SCK SPX STPX STAP (B202 B204 B210–12), TB (B22C), CSCH…SCHM (B230–3C), CHSC (B25F), SIGA (B274), XSCH (B276), STSI (B27D), STFL (B2B1) |
/// | divide (even-odd pair R1, R1+1) | DR D DLR DL DSGR DSG DSGFR DSGF DLGR DLG (1D 5D B997 E397 B90D E30D B91D E31D B987 E387) |
/// | FPR moves (no CC; `cpu/float.rs`) | LDR LER (28 38), LDGR LGDR (B3C1 B3CD), LZDR LZER (B375 B374), LD LE STD STE (68 78 60 70), LDY LEY STDY STEY (ED65 ED64 ED67 ED66) |
/// | gcc's other gaps (`cpu/gcc.rs`) | MVCLE (A8; up to a 4 KiB boundary per execution, then CC 3), LOCHI LOCGHI (EC42 EC46, z13) |
///
/// 32-bit instructions (LR, LHI, AHI, L, ST, BRCT and every 32-bit form
/// above) change only bits 32–63 of their register. Fixed-point overflow
/// sets CC 3 (and stops with [`PGM_FIXED_POINT_OVERFLOW`] when the PSW's
/// mask enables it). Anything else is an operation exception
/// ([`ICPT_OPEREXC`]).
///
/// [`disasm::TABLE`] lists every one of these instructions (a test checks
/// it against this function over the whole opcode space), and
/// [`disasm::disassemble`] prints them.
pub fn step(cpu: &mut Cpu, bus: &mut impl Bus) -> Option<Stop> {
    step_traced(cpu, bus, |_, _| {})
}

/// [`step`], showing `trace` the instruction's address and bytes once it
/// is fetched, before it executes (see [`run_traced`]).
pub fn step_traced(
    cpu: &mut Cpu,
    bus: &mut impl Bus,
    mut trace: impl FnMut(u64, &[u8; 6]),
) -> Option<Stop> {
    let Some(amask) = address_mask(cpu) else {
        return Some(Stop::Program {
            code: PGM_SPECIFICATION,
            ilen: 0,
        });
    };
    let ia = cpu.psw_addr;
    let (text, ilen, _) = match fetch(bus, ia, amask) {
        Ok(fetched) => fetched,
        Err(e) => return Some(Stop::Fault(e)),
    };
    trace(ia, &text);
    let next = ia.wrapping_add(u64::from(ilen)) & amask;
    let insn = Insn {
        text,
        ilen,
        ia,
        amask,
    };
    let outcome = execute(cpu, bus, &insn);
    finish(cpu, outcome, next)
}

/// Fetches the instruction at `ia`: its bytes (zero past its length), its
/// length, and whether all of it lies in `ia`'s page.
fn fetch(bus: &mut impl Bus, ia: u64, amask: u64) -> Result<([u8; 6], u8, bool), Access> {
    let mut text = [0u8; 6];
    // One read for the whole instruction unless it crosses into the next
    // page (the instruction address is even, so at least 2 bytes fit).
    // A page is readable as a whole or not at all, so a failure names `ia`
    // as a two-byte first read would.
    let fetched = piece_len(ia, text.len());
    bus.read(ia, &mut text[..fetched])?;
    let ilen = instruction_length(text[0]);
    let len = usize::from(ilen);
    // The bytes after the instruction belong to the next one.
    text[len.min(fetched)..].fill(0);
    if len > fetched {
        read_split(
            bus,
            amask,
            ia.wrapping_add(widen(fetched)),
            &mut text[fetched..len],
        )?;
    }
    Ok((text, ilen, len <= fetched))
}

/// Moves the PSW as `outcome` says (`next` is the address past the
/// instruction) and counts a completed instruction.
#[inline]
fn finish(cpu: &mut Cpu, outcome: Outcome, next: u64) -> Option<Stop> {
    match outcome {
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
    let amask = mode_mask(cpu.psw_mask)?;
    address_fits(cpu.psw_addr, amask).then_some(amask)
}

/// The addressing-mode mask of PSW mask `mask`, or `None` when the mask
/// is invalid. The condition code does not matter.
fn mode_mask(mask: u64) -> Option<u64> {
    if mask & !PSW_VALID_BITS != 0 {
        return None;
    }
    match (mask & PSW_EA != 0, mask & PSW_BA != 0) {
        (true, true) => Some(u64::MAX),
        (false, true) => Some(0x7FFF_FFFF),
        (false, false) => Some(0x00FF_FFFF),
        (true, false) => None,
    }
}

/// Whether `addr` is a valid instruction address under `amask`: even and
/// inside the addressing mode.
#[inline]
const fn address_fits(addr: u64, amask: u64) -> bool {
    addr & 1 == 0 && addr & !amask == 0
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
    if let Some(outcome) = control::execute(cpu, bus, insn) {
        return outcome;
    }
    if let Some(outcome) = string::execute(cpu, bus, insn) {
        return outcome;
    }
    if let Some(outcome) = branch::execute(cpu, bus, insn) {
        return outcome;
    }
    if let Some(outcome) = trap::execute(cpu, bus, insn) {
        return outcome;
    }
    if let Some(outcome) = highword::execute(cpu, bus, insn) {
        return outcome;
    }
    if let Some(outcome) = execute_more(cpu, bus, insn) {
        return outcome;
    }
    if let Some(outcome) = float::execute(cpu, bus, insn) {
        return outcome;
    }
    if let Some(outcome) = gcc::execute(cpu, insn) {
        return outcome;
    }
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
            0x29..=0x2B => keys::execute(cpu, bus, insn).unwrap_or_else(|| privileged(cpu)),
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

// ---------------------------------------------------------------------------
// The problem-state instructions found with the differential oracle
// (`tests/src/oracle.rs`): integer arithmetic, logic, compares, loads and
// stores, shifts, relative branches and short storage-to-storage moves.

/// What a general ALU instruction does with operand 1 (a register) and
/// operand 2 (already extended to the instruction's width).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alu {
    /// Signed add: CC 0/1/2 by result, 3 overflow.
    Add,
    /// Logical add with the carry of the CC (CC 2 or 3) added in.
    AddCarry,
    /// Logical subtract with the borrow of the CC (CC 0 or 1) taken off.
    SubBorrow,
    /// Logical add: CC by result zero and carry.
    AddLogical,
    /// Signed subtract: as Add.
    Sub,
    /// Logical subtract: CC by result zero and no borrow.
    SubLogical,
    /// AND, OR, XOR: CC 0 zero, 1 not zero.
    And,
    /// See And.
    Or,
    /// See And.
    Xor,
    /// Signed compare: CC 0 equal, 1 low, 2 high; no register change.
    Cmp,
    /// Logical compare.
    CmpLogical,
    /// Load: no CC.
    Load,
    /// Load and test: CC 0/1/2 by result.
    LoadTest,
    /// Multiply single: low half of the product, no CC.
    Mul,
    /// Load complement: CC as Add, 3 for the most negative number.
    LoadComplement,
    /// Load positive: as LoadComplement.
    LoadPositive,
    /// Load negative: CC 0 or 1, never overflow.
    LoadNegative,
}

/// How operand 2 is widened to the instruction's width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ext {
    /// Sign-extend from 8, 16 or 32 bits.
    S8,
    S16,
    S32,
    /// Zero-extend from 8, 16 or 32 bits.
    Z8,
    Z16,
    Z32,
    /// All 64 bits.
    Full,
}

/// `v` widened as `e` says, from its low bits.
fn extend(v: u64, e: Ext) -> u64 {
    let [.., b6, b7] = v.to_be_bytes();
    match e {
        Ext::S8 => i64::from(i8::from_be_bytes([b7])).cast_unsigned(),
        Ext::S16 => i64::from(i16::from_be_bytes([b6, b7])).cast_unsigned(),
        Ext::S32 => i64::from(low32(v).cast_signed()).cast_unsigned(),
        Ext::Z8 => u64::from(b7),
        Ext::Z16 => u64::from(u16::from_be_bytes([b6, b7])),
        Ext::Z32 => u64::from(low32(v)),
        Ext::Full => v,
    }
}

/// CC of a logical add or subtract: bit 1 carry (no borrow), bit 0 not zero.
fn logical_cc(nonzero: bool, carry: bool) -> u8 {
    match (carry, nonzero) {
        (false, false) => 0,
        (false, true) => 1,
        (true, false) => 2,
        (true, true) => 3,
    }
}

/// CC of a compare: 0 equal, 1 operand 1 low, 2 operand 1 high.
fn cmp_cc(o: core::cmp::Ordering) -> u8 {
    match o {
        core::cmp::Ordering::Equal => 0,
        core::cmp::Ordering::Less => 1,
        core::cmp::Ordering::Greater => 2,
    }
}

/// The 64-bit form of an ALU instruction on register `r1`.
fn alu64(cpu: &mut Cpu, r1: usize, op2: u64, alu: Alu, ilen: u8) -> Outcome {
    let a = cpu.gprs[r1];
    let (sa, sb) = (a.cast_signed(), op2.cast_signed());
    let signed = |cpu: &mut Cpu, (v, o): (i64, bool)| {
        cpu.gprs[r1] = v.cast_unsigned();
        finish_add(cpu, v, o, ilen)
    };
    let logic = |cpu: &mut Cpu, v: u64| {
        cpu.gprs[r1] = v;
        cpu.set_cc(u8::from(v != 0));
        Outcome::Next
    };
    match alu {
        Alu::Add => signed(cpu, sa.overflowing_add(sb)),
        Alu::Sub => signed(cpu, sa.overflowing_sub(sb)),
        Alu::LoadComplement => signed(cpu, 0i64.overflowing_sub(sb)),
        Alu::LoadPositive => signed(
            cpu,
            if sb < 0 {
                sb.overflowing_neg()
            } else {
                (sb, false)
            },
        ),
        Alu::LoadNegative => signed(cpu, (if sb > 0 { sb.wrapping_neg() } else { sb }, false)),
        Alu::AddLogical => {
            let (v, c) = a.overflowing_add(op2);
            cpu.gprs[r1] = v;
            cpu.set_cc(logical_cc(v != 0, c));
            Outcome::Next
        }
        Alu::SubLogical => {
            let (v, b) = a.overflowing_sub(op2);
            cpu.gprs[r1] = v;
            cpu.set_cc(logical_cc(v != 0, !b));
            Outcome::Next
        }
        Alu::And => logic(cpu, a & op2),
        Alu::Or => logic(cpu, a | op2),
        Alu::Xor => logic(cpu, a ^ op2),
        Alu::Cmp => {
            cpu.set_cc(cmp_cc(sa.cmp(&sb)));
            Outcome::Next
        }
        Alu::CmpLogical => {
            cpu.set_cc(cmp_cc(a.cmp(&op2)));
            Outcome::Next
        }
        Alu::Load => {
            cpu.gprs[r1] = op2;
            Outcome::Next
        }
        Alu::LoadTest => {
            cpu.gprs[r1] = op2;
            cpu.set_cc(add_cc(sb, false));
            Outcome::Next
        }
        Alu::Mul => {
            cpu.gprs[r1] = a.wrapping_mul(op2);
            Outcome::Next
        }
        Alu::AddCarry => {
            let carry_in = u64::from(cpu.cc() & 2 != 0);
            let (v, c1) = a.overflowing_add(op2);
            let (v, c2) = v.overflowing_add(carry_in);
            cpu.gprs[r1] = v;
            cpu.set_cc(logical_cc(v != 0, c1 || c2));
            Outcome::Next
        }
        Alu::SubBorrow => {
            let borrow_in = u64::from(cpu.cc() & 2 == 0);
            let (v, b1) = a.overflowing_sub(op2);
            let (v, b2) = v.overflowing_sub(borrow_in);
            cpu.gprs[r1] = v;
            cpu.set_cc(logical_cc(v != 0, !(b1 || b2)));
            Outcome::Next
        }
    }
}

/// The 32-bit form: bits 32–63 of `r1` and of `op2`; bits 0–31 of `r1`
/// never change.
fn alu32(cpu: &mut Cpu, r1: usize, op2: u64, alu: Alu, ilen: u8) -> Outcome {
    let a = low32(cpu.gprs[r1]);
    let b = low32(op2);
    let (sa, sb) = (a.cast_signed(), b.cast_signed());
    let signed = |cpu: &mut Cpu, (v, o): (i32, bool)| {
        set_low32(&mut cpu.gprs[r1], v.cast_unsigned());
        finish_add(cpu, v, o, ilen)
    };
    let logic = |cpu: &mut Cpu, v: u32| {
        set_low32(&mut cpu.gprs[r1], v);
        cpu.set_cc(u8::from(v != 0));
        Outcome::Next
    };
    match alu {
        Alu::Add => signed(cpu, sa.overflowing_add(sb)),
        Alu::Sub => signed(cpu, sa.overflowing_sub(sb)),
        Alu::LoadComplement => signed(cpu, 0i32.overflowing_sub(sb)),
        Alu::LoadPositive => signed(
            cpu,
            if sb < 0 {
                sb.overflowing_neg()
            } else {
                (sb, false)
            },
        ),
        Alu::LoadNegative => signed(cpu, (if sb > 0 { sb.wrapping_neg() } else { sb }, false)),
        Alu::AddLogical => {
            let (v, c) = a.overflowing_add(b);
            set_low32(&mut cpu.gprs[r1], v);
            cpu.set_cc(logical_cc(v != 0, c));
            Outcome::Next
        }
        Alu::SubLogical => {
            let (v, br) = a.overflowing_sub(b);
            set_low32(&mut cpu.gprs[r1], v);
            cpu.set_cc(logical_cc(v != 0, !br));
            Outcome::Next
        }
        Alu::And => logic(cpu, a & b),
        Alu::Or => logic(cpu, a | b),
        Alu::Xor => logic(cpu, a ^ b),
        Alu::Cmp => {
            cpu.set_cc(cmp_cc(sa.cmp(&sb)));
            Outcome::Next
        }
        Alu::CmpLogical => {
            cpu.set_cc(cmp_cc(a.cmp(&b)));
            Outcome::Next
        }
        Alu::Load => {
            set_low32(&mut cpu.gprs[r1], b);
            Outcome::Next
        }
        Alu::LoadTest => {
            set_low32(&mut cpu.gprs[r1], b);
            cpu.set_cc(add_cc(sb, false));
            Outcome::Next
        }
        Alu::Mul => {
            set_low32(&mut cpu.gprs[r1], a.wrapping_mul(b));
            Outcome::Next
        }
        Alu::AddCarry => {
            let carry_in = u32::from(cpu.cc() & 2 != 0);
            let (v, c1) = a.overflowing_add(b);
            let (v, c2) = v.overflowing_add(carry_in);
            set_low32(&mut cpu.gprs[r1], v);
            cpu.set_cc(logical_cc(v != 0, c1 || c2));
            Outcome::Next
        }
        Alu::SubBorrow => {
            let borrow_in = u32::from(cpu.cc() & 2 == 0);
            let (v, b1) = a.overflowing_sub(b);
            let (v, b2) = v.overflowing_sub(borrow_in);
            set_low32(&mut cpu.gprs[r1], v);
            cpu.set_cc(logical_cc(v != 0, !(b1 || b2)));
            Outcome::Next
        }
    }
}

/// An ALU instruction of width `wide` (64) or not (32).
fn alu(cpu: &mut Cpu, r1: usize, op2: u64, alu: Alu, wide: bool, ilen: u8) -> Outcome {
    if wide {
        alu64(cpu, r1, op2, alu, ilen)
    } else {
        alu32(cpu, r1, op2, alu, ilen)
    }
}

/// Reads a big-endian operand of `len` (1, 2, 4 or 8) bytes.
fn read_operand(bus: &mut impl Bus, amask: u64, addr: u64, len: usize) -> Result<u64, Access> {
    let mut v = [0u8; 8];
    let start = 8usize.saturating_sub(len);
    read_split(bus, amask, addr, &mut v[start..])?;
    Ok(u64::from_be_bytes(v))
}

/// An ALU instruction with a storage operand of `len` bytes.
#[expect(clippy::too_many_arguments, reason = "one call per instruction group")]
fn alu_storage(
    cpu: &mut Cpu,
    bus: &mut impl Bus,
    insn: &Insn,
    addr: u64,
    len: usize,
    e: Ext,
    op: Alu,
    wide: bool,
) -> Outcome {
    match read_operand(bus, insn.amask, addr, len) {
        Ok(v) => alu(cpu, insn.r1(), extend(v, e), op, wide, insn.ilen),
        Err(e) => Outcome::StopAt(Stop::Fault(e)),
    }
}

/// Stores the low `len` bytes of register `r1`.
fn store_low(cpu: &Cpu, bus: &mut impl Bus, insn: &Insn, addr: u64, len: usize) -> Outcome {
    store_low_value(bus, insn.amask, addr, cpu.gprs[insn.r1()], len)
}

/// Stores the low `len` bytes of `value`.
fn store_low_value(bus: &mut impl Bus, amask: u64, addr: u64, value: u64, len: usize) -> Outcome {
    let v = value.to_be_bytes();
    match write_split(bus, amask, addr, &v[8usize.saturating_sub(len)..]) {
        Ok(()) => Outcome::Next,
        Err(e) => Outcome::StopAt(Stop::Fault(e)),
    }
}

/// IC/ICY: the byte at `addr` into bits 56–63 of R1, no CC.
fn insert_char(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn, addr: u64) -> Outcome {
    match read_operand(bus, insn.amask, addr, 1) {
        Ok(v) => {
            let r = &mut cpu.gprs[insn.r1()];
            *r = (*r & !0xFF) | v;
            Outcome::Next
        }
        Err(e) => Outcome::StopAt(Stop::Fault(e)),
    }
}

/// An address in register form for the addressing mode: LA, LAY, LARL.
fn load_address(cpu: &mut Cpu, r1: usize, a: u64, amask: u64) {
    let r = &mut cpu.gprs[r1];
    *r = if amask == u64::MAX {
        a & amask
    } else {
        (*r & 0xFFFF_FFFF_0000_0000) | (a & amask)
    };
}

/// The link of BRAS, BRASL and BASR: the next instruction's address, with
/// bit 32 one in 31-bit mode; bits 0–31 stay outside 64-bit mode.
fn link(cpu: &mut Cpu, r1: usize, next: u64, amask: u64) {
    let r = &mut cpu.gprs[r1];
    *r = match amask {
        u64::MAX => next,
        0x7FFF_FFFF => (*r & 0xFFFF_FFFF_0000_0000) | 0x8000_0000 | next,
        _ => (*r & 0xFFFF_FFFF_0000_0000) | next,
    };
}

/// TEST UNDER MASK's CC: 0 selected bits zero (or mask zero), 3 all one,
/// else 1 or 2 as the leftmost selected bit is zero or one.
fn tm_cc(value: u64, mask: u64) -> u8 {
    let sel = value & mask;
    if sel == 0 {
        0
    } else if sel == mask {
        3
    } else {
        let top = mask.checked_ilog2().map_or(0, |b| 1u64.wrapping_shl(b));
        if value & top != 0 { 2 } else { 1 }
    }
}

/// What an immediate does to a 16- or 32-bit field of a register.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FieldOp {
    /// Replace the field, no CC (IIxx).
    Insert,
    /// AND, OR, XOR into the field: CC 0 field zero, 1 not (NIxx, OIxx, XIxx).
    And,
    /// See And.
    Or,
    /// See And.
    Xor,
    /// The register becomes the immediate in the field, zero elsewhere
    /// (LLIxx).
    LoadLogical,
}

/// The field at bit `shift` (from the right) of `width_mask` of R1.
fn field_op(
    cpu: &mut Cpu,
    r1: usize,
    shift: u32,
    width_mask: u64,
    imm: u64,
    op: FieldOp,
) -> Outcome {
    let r = cpu.gprs[r1];
    let place = width_mask.wrapping_shl(shift);
    let field = r.wrapping_shr(shift) & width_mask;
    let new = match op {
        FieldOp::Insert | FieldOp::LoadLogical => imm,
        FieldOp::And => field & imm,
        FieldOp::Or => field | imm,
        FieldOp::Xor => field ^ imm,
    } & width_mask;
    let keep = if op == FieldOp::LoadLogical {
        0
    } else {
        r & !place
    };
    cpu.gprs[r1] = keep | new.wrapping_shl(shift);
    if matches!(op, FieldOp::And | FieldOp::Or | FieldOp::Xor) {
        cpu.set_cc(u8::from(new != 0));
    }
    Outcome::Next
}

/// The shift amount of RS and RSY shifts: the low 6 bits of the address.
fn shift_amount(cpu: &Cpu, b: usize, d: i64) -> u32 {
    u32::from(low8(raw_address(cpu, 0, b, d) & 63))
}

/// What a shift does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shift {
    /// Logical left, no CC.
    LeftLogical,
    /// Logical right, no CC.
    RightLogical,
    /// Arithmetic left: the sign stays, CC by result, 3 overflow.
    LeftArith,
    /// Arithmetic right: CC by result.
    RightArith,
    /// Rotate left, no CC.
    Rotate,
}

/// A 64-bit shift of the third operand into R1.
fn shift64(cpu: &mut Cpu, r1: usize, v: u64, n: u32, s: Shift, ilen: u8) -> Outcome {
    match s {
        Shift::LeftLogical => cpu.gprs[r1] = v.checked_shl(n).unwrap_or(0),
        Shift::RightLogical => cpu.gprs[r1] = v.checked_shr(n).unwrap_or(0),
        Shift::Rotate => cpu.gprs[r1] = v.rotate_left(n),
        Shift::RightArith => {
            let r = v
                .cast_signed()
                .checked_shr(n)
                .unwrap_or(v.cast_signed() >> 63);
            cpu.gprs[r1] = r.cast_unsigned();
            cpu.set_cc(add_cc(r, false));
        }
        Shift::LeftArith => {
            let wide = i128::from(v.cast_signed()).checked_shl(n).unwrap_or(0);
            let overflow = i64::try_from(wide).is_err();
            let sign = v & (1 << 63);
            let r = sign | (v.checked_shl(n).unwrap_or(0) & !(1 << 63));
            cpu.gprs[r1] = r;
            return finish_add(cpu, r.cast_signed(), overflow, ilen);
        }
    }
    Outcome::Next
}

/// A 32-bit shift of the third operand into bits 32–63 of R1.
fn shift32(cpu: &mut Cpu, r1: usize, v: u32, n: u32, s: Shift, ilen: u8) -> Outcome {
    let sv = v.cast_signed();
    let r = match s {
        Shift::LeftLogical => v.checked_shl(n).unwrap_or(0),
        Shift::RightLogical => v.checked_shr(n).unwrap_or(0),
        Shift::Rotate => v.rotate_left(n),
        Shift::RightArith => {
            let r = sv.checked_shr(n).unwrap_or(sv >> 31);
            cpu.set_cc(add_cc(r, false));
            r.cast_unsigned()
        }
        Shift::LeftArith => {
            let wide = i128::from(sv).checked_shl(n).unwrap_or(0);
            let overflow = i32::try_from(wide).is_err();
            let r = (v & (1 << 31)) | (v.checked_shl(n).unwrap_or(0) & !(1 << 31));
            set_low32(&mut cpu.gprs[r1], r);
            return finish_add(cpu, r.cast_signed(), overflow, ilen);
        }
    };
    set_low32(&mut cpu.gprs[r1], r);
    Outcome::Next
}

/// The storage-to-storage logical instructions MVC, NC, CLC, OC and XC
/// (opcode `op`): `len` bytes from `a2` onto `a1`, byte by byte from the
/// left, so an overlap behaves as the architecture says (MVC one byte to
/// the right propagates the byte).
fn storage_to_storage(bus: &mut impl Bus, cpu: &mut Cpu, insn: &Insn, op: u8) -> Outcome {
    let t = insn.text;
    let amask = insn.amask;
    let len = usize::from(t[1]).wrapping_add(1);
    let (b1, d1) = (
        usize::from(t[2] >> 4),
        i64::from(u16::from_be_bytes([t[2] & 0xF, t[3]])),
    );
    let (b2, d2) = (
        usize::from(t[4] >> 4),
        i64::from(u16::from_be_bytes([t[4] & 0xF, t[5]])),
    );
    let a1 = raw_address(cpu, 0, b1, d1) & amask;
    let a2 = raw_address(cpu, 0, b2, d2) & amask;
    let mut src = [0u8; 256];
    let mut dst = [0u8; 256];
    let (src, dst) = (&mut src[..len], &mut dst[..len]);
    if let Err(e) = read_split(bus, amask, a2, src) {
        return Outcome::StopAt(Stop::Fault(e));
    }
    if op != 0xD2
        && let Err(e) = read_split(bus, amask, a1, dst)
    {
        return Outcome::StopAt(Stop::Fault(e));
    }
    if op == 0xD5 {
        cpu.set_cc(cmp_cc(dst.cmp(&src)));
        return Outcome::Next;
    }
    // Source byte i is destination byte i - k when the destination starts
    // k bytes after the source: by then already stored.
    let k = a1.wrapping_sub(a2) & amask;
    let mut nonzero = false;
    for i in 0..len {
        let s = match usize::try_from(k) {
            Ok(k) if k > 0 && k <= i => dst[i.wrapping_sub(k)],
            _ => src[i],
        };
        let v = match op {
            0xD4 => dst[i] & s,
            0xD6 => dst[i] | s,
            0xD7 => dst[i] ^ s,
            _ => s,
        };
        nonzero |= v != 0;
        dst[i] = v;
    }
    match write_split(bus, amask, a1, dst) {
        Ok(()) => {
            if op != 0xD2 {
                cpu.set_cc(u8::from(nonzero));
            }
            Outcome::Next
        }
        Err(e) => Outcome::StopAt(Stop::Fault(e)),
    }
}

/// The RR and RRE ALU instructions: (width, operand-2 extension, operation).
fn rr_kind(op: u8) -> Option<(bool, Ext, Alu)> {
    Some(match op {
        0x10 => (false, Ext::Full, Alu::LoadPositive),
        0x11 => (false, Ext::Full, Alu::LoadNegative),
        0x12 => (false, Ext::Full, Alu::LoadTest),
        0x13 => (false, Ext::Full, Alu::LoadComplement),
        0x14 => (false, Ext::Full, Alu::And),
        0x15 => (false, Ext::Full, Alu::CmpLogical),
        0x16 => (false, Ext::Full, Alu::Or),
        0x17 => (false, Ext::Full, Alu::Xor),
        0x19 => (false, Ext::Full, Alu::Cmp),
        0x1A => (false, Ext::Full, Alu::Add),
        0x1B => (false, Ext::Full, Alu::Sub),
        0x1E => (false, Ext::Full, Alu::AddLogical),
        0x1F => (false, Ext::Full, Alu::SubLogical),
        _ => return None,
    })
}

/// The B9xx RRE ALU instructions.
fn rre_kind(op: u8) -> Option<(bool, Ext, Alu)> {
    Some(match op {
        0x00 => (true, Ext::Full, Alu::LoadPositive),
        0x01 => (true, Ext::Full, Alu::LoadNegative),
        0x02 => (true, Ext::Full, Alu::LoadTest),
        0x03 => (true, Ext::Full, Alu::LoadComplement),
        0x06 => (true, Ext::S8, Alu::Load),
        0x07 => (true, Ext::S16, Alu::Load),
        0x08 => (true, Ext::Full, Alu::Add),
        0x09 => (true, Ext::Full, Alu::Sub),
        0x0A => (true, Ext::Full, Alu::AddLogical),
        0x0B => (true, Ext::Full, Alu::SubLogical),
        0x0C => (true, Ext::Full, Alu::Mul),
        0x10 => (true, Ext::S32, Alu::LoadPositive),
        0x11 => (true, Ext::S32, Alu::LoadNegative),
        0x12 => (true, Ext::S32, Alu::LoadTest),
        0x13 => (true, Ext::S32, Alu::LoadComplement),
        0x14 => (true, Ext::S32, Alu::Load),
        0x16 => (true, Ext::Z32, Alu::Load),
        0x18 => (true, Ext::S32, Alu::Add),
        0x19 => (true, Ext::S32, Alu::Sub),
        0x1A => (true, Ext::Z32, Alu::AddLogical),
        0x1B => (true, Ext::Z32, Alu::SubLogical),
        0x1C => (true, Ext::S32, Alu::Mul),
        0x20 => (true, Ext::Full, Alu::Cmp),
        0x21 => (true, Ext::Full, Alu::CmpLogical),
        0x26 => (false, Ext::S8, Alu::Load),
        0x27 => (false, Ext::S16, Alu::Load),
        0x30 => (true, Ext::S32, Alu::Cmp),
        0x31 => (true, Ext::Z32, Alu::CmpLogical),
        0x80 => (true, Ext::Full, Alu::And),
        0x81 => (true, Ext::Full, Alu::Or),
        0x84 => (true, Ext::Z8, Alu::Load),
        0x85 => (true, Ext::Z16, Alu::Load),
        0x94 => (false, Ext::Z8, Alu::Load),
        0x95 => (false, Ext::Z16, Alu::Load),
        0x88 => (true, Ext::Full, Alu::AddCarry),
        0x89 => (true, Ext::Full, Alu::SubBorrow),
        0x98 => (false, Ext::Full, Alu::AddCarry),
        0x99 => (false, Ext::Full, Alu::SubBorrow),
        _ => return None,
    })
}

/// The RX ALU instructions: (operand length, extension, operation); all
/// 32-bit.
fn rx_kind(op: u8) -> Option<(usize, Ext, Alu)> {
    Some(match op {
        0x48 => (2, Ext::S16, Alu::Load),
        0x49 => (2, Ext::S16, Alu::Cmp),
        0x4A => (2, Ext::S16, Alu::Add),
        0x4B => (2, Ext::S16, Alu::Sub),
        0x4C => (2, Ext::S16, Alu::Mul),
        0x54 => (4, Ext::Full, Alu::And),
        0x55 => (4, Ext::Full, Alu::CmpLogical),
        0x56 => (4, Ext::Full, Alu::Or),
        0x57 => (4, Ext::Full, Alu::Xor),
        0x59 => (4, Ext::Full, Alu::Cmp),
        0x5A => (4, Ext::Full, Alu::Add),
        0x5B => (4, Ext::Full, Alu::Sub),
        0x5E => (4, Ext::Full, Alu::AddLogical),
        0x5F => (4, Ext::Full, Alu::SubLogical),
        0x71 => (4, Ext::Full, Alu::Mul),
        _ => return None,
    })
}

/// The E3xx RXY ALU instructions: (operand length, extension, operation,
/// width).
fn rxy_kind(op: u8) -> Option<(usize, Ext, Alu, bool)> {
    Some(match op {
        0x02 => (8, Ext::Full, Alu::LoadTest, true),
        0x32 => (4, Ext::S32, Alu::LoadTest, true),
        0x08 => (8, Ext::Full, Alu::Add, true),
        0x09 => (8, Ext::Full, Alu::Sub, true),
        0x0A => (8, Ext::Full, Alu::AddLogical, true),
        0x0B => (8, Ext::Full, Alu::SubLogical, true),
        0x0C => (8, Ext::Full, Alu::Mul, true),
        0x12 => (4, Ext::Full, Alu::LoadTest, false),
        0x14 => (4, Ext::S32, Alu::Load, true),
        0x15 => (2, Ext::S16, Alu::Load, true),
        0x16 => (4, Ext::Z32, Alu::Load, true),
        0x18 => (4, Ext::S32, Alu::Add, true),
        0x19 => (4, Ext::S32, Alu::Sub, true),
        0x1A => (4, Ext::Z32, Alu::AddLogical, true),
        0x1B => (4, Ext::Z32, Alu::SubLogical, true),
        0x1C => (4, Ext::S32, Alu::Mul, true),
        0x20 => (8, Ext::Full, Alu::Cmp, true),
        0x21 => (8, Ext::Full, Alu::CmpLogical, true),
        0x30 => (4, Ext::S32, Alu::Cmp, true),
        0x31 => (4, Ext::Z32, Alu::CmpLogical, true),
        0x51 => (4, Ext::Full, Alu::Mul, false),
        0x54 => (4, Ext::Full, Alu::And, false),
        0x55 => (4, Ext::Full, Alu::CmpLogical, false),
        0x56 => (4, Ext::Full, Alu::Or, false),
        0x57 => (4, Ext::Full, Alu::Xor, false),
        0x58 => (4, Ext::Full, Alu::Load, false),
        0x59 => (4, Ext::Full, Alu::Cmp, false),
        0x5A => (4, Ext::Full, Alu::Add, false),
        0x5B => (4, Ext::Full, Alu::Sub, false),
        0x5E => (4, Ext::Full, Alu::AddLogical, false),
        0x5F => (4, Ext::Full, Alu::SubLogical, false),
        0x76 => (1, Ext::S8, Alu::Load, false),
        0x77 => (1, Ext::S8, Alu::Load, true),
        0x78 => (2, Ext::S16, Alu::Load, false),
        0x79 => (2, Ext::S16, Alu::Cmp, false),
        0x7A => (2, Ext::S16, Alu::Add, false),
        0x7B => (2, Ext::S16, Alu::Sub, false),
        0x80 => (8, Ext::Full, Alu::And, true),
        0x81 => (8, Ext::Full, Alu::Or, true),
        0x82 => (8, Ext::Full, Alu::Xor, true),
        0x90 => (1, Ext::Z8, Alu::Load, true),
        0x91 => (2, Ext::Z16, Alu::Load, true),
        0x94 => (1, Ext::Z8, Alu::Load, false),
        0x95 => (2, Ext::Z16, Alu::Load, false),
        0x88 => (8, Ext::Full, Alu::AddCarry, true),
        0x89 => (8, Ext::Full, Alu::SubBorrow, true),
        0x98 => (4, Ext::Full, Alu::AddCarry, false),
        0x99 => (4, Ext::Full, Alu::SubBorrow, false),
        _ => return None,
    })
}

/// The C2x RIL instructions: (width, extension of the immediate, operation).
fn c2_kind(sub: usize) -> Option<(bool, Ext, Alu)> {
    Some(match sub {
        0x0 => (true, Ext::S32, Alu::Mul),
        0x1 => (false, Ext::Full, Alu::Mul),
        0x4 => (true, Ext::Z32, Alu::SubLogical),
        0x5 => (false, Ext::Full, Alu::SubLogical),
        0x8 => (true, Ext::S32, Alu::Add),
        0x9 => (false, Ext::Full, Alu::Add),
        0xA => (true, Ext::Z32, Alu::AddLogical),
        0xB => (false, Ext::Full, Alu::AddLogical),
        0xC => (true, Ext::S32, Alu::Cmp),
        0xD => (false, Ext::Full, Alu::Cmp),
        0xE => (true, Ext::Z32, Alu::CmpLogical),
        0xF => (false, Ext::Full, Alu::CmpLogical),
        _ => return None,
    })
}

/// EX and EXRL: the instruction at `target`, with bits 8–15 ORed with
/// bits 56–63 of R1 (unless R1 is 0), executed in place of the EX; the PSW
/// then continues after the EX unless the target branched. A target that is
/// EX or EXRL is an execute exception, an odd target a specification
/// exception; program conditions of the target carry the EX's length.
/// (A branch-and-link target links the address after itself, not after
/// the EX: not modelled.)
fn execute_target(cpu: &mut Cpu, bus: &mut impl Bus, ex: &Insn, target: u64) -> Outcome {
    let pgm = |code| {
        Outcome::StopPast(Stop::Program {
            code,
            ilen: ex.ilen,
        })
    };
    if target & 1 != 0 {
        return pgm(PGM_SPECIFICATION);
    }
    let mut text = [0u8; 6];
    if let Err(e) = read_split(bus, ex.amask, target, &mut text[..2]) {
        return Outcome::StopAt(Stop::Fault(e));
    }
    let ilen = instruction_length(text[0]);
    let len = usize::from(ilen);
    if let Err(e) = read_split(bus, ex.amask, target.wrapping_add(2), &mut text[2..len]) {
        return Outcome::StopAt(Stop::Fault(e));
    }
    if text[0] == 0x44 || (text[0] == 0xC6 && text[1] & 0xF == 0) {
        return pgm(PGM_EXECUTE);
    }
    let r1 = ex.r1();
    if r1 != 0 {
        text[1] |= low8(cpu.gprs[r1]);
    }
    let insn = Insn {
        text,
        ilen,
        ia: target,
        amask: ex.amask,
    };
    match execute(cpu, bus, &insn) {
        Outcome::StopPast(Stop::Program { code, .. }) => pgm(code),
        other => other,
    }
}

/// The SI operations of byte `op` (91 TM, 92 MVI, 94 NI, 95 CLI, 96 OI,
/// 97 XI) with I2 (bits 8–15) on the byte at `a`; the SIY forms use it.
fn storage_immediate_byte(
    cpu: &mut Cpu,
    bus: &mut impl Bus,
    insn: &Insn,
    a: u64,
    op: u8,
) -> Outcome {
    let i = insn.text[1];
    let amask = insn.amask;
    if op == 0x92 {
        return match write_split(bus, amask, a, &[i]) {
            Ok(()) => Outcome::Next,
            Err(e) => Outcome::StopAt(Stop::Fault(e)),
        };
    }
    let v = match read_operand(bus, amask, a, 1) {
        Ok(v) => low8(v),
        Err(e) => return Outcome::StopAt(Stop::Fault(e)),
    };
    let r = match op {
        0x91 => {
            let sel = v & i;
            cpu.set_cc(if sel == 0 {
                0
            } else if sel == i {
                3
            } else {
                1
            });
            return Outcome::Next;
        }
        0x95 => {
            cpu.set_cc(cmp_cc(v.cmp(&i)));
            return Outcome::Next;
        }
        0x94 => v & i,
        0x96 => v | i,
        _ => v ^ i,
    };
    match write_split(bus, amask, a, &[r]) {
        Ok(()) => {
            cpu.set_cc(u8::from(r != 0));
            Outcome::Next
        }
        Err(e) => Outcome::StopAt(Stop::Fault(e)),
    }
}

/// SRST R1,R2: search from the address in R2 up to (not including) the
/// one in R1 for the byte in bits 56–63 of R0 (bits 32–55 must be zero: a
/// specification exception otherwise). Found: R1 = its address, CC 1. The
/// end reached: CC 2, nothing changes. After 256 bytes (a CPU-determined
/// amount) without either: R2 = the next byte, CC 3.
fn search_string(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn, r1: usize, r2: usize) -> Outcome {
    let amask = insn.amask;
    let r0 = low32(cpu.gprs[0]);
    if r0 & 0xFFFF_FF00 != 0 {
        return Outcome::StopPast(Stop::Program {
            code: PGM_SPECIFICATION,
            ilen: insn.ilen,
        });
    }
    let c = low8(u64::from(r0));
    let end = cpu.gprs[r1] & amask;
    let mut a = cpu.gprs[r2] & amask;
    for _ in 0..256 {
        if a == end {
            cpu.set_cc(2);
            return Outcome::Next;
        }
        match read_operand(bus, amask, a, 1) {
            Ok(v) if low8(v) == c => {
                load_address(cpu, r1, a, amask);
                cpu.set_cc(1);
                return Outcome::Next;
            }
            Ok(_) => a = a.wrapping_add(1) & amask,
            Err(e) => return Outcome::StopAt(Stop::Fault(e)),
        }
    }
    load_address(cpu, r2, a, amask);
    cpu.set_cc(3);
    Outcome::Next
}

/// LOAD AND ADD/ADD LOGICAL/AND/OR/EXCLUSIVE OR (interlocked): the
/// aligned storage operand into R1, and it combined with R3 back to
/// storage; CC as the operation sets it (an add may overflow).
fn load_and_op(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn, addr: u64) -> Outcome {
    let t = insn.text;
    let wide = t[5] & 0x10 == 0;
    let len: usize = if wide { 8 } else { 4 };
    let a = addr & insn.amask;
    if a & widen(len).wrapping_sub(1) != 0 {
        return Outcome::StopPast(Stop::Program {
            code: PGM_SPECIFICATION,
            ilen: insn.ilen,
        });
    }
    let old = match read_operand(bus, insn.amask, a, len) {
        Ok(v) => v,
        Err(e) => return Outcome::StopAt(Stop::Fault(e)),
    };
    let op = match t[5] & 0xF {
        0x4 => Alu::And,
        0x6 => Alu::Or,
        0x7 => Alu::Xor,
        0x8 => Alu::Add,
        _ => Alu::AddLogical,
    };
    let mut quiet = *cpu;
    quiet.gprs[0] = old;
    quiet.psw_mask &= !PSW_FIXED_OVERFLOW_MASK;
    let _ = alu(&mut quiet, 0, cpu.gprs[insn.r2()], op, wide, insn.ilen);
    let v = quiet.gprs[0].to_be_bytes();
    if let Err(e) = write_split(bus, insn.amask, a, &v[8usize.wrapping_sub(len)..]) {
        return Outcome::StopAt(Stop::Fault(e));
    }
    let r1 = insn.r1();
    if wide {
        cpu.gprs[r1] = old;
    } else {
        set_low32(&mut cpu.gprs[r1], low32(old));
    }
    cpu.set_cc(quiet.cc());
    if op == Alu::Add && quiet.cc() == 3 && cpu.psw_mask & PSW_FIXED_OVERFLOW_MASK != 0 {
        return Outcome::StopPast(Stop::Program {
            code: PGM_FIXED_POINT_OVERFLOW,
            ilen: insn.ilen,
        });
    }
    Outcome::Next
}

/// The RIL-b relative-long storage instructions: LRL LGRL LGFRL LLGFRL
/// LHRL LGHRL LLHRL LLGHRL, STRL STGRL STHRL (C4x), CRL CGRL CGFRL CHRL
/// CGHRL, CLRL CLGRL CLGFRL CLHRL CLGHRL and PFDRL (C6x). The operand
/// must be aligned on its size (a specification exception otherwise).
fn relative_long(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn) -> Option<Outcome> {
    let a = insn.relative(i64::from(insn.i32()));
    let sub = insn.r2();
    // (length, extension, operation, width); Alu::Load with wide = None
    // marks a store.
    let (len, e, op, wide): (usize, Ext, Alu, Option<bool>) = match (insn.text[0], sub) {
        (0xC4, 0x2) => (2, Ext::Z16, Alu::Load, Some(false)),
        (0xC4, 0x4) => (2, Ext::S16, Alu::Load, Some(true)),
        (0xC4, 0x5) => (2, Ext::S16, Alu::Load, Some(false)),
        (0xC4, 0x6) => (2, Ext::Z16, Alu::Load, Some(true)),
        (0xC4, 0x7) => (2, Ext::Full, Alu::Load, None),
        (0xC4, 0x8) => (8, Ext::Full, Alu::Load, Some(true)),
        (0xC4, 0xB) => (8, Ext::Full, Alu::Load, None),
        (0xC4, 0xC) => (4, Ext::S32, Alu::Load, Some(true)),
        (0xC4, 0xD) => (4, Ext::Full, Alu::Load, Some(false)),
        (0xC4, 0xE) => (4, Ext::Z32, Alu::Load, Some(true)),
        (0xC4, 0xF) => (4, Ext::Full, Alu::Load, None),
        (0xC6, 0x2) => return Some(Outcome::Next),
        (0xC6, 0x4) => (2, Ext::S16, Alu::Cmp, Some(true)),
        (0xC6, 0x5) => (2, Ext::S16, Alu::Cmp, Some(false)),
        (0xC6, 0x6) => (2, Ext::Z16, Alu::CmpLogical, Some(true)),
        (0xC6, 0x7) => (2, Ext::Z16, Alu::CmpLogical, Some(false)),
        (0xC6, 0x8) => (8, Ext::Full, Alu::Cmp, Some(true)),
        (0xC6, 0xA) => (8, Ext::Full, Alu::CmpLogical, Some(true)),
        (0xC6, 0xC) => (4, Ext::S32, Alu::Cmp, Some(true)),
        (0xC6, 0xD) => (4, Ext::Full, Alu::Cmp, Some(false)),
        (0xC6, 0xE) => (4, Ext::Z32, Alu::CmpLogical, Some(true)),
        (0xC6, 0xF) => (4, Ext::Full, Alu::CmpLogical, Some(false)),
        _ => return None,
    };
    if a & widen(len).wrapping_sub(1) != 0 {
        return Some(Outcome::StopPast(Stop::Program {
            code: PGM_SPECIFICATION,
            ilen: insn.ilen,
        }));
    }
    Some(match wide {
        None => store_low(cpu, bus, insn, a, len),
        Some(wide) => alu_storage(cpu, bus, insn, a, len, e, op, wide),
    })
}

/// The multiply instructions into an even-odd pair.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mul {
    /// MR, M: bits 32–63 of R1+1 times the 32-bit operand, signed; the
    /// 64-bit product into bits 32–63 of R1 (high) and R1+1 (low).
    Signed32,
    /// MLR, ML: the same, unsigned.
    Logical32,
    /// MLGR, MLG: R1+1 times the operand, unsigned, 128 bits into R1, R1+1.
    Logical64,
}

/// A multiply into the even-odd pair R1, R1+1 (odd R1: specification).
fn multiply(cpu: &mut Cpu, insn: &Insn, r1: usize, op2: u64, kind: Mul) -> Outcome {
    if r1 & 1 != 0 {
        return Outcome::StopPast(Stop::Program {
            code: PGM_SPECIFICATION,
            ilen: insn.ilen,
        });
    }
    let r1b = r1 | 1;
    let m = cpu.gprs[r1b];
    match kind {
        Mul::Signed32 | Mul::Logical32 => {
            let p = if kind == Mul::Signed32 {
                i64::from(low32(m).cast_signed())
                    .wrapping_mul(i64::from(low32(op2).cast_signed()))
                    .cast_unsigned()
            } else {
                u64::from(low32(m)).wrapping_mul(u64::from(low32(op2)))
            };
            set_low32(&mut cpu.gprs[r1], low32(p >> 32));
            set_low32(&mut cpu.gprs[r1b], low32(p));
        }
        Mul::Logical64 => {
            let p = u128::from(m).wrapping_mul(u128::from(op2));
            let [h @ .., _, _, _, _, _, _, _, _] = p.to_be_bytes();
            let [.., l0, l1, l2, l3, l4, l5, l6, l7] = p.to_be_bytes();
            let mut hi = [0u8; 8];
            hi.copy_from_slice(&h[..8]);
            cpu.gprs[r1] = u64::from_be_bytes(hi);
            cpu.gprs[r1b] = u64::from_be_bytes([l0, l1, l2, l3, l4, l5, l6, l7]);
        }
    }
    Outcome::Next
}

/// FLOGR: R1 = the number of leading zeros of R2 (64 for zero), R1+1 = R2
/// with that bit cleared; CC 0 when R2 was zero, 2 otherwise.
fn find_leftmost_one(cpu: &mut Cpu, insn: &Insn, r1: usize, v: u64) -> Outcome {
    if r1 & 1 != 0 {
        return Outcome::StopPast(Stop::Program {
            code: PGM_SPECIFICATION,
            ilen: insn.ilen,
        });
    }
    let n = v.leading_zeros();
    cpu.gprs[r1] = u64::from(n);
    cpu.gprs[r1 | 1] = v & !(1u64 << 63).checked_shr(n).unwrap_or(0);
    cpu.set_cc(if v == 0 { 0 } else { 2 });
    Outcome::Next
}

/// The registers R1 to R3 (wrapping after 15).
fn register_range(insn: &Insn) -> impl Iterator<Item = usize> {
    let (r1, r3) = (insn.r1(), insn.r2());
    let n = r3.wrapping_sub(r1) & 15;
    (0..=n).map(move |i| r1.wrapping_add(i) & 15)
}

/// STM, STMY, STMG (`load` false) and LM, LMY, LMG: R1 to R3 as `size`-byte
/// words (4: bits 32–63) at `addr`, all or nothing.
fn multiple(
    cpu: &mut Cpu,
    bus: &mut impl Bus,
    insn: &Insn,
    addr: u64,
    size: usize,
    load: bool,
) -> Outcome {
    let mut buf = [0u8; 128];
    let regs: Vec<usize> = register_range(insn).collect();
    let len = regs.len().wrapping_mul(size);
    let buf = &mut buf[..len];
    if load {
        if let Err(e) = read_split(bus, insn.amask, addr, buf) {
            return Outcome::StopAt(Stop::Fault(e));
        }
        for (r, chunk) in regs.iter().zip(buf.chunks(size)) {
            let mut w = [0u8; 8];
            w[8usize.wrapping_sub(size)..].copy_from_slice(chunk);
            let v = u64::from_be_bytes(w);
            if size == 8 {
                cpu.gprs[*r] = v;
            } else {
                set_low32(&mut cpu.gprs[*r], low32(v));
            }
        }
        return Outcome::Next;
    }
    for (r, chunk) in regs.iter().zip(buf.chunks_mut(size)) {
        chunk.copy_from_slice(&cpu.gprs[*r].to_be_bytes()[8usize.wrapping_sub(size)..]);
    }
    match write_split(bus, insn.amask, addr, buf) {
        Ok(()) => Outcome::Next,
        Err(e) => Outcome::StopAt(Stop::Fault(e)),
    }
}

/// ICM, ICMY, ICMH (`insert`) and STCM, STCMY, STCMH: the bytes of the
/// 32-bit word at bit `shift` of R1 selected by M3, to or from consecutive
/// bytes at `addr`. ICM's CC: 0 all inserted bits zero (or mask zero), 1
/// the first inserted bit one, 2 otherwise.
fn under_mask(
    cpu: &mut Cpu,
    bus: &mut impl Bus,
    insn: &Insn,
    addr: u64,
    shift: u32,
    insert: bool,
) -> Outcome {
    let m = insn.r2();
    let r1 = insn.r1();
    let word = low32(cpu.gprs[r1].wrapping_shr(shift)).to_be_bytes();
    let selected: Vec<usize> = (0..4).filter(|i| m & (8 >> i) != 0).collect();
    let mut buf = [0u8; 4];
    let buf = &mut buf[..selected.len()];
    if buf.is_empty() {
        if insert {
            cpu.set_cc(0);
        }
        return Outcome::Next;
    }
    if !insert {
        for (b, &i) in buf.iter_mut().zip(&selected) {
            *b = word[i];
        }
        return match write_split(bus, insn.amask, addr, buf) {
            Ok(()) => Outcome::Next,
            Err(e) => Outcome::StopAt(Stop::Fault(e)),
        };
    }
    if let Err(e) = read_split(bus, insn.amask, addr, buf) {
        return Outcome::StopAt(Stop::Fault(e));
    }
    let mut w = word;
    for (b, &i) in buf.iter().zip(&selected) {
        w[i] = *b;
    }
    let place = 0xFFFF_FFFFu64.wrapping_shl(shift);
    let r = &mut cpu.gprs[r1];
    *r = (*r & !place) | u64::from(u32::from_be_bytes(w)).wrapping_shl(shift);
    cpu.set_cc(if buf.iter().all(|&b| b == 0) {
        0
    } else if buf[0] & 0x80 != 0 {
        1
    } else {
        2
    });
    Outcome::Next
}

/// CS, CSY (`wide` false: bits 32–63) and CSG: compare R1 with the
/// aligned storage word; equal: store R3 there, CC 0; not: load it into
/// R1, CC 1. An unaligned operand is a specification exception.
fn compare_and_swap(
    cpu: &mut Cpu,
    bus: &mut impl Bus,
    insn: &Insn,
    addr: u64,
    wide: bool,
) -> Outcome {
    let len: usize = if wide { 8 } else { 4 };
    let a = addr & insn.amask;
    if a & (widen(len).wrapping_sub(1)) != 0 {
        return Outcome::StopPast(Stop::Program {
            code: PGM_SPECIFICATION,
            ilen: insn.ilen,
        });
    }
    let cur = match read_operand(bus, insn.amask, a, len) {
        Ok(v) => v,
        Err(e) => return Outcome::StopAt(Stop::Fault(e)),
    };
    let (r1, r3) = (insn.r1(), insn.r2());
    let mine = if wide {
        cpu.gprs[r1]
    } else {
        u64::from(low32(cpu.gprs[r1]))
    };
    if mine == cur {
        let v = cpu.gprs[r3].to_be_bytes();
        if let Err(e) = write_split(bus, insn.amask, a, &v[8usize.wrapping_sub(len)..]) {
            return Outcome::StopAt(Stop::Fault(e));
        }
        cpu.set_cc(0);
    } else {
        if wide {
            cpu.gprs[r1] = cur;
        } else {
            set_low32(&mut cpu.gprs[r1], low32(cur));
        }
        cpu.set_cc(1);
    }
    Outcome::Next
}

/// ASI, AGSI (signed, CC and overflow as AHI) and ALSI, ALGSI (logical):
/// the signed 8-bit I2 added to the storage word or doubleword at `addr`.
fn add_immediate_storage(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn, addr: u64) -> Outcome {
    let t = insn.text;
    let wide = t[5] & 0x10 != 0;
    let logical = t[5] & 0x04 != 0;
    let len: usize = if wide { 8 } else { 4 };
    let cur = match read_operand(bus, insn.amask, addr, len) {
        Ok(v) => v,
        Err(e) => return Outcome::StopAt(Stop::Fault(e)),
    };
    let i = extend(u64::from(t[1]), Ext::S8);
    // Compute in a copy of the CPU (its r0 standing for the storage
    // operand) with overflow interruptions off; they are reported after
    // the store.
    let mut quiet = *cpu;
    quiet.gprs[0] = cur;
    quiet.psw_mask &= !PSW_FIXED_OVERFLOW_MASK;
    let op = if logical { Alu::AddLogical } else { Alu::Add };
    let _ = alu(&mut quiet, 0, i, op, wide, insn.ilen);
    let v = quiet.gprs[0].to_be_bytes();
    if let Err(e) = write_split(bus, insn.amask, addr, &v[8usize.wrapping_sub(len)..]) {
        return Outcome::StopAt(Stop::Fault(e));
    }
    let overflow = quiet.cc() == 3 && !logical;
    cpu.set_cc(quiet.cc());
    if overflow && cpu.psw_mask & PSW_FIXED_OVERFLOW_MASK != 0 {
        return Outcome::StopPast(Stop::Program {
            code: PGM_FIXED_POINT_OVERFLOW,
            ilen: insn.ilen,
        });
    }
    Outcome::Next
}

/// The SIL instructions (E5xx): MVHHI, MVHI, MVGHI store the signed 16-bit
/// I2 as 2, 4 or 8 bytes; CHHSI, CHSI, CGHSI compare the storage operand
/// with it signed, CLHHSI, CLFHSI, CLGHSI unsigned (I2 zero-extended).
fn storage_immediate(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn) -> Option<Outcome> {
    let t = insn.text;
    let (b, d) = insn.base_disp12();
    let a = raw_address(cpu, 0, b, d);
    let raw = u64::from(u16::from_be_bytes([t[4], t[5]]));
    let i = extend(raw, Ext::S16);
    let (len, kind): (usize, u8) = match t[1] {
        0x44 => (2, 0),
        0x4C => (4, 0),
        0x48 => (8, 0),
        0x54 => (2, 1),
        0x5C => (4, 1),
        0x58 => (8, 1),
        0x55 => (2, 2),
        0x5D => (4, 2),
        0x59 => (8, 2),
        _ => return None,
    };
    Some(if kind == 0 {
        let v = i.to_be_bytes();
        match write_split(bus, insn.amask, a, &v[8usize.wrapping_sub(len)..]) {
            Ok(()) => Outcome::Next,
            Err(e) => Outcome::StopAt(Stop::Fault(e)),
        }
    } else {
        match read_operand(bus, insn.amask, a, len) {
            Ok(v) => {
                let ext = [Ext::S16, Ext::S32, Ext::Full];
                let which = usize::from(low8(widen(len).trailing_zeros().into())).wrapping_sub(1);
                let o = if kind == 1 {
                    extend(v, ext[which]).cast_signed().cmp(&i.cast_signed())
                } else {
                    v.cmp(&raw)
                };
                cpu.set_cc(cmp_cc(o));
                Outcome::Next
            }
            Err(e) => Outcome::StopAt(Stop::Fault(e)),
        }
    })
}

/// The divide instructions' operand widths.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Div {
    /// DR, D: bits 32–63 of R1 and R1+1 as a signed 64-bit dividend, a
    /// 32-bit divisor; remainder and quotient into bits 32–63.
    Signed32,
    /// DLR, DL: the same, unsigned.
    Logical32,
    /// DSGR, DSG, DSGFR, DSGF: R1+1 is the dividend, R1 gets the
    /// remainder, R1+1 the quotient.
    Signed64,
    /// DLGR, DLG: R1 and R1+1 as an unsigned 128-bit dividend.
    Logical64,
}

/// A divide into the even-odd pair R1, R1+1 (an odd R1 is a
/// specification exception; a zero divisor or a quotient that does not fit
/// is a fixed-point-divide exception; both suppress the instruction).
fn divide(cpu: &mut Cpu, insn: &Insn, r1: usize, divisor: u64, kind: Div) -> Outcome {
    let pgm = |code| {
        Outcome::StopPast(Stop::Program {
            code,
            ilen: insn.ilen,
        })
    };
    if r1 & 1 != 0 {
        return pgm(PGM_SPECIFICATION);
    }
    let r1b = r1 | 1;
    let (hi, lo) = (cpu.gprs[r1], cpu.gprs[r1b]);
    let pair32 = (u64::from(low32(hi)) << 32) | u64::from(low32(lo));
    match kind {
        Div::Signed32 => {
            let n = pair32.cast_signed();
            let d = i64::from(low32(divisor).cast_signed());
            let q = n.checked_div(d).and_then(|q| i32::try_from(q).ok());
            let r = n.checked_rem(d).and_then(|r| i32::try_from(r).ok());
            let (Some(q), Some(r)) = (q, r) else {
                return pgm(PGM_FIXED_POINT_DIVIDE);
            };
            set_low32(&mut cpu.gprs[r1], r.cast_unsigned());
            set_low32(&mut cpu.gprs[r1b], q.cast_unsigned());
        }
        Div::Logical32 => {
            let d = u64::from(low32(divisor));
            let q = pair32.checked_div(d).and_then(|q| u32::try_from(q).ok());
            let r = pair32.checked_rem(d).and_then(|r| u32::try_from(r).ok());
            let (Some(q), Some(r)) = (q, r) else {
                return pgm(PGM_FIXED_POINT_DIVIDE);
            };
            set_low32(&mut cpu.gprs[r1], r);
            set_low32(&mut cpu.gprs[r1b], q);
        }
        Div::Signed64 => {
            let (n, d) = (lo.cast_signed(), divisor.cast_signed());
            let (Some(q), Some(r)) = (n.checked_div(d), n.checked_rem(d)) else {
                return pgm(PGM_FIXED_POINT_DIVIDE);
            };
            cpu.gprs[r1] = r.cast_unsigned();
            cpu.gprs[r1b] = q.cast_unsigned();
        }
        Div::Logical64 => {
            let n = (u128::from(hi) << 64) | u128::from(lo);
            let d = u128::from(divisor);
            let q = n.checked_div(d).and_then(|q| u64::try_from(q).ok());
            let r = n.checked_rem(d).and_then(|r| u64::try_from(r).ok());
            let (Some(q), Some(r)) = (q, r) else {
                return pgm(PGM_FIXED_POINT_DIVIDE);
            };
            cpu.gprs[r1] = r;
            cpu.gprs[r1b] = q;
        }
    }
    Outcome::Next
}

/// The distinct-operands form of an ALU instruction: R1 = R2 op `op3`
/// (R2 and `op3` read before R1 is written).
fn three_operand(
    cpu: &mut Cpu,
    r1: usize,
    r2: usize,
    op3: u64,
    op: Alu,
    wide: bool,
    ilen: u8,
) -> Outcome {
    let v2 = cpu.gprs[r2];
    if wide {
        cpu.gprs[r1] = v2;
    } else {
        set_low32(&mut cpu.gprs[r1], low32(v2));
    }
    alu(cpu, r1, op3, op, wide, ilen)
}

/// The RSY address D2(B2) (no index).
fn rxy_addr_nox(cpu: &Cpu, insn: &Insn) -> u64 {
    let (b, d) = insn.base_disp20();
    raw_address(cpu, 0, b, d)
}

/// ROTATE THEN {AND, INSERT, OR, EXCLUSIVE OR} SELECTED BITS: R2 rotated
/// left by I5, bits I3–I4 (numbered from the left, wrapping) selected.
/// RISBG(N) inserts them (zeroing the rest if I4 bit 0 says so; RISBG
/// sets the CC by the signed result), the others combine them with R1 and
/// set CC 0 when the selected result bits are zero, 1 if not (I3 bit 0:
/// test only, R1 unchanged).
fn rotate_then_bits(cpu: &mut Cpu, insn: &Insn) -> Outcome {
    let t = insn.text;
    let (r1, r2) = (insn.r1(), insn.r2());
    let start = u32::from(t[2] & 63);
    let end = u32::from(t[3] & 63);
    let rot = cpu.gprs[r2].rotate_left(u32::from(t[4] & 63));
    let from = u64::MAX >> start;
    let to = !u64::MAX.checked_shr(end.wrapping_add(1)).unwrap_or(0);
    let mask = if start <= end { from & to } else { from | to };
    let old = cpu.gprs[r1];
    match t[5] {
        0x55 | 0x59 => {
            let rest = if t[3] & 0x80 != 0 { 0 } else { old & !mask };
            let v = rest | (rot & mask);
            cpu.gprs[r1] = v;
            if t[5] == 0x55 {
                cpu.set_cc(add_cc(v.cast_signed(), false));
            }
        }
        op => {
            let sel = match op {
                0x54 => old & rot,
                0x56 => old | rot,
                _ => old ^ rot,
            } & mask;
            cpu.set_cc(u8::from(sel != 0));
            if t[2] & 0x80 == 0 {
                cpu.gprs[r1] = (old & !mask) | sel;
            }
        }
    }
    Outcome::Next
}

/// The instructions added with the oracle; `None` for any other opcode
/// (the original decoder in `execute` then handles it).
fn execute_more(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn) -> Option<Outcome> {
    let t = insn.text;
    let amask = insn.amask;
    let ilen = insn.ilen;
    let r1 = insn.r1();
    let next = insn.ia.wrapping_add(u64::from(ilen)) & amask;
    let rel16 = || insn.relative(i64::from(insn.i16()));
    let rx_addr = |cpu: &Cpu| {
        let (b, d) = insn.base_disp12();
        raw_address(cpu, insn.r2(), b, d)
    };
    let rxy_addr = |cpu: &Cpu| {
        let (b, d) = insn.base_disp20();
        raw_address(cpu, insn.r2(), b, d)
    };
    let imm16 = u64::from(u16::from_be_bytes([t[2], t[3]]));
    let imm32 = u64::from(insn.i32().cast_unsigned());
    Some(match t[0] {
        // BASR R1,R2: R2 is read before R1 is written.
        0x0D => {
            let target = cpu.gprs[insn.r2()] & amask;
            link(cpu, r1, next, amask);
            if insn.r2() != 0 {
                Outcome::Jump(target)
            } else {
                Outcome::Next
            }
        }
        0x10..=0x17 | 0x19..=0x1B | 0x1E | 0x1F => {
            let (wide, e, op) = rr_kind(t[0])?;
            let v = extend(cpu.gprs[insn.r2()], e);
            alu(cpu, r1, v, op, wide, ilen)
        }
        // STH, STC
        0x40 => store_low(cpu, bus, insn, rx_addr(cpu), 2),
        0x42 => store_low(cpu, bus, insn, rx_addr(cpu), 1),
        // IC
        0x43 => insert_char(cpu, bus, insn, rx_addr(cpu)),
        0x48..=0x4C | 0x54..=0x57 | 0x59..=0x5B | 0x5E | 0x5F | 0x71 => {
            let (len, e, op) = rx_kind(t[0])?;
            alu_storage(cpu, bus, insn, rx_addr(cpu), len, e, op, false)
        }
        // EX R1,D2(X2,B2)
        0x44 => {
            let target = rx_addr(cpu) & amask;
            execute_target(cpu, bus, insn, target)
        }
        // BAS R1,D2(X2,B2)
        0x4D => {
            let target = rx_addr(cpu) & amask;
            link(cpu, r1, next, amask);
            Outcome::Jump(target)
        }
        // MR, M
        0x1C => multiply(cpu, insn, r1, cpu.gprs[insn.r2()], Mul::Signed32),
        0x5C => match read_operand(bus, amask, rx_addr(cpu), 4) {
            Ok(v) => multiply(cpu, insn, r1, v, Mul::Signed32),
            Err(e) => Outcome::StopAt(Stop::Fault(e)),
        },
        // STM, LM R1,R3,D2(B2)
        0x90 | 0x98 => {
            let (b, d) = insn.base_disp12();
            let a = raw_address(cpu, 0, b, d);
            multiple(cpu, bus, insn, a, 4, t[0] == 0x98)
        }
        // STCM, ICM R1,M3,D2(B2)
        0xBE | 0xBF => {
            let (b, d) = insn.base_disp12();
            let a = raw_address(cpu, 0, b, d);
            under_mask(cpu, bus, insn, a, 0, t[0] == 0xBF)
        }
        // CS R1,R3,D2(B2)
        0xBA => {
            let (b, d) = insn.base_disp12();
            let a = raw_address(cpu, 0, b, d);
            compare_and_swap(cpu, bus, insn, a, false)
        }
        // The SIL storage-immediate moves and compares (E5xx).
        0xE5 => storage_immediate(cpu, bus, insn)?,
        // DR, D
        0x1D => divide(cpu, insn, r1, cpu.gprs[insn.r2()], Div::Signed32),
        0x5D => match read_operand(bus, amask, rx_addr(cpu), 4) {
            Ok(v) => divide(cpu, insn, r1, v, Div::Signed32),
            Err(e) => Outcome::StopAt(Stop::Fault(e)),
        },
        // SRL, SLL, SRA, SLA R1,D2(B2)
        0x88..=0x8B => {
            let (b, d) = insn.base_disp12();
            let n = shift_amount(cpu, b, d);
            let s = [
                Shift::RightLogical,
                Shift::LeftLogical,
                Shift::RightArith,
                Shift::LeftArith,
            ][usize::from(t[0] & 3)];
            shift32(cpu, r1, low32(cpu.gprs[r1]), n, s, ilen)
        }
        // SRDL, SLDL, SRDA, SLDA R1,D2(B2): the even-odd pair as 64 bits.
        0x8C..=0x8F => {
            if r1 & 1 != 0 {
                return Some(Outcome::StopPast(Stop::Program {
                    code: PGM_SPECIFICATION,
                    ilen,
                }));
            }
            let (b, d) = insn.base_disp12();
            let n = shift_amount(cpu, b, d);
            let pair = (u64::from(low32(cpu.gprs[r1])) << 32) | u64::from(low32(cpu.gprs[r1 | 1]));
            let s = [
                Shift::RightLogical,
                Shift::LeftLogical,
                Shift::RightArith,
                Shift::LeftArith,
            ][usize::from(t[0] & 3)];
            // Shift in a copy's R1, then split the result over the pair.
            let mut tmp = *cpu;
            let out = shift64(&mut tmp, r1, pair, n, s, ilen);
            let v = tmp.gprs[r1];
            set_low32(&mut cpu.gprs[r1], low32(v >> 32));
            set_low32(&mut cpu.gprs[r1 | 1], low32(v));
            cpu.psw_mask = tmp.psw_mask;
            out
        }
        // MVIY, TMY, NIY, CLIY, OIY, XIY: the SIY forms of MVI, TM, NI,
        // CLI, OI, XI (20-bit displacement).
        0xEB if matches!(t[5], 0x51 | 0x52 | 0x54..=0x57) => {
            let (b, d) = insn.base_disp20();
            let a = raw_address(cpu, 0, b, d);
            let op = match t[5] {
                0x51 => 0x91,
                0x52 => 0x92,
                0x54 => 0x94,
                0x55 => 0x95,
                0x56 => 0x96,
                _ => 0x97,
            };
            storage_immediate_byte(cpu, bus, insn, a, op)
        }
        // TM, NI, OI, XI D1(B1),I2
        0x91 | 0x94 | 0x96 | 0x97 => {
            let (b, d) = insn.base_disp12();
            let a = raw_address(cpu, 0, b, d);
            let v = match read_operand(bus, amask, a, 1) {
                Ok(v) => low8(v),
                Err(e) => return Some(Outcome::StopAt(Stop::Fault(e))),
            };
            let r = match t[0] {
                // TM: mixed is always CC 1 (only TMxx tells 1 from 2).
                0x91 => {
                    let sel = v & t[1];
                    cpu.set_cc(if sel == 0 {
                        0
                    } else if sel == t[1] {
                        3
                    } else {
                        1
                    });
                    return Some(Outcome::Next);
                }
                0x94 => v & t[1],
                0x96 => v | t[1],
                _ => v ^ t[1],
            };
            match write_split(bus, amask, a, &[r]) {
                Ok(()) => {
                    cpu.set_cc(u8::from(r != 0));
                    Outcome::Next
                }
                Err(e) => Outcome::StopAt(Stop::Fault(e)),
            }
        }
        0xA5 => {
            let sub = insn.r2();
            let shift = 48u32.wrapping_sub(16u32.wrapping_mul(u32::from(low8(widen(sub & 3)))));
            let op = [
                FieldOp::Insert,
                FieldOp::And,
                FieldOp::Or,
                FieldOp::LoadLogical,
            ][sub >> 2];
            field_op(cpu, r1, shift, 0xFFFF, imm16, op)
        }
        0xA7 => match insn.r2() {
            // TMLH, TMLL, TMHH, TMHL
            sub @ 0x0..=0x3 => {
                let shift = [16u32, 0, 48, 32][sub];
                cpu.set_cc(tm_cc(cpu.gprs[r1].wrapping_shr(shift) & 0xFFFF, imm16));
                Outcome::Next
            }
            // BRAS
            0x5 => {
                link(cpu, r1, next, amask);
                Outcome::Jump(rel16())
            }
            // MHI, MGHI, CHI, CGHI
            0xC => alu(cpu, r1, extend(imm16, Ext::S16), Alu::Mul, false, ilen),
            0xD => alu(cpu, r1, extend(imm16, Ext::S16), Alu::Mul, true, ilen),
            0xE => alu(cpu, r1, extend(imm16, Ext::S16), Alu::Cmp, false, ilen),
            0xF => alu(cpu, r1, extend(imm16, Ext::S16), Alu::Cmp, true, ilen),
            _ => return None,
        },
        // SRST R1,R2
        0xB2 if t[1] == 0x5E => {
            let (r1, r2) = insn.rre();
            search_string(cpu, bus, insn, r1, r2)
        }
        // IPM R1: CC and program mask into bits 34–39, bits 32–33 zero.
        0xB2 if t[1] == 0x22 => {
            let r1 = usize::from(t[3] >> 4);
            let pm = low8(cpu.psw_mask.wrapping_shr(63 - 23) & 0xF);
            let byte = u32::from(cpu.cc() << 4 | pm) << 24;
            let r = &mut cpu.gprs[r1];
            set_low32(r, (low32(*r) & 0x00FF_FFFF) | byte);
            Outcome::Next
        }
        // MSR
        0xB2 if t[1] == 0x52 => {
            let (r1, r2) = insn.rre();
            alu(cpu, r1, cpu.gprs[r2], Alu::Mul, false, ilen)
        }
        // POPCNT R1,R2 (M3 0): the ones of each byte of R2, per byte.
        0xB9 if t[1] == 0xE1 => {
            let (r1, r2) = insn.rre();
            let mut b = cpu.gprs[r2].to_be_bytes();
            for x in &mut b {
                *x = low8(u64::from(x.count_ones()));
            }
            let v = u64::from_be_bytes(b);
            cpu.gprs[r1] = v;
            cpu.set_cc(u8::from(v != 0));
            Outcome::Next
        }
        // MLGR, MLR, FLOGR
        0xB9 if matches!(t[1], 0x83 | 0x86 | 0x96) => {
            let (r1, r2) = insn.rre();
            let v = cpu.gprs[r2];
            match t[1] {
                0x83 => find_leftmost_one(cpu, insn, r1, v),
                0x86 => multiply(cpu, insn, r1, v, Mul::Logical64),
                _ => multiply(cpu, insn, r1, v, Mul::Logical32),
            }
        }
        // DSGR, DSGFR, DLGR, DLR
        0xB9 if matches!(t[1], 0x0D | 0x1D | 0x87 | 0x97) => {
            let (r1, r2) = insn.rre();
            let (v, kind) = match t[1] {
                0x0D => (cpu.gprs[r2], Div::Signed64),
                0x1D => (extend(cpu.gprs[r2], Ext::S32), Div::Signed64),
                0x87 => (cpu.gprs[r2], Div::Logical64),
                _ => (cpu.gprs[r2], Div::Logical32),
            };
            divide(cpu, insn, r1, v, kind)
        }
        // LOCR, LOCGR R1,R2,M3
        0xB9 if matches!(t[1], 0xE2 | 0xF2) => {
            let (r1, r2) = insn.rre();
            if cc_matches(cpu, usize::from(t[2] >> 4)) {
                let v = cpu.gprs[r2];
                alu(cpu, r1, v, Alu::Load, t[1] == 0xE2, ilen)
            } else {
                Outcome::Next
            }
        }
        // The distinct-operands forms: R1 = R2 op R3.
        0xB9 if matches!(t[1], 0xE4 | 0xE6..=0xEB | 0xF4 | 0xF6..=0xFB) => {
            let (r1, r2) = insn.rre();
            let wide = t[1] < 0xF0;
            let op = match t[1] & 0xF {
                0x4 => Alu::And,
                0x6 => Alu::Or,
                0x7 => Alu::Xor,
                0x8 => Alu::Add,
                0x9 => Alu::Sub,
                0xA => Alu::AddLogical,
                _ => Alu::SubLogical,
            };
            three_operand(
                cpu,
                r1,
                r2,
                cpu.gprs[usize::from(t[2] >> 4)],
                op,
                wide,
                ilen,
            )
        }
        // LLGTR: bits 33–63 of R2, zero-extended.
        0xB9 if t[1] == 0x17 => {
            let (r1, r2) = insn.rre();
            cpu.gprs[r1] = cpu.gprs[r2] & 0x7FFF_FFFF;
            Outcome::Next
        }
        0xB9 => {
            let (wide, e, op) = rre_kind(t[1])?;
            let (r1, r2) = insn.rre();
            let v = extend(cpu.gprs[r2], e);
            alu(cpu, r1, v, op, wide, ilen)
        }
        0xC0 => match insn.r2() {
            // LARL
            0x0 => {
                load_address(cpu, r1, insn.relative(i64::from(insn.i32())), amask);
                Outcome::Next
            }
            // BRASL
            0x5 => {
                link(cpu, r1, next, amask);
                Outcome::Jump(insn.relative(i64::from(insn.i32())))
            }
            // XIHF, XILF, IIHF, IILF, NIHF, NILF, OIHF, OILF, LLIHF, LLILF
            sub @ 0x6..=0xF => {
                let shift = if sub & 1 == 0 { 32 } else { 0 };
                let op = [
                    FieldOp::Xor,
                    FieldOp::Insert,
                    FieldOp::And,
                    FieldOp::Or,
                    FieldOp::LoadLogical,
                ][(sub >> 1).wrapping_sub(3)];
                field_op(cpu, r1, shift, 0xFFFF_FFFF, imm32, op)
            }
            _ => return None,
        },
        // EXRL R1,RI2
        0xC6 if insn.r2() == 0 => {
            let target = insn.relative(i64::from(insn.i32()));
            execute_target(cpu, bus, insn, target)
        }
        // The relative-long loads, stores and compares (C4x, C6x).
        0xC4 | 0xC6 => relative_long(cpu, bus, insn)?,
        0xC2 => {
            let (wide, e, op) = c2_kind(insn.r2())?;
            alu(cpu, r1, extend(imm32, e), op, wide, ilen)
        }
        0xD2 | 0xD4..=0xD7 => storage_to_storage(bus, cpu, insn, t[0]),
        0xE3 => match t[5] {
            // STY, STHY, STCY
            0x50 => store_low(cpu, bus, insn, rxy_addr(cpu), 4),
            0x70 => store_low(cpu, bus, insn, rxy_addr(cpu), 2),
            0x72 => store_low(cpu, bus, insn, rxy_addr(cpu), 1),
            // ICY
            0x73 => insert_char(cpu, bus, insn, rxy_addr(cpu)),
            // LLGT: the 31-bit word, zero-extended.
            0x17 => match read_operand(bus, amask, rxy_addr(cpu), 4) {
                Ok(v) => {
                    cpu.gprs[r1] = v & 0x7FFF_FFFF;
                    Outcome::Next
                }
                Err(e) => Outcome::StopAt(Stop::Fault(e)),
            },
            // PFD: a prefetch is a no-op (and never an access exception).
            0x36 => Outcome::Next,
            // MLG, ML
            0x86 | 0x96 => {
                let (len, kind) = if t[5] == 0x86 {
                    (8, Mul::Logical64)
                } else {
                    (4, Mul::Logical32)
                };
                match read_operand(bus, amask, rxy_addr(cpu), len) {
                    Ok(v) => multiply(cpu, insn, r1, v, kind),
                    Err(e) => Outcome::StopAt(Stop::Fault(e)),
                }
            }
            // DSG, DSGF, DLG, DL
            0x0D | 0x1D | 0x87 | 0x97 => {
                let (len, e, kind) = match t[5] {
                    0x0D => (8, Ext::Full, Div::Signed64),
                    0x1D => (4, Ext::S32, Div::Signed64),
                    0x87 => (8, Ext::Full, Div::Logical64),
                    _ => (4, Ext::Full, Div::Logical32),
                };
                match read_operand(bus, amask, rxy_addr(cpu), len) {
                    Ok(v) => divide(cpu, insn, r1, extend(v, e), kind),
                    Err(e) => Outcome::StopAt(Stop::Fault(e)),
                }
            }
            // LAY
            0x71 => {
                let a = rxy_addr(cpu);
                load_address(cpu, r1, a, amask);
                Outcome::Next
            }
            op => {
                let (len, e, op, wide) = rxy_kind(op)?;
                alu_storage(cpu, bus, insn, rxy_addr(cpu), len, e, op, wide)
            }
        },
        // STMG, STMY, LMG, LMY; STCMH, STCMY, ICMH, ICMY; CSY, CSG;
        // ASI, AGSI, ALSI, ALGSI.
        0xEB if matches!(
            t[5],
            0x04 | 0x24
                | 0x90
                | 0x98
                | 0x2C
                | 0x2D
                | 0x80
                | 0x81
                | 0x14
                | 0x30
                | 0x6A
                | 0x7A
                | 0x6E
                | 0x7E
        ) =>
        {
            let a = rxy_addr_nox(cpu, insn);
            match t[5] {
                0x04 => multiple(cpu, bus, insn, a, 8, true),
                0x24 => multiple(cpu, bus, insn, a, 8, false),
                0x98 => multiple(cpu, bus, insn, a, 4, true),
                0x90 => multiple(cpu, bus, insn, a, 4, false),
                0x2C => under_mask(cpu, bus, insn, a, 32, false),
                0x2D => under_mask(cpu, bus, insn, a, 0, false),
                0x80 => under_mask(cpu, bus, insn, a, 32, true),
                0x81 => under_mask(cpu, bus, insn, a, 0, true),
                0x14 => compare_and_swap(cpu, bus, insn, a, false),
                0x30 => compare_and_swap(cpu, bus, insn, a, true),
                _ => add_immediate_storage(cpu, bus, insn, a),
            }
        }
        // LAA, LAAG, LAAL, LAALG, LAN, LANG, LAO, LAOG, LAX, LAXG
        0xEB if matches!(t[5], 0xE4 | 0xE6..=0xE8 | 0xEA | 0xF4 | 0xF6..=0xF8 | 0xFA) => {
            let a = rxy_addr_nox(cpu, insn);
            load_and_op(cpu, bus, insn, a)
        }
        // LOC, LOCG, STOC, STOCG R1,D2(B2),M3: no access unless the
        // condition holds.
        0xEB if matches!(t[5], 0xE2 | 0xE3 | 0xF2 | 0xF3) => {
            if !cc_matches(cpu, insn.r2()) {
                return Some(Outcome::Next);
            }
            let a = rxy_addr_nox(cpu, insn);
            match t[5] {
                0xE2 => alu_storage(cpu, bus, insn, a, 8, Ext::Full, Alu::Load, true),
                0xF2 => alu_storage(cpu, bus, insn, a, 4, Ext::Full, Alu::Load, false),
                0xE3 => store_low(cpu, bus, insn, a, 8),
                _ => store_low(cpu, bus, insn, a, 4),
            }
        }
        0xEB => {
            let s = match t[5] {
                0xDC => Shift::RightArith,
                0xDD => Shift::LeftArith,
                0xDE => Shift::RightLogical,
                0xDF => Shift::LeftLogical,
                0x0A => Shift::RightArith,
                0x0B => Shift::LeftArith,
                0x0C => Shift::RightLogical,
                0x0D => Shift::LeftLogical,
                0x1C | 0x1D => Shift::Rotate,
                _ => return None,
            };
            let (b, d) = insn.base_disp20();
            let n = shift_amount(cpu, b, d);
            let v = cpu.gprs[insn.r2()];
            if matches!(t[5], 0x1D | 0xDC..=0xDF) {
                shift32(cpu, r1, low32(v), n, s, ilen)
            } else {
                shift64(cpu, r1, v, n, s, ilen)
            }
        }
        // Compare and branch relative: CRJ, CGRJ, CLRJ, CLGRJ (R2 in bits
        // 12–15, M3 in bits 32–35), CIJ, CGIJ, CLIJ, CLGIJ (M3 in bits
        // 12–15, I2 in bits 32–39). Mask bits: 8 equal, 4 low, 2 high.
        // AHIK, AGHIK, ALHSIK, ALGHSIK R1,R3,I2 (the logical ones add
        // the sign-extended I2 as an unsigned number: CC by carry).
        0xEC if matches!(t[5], 0xD8..=0xDB) => {
            let i = extend(u64::from(u16::from_be_bytes([t[2], t[3]])), Ext::S16);
            let op = if t[5] & 2 == 0 {
                Alu::Add
            } else {
                Alu::AddLogical
            };
            three_operand(cpu, r1, insn.r2(), i, op, t[5] & 1 != 0, ilen)
        }
        // RNSBG, RISBG, ROSBG, RXSBG, RISBGN
        0xEC if matches!(t[5], 0x54..=0x57 | 0x59) => rotate_then_bits(cpu, insn),
        0xEC => {
            let a = cpu.gprs[r1];
            let b = cpu.gprs[insn.r2()];
            let i = u64::from(t[4]);
            let (m, ord) = match t[5] {
                0x76 => (
                    t[4] >> 4,
                    low32(a).cast_signed().cmp(&low32(b).cast_signed()),
                ),
                0x64 => (t[4] >> 4, a.cast_signed().cmp(&b.cast_signed())),
                0x77 => (t[4] >> 4, low32(a).cmp(&low32(b))),
                0x65 => (t[4] >> 4, a.cmp(&b)),
                0x7E => (
                    t[1] & 0xF,
                    i64::from(low32(a).cast_signed()).cmp(&extend(i, Ext::S8).cast_signed()),
                ),
                0x7C => (
                    t[1] & 0xF,
                    a.cast_signed().cmp(&extend(i, Ext::S8).cast_signed()),
                ),
                0x7F => (t[1] & 0xF, u64::from(low32(a)).cmp(&i)),
                0x7D => (t[1] & 0xF, a.cmp(&i)),
                _ => return None,
            };
            let bit = match ord {
                core::cmp::Ordering::Equal => 8,
                core::cmp::Ordering::Less => 4,
                core::cmp::Ordering::Greater => 2,
            };
            if m & bit != 0 {
                Outcome::Jump(rel16())
            } else {
                Outcome::Next
            }
        }
        _ => return None,
    })
}

mod branch;
pub mod control;
pub mod decoded;
pub mod disasm;
mod float;
mod gcc;
mod highword;
pub mod interrupt;
mod string;
mod trap;

#[cfg(test)]
mod tests;
