//! The instruction table: every instruction [`step`](super::step) executes,
//! with its opcode, mnemonic and operand layout, and a disassembler that
//! prints an instruction the way `s390x-linux-gnu-objdump -d` does.
//!
//! ```
//! use ucas_emulator::cpu::disasm::disassemble;
//!
//! let (len, text) = disassemble(&[0xe3, 0x12, 0xf0, 0x08, 0x00, 0x04]);
//! assert_eq!((len, text.to_string()), (6, "lg %r1,8(%r2,%r15)".to_owned()));
//! // Relative targets: `.+N` alone, the absolute address once placed.
//! let (_, text) = disassemble(&[0xc0, 0xe5, 0x00, 0x00, 0x00, 0x10]);
//! assert_eq!(text.to_string(), "brasl %r14,.+32");
//! assert_eq!(text.at(0x1000).to_string(), "brasl %r14,0x1020");
//! ```
//!
//! The syntax is binutils': registers `%rN`, `%fN`, `%aN`, `%cN`;
//! displacements and immediates in decimal (signed where the instruction
//! sign-extends them); `D(X,B)` as `D`, `D(%rB)` or `D(%rX,%rB)` as the
//! registers are zero or not; branch-on-condition, load/store-on-condition,
//! compare-and-branch and compare-and-trap instructions under their
//! extended mnemonics (`jne`, `br %r14`, `locgrh`, `crjl`, `clgtnh`) where
//! binutils has one. An opcode outside the table prints as data: `.short`
//! halfwords (2 and 6 bytes) or a `.long` (4 bytes).
//!
//! Bits the architecture reserves (zero in a valid instruction) are not
//! looked at: the interpreter ignores them too, so the text says what it
//! executes. (objdump prints such an instruction as `.long`.)
//!
//! The table is the one list of what the interpreter knows: a test runs
//! every opcode of the whole opcode space through [`step`](super::step)
//! and checks that it is an operation exception exactly when the opcode
//! has no row here.

use core::fmt;

use super::instruction_length;

/// Where an instruction's opcode extension sits, by its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extension {
    /// The first byte is the whole opcode.
    None,
    /// Bits 8–15 (01, B2, B3, B9, E5).
    Byte1,
    /// Bits 12–15 (A5, A7, C0, C2, C4, C6, C8, CC).
    Nibble,
    /// Bits 40–47 (E3, E7, EB, EC, ED).
    Byte5,
}

/// The opcode extension of instructions whose first byte is `op`.
#[must_use]
pub const fn extension(op: u8) -> Extension {
    match op {
        0x01 | 0xB2 | 0xB3 | 0xB9 | 0xE5 => Extension::Byte1,
        0xA5 | 0xA7 | 0xC0 | 0xC2 | 0xC4 | 0xC6 | 0xC8 | 0xCC => Extension::Nibble,
        0xE3 | 0xE7 | 0xEB | 0xEC | 0xED => Extension::Byte5,
        _ => Extension::None,
    }
}

/// The opcode of `text` as one number: the first byte in bits 8–15, the
/// extension (if any) in bits 0–7. This is the key of [`TABLE`].
#[must_use]
pub fn opcode(text: &[u8; 6]) -> u16 {
    let ext = match extension(text[0]) {
        Extension::None => 0,
        Extension::Byte1 => text[1],
        Extension::Nibble => text[1] & 0xF,
        Extension::Byte5 => text[5],
    };
    u16::from_be_bytes([text[0], ext])
}

/// How a condition-code mask field turns into an extended mnemonic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cond {
    /// Branch on condition: every mask has a name; 15 is the bare
    /// prefix (`b`, `br`, `j`, `jg`) and 0 is `nop` (`nopr`, `jnop`,
    /// `jgnop`). The mnemonic is `prefix` + condition + `suffix`.
    Branch(Branch),
    /// Load/store on condition: masks 1–14 are appended to the mnemonic
    /// (`locr` → `locrne`); 0 and 15 stay numbers.
    OnCondition,
    /// Compare and branch or trap: masks 2, 4, 6, 8, 10 and 12 are
    /// appended as `h l ne e nl nh`; the others stay numbers.
    Compare,
}

/// Which branch-on-condition instruction a [`Cond::Branch`] mask belongs
/// to: it gives the extended mnemonic's prefix and suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Branch {
    /// BCR: `b` + condition + `r`.
    Bcr,
    /// BC: `b` + condition.
    Bc,
    /// BRC: `j` + condition.
    Brc,
    /// BRCL: `jg` + condition.
    Brcl,
}

impl Branch {
    /// The extended mnemonic's start: `b`, `j` or `jg`.
    #[must_use]
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::Bcr | Self::Bc => "b",
            Self::Brc => "j",
            Self::Brcl => "jg",
        }
    }

    /// The extended mnemonic's end: `r` for BCR, else nothing.
    #[must_use]
    pub const fn suffix(self) -> &'static str {
        match self {
            Self::Bcr => "r",
            Self::Bc | Self::Brc | Self::Brcl => "",
        }
    }
}

/// One operand: where its fields are (bit numbers from the left, as the
/// architecture counts) and how it prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operand {
    /// A general register `%rN`, the 4 bits at the bit given.
    Gpr(u8),
    /// A floating-point register `%fN`.
    Fpr(u8),
    /// An access register `%aN`.
    Acr(u8),
    /// A control register `%cN`.
    Cr(u8),
    /// A 4-bit mask or count, in decimal.
    Mask(u8),
    /// An unsigned immediate: first bit, width.
    Unsigned(u8, u8),
    /// A signed immediate: first bit, width.
    Signed(u8, u8),
    /// A signed count of halfwords from the instruction: first bit,
    /// width.
    Relative(u8, u8),
    /// `D2(X2,B2)`: X2 at bit 12, B2 at 16, a 12-bit D2 at 20.
    Dxb,
    /// `D2(X2,B2)` with the signed 20-bit displacement DH:DL (DL at bit
    /// 20, DH at 32).
    Dxb20,
    /// `D(B)`: B at the bit given, a 12-bit D after it.
    Db(u8),
    /// `D2(B2)` with the 20-bit displacement (B2 at bit 16).
    Db20,
    /// `D1(L1,B1)` of SS: the length code (8 bits at bit 8) printed plus
    /// one, B1 at 16, D1 at 20.
    Dlb,
    /// A condition mask (4 bits at the bit given) that may become part of
    /// the mnemonic.
    Condition(u8, Cond),
    /// RISBG's I4 (8 bits at 24): with its zero flag (bit 24) set and
    /// the reserved bit 25 clear, the mnemonic gains `z` and the end bit
    /// (bits 26–31) prints; otherwise all eight bits print.
    ZeroFlag,
}

impl Operand {
    /// The instruction bits this operand is made of, as a mask over the
    /// six instruction bytes read as one big-endian number (bit 0 of the
    /// instruction is bit 47 of the mask). The bits no operand and no
    /// opcode covers are the ones the architecture reserves.
    #[must_use]
    pub fn fields(self) -> u64 {
        /// `width` bits from bit `pos`.
        fn span(pos: u8, width: u8) -> u64 {
            let ones = 1u64.wrapping_shl(u32::from(width)).wrapping_sub(1);
            ones.wrapping_shl(u32::from(48u8.wrapping_sub(pos).wrapping_sub(width)))
        }
        match self {
            Self::Gpr(p)
            | Self::Fpr(p)
            | Self::Acr(p)
            | Self::Cr(p)
            | Self::Mask(p)
            | Self::Condition(p, _) => span(p, 4),
            Self::Unsigned(p, w) | Self::Signed(p, w) | Self::Relative(p, w) => span(p, w),
            Self::Dxb => span(12, 20),
            Self::Dxb20 => span(12, 28),
            Self::Db(p) => span(p, 16),
            Self::Db20 => span(16, 24),
            Self::Dlb => span(8, 24),
            Self::ZeroFlag => span(24, 8),
        }
    }
}

/// The longest mnemonic in [`TABLE`] (extended mnemonics such as `locgrnhe`
/// are put together when printing; the table holds base mnemonics).
const MNEMONIC_MAX: usize = 7;

/// A row of the instruction table.
///
/// Ten bytes and no pointers: the whole table is plain data in the
/// binary, with no relocations (a `&str` and a `&[Operand]` per row cost
/// 32 bytes plus two 24-byte dynamic relocations in the static-pie
/// `ucas`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// The opcode, as [`opcode`] forms it.
    pub opcode: u16,
    /// The mnemonic's bytes, NUL-padded.
    name: [u8; MNEMONIC_MAX],
    /// The operands.
    layout: Layout,
}

impl Row {
    /// The mnemonic (the base one for extended-mnemonic families:
    /// `bcr`, `brc`, `locgr`, `crj`).
    #[must_use]
    pub fn mnemonic(&self) -> &str {
        let len = self
            .name
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(MNEMONIC_MAX);
        // `row` fills `name` from a `&str`, and every mnemonic is ASCII
        // (a test checks), so the cut is never inside a character.
        core::str::from_utf8(&self.name[..len]).unwrap_or("")
    }

    /// The operands, in assembler order.
    #[must_use]
    pub const fn operands(&self) -> &'static [Operand] {
        self.layout.operands()
    }
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Row")
            .field("opcode", &self.opcode)
            .field("mnemonic", &self.mnemonic())
            .field("operands", &self.operands())
            .finish()
    }
}

/// The row for `text`'s opcode, if the interpreter knows it.
#[must_use]
pub fn lookup(text: &[u8; 6]) -> Option<&'static Row> {
    let key = opcode(text);
    TABLE
        .binary_search_by_key(&key, |r| r.opcode)
        .ok()
        .map(|i| &TABLE[i])
}

/// Disassembles the instruction at the start of `text` (bytes past its
/// length are ignored): its length (2, 4 or 6, from the first byte) and
/// its text. Relative targets print as `.+N` until [`Disassembly::at`]
/// places the instruction.
#[must_use]
pub fn disassemble(text: &[u8; 6]) -> (u8, Disassembly) {
    let len = instruction_length(text[0]);
    let mut t = *text;
    t[usize::from(len)..].fill(0);
    (
        len,
        Disassembly {
            text: t,
            len,
            row: lookup(&t),
            addr: None,
        },
    )
}

/// One disassembled instruction; [`Display`](fmt::Display) prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disassembly {
    text: [u8; 6],
    len: u8,
    row: Option<&'static Row>,
    addr: Option<u64>,
}

impl Disassembly {
    /// The same instruction at vcpu address `addr`: relative targets
    /// print as absolute addresses (`0x1234`), as objdump prints them.
    #[must_use]
    pub const fn at(mut self, addr: u64) -> Self {
        self.addr = Some(addr);
        self
    }

    /// The table row, `None` for an opcode the interpreter does not know.
    #[must_use]
    pub const fn row(&self) -> Option<&'static Row> {
        self.row
    }

    /// The field of `width` bits at bit `pos` (from the left).
    fn field(&self, pos: u8, width: u8) -> u64 {
        let [a, b, c, d, e, f] = self.text;
        let all = u64::from_be_bytes([0, 0, a, b, c, d, e, f]);
        let shift = 48u8.wrapping_sub(pos).wrapping_sub(width);
        all.wrapping_shr(u32::from(shift)) & (1u64.wrapping_shl(u32::from(width))).wrapping_sub(1)
    }

    /// The field of `width` bits at `pos`, sign-extended.
    fn signed(&self, pos: u8, width: u8) -> i64 {
        let up = 64u8.wrapping_sub(width);
        self.field(pos, width)
            .wrapping_shl(u32::from(up))
            .cast_signed()
            .wrapping_shr(u32::from(up))
    }

    /// A 4-bit register number at `pos`.
    fn reg(&self, pos: u8) -> u64 {
        self.field(pos, 4)
    }

    /// The signed 20-bit displacement DL (bit 20) : DH (bit 32).
    fn disp20(&self) -> i64 {
        self.signed(32, 8).wrapping_shl(12) | self.disp12(20)
    }

    /// Whether RISBG's I4 says "zero the rest" in the form objdump names
    /// (bit 24 one, bit 25 zero).
    fn zero_flag(&self) -> bool {
        self.field(24, 2) == 0b10
    }

    /// The unsigned 12-bit displacement at `pos`.
    fn disp12(&self, pos: u8) -> i64 {
        self.field(pos, 12).cast_signed()
    }

    /// The extended mnemonic of `cond` for mask `m`, if there is one.
    fn extended(&self, m: u64, cond: Cond) -> Option<(&'static str, &'static str, &'static str)> {
        const NAMES: [&str; 16] = [
            "nop", "o", "h", "nle", "l", "nhe", "lh", "ne", "e", "nlh", "he", "nl", "le", "nh",
            "no", "",
        ];
        let m = usize::try_from(m).ok()?;
        let mnemonic = self.row.map_or("", |r| r.mnemonic());
        match cond {
            Cond::Branch(form) => {
                // `b` + nop would be "bnop": the BC and BCR no-ops are
                // plain `nop` and `nopr`.
                let prefix = match form {
                    Branch::Bcr | Branch::Bc if m == 0 => "",
                    _ => form.prefix(),
                };
                Some((prefix, NAMES[m], form.suffix()))
            }
            Cond::OnCondition => (1..=14).contains(&m).then(|| (mnemonic, NAMES[m], "")),
            Cond::Compare => {
                let name = match m {
                    2 => "h",
                    4 => "l",
                    6 => "ne",
                    8 => "e",
                    10 => "nl",
                    12 => "nh",
                    _ => return None,
                };
                Some((mnemonic, name, ""))
            }
        }
    }

    /// Writes `D`, `D(%rB)` or `D(%rX,%rB)`.
    fn write_address(f: &mut fmt::Formatter<'_>, d: i64, x: u64, b: u64) -> fmt::Result {
        match (x, b) {
            (0, 0) => write!(f, "{d}"),
            (0, b) => write!(f, "{d}(%r{b})"),
            (x, b) => write!(f, "{d}(%r{x},%r{b})"),
        }
    }

    /// Writes one operand (never a condition that became the mnemonic).
    fn write_operand(&self, f: &mut fmt::Formatter<'_>, op: Operand) -> fmt::Result {
        match op {
            Operand::Gpr(p) => write!(f, "%r{}", self.reg(p)),
            Operand::Fpr(p) => write!(f, "%f{}", self.reg(p)),
            Operand::Acr(p) => write!(f, "%a{}", self.reg(p)),
            Operand::Cr(p) => write!(f, "%c{}", self.reg(p)),
            Operand::Mask(p) | Operand::Condition(p, _) => write!(f, "{}", self.reg(p)),
            Operand::Unsigned(p, w) => write!(f, "{}", self.field(p, w)),
            Operand::Signed(p, w) => write!(f, "{}", self.signed(p, w)),
            Operand::ZeroFlag if self.zero_flag() => write!(f, "{}", self.field(26, 6)),
            Operand::ZeroFlag => write!(f, "{}", self.field(24, 8)),
            Operand::Relative(p, w) => {
                let off = self.signed(p, w).wrapping_mul(2);
                match self.addr {
                    Some(a) => write!(f, "0x{:x}", a.wrapping_add(off.cast_unsigned())),
                    None if off < 0 => write!(f, ".-{}", off.unsigned_abs()),
                    None => write!(f, ".+{off}"),
                }
            }
            Operand::Dxb => Self::write_address(f, self.disp12(20), self.reg(12), self.reg(16)),
            Operand::Dxb20 => Self::write_address(f, self.disp20(), self.reg(12), self.reg(16)),
            Operand::Db(p) => {
                Self::write_address(f, self.disp12(p.wrapping_add(4)), 0, self.reg(p))
            }
            Operand::Db20 => Self::write_address(f, self.disp20(), 0, self.reg(16)),
            Operand::Dlb => write!(
                f,
                "{}({},%r{})",
                self.field(20, 12),
                self.field(8, 8).wrapping_add(1),
                self.reg(16)
            ),
        }
    }

    /// Writes the bytes of an unknown instruction as data.
    fn write_data(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.text;
        match self.len {
            4 => write!(
                f,
                ".long 0x{:08x}",
                u32::from_be_bytes([t[0], t[1], t[2], t[3]])
            ),
            n => {
                write!(f, ".short ")?;
                let halves = t[..usize::from(n)].chunks(2);
                for (i, h) in halves.enumerate() {
                    let sep = if i == 0 { "" } else { "," };
                    write!(f, "{sep}0x{:02x}{:02x}", h[0], h[1])?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Disassembly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(row) = self.row else {
            return self.write_data(f);
        };
        // The mnemonic, with the condition or the zero flag folded in.
        let mut folded = None;
        let mut zero = false;
        for op in row.operands() {
            match *op {
                Operand::Condition(p, cond) => folded = self.extended(self.reg(p), cond),
                Operand::ZeroFlag => zero = self.zero_flag(),
                _ => {}
            }
        }
        match folded {
            Some((a, b, c)) => write!(f, "{a}{b}{c}")?,
            None => write!(f, "{}", row.mnemonic())?,
        }
        if zero {
            write!(f, "z")?;
        }
        let shown = row
            .operands()
            .iter()
            .filter(|op| !(matches!(op, Operand::Condition(..)) && folded.is_some()));
        // BCR 0,0 (and no other BCR) is objdump's bare `nopr`.
        let bare = row.opcode == 0x0700 && self.text[1] == 0;
        for (i, op) in shown.enumerate() {
            if bare {
                break;
            }
            write!(f, "{}", if i == 0 { " " } else { "," })?;
            self.write_operand(f, *op)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

// ---------------------------------------------------------------------------
// Operand layouts, named for the architecture's formats.

use Operand::{
    Acr, Condition, Cr, Db, Db20, Dlb, Dxb, Dxb20, Fpr, Gpr, Mask, Relative, Signed, Unsigned,
    ZeroFlag,
};

const NONE: &[Operand] = &[];
const RR: &[Operand] = &[Gpr(8), Gpr(12)];
const RR_F: &[Operand] = &[Fpr(8), Fpr(12)];
const BCR: &[Operand] = &[Condition(8, Cond::Branch(Branch::Bcr)), Gpr(12)];
const RX: &[Operand] = &[Gpr(8), Dxb];
const RX_F: &[Operand] = &[Fpr(8), Dxb];
const BC: &[Operand] = &[Condition(8, Cond::Branch(Branch::Bc)), Dxb];
const RS_A: &[Operand] = &[Gpr(8), Gpr(12), Db(16)];
const RS_C: &[Operand] = &[Cr(8), Cr(12), Db(16)];
const RS_AR: &[Operand] = &[Acr(8), Acr(12), Db(16)];
const RS_SHIFT: &[Operand] = &[Gpr(8), Db(16)];
const RS_B: &[Operand] = &[Gpr(8), Mask(12), Db(16)];
const RSI: &[Operand] = &[Gpr(8), Gpr(12), Relative(16, 16)];
const SI: &[Operand] = &[Db(16), Unsigned(8, 8)];
const S: &[Operand] = &[Db(16)];
const SS: &[Operand] = &[Dlb, Db(32)];
const SSE: &[Operand] = &[Db(16), Db(32)];
const RI_U: &[Operand] = &[Gpr(8), Unsigned(16, 16)];
const RI_S: &[Operand] = &[Gpr(8), Signed(16, 16)];
const RI_REL: &[Operand] = &[Gpr(8), Relative(16, 16)];
const BRC: &[Operand] = &[Condition(8, Cond::Branch(Branch::Brc)), Relative(16, 16)];
const RIL_U: &[Operand] = &[Gpr(8), Unsigned(16, 32)];
const RIL_S: &[Operand] = &[Gpr(8), Signed(16, 32)];
const RIL_REL: &[Operand] = &[Gpr(8), Relative(16, 32)];
const RIL_M_REL: &[Operand] = &[Mask(8), Relative(16, 32)];
const BRCL: &[Operand] = &[Condition(8, Cond::Branch(Branch::Brcl)), Relative(16, 32)];
const RRE: &[Operand] = &[Gpr(24), Gpr(28)];
const RRE_R1: &[Operand] = &[Gpr(24)];
const RRE_F1: &[Operand] = &[Fpr(24)];
const RRE_FR: &[Operand] = &[Fpr(24), Gpr(28)];
const RRE_RF: &[Operand] = &[Gpr(24), Fpr(28)];
const RRE_AR: &[Operand] = &[Acr(24), Gpr(28)];
const RRE_RA: &[Operand] = &[Gpr(24), Acr(28)];
const RRF_A: &[Operand] = &[Gpr(24), Gpr(28), Gpr(16)];
const RRF_LOC: &[Operand] = &[Gpr(24), Gpr(28), Condition(16, Cond::OnCondition)];
const RRF_TRAP: &[Operand] = &[Gpr(24), Gpr(28), Condition(16, Cond::Compare)];
const RXY: &[Operand] = &[Gpr(8), Dxb20];
const RXY_F: &[Operand] = &[Fpr(8), Dxb20];
const RXY_M: &[Operand] = &[Mask(8), Dxb20];
const RSY_A: &[Operand] = &[Gpr(8), Gpr(12), Db20];
const RSY_C: &[Operand] = &[Cr(8), Cr(12), Db20];
const RSY_AR: &[Operand] = &[Acr(8), Acr(12), Db20];
const RSY_B: &[Operand] = &[Gpr(8), Mask(12), Db20];
const RSY_TRAP: &[Operand] = &[Gpr(8), Condition(12, Cond::Compare), Db20];
const RSY_LOC: &[Operand] = &[Gpr(8), Db20, Condition(12, Cond::OnCondition)];
const SIY_U: &[Operand] = &[Db20, Unsigned(8, 8)];
const SIY_S: &[Operand] = &[Db20, Signed(8, 8)];
const SIL_U: &[Operand] = &[Db(16), Unsigned(32, 16)];
const SIL_S: &[Operand] = &[Db(16), Signed(32, 16)];
const RIE_A_U: &[Operand] = &[Gpr(8), Unsigned(16, 16), Condition(32, Cond::Compare)];
const RIE_A_S: &[Operand] = &[Gpr(8), Signed(16, 16), Condition(32, Cond::Compare)];
const RIE_B: &[Operand] = &[
    Gpr(8),
    Gpr(12),
    Condition(32, Cond::Compare),
    Relative(16, 16),
];
const RIE_C_U: &[Operand] = &[
    Gpr(8),
    Unsigned(32, 8),
    Condition(12, Cond::Compare),
    Relative(16, 16),
];
const RIE_C_S: &[Operand] = &[
    Gpr(8),
    Signed(32, 8),
    Condition(12, Cond::Compare),
    Relative(16, 16),
];
const RIE_D: &[Operand] = &[Gpr(8), Gpr(12), Signed(16, 16)];
const RIE_E: &[Operand] = &[Gpr(8), Gpr(12), Relative(16, 16)];
const RIE_F: &[Operand] = &[
    Gpr(8),
    Gpr(12),
    Unsigned(16, 8),
    Unsigned(24, 8),
    Unsigned(32, 8),
];
const RIE_F_Z: &[Operand] = &[Gpr(8), Gpr(12), Unsigned(16, 8), ZeroFlag, Unsigned(32, 8)];
const RIE_G: &[Operand] = &[Gpr(8), Signed(16, 16), Condition(12, Cond::OnCondition)];

/// An operand layout as one byte of a [`Row`]: each variant stands for
/// the list above of the same name in upper case (`Empty` for `NONE`,
/// `SFmt` for `S`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Layout {
    Empty,
    Rr,
    RrF,
    Bcr,
    Rx,
    RxF,
    Bc,
    RsA,
    RsC,
    RsAr,
    RsShift,
    RsB,
    Rsi,
    Si,
    SFmt,
    Ss,
    Sse,
    RiU,
    RiS,
    RiRel,
    Brc,
    RilU,
    RilS,
    RilRel,
    RilMRel,
    Brcl,
    Rre,
    RreR1,
    RreF1,
    RreFr,
    RreRf,
    RreAr,
    RreRa,
    RrfA,
    RrfLoc,
    RrfTrap,
    Rxy,
    RxyF,
    RxyM,
    RsyA,
    RsyC,
    RsyAr,
    RsyB,
    RsyTrap,
    RsyLoc,
    SiyU,
    SiyS,
    SilU,
    SilS,
    RieAU,
    RieAS,
    RieB,
    RieCU,
    RieCS,
    RieD,
    RieE,
    RieF,
    RieFZ,
    RieG,
}

impl Layout {
    /// The operands, in assembler order.
    const fn operands(self) -> &'static [Operand] {
        match self {
            Self::Empty => NONE,
            Self::Rr => RR,
            Self::RrF => RR_F,
            Self::Bcr => BCR,
            Self::Rx => RX,
            Self::RxF => RX_F,
            Self::Bc => BC,
            Self::RsA => RS_A,
            Self::RsC => RS_C,
            Self::RsAr => RS_AR,
            Self::RsShift => RS_SHIFT,
            Self::RsB => RS_B,
            Self::Rsi => RSI,
            Self::Si => SI,
            Self::SFmt => S,
            Self::Ss => SS,
            Self::Sse => SSE,
            Self::RiU => RI_U,
            Self::RiS => RI_S,
            Self::RiRel => RI_REL,
            Self::Brc => BRC,
            Self::RilU => RIL_U,
            Self::RilS => RIL_S,
            Self::RilRel => RIL_REL,
            Self::RilMRel => RIL_M_REL,
            Self::Brcl => BRCL,
            Self::Rre => RRE,
            Self::RreR1 => RRE_R1,
            Self::RreF1 => RRE_F1,
            Self::RreFr => RRE_FR,
            Self::RreRf => RRE_RF,
            Self::RreAr => RRE_AR,
            Self::RreRa => RRE_RA,
            Self::RrfA => RRF_A,
            Self::RrfLoc => RRF_LOC,
            Self::RrfTrap => RRF_TRAP,
            Self::Rxy => RXY,
            Self::RxyF => RXY_F,
            Self::RxyM => RXY_M,
            Self::RsyA => RSY_A,
            Self::RsyC => RSY_C,
            Self::RsyAr => RSY_AR,
            Self::RsyB => RSY_B,
            Self::RsyTrap => RSY_TRAP,
            Self::RsyLoc => RSY_LOC,
            Self::SiyU => SIY_U,
            Self::SiyS => SIY_S,
            Self::SilU => SIL_U,
            Self::SilS => SIL_S,
            Self::RieAU => RIE_A_U,
            Self::RieAS => RIE_A_S,
            Self::RieB => RIE_B,
            Self::RieCU => RIE_C_U,
            Self::RieCS => RIE_C_S,
            Self::RieD => RIE_D,
            Self::RieE => RIE_E,
            Self::RieF => RIE_F,
            Self::RieFZ => RIE_F_Z,
            Self::RieG => RIE_G,
        }
    }
}

use Layout::{
    Bc, Bcr, Brc, Brcl, Empty, RiRel, RiS, RiU, RieAS, RieAU, RieB, RieCS, RieCU, RieD, RieE, RieF,
    RieFZ, RieG, RilMRel, RilRel, RilS, RilU, Rr, RrF, Rre, RreAr, RreF1, RreFr, RreR1, RreRa,
    RreRf, RrfA, RrfLoc, RrfTrap, RsA, RsAr, RsB, RsC, RsShift, Rsi, RsyA, RsyAr, RsyB, RsyC,
    RsyLoc, RsyTrap, Rx, RxF, Rxy, RxyF, RxyM, SFmt, Si, SilS, SilU, SiyS, SiyU, Ss, Sse,
};

/// A row (for the table below). A mnemonic longer than
/// [`MNEMONIC_MAX`] or with a NUL in it fails the build.
const fn row(opcode: u16, mnemonic: &str, layout: Layout) -> Row {
    let bytes = mnemonic.as_bytes();
    assert!(bytes.len() <= MNEMONIC_MAX, "mnemonic too long for Row");
    let mut name = [0u8; MNEMONIC_MAX];
    let mut i = 0;
    while i < bytes.len() {
        assert!(bytes[i] != 0, "NUL in a mnemonic");
        name[i] = bytes[i];
        i = i.wrapping_add(1);
    }
    Row {
        opcode,
        name,
        layout,
    }
}

/// Every instruction the interpreter executes, sorted by [`opcode`]:
/// the first byte, then the extension (0 for one-byte opcodes).
pub static TABLE: &[Row] = &[
    row(0x0700, "bcr", Bcr),
    row(0x0D00, "basr", Rr),
    row(0x0E00, "mvcl", Rr),
    row(0x0F00, "clcl", Rr),
    row(0x1000, "lpr", Rr),
    row(0x1100, "lnr", Rr),
    row(0x1200, "ltr", Rr),
    row(0x1300, "lcr", Rr),
    row(0x1400, "nr", Rr),
    row(0x1500, "clr", Rr),
    row(0x1600, "or", Rr),
    row(0x1700, "xr", Rr),
    row(0x1800, "lr", Rr),
    row(0x1900, "cr", Rr),
    row(0x1A00, "ar", Rr),
    row(0x1B00, "sr", Rr),
    row(0x1C00, "mr", Rr),
    row(0x1D00, "dr", Rr),
    row(0x1E00, "alr", Rr),
    row(0x1F00, "slr", Rr),
    row(0x2800, "ldr", RrF),
    row(0x3800, "ler", RrF),
    row(0x4000, "sth", Rx),
    row(0x4100, "la", Rx),
    row(0x4200, "stc", Rx),
    row(0x4300, "ic", Rx),
    row(0x4400, "ex", Rx),
    row(0x4700, "bc", Bc),
    row(0x4800, "lh", Rx),
    row(0x4900, "ch", Rx),
    row(0x4A00, "ah", Rx),
    row(0x4B00, "sh", Rx),
    row(0x4C00, "mh", Rx),
    row(0x4D00, "bas", Rx),
    row(0x5000, "st", Rx),
    row(0x5400, "n", Rx),
    row(0x5500, "cl", Rx),
    row(0x5600, "o", Rx),
    row(0x5700, "x", Rx),
    row(0x5800, "l", Rx),
    row(0x5900, "c", Rx),
    row(0x5A00, "a", Rx),
    row(0x5B00, "s", Rx),
    row(0x5C00, "m", Rx),
    row(0x5D00, "d", Rx),
    row(0x5E00, "al", Rx),
    row(0x5F00, "sl", Rx),
    row(0x6000, "std", RxF),
    row(0x6800, "ld", RxF),
    row(0x7000, "ste", RxF),
    row(0x7100, "ms", Rx),
    row(0x7800, "le", RxF),
    row(0x8000, "ssm", SFmt),
    row(0x8200, "lpsw", SFmt),
    row(0x8300, "diag", RsA),
    row(0x8400, "brxh", Rsi),
    row(0x8500, "brxle", Rsi),
    row(0x8600, "bxh", RsA),
    row(0x8700, "bxle", RsA),
    row(0x8800, "srl", RsShift),
    row(0x8900, "sll", RsShift),
    row(0x8A00, "sra", RsShift),
    row(0x8B00, "sla", RsShift),
    row(0x8C00, "srdl", RsShift),
    row(0x8D00, "sldl", RsShift),
    row(0x8E00, "srda", RsShift),
    row(0x8F00, "slda", RsShift),
    row(0x9000, "stm", RsA),
    row(0x9100, "tm", Si),
    row(0x9200, "mvi", Si),
    row(0x9400, "ni", Si),
    row(0x9500, "cli", Si),
    row(0x9600, "oi", Si),
    row(0x9700, "xi", Si),
    row(0x9800, "lm", RsA),
    row(0x9A00, "lam", RsAr),
    row(0x9B00, "stam", RsAr),
    row(0xA500, "iihh", RiU),
    row(0xA501, "iihl", RiU),
    row(0xA502, "iilh", RiU),
    row(0xA503, "iill", RiU),
    row(0xA504, "nihh", RiU),
    row(0xA505, "nihl", RiU),
    row(0xA506, "nilh", RiU),
    row(0xA507, "nill", RiU),
    row(0xA508, "oihh", RiU),
    row(0xA509, "oihl", RiU),
    row(0xA50A, "oilh", RiU),
    row(0xA50B, "oill", RiU),
    row(0xA50C, "llihh", RiU),
    row(0xA50D, "llihl", RiU),
    row(0xA50E, "llilh", RiU),
    row(0xA50F, "llill", RiU),
    row(0xA700, "tmlh", RiU),
    row(0xA701, "tmll", RiU),
    row(0xA702, "tmhh", RiU),
    row(0xA703, "tmhl", RiU),
    row(0xA704, "brc", Brc),
    row(0xA705, "bras", RiRel),
    row(0xA706, "brct", RiRel),
    row(0xA707, "brctg", RiRel),
    row(0xA708, "lhi", RiS),
    row(0xA709, "lghi", RiS),
    row(0xA70A, "ahi", RiS),
    row(0xA70B, "aghi", RiS),
    row(0xA70C, "mhi", RiS),
    row(0xA70D, "mghi", RiS),
    row(0xA70E, "chi", RiS),
    row(0xA70F, "cghi", RiS),
    row(0xA800, "mvcle", RsA),
    row(0xA900, "clcle", RsA),
    row(0xAC00, "stnsm", Si),
    row(0xAD00, "stosm", Si),
    row(0xAE00, "sigp", RsA),
    row(0xB202, "stidp", SFmt),
    row(0xB204, "sck", SFmt),
    row(0xB205, "stck", SFmt),
    row(0xB206, "sckc", SFmt),
    row(0xB207, "stckc", SFmt),
    row(0xB20A, "spka", SFmt),
    row(0xB20B, "ipk", Empty),
    row(0xB20D, "ptlb", Empty),
    row(0xB210, "spx", SFmt),
    row(0xB211, "stpx", SFmt),
    row(0xB212, "stap", SFmt),
    row(0xB220, "servc", Rre),
    row(0xB222, "ipm", RreR1),
    row(0xB229, "iske", Rre),
    row(0xB22A, "rrbe", Rre),
    row(0xB22B, "sske", Rre),
    row(0xB22C, "tb", Rre),
    row(0xB230, "csch", Empty),
    row(0xB231, "hsch", Empty),
    row(0xB232, "msch", SFmt),
    row(0xB233, "ssch", SFmt),
    row(0xB234, "stsch", SFmt),
    row(0xB235, "tsch", SFmt),
    row(0xB236, "tpi", SFmt),
    row(0xB237, "sal", Empty),
    row(0xB238, "rsch", Empty),
    row(0xB239, "stcrw", SFmt),
    row(0xB23A, "stcps", SFmt),
    row(0xB23B, "rchp", Empty),
    row(0xB23C, "schm", Empty),
    row(0xB24E, "sar", RreAr),
    row(0xB24F, "ear", RreRa),
    row(0xB252, "msr", Rre),
    row(0xB255, "mvst", Rre),
    row(0xB25D, "clst", Rre),
    row(0xB25E, "srst", Rre),
    row(0xB25F, "chsc", Rre),
    row(0xB276, "xsch", Empty),
    row(0xB278, "stcke", SFmt),
    row(0xB27C, "stckf", SFmt),
    row(0xB27D, "stsi", SFmt),
    row(0xB2B0, "stfle", SFmt),
    row(0xB2B1, "stfl", SFmt),
    row(0xB2B2, "lpswe", SFmt),
    row(0xB374, "lzer", RreF1),
    row(0xB375, "lzdr", RreF1),
    row(0xB3C1, "ldgr", RreFr),
    row(0xB3CD, "lgdr", RreRf),
    row(0xB600, "stctl", RsC),
    row(0xB700, "lctl", RsC),
    row(0xB900, "lpgr", Rre),
    row(0xB901, "lngr", Rre),
    row(0xB902, "ltgr", Rre),
    row(0xB903, "lcgr", Rre),
    row(0xB904, "lgr", Rre),
    row(0xB906, "lgbr", Rre),
    row(0xB907, "lghr", Rre),
    row(0xB908, "agr", Rre),
    row(0xB909, "sgr", Rre),
    row(0xB90A, "algr", Rre),
    row(0xB90B, "slgr", Rre),
    row(0xB90C, "msgr", Rre),
    row(0xB90D, "dsgr", Rre),
    row(0xB910, "lpgfr", Rre),
    row(0xB911, "lngfr", Rre),
    row(0xB912, "ltgfr", Rre),
    row(0xB913, "lcgfr", Rre),
    row(0xB914, "lgfr", Rre),
    row(0xB916, "llgfr", Rre),
    row(0xB917, "llgtr", Rre),
    row(0xB918, "agfr", Rre),
    row(0xB919, "sgfr", Rre),
    row(0xB91A, "algfr", Rre),
    row(0xB91B, "slgfr", Rre),
    row(0xB91C, "msgfr", Rre),
    row(0xB91D, "dsgfr", Rre),
    row(0xB920, "cgr", Rre),
    row(0xB921, "clgr", Rre),
    row(0xB926, "lbr", Rre),
    row(0xB927, "lhr", Rre),
    row(0xB930, "cgfr", Rre),
    row(0xB931, "clgfr", Rre),
    row(0xB960, "cgrt", RrfTrap),
    row(0xB961, "clgrt", RrfTrap),
    row(0xB972, "crt", RrfTrap),
    row(0xB973, "clrt", RrfTrap),
    row(0xB980, "ngr", Rre),
    row(0xB981, "ogr", Rre),
    row(0xB982, "xgr", Rre),
    row(0xB983, "flogr", Rre),
    row(0xB984, "llgcr", Rre),
    row(0xB985, "llghr", Rre),
    row(0xB986, "mlgr", Rre),
    row(0xB987, "dlgr", Rre),
    row(0xB988, "alcgr", Rre),
    row(0xB989, "slbgr", Rre),
    row(0xB98D, "epsw", Rre),
    row(0xB994, "llcr", Rre),
    row(0xB995, "llhr", Rre),
    row(0xB996, "mlr", Rre),
    row(0xB997, "dlr", Rre),
    row(0xB998, "alcr", Rre),
    row(0xB999, "slbr", Rre),
    row(0xB9C8, "ahhhr", RrfA),
    row(0xB9C9, "shhhr", RrfA),
    row(0xB9CA, "alhhhr", RrfA),
    row(0xB9CB, "slhhhr", RrfA),
    row(0xB9CD, "chhr", Rre),
    row(0xB9CF, "clhhr", Rre),
    row(0xB9D8, "ahhlr", RrfA),
    row(0xB9D9, "shhlr", RrfA),
    row(0xB9DA, "alhhlr", RrfA),
    row(0xB9DB, "slhhlr", RrfA),
    row(0xB9DD, "chlr", Rre),
    row(0xB9DF, "clhlr", Rre),
    row(0xB9E1, "popcnt", Rre),
    row(0xB9E2, "locgr", RrfLoc),
    row(0xB9E4, "ngrk", RrfA),
    row(0xB9E6, "ogrk", RrfA),
    row(0xB9E7, "xgrk", RrfA),
    row(0xB9E8, "agrk", RrfA),
    row(0xB9E9, "sgrk", RrfA),
    row(0xB9EA, "algrk", RrfA),
    row(0xB9EB, "slgrk", RrfA),
    row(0xB9F2, "locr", RrfLoc),
    row(0xB9F4, "nrk", RrfA),
    row(0xB9F6, "ork", RrfA),
    row(0xB9F7, "xrk", RrfA),
    row(0xB9F8, "ark", RrfA),
    row(0xB9F9, "srk", RrfA),
    row(0xB9FA, "alrk", RrfA),
    row(0xB9FB, "slrk", RrfA),
    row(0xBA00, "cs", RsA),
    row(0xBE00, "stcm", RsB),
    row(0xBF00, "icm", RsB),
    row(0xC000, "larl", RilRel),
    row(0xC001, "lgfi", RilS),
    row(0xC004, "brcl", Brcl),
    row(0xC005, "brasl", RilRel),
    row(0xC006, "xihf", RilU),
    row(0xC007, "xilf", RilU),
    row(0xC008, "iihf", RilU),
    row(0xC009, "iilf", RilU),
    row(0xC00A, "nihf", RilU),
    row(0xC00B, "nilf", RilU),
    row(0xC00C, "oihf", RilU),
    row(0xC00D, "oilf", RilU),
    row(0xC00E, "llihf", RilU),
    row(0xC00F, "llilf", RilU),
    row(0xC200, "msgfi", RilS),
    row(0xC201, "msfi", RilS),
    row(0xC204, "slgfi", RilU),
    row(0xC205, "slfi", RilU),
    row(0xC208, "agfi", RilS),
    row(0xC209, "afi", RilS),
    row(0xC20A, "algfi", RilU),
    row(0xC20B, "alfi", RilU),
    row(0xC20C, "cgfi", RilS),
    row(0xC20D, "cfi", RilS),
    row(0xC20E, "clgfi", RilU),
    row(0xC20F, "clfi", RilU),
    row(0xC402, "llhrl", RilRel),
    row(0xC404, "lghrl", RilRel),
    row(0xC405, "lhrl", RilRel),
    row(0xC406, "llghrl", RilRel),
    row(0xC407, "sthrl", RilRel),
    row(0xC408, "lgrl", RilRel),
    row(0xC40B, "stgrl", RilRel),
    row(0xC40C, "lgfrl", RilRel),
    row(0xC40D, "lrl", RilRel),
    row(0xC40E, "llgfrl", RilRel),
    row(0xC40F, "strl", RilRel),
    row(0xC600, "exrl", RilRel),
    row(0xC602, "pfdrl", RilMRel),
    row(0xC604, "cghrl", RilRel),
    row(0xC605, "chrl", RilRel),
    row(0xC606, "clghrl", RilRel),
    row(0xC607, "clhrl", RilRel),
    row(0xC608, "cgrl", RilRel),
    row(0xC60A, "clgrl", RilRel),
    row(0xC60C, "cgfrl", RilRel),
    row(0xC60D, "crl", RilRel),
    row(0xC60E, "clgfrl", RilRel),
    row(0xC60F, "clrl", RilRel),
    row(0xCC06, "brcth", RilRel),
    row(0xCC08, "aih", RilS),
    row(0xCC0A, "alsih", RilS),
    row(0xCC0B, "alsihn", RilS),
    row(0xCC0D, "cih", RilS),
    row(0xCC0F, "clih", RilU),
    row(0xD000, "trtr", Ss),
    row(0xD200, "mvc", Ss),
    row(0xD400, "nc", Ss),
    row(0xD500, "clc", Ss),
    row(0xD600, "oc", Ss),
    row(0xD700, "xc", Ss),
    row(0xDC00, "tr", Ss),
    row(0xDD00, "trt", Ss),
    row(0xE302, "ltg", Rxy),
    row(0xE304, "lg", Rxy),
    row(0xE308, "ag", Rxy),
    row(0xE309, "sg", Rxy),
    row(0xE30A, "alg", Rxy),
    row(0xE30B, "slg", Rxy),
    row(0xE30C, "msg", Rxy),
    row(0xE30D, "dsg", Rxy),
    row(0xE312, "lt", Rxy),
    row(0xE314, "lgf", Rxy),
    row(0xE315, "lgh", Rxy),
    row(0xE316, "llgf", Rxy),
    row(0xE317, "llgt", Rxy),
    row(0xE318, "agf", Rxy),
    row(0xE319, "sgf", Rxy),
    row(0xE31A, "algf", Rxy),
    row(0xE31B, "slgf", Rxy),
    row(0xE31C, "msgf", Rxy),
    row(0xE31D, "dsgf", Rxy),
    row(0xE320, "cg", Rxy),
    row(0xE321, "clg", Rxy),
    row(0xE324, "stg", Rxy),
    row(0xE330, "cgf", Rxy),
    row(0xE331, "clgf", Rxy),
    row(0xE332, "ltgf", Rxy),
    row(0xE336, "pfd", RxyM),
    row(0xE350, "sty", Rxy),
    row(0xE351, "msy", Rxy),
    row(0xE354, "ny", Rxy),
    row(0xE355, "cly", Rxy),
    row(0xE356, "oy", Rxy),
    row(0xE357, "xy", Rxy),
    row(0xE358, "ly", Rxy),
    row(0xE359, "cy", Rxy),
    row(0xE35A, "ay", Rxy),
    row(0xE35B, "sy", Rxy),
    row(0xE35E, "aly", Rxy),
    row(0xE35F, "sly", Rxy),
    row(0xE370, "sthy", Rxy),
    row(0xE371, "lay", Rxy),
    row(0xE372, "stcy", Rxy),
    row(0xE373, "icy", Rxy),
    row(0xE376, "lb", Rxy),
    row(0xE377, "lgb", Rxy),
    row(0xE378, "lhy", Rxy),
    row(0xE379, "chy", Rxy),
    row(0xE37A, "ahy", Rxy),
    row(0xE37B, "shy", Rxy),
    row(0xE380, "ng", Rxy),
    row(0xE381, "og", Rxy),
    row(0xE382, "xg", Rxy),
    row(0xE385, "lgat", Rxy),
    row(0xE386, "mlg", Rxy),
    row(0xE387, "dlg", Rxy),
    row(0xE388, "alcg", Rxy),
    row(0xE389, "slbg", Rxy),
    row(0xE390, "llgc", Rxy),
    row(0xE391, "llgh", Rxy),
    row(0xE394, "llc", Rxy),
    row(0xE395, "llh", Rxy),
    row(0xE396, "ml", Rxy),
    row(0xE397, "dl", Rxy),
    row(0xE398, "alc", Rxy),
    row(0xE399, "slb", Rxy),
    row(0xE39C, "llgtat", Rxy),
    row(0xE39D, "llgfat", Rxy),
    row(0xE39F, "lat", Rxy),
    row(0xE3C0, "lbh", Rxy),
    row(0xE3C2, "llch", Rxy),
    row(0xE3C3, "stch", Rxy),
    row(0xE3C4, "lhh", Rxy),
    row(0xE3C6, "llhh", Rxy),
    row(0xE3C7, "sthh", Rxy),
    row(0xE3C8, "lfhat", Rxy),
    row(0xE3CA, "lfh", Rxy),
    row(0xE3CB, "stfh", Rxy),
    row(0xE3CD, "chf", Rxy),
    row(0xE3CF, "clhf", Rxy),
    row(0xE501, "tprot", Sse),
    row(0xE544, "mvhhi", SilS),
    row(0xE548, "mvghi", SilS),
    row(0xE54C, "mvhi", SilS),
    row(0xE554, "chhsi", SilS),
    row(0xE555, "clhhsi", SilU),
    row(0xE558, "cghsi", SilS),
    row(0xE559, "clghsi", SilU),
    row(0xE55C, "chsi", SilS),
    row(0xE55D, "clfhsi", SilU),
    row(0xEB04, "lmg", RsyA),
    row(0xEB0A, "srag", RsyA),
    row(0xEB0B, "slag", RsyA),
    row(0xEB0C, "srlg", RsyA),
    row(0xEB0D, "sllg", RsyA),
    row(0xEB14, "csy", RsyA),
    row(0xEB1C, "rllg", RsyA),
    row(0xEB1D, "rll", RsyA),
    row(0xEB23, "clt", RsyTrap),
    row(0xEB24, "stmg", RsyA),
    row(0xEB25, "stctg", RsyC),
    row(0xEB2B, "clgt", RsyTrap),
    row(0xEB2C, "stcmh", RsyB),
    row(0xEB2D, "stcmy", RsyB),
    row(0xEB2F, "lctlg", RsyC),
    row(0xEB30, "csg", RsyA),
    row(0xEB44, "bxhg", RsyA),
    row(0xEB45, "bxleg", RsyA),
    row(0xEB51, "tmy", SiyU),
    row(0xEB52, "mviy", SiyU),
    row(0xEB54, "niy", SiyU),
    row(0xEB55, "cliy", SiyU),
    row(0xEB56, "oiy", SiyU),
    row(0xEB57, "xiy", SiyU),
    row(0xEB6A, "asi", SiyS),
    row(0xEB6E, "alsi", SiyS),
    row(0xEB7A, "agsi", SiyS),
    row(0xEB7E, "algsi", SiyS),
    row(0xEB80, "icmh", RsyB),
    row(0xEB81, "icmy", RsyB),
    row(0xEB90, "stmy", RsyA),
    row(0xEB98, "lmy", RsyA),
    row(0xEB9A, "lamy", RsyAr),
    row(0xEB9B, "stamy", RsyAr),
    row(0xEBDC, "srak", RsyA),
    row(0xEBDD, "slak", RsyA),
    row(0xEBDE, "srlk", RsyA),
    row(0xEBDF, "sllk", RsyA),
    row(0xEBE2, "locg", RsyLoc),
    row(0xEBE3, "stocg", RsyLoc),
    row(0xEBE4, "lang", RsyA),
    row(0xEBE6, "laog", RsyA),
    row(0xEBE7, "laxg", RsyA),
    row(0xEBE8, "laag", RsyA),
    row(0xEBEA, "laalg", RsyA),
    row(0xEBF2, "loc", RsyLoc),
    row(0xEBF3, "stoc", RsyLoc),
    row(0xEBF4, "lan", RsyA),
    row(0xEBF6, "lao", RsyA),
    row(0xEBF7, "lax", RsyA),
    row(0xEBF8, "laa", RsyA),
    row(0xEBFA, "laal", RsyA),
    row(0xEC42, "lochi", RieG),
    row(0xEC44, "brxhg", RieE),
    row(0xEC45, "brxlg", RieE),
    row(0xEC46, "locghi", RieG),
    row(0xEC51, "risblg", RieF),
    row(0xEC54, "rnsbg", RieF),
    row(0xEC55, "risbg", RieFZ),
    row(0xEC56, "rosbg", RieF),
    row(0xEC57, "rxsbg", RieF),
    row(0xEC59, "risbgn", RieFZ),
    row(0xEC5D, "risbhg", RieF),
    row(0xEC64, "cgrj", RieB),
    row(0xEC65, "clgrj", RieB),
    row(0xEC70, "cgit", RieAS),
    row(0xEC71, "clgit", RieAU),
    row(0xEC72, "cit", RieAS),
    row(0xEC73, "clfit", RieAU),
    row(0xEC76, "crj", RieB),
    row(0xEC77, "clrj", RieB),
    row(0xEC7C, "cgij", RieCS),
    row(0xEC7D, "clgij", RieCU),
    row(0xEC7E, "cij", RieCS),
    row(0xEC7F, "clij", RieCU),
    row(0xECD8, "ahik", RieD),
    row(0xECD9, "aghik", RieD),
    row(0xECDA, "alhsik", RieD),
    row(0xECDB, "alghsik", RieD),
    row(0xED64, "ley", RxyF),
    row(0xED65, "ldy", RxyF),
    row(0xED66, "stey", RxyF),
    row(0xED67, "stdy", RxyF),
];
