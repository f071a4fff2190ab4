//! The mapping-plan parser: a small line-oriented text format that says which
//! vcpu segments to map, unmap and fault in, and against how much user memory.
//!
//! ```text
//! # comment
//! memory 64M                  # user memory the tool allocates; user= values are offsets into it
//! vcpu 0                      # following lines act on vcpu 0
//! map vcpu=0 user=0 len=4M
//! unmap vcpu=2M len=1M
//! fault vcpu=0x1000
//! ```
//!
//! One directive per line. `memory` and `vcpu` take one plain number; `map`
//! (`vcpu=`, `user=`, `len=`), `unmap` (`vcpu=`, `len=`) and `fault`
//! (`vcpu=`) take `key=value` arguments in any order. Numbers are read by
//! [`parse_number`]. A `#` starts a comment anywhere on a line; tokens are
//! separated by spaces and tabs; lines end in `\n` or `\r\n`.
//!
//! The parser checks only what the plan itself can contradict: a `vcpu` must
//! be selected before a line acts on one, `memory` must be declared once and
//! before use, and every `map` must stay inside that memory. Whether an
//! address or length suits a given kernel (alignment, zero lengths, wrapping)
//! is judged separately, per kernel generation, by the `request` module.
//!
//! ```
//! use ucas_core::plan::{parse, Directive};
//!
//! let mut plan = parse("memory 8M\nvcpu 1\nmap vcpu=0 user=4M len=0x100000 # prefix\n");
//! assert_eq!(plan.next().unwrap().unwrap().directive, Directive::Memory { size: 8 << 20 });
//! assert_eq!(plan.next().unwrap().unwrap().directive, Directive::Vcpu { id: 1 });
//! let map = plan.next().unwrap().unwrap();
//! assert_eq!((map.line, map.column, map.vcpu), (3, 1, Some(1)));
//! assert_eq!(
//!     map.directive,
//!     Directive::Map { vcpu_addr: 0, user_offset: 4 << 20, length: 1 << 20 }
//! );
//! assert!(plan.next().is_none());
//! ```
#![deny(clippy::arithmetic_side_effects)]

use core::fmt;
use core::iter::FusedIterator;
use core::str::Split;

use crate::segment::is_segment_aligned;

/// The highest vcpu id KVM accepts for an s390 ucontrol VM.
pub const MAX_VCPU_ID: u32 = 255;

/// Why a token is not a number; see [`parse_number`] for the syntax.
///
/// Offsets count characters (not bytes) from the start of the token,
/// including any `0x` prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NumberError {
    /// The token has no digits: it is empty or only `0x`.
    Empty,
    /// A character that is not a digit of the number's base, or a `_` that
    /// does not sit between two digits.
    InvalidDigit {
        /// Character offset of the offending character within the token.
        offset: usize,
        /// The offending character.
        found: char,
    },
    /// Letters after the digits that are not one of `K`, `M`, `G`, `T`.
    BadSuffix {
        /// Character offset of the first suffix letter within the token.
        offset: usize,
    },
    /// The value, after applying the suffix, does not fit in a `u64`.
    Overflow,
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Empty => f.write_str(
                "the number has no digits; write it in decimal or 0x hex, e.g. 4096, 0x1000 or 4K",
            ),
            Self::InvalidDigit { offset, found: '_' } => write!(
                f,
                "misplaced '_' at offset {offset} of the number; \
                 '_' may only separate two digits, as in 1_048_576"
            ),
            Self::InvalidDigit { offset, found } => write!(
                f,
                "invalid digit {found:?} at offset {offset} of the number; \
                 use decimal digits, or 0x followed by hex digits"
            ),
            Self::BadSuffix { offset } => write!(
                f,
                "unknown size suffix at offset {offset} of the number; \
                 use K, M, G or T (powers of 1024, e.g. 4M), not KB/MB/MiB"
            ),
            Self::Overflow => f.write_str(
                "the number does not fit in 64 bits (at most 0xffffffffffffffff); \
                 use a smaller value or suffix",
            ),
        }
    }
}

impl core::error::Error for NumberError {}

/// Parses a plan number.
///
/// Syntax: decimal digits, or `0x`/`0X` followed by hex digits (either
/// case); `_` may separate two digits (`1_000`, `0x10_0000`); one optional
/// binary size suffix `K`, `M`, `G` or `T` (either case) multiplies by 2^10,
/// 2^20, 2^30 or 2^40. Decimal-style suffixes such as `MB` or `MiB` are
/// rejected rather than guessed at, so `4MB` is an error, not 4 MiB. No sign,
/// no surrounding whitespace.
///
/// # Errors
///
/// - [`NumberError::Empty`]: `s` is empty or just `0x`.
/// - [`NumberError::InvalidDigit`]: a character that is not a digit of the
///   base, or a `_` not between two digits.
/// - [`NumberError::BadSuffix`]: trailing letters other than one suffix.
/// - [`NumberError::Overflow`]: the value, suffix applied, exceeds `u64::MAX`.
///
/// Syntax errors take precedence over overflow.
pub fn parse_number(s: &str) -> Result<u64, NumberError> {
    let (radix, prefix_chars, body) = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(body) => (16_u32, 2_usize, body),
        None => (10, 0, s),
    };

    let mut value: u64 = 0;
    let mut overflow = false;
    let mut seen_digit = false;
    let mut prev_was_digit = false;
    let mut suffix: Option<(usize, &str)> = None;

    let mut chars = body.char_indices().peekable();
    let mut offset = prefix_chars;
    while let Some((byte, c)) = chars.next() {
        if let Some(digit) = c.to_digit(radix) {
            match value
                .checked_mul(u64::from(radix))
                .and_then(|v| v.checked_add(u64::from(digit)))
            {
                Some(v) => value = v,
                None => overflow = true,
            }
            seen_digit = true;
            prev_was_digit = true;
        } else if c == '_' {
            let next_is_digit = chars.peek().is_some_and(|&(_, n)| n.is_digit(radix));
            if !(prev_was_digit && next_is_digit) {
                return Err(NumberError::InvalidDigit { offset, found: c });
            }
            prev_was_digit = false;
        } else {
            // A run of letters after at least one digit is a suffix (good or
            // bad); anything else is a stray character in the digits.
            let rest = body.get(byte..).unwrap_or_default();
            if seen_digit && rest.chars().all(|r| r.is_ascii_alphabetic()) {
                suffix = Some((offset, rest));
                break;
            }
            return Err(NumberError::InvalidDigit { offset, found: c });
        }
        offset = offset.saturating_add(1);
    }

    if !seen_digit {
        return Err(NumberError::Empty);
    }
    let multiplier: u64 = match suffix {
        None => 1,
        Some((offset, letters)) => match letters {
            "k" | "K" => KIB,
            "m" | "M" => MIB,
            "g" | "G" => GIB,
            "t" | "T" => TIB,
            _ => return Err(NumberError::BadSuffix { offset }),
        },
    };
    if overflow {
        return Err(NumberError::Overflow);
    }
    value.checked_mul(multiplier).ok_or(NumberError::Overflow)
}

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
const TIB: u64 = 1 << 40;

/// What one plan line asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directive {
    /// `memory SIZE`: the user memory the tool allocates; `user=` offsets
    /// point into it.
    Memory {
        /// Bytes, a non-zero multiple of 1 MiB.
        size: u64,
    },
    /// `vcpu ID`: following lines act on this vcpu.
    Vcpu {
        /// At most [`MAX_VCPU_ID`].
        id: u32,
    },
    /// `map vcpu= user= len=`: map vcpu segments to user memory.
    #[doc(alias = "KVM_S390_UCAS_MAP")]
    Map {
        /// Vcpu address of the first byte.
        vcpu_addr: u64,
        /// Offset into the declared memory; `user_offset + length` stays
        /// within it.
        user_offset: u64,
        /// Bytes to map.
        length: u64,
    },
    /// `unmap vcpu= len=`: remove vcpu segments.
    #[doc(alias = "KVM_S390_UCAS_UNMAP")]
    Unmap {
        /// Vcpu address of the first byte.
        vcpu_addr: u64,
        /// Bytes to unmap.
        length: u64,
    },
    /// `fault vcpu=`: fault in the page at a vcpu address.
    #[doc(alias = "KVM_S390_VCPU_FAULT")]
    Fault {
        /// The vcpu address.
        vcpu_addr: u64,
    },
}

/// One accepted plan line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statement {
    /// 1-based line number (saturates at `u32::MAX`).
    pub line: u32,
    /// 1-based column, in characters, of the directive keyword (saturates).
    pub column: u32,
    /// The vcpu the line acts on: the latest `vcpu` line's id for `map`,
    /// `unmap` and `fault`, `None` for `memory` and `vcpu` lines.
    pub vcpu: Option<u32>,
    /// What the line asks for.
    pub directive: Directive,
}

/// A rejected plan line.
///
/// `Display` prints only the reason; callers prefix `FILE:LINE:COLUMN: `.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanError {
    /// 1-based line number (saturates at `u32::MAX`).
    pub line: u32,
    /// 1-based column, in characters, of the offending token (the directive
    /// keyword when an argument is missing or the line breaks a context rule
    /// as a whole); saturates.
    pub column: u32,
    /// What is wrong.
    pub kind: PlanErrorKind,
}

/// What is wrong with a plan line.
///
/// Directive and key names are the plan's own spellings (`"map"`, `"len"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlanErrorKind {
    /// The first word is not `memory`, `vcpu`, `map`, `unmap` or `fault`.
    UnknownDirective,
    /// A required argument is absent.
    MissingArgument {
        /// The directive.
        directive: &'static str,
        /// The missing key, or `"size"`/`"id"` for the plain number of
        /// `memory`/`vcpu`.
        argument: &'static str,
    },
    /// A key the directive does not take, a word where `key=value` was
    /// expected, or `key=value` given to `memory`/`vcpu`.
    UnknownKey {
        /// The directive.
        directive: &'static str,
    },
    /// The same key given twice on one line (points at the second).
    DuplicateKey {
        /// The repeated key.
        key: &'static str,
    },
    /// A known key written as `key` or `key=`, without a value.
    MissingValue {
        /// The key.
        key: &'static str,
    },
    /// A value that is not a number (points at the value).
    BadNumber(NumberError),
    /// More words after the plain number of `memory`/`vcpu`.
    ExtraToken {
        /// The directive.
        directive: &'static str,
    },
    /// A vcpu id above [`MAX_VCPU_ID`].
    VcpuIdTooLarge {
        /// The id given.
        id: u64,
    },
    /// `map`, `unmap` or `fault` before any `vcpu` line.
    NoVcpu {
        /// The directive.
        directive: &'static str,
    },
    /// A second `memory` line.
    MemoryRedeclared {
        /// Line of the first `memory`.
        first_line: u32,
    },
    /// `memory` after a `map`, `unmap` or `fault` line.
    MemoryAfterUse {
        /// Line of the first `map`, `unmap` or `fault`.
        first_use_line: u32,
    },
    /// `memory` of 0 or not a multiple of 1 MiB.
    BadMemorySize {
        /// The size given.
        size: u64,
    },
    /// `map` before any `memory` line.
    NoMemory,
    /// `map` whose `user + len` is past the declared memory or overflows.
    MapOutsideMemory {
        /// The `user=` value.
        user_offset: u64,
        /// The `len=` value.
        length: u64,
        /// The declared memory size.
        memory: u64,
    },
}

impl fmt::Display for PlanErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::UnknownDirective => f.write_str(
                "unknown directive; a line starts with memory, vcpu, map, unmap or fault",
            ),
            Self::MissingArgument {
                directive,
                argument,
            } => match argument {
                "size" => write!(f, "`{directive}` needs a size; write e.g. `memory 64M`"),
                "id" => write!(f, "`{directive}` needs a vcpu id; write e.g. `vcpu 0`"),
                _ => write!(
                    f,
                    "`{directive}` is missing `{argument}=`; add e.g. `{argument}={}`",
                    match argument {
                        "user" => "0",
                        _ => "1M",
                    }
                ),
            },
            Self::UnknownKey { directive } => {
                let takes = match directive {
                    "map" => "`map` takes vcpu=, user= and len=",
                    "unmap" => "`unmap` takes vcpu= and len=",
                    "fault" => "`fault` takes vcpu=",
                    "memory" => "`memory` takes a plain size, e.g. `memory 64M`",
                    "vcpu" => "`vcpu` takes a plain id, e.g. `vcpu 0`",
                    _ => "see the plan format",
                };
                write!(f, "unexpected argument; {takes}")
            }
            Self::DuplicateKey { key } => {
                write!(f, "`{key}=` is given twice; keep only one")
            }
            Self::MissingValue { key } => {
                write!(f, "`{key}` has no value; write `{key}=NUMBER`")
            }
            Self::BadNumber(e) => fmt::Display::fmt(&e, f),
            Self::ExtraToken { directive } => write!(
                f,
                "unexpected extra word; `{directive}` takes exactly one number \
                 (start a comment with #)"
            ),
            Self::VcpuIdTooLarge { id } => write!(
                f,
                "vcpu id {id} is too large; s390 ucontrol vcpu ids go from 0 to {MAX_VCPU_ID}"
            ),
            Self::NoVcpu { directive } => write!(
                f,
                "`{directive}` acts on a vcpu but none is selected; add a `vcpu ID` line before it"
            ),
            Self::MemoryRedeclared { first_line } => write!(
                f,
                "memory is already declared on line {first_line}; keep one `memory` line"
            ),
            Self::MemoryAfterUse { first_use_line } => write!(
                f,
                "`memory` comes after the plan started using vcpus (line {first_use_line}); \
                 move it to the top"
            ),
            Self::BadMemorySize { size } => write!(
                f,
                "memory size {size:#x} is not a non-zero multiple of 1 MiB; \
                 use e.g. `memory 64M`"
            ),
            Self::NoMemory => f.write_str(
                "`map` needs user memory but none is declared; add a `memory SIZE` line before it",
            ),
            Self::MapOutsideMemory {
                user_offset,
                length,
                memory,
            } => match user_offset.checked_add(length) {
                Some(end) => write!(
                    f,
                    "`map` reaches past the declared memory: user + len = {end:#x} \
                     but memory is {memory:#x} bytes; lower user= or len=, or raise `memory`"
                ),
                None => write!(
                    f,
                    "`map` user + len ({user_offset:#x} + {length:#x}) overflows 64 bits; \
                     memory is {memory:#x} bytes"
                ),
            },
        }
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)
    }
}

/// `source()` is `None` even for [`PlanErrorKind::BadNumber`]: `Display`
/// already includes the number's reason, and error-chain printers would
/// otherwise print it twice.
impl core::error::Error for PlanError {}

/// Parses a plan; see the [module docs](self) for the format.
///
/// The result yields one item per line that is neither blank nor only a
/// comment, in order, and keeps going after a bad line so a checker can
/// report every one. A rejected line leaves the context (declared memory,
/// selected vcpu) exactly as it was.
#[must_use]
pub fn parse(text: &str) -> Statements<'_> {
    Statements {
        lines: text.split('\n'),
        line: 0,
        memory: None,
        vcpu: None,
        first_use_line: None,
    }
}

/// The iterator returned by [`parse`].
///
/// Context carried from line to line: the declared memory (and its line), the
/// selected vcpu, and the line of the first `map`/`unmap`/`fault`. Only
/// accepted lines change it.
#[derive(Debug, Clone)]
pub struct Statements<'a> {
    lines: Split<'a, char>,
    /// Number of the last line taken from `lines` (0 before the first).
    line: u32,
    memory: Option<(u64, u32)>,
    vcpu: Option<u32>,
    first_use_line: Option<u32>,
}

impl Statements<'_> {
    /// The memory size declared so far, if any.
    #[must_use]
    pub fn memory(&self) -> Option<u64> {
        self.memory.map(|(size, _)| size)
    }

    /// The vcpu selected so far, if any.
    #[must_use]
    pub fn vcpu(&self) -> Option<u32> {
        self.vcpu
    }

    fn parse_line(&mut self, text: &str) -> Option<Result<Statement, PlanError>> {
        let line = self.line;
        let uncommented = text.split('#').next().unwrap_or_default();
        let mut tokens = Tokens {
            rest: uncommented,
            column: 1,
        };
        let (column, keyword) = tokens.next()?;
        let err = |column: u32, kind: PlanErrorKind| PlanError { line, column, kind };
        Some(
            self.directive(keyword, column, tokens)
                .map_err(|(column, kind)| err(column, kind))
                .map(|(directive, vcpu)| Statement {
                    line,
                    column,
                    vcpu,
                    directive,
                }),
        )
    }

    /// Parses one directive and applies the context rules; on success updates
    /// the context. Errors carry the column they point at.
    fn directive(
        &mut self,
        keyword: &str,
        column: u32,
        tokens: Tokens<'_>,
    ) -> Result<(Directive, Option<u32>), (u32, PlanErrorKind)> {
        match keyword {
            "memory" => {
                let (size, size_column) = positional("memory", "size", column, tokens)?;
                if let Some((_, first_line)) = self.memory {
                    return Err((column, PlanErrorKind::MemoryRedeclared { first_line }));
                }
                if let Some(first_use_line) = self.first_use_line {
                    return Err((column, PlanErrorKind::MemoryAfterUse { first_use_line }));
                }
                if size == 0 || !is_segment_aligned(size) {
                    return Err((size_column, PlanErrorKind::BadMemorySize { size }));
                }
                self.memory = Some((size, self.line));
                Ok((Directive::Memory { size }, None))
            }
            "vcpu" => {
                let (id, id_column) = positional("vcpu", "id", column, tokens)?;
                let id = u32::try_from(id)
                    .ok()
                    .filter(|&id| id <= MAX_VCPU_ID)
                    .ok_or((id_column, PlanErrorKind::VcpuIdTooLarge { id }))?;
                self.vcpu = Some(id);
                Ok((Directive::Vcpu { id }, None))
            }
            "map" => {
                let [vcpu_addr, user, len] = keyed("map", ["vcpu", "user", "len"], column, tokens)?;
                let vcpu = self.acting_vcpu("map", column)?;
                let (memory, _) = self.memory.ok_or((column, PlanErrorKind::NoMemory))?;
                let (user_offset, length) = (user.0, len.0);
                if user_offset
                    .checked_add(length)
                    .is_none_or(|end| end > memory)
                {
                    // Blame `user=` when it alone is already outside.
                    let at = if user_offset >= memory { user.1 } else { len.1 };
                    return Err((
                        at,
                        PlanErrorKind::MapOutsideMemory {
                            user_offset,
                            length,
                            memory,
                        },
                    ));
                }
                self.note_use();
                Ok((
                    Directive::Map {
                        vcpu_addr: vcpu_addr.0,
                        user_offset,
                        length,
                    },
                    Some(vcpu),
                ))
            }
            "unmap" => {
                let [vcpu_addr, length] = keyed("unmap", ["vcpu", "len"], column, tokens)?;
                let vcpu = self.acting_vcpu("unmap", column)?;
                self.note_use();
                Ok((
                    Directive::Unmap {
                        vcpu_addr: vcpu_addr.0,
                        length: length.0,
                    },
                    Some(vcpu),
                ))
            }
            "fault" => {
                let [vcpu_addr] = keyed("fault", ["vcpu"], column, tokens)?;
                let vcpu = self.acting_vcpu("fault", column)?;
                self.note_use();
                Ok((
                    Directive::Fault {
                        vcpu_addr: vcpu_addr.0,
                    },
                    Some(vcpu),
                ))
            }
            _ => Err((column, PlanErrorKind::UnknownDirective)),
        }
    }

    fn acting_vcpu(
        &self,
        directive: &'static str,
        column: u32,
    ) -> Result<u32, (u32, PlanErrorKind)> {
        self.vcpu
            .ok_or((column, PlanErrorKind::NoVcpu { directive }))
    }

    fn note_use(&mut self) {
        if self.first_use_line.is_none() {
            self.first_use_line = Some(self.line);
        }
    }
}

impl Iterator for Statements<'_> {
    type Item = Result<Statement, PlanError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let raw = self.lines.next()?;
            self.line = self.line.saturating_add(1);
            let text = raw.strip_suffix('\r').unwrap_or(raw);
            if let Some(item) = self.parse_line(text) {
                return Some(item);
            }
        }
    }
}

impl FusedIterator for Statements<'_> {}

/// `column` moved right by `chars` characters, saturating at `u32::MAX`.
fn advance(column: u32, chars: usize) -> u32 {
    column.saturating_add(u32::try_from(chars).unwrap_or(u32::MAX))
}

/// The space/tab separated words of a line, with their 1-based columns.
#[derive(Debug)]
struct Tokens<'a> {
    rest: &'a str,
    /// Column of the first character of `rest`.
    column: u32,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = (u32, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let is_space = |c: char| c == ' ' || c == '\t';
        let trimmed = self.rest.trim_start_matches(is_space);
        // Spaces and tabs are one byte, so bytes skipped = characters skipped.
        let skipped = self.rest.len().saturating_sub(trimmed.len());
        self.column = advance(self.column, skipped);
        if trimmed.is_empty() {
            self.rest = trimmed;
            return None;
        }
        let end = trimmed.find(is_space).unwrap_or(trimmed.len());
        let (token, rest) = trimmed.split_at(end);
        let column = self.column;
        self.column = advance(self.column, token.chars().count());
        self.rest = rest;
        Some((column, token))
    }
}

/// The single plain number of `memory`/`vcpu`, with its column.
fn positional(
    directive: &'static str,
    argument: &'static str,
    keyword_column: u32,
    mut tokens: Tokens<'_>,
) -> Result<(u64, u32), (u32, PlanErrorKind)> {
    let (column, token) = tokens.next().ok_or((
        keyword_column,
        PlanErrorKind::MissingArgument {
            directive,
            argument,
        },
    ))?;
    if token.contains('=') {
        return Err((column, PlanErrorKind::UnknownKey { directive }));
    }
    let value = parse_number(token).map_err(|e| (column, PlanErrorKind::BadNumber(e)))?;
    if let Some((extra, _)) = tokens.next() {
        return Err((extra, PlanErrorKind::ExtraToken { directive }));
    }
    Ok((value, column))
}

/// The `key=value` arguments of `map`/`unmap`/`fault`, in the order of
/// `keys`, each with the column of its value. Reports the leftmost bad
/// token first, then the first missing key.
fn keyed<const N: usize>(
    directive: &'static str,
    keys: [&'static str; N],
    keyword_column: u32,
    tokens: Tokens<'_>,
) -> Result<[(u64, u32); N], (u32, PlanErrorKind)> {
    let mut values: [Option<(u64, u32)>; N] = [None; N];
    for (column, token) in tokens {
        let (key, value) = token.split_once('=').unwrap_or((token, ""));
        let (slot, &key) = values
            .iter_mut()
            .zip(keys.iter())
            .find(|(_, k)| **k == key)
            .ok_or((column, PlanErrorKind::UnknownKey { directive }))?;
        if value.is_empty() {
            return Err((column, PlanErrorKind::MissingValue { key }));
        }
        if slot.is_some() {
            return Err((column, PlanErrorKind::DuplicateKey { key }));
        }
        let value_column = advance(column, key.len().saturating_add(1));
        let number =
            parse_number(value).map_err(|e| (value_column, PlanErrorKind::BadNumber(e)))?;
        *slot = Some((number, value_column));
    }
    let mut out = [(0, 0); N];
    for ((out, value), argument) in out.iter_mut().zip(values).zip(keys) {
        *out = value.ok_or((
            keyword_column,
            PlanErrorKind::MissingArgument {
                directive,
                argument,
            },
        ))?;
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::{format, string::String, vec::Vec};

    use NumberError::{BadSuffix, Empty, InvalidDigit, Overflow};
    use PlanErrorKind as K;

    const MIB: u64 = 1 << 20;
    /// Declares memory and selects a vcpu, so line 3 is the line under test.
    const CTX: &str = "memory 64M\nvcpu 0\n";

    fn errors(text: &str) -> Vec<PlanError> {
        parse(text).filter_map(Result::err).collect()
    }

    fn statements(text: &str) -> Vec<Statement> {
        parse(text)
            .map(|r| r.unwrap_or_else(|e| panic!("{text:?}: {}:{}: {e}", e.line, e.column)))
            .collect()
    }

    #[test]
    fn numbers_accepted_at_the_edges() {
        let table: &[(&str, u64)] = &[
            ("0", 0),
            ("0x0", 0),
            ("000", 0),
            ("1", 1),
            ("0x1", 1),
            ("1048575", MIB - 1),
            ("0xfffff", MIB - 1),
            ("0XF_FFFF", MIB - 1),
            ("1048576", MIB),
            ("1_048_576", MIB),
            ("0x100000", MIB),
            ("1M", MIB),
            ("1m", MIB),
            ("0x1M", MIB),
            ("1024K", MIB),
            ("18446744073708503040", u64::MAX - MIB + 1),
            ("0xFFFFFFFFFFF00000", u64::MAX - MIB + 1),
            ("17592186044415M", u64::MAX - MIB + 1),
            ("18446744073709551615", u64::MAX),
            ("18_446_744_073_709_551_615", u64::MAX),
            ("0xffffffffffffffff", u64::MAX),
            ("0XFFFF_FFFF_FFFF_FFFF", u64::MAX),
            ("4K", 4 << 10),
            ("4k", 4 << 10),
            ("3G", 3 << 30),
            ("3g", 3 << 30),
            ("2T", 2 << 40),
            ("2t", 2 << 40),
            ("0x1ek", 0x1e << 10),
            ("16777215T", u64::MAX - (1 << 40) + 1),
            ("0K", 0),
        ];
        for &(text, want) in table {
            assert_eq!(parse_number(text), Ok(want), "{text:?}");
        }
    }

    #[test]
    fn numbers_rejected_with_the_reason() {
        let bad = |offset, found| InvalidDigit { offset, found };
        let table: &[(&str, NumberError)] = &[
            ("", Empty),
            ("0x", Empty),
            ("0X", Empty),
            ("18446744073709551616", Overflow),
            ("0x1_0000_0000_0000_0000", Overflow),
            ("16777216T", Overflow),
            ("17592186044416M", Overflow),
            ("18446744073709551615K", Overflow),
            // Suffixes: exactly one of K/M/G/T; MB and MiB are refused.
            ("4Q", BadSuffix { offset: 1 }),
            ("4MB", BadSuffix { offset: 1 }),
            ("4MiB", BadSuffix { offset: 1 }),
            ("4kk", BadSuffix { offset: 1 }),
            ("0x10KB", BadSuffix { offset: 4 }),
            ("0x1h", BadSuffix { offset: 3 }),
            // A syntax error wins over an overflow found earlier.
            ("99999999999999999999Q", BadSuffix { offset: 20 }),
            ("99999999999999999999?", bad(20, '?')),
            ("12a4", bad(2, 'a')),
            ("4M5", bad(1, 'M')),
            ("1.5M", bad(1, '.')),
            ("-1", bad(0, '-')),
            ("+1", bad(0, '+')),
            (" 1", bad(0, ' ')),
            ("M", bad(0, 'M')),
            ("0xg", bad(2, 'g')),
            ("0b101", bad(1, 'b')),
            ("12\u{663}", bad(2, '\u{663}')),
            ("_1", bad(0, '_')),
            ("1_", bad(1, '_')),
            ("1__0", bad(1, '_')),
            ("1_M", bad(1, '_')),
            ("0x_1", bad(2, '_')),
        ];
        for &(text, want) in table {
            assert_eq!(parse_number(text), Err(want), "{text:?}");
        }
    }

    #[test]
    fn number_messages_say_what_to_do() {
        let table: &[(NumberError, &str)] = &[
            (Empty, "no digits"),
            (
                InvalidDigit {
                    offset: 3,
                    found: 'z',
                },
                "'z' at offset 3",
            ),
            (
                InvalidDigit {
                    offset: 1,
                    found: '_',
                },
                "'_' may only separate",
            ),
            (BadSuffix { offset: 1 }, "use K, M, G or T"),
            (Overflow, "64 bits"),
        ];
        for &(error, needle) in table {
            let message = format!("{error}");
            assert!(message.contains(needle), "{message:?} lacks {needle:?}");
        }
    }

    #[test]
    fn every_error_kind_points_at_its_line_and_column() {
        let ctx = |line: &str| format!("{CTX}{line}");
        let table: Vec<(String, u32, u32, PlanErrorKind)> = vec![
            ("frob 1".into(), 1, 1, K::UnknownDirective),
            ("  MAP vcpu=0".into(), 1, 3, K::UnknownDirective),
            (
                "memory".into(),
                1,
                1,
                K::MissingArgument {
                    directive: "memory",
                    argument: "size",
                },
            ),
            (
                " memory # 64M".into(),
                1,
                2,
                K::MissingArgument {
                    directive: "memory",
                    argument: "size",
                },
            ),
            (
                "vcpu".into(),
                1,
                1,
                K::MissingArgument {
                    directive: "vcpu",
                    argument: "id",
                },
            ),
            (
                ctx("map vcpu=0 user=0"),
                3,
                1,
                K::MissingArgument {
                    directive: "map",
                    argument: "len",
                },
            ),
            (
                ctx("map len=1M"),
                3,
                1,
                K::MissingArgument {
                    directive: "map",
                    argument: "vcpu",
                },
            ),
            (
                ctx("\tunmap len=1M"),
                3,
                2,
                K::MissingArgument {
                    directive: "unmap",
                    argument: "vcpu",
                },
            ),
            (
                ctx("fault"),
                3,
                1,
                K::MissingArgument {
                    directive: "fault",
                    argument: "vcpu",
                },
            ),
            (
                ctx("map vcpu=0 usr=0 len=1M"),
                3,
                12,
                K::UnknownKey { directive: "map" },
            ),
            (
                ctx("map 0 user=0 len=1M"),
                3,
                5,
                K::UnknownKey { directive: "map" },
            ),
            (
                ctx("fault vcpu=0 len=1M"),
                3,
                14,
                K::UnknownKey { directive: "fault" },
            ),
            (
                ctx("unmap vcpu=0 len=1M user=0"),
                3,
                21,
                K::UnknownKey { directive: "unmap" },
            ),
            (
                "memory size=64M".into(),
                1,
                8,
                K::UnknownKey {
                    directive: "memory",
                },
            ),
            (
                "vcpu id=1".into(),
                1,
                6,
                K::UnknownKey { directive: "vcpu" },
            ),
            (
                ctx("map vcpu=0 user=0 len=1M vcpu=1M"),
                3,
                26,
                K::DuplicateKey { key: "vcpu" },
            ),
            (
                ctx("fault vcpu=0  vcpu=0"),
                3,
                15,
                K::DuplicateKey { key: "vcpu" },
            ),
            (
                ctx("map vcpu user=0 len=1M"),
                3,
                5,
                K::MissingValue { key: "vcpu" },
            ),
            (
                ctx("unmap vcpu=0 len="),
                3,
                14,
                K::MissingValue { key: "len" },
            ),
            (
                ctx("map vcpu=0 user=0 len=4MB"),
                3,
                23,
                K::BadNumber(BadSuffix { offset: 1 }),
            ),
            (
                ctx("fault vcpu=0x12z4"),
                3,
                12,
                K::BadNumber(InvalidDigit {
                    offset: 4,
                    found: 'z',
                }),
            ),
            (
                "memory 99999999999999999999".into(),
                1,
                8,
                K::BadNumber(Overflow),
            ),
            (
                "vcpu ".into(),
                1,
                1,
                K::MissingArgument {
                    directive: "vcpu",
                    argument: "id",
                },
            ),
            (
                "memory 64M 1".into(),
                1,
                12,
                K::ExtraToken {
                    directive: "memory",
                },
            ),
            (
                "vcpu 1\t 2".into(),
                1,
                9,
                K::ExtraToken { directive: "vcpu" },
            ),
            ("vcpu 256".into(), 1, 6, K::VcpuIdTooLarge { id: 256 }),
            (
                "vcpu 0x1_0000_0000".into(),
                1,
                6,
                K::VcpuIdTooLarge { id: 1 << 32 },
            ),
            (
                "memory 64M\nmap vcpu=0 user=0 len=1M".into(),
                2,
                1,
                K::NoVcpu { directive: "map" },
            ),
            (
                "unmap vcpu=0 len=1M".into(),
                1,
                1,
                K::NoVcpu { directive: "unmap" },
            ),
            (
                "\n\n  fault vcpu=0".into(),
                3,
                3,
                K::NoVcpu { directive: "fault" },
            ),
            (
                "memory 64M\nmemory 32M".into(),
                2,
                1,
                K::MemoryRedeclared { first_line: 1 },
            ),
            (
                "vcpu 0\n\nfault vcpu=0\nunmap vcpu=0 len=1M\nmemory 1M".into(),
                5,
                1,
                K::MemoryAfterUse { first_use_line: 3 },
            ),
            ("memory 0".into(), 1, 8, K::BadMemorySize { size: 0 }),
            (
                "memory 0x180000".into(),
                1,
                8,
                K::BadMemorySize { size: 0x18_0000 },
            ),
            (
                "memory 1048575".into(),
                1,
                8,
                K::BadMemorySize { size: MIB - 1 },
            ),
            ("vcpu 0\nmap vcpu=0 user=0 len=1M".into(), 2, 1, K::NoMemory),
            (
                ctx("map vcpu=0 user=63M len=2M"),
                3,
                25,
                K::MapOutsideMemory {
                    user_offset: 63 * MIB,
                    length: 2 * MIB,
                    memory: 64 * MIB,
                },
            ),
            (
                ctx("map vcpu=0 user=64M len=1M"),
                3,
                17,
                K::MapOutsideMemory {
                    user_offset: 64 * MIB,
                    length: MIB,
                    memory: 64 * MIB,
                },
            ),
            (
                ctx("map vcpu=0 len=1M user=64M"),
                3,
                24,
                K::MapOutsideMemory {
                    user_offset: 64 * MIB,
                    length: MIB,
                    memory: 64 * MIB,
                },
            ),
            (
                ctx("map vcpu=0 user=1M len=0xffffffffffffffff"),
                3,
                24,
                K::MapOutsideMemory {
                    user_offset: MIB,
                    length: u64::MAX,
                    memory: 64 * MIB,
                },
            ),
        ];
        for (text, line, column, kind) in table {
            let found = errors(&text);
            assert_eq!(found, [PlanError { line, column, kind }], "{text:?}");
        }
    }

    #[test]
    fn leftmost_token_error_wins_then_missing_then_context() {
        // A bad token beats a missing key; a missing key beats "no vcpu".
        assert_eq!(
            errors("map vcpu=x")[0].kind,
            K::BadNumber(InvalidDigit {
                offset: 0,
                found: 'x'
            })
        );
        assert_eq!(
            errors("map vcpu=0")[0].kind,
            K::MissingArgument {
                directive: "map",
                argument: "user"
            }
        );
        // An empty duplicate is reported as the missing value it is.
        assert_eq!(
            errors(&format!("{CTX}fault vcpu=0 vcpu="))[0].kind,
            K::MissingValue { key: "vcpu" }
        );
    }

    #[test]
    fn a_full_plan_parses_in_order() {
        let text = "# a plan\n\
                    memory 64M                  # user memory\n\
                    \n\
                    vcpu 0                      # following lines act on vcpu 0\n\
                    map vcpu=0 user=0 len=4M    # prefix and code\n\
                    unmap vcpu=2M len=1M\n\
                    \tfault vcpu=0x1000\n\
                    vcpu 255\n\
                    map len=0x100000 vcpu=0xFFFFFFFFFFF00000 user=63M\n\
                    fault vcpu=18446744073709551615#top byte\n";
        let mut plan = parse(text);
        assert_eq!((plan.memory(), plan.vcpu()), (None, None));
        let got: Vec<Statement> = plan.by_ref().map(Result::unwrap).collect();
        assert_eq!((plan.memory(), plan.vcpu()), (Some(64 * MIB), Some(255)));
        let st = |line, column, vcpu, directive| Statement {
            line,
            column,
            vcpu,
            directive,
        };
        assert_eq!(
            got,
            [
                st(2, 1, None, Directive::Memory { size: 64 * MIB }),
                st(4, 1, None, Directive::Vcpu { id: 0 }),
                st(
                    5,
                    1,
                    Some(0),
                    Directive::Map {
                        vcpu_addr: 0,
                        user_offset: 0,
                        length: 4 * MIB
                    }
                ),
                st(
                    6,
                    1,
                    Some(0),
                    Directive::Unmap {
                        vcpu_addr: 2 * MIB,
                        length: MIB
                    }
                ),
                st(7, 2, Some(0), Directive::Fault { vcpu_addr: 0x1000 }),
                st(8, 1, None, Directive::Vcpu { id: 255 }),
                st(
                    9,
                    1,
                    Some(255),
                    Directive::Map {
                        vcpu_addr: u64::MAX - MIB + 1,
                        user_offset: 63 * MIB,
                        length: MIB
                    }
                ),
                st(
                    10,
                    1,
                    Some(255),
                    Directive::Fault {
                        vcpu_addr: u64::MAX
                    }
                ),
            ]
        );
        // The same plan with CRLF line ends and trailing blanks reads the same.
        let crlf = text.replace('\n', " \t\r\n");
        assert_eq!(statements(&crlf), got);
    }

    #[test]
    fn kernel_rules_are_not_the_parsers_business() {
        // Misaligned and zero-length requests are judged per kernel elsewhere;
        // a map ending exactly at the end of memory is inside it.
        let got = statements(&format!(
            "{CTX}map vcpu=1 user=1 len=1\nmap vcpu=0 user=64M len=0\nunmap vcpu=3 len=0\n\
             map vcpu=0 user=63M len=1M"
        ));
        assert_eq!(got.len(), 6);
        assert_eq!(
            got[5].directive,
            Directive::Map {
                vcpu_addr: 0,
                user_offset: 63 * MIB,
                length: MIB
            }
        );
    }

    #[test]
    fn comments_blanks_and_line_ends() {
        let got = statements("# only a comment\n\n   \n\t# indented\r\n\r\nvcpu 3#no space\r");
        assert_eq!(
            got,
            [Statement {
                line: 6,
                column: 1,
                vcpu: None,
                directive: Directive::Vcpu { id: 3 }
            }]
        );
        assert_eq!(parse("").count(), 0);
        assert_eq!(parse("\n\n#\n \t \r\n").count(), 0);
        // A '\r' that does not end a line is part of a token.
        assert_eq!(
            errors("vcpu 1\r2")[0].kind,
            K::BadNumber(InvalidDigit {
                offset: 1,
                found: '\r'
            })
        );
    }

    #[test]
    fn keeps_going_after_errors_and_rejected_lines_change_nothing() {
        let text = "vcpu 1\nvcpu 300\nmemory 3M\nfault vcpu=0\nmemory 1M\nmemory 2M\n\
                    bogus\nmap vcpu=0 user=0 len=1M\nmemory 4M";
        let mut plan = parse(text);
        let mut lines = Vec::new();
        while let Some(item) = plan.next() {
            match item {
                Ok(s) => lines.push((s.line, s.vcpu, None)),
                Err(e) => lines.push((e.line, None, Some(e.kind))),
            }
            if lines.len() == 3 {
                // The rejected `vcpu 300` kept vcpu 1 selected.
                assert_eq!(plan.vcpu(), Some(1));
                assert_eq!(plan.memory(), Some(3 * MIB));
            }
        }
        assert_eq!(
            lines,
            [
                (1, None, None),
                (2, None, Some(K::VcpuIdTooLarge { id: 300 })),
                (3, None, None),
                (4, Some(1), None),
                (5, None, Some(K::MemoryRedeclared { first_line: 3 })),
                (6, None, Some(K::MemoryRedeclared { first_line: 3 })),
                (7, None, Some(K::UnknownDirective)),
                (8, Some(1), None),
                (9, None, Some(K::MemoryRedeclared { first_line: 3 })),
            ]
        );
        assert_eq!(plan.memory(), Some(3 * MIB));
        assert!(plan.next().is_none(), "fused");
        // A rejected map is not a use: memory may still follow it.
        let got = errors("vcpu 0\nmap vcpu=0 user=0 len=1M\nmemory 1M");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].kind, K::NoMemory);
    }

    #[test]
    fn messages_name_the_problem_and_the_fix() {
        let table: &[(PlanErrorKind, &str)] = &[
            (K::UnknownDirective, "memory, vcpu, map, unmap or fault"),
            (
                K::MissingArgument {
                    directive: "memory",
                    argument: "size",
                },
                "memory 64M",
            ),
            (
                K::MissingArgument {
                    directive: "vcpu",
                    argument: "id",
                },
                "vcpu 0",
            ),
            (
                K::MissingArgument {
                    directive: "map",
                    argument: "user",
                },
                "add e.g. `user=0`",
            ),
            (
                K::MissingArgument {
                    directive: "map",
                    argument: "len",
                },
                "add e.g. `len=1M`",
            ),
            (K::UnknownKey { directive: "map" }, "vcpu=, user= and len="),
            (K::UnknownKey { directive: "unmap" }, "vcpu= and len="),
            (K::UnknownKey { directive: "fault" }, "takes vcpu="),
            (
                K::UnknownKey {
                    directive: "memory",
                },
                "plain size",
            ),
            (K::UnknownKey { directive: "vcpu" }, "plain id"),
            (K::DuplicateKey { key: "len" }, "`len=` is given twice"),
            (K::MissingValue { key: "user" }, "write `user=NUMBER`"),
            (K::BadNumber(BadSuffix { offset: 1 }), "K, M, G or T"),
            (K::ExtraToken { directive: "vcpu" }, "exactly one number"),
            (K::VcpuIdTooLarge { id: 256 }, "0 to 255"),
            (K::NoVcpu { directive: "fault" }, "add a `vcpu ID` line"),
            (K::MemoryRedeclared { first_line: 7 }, "line 7"),
            (K::MemoryAfterUse { first_use_line: 9 }, "line 9"),
            (K::BadMemorySize { size: 3 }, "multiple of 1 MiB"),
            (K::NoMemory, "add a `memory SIZE` line"),
            (
                K::MapOutsideMemory {
                    user_offset: MIB,
                    length: MIB,
                    memory: MIB,
                },
                "user + len = 0x200000 but memory is 0x100000",
            ),
            (
                K::MapOutsideMemory {
                    user_offset: MIB,
                    length: u64::MAX,
                    memory: MIB,
                },
                "overflows",
            ),
        ];
        for &(kind, needle) in table {
            let error = PlanError {
                line: 4,
                column: 2,
                kind,
            };
            let message = format!("{error}");
            assert_eq!(
                message,
                format!("{kind}"),
                "PlanError prints only the reason"
            );
            assert!(message.contains(needle), "{message:?} lacks {needle:?}");
        }
    }

    #[test]
    fn line_and_column_counters_saturate() {
        assert_eq!(advance(u32::MAX - 1, 5), u32::MAX);
        assert_eq!(advance(1, usize::MAX), u32::MAX);
        let mut plan = parse("vcpu 0\nvcpu 1\nbad");
        plan.line = u32::MAX - 1;
        let lines: Vec<u32> = plan
            .map(|r| r.map_or_else(|e| e.line, |s| s.line))
            .collect();
        assert_eq!(lines, [u32::MAX, u32::MAX, u32::MAX]);
        let mut tokens = Tokens {
            rest: " a",
            column: u32::MAX,
        };
        assert_eq!(tokens.next(), Some((u32::MAX, "a")));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let tokens: Vec<(u32, &str)> = Tokens {
            rest: "ä  öö\tü ",
            column: 1,
        }
        .collect();
        assert_eq!(tokens, [(1, "ä"), (4, "öö"), (7, "ü")]);
    }

    /// Reference model: lines that are not blank once the comment is cut off.
    fn nonblank_lines(text: &str) -> usize {
        text.split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .map(|l| l.split('#').next().unwrap_or(""))
            .filter(|l| !l.trim_matches([' ', '\t']).is_empty())
            .count()
    }

    fn check_shape(text: &str) -> Result<(), TestCaseError> {
        let items: Vec<_> = parse(text).collect();
        prop_assert_eq!(items.len(), nonblank_lines(text));
        let mut last = 0;
        for item in items {
            let (line, column) = match item {
                Ok(s) => (s.line, s.column),
                Err(e) => {
                    // Every error renders a message.
                    let message = format!("{e}");
                    prop_assert!(!message.is_empty());
                    (e.line, e.column)
                }
            };
            prop_assert!(line > last && column >= 1, "line {} col {}", line, column);
            last = line;
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(crate::proptest_config(256))]

        #[test]
        fn parse_never_panics_on_any_text(text in any::<String>()) {
            check_shape(&text)?;
        }

        #[test]
        fn parse_never_panics_on_plan_like_text(
            text in "((memory|vcpu|map|unmap|fault|vcpu=|user=|len=|0x|[0-9]{1,21}|[KMGTBi_]|[ \t#=]|\r?\n)){0,60}"
        ) {
            check_shape(&text)?;
        }

        #[test]
        fn parse_number_never_panics(text in any::<String>()) {
            let chars = text.chars().count();
            match parse_number(&text) {
                Err(InvalidDigit { offset, found }) => {
                    prop_assert_eq!(text.chars().nth(offset), Some(found));
                }
                Err(BadSuffix { offset }) => prop_assert!(offset < chars),
                Err(Empty) => prop_assert!(text.is_empty() || text.eq_ignore_ascii_case("0x")),
                _ => {}
            }
        }

        #[test]
        fn printed_numbers_parse_back(n in any::<u64>()) {
            prop_assert_eq!(parse_number(&format!("{n}")), Ok(n));
            prop_assert_eq!(parse_number(&format!("{n:#x}")), Ok(n));
            prop_assert_eq!(parse_number(&format!("{n:#X}")), Ok(n));
            prop_assert_eq!(parse_number(&format!("0X{n:X}")), Ok(n));
            prop_assert_eq!(parse_number(&format!("{n:#022x}")), Ok(n));
            // Digits grouped by three with '_'.
            let digits = format!("{n}");
            let grouped: String = digits
                .chars()
                .enumerate()
                .flat_map(|(i, c)| {
                    let sep = i > 0 && (digits.len() - i) % 3 == 0;
                    sep.then_some('_').into_iter().chain([c])
                })
                .collect();
            prop_assert_eq!(parse_number(&grouped), Ok(n));
        }

        #[test]
        fn suffixes_multiply_or_overflow(n in any::<u64>(), small in 0_u64..1 << 24, s in 0_usize..8) {
            let (letter, shift) = [('K', 10), ('M', 20), ('G', 30), ('T', 40),
                                   ('k', 10), ('m', 20), ('g', 30), ('t', 40)][s];
            let want = n.checked_mul(1 << shift).ok_or(Overflow);
            prop_assert_eq!(parse_number(&format!("{n}{letter}")), want);
            prop_assert_eq!(parse_number(&format!("{n:#x}{letter}")), want);
            prop_assert_eq!(parse_number(&format!("{small}{letter}")), Ok(small << shift));
        }
    }
}
