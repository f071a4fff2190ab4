//! The kernel's verdicts on `KVM_S390_UCAS_MAP`, `KVM_S390_UCAS_UNMAP` and
//! `KVM_S390_VCPU_FAULT`, per kernel generation, and ucas's own strict mode.
//!
//! Three generations of the kernel treat the same request differently:
//!
//! | generation | kernels | differences |
//! |---|---|---|
//! | [`Generation::A`] | v3.3 – v6.13 | EINVAL for length 0 and wrap-around; EFAULT for a fault on an unmapped segment |
//! | [`Generation::B`] | v6.14 – v6.19 | as A, but EREMOTE (with exit fields) for a fault on an unmapped segment |
//! | [`Generation::C`] | v7.0 and newer | length 0 is a no-op, wrap-around is not checked, ENOMEM keeps the mapped prefix |
//!
//! [`Rules::Strict`] rejects whatever any generation rejects, and also zero
//! lengths and wrap-around, so a request it accepts behaves the same on all
//! three.

use core::fmt;

use crate::Errno;

use crate::abi::{Ioctl, UcasMapping};
use crate::segment::{SEGMENT_COUNT, SEGMENT_SIZE, is_segment_aligned, segment_of};

/// A generation of kernel behaviour for ucontrol address spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Generation {
    /// Linux v3.3 – v6.13: the original gmap.
    A,
    /// Linux v6.14 – v6.19: VCPU_FAULT reports EREMOTE for unmapped segments.
    B,
    /// Linux v7.0 and newer: the rewritten gmap.
    C,
}

impl Generation {
    /// The newest generation, the default where none is named.
    pub const NEWEST: Self = Self::C;
    /// All generations, oldest first.
    pub const ALL: [Self; 3] = [Self::A, Self::B, Self::C];

    /// The generation of kernel `major.minor`, or `None` before v3.3 (which
    /// has no ucontrol support).
    #[must_use]
    pub const fn from_version(major: u32, minor: u32) -> Option<Self> {
        match (major, minor) {
            (0..=2, _) | (3, 0..=2) => None,
            (3..=5, _) | (6, 0..=13) => Some(Self::A),
            (6, _) => Some(Self::B),
            _ => Some(Self::C),
        }
    }

    /// The generation of a kernel version string such as `6.8`, `v6.14`,
    /// `7.0-rc1` or `6.8.0-45-generic` (what `uname -r` prints).
    ///
    /// # Errors
    /// [`VersionError`] when the text does not start with `MAJOR.MINOR` or
    /// names a kernel before v3.3.
    pub fn from_kernel_version(text: &str) -> Result<Self, VersionError> {
        Self::release_of(text).map(|(generation, _)| generation)
    }

    /// The generation and the `(major, minor)` release of a kernel version
    /// string, as [`Self::from_kernel_version`] reads it.
    ///
    /// # Errors
    /// As [`Self::from_kernel_version`].
    pub fn release_of(text: &str) -> Result<(Self, (u32, u32)), VersionError> {
        let text = text.trim();
        let rest = text.strip_prefix('v').unwrap_or(text);
        let (major, rest) = leading_number(rest).ok_or(VersionError::Malformed)?;
        let rest = rest.strip_prefix('.').ok_or(VersionError::Malformed)?;
        let (minor, _) = leading_number(rest).ok_or(VersionError::Malformed)?;
        let generation =
            Self::from_version(major, minor).ok_or(VersionError::TooOld { major, minor })?;
        Ok((generation, (major, minor)))
    }

    /// A short name with the kernel range, e.g. `C (v7.0+)`.
    #[must_use]
    pub const fn describe(self) -> &'static str {
        match self {
            Self::A => "A (v3.3-v6.13)",
            Self::B => "B (v6.14-v6.19)",
            Self::C => "C (v7.0+)",
        }
    }

    /// The one-letter name.
    #[must_use]
    pub const fn letter(self) -> char {
        match self {
            Self::A => 'A',
            Self::B => 'B',
            Self::C => 'C',
        }
    }

    /// Whether MAP and UNMAP of length 0 succeed without effect (else EINVAL).
    #[must_use]
    pub const fn zero_length_is_noop(self) -> bool {
        matches!(self, Self::C)
    }

    /// Whether MAP and UNMAP reject ranges that wrap past 2^64 (EINVAL).
    #[must_use]
    pub const fn checks_wrap(self) -> bool {
        !matches!(self, Self::C)
    }

    /// Whether a MAP that runs out of memory keeps the segments it stored
    /// (C); A and B unmap the whole requested vcpu range instead.
    #[must_use]
    pub const fn enomem_keeps_prefix(self) -> bool {
        matches!(self, Self::C)
    }

    /// The errno of `KVM_S390_VCPU_FAULT` on an unmapped vcpu segment.
    #[must_use]
    pub const fn unmapped_fault_errno(self) -> Errno {
        match self {
            Self::A => Errno::FAULT,
            Self::B | Self::C => Errno::REMOTE,
        }
    }

    /// Whether a fault on an unmapped segment also writes the ucontrol exit
    /// fields into `kvm_run` (B and C).
    #[must_use]
    pub const fn unmapped_fault_sets_exit(self) -> bool {
        !matches!(self, Self::A)
    }

    /// Whether two vcpu segments of one vcpu may resolve to the same user
    /// segment; A and B accept the mapping but fail the second one's fault
    /// with EEXIST.
    #[must_use]
    pub const fn allows_shared_user_segment(self) -> bool {
        matches!(self, Self::C)
    }

    /// Whether `KVM_RUN` reports a guest access to a mapped segment without
    /// user memory as a ucontrol exit (A); B and C fail `KVM_RUN` with EFAULT.
    #[must_use]
    pub const fn missing_user_memory_exits(self) -> bool {
        matches!(self, Self::A)
    }

    /// Whether `KVM_RUN` with an unmapped prefix segment gives a ucontrol exit
    /// at the prefix (C); A and B fail `KVM_RUN` with EFAULT.
    #[must_use]
    pub const fn unmapped_prefix_exits(self) -> bool {
        matches!(self, Self::C)
    }
}

impl fmt::Display for Generation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

fn leading_number(text: &str) -> Option<(u32, &str)> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (num, rest) = text.split_at_checked(digits)?;
    Some((num.parse().ok()?, rest))
}

/// Why a kernel version string names no generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VersionError {
    /// Not of the form `MAJOR.MINOR…`.
    Malformed,
    /// A kernel before v3.3, which has no ucontrol VMs.
    TooOld {
        /// The major version given.
        major: u32,
        /// The minor version given.
        minor: u32,
    },
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => {
                f.write_str("not a kernel version: give MAJOR.MINOR such as 6.8, 6.14 or 7.0")
            }
            Self::TooOld { major, minor } => write!(
                f,
                "kernel {major}.{minor} has no ucontrol VMs (they arrived in 3.3): give 3.3 or newer"
            ),
        }
    }
}

impl core::error::Error for VersionError {}

/// Which verdicts to apply to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Rules {
    /// Reject what any generation rejects, and also zero length and
    /// wrap-around: a request accepted here does the same on every kernel.
    #[default]
    Strict,
    /// Exactly what the kernel of this generation accepts.
    Kernel(Generation),
}

impl Rules {
    fn zero_length_is_noop(self) -> bool {
        matches!(self, Self::Kernel(g) if g.zero_length_is_noop())
    }

    fn checks_wrap(self) -> bool {
        match self {
            Self::Strict => true,
            Self::Kernel(g) => g.checks_wrap(),
        }
    }
}

impl fmt::Display for Rules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Strict => f.write_str("strict (portable to every kernel)"),
            Self::Kernel(g) => write!(f, "kernel generation {g}"),
        }
    }
}

/// A field of [`UcasMapping`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// `user_addr`.
    UserAddr,
    /// `vcpu_addr`.
    VcpuAddr,
    /// `length`.
    Length,
}

impl Field {
    /// The C field name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::UserAddr => "user_addr",
            Self::VcpuAddr => "vcpu_addr",
            Self::Length => "length",
        }
    }
}

/// The rule a rejected request broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// The field is not a multiple of 1 MiB.
    NotAligned,
    /// The length is 0.
    ZeroLength,
    /// `field + length` passes 2^64.
    Wraps,
}

/// A request the chosen [`Rules`] reject; the kernel answers EINVAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestError {
    /// The ioctl.
    pub op: Ioctl,
    /// The offending field.
    pub field: Field,
    /// Its value.
    pub value: u64,
    /// The length of the request (for wrap-around messages).
    pub length: u64,
    /// The rule it broke.
    pub rule: Rule,
}

impl RequestError {
    /// The errno the kernel gives for this request (EINVAL); strict-only
    /// rejections report the errno of the generations that reject them.
    #[must_use]
    pub const fn errno(&self) -> Errno {
        Errno::INVAL
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (op, field, value) = (self.op.name(), self.field.name(), self.value);
        match self.rule {
            Rule::NotAligned => write!(
                f,
                "{op}: {field} {value:#x} is not 1 MiB aligned; use a multiple of 0x100000 \
                 (nearest below: {:#x})",
                value & !(SEGMENT_SIZE - 1)
            ),
            Rule::ZeroLength => write!(
                f,
                "{op}: length 0 maps nothing and older kernels reject it (EINVAL); \
                 give at least 1 MiB or skip the call"
            ),
            Rule::Wraps => write!(
                f,
                "{op}: {field} {value:#x} + length {:#x} wraps past 2^64; \
                 shorten the range or move it down",
                self.length
            ),
        }
    }
}

impl core::error::Error for RequestError {}

/// What an accepted request does, in segment numbers. Additions on
/// `vcpu_first`/`user_first` wrap modulo 2^44 segments: only generation C
/// accepts requests that actually wrap (see [`SegmentRequest::wraps`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SegmentRequest {
    /// First vcpu segment number.
    pub vcpu_first: u64,
    /// First user segment number (0 for UNMAP).
    pub user_first: u64,
    /// Number of segments, at least 1.
    pub count: u64,
}

impl SegmentRequest {
    /// Whether the vcpu or the user range runs past the last segment.
    #[must_use]
    pub const fn wraps(&self) -> bool {
        self.count > SEGMENT_COUNT.wrapping_sub(self.vcpu_first)
            || self.count > SEGMENT_COUNT.wrapping_sub(self.user_first)
    }
}

fn first_misaligned(op: Ioctl, fields: &[(Field, u64)], length: u64) -> Result<(), RequestError> {
    match fields.iter().find(|(_, v)| !is_segment_aligned(*v)) {
        Some(&(field, value)) => Err(RequestError {
            op,
            field,
            value,
            length,
            rule: Rule::NotAligned,
        }),
        None => Ok(()),
    }
}

fn first_wrapping(op: Ioctl, fields: &[(Field, u64)], length: u64) -> Result<(), RequestError> {
    // The kernel tests `addr + length < addr`: a range that ends exactly at
    // 2^64 wraps to 0 and is rejected too.
    match fields.iter().find(|(_, v)| v.checked_add(length).is_none()) {
        Some(&(field, value)) => Err(RequestError {
            op,
            field,
            value,
            length,
            rule: Rule::Wraps,
        }),
        None => Ok(()),
    }
}

fn check(
    rules: Rules,
    op: Ioctl,
    fields: &[(Field, u64)],
    length: u64,
) -> Result<Option<SegmentRequest>, RequestError> {
    first_misaligned(op, fields, length)?;
    if length == 0 {
        if rules.zero_length_is_noop() {
            return Ok(None);
        }
        return Err(RequestError {
            op,
            field: Field::Length,
            value: 0,
            length,
            rule: Rule::ZeroLength,
        });
    }
    if rules.checks_wrap() {
        // Only addresses can wrap; the length entry is there for alignment.
        let addresses = fields.split_last().map_or(fields, |(_, a)| a);
        first_wrapping(op, addresses, length)?;
    }
    let user_first = match fields.first() {
        Some(&(Field::UserAddr, user)) => segment_of(user),
        _ => 0,
    };
    let vcpu_first = fields
        .iter()
        .find(|(f, _)| *f == Field::VcpuAddr)
        .map_or(0, |&(_, v)| segment_of(v));
    Ok(Some(SegmentRequest {
        vcpu_first,
        user_first,
        count: segment_of(length),
    }))
}

/// The verdict on a `KVM_S390_UCAS_MAP` request: `Ok(None)` when it succeeds
/// without effect (length 0 on generation C), else the segments it maps.
///
/// # Errors
/// [`RequestError`] (EINVAL) naming the first field that breaks a rule:
/// alignment (user_addr, vcpu_addr, length, in that order), zero length,
/// wrap-around.
pub fn check_map(rules: Rules, m: &UcasMapping) -> Result<Option<SegmentRequest>, RequestError> {
    check(
        rules,
        Ioctl::UcasMap,
        &[
            (Field::UserAddr, m.user_addr),
            (Field::VcpuAddr, m.vcpu_addr),
            (Field::Length, m.length),
        ],
        m.length,
    )
}

/// The verdict on a `KVM_S390_UCAS_UNMAP` request (`user_addr` is ignored by
/// every generation): `Ok(None)` when it succeeds without effect.
///
/// # Errors
/// [`RequestError`] (EINVAL): vcpu_addr or length misaligned, zero length,
/// wrap-around.
pub fn check_unmap(
    rules: Rules,
    vcpu_addr: u64,
    length: u64,
) -> Result<Option<SegmentRequest>, RequestError> {
    check(
        rules,
        Ioctl::UcasUnmap,
        &[(Field::VcpuAddr, vcpu_addr), (Field::Length, length)],
        length,
    )
}

/// The outcome of `KVM_S390_VCPU_FAULT` for a given state of the vcpu segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultVerdict {
    /// The page was faulted in: the ioctl returns 0.
    Resolved,
    /// The segment is not mapped: the generation's errno (EFAULT on A,
    /// EREMOTE on B and C, which also write the ucontrol exit fields).
    SegmentNotMapped(Generation),
    /// The segment is mapped but the user memory behind it is missing: EFAULT.
    NoUserMemory,
}

impl FaultVerdict {
    /// The verdict for a segment that is (`mapped`) or is not mapped and,
    /// when mapped, whose user page exists (`user_page_present`).
    #[must_use]
    pub const fn of(generation: Generation, mapped: bool, user_page_present: bool) -> Self {
        match (mapped, user_page_present) {
            (false, _) => Self::SegmentNotMapped(generation),
            (true, true) => Self::Resolved,
            (true, false) => Self::NoUserMemory,
        }
    }

    /// The ioctl's result: `Ok(())` or the errno.
    ///
    /// # Errors
    /// The errno of a failed fault.
    pub const fn result(self) -> Result<(), Errno> {
        match self {
            Self::Resolved => Ok(()),
            Self::SegmentNotMapped(g) => Err(g.unmapped_fault_errno()),
            Self::NoUserMemory => Err(Errno::FAULT),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::SEGMENT_SIZE as MIB;

    const E: [u64; 6] = [0, 1, MIB - 1, MIB, u64::MAX - MIB + 1, u64::MAX];

    fn m(user_addr: u64, vcpu_addr: u64, length: u64) -> UcasMapping {
        UcasMapping {
            user_addr,
            vcpu_addr,
            length,
        }
    }

    fn rule_of(r: Result<Option<SegmentRequest>, RequestError>) -> Option<(Field, Rule)> {
        r.err().map(|e| (e.field, e.rule))
    }

    #[test]
    fn generations_from_versions() {
        let table = [
            ("6.8", Ok(Generation::A)),
            ("3.3", Ok(Generation::A)),
            ("6.13.2", Ok(Generation::A)),
            ("6.8.0-45-generic", Ok(Generation::A)),
            ("6.14", Ok(Generation::B)),
            ("v6.19-rc3", Ok(Generation::B)),
            ("7.0", Ok(Generation::C)),
            ("7.0-rc1", Ok(Generation::C)),
            ("12.4", Ok(Generation::C)),
            ("3.2", Err(VersionError::TooOld { major: 3, minor: 2 })),
            ("6", Err(VersionError::Malformed)),
            ("six.eight", Err(VersionError::Malformed)),
            ("", Err(VersionError::Malformed)),
            ("99999999999.1", Err(VersionError::Malformed)),
        ];
        for (text, want) in table {
            assert_eq!(Generation::from_kernel_version(text), want, "{text:?}");
        }
    }

    #[test]
    fn map_alignment_edges_all_rules() {
        let rules = [
            Rules::Strict,
            Rules::Kernel(Generation::A),
            Rules::Kernel(Generation::B),
            Rules::Kernel(Generation::C),
        ];
        for rules in rules {
            for v in E {
                let aligned = is_segment_aligned(v);
                let r = check_map(rules, &m(v, 0, MIB));
                let wraps = v == E[4] && rules.checks_wrap();
                assert_eq!(r.is_ok(), aligned && !wraps, "user {v:#x} {rules:?}");
                if !aligned {
                    assert_eq!(rule_of(r), Some((Field::UserAddr, Rule::NotAligned)));
                }
                let r = check_map(rules, &m(0, v, MIB));
                if aligned {
                    let wraps = v == E[4];
                    assert_eq!(r.is_err(), wraps && rules.checks_wrap(), "{v:#x} {rules:?}");
                } else {
                    assert_eq!(rule_of(r), Some((Field::VcpuAddr, Rule::NotAligned)));
                }
                let r = check_map(rules, &m(0, 0, v));
                if !aligned {
                    assert_eq!(rule_of(r), Some((Field::Length, Rule::NotAligned)));
                }
            }
        }
    }

    #[test]
    fn zero_length_and_wrap_per_generation() {
        let zero = m(0, 0, 0);
        let wrap = m(0, E[4], 2 * MIB);
        let ends_at_top = m(0, E[4], MIB);
        for (rules, zero_ok, wrap_ok) in [
            (Rules::Strict, false, false),
            (Rules::Kernel(Generation::A), false, false),
            (Rules::Kernel(Generation::B), false, false),
            (Rules::Kernel(Generation::C), true, true),
        ] {
            assert_eq!(check_map(rules, &zero).is_ok(), zero_ok, "{rules:?}");
            assert_eq!(check_unmap(rules, 0, 0).is_ok(), zero_ok, "{rules:?}");
            if zero_ok {
                assert_eq!(check_map(rules, &zero), Ok(None));
            } else {
                assert_eq!(
                    rule_of(check_map(rules, &zero)),
                    Some((Field::Length, Rule::ZeroLength))
                );
            }
            assert_eq!(check_map(rules, &wrap).is_ok(), wrap_ok, "{rules:?}");
            assert_eq!(check_map(rules, &ends_at_top).is_ok(), wrap_ok, "{rules:?}");
            assert_eq!(check_unmap(rules, E[4], 2 * MIB).is_ok(), wrap_ok);
            if !wrap_ok {
                assert_eq!(
                    rule_of(check_map(rules, &wrap)),
                    Some((Field::VcpuAddr, Rule::Wraps))
                );
                assert_eq!(
                    rule_of(check_map(rules, &m(E[4], 0, MIB))),
                    Some((Field::UserAddr, Rule::Wraps))
                );
            }
        }
        let r = check_map(Rules::Kernel(Generation::C), &wrap)
            .unwrap()
            .unwrap();
        assert!(r.wraps());
        assert_eq!(r.count, 2);
        let r = check_map(Rules::Strict, &m(5 * MIB, 3 * MIB, 4 * MIB)).unwrap();
        assert_eq!(
            r,
            Some(SegmentRequest {
                vcpu_first: 3,
                user_first: 5,
                count: 4
            })
        );
        assert!(!r.unwrap().wraps());
    }

    #[test]
    fn unmap_ignores_user_addr_and_checks_alignment() {
        for rules in [Rules::Strict, Rules::Kernel(Generation::A)] {
            assert_eq!(
                rule_of(check_unmap(rules, 1, MIB)),
                Some((Field::VcpuAddr, Rule::NotAligned))
            );
            assert_eq!(
                rule_of(check_unmap(rules, 0, MIB - 1)),
                Some((Field::Length, Rule::NotAligned))
            );
            assert_eq!(
                check_unmap(rules, 2 * MIB, MIB)
                    .unwrap()
                    .unwrap()
                    .vcpu_first,
                2
            );
        }
    }

    #[test]
    fn messages_name_field_and_rule() {
        let e = check_map(Rules::Strict, &m(0, 0x10_0001, MIB)).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("vcpu_addr 0x100001 is not 1 MiB aligned"),
            "{text}"
        );
        assert!(text.contains("0x100000"), "{text}");
        assert_eq!(e.errno().raw_os_error(), 22);
    }

    #[test]
    fn fault_verdicts() {
        use FaultVerdict as V;
        assert_eq!(
            V::of(Generation::A, false, true)
                .result()
                .map_err(Errno::raw_os_error),
            Err(14)
        );
        assert_eq!(
            V::of(Generation::B, false, false)
                .result()
                .map_err(Errno::raw_os_error),
            Err(66)
        );
        assert_eq!(
            V::of(Generation::C, false, true)
                .result()
                .map_err(Errno::raw_os_error),
            Err(66)
        );
        for g in Generation::ALL {
            assert_eq!(V::of(g, true, true).result(), Ok(()));
            assert_eq!(
                V::of(g, true, false).result().map_err(Errno::raw_os_error),
                Err(14)
            );
        }
    }
}
