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
    Branch {
        /// `b` or `j` or `jg`.
        prefix: &'static str,
        /// `r` for BCR.
        suffix: &'static str,
    },
    /// Load/store on condition: masks 1–14 are appended to the mnemonic
    /// (`locr` → `locrne`); 0 and 15 stay numbers.
    OnCondition,
    /// Compare and branch or trap: masks 2, 4, 6, 8, 10 and 12 are
    /// appended as `h l ne e nl nh`; the others stay numbers.
    Compare,
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

/// A row of the instruction table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// The opcode, as [`opcode`] forms it.
    pub opcode: u16,
    /// The mnemonic (the base one for extended-mnemonic families:
    /// `bcr`, `brc`, `locgr`, `crj`).
    pub mnemonic: &'static str,
    /// The operands, in assembler order.
    pub operands: &'static [Operand],
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
        let mnemonic = self.row.map_or("", |r| r.mnemonic);
        match cond {
            Cond::Branch { prefix, suffix } => {
                // `b` + nop would be "bnop": the BC and BCR no-ops are
                // plain `nop` and `nopr`.
                let prefix = if m == 0 && prefix == "b" { "" } else { prefix };
                Some((prefix, NAMES[m], suffix))
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
        for op in row.operands {
            match *op {
                Operand::Condition(p, cond) => folded = self.extended(self.reg(p), cond),
                Operand::ZeroFlag => zero = self.zero_flag(),
                _ => {}
            }
        }
        match folded {
            Some((a, b, c)) => write!(f, "{a}{b}{c}")?,
            None => write!(f, "{}", row.mnemonic)?,
        }
        if zero {
            write!(f, "z")?;
        }
        let shown = row
            .operands
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
const BCR: &[Operand] = &[
    Condition(
        8,
        Cond::Branch {
            prefix: "b",
            suffix: "r",
        },
    ),
    Gpr(12),
];
const RX: &[Operand] = &[Gpr(8), Dxb];
const RX_F: &[Operand] = &[Fpr(8), Dxb];
const BC: &[Operand] = &[
    Condition(
        8,
        Cond::Branch {
            prefix: "b",
            suffix: "",
        },
    ),
    Dxb,
];
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
const BRC: &[Operand] = &[
    Condition(
        8,
        Cond::Branch {
            prefix: "j",
            suffix: "",
        },
    ),
    Relative(16, 16),
];
const RIL_U: &[Operand] = &[Gpr(8), Unsigned(16, 32)];
const RIL_S: &[Operand] = &[Gpr(8), Signed(16, 32)];
const RIL_REL: &[Operand] = &[Gpr(8), Relative(16, 32)];
const RIL_M_REL: &[Operand] = &[Mask(8), Relative(16, 32)];
const BRCL: &[Operand] = &[
    Condition(
        8,
        Cond::Branch {
            prefix: "jg",
            suffix: "",
        },
    ),
    Relative(16, 32),
];
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

/// A row (for the table below).
const fn row(opcode: u16, mnemonic: &'static str, operands: &'static [Operand]) -> Row {
    Row {
        opcode,
        mnemonic,
        operands,
    }
}

/// Every instruction the interpreter executes, sorted by [`opcode`]:
/// the first byte, then the extension (0 for one-byte opcodes).
pub static TABLE: &[Row] = &[
    row(0x0700, "bcr", BCR),
    row(0x0D00, "basr", RR),
    row(0x0E00, "mvcl", RR),
    row(0x0F00, "clcl", RR),
    row(0x1000, "lpr", RR),
    row(0x1100, "lnr", RR),
    row(0x1200, "ltr", RR),
    row(0x1300, "lcr", RR),
    row(0x1400, "nr", RR),
    row(0x1500, "clr", RR),
    row(0x1600, "or", RR),
    row(0x1700, "xr", RR),
    row(0x1800, "lr", RR),
    row(0x1900, "cr", RR),
    row(0x1A00, "ar", RR),
    row(0x1B00, "sr", RR),
    row(0x1C00, "mr", RR),
    row(0x1D00, "dr", RR),
    row(0x1E00, "alr", RR),
    row(0x1F00, "slr", RR),
    row(0x2800, "ldr", RR_F),
    row(0x3800, "ler", RR_F),
    row(0x4000, "sth", RX),
    row(0x4100, "la", RX),
    row(0x4200, "stc", RX),
    row(0x4300, "ic", RX),
    row(0x4400, "ex", RX),
    row(0x4700, "bc", BC),
    row(0x4800, "lh", RX),
    row(0x4900, "ch", RX),
    row(0x4A00, "ah", RX),
    row(0x4B00, "sh", RX),
    row(0x4C00, "mh", RX),
    row(0x4D00, "bas", RX),
    row(0x5000, "st", RX),
    row(0x5400, "n", RX),
    row(0x5500, "cl", RX),
    row(0x5600, "o", RX),
    row(0x5700, "x", RX),
    row(0x5800, "l", RX),
    row(0x5900, "c", RX),
    row(0x5A00, "a", RX),
    row(0x5B00, "s", RX),
    row(0x5C00, "m", RX),
    row(0x5D00, "d", RX),
    row(0x5E00, "al", RX),
    row(0x5F00, "sl", RX),
    row(0x6000, "std", RX_F),
    row(0x6800, "ld", RX_F),
    row(0x7000, "ste", RX_F),
    row(0x7100, "ms", RX),
    row(0x7800, "le", RX_F),
    row(0x8000, "ssm", S),
    row(0x8200, "lpsw", S),
    row(0x8300, "diag", RS_A),
    row(0x8400, "brxh", RSI),
    row(0x8500, "brxle", RSI),
    row(0x8600, "bxh", RS_A),
    row(0x8700, "bxle", RS_A),
    row(0x8800, "srl", RS_SHIFT),
    row(0x8900, "sll", RS_SHIFT),
    row(0x8A00, "sra", RS_SHIFT),
    row(0x8B00, "sla", RS_SHIFT),
    row(0x8C00, "srdl", RS_SHIFT),
    row(0x8D00, "sldl", RS_SHIFT),
    row(0x8E00, "srda", RS_SHIFT),
    row(0x8F00, "slda", RS_SHIFT),
    row(0x9000, "stm", RS_A),
    row(0x9100, "tm", SI),
    row(0x9200, "mvi", SI),
    row(0x9400, "ni", SI),
    row(0x9500, "cli", SI),
    row(0x9600, "oi", SI),
    row(0x9700, "xi", SI),
    row(0x9800, "lm", RS_A),
    row(0x9A00, "lam", RS_AR),
    row(0x9B00, "stam", RS_AR),
    row(0xA500, "iihh", RI_U),
    row(0xA501, "iihl", RI_U),
    row(0xA502, "iilh", RI_U),
    row(0xA503, "iill", RI_U),
    row(0xA504, "nihh", RI_U),
    row(0xA505, "nihl", RI_U),
    row(0xA506, "nilh", RI_U),
    row(0xA507, "nill", RI_U),
    row(0xA508, "oihh", RI_U),
    row(0xA509, "oihl", RI_U),
    row(0xA50A, "oilh", RI_U),
    row(0xA50B, "oill", RI_U),
    row(0xA50C, "llihh", RI_U),
    row(0xA50D, "llihl", RI_U),
    row(0xA50E, "llilh", RI_U),
    row(0xA50F, "llill", RI_U),
    row(0xA700, "tmlh", RI_U),
    row(0xA701, "tmll", RI_U),
    row(0xA702, "tmhh", RI_U),
    row(0xA703, "tmhl", RI_U),
    row(0xA704, "brc", BRC),
    row(0xA705, "bras", RI_REL),
    row(0xA706, "brct", RI_REL),
    row(0xA707, "brctg", RI_REL),
    row(0xA708, "lhi", RI_S),
    row(0xA709, "lghi", RI_S),
    row(0xA70A, "ahi", RI_S),
    row(0xA70B, "aghi", RI_S),
    row(0xA70C, "mhi", RI_S),
    row(0xA70D, "mghi", RI_S),
    row(0xA70E, "chi", RI_S),
    row(0xA70F, "cghi", RI_S),
    row(0xA800, "mvcle", RS_A),
    row(0xA900, "clcle", RS_A),
    row(0xAC00, "stnsm", SI),
    row(0xAD00, "stosm", SI),
    row(0xAE00, "sigp", RS_A),
    row(0xB202, "stidp", S),
    row(0xB204, "sck", S),
    row(0xB205, "stck", S),
    row(0xB206, "sckc", S),
    row(0xB207, "stckc", S),
    row(0xB20A, "spka", S),
    row(0xB20B, "ipk", NONE),
    row(0xB20D, "ptlb", NONE),
    row(0xB210, "spx", S),
    row(0xB211, "stpx", S),
    row(0xB212, "stap", S),
    row(0xB220, "servc", RRE),
    row(0xB222, "ipm", RRE_R1),
    row(0xB229, "iske", RRE),
    row(0xB22A, "rrbe", RRE),
    row(0xB22B, "sske", RRE),
    row(0xB22C, "tb", RRE),
    row(0xB230, "csch", NONE),
    row(0xB231, "hsch", NONE),
    row(0xB232, "msch", S),
    row(0xB233, "ssch", S),
    row(0xB234, "stsch", S),
    row(0xB235, "tsch", S),
    row(0xB236, "tpi", S),
    row(0xB237, "sal", NONE),
    row(0xB238, "rsch", NONE),
    row(0xB239, "stcrw", S),
    row(0xB23A, "stcps", S),
    row(0xB23B, "rchp", NONE),
    row(0xB23C, "schm", NONE),
    row(0xB24E, "sar", RRE_AR),
    row(0xB24F, "ear", RRE_RA),
    row(0xB252, "msr", RRE),
    row(0xB255, "mvst", RRE),
    row(0xB25D, "clst", RRE),
    row(0xB25E, "srst", RRE),
    row(0xB25F, "chsc", RRE),
    row(0xB276, "xsch", NONE),
    row(0xB278, "stcke", S),
    row(0xB27C, "stckf", S),
    row(0xB27D, "stsi", S),
    row(0xB2B0, "stfle", S),
    row(0xB2B1, "stfl", S),
    row(0xB2B2, "lpswe", S),
    row(0xB374, "lzer", RRE_F1),
    row(0xB375, "lzdr", RRE_F1),
    row(0xB3C1, "ldgr", RRE_FR),
    row(0xB3CD, "lgdr", RRE_RF),
    row(0xB600, "stctl", RS_C),
    row(0xB700, "lctl", RS_C),
    row(0xB900, "lpgr", RRE),
    row(0xB901, "lngr", RRE),
    row(0xB902, "ltgr", RRE),
    row(0xB903, "lcgr", RRE),
    row(0xB904, "lgr", RRE),
    row(0xB906, "lgbr", RRE),
    row(0xB907, "lghr", RRE),
    row(0xB908, "agr", RRE),
    row(0xB909, "sgr", RRE),
    row(0xB90A, "algr", RRE),
    row(0xB90B, "slgr", RRE),
    row(0xB90C, "msgr", RRE),
    row(0xB90D, "dsgr", RRE),
    row(0xB910, "lpgfr", RRE),
    row(0xB911, "lngfr", RRE),
    row(0xB912, "ltgfr", RRE),
    row(0xB913, "lcgfr", RRE),
    row(0xB914, "lgfr", RRE),
    row(0xB916, "llgfr", RRE),
    row(0xB917, "llgtr", RRE),
    row(0xB918, "agfr", RRE),
    row(0xB919, "sgfr", RRE),
    row(0xB91A, "algfr", RRE),
    row(0xB91B, "slgfr", RRE),
    row(0xB91C, "msgfr", RRE),
    row(0xB91D, "dsgfr", RRE),
    row(0xB920, "cgr", RRE),
    row(0xB921, "clgr", RRE),
    row(0xB926, "lbr", RRE),
    row(0xB927, "lhr", RRE),
    row(0xB930, "cgfr", RRE),
    row(0xB931, "clgfr", RRE),
    row(0xB960, "cgrt", RRF_TRAP),
    row(0xB961, "clgrt", RRF_TRAP),
    row(0xB972, "crt", RRF_TRAP),
    row(0xB973, "clrt", RRF_TRAP),
    row(0xB980, "ngr", RRE),
    row(0xB981, "ogr", RRE),
    row(0xB982, "xgr", RRE),
    row(0xB983, "flogr", RRE),
    row(0xB984, "llgcr", RRE),
    row(0xB985, "llghr", RRE),
    row(0xB986, "mlgr", RRE),
    row(0xB987, "dlgr", RRE),
    row(0xB988, "alcgr", RRE),
    row(0xB989, "slbgr", RRE),
    row(0xB98D, "epsw", RRE),
    row(0xB994, "llcr", RRE),
    row(0xB995, "llhr", RRE),
    row(0xB996, "mlr", RRE),
    row(0xB997, "dlr", RRE),
    row(0xB998, "alcr", RRE),
    row(0xB999, "slbr", RRE),
    row(0xB9C8, "ahhhr", RRF_A),
    row(0xB9C9, "shhhr", RRF_A),
    row(0xB9CA, "alhhhr", RRF_A),
    row(0xB9CB, "slhhhr", RRF_A),
    row(0xB9CD, "chhr", RRE),
    row(0xB9CF, "clhhr", RRE),
    row(0xB9D8, "ahhlr", RRF_A),
    row(0xB9D9, "shhlr", RRF_A),
    row(0xB9DA, "alhhlr", RRF_A),
    row(0xB9DB, "slhhlr", RRF_A),
    row(0xB9DD, "chlr", RRE),
    row(0xB9DF, "clhlr", RRE),
    row(0xB9E1, "popcnt", RRE),
    row(0xB9E2, "locgr", RRF_LOC),
    row(0xB9E4, "ngrk", RRF_A),
    row(0xB9E6, "ogrk", RRF_A),
    row(0xB9E7, "xgrk", RRF_A),
    row(0xB9E8, "agrk", RRF_A),
    row(0xB9E9, "sgrk", RRF_A),
    row(0xB9EA, "algrk", RRF_A),
    row(0xB9EB, "slgrk", RRF_A),
    row(0xB9F2, "locr", RRF_LOC),
    row(0xB9F4, "nrk", RRF_A),
    row(0xB9F6, "ork", RRF_A),
    row(0xB9F7, "xrk", RRF_A),
    row(0xB9F8, "ark", RRF_A),
    row(0xB9F9, "srk", RRF_A),
    row(0xB9FA, "alrk", RRF_A),
    row(0xB9FB, "slrk", RRF_A),
    row(0xBA00, "cs", RS_A),
    row(0xBE00, "stcm", RS_B),
    row(0xBF00, "icm", RS_B),
    row(0xC000, "larl", RIL_REL),
    row(0xC001, "lgfi", RIL_S),
    row(0xC004, "brcl", BRCL),
    row(0xC005, "brasl", RIL_REL),
    row(0xC006, "xihf", RIL_U),
    row(0xC007, "xilf", RIL_U),
    row(0xC008, "iihf", RIL_U),
    row(0xC009, "iilf", RIL_U),
    row(0xC00A, "nihf", RIL_U),
    row(0xC00B, "nilf", RIL_U),
    row(0xC00C, "oihf", RIL_U),
    row(0xC00D, "oilf", RIL_U),
    row(0xC00E, "llihf", RIL_U),
    row(0xC00F, "llilf", RIL_U),
    row(0xC200, "msgfi", RIL_S),
    row(0xC201, "msfi", RIL_S),
    row(0xC204, "slgfi", RIL_U),
    row(0xC205, "slfi", RIL_U),
    row(0xC208, "agfi", RIL_S),
    row(0xC209, "afi", RIL_S),
    row(0xC20A, "algfi", RIL_U),
    row(0xC20B, "alfi", RIL_U),
    row(0xC20C, "cgfi", RIL_S),
    row(0xC20D, "cfi", RIL_S),
    row(0xC20E, "clgfi", RIL_U),
    row(0xC20F, "clfi", RIL_U),
    row(0xC402, "llhrl", RIL_REL),
    row(0xC404, "lghrl", RIL_REL),
    row(0xC405, "lhrl", RIL_REL),
    row(0xC406, "llghrl", RIL_REL),
    row(0xC407, "sthrl", RIL_REL),
    row(0xC408, "lgrl", RIL_REL),
    row(0xC40B, "stgrl", RIL_REL),
    row(0xC40C, "lgfrl", RIL_REL),
    row(0xC40D, "lrl", RIL_REL),
    row(0xC40E, "llgfrl", RIL_REL),
    row(0xC40F, "strl", RIL_REL),
    row(0xC600, "exrl", RIL_REL),
    row(0xC602, "pfdrl", RIL_M_REL),
    row(0xC604, "cghrl", RIL_REL),
    row(0xC605, "chrl", RIL_REL),
    row(0xC606, "clghrl", RIL_REL),
    row(0xC607, "clhrl", RIL_REL),
    row(0xC608, "cgrl", RIL_REL),
    row(0xC60A, "clgrl", RIL_REL),
    row(0xC60C, "cgfrl", RIL_REL),
    row(0xC60D, "crl", RIL_REL),
    row(0xC60E, "clgfrl", RIL_REL),
    row(0xC60F, "clrl", RIL_REL),
    row(0xCC06, "brcth", RIL_REL),
    row(0xCC08, "aih", RIL_S),
    row(0xCC0A, "alsih", RIL_S),
    row(0xCC0B, "alsihn", RIL_S),
    row(0xCC0D, "cih", RIL_S),
    row(0xCC0F, "clih", RIL_U),
    row(0xD000, "trtr", SS),
    row(0xD200, "mvc", SS),
    row(0xD400, "nc", SS),
    row(0xD500, "clc", SS),
    row(0xD600, "oc", SS),
    row(0xD700, "xc", SS),
    row(0xDC00, "tr", SS),
    row(0xDD00, "trt", SS),
    row(0xE302, "ltg", RXY),
    row(0xE304, "lg", RXY),
    row(0xE308, "ag", RXY),
    row(0xE309, "sg", RXY),
    row(0xE30A, "alg", RXY),
    row(0xE30B, "slg", RXY),
    row(0xE30C, "msg", RXY),
    row(0xE30D, "dsg", RXY),
    row(0xE312, "lt", RXY),
    row(0xE314, "lgf", RXY),
    row(0xE315, "lgh", RXY),
    row(0xE316, "llgf", RXY),
    row(0xE317, "llgt", RXY),
    row(0xE318, "agf", RXY),
    row(0xE319, "sgf", RXY),
    row(0xE31A, "algf", RXY),
    row(0xE31B, "slgf", RXY),
    row(0xE31C, "msgf", RXY),
    row(0xE31D, "dsgf", RXY),
    row(0xE320, "cg", RXY),
    row(0xE321, "clg", RXY),
    row(0xE324, "stg", RXY),
    row(0xE330, "cgf", RXY),
    row(0xE331, "clgf", RXY),
    row(0xE332, "ltgf", RXY),
    row(0xE336, "pfd", RXY_M),
    row(0xE350, "sty", RXY),
    row(0xE351, "msy", RXY),
    row(0xE354, "ny", RXY),
    row(0xE355, "cly", RXY),
    row(0xE356, "oy", RXY),
    row(0xE357, "xy", RXY),
    row(0xE358, "ly", RXY),
    row(0xE359, "cy", RXY),
    row(0xE35A, "ay", RXY),
    row(0xE35B, "sy", RXY),
    row(0xE35E, "aly", RXY),
    row(0xE35F, "sly", RXY),
    row(0xE370, "sthy", RXY),
    row(0xE371, "lay", RXY),
    row(0xE372, "stcy", RXY),
    row(0xE373, "icy", RXY),
    row(0xE376, "lb", RXY),
    row(0xE377, "lgb", RXY),
    row(0xE378, "lhy", RXY),
    row(0xE379, "chy", RXY),
    row(0xE37A, "ahy", RXY),
    row(0xE37B, "shy", RXY),
    row(0xE380, "ng", RXY),
    row(0xE381, "og", RXY),
    row(0xE382, "xg", RXY),
    row(0xE385, "lgat", RXY),
    row(0xE386, "mlg", RXY),
    row(0xE387, "dlg", RXY),
    row(0xE388, "alcg", RXY),
    row(0xE389, "slbg", RXY),
    row(0xE390, "llgc", RXY),
    row(0xE391, "llgh", RXY),
    row(0xE394, "llc", RXY),
    row(0xE395, "llh", RXY),
    row(0xE396, "ml", RXY),
    row(0xE397, "dl", RXY),
    row(0xE398, "alc", RXY),
    row(0xE399, "slb", RXY),
    row(0xE39C, "llgtat", RXY),
    row(0xE39D, "llgfat", RXY),
    row(0xE39F, "lat", RXY),
    row(0xE3C0, "lbh", RXY),
    row(0xE3C2, "llch", RXY),
    row(0xE3C3, "stch", RXY),
    row(0xE3C4, "lhh", RXY),
    row(0xE3C6, "llhh", RXY),
    row(0xE3C7, "sthh", RXY),
    row(0xE3C8, "lfhat", RXY),
    row(0xE3CA, "lfh", RXY),
    row(0xE3CB, "stfh", RXY),
    row(0xE3CD, "chf", RXY),
    row(0xE3CF, "clhf", RXY),
    row(0xE501, "tprot", SSE),
    row(0xE544, "mvhhi", SIL_S),
    row(0xE548, "mvghi", SIL_S),
    row(0xE54C, "mvhi", SIL_S),
    row(0xE554, "chhsi", SIL_S),
    row(0xE555, "clhhsi", SIL_U),
    row(0xE558, "cghsi", SIL_S),
    row(0xE559, "clghsi", SIL_U),
    row(0xE55C, "chsi", SIL_S),
    row(0xE55D, "clfhsi", SIL_U),
    row(0xEB04, "lmg", RSY_A),
    row(0xEB0A, "srag", RSY_A),
    row(0xEB0B, "slag", RSY_A),
    row(0xEB0C, "srlg", RSY_A),
    row(0xEB0D, "sllg", RSY_A),
    row(0xEB14, "csy", RSY_A),
    row(0xEB1C, "rllg", RSY_A),
    row(0xEB1D, "rll", RSY_A),
    row(0xEB23, "clt", RSY_TRAP),
    row(0xEB24, "stmg", RSY_A),
    row(0xEB25, "stctg", RSY_C),
    row(0xEB2B, "clgt", RSY_TRAP),
    row(0xEB2C, "stcmh", RSY_B),
    row(0xEB2D, "stcmy", RSY_B),
    row(0xEB2F, "lctlg", RSY_C),
    row(0xEB30, "csg", RSY_A),
    row(0xEB44, "bxhg", RSY_A),
    row(0xEB45, "bxleg", RSY_A),
    row(0xEB51, "tmy", SIY_U),
    row(0xEB52, "mviy", SIY_U),
    row(0xEB54, "niy", SIY_U),
    row(0xEB55, "cliy", SIY_U),
    row(0xEB56, "oiy", SIY_U),
    row(0xEB57, "xiy", SIY_U),
    row(0xEB6A, "asi", SIY_S),
    row(0xEB6E, "alsi", SIY_S),
    row(0xEB7A, "agsi", SIY_S),
    row(0xEB7E, "algsi", SIY_S),
    row(0xEB80, "icmh", RSY_B),
    row(0xEB81, "icmy", RSY_B),
    row(0xEB90, "stmy", RSY_A),
    row(0xEB98, "lmy", RSY_A),
    row(0xEB9A, "lamy", RSY_AR),
    row(0xEB9B, "stamy", RSY_AR),
    row(0xEBDC, "srak", RSY_A),
    row(0xEBDD, "slak", RSY_A),
    row(0xEBDE, "srlk", RSY_A),
    row(0xEBDF, "sllk", RSY_A),
    row(0xEBE2, "locg", RSY_LOC),
    row(0xEBE3, "stocg", RSY_LOC),
    row(0xEBE4, "lang", RSY_A),
    row(0xEBE6, "laog", RSY_A),
    row(0xEBE7, "laxg", RSY_A),
    row(0xEBE8, "laag", RSY_A),
    row(0xEBEA, "laalg", RSY_A),
    row(0xEBF2, "loc", RSY_LOC),
    row(0xEBF3, "stoc", RSY_LOC),
    row(0xEBF4, "lan", RSY_A),
    row(0xEBF6, "lao", RSY_A),
    row(0xEBF7, "lax", RSY_A),
    row(0xEBF8, "laa", RSY_A),
    row(0xEBFA, "laal", RSY_A),
    row(0xEC42, "lochi", RIE_G),
    row(0xEC44, "brxhg", RIE_E),
    row(0xEC45, "brxlg", RIE_E),
    row(0xEC46, "locghi", RIE_G),
    row(0xEC51, "risblg", RIE_F),
    row(0xEC54, "rnsbg", RIE_F),
    row(0xEC55, "risbg", RIE_F_Z),
    row(0xEC56, "rosbg", RIE_F),
    row(0xEC57, "rxsbg", RIE_F),
    row(0xEC59, "risbgn", RIE_F_Z),
    row(0xEC5D, "risbhg", RIE_F),
    row(0xEC64, "cgrj", RIE_B),
    row(0xEC65, "clgrj", RIE_B),
    row(0xEC70, "cgit", RIE_A_S),
    row(0xEC71, "clgit", RIE_A_U),
    row(0xEC72, "cit", RIE_A_S),
    row(0xEC73, "clfit", RIE_A_U),
    row(0xEC76, "crj", RIE_B),
    row(0xEC77, "clrj", RIE_B),
    row(0xEC7C, "cgij", RIE_C_S),
    row(0xEC7D, "clgij", RIE_C_U),
    row(0xEC7E, "cij", RIE_C_S),
    row(0xEC7F, "clij", RIE_C_U),
    row(0xECD8, "ahik", RIE_D),
    row(0xECD9, "aghik", RIE_D),
    row(0xECDA, "alhsik", RIE_D),
    row(0xECDB, "alghsik", RIE_D),
    row(0xED64, "ley", RXY_F),
    row(0xED65, "ldy", RXY_F),
    row(0xED66, "stey", RXY_F),
    row(0xED67, "stdy", RXY_F),
];
