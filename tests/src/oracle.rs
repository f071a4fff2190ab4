//! The differential oracle: random instruction sequences run both under
//! QEMU (`tests/oracle/harness.c`, a static s390x program under
//! `qemu-s390x-static`) and in the interpreter (`ucas_emulator::cpu`), and
//! the registers r0–r13, the condition code and a 256-byte scratch area
//! compared afterwards.
//!
//! # Conventions
//!
//! - The code sits at [`CODE_ADDR`] and the scratch area at
//!   [`SCRATCH_ADDR`] on both sides (the harness maps them `MAP_FIXED`), so
//!   absolute values such as LARL results and BRAS links compare as they
//!   are.
//! - The sequence may read r0–r13 and write r0–r11 and r13; r12 points at
//!   the scratch area and is the base of every memory operand; r14 and r15
//!   belong to the harness (return address, stack) and are never named.
//! - Memory operands stay inside the scratch area; relative branches go
//!   forward only and land inside the sequence or just past it, so every
//!   sequence ends.
//! - The program mask is 0 on both sides (the harness sets it with SPM), so
//!   fixed-point overflow sets CC 3 and never interrupts; overflowing
//!   operands are generated freely.
//! - The interpreter runs the copy in the supervisor state with a
//!   DIAGNOSE after the sequence, where QEMU's copy has `br %r14`: the
//!   sequence ends when `run` stops at that intercept.
//! - A few units carry their own setup, so that what QEMU would turn into
//!   a signal cannot happen: register branches load their target with
//!   LARL; divides load checked operands (divisor non-zero, quotient in
//!   range); SRST loads R0 and an address range inside the scratch area;
//!   EX and EXRL load R1 and jump over an out-of-line target.
//! - Not generated: the R*SBG test-only flag (QEMU 7.2's TCG dies on it),
//!   mask 0 for ICM/STCM, and anything privileged.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use ucas_emulator::cpu::{self, Cpu, FlatMemory, Stop};

/// Where the code runs, on both sides.
pub const CODE_ADDR: u64 = 0x0000_0012_3400_0000;
/// Where the scratch area is, on both sides.
pub const SCRATCH_ADDR: u64 = CODE_ADDR + 0x1000;
/// Bytes of scratch memory.
pub const SCRATCH_LEN: usize = 256;
/// The scratch base register.
pub const BASE: u8 = 12;

/// Registers the sequence may write.
const WRITABLE: [u8; 13] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13];

/// One unit of a sequence: one instruction, or a few that belong together
/// (LARL + BCR). `rel` names a relative field to fix up at layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The instruction bytes (relative fields zero until laid out).
    pub bytes: Vec<u8>,
    /// A relative field: its byte offset in the unit, its width (2 or 4)
    /// and how many following units the branch skips. The field counts
    /// halfwords from the start of the unit.
    pub rel: Option<Rel>,
}

/// A forward relative field (see [`Unit::rel`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rel {
    /// Byte offset of the field in the unit.
    pub at: usize,
    /// 2 or 4 bytes.
    pub width: usize,
    /// Units skipped: the target is the start of unit `i + 1 + skip`, or
    /// the end of the sequence.
    pub skip: usize,
    /// Instead of a unit: this offset in the scratch area (the relative
    /// long loads and stores).
    pub scratch: Option<usize>,
}

/// One test case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// Initial r0–r15 (r12 is [`SCRATCH_ADDR`]; r14 and r15 are ignored).
    pub regs: [u64; 16],
    /// Initial condition code.
    pub cc: u8,
    /// Initial scratch contents.
    pub scratch: Vec<u8>,
    /// The sequence.
    pub units: Vec<Unit>,
}

impl Case {
    /// The laid-out machine code (without the terminator).
    #[must_use]
    pub fn code(&self) -> Vec<u8> {
        let starts: Vec<usize> = self
            .units
            .iter()
            .scan(0, |at, u| {
                let s = *at;
                *at += u.bytes.len();
                Some(s)
            })
            .collect();
        let total: usize = self.units.iter().map(|u| u.bytes.len()).sum();
        let mut code = Vec::with_capacity(total);
        for (i, u) in self.units.iter().enumerate() {
            let mut b = u.bytes.clone();
            if let Some(r) = u.rel {
                let target = starts.get(i + 1 + r.skip).copied().unwrap_or(total);
                let target = r.scratch.map_or(target, |off| 0x1000 + off);
                let half = i64::try_from((target - starts[i]) / 2).expect("small");
                match r.width {
                    2 => b[r.at..r.at + 2]
                        .copy_from_slice(&i16::try_from(half).expect("small").to_be_bytes()),
                    _ => b[r.at..r.at + 4]
                        .copy_from_slice(&i32::try_from(half).expect("small").to_be_bytes()),
                }
            }
            code.extend_from_slice(&b);
        }
        code
    }

    /// The harness's input line.
    fn line(&self) -> String {
        let mut s = String::new();
        for r in self.regs {
            let _ = write!(s, "{r:x} ");
        }
        let _ = write!(s, "{} ", self.cc);
        for b in &self.scratch {
            let _ = write!(s, "{b:02x}");
        }
        s.push(' ');
        for b in self.code() {
            let _ = write!(s, "{b:02x}");
        }
        s.push('\n');
        s
    }
}

/// What a case leaves behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// r0–r13.
    pub regs: [u64; 14],
    /// The condition code.
    pub cc: u8,
    /// The scratch area.
    pub scratch: Vec<u8>,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, r) in self.regs.iter().enumerate() {
            write!(f, "r{i}={r:016x}")?;
            f.write_str(if i % 4 == 3 { "\n" } else { " " })?;
        }
        writeln!(f, " cc={}", self.cc)?;
        for (i, chunk) in self.scratch.chunks(32).enumerate() {
            write!(f, "  +{:03x}:", i * 32)?;
            for b in chunk {
                write!(f, " {b:02x}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

fn parse_outcome(line: &str) -> Option<Outcome> {
    let mut it = line.split_whitespace();
    let mut regs = [0u64; 14];
    for r in &mut regs {
        *r = u64::from_str_radix(it.next()?, 16).ok()?;
    }
    let cc = it.next()?.parse().ok()?;
    let hex = it.next()?;
    let scratch = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .ok()?;
    (scratch.len() == SCRATCH_LEN).then_some(Outcome { regs, cc, scratch })
}

// ---------------------------------------------------------------------------
// QEMU

/// Whether a tool is missing: `None` (skip loudly) when `CI` is unset; with
/// `CI` set, a panic.
fn missing(tool: &str, why: &str) -> Option<PathBuf> {
    assert!(
        std::env::var_os("CI").is_none(),
        "{tool} cannot run ({why}); install gcc-s390x-linux-gnu, \
         libc6-dev-s390x-cross and qemu-user-static"
    );
    eprintln!(
        "!! SKIPPED: {tool} cannot run ({why}); install gcc-s390x-linux-gnu, \
         libc6-dev-s390x-cross and qemu-user-static to run the oracle"
    );
    None
}

/// The harness, built once per process; `None` when the cross compiler
/// or QEMU is missing and `CI` is unset.
///
/// # Panics
/// When a tool is missing while `CI` is set, or the build fails.
#[must_use]
pub fn harness() -> Option<PathBuf> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if let Err(e) = Command::new("qemu-s390x-static").arg("--version").output() {
                return missing("qemu-s390x-static", &e.to_string());
            }
            let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("oracle/harness.c");
            let out = crate::scratch().join("oracle-harness");
            let st = Command::new("s390x-linux-gnu-gcc")
                .args(["-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o"])
                .arg(&out)
                .arg(&src)
                .status();
            match st {
                Err(e) => missing("s390x-linux-gnu-gcc", &e.to_string()),
                Ok(st) => {
                    assert!(
                        st.success(),
                        "s390x-linux-gnu-gcc failed on {}",
                        src.display()
                    );
                    Some(out)
                }
            }
        })
        .clone()
}

/// Runs `cases` in one QEMU process. The result has one entry per case in
/// order; if QEMU died, the outcomes stop at the case that killed it and
/// the error says how it died.
///
/// # Panics
/// When QEMU cannot be started.
#[must_use]
pub fn run_qemu(harness: &Path, cases: &[Case]) -> (Vec<Outcome>, Option<String>) {
    let mut child = Command::new("qemu-s390x-static")
        .arg(harness)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qemu-s390x-static starts");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input: String = cases.iter().map(Case::line).collect();
    let writer = std::thread::spawn(move || {
        // QEMU may die early: a broken pipe is reported through its status.
        let _ = stdin.write_all(input.as_bytes());
    });
    let stdout = child.stdout.take().expect("piped stdout");
    let mut outcomes = Vec::with_capacity(cases.len());
    let mut bad = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("QEMU's output");
        match parse_outcome(&line) {
            Some(o) => outcomes.push(o),
            None => {
                bad = Some(format!("unparsable harness output: {line}"));
                break;
            }
        }
    }
    let _ = writer.join();
    let out = child.wait_with_output().expect("QEMU ends");
    if !out.status.success() || outcomes.len() != cases.len() {
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        bad = Some(format!(
            "{}QEMU: {} after {} of {} cases: {err}",
            bad.map(|b| b + "; ").unwrap_or_default(),
            out.status,
            outcomes.len(),
            cases.len()
        ));
    }
    (outcomes, bad)
}

// ---------------------------------------------------------------------------
// The interpreter

/// Runs the case in the interpreter: 64-bit supervisor state, program
/// mask 0, a DIAGNOSE after the sequence.
///
/// # Errors
/// The stop, when the interpreter did not reach the DIAGNOSE.
pub fn run_interpreter(case: &Case) -> Result<Outcome, String> {
    // Two pages at CODE_ADDR: code, then scratch.
    let mut ram = FlatMemory::new(CODE_ADDR, 0x2000);
    let mut code = case.code();
    let end = CODE_ADDR + u64::try_from(code.len()).expect("small");
    code.extend_from_slice(&[0x83, 0x00, 0x00, 0x44]);
    ram.bytes_mut()[..code.len()].copy_from_slice(&code);
    ram.bytes_mut()[0x1000..0x1000 + SCRATCH_LEN].copy_from_slice(&case.scratch);
    let mut vcpu = Cpu::new(cpu::PSW_MASK_64, CODE_ADDR);
    // qemu-user runs the sequence as a Linux process: every FPR usable.
    vcpu.crs[0] |= cpu::CR0_AFP;
    vcpu.gprs = case.regs;
    vcpu.set_cc(case.cc);
    let stop = cpu::run(&mut vcpu, &mut ram, 100_000);
    let diag = Stop::Intercept {
        icptcode: cpu::ICPT_INST,
        ipa: 0x8300,
        ipb: 0x0044_0000,
    };
    if stop != diag || vcpu.psw_addr != end + 4 {
        return Err(format!(
            "interpreter stopped with {stop:?} at {:#x} (offset {:#x})",
            vcpu.psw_addr,
            vcpu.psw_addr.wrapping_sub(CODE_ADDR)
        ));
    }
    let mut regs = [0u64; 14];
    regs.copy_from_slice(&vcpu.gprs[..14]);
    Ok(Outcome {
        regs,
        cc: vcpu.cc(),
        scratch: ram.bytes()[0x1000..0x1000 + SCRATCH_LEN].to_vec(),
    })
}

// ---------------------------------------------------------------------------
// The generator

/// A tiny reproducible PRNG (xorshift64*).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (any value, 0 included).
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }
    /// The next 64 random bits.
    pub fn bits(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.bits() % u64::try_from(n).expect("usize fits")).expect("below n")
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
    /// A register value, edge values often.
    pub fn value(&mut self) -> u64 {
        const EDGES: [u64; 14] = [
            0,
            1,
            2,
            u64::MAX,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_ffff,
            0xffff_ffff_8000_0000,
            0x1_0000_0000,
            0x7fff_ffff_ffff_ffff,
            0x8000_0000_0000_0000,
            0xffff_ffff_ffff_fffe,
            0x8000_0001,
            0x7fff,
        ];
        match self.below(8) {
            0..=2 => self.pick(&EDGES),
            3 => self.bits() & 0xff,
            4 => (self.bits() & 0xffff_ffff) | (self.pick(&EDGES) & 0xffff_ffff_0000_0000),
            5 => self.bits() >> self.below(64),
            _ => self.bits(),
        }
    }
    fn imm16(&mut self) -> u16 {
        match self.below(4) {
            0 => self.pick(&[0, 1, 0xffff, 0x7fff, 0x8000, 0xfffe, 2]),
            1 => u16::try_from(self.bits() & 0xff).expect("masked"),
            _ => u16::try_from(self.bits() >> 48).expect("shifted"),
        }
    }
    fn imm32(&mut self) -> u32 {
        match self.below(4) {
            0 => self.pick(&[
                0,
                1,
                u32::MAX,
                0x7fff_ffff,
                0x8000_0000,
                0xffff_fffe,
                0xffff,
            ]),
            1 => u32::try_from(self.bits() & 0xffff).expect("masked"),
            _ => u32::try_from(self.bits() >> 32).expect("shifted"),
        }
    }
    fn wreg(&mut self) -> u8 {
        self.pick(&WRITABLE)
    }
    fn rreg(&mut self) -> u8 {
        u8::try_from(self.below(14)).expect("below 14")
    }
    /// A displacement for an operand of `len` bytes inside the scratch.
    fn disp(&mut self, len: usize) -> u16 {
        u16::try_from(self.below(SCRATCH_LEN + 1 - len)).expect("small")
    }
}

/// Instruction formats of the generator table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    /// RR `op r1,r2`.
    Rr,
    /// RRE `b9xx r1,r2` (the two opcode bytes in `op`).
    Rre,
    /// RI `op r1,i16` (`op` = first byte, `sub` = bits 12–15).
    Ri,
    /// RIL `op r1,i32`.
    Ril,
    /// RX `op r1,d(0,r12)` with an operand of `len` bytes.
    Rx(usize),
    /// RXY `e3 r1,d(0,r12) op` with an operand of `len` bytes.
    Rxy(usize),
    /// RS shift `op r1,d(b2)`.
    Rs,
    /// RSY shift `eb r1,r3,d(b2) op`.
    Rsy,
    /// SI `op d(r12),i`.
    Si,
    /// SS `op d1(l,r12),d2(r12)`, lengths 1–16.
    Ss,
    /// BRC/BRCL-like: `m` in r1, relative target (`Ri` or `Ril` width in
    /// `len`).
    BranchMask(usize),
    /// BRAS/BRCT-like: a written register in r1, relative target.
    BranchReg(usize),
    /// RIE compare and branch `ec r1,r2,m3,ri4 op`.
    CmpBranch,
    /// RIE compare immediate and branch `ec r1,i2,m3,ri4 op`.
    CmpImmBranch,
    /// LARL r,target; then `op m,r` (BCR) or `op m,0(r)` (BC) or BASR.
    ViaRegister,
    /// LARL r1,target alone.
    Larl,
    /// RRF distinct operands `b9xx r1,r2,r3` (r3 in bits 16–19).
    Rrf,
    /// RRF load on condition `b9xx r1,r2,m3`.
    Locr,
    /// RIE `ec r1,r3,i2 op` (AHIK).
    RieImm,
    /// RSY load/store on condition `eb r1,d(r12),m3 op`, `len` bytes.
    Loc(usize),
    /// RIE-f rotate then … selected bits `ec r1,r2,i3,i4,i5 op`.
    Rotate,
    /// A divide (RR, RRE, RX or RXY by `op`) with its operands set up in
    /// the same unit (LLIHF + IILF per register, and ST/STG of the
    /// divisor for the storage forms) to values the generator checked:
    /// divisor non-zero, quotient in range, so QEMU never raises SIGFPE.
    Divide(DivKind),
    /// STM/LM-like `op r1,r3,d(r12)` of `size`-byte registers (RS for
    /// opcodes 90/98, else RSY `eb … op`); loads only name writable
    /// registers below r12 or r13 alone.
    Multiple(usize),
    /// A multiply or FLOGR into an even-odd pair: RR (1c), RRE (b9xx), RX
    /// (5c) or RXY (e3xx) with a storage operand of `len` bytes.
    Pair(usize),
    /// ICM/STCM-like `op r1,m3,d(r12)` (RS for be/bf, else RSY), mask 1–15.
    Mask,
    /// SIL `e5xx d(r12),i16` on `len` bytes.
    Sil(usize),
    /// SIY `eb i8,d(r12) op` on `len` bytes.
    Siy(usize),
    /// CS-like `op r1,r3,d(r12)` on an aligned `len`-byte word (RS for ba).
    Cs(usize),
    /// RIL-b relative long `c4x/c6x r1,target` to an aligned `len`-byte
    /// operand in the scratch area.
    PcRel(usize),
    /// IPM r1.
    Ipm,
    /// EXRL (c6x0) or EX (44) of an out-of-line target, R1 set first:
    /// `lghi r,n; [larl b,T;] exrl r,T | ex r,0(b); j over; T: target`.
    /// The target is an SS instruction with L = 0 (n its length - 1) or
    /// an RR instruction with its register field zero (n names them).
    Execute,
    /// SRST with its operands set up: `lghi r0,c; la r1,b(r12);
    /// la r2,a(r12); srst r1,r2; jo .-4` (a ≤ b, so the search stays in
    /// the scratch area).
    Srst,
    /// SRDL-like `op r1,d(b2)` on an even-odd pair.
    PairShift,
    /// A floating-point-register move between two FPRs (RR `op`, or RRE
    /// `b3xx` when `op[0]` is b3; LDGR's second operand a general
    /// register), framed so QEMU's FPR contents never show: `ldgr fa,rs;
    /// ldgr fb,rt; OP fb,fa; lgdr rd,fb`, FPRs 0–7 only (the
    /// call-clobbered ones the harness does not keep).
    FprReg,
    /// A floating-point load or store of `len` bytes at `d(0,r12)` (RX
    /// `op`, or RXY `ed … op` when `op[0]` is ed): `ldgr fa,rs; OP
    /// fa,d(r12); lgdr rd,fa`.
    FprMem(usize),
    /// RIE-g load halfword immediate on condition `ec r1,i2,m3 op`.
    LocImm,
    /// Branch on index, relative: BRXH/BRXLE (RSI `op r1,r3,ri2`) or
    /// BRXHG/BRXLG (RIE `ec r1,r3,ri2 op`), forward.
    IndexRel,
    /// Branch on index to a LARL-loaded target: BXH/BXLE (RS) or
    /// BXHG/BXLEG (RSY `eb … op`), the base register not R1.
    IndexVia,
    /// Compare and trap with its operands loaded first (LLIHF + IILF, and
    /// ST/STG for CLT/CLGT) and a mask that excludes the relation the
    /// generator computed, so it never traps (QEMU would raise SIGILL's
    /// data-exception cousin, SIGFPE): RRF-c (b9xx), RIE-a (ecxx) or
    /// RSY-b (ebxx).
    Trap,
    /// MVST or CLST with their operands set up: `lghi r0,c; mvi`
    /// terminators inside the scratch area; `la r1,a(r12); la r2,b(r12);
    /// op r1,r2; jo .-4`, the two strings apart.
    String,
    /// MVCL, CLCL (RR) or MVCLE, CLCLE (RS, `jo .-4` after) with both
    /// operands inside the scratch area: addresses by LA, lengths and
    /// MVCL's padding byte by LLIHF + IILF.
    Long,
    /// TR, TRT, TRTR `op d1(l,r12),0(r12)`: the 256-byte table is the
    /// whole scratch area (TRTR's first-operand address is its rightmost
    /// byte); TR is followed by `ltr r0,r0`, as QEMU 7.2 does not keep the
    /// CC across TR.
    Translate,
}

/// What a divide divides (see [`Fmt::Divide`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DivKind {
    /// DR, D: 64-bit signed dividend from the low halves, 32-bit divisor.
    Signed32,
    /// DLR, DL.
    Logical32,
    /// DSGR, DSG: 64 by 64 bits.
    Signed64,
    /// DSGFR, DSGF: 64 by 32 bits.
    Signed64By32,
    /// DLGR, DLG: 128 by 64 bits.
    Logical64,
}

impl DivKind {
    /// Whether the interpreter and QEMU can divide these without an
    /// exception: `hi`, `lo` the pair, `d` the divisor register value.
    fn valid(self, hi: u64, lo: u64, d: u64) -> bool {
        let low = |v: u64| v & 0xffff_ffff;
        let pair32 = low(hi) << 32 | low(lo);
        match self {
            Self::Signed32 => {
                let d = i64::from(low(d) as u32 as i32);
                (pair32 as i64)
                    .checked_div(d)
                    .is_some_and(|q| i32::try_from(q).is_ok())
            }
            Self::Logical32 => pair32
                .checked_div(low(d))
                .is_some_and(|q| u32::try_from(q).is_ok()),
            Self::Signed64 => (lo as i64).checked_div(d as i64).is_some(),
            Self::Signed64By32 => (lo as i64)
                .checked_div(i64::from(low(d) as u32 as i32))
                .is_some(),
            Self::Logical64 => d != 0 && hi < d,
        }
    }
}

/// LLIHF r,hi; IILF r,lo: `v` into register `r`.
fn load_constant(v: u64, r: u8) -> Vec<u8> {
    let mut b = vec![0xc0, r << 4 | 0xe];
    b.extend_from_slice(&((v >> 32) as u32).to_be_bytes());
    b.extend_from_slice(&[0xc0, r << 4 | 0x9]);
    b.extend_from_slice(&(v as u32).to_be_bytes());
    b
}

/// LDGR f,r: general register `r` into floating-point register `f`.
fn ldgr(f: u8, r: u8) -> Vec<u8> {
    vec![0xb3, 0xc1, 0, f << 4 | r]
}

/// One instruction in the generator table.
#[derive(Debug, Clone, Copy)]
pub struct Op {
    /// The mnemonic.
    pub name: &'static str,
    /// The format.
    pub fmt: Fmt,
    /// The opcode: the first byte, and the second byte or sub-opcode
    /// nibble or last byte, as the format needs.
    pub op: [u8; 2],
    /// Whether operand 1 (a register) is written: if not, it may be r12.
    pub writes: bool,
}

const fn op(name: &'static str, fmt: Fmt, op0: u8, op1: u8, writes: bool) -> Op {
    Op {
        name,
        fmt,
        op: [op0, op1],
        writes,
    }
}

/// The instructions the oracle checks.
pub const TABLE: &[Op] = &[
    op("lr", Fmt::Rr, 0x18, 0, true),
    op("lgr", Fmt::Rre, 0xb9, 0x04, true),
    op("xgr", Fmt::Rre, 0xb9, 0x82, true),
    op("lhi", Fmt::Ri, 0xa7, 0x8, true),
    op("lghi", Fmt::Ri, 0xa7, 0x9, true),
    op("ahi", Fmt::Ri, 0xa7, 0xa, true),
    op("aghi", Fmt::Ri, 0xa7, 0xb, true),
    op("lgfi", Fmt::Ril, 0xc0, 0x1, true),
    op("la", Fmt::Rx(0), 0x41, 0, true),
    op("l", Fmt::Rx(4), 0x58, 0, true),
    op("st", Fmt::Rx(4), 0x50, 0, false),
    op("lg", Fmt::Rxy(8), 0xe3, 0x04, true),
    op("stg", Fmt::Rxy(8), 0xe3, 0x24, false),
    op("mvi", Fmt::Si, 0x92, 0, false),
    op("cli", Fmt::Si, 0x95, 0, false),
    op("brc", Fmt::BranchMask(4), 0xa7, 0x4, false),
    op("brcl", Fmt::BranchMask(6), 0xc0, 0x4, false),
    op("brct", Fmt::BranchReg(4), 0xa7, 0x6, true),
    op("brctg", Fmt::BranchReg(4), 0xa7, 0x7, true),
    op("lpr", Fmt::Rr, 0x10, 0x00, true),
    op("lnr", Fmt::Rr, 0x11, 0x00, true),
    op("ltr", Fmt::Rr, 0x12, 0x00, true),
    op("lcr", Fmt::Rr, 0x13, 0x00, true),
    op("nr", Fmt::Rr, 0x14, 0x00, true),
    op("clr", Fmt::Rr, 0x15, 0x00, false),
    op("or", Fmt::Rr, 0x16, 0x00, true),
    op("xr", Fmt::Rr, 0x17, 0x00, true),
    op("cr", Fmt::Rr, 0x19, 0x00, false),
    op("ar", Fmt::Rr, 0x1a, 0x00, true),
    op("sr", Fmt::Rr, 0x1b, 0x00, true),
    op("alr", Fmt::Rr, 0x1e, 0x00, true),
    op("slr", Fmt::Rr, 0x1f, 0x00, true),
    op("lpgr", Fmt::Rre, 0xb9, 0x00, true),
    op("lngr", Fmt::Rre, 0xb9, 0x01, true),
    op("ltgr", Fmt::Rre, 0xb9, 0x02, true),
    op("lcgr", Fmt::Rre, 0xb9, 0x03, true),
    op("lgbr", Fmt::Rre, 0xb9, 0x06, true),
    op("lghr", Fmt::Rre, 0xb9, 0x07, true),
    op("agr", Fmt::Rre, 0xb9, 0x08, true),
    op("sgr", Fmt::Rre, 0xb9, 0x09, true),
    op("algr", Fmt::Rre, 0xb9, 0x0a, true),
    op("slgr", Fmt::Rre, 0xb9, 0x0b, true),
    op("msgr", Fmt::Rre, 0xb9, 0x0c, true),
    op("lpgfr", Fmt::Rre, 0xb9, 0x10, true),
    op("lngfr", Fmt::Rre, 0xb9, 0x11, true),
    op("ltgfr", Fmt::Rre, 0xb9, 0x12, true),
    op("lcgfr", Fmt::Rre, 0xb9, 0x13, true),
    op("lgfr", Fmt::Rre, 0xb9, 0x14, true),
    op("llgfr", Fmt::Rre, 0xb9, 0x16, true),
    op("agfr", Fmt::Rre, 0xb9, 0x18, true),
    op("sgfr", Fmt::Rre, 0xb9, 0x19, true),
    op("algfr", Fmt::Rre, 0xb9, 0x1a, true),
    op("slgfr", Fmt::Rre, 0xb9, 0x1b, true),
    op("msgfr", Fmt::Rre, 0xb9, 0x1c, true),
    op("cgr", Fmt::Rre, 0xb9, 0x20, false),
    op("clgr", Fmt::Rre, 0xb9, 0x21, false),
    op("lbr", Fmt::Rre, 0xb9, 0x26, true),
    op("lhr", Fmt::Rre, 0xb9, 0x27, true),
    op("cgfr", Fmt::Rre, 0xb9, 0x30, false),
    op("clgfr", Fmt::Rre, 0xb9, 0x31, false),
    op("ngr", Fmt::Rre, 0xb9, 0x80, true),
    op("ogr", Fmt::Rre, 0xb9, 0x81, true),
    op("llgcr", Fmt::Rre, 0xb9, 0x84, true),
    op("llghr", Fmt::Rre, 0xb9, 0x85, true),
    op("llcr", Fmt::Rre, 0xb9, 0x94, true),
    op("llhr", Fmt::Rre, 0xb9, 0x95, true),
    op("msr", Fmt::Rre, 0xb2, 0x52, true),
    op("sth", Fmt::Rx(2), 0x40, 0x00, false),
    op("stc", Fmt::Rx(1), 0x42, 0x00, false),
    op("ic", Fmt::Rx(1), 0x43, 0x00, true),
    op("lh", Fmt::Rx(2), 0x48, 0x00, true),
    op("ch", Fmt::Rx(2), 0x49, 0x00, false),
    op("ah", Fmt::Rx(2), 0x4a, 0x00, true),
    op("sh", Fmt::Rx(2), 0x4b, 0x00, true),
    op("mh", Fmt::Rx(2), 0x4c, 0x00, true),
    op("n", Fmt::Rx(4), 0x54, 0x00, true),
    op("cl", Fmt::Rx(4), 0x55, 0x00, false),
    op("o", Fmt::Rx(4), 0x56, 0x00, true),
    op("x", Fmt::Rx(4), 0x57, 0x00, true),
    op("c", Fmt::Rx(4), 0x59, 0x00, false),
    op("a", Fmt::Rx(4), 0x5a, 0x00, true),
    op("s", Fmt::Rx(4), 0x5b, 0x00, true),
    op("al", Fmt::Rx(4), 0x5e, 0x00, true),
    op("sl", Fmt::Rx(4), 0x5f, 0x00, true),
    op("ms", Fmt::Rx(4), 0x71, 0x00, true),
    op("ltg", Fmt::Rxy(8), 0xe3, 0x02, true),
    op("ag", Fmt::Rxy(8), 0xe3, 0x08, true),
    op("sg", Fmt::Rxy(8), 0xe3, 0x09, true),
    op("alg", Fmt::Rxy(8), 0xe3, 0x0a, true),
    op("slg", Fmt::Rxy(8), 0xe3, 0x0b, true),
    op("msg", Fmt::Rxy(8), 0xe3, 0x0c, true),
    op("lt", Fmt::Rxy(4), 0xe3, 0x12, true),
    op("lgf", Fmt::Rxy(4), 0xe3, 0x14, true),
    op("lgh", Fmt::Rxy(2), 0xe3, 0x15, true),
    op("llgf", Fmt::Rxy(4), 0xe3, 0x16, true),
    op("agf", Fmt::Rxy(4), 0xe3, 0x18, true),
    op("sgf", Fmt::Rxy(4), 0xe3, 0x19, true),
    op("algf", Fmt::Rxy(4), 0xe3, 0x1a, true),
    op("slgf", Fmt::Rxy(4), 0xe3, 0x1b, true),
    op("msgf", Fmt::Rxy(4), 0xe3, 0x1c, true),
    op("cg", Fmt::Rxy(8), 0xe3, 0x20, false),
    op("clg", Fmt::Rxy(8), 0xe3, 0x21, false),
    op("cgf", Fmt::Rxy(4), 0xe3, 0x30, false),
    op("clgf", Fmt::Rxy(4), 0xe3, 0x31, false),
    op("sty", Fmt::Rxy(4), 0xe3, 0x50, false),
    op("msy", Fmt::Rxy(4), 0xe3, 0x51, true),
    op("ny", Fmt::Rxy(4), 0xe3, 0x54, true),
    op("cly", Fmt::Rxy(4), 0xe3, 0x55, false),
    op("oy", Fmt::Rxy(4), 0xe3, 0x56, true),
    op("xy", Fmt::Rxy(4), 0xe3, 0x57, true),
    op("ly", Fmt::Rxy(4), 0xe3, 0x58, true),
    op("cy", Fmt::Rxy(4), 0xe3, 0x59, false),
    op("ay", Fmt::Rxy(4), 0xe3, 0x5a, true),
    op("sy", Fmt::Rxy(4), 0xe3, 0x5b, true),
    op("aly", Fmt::Rxy(4), 0xe3, 0x5e, true),
    op("sly", Fmt::Rxy(4), 0xe3, 0x5f, true),
    op("sthy", Fmt::Rxy(2), 0xe3, 0x70, false),
    op("lay", Fmt::Rxy(0), 0xe3, 0x71, true),
    op("stcy", Fmt::Rxy(1), 0xe3, 0x72, false),
    op("icy", Fmt::Rxy(1), 0xe3, 0x73, true),
    op("lb", Fmt::Rxy(1), 0xe3, 0x76, true),
    op("lgb", Fmt::Rxy(1), 0xe3, 0x77, true),
    op("lhy", Fmt::Rxy(2), 0xe3, 0x78, true),
    op("chy", Fmt::Rxy(2), 0xe3, 0x79, false),
    op("ahy", Fmt::Rxy(2), 0xe3, 0x7a, true),
    op("shy", Fmt::Rxy(2), 0xe3, 0x7b, true),
    op("ng", Fmt::Rxy(8), 0xe3, 0x80, true),
    op("og", Fmt::Rxy(8), 0xe3, 0x81, true),
    op("xg", Fmt::Rxy(8), 0xe3, 0x82, true),
    op("llgc", Fmt::Rxy(1), 0xe3, 0x90, true),
    op("llgh", Fmt::Rxy(2), 0xe3, 0x91, true),
    op("llc", Fmt::Rxy(1), 0xe3, 0x94, true),
    op("llh", Fmt::Rxy(2), 0xe3, 0x95, true),
    op("srl", Fmt::Rs, 0x88, 0x00, true),
    op("sll", Fmt::Rs, 0x89, 0x00, true),
    op("sra", Fmt::Rs, 0x8a, 0x00, true),
    op("sla", Fmt::Rs, 0x8b, 0x00, true),
    op("srag", Fmt::Rsy, 0xeb, 0x0a, true),
    op("slag", Fmt::Rsy, 0xeb, 0x0b, true),
    op("srlg", Fmt::Rsy, 0xeb, 0x0c, true),
    op("sllg", Fmt::Rsy, 0xeb, 0x0d, true),
    op("rllg", Fmt::Rsy, 0xeb, 0x1c, true),
    op("rll", Fmt::Rsy, 0xeb, 0x1d, true),
    op("tm", Fmt::Si, 0x91, 0x00, false),
    op("ni", Fmt::Si, 0x94, 0x00, false),
    op("oi", Fmt::Si, 0x96, 0x00, false),
    op("xi", Fmt::Si, 0x97, 0x00, false),
    op("mvc", Fmt::Ss, 0xd2, 0x00, false),
    op("nc", Fmt::Ss, 0xd4, 0x00, false),
    op("clc", Fmt::Ss, 0xd5, 0x00, false),
    op("oc", Fmt::Ss, 0xd6, 0x00, false),
    op("xc", Fmt::Ss, 0xd7, 0x00, false),
    op("iihh", Fmt::Ri, 0xa5, 0x00, true),
    op("iihl", Fmt::Ri, 0xa5, 0x01, true),
    op("iilh", Fmt::Ri, 0xa5, 0x02, true),
    op("iill", Fmt::Ri, 0xa5, 0x03, true),
    op("nihh", Fmt::Ri, 0xa5, 0x04, true),
    op("nihl", Fmt::Ri, 0xa5, 0x05, true),
    op("nilh", Fmt::Ri, 0xa5, 0x06, true),
    op("nill", Fmt::Ri, 0xa5, 0x07, true),
    op("oihh", Fmt::Ri, 0xa5, 0x08, true),
    op("oihl", Fmt::Ri, 0xa5, 0x09, true),
    op("oilh", Fmt::Ri, 0xa5, 0x0a, true),
    op("oill", Fmt::Ri, 0xa5, 0x0b, true),
    op("llihh", Fmt::Ri, 0xa5, 0x0c, true),
    op("llihl", Fmt::Ri, 0xa5, 0x0d, true),
    op("llilh", Fmt::Ri, 0xa5, 0x0e, true),
    op("llill", Fmt::Ri, 0xa5, 0x0f, true),
    op("tmlh", Fmt::Ri, 0xa7, 0x00, false),
    op("tmll", Fmt::Ri, 0xa7, 0x01, false),
    op("tmhh", Fmt::Ri, 0xa7, 0x02, false),
    op("tmhl", Fmt::Ri, 0xa7, 0x03, false),
    op("mhi", Fmt::Ri, 0xa7, 0x0c, true),
    op("mghi", Fmt::Ri, 0xa7, 0x0d, true),
    op("chi", Fmt::Ri, 0xa7, 0x0e, false),
    op("cghi", Fmt::Ri, 0xa7, 0x0f, false),
    op("xihf", Fmt::Ril, 0xc0, 0x06, true),
    op("xilf", Fmt::Ril, 0xc0, 0x07, true),
    op("iihf", Fmt::Ril, 0xc0, 0x08, true),
    op("iilf", Fmt::Ril, 0xc0, 0x09, true),
    op("nihf", Fmt::Ril, 0xc0, 0x0a, true),
    op("nilf", Fmt::Ril, 0xc0, 0x0b, true),
    op("oihf", Fmt::Ril, 0xc0, 0x0c, true),
    op("oilf", Fmt::Ril, 0xc0, 0x0d, true),
    op("llihf", Fmt::Ril, 0xc0, 0x0e, true),
    op("llilf", Fmt::Ril, 0xc0, 0x0f, true),
    op("msgfi", Fmt::Ril, 0xc2, 0x00, true),
    op("msfi", Fmt::Ril, 0xc2, 0x01, true),
    op("slgfi", Fmt::Ril, 0xc2, 0x04, true),
    op("slfi", Fmt::Ril, 0xc2, 0x05, true),
    op("agfi", Fmt::Ril, 0xc2, 0x08, true),
    op("afi", Fmt::Ril, 0xc2, 0x09, true),
    op("algfi", Fmt::Ril, 0xc2, 0x0a, true),
    op("alfi", Fmt::Ril, 0xc2, 0x0b, true),
    op("cgfi", Fmt::Ril, 0xc2, 0x0c, false),
    op("cfi", Fmt::Ril, 0xc2, 0x0d, false),
    op("clgfi", Fmt::Ril, 0xc2, 0x0e, false),
    op("clfi", Fmt::Ril, 0xc2, 0x0f, false),
    op("bras", Fmt::BranchReg(4), 0xa7, 0x05, true),
    op("brasl", Fmt::BranchReg(6), 0xc0, 0x05, true),
    op("crj", Fmt::CmpBranch, 0xec, 0x76, false),
    op("cgrj", Fmt::CmpBranch, 0xec, 0x64, false),
    op("clrj", Fmt::CmpBranch, 0xec, 0x77, false),
    op("clgrj", Fmt::CmpBranch, 0xec, 0x65, false),
    op("cij", Fmt::CmpImmBranch, 0xec, 0x7e, false),
    op("cgij", Fmt::CmpImmBranch, 0xec, 0x7c, false),
    op("clij", Fmt::CmpImmBranch, 0xec, 0x7f, false),
    op("clgij", Fmt::CmpImmBranch, 0xec, 0x7d, false),
    op("larl", Fmt::Larl, 0xc0, 0x00, true),
    op("agrk", Fmt::Rrf, 0xb9, 0xe8, true),
    op("sgrk", Fmt::Rrf, 0xb9, 0xe9, true),
    op("algrk", Fmt::Rrf, 0xb9, 0xea, true),
    op("slgrk", Fmt::Rrf, 0xb9, 0xeb, true),
    op("ngrk", Fmt::Rrf, 0xb9, 0xe4, true),
    op("ogrk", Fmt::Rrf, 0xb9, 0xe6, true),
    op("xgrk", Fmt::Rrf, 0xb9, 0xe7, true),
    op("ark", Fmt::Rrf, 0xb9, 0xf8, true),
    op("srk", Fmt::Rrf, 0xb9, 0xf9, true),
    op("alrk", Fmt::Rrf, 0xb9, 0xfa, true),
    op("slrk", Fmt::Rrf, 0xb9, 0xfb, true),
    op("nrk", Fmt::Rrf, 0xb9, 0xf4, true),
    op("ork", Fmt::Rrf, 0xb9, 0xf6, true),
    op("xrk", Fmt::Rrf, 0xb9, 0xf7, true),
    op("locr", Fmt::Locr, 0xb9, 0xf2, true),
    op("locgr", Fmt::Locr, 0xb9, 0xe2, true),
    op("ahik", Fmt::RieImm, 0xec, 0xd8, true),
    op("aghik", Fmt::RieImm, 0xec, 0xd9, true),
    op("srak", Fmt::Rsy, 0xeb, 0xdc, true),
    op("slak", Fmt::Rsy, 0xeb, 0xdd, true),
    op("srlk", Fmt::Rsy, 0xeb, 0xde, true),
    op("sllk", Fmt::Rsy, 0xeb, 0xdf, true),
    op("loc", Fmt::Loc(4), 0xeb, 0xf2, true),
    op("locg", Fmt::Loc(8), 0xeb, 0xe2, true),
    op("stoc", Fmt::Loc(4), 0xeb, 0xf3, false),
    op("stocg", Fmt::Loc(8), 0xeb, 0xe3, false),
    op("rnsbg", Fmt::Rotate, 0xec, 0x54, true),
    op("risbg", Fmt::Rotate, 0xec, 0x55, true),
    op("rosbg", Fmt::Rotate, 0xec, 0x56, true),
    op("rxsbg", Fmt::Rotate, 0xec, 0x57, true),
    op("risbgn", Fmt::Rotate, 0xec, 0x59, true),
    op("dr", Fmt::Divide(DivKind::Signed32), 0x1d, 0x00, true),
    op("d", Fmt::Divide(DivKind::Signed32), 0x5d, 0x00, true),
    op("dlr", Fmt::Divide(DivKind::Logical32), 0xb9, 0x97, true),
    op("dl", Fmt::Divide(DivKind::Logical32), 0xe3, 0x97, true),
    op("dsgr", Fmt::Divide(DivKind::Signed64), 0xb9, 0x0d, true),
    op("dsg", Fmt::Divide(DivKind::Signed64), 0xe3, 0x0d, true),
    op(
        "dsgfr",
        Fmt::Divide(DivKind::Signed64By32),
        0xb9,
        0x1d,
        true,
    ),
    op("dsgf", Fmt::Divide(DivKind::Signed64By32), 0xe3, 0x1d, true),
    op("dlgr", Fmt::Divide(DivKind::Logical64), 0xb9, 0x87, true),
    op("dlg", Fmt::Divide(DivKind::Logical64), 0xe3, 0x87, true),
    op("stm", Fmt::Multiple(4), 0x90, 0x00, false),
    op("lm", Fmt::Multiple(4), 0x98, 0x00, true),
    op("stmy", Fmt::Multiple(4), 0xeb, 0x90, false),
    op("lmy", Fmt::Multiple(4), 0xeb, 0x98, true),
    op("stmg", Fmt::Multiple(8), 0xeb, 0x24, false),
    op("lmg", Fmt::Multiple(8), 0xeb, 0x04, true),
    op("mr", Fmt::Pair(0), 0x1c, 0x00, true),
    op("m", Fmt::Pair(4), 0x5c, 0x00, true),
    op("mlr", Fmt::Pair(0), 0xb9, 0x96, true),
    op("ml", Fmt::Pair(4), 0xe3, 0x96, true),
    op("mlgr", Fmt::Pair(0), 0xb9, 0x86, true),
    op("mlg", Fmt::Pair(8), 0xe3, 0x86, true),
    op("flogr", Fmt::Pair(0), 0xb9, 0x83, true),
    op("icm", Fmt::Mask, 0xbf, 0x00, true),
    op("icmy", Fmt::Mask, 0xeb, 0x81, true),
    op("icmh", Fmt::Mask, 0xeb, 0x80, true),
    op("stcm", Fmt::Mask, 0xbe, 0x00, false),
    op("stcmy", Fmt::Mask, 0xeb, 0x2d, false),
    op("stcmh", Fmt::Mask, 0xeb, 0x2c, false),
    op("mvhhi", Fmt::Sil(2), 0xe5, 0x44, false),
    op("mvhi", Fmt::Sil(4), 0xe5, 0x4c, false),
    op("mvghi", Fmt::Sil(8), 0xe5, 0x48, false),
    op("chhsi", Fmt::Sil(2), 0xe5, 0x54, false),
    op("chsi", Fmt::Sil(4), 0xe5, 0x5c, false),
    op("cghsi", Fmt::Sil(8), 0xe5, 0x58, false),
    op("clhhsi", Fmt::Sil(2), 0xe5, 0x55, false),
    op("clfhsi", Fmt::Sil(4), 0xe5, 0x5d, false),
    op("clghsi", Fmt::Sil(8), 0xe5, 0x59, false),
    op("asi", Fmt::Siy(4), 0xeb, 0x6a, false),
    op("agsi", Fmt::Siy(8), 0xeb, 0x7a, false),
    op("alsi", Fmt::Siy(4), 0xeb, 0x6e, false),
    op("algsi", Fmt::Siy(8), 0xeb, 0x7e, false),
    op("cs", Fmt::Cs(4), 0xba, 0x00, true),
    op("csy", Fmt::Cs(4), 0xeb, 0x14, true),
    op("csg", Fmt::Cs(8), 0xeb, 0x30, true),
    op("alcgr", Fmt::Rre, 0xb9, 0x88, true),
    op("slbgr", Fmt::Rre, 0xb9, 0x89, true),
    op("alcr", Fmt::Rre, 0xb9, 0x98, true),
    op("slbr", Fmt::Rre, 0xb9, 0x99, true),
    op("alcg", Fmt::Rxy(8), 0xe3, 0x88, true),
    op("slbg", Fmt::Rxy(8), 0xe3, 0x89, true),
    op("alc", Fmt::Rxy(4), 0xe3, 0x98, true),
    op("slb", Fmt::Rxy(4), 0xe3, 0x99, true),
    op("pfd", Fmt::Rxy(0), 0xe3, 0x36, false),
    op("llhrl", Fmt::PcRel(2), 0xc4, 0x02, true),
    op("lghrl", Fmt::PcRel(2), 0xc4, 0x04, true),
    op("lhrl", Fmt::PcRel(2), 0xc4, 0x05, true),
    op("llghrl", Fmt::PcRel(2), 0xc4, 0x06, true),
    op("sthrl", Fmt::PcRel(2), 0xc4, 0x07, false),
    op("lgrl", Fmt::PcRel(8), 0xc4, 0x08, true),
    op("stgrl", Fmt::PcRel(8), 0xc4, 0x0b, false),
    op("lgfrl", Fmt::PcRel(4), 0xc4, 0x0c, true),
    op("lrl", Fmt::PcRel(4), 0xc4, 0x0d, true),
    op("llgfrl", Fmt::PcRel(4), 0xc4, 0x0e, true),
    op("strl", Fmt::PcRel(4), 0xc4, 0x0f, false),
    op("pfdrl", Fmt::PcRel(1), 0xc6, 0x02, false),
    op("cghrl", Fmt::PcRel(2), 0xc6, 0x04, false),
    op("chrl", Fmt::PcRel(2), 0xc6, 0x05, false),
    op("clghrl", Fmt::PcRel(2), 0xc6, 0x06, false),
    op("clhrl", Fmt::PcRel(2), 0xc6, 0x07, false),
    op("cgrl", Fmt::PcRel(8), 0xc6, 0x08, false),
    op("clgrl", Fmt::PcRel(8), 0xc6, 0x0a, false),
    op("cgfrl", Fmt::PcRel(4), 0xc6, 0x0c, false),
    op("crl", Fmt::PcRel(4), 0xc6, 0x0d, false),
    op("clgfrl", Fmt::PcRel(4), 0xc6, 0x0e, false),
    op("clrl", Fmt::PcRel(4), 0xc6, 0x0f, false),
    op("laa", Fmt::Cs(4), 0xeb, 0xf8, true),
    op("laag", Fmt::Cs(8), 0xeb, 0xe8, true),
    op("laal", Fmt::Cs(4), 0xeb, 0xfa, true),
    op("laalg", Fmt::Cs(8), 0xeb, 0xea, true),
    op("lan", Fmt::Cs(4), 0xeb, 0xf4, true),
    op("lang", Fmt::Cs(8), 0xeb, 0xe4, true),
    op("lao", Fmt::Cs(4), 0xeb, 0xf6, true),
    op("laog", Fmt::Cs(8), 0xeb, 0xe6, true),
    op("lax", Fmt::Cs(4), 0xeb, 0xf7, true),
    op("laxg", Fmt::Cs(8), 0xeb, 0xe7, true),
    op("ipm", Fmt::Ipm, 0xb2, 0x22, true),
    op("bas", Fmt::ViaRegister, 0x4d, 0x00, false),
    op("exrl", Fmt::Execute, 0xc6, 0x00, false),
    op("ex", Fmt::Execute, 0x44, 0x00, false),
    op("srst", Fmt::Srst, 0xb2, 0x5e, false),
    op("popcnt", Fmt::Rre, 0xb9, 0xe1, true),
    op("srdl", Fmt::PairShift, 0x8c, 0x00, true),
    op("sldl", Fmt::PairShift, 0x8d, 0x00, true),
    op("srda", Fmt::PairShift, 0x8e, 0x00, true),
    op("slda", Fmt::PairShift, 0x8f, 0x00, true),
    op("tmy", Fmt::Siy(1), 0xeb, 0x51, false),
    op("mviy", Fmt::Siy(1), 0xeb, 0x52, false),
    op("niy", Fmt::Siy(1), 0xeb, 0x54, false),
    op("cliy", Fmt::Siy(1), 0xeb, 0x55, false),
    op("oiy", Fmt::Siy(1), 0xeb, 0x56, false),
    op("xiy", Fmt::Siy(1), 0xeb, 0x57, false),
    op("alhsik", Fmt::RieImm, 0xec, 0xda, true),
    op("alghsik", Fmt::RieImm, 0xec, 0xdb, true),
    op("llgtr", Fmt::Rre, 0xb9, 0x17, true),
    op("llgt", Fmt::Rxy(4), 0xe3, 0x17, true),
    op("ltgf", Fmt::Rxy(4), 0xe3, 0x32, true),
    op("bcr", Fmt::ViaRegister, 0x07, 0x00, false),
    op("bc", Fmt::ViaRegister, 0x47, 0x00, false),
    op("basr", Fmt::ViaRegister, 0x0d, 0x00, false),
    // The FPR moves integer code uses (emulator/src/cpu/float.rs).
    op("ldgr", Fmt::FprReg, 0xb3, 0xc1, true),
    op("ldr", Fmt::FprReg, 0x28, 0x00, true),
    op("ler", Fmt::FprReg, 0x38, 0x00, true),
    op("lzdr", Fmt::FprReg, 0xb3, 0x75, true),
    op("lzer", Fmt::FprReg, 0xb3, 0x74, true),
    op("ld", Fmt::FprMem(8), 0x68, 0x00, true),
    op("le", Fmt::FprMem(4), 0x78, 0x00, true),
    op("std", Fmt::FprMem(8), 0x60, 0x00, true),
    op("ste", Fmt::FprMem(4), 0x70, 0x00, true),
    op("ldy", Fmt::FprMem(8), 0xed, 0x65, true),
    op("ley", Fmt::FprMem(4), 0xed, 0x64, true),
    op("stdy", Fmt::FprMem(8), 0xed, 0x67, true),
    op("stey", Fmt::FprMem(4), 0xed, 0x66, true),
    // gcc's other gaps (emulator/src/cpu/gcc.rs).
    op("lochi", Fmt::LocImm, 0xec, 0x42, true),
    op("locghi", Fmt::LocImm, 0xec, 0x46, true),
    // Helper "ctl": the problem-state rest.
    op("brxh", Fmt::IndexRel, 0x84, 0x00, true),
    op("brxle", Fmt::IndexRel, 0x85, 0x00, true),
    op("brxhg", Fmt::IndexRel, 0xec, 0x44, true),
    op("brxlg", Fmt::IndexRel, 0xec, 0x45, true),
    op("bxh", Fmt::IndexVia, 0x86, 0x00, true),
    op("bxle", Fmt::IndexVia, 0x87, 0x00, true),
    op("bxhg", Fmt::IndexVia, 0xeb, 0x44, true),
    op("bxleg", Fmt::IndexVia, 0xeb, 0x45, true),
    op("crt", Fmt::Trap, 0xb9, 0x72, false),
    op("cgrt", Fmt::Trap, 0xb9, 0x60, false),
    op("clrt", Fmt::Trap, 0xb9, 0x73, false),
    op("clgrt", Fmt::Trap, 0xb9, 0x61, false),
    op("cit", Fmt::Trap, 0xec, 0x72, false),
    op("cgit", Fmt::Trap, 0xec, 0x70, false),
    op("clfit", Fmt::Trap, 0xec, 0x73, false),
    op("clgit", Fmt::Trap, 0xec, 0x71, false),
    op("clt", Fmt::Trap, 0xeb, 0x23, false),
    op("clgt", Fmt::Trap, 0xeb, 0x2b, false),
    op("mvst", Fmt::String, 0xb2, 0x55, false),
    op("clst", Fmt::String, 0xb2, 0x5d, false),
    op("mvcl", Fmt::Long, 0x0e, 0x00, false),
    op("clcl", Fmt::Long, 0x0f, 0x00, false),
    op("mvcle", Fmt::Long, 0xa8, 0x00, false),
    op("clcle", Fmt::Long, 0xa9, 0x00, false),
    op("tr", Fmt::Translate, 0xdc, 0x00, false),
    op("trt", Fmt::Translate, 0xdd, 0x00, false),
    op("trtr", Fmt::Translate, 0xd0, 0x00, false),
    op("ahhhr", Fmt::Rrf, 0xb9, 0xc8, true),
    op("shhhr", Fmt::Rrf, 0xb9, 0xc9, true),
    op("alhhhr", Fmt::Rrf, 0xb9, 0xca, true),
    op("slhhhr", Fmt::Rrf, 0xb9, 0xcb, true),
    op("ahhlr", Fmt::Rrf, 0xb9, 0xd8, true),
    op("shhlr", Fmt::Rrf, 0xb9, 0xd9, true),
    op("alhhlr", Fmt::Rrf, 0xb9, 0xda, true),
    op("slhhlr", Fmt::Rrf, 0xb9, 0xdb, true),
    op("chhr", Fmt::Rre, 0xb9, 0xcd, false),
    op("chlr", Fmt::Rre, 0xb9, 0xdd, false),
    op("clhhr", Fmt::Rre, 0xb9, 0xcf, false),
    op("clhlr", Fmt::Rre, 0xb9, 0xdf, false),
    op("lbh", Fmt::Rxy(1), 0xe3, 0xc0, true),
    op("llch", Fmt::Rxy(1), 0xe3, 0xc2, true),
    op("stch", Fmt::Rxy(1), 0xe3, 0xc3, false),
    op("lhh", Fmt::Rxy(2), 0xe3, 0xc4, true),
    op("llhh", Fmt::Rxy(2), 0xe3, 0xc6, true),
    op("sthh", Fmt::Rxy(2), 0xe3, 0xc7, false),
    op("lfh", Fmt::Rxy(4), 0xe3, 0xca, true),
    op("stfh", Fmt::Rxy(4), 0xe3, 0xcb, false),
    op("chf", Fmt::Rxy(4), 0xe3, 0xcd, false),
    op("clhf", Fmt::Rxy(4), 0xe3, 0xcf, false),
    op("aih", Fmt::Ril, 0xcc, 0x8, true),
    op("alsih", Fmt::Ril, 0xcc, 0xa, true),
    op("alsihn", Fmt::Ril, 0xcc, 0xb, true),
    op("cih", Fmt::Ril, 0xcc, 0xd, false),
    op("clih", Fmt::Ril, 0xcc, 0xf, false),
    op("brcth", Fmt::BranchReg(6), 0xcc, 0x6, true),
    op("risbhg", Fmt::Rotate, 0xec, 0x5d, true),
    op("risblg", Fmt::Rotate, 0xec, 0x51, true),
];

/// One random unit from `table`.
#[must_use]
pub fn unit(rng: &mut Rng, o: &Op) -> Unit {
    let r1 = if o.writes { rng.wreg() } else { rng.rreg() };
    let [op0, op1] = o.op;
    let none = |bytes: Vec<u8>| Unit { bytes, rel: None };
    let rel = |bytes: Vec<u8>, at: usize, width: usize, rng: &mut Rng| Unit {
        bytes,
        rel: Some(Rel {
            at,
            width,
            skip: rng.below(4),
            scratch: None,
        }),
    };
    let b = |x: u16| x.to_be_bytes();
    match o.fmt {
        Fmt::Rr => none(vec![op0, r1 << 4 | rng.rreg()]),
        Fmt::Rre => none(vec![op0, op1, 0, r1 << 4 | rng.rreg()]),
        Fmt::Ri => {
            let [i0, i1] = b(rng.imm16());
            none(vec![op0, r1 << 4 | op1, i0, i1])
        }
        Fmt::Ril => {
            let mut v = vec![op0, r1 << 4 | op1];
            v.extend_from_slice(&rng.imm32().to_be_bytes());
            none(v)
        }
        Fmt::Rx(len) => {
            // LA (len 0) may also take any base and index.
            let (x, base, d) = if len == 0 && rng.below(2) == 0 {
                (
                    rng.rreg(),
                    rng.rreg(),
                    u16::try_from(rng.bits() & 0xfff).expect("masked"),
                )
            } else {
                (0, BASE, rng.disp(len.max(1)))
            };
            let [d0, d1] = b(d);
            none(vec![op0, r1 << 4 | x, base << 4 | d0, d1])
        }
        Fmt::Rxy(len) => {
            let [d0, d1] = b(rng.disp(len.max(1)));
            none(vec![0xe3, r1 << 4, BASE << 4 | d0, d1, 0, op1])
        }
        Fmt::Rs => {
            let [d0, d1] = b(u16::try_from(rng.bits() & 0xfff).expect("masked"));
            none(vec![op0, r1 << 4, rng.rreg() << 4 | d0, d1])
        }
        Fmt::Rsy => {
            let [d0, d1] = b(u16::try_from(rng.bits() & 0xfff).expect("masked"));
            none(vec![
                0xeb,
                r1 << 4 | rng.rreg(),
                rng.rreg() << 4 | d0,
                d1,
                0,
                op1,
            ])
        }
        Fmt::Si => {
            let [d0, d1] = b(rng.disp(1));
            let i = u8::try_from(rng.imm16() & 0xff).expect("masked");
            none(vec![op0, i, BASE << 4 | d0, d1])
        }
        Fmt::Ss => {
            let len = 1 + rng.below(16);
            let [a0, a1] = b(rng.disp(len));
            let [c0, c1] = b(rng.disp(len));
            let l = u8::try_from(len - 1).expect("small");
            none(vec![op0, l, BASE << 4 | a0, a1, BASE << 4 | c0, c1])
        }
        Fmt::BranchMask(len) | Fmt::BranchReg(len) => {
            let f = if matches!(o.fmt, Fmt::BranchMask(_)) {
                u8::try_from(rng.below(16)).expect("small")
            } else {
                r1
            };
            rel(
                vec![op0, f << 4 | op1, 0, 0, 0, 0][..len].to_vec(),
                2,
                len - 2,
                rng,
            )
        }
        Fmt::CmpBranch => {
            let m = u8::try_from(rng.below(16)).expect("small");
            rel(
                vec![0xec, r1 << 4 | rng.rreg(), 0, 0, m << 4, op1],
                2,
                2,
                rng,
            )
        }
        Fmt::CmpImmBranch => {
            let m = u8::try_from(rng.below(16)).expect("small");
            let i = u8::try_from(rng.imm16() & 0xff).expect("masked");
            rel(vec![0xec, r1 << 4 | m, 0, 0, i, op1], 2, 2, rng)
        }
        Fmt::ViaRegister => {
            let r = rng.pick(&WRITABLE[1..]);
            let m = u8::try_from(rng.below(16)).expect("small");
            let mut v = vec![0xc0, r << 4, 0, 0, 0, 0];
            match op0 {
                0x47 => v.extend_from_slice(&[0x47, m << 4, r << 4, 0]),
                // BASR r1,r
                0x0d => v.extend_from_slice(&[0x0d, rng.wreg() << 4 | r]),
                // BAS r1,0(r)
                0x4d => v.extend_from_slice(&[0x4d, rng.wreg() << 4, r << 4, 0]),
                _ => v.extend_from_slice(&[op0, m << 4 | r]),
            }
            rel(v, 2, 4, rng)
        }
        Fmt::Larl => rel(vec![0xc0, r1 << 4, 0, 0, 0, 0], 2, 4, rng),
        Fmt::Divide(kind) => {
            let r1 = rng.pick(&[0u8, 2, 4, 6, 8, 10]);
            let r2 = loop {
                let r = rng.wreg();
                if r != r1 && r != r1 + 1 {
                    break r;
                }
            };
            let (mut hi, mut lo, mut d) = (0, 7, 2);
            for _ in 0..64 {
                let (h, l, dv) = (rng.value(), rng.value(), rng.value());
                // Dividends that fit more often: the high word a sign
                // extension of the low one, or below the divisor.
                let h = match rng.below(3) {
                    0 => h,
                    1 if kind == DivKind::Logical64 => h % dv.max(1),
                    _ => {
                        let ext = if l & 0x8000_0000 != 0 { u64::MAX } else { 0 };
                        (h & !0xffff_ffff) | (ext & 0xffff_ffff)
                    }
                };
                if kind.valid(h, l, dv) {
                    (hi, lo, d) = (h, l, dv);
                    break;
                }
            }
            let mut v = load_constant(hi, r1);
            v.extend(load_constant(lo, r1 + 1));
            v.extend(load_constant(d, r2));
            match o.fmt {
                _ if op0 == 0xb9 => v.extend_from_slice(&[0xb9, op1, 0, r1 << 4 | r2]),
                _ if op0 == 0x1d => v.extend_from_slice(&[0x1d, r1 << 4 | r2]),
                _ => {
                    let len = if matches!(kind, DivKind::Signed64 | DivKind::Logical64) {
                        8
                    } else {
                        4
                    };
                    let [d0, d1] = b(rng.disp(len));
                    if len == 8 {
                        v.extend_from_slice(&[0xe3, r2 << 4, BASE << 4 | d0, d1, 0, 0x24]);
                    } else {
                        v.extend_from_slice(&[0x50, r2 << 4, BASE << 4 | d0, d1]);
                    }
                    if op0 == 0x5d {
                        v.extend_from_slice(&[0x5d, r1 << 4, BASE << 4 | d0, d1]);
                    } else {
                        v.extend_from_slice(&[0xe3, r1 << 4, BASE << 4 | d0, d1, 0, op1]);
                    }
                }
            }
            none(v)
        }
        Fmt::Multiple(size) => {
            let load = matches!((op0, op1), (0x98, _) | (0xeb, 0x04 | 0x98));
            let (a, z) = if load {
                if rng.below(8) == 0 {
                    (13, 13)
                } else {
                    let a = rng.below(12);
                    (a, a + rng.below(12 - a))
                }
            } else {
                let a = rng.below(14);
                (a, a + rng.below(14 - a))
            };
            let (a, z) = (
                u8::try_from(a).expect("small"),
                u8::try_from(z).expect("small"),
            );
            let [d0, d1] = b(rng.disp(size * usize::from(z - a + 1)));
            if op0 == 0xeb {
                none(vec![0xeb, a << 4 | z, BASE << 4 | d0, d1, 0, op1])
            } else {
                none(vec![op0, a << 4 | z, BASE << 4 | d0, d1])
            }
        }
        Fmt::Pair(len) => {
            let r1 = rng.pick(&[0u8, 2, 4, 6, 8, 10]);
            let r2 = rng.rreg();
            let [d0, d1] = b(rng.disp(len.max(1)));
            none(match op0 {
                0x1c => vec![0x1c, r1 << 4 | r2],
                0xb9 => vec![0xb9, op1, 0, r1 << 4 | r2],
                0x5c => vec![0x5c, r1 << 4, BASE << 4 | d0, d1],
                _ => vec![0xe3, r1 << 4, BASE << 4 | d0, d1, 0, op1],
            })
        }
        Fmt::Mask => {
            let m = u8::try_from(1 + rng.below(15)).expect("small");
            let [d0, d1] = b(rng.disp(m.count_ones() as usize));
            if op0 == 0xeb {
                none(vec![0xeb, r1 << 4 | m, BASE << 4 | d0, d1, 0, op1])
            } else {
                none(vec![op0, r1 << 4 | m, BASE << 4 | d0, d1])
            }
        }
        Fmt::Sil(len) => {
            let [d0, d1] = b(rng.disp(len));
            let [i0, i1] = b(rng.imm16());
            none(vec![0xe5, op1, BASE << 4 | d0, d1, i0, i1])
        }
        Fmt::Siy(len) => {
            let [d0, d1] = b(rng.disp(len));
            let i = u8::try_from(rng.imm16() & 0xff).expect("masked");
            none(vec![0xeb, i, BASE << 4 | d0, d1, 0, op1])
        }
        Fmt::Cs(len) => {
            let d = rng.disp(len) & !(u16::try_from(len).expect("small") - 1);
            let [d0, d1] = b(d);
            let r3 = rng.rreg();
            if op0 == 0xba {
                none(vec![0xba, r1 << 4 | r3, BASE << 4 | d0, d1])
            } else {
                none(vec![0xeb, r1 << 4 | r3, BASE << 4 | d0, d1, 0, op1])
            }
        }
        Fmt::PcRel(len) => {
            let off = usize::from(rng.disp(len)) & !(len - 1);
            Unit {
                bytes: vec![op0, r1 << 4 | op1, 0, 0, 0, 0],
                rel: Some(Rel {
                    at: 2,
                    width: 4,
                    skip: 0,
                    scratch: Some(off),
                }),
            }
        }
        Fmt::Srst => {
            let c = rng.pick(&[0u8, 0xff, 0x41, 0x80]);
            let c = if rng.below(2) == 0 {
                c
            } else {
                u8::try_from(rng.bits() >> 56).expect("shifted")
            };
            let (x, y) = (rng.disp(1), rng.disp(1));
            let (lo, hi) = (x.min(y), x.max(y));
            let (r1, r2) = loop {
                let (p, q) = (rng.pick(&WRITABLE[1..]), rng.pick(&WRITABLE[1..]));
                if p != q {
                    break (p, q);
                }
            };
            let [h0, h1] = b(hi);
            let [l0, l1] = b(lo);
            none(vec![
                0xa7,
                0x09,
                0,
                c, // lghi r0,c
                0x41,
                r1 << 4,
                BASE << 4 | h0,
                h1, // la r1,hi(r12)
                0x41,
                r2 << 4,
                BASE << 4 | l0,
                l1, // la r2,lo(r12)
                0xb2,
                0x5e,
                0,
                r1 << 4 | r2, // srst r1,r2
                0xa7,
                0x14,
                0xff,
                0xfe, // jo .-4
            ])
        }
        Fmt::PairShift => {
            let r1 = rng.pick(&[0u8, 2, 4, 6, 8, 10]);
            let [d0, d1] = b(u16::try_from(rng.bits() & 0xfff).expect("masked"));
            none(vec![op0, r1 << 4, rng.rreg() << 4 | d0, d1])
        }
        Fmt::Ipm => none(vec![0xb2, 0x22, 0, r1 << 4]),
        Fmt::Execute => {
            let r = rng.pick(&WRITABLE[1..]);
            let (n, target) = if rng.below(2) == 0 {
                let n = u8::try_from(rng.below(16)).expect("small");
                let [a0, a1] = b(rng.disp(16));
                let [c0, c1] = b(rng.disp(16));
                let op = rng.pick(&[0xd2u8, 0xd4, 0xd5, 0xd6, 0xd7]);
                (n, vec![op, 0, BASE << 4 | a0, a1, BASE << 4 | c0, c1])
            } else {
                let (w, x) = (rng.wreg(), rng.rreg());
                let op = rng.pick(&[0x18u8, 0x1a, 0x1b, 0x14, 0x16, 0x17, 0x19, 0x15]);
                (w << 4 | x, vec![op, 0])
            };
            let mut v = vec![0xa7, r << 4 | 0x9, 0, n];
            let t_len = target.len();
            if op0 == 0x44 {
                // lghi r,n (4); larl b,T (6); ex r,0(b) (4); j over (4); T
                let base = loop {
                    let x = rng.pick(&WRITABLE[1..]);
                    if x != r {
                        break x;
                    }
                };
                v.extend_from_slice(&[0xc0, base << 4, 0, 0, 0, 7]);
                v.extend_from_slice(&[0x44, r << 4, base << 4, 0]);
                let over = u8::try_from((4 + t_len) / 2).expect("small");
                v.extend_from_slice(&[0xa7, 0xf4, 0, over]);
            } else {
                // lghi r,n (4); exrl r,T (6); j over (4); T
                v.extend_from_slice(&[0xc6, r << 4, 0, 0, 0, 5]);
                let over = u8::try_from((4 + t_len) / 2).expect("small");
                v.extend_from_slice(&[0xa7, 0xf4, 0, over]);
            }
            v.extend_from_slice(&target);
            none(v)
        }
        Fmt::IndexRel => {
            let r3 = rng.rreg();
            if op0 == 0xec {
                rel(vec![0xec, r1 << 4 | r3, 0, 0, 0, op1], 2, 2, rng)
            } else {
                rel(vec![op0, r1 << 4 | r3, 0, 0], 2, 2, rng)
            }
        }
        Fmt::IndexVia => {
            let r = loop {
                let x = rng.pick(&WRITABLE[1..]);
                if x != r1 {
                    break x;
                }
            };
            let r3 = rng.rreg();
            let mut v = vec![0xc0, r << 4, 0, 0, 0, 0];
            if op0 == 0xeb {
                v.extend_from_slice(&[0xeb, r1 << 4 | r3, r << 4, 0, 0, op1]);
            } else {
                v.extend_from_slice(&[op0, r1 << 4 | r3, r << 4, 0]);
            }
            rel(v, 2, 4, rng)
        }
        Fmt::Trap => trap_unit(rng, op0, op1),
        Fmt::String => string_unit(rng, op1),
        Fmt::Long => long_unit(rng, op0),
        Fmt::Translate => {
            let len = 1 + rng.below(SCRATCH_LEN);
            let d = if op0 == 0xd0 {
                len - 1 + rng.below(SCRATCH_LEN + 1 - len)
            } else {
                rng.below(SCRATCH_LEN + 1 - len)
            };
            let [d0, d1] = b(u16::try_from(d).expect("small"));
            let l = u8::try_from(len - 1).expect("small");
            let mut v = vec![op0, l, BASE << 4 | d0, d1, BASE << 4, 0];
            if op0 == 0xdc {
                // QEMU 7.2 leaves a stale CC after TR (the architecture
                // keeps it): LTR r0,r0 sets it on both sides.
                v.extend_from_slice(&[0x12, 0x00]);
            }
            none(v)
        }
        Fmt::Rrf => none(vec![op0, op1, rng.rreg() << 4, r1 << 4 | rng.rreg()]),
        Fmt::Locr => {
            let m = u8::try_from(rng.below(16)).expect("small");
            none(vec![op0, op1, m << 4, r1 << 4 | rng.rreg()])
        }
        Fmt::RieImm => {
            let [i0, i1] = b(rng.imm16());
            none(vec![0xec, r1 << 4 | rng.rreg(), i0, i1, 0, op1])
        }
        Fmt::Loc(len) => {
            let m = u8::try_from(rng.below(16)).expect("small");
            let [d0, d1] = b(rng.disp(len));
            none(vec![0xeb, r1 << 4 | m, BASE << 4 | d0, d1, 0, op1])
        }
        Fmt::FprReg => {
            let fpr = |rng: &mut Rng| u8::try_from(rng.below(8)).expect("below 8");
            let (fa, fb) = (fpr(rng), fpr(rng));
            let mut v = ldgr(fa, rng.rreg());
            v.extend(ldgr(fb, rng.rreg()));
            v.extend(match (op0, op1) {
                (0xb3, 0xc1) => ldgr(fb, rng.rreg()),
                (0xb3, _) => vec![0xb3, op1, 0, fb << 4 | fa],
                _ => vec![op0, fb << 4 | fa],
            });
            v.extend([0xb3, 0xcd, 0, r1 << 4 | fb]);
            none(v)
        }
        Fmt::FprMem(len) => {
            let fa = u8::try_from(rng.below(8)).expect("below 8");
            let mut v = ldgr(fa, rng.rreg());
            let [d0, d1] = b(rng.disp(len));
            if op0 == 0xed {
                v.extend([0xed, fa << 4, BASE << 4 | d0, d1, 0, op1]);
            } else {
                v.extend([op0, fa << 4, BASE << 4 | d0, d1]);
            }
            v.extend([0xb3, 0xcd, 0, r1 << 4 | fa]);
            none(v)
        }
        Fmt::LocImm => {
            let m = u8::try_from(rng.below(16)).expect("small");
            let [i0, i1] = b(rng.imm16());
            none(vec![0xec, r1 << 4 | m, i0, i1, 0, op1])
        }
        Fmt::Rotate => {
            let bits = rng.bits().to_be_bytes();
            // Only the flag bit each instruction defines: Z for RISBG(N)
            // (I4 bit 0). The R*SBG test-only flag (I3 bit 0) is left
            // out: QEMU 7.2's TCG dies on it ("tcg fatal error", found
            // by this oracle: `rxsbg %r10,%r1,146,20,56` then
            // `agf %r0,17(%r12)`), so unit tests cover it instead.
            let insert = matches!(op1, 0x55 | 0x59 | 0x5d | 0x51);
            let (f3, f4) = if insert { (0, 0x80) } else { (0, 0) };
            none(vec![
                0xec,
                r1 << 4 | rng.rreg(),
                bits[0] & (0x3f | f3),
                bits[1] & (0x3f | f4),
                bits[2] & 0x3f,
                op1,
            ])
        }
    }
}

/// Two different registers from `from`.
fn two_regs(rng: &mut Rng, from: &[u8]) -> (u8, u8) {
    loop {
        let (p, q) = (rng.pick(from), rng.pick(from));
        if p != q {
            break (p, q);
        }
    }
}

/// See [`Fmt::Trap`].
fn trap_unit(rng: &mut Rng, op0: u8, op1: u8) -> Unit {
    use std::cmp::Ordering;
    let (r1, r2) = two_regs(rng, &WRITABLE);
    let (v1, mut v2) = (rng.value(), rng.value());
    if rng.below(3) == 0 {
        v2 = v1;
    }
    let imm = rng.imm16();
    let s32 = |v: u64| i64::from(v as u32 as i32);
    let ord: Ordering = match (op0, op1) {
        (0xb9, 0x72) => s32(v1).cmp(&s32(v2)),
        (0xb9, 0x60) => (v1 as i64).cmp(&(v2 as i64)),
        (0xb9 | 0xeb, 0x73 | 0x23) => (v1 as u32).cmp(&(v2 as u32)),
        (0xb9 | 0xeb, _) => v1.cmp(&v2),
        (_, 0x72) => s32(v1).cmp(&i64::from(imm as i16)),
        (_, 0x70) => (v1 as i64).cmp(&i64::from(imm as i16)),
        (_, 0x73) => (v1 & 0xffff_ffff).cmp(&u64::from(imm)),
        _ => v1.cmp(&u64::from(imm)),
    };
    let hit = match ord {
        Ordering::Equal => 8u8,
        Ordering::Less => 4,
        Ordering::Greater => 2,
    };
    let m = u8::try_from(rng.below(16)).expect("small") & !hit & 0xe;
    let mut v = load_constant(v1, r1);
    v.extend(load_constant(v2, r2));
    match op0 {
        0xb9 => v.extend_from_slice(&[0xb9, op1, m << 4, r1 << 4 | r2]),
        0xec => {
            let [i0, i1] = imm.to_be_bytes();
            v.extend_from_slice(&[0xec, r1 << 4, i0, i1, m << 4, op1]);
        }
        _ => {
            let len = if op1 == 0x23 { 4 } else { 8 };
            let d = rng.disp(len);
            let [d0, d1] = d.to_be_bytes();
            if len == 4 {
                v.extend_from_slice(&[0x50, r2 << 4, BASE << 4 | d0, d1]);
            } else {
                v.extend_from_slice(&[0xe3, r2 << 4, BASE << 4 | d0, d1, 0, 0x24]);
            }
            v.extend_from_slice(&[0xeb, r1 << 4 | m, BASE << 4 | d0, d1, 0, op1]);
        }
    }
    Unit {
        bytes: v,
        rel: None,
    }
}

/// LA r,d(r12).
fn la(r: u8, d: usize) -> [u8; 4] {
    let [d0, d1] = u16::try_from(d).expect("small").to_be_bytes();
    [0x41, r << 4, BASE << 4 | d0, d1]
}

/// See [`Fmt::String`].
fn string_unit(rng: &mut Rng, op1: u8) -> Unit {
    let c = u8::try_from(rng.bits() >> 56).expect("shifted");
    // Two strings of at most k + 1 bytes, apart: [a, a + k] and [b, b + k].
    let k = rng.below(SCRATCH_LEN / 2 - 1);
    let a = rng.below(SCRATCH_LEN / 2 - k);
    let b = SCRATCH_LEN / 2 + rng.below(SCRATCH_LEN / 2 - k);
    let (a, b) = if rng.below(2) == 0 { (a, b) } else { (b, a) };
    let (r1, r2) = two_regs(rng, &WRITABLE[1..]);
    let mut v = vec![0xa7, 0x09, 0, c];
    let mvi = |at: usize| {
        let [d0, d1] = u16::try_from(at).expect("small").to_be_bytes();
        [0x92, c, BASE << 4 | d0, d1]
    };
    // The source always ends; CLST's other string too, sometimes earlier.
    v.extend_from_slice(&mvi(b + k));
    if op1 == 0x5d {
        v.extend_from_slice(&mvi(a + rng.below(k + 1)));
    }
    v.extend_from_slice(&la(r1, a));
    v.extend_from_slice(&la(r2, b));
    v.extend_from_slice(&[0xb2, op1, 0, r1 << 4 | r2, 0xa7, 0x14, 0xff, 0xfe]);
    Unit {
        bytes: v,
        rel: None,
    }
}

/// See [`Fmt::Long`].
fn long_unit(rng: &mut Rng, op0: u8) -> Unit {
    let (r1, r2) = two_regs(rng, &[0, 2, 4, 6, 8, 10]);
    let operand = |rng: &mut Rng| {
        let len = rng.below(SCRATCH_LEN / 2 + 1);
        (rng.below(SCRATCH_LEN + 1 - len), len)
    };
    let ((a1, l1), (a2, l2)) = (operand(rng), operand(rng));
    let pad = u64::from(u8::try_from(rng.bits() >> 56).expect("shifted"));
    let extended = matches!(op0, 0xa8 | 0xa9);
    let top = |rng: &mut Rng| {
        if extended {
            0
        } else {
            rng.bits() & !0xffff_ffff
        }
    };
    let mut v = la(r1, a1).to_vec();
    v.extend(load_constant(top(rng) | l1 as u64, r1 + 1));
    v.extend_from_slice(&la(r2, a2));
    let l2 = if extended {
        l2 as u64
    } else {
        top(rng) | pad << 24 | l2 as u64
    };
    v.extend(load_constant(l2, r2 + 1));
    if extended {
        let [p0, p1] = u16::try_from(pad).expect("byte").to_be_bytes();
        v.extend_from_slice(&[op0, r1 << 4 | r2, p0, p1, 0xa7, 0x14, 0xff, 0xfe]);
    } else {
        v.extend_from_slice(&[op0, r1 << 4 | r2]);
    }
    Unit {
        bytes: v,
        rel: None,
    }
}

/// A random case of up to `max_units` units from `table`.
#[must_use]
pub fn case(rng: &mut Rng, table: &[Op], max_units: usize) -> Case {
    let mut regs: [u64; 16] = core::array::from_fn(|_| rng.value());
    // Some registers equal to others, for compares.
    for _ in 0..rng.below(3) {
        let (a, b) = (rng.below(14), rng.below(14));
        regs[a] = regs[b];
    }
    regs[usize::from(BASE)] = SCRATCH_ADDR;
    regs[14] = 0;
    regs[15] = 0;
    let scratch = (0..SCRATCH_LEN)
        .map(|_| match rng.below(4) {
            0 => 0,
            1 => 0xff,
            _ => u8::try_from(rng.bits() >> 56).expect("shifted"),
        })
        .collect();
    let n = 1 + rng.below(max_units);
    let units = (0..n)
        .map(|_| {
            let o = table[rng.below(table.len())];
            unit(rng, &o)
        })
        .collect();
    Case {
        regs,
        cc: u8::try_from(rng.below(4)).expect("small"),
        scratch,
        units,
    }
}

// ---------------------------------------------------------------------------
// Comparison and shrinking

/// Whether the two sides disagree on `case`, run alone; the report if so.
fn diverges(harness: &Path, case: &Case) -> Option<String> {
    let (q, err) = run_qemu(harness, std::slice::from_ref(case));
    let i = run_interpreter(case);
    match (q.first(), &i) {
        (Some(q), Ok(i)) if q == i => None,
        (q, i) => Some(format!(
            "differs: {}\nQEMU:\n{}\ninterpreter:\n{}",
            differences(q, i.as_ref().ok()),
            q.map_or_else(|| err.unwrap_or_default(), ToString::to_string),
            match i {
                Ok(o) => o.to_string(),
                Err(e) => e.clone(),
            }
        )),
    }
}

/// Which parts of two outcomes differ.
fn differences(q: Option<&Outcome>, i: Option<&Outcome>) -> String {
    let (Some(q), Some(i)) = (q, i) else {
        return "one side did not finish".into();
    };
    let mut d: Vec<String> = (0..14)
        .filter(|&r| q.regs[r] != i.regs[r])
        .map(|r| format!("r{r}"))
        .collect();
    if q.cc != i.cc {
        d.push(format!("cc (QEMU {}, interpreter {})", q.cc, i.cc));
    }
    d.extend(
        (0..SCRATCH_LEN)
            .filter(|&k| q.scratch[k] != i.scratch[k])
            .map(|k| format!("scratch+{k:#x}")),
    );
    d.join(", ")
}

/// Drops units one at a time while the case still diverges; then a full
/// report: bytes, disassembly, registers and both results.
#[must_use]
pub fn shrink_and_report(harness: &Path, case: &Case) -> String {
    let mut c = case.clone();
    let mut i = 0;
    while i < c.units.len() && c.units.len() > 1 {
        let mut t = c.clone();
        t.units.remove(i);
        if diverges(harness, &t).is_some() {
            c = t;
        } else {
            i += 1;
        }
    }
    let code = c.code();
    let mut s = String::new();
    let _ = writeln!(s, "minimal divergent sequence ({} units):", c.units.len());
    let _ = write!(s, "  bytes:");
    for b in &code {
        let _ = write!(s, " {b:02x}");
    }
    let _ = writeln!(s);
    if let Some(lines) = crate::disassemble("oracle", &code) {
        for l in lines {
            let _ = writeln!(s, "  {l}");
        }
    }
    let _ = writeln!(s, "initial cc={} registers:", c.cc);
    for (i, r) in c.regs.iter().enumerate().take(14) {
        let _ = write!(s, "r{i}={r:016x}{}", if i % 4 == 3 { "\n" } else { " " });
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "initial scratch:");
    for (i, chunk) in c.scratch.chunks(32).enumerate() {
        let _ = write!(s, "  +{:03x}:", i * 32);
        for b in chunk {
            let _ = write!(s, " {b:02x}");
        }
        let _ = writeln!(s);
    }
    s + &diverges(harness, &c).unwrap_or_else(|| "(no longer diverges alone)".into())
}

/// Runs `count` random cases from `seed` in batches of `batch`; returns the
/// reports of the divergences (at most `max_reports`, shrunk).
///
/// # Panics
/// When QEMU cannot be started.
#[must_use]
pub fn check(
    harness: &Path,
    seed: u64,
    count: usize,
    batch: usize,
    max_reports: usize,
) -> Vec<String> {
    check_with(harness, TABLE, seed, count, batch, max_reports)
}

/// [`check`] with the units drawn from `table` (e.g. a part of [`TABLE`]).
///
/// # Panics
/// When QEMU cannot be started.
#[must_use]
pub fn check_with(
    harness: &Path,
    table: &[Op],
    seed: u64,
    count: usize,
    batch: usize,
    max_reports: usize,
) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let mut reports = Vec::new();
    let mut done = 0;
    while done < count && reports.len() < max_reports {
        let n = batch.min(count - done);
        let cases: Vec<Case> = (0..n).map(|_| case(&mut rng, table, 8)).collect();
        let (q, err) = run_qemu(harness, &cases);
        for (k, c) in cases.iter().enumerate() {
            let agree = match (q.get(k), run_interpreter(c)) {
                (Some(q), Ok(i)) => *q == i,
                _ => false,
            };
            if !agree {
                let why = if q.get(k).is_none() {
                    err.clone().unwrap_or_default()
                } else {
                    String::new()
                };
                reports.push(format!(
                    "case {} of seed {seed:#x}: {why}\n{}",
                    done + k,
                    shrink_and_report(harness, c)
                ));
                if reports.len() >= max_reports || q.get(k).is_none() {
                    break;
                }
            }
        }
        if q.len() < n {
            // QEMU died: the rest of the batch did not run.
            break;
        }
        done += n;
    }
    reports
}
