//! Shared pieces of the fuzz targets: an encoding of the kernel rules of
//! `spec/ucontrol.md` §4 written from the table, not from `ucas_core::request`,
//! and a per-segment reference model of one vcpu's address space.
//!
//! Both are deliberately naive (one `BTreeMap` entry per segment, rules as a
//! literal reading of the table), so that agreeing with them means something.

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use ucas_core::request::{Generation, Rules};

pub const MIB: u64 = 1 << 20;
/// Segments in the 64-bit address space.
pub const SEGMENTS: u128 = 1 << 44;

pub use ucas_core::Errno;

/// Which rules to judge by; `Arbitrary` so targets can pick one from bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Judge {
    Strict,
    A,
    B,
    C,
}

impl Judge {
    pub const ALL: [Self; 4] = [Self::Strict, Self::A, Self::B, Self::C];

    pub fn rules(self) -> Rules {
        match self {
            Self::Strict => Rules::Strict,
            Self::A => Rules::Kernel(Generation::A),
            Self::B => Rules::Kernel(Generation::B),
            Self::C => Rules::Kernel(Generation::C),
        }
    }

    pub fn generation(self) -> Option<Generation> {
        match self {
            Self::Strict => None,
            Self::A => Some(Generation::A),
            Self::B => Some(Generation::B),
            Self::C => Some(Generation::C),
        }
    }
}

fn aligned(x: u64) -> bool {
    x.is_multiple_of(MIB)
}

/// `addr + length` does not fit in 64 bits (the kernel's `addr + len < addr`).
fn wraps(addr: u64, length: u64) -> bool {
    u128::from(addr) + u128::from(length) > u128::from(u64::MAX)
}

/// What the spec says a MAP or UNMAP does, before any memory is involved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// EINVAL (for Strict: some generation, or the strict extras, reject it).
    Invalid,
    /// Returns 0 and changes nothing (length 0 on generation C).
    NoOp,
    /// Accepted: `count` segments from vcpu segment `vcpu`, user segment
    /// `user` (0 for UNMAP). Ranges may wrap past the top only on C.
    Segments { vcpu: u64, user: u64, count: u64 },
}

/// Spec §4, the MAP column of each generation, read row by row.
pub fn map_verdict(judge: Judge, user: u64, vcpu: u64, length: u64) -> Verdict {
    verdict(judge, &[user, vcpu], length, user / MIB)
}

/// Spec §4, the UNMAP rows: the same, but user_addr is never looked at.
pub fn unmap_verdict(judge: Judge, vcpu: u64, length: u64) -> Verdict {
    verdict(judge, &[vcpu], length, 0)
}

/// The rows shared by MAP and UNMAP; the vcpu address is the last of
/// `addresses`.
fn verdict(judge: Judge, addresses: &[u64], length: u64, user: u64) -> Verdict {
    // Row 1: any field misaligned: EINVAL everywhere.
    if !aligned(length) || addresses.iter().any(|&a| !aligned(a)) {
        return Verdict::Invalid;
    }
    // Row 2: length 0: EINVAL on A and B, a no-op on C. Strict rejects
    // what any generation rejects.
    if length == 0 {
        return if judge == Judge::C {
            Verdict::NoOp
        } else {
            Verdict::Invalid
        };
    }
    // Row 3: wrap-around: EINVAL on A and B, not checked on C.
    if judge != Judge::C && addresses.iter().any(|&a| wraps(a, length)) {
        return Verdict::Invalid;
    }
    let vcpu = addresses.last().copied().unwrap_or(0);
    Verdict::Segments {
        vcpu: vcpu / MIB,
        user,
        count: length / MIB,
    }
}

/// Whether an accepted request's vcpu or user range passes the last segment.
pub fn segments_wrap(vcpu: u64, user: u64, count: u64) -> bool {
    u128::from(vcpu) + u128::from(count) > SEGMENTS
        || u128::from(user) + u128::from(count) > SEGMENTS
}

/// Spec §4, the VCPU_FAULT rows.
pub fn fault_result(g: Generation, mapped: bool, user_memory: bool) -> Result<(), Errno> {
    match (mapped, user_memory) {
        (false, _) if g == Generation::A => Err(Errno::FAULT),
        (false, _) => Err(Errno::REMOTE),
        (true, false) => Err(Errno::FAULT),
        (true, true) => Ok(()),
    }
}

/// The generation of kernel `major.minor` by the spec's column headings:
/// none before 3.3, A up to 6.13, B 6.14 to 6.19, C from 7.0.
pub fn generation_of(major: u64, minor: u64) -> Option<Generation> {
    let v = (major, minor);
    if v < (3, 3) {
        None
    } else if v <= (6, 13) {
        Some(Generation::A)
    } else if v <= (6, 19) || major == 6 {
        // Every later 6.x is still before 7.0, with B's behaviour.
        Some(Generation::B)
    } else {
        Some(Generation::C)
    }
}

/// One vcpu address space, one entry per mapped vcpu segment: the shape of
/// the kernel's own per-segment table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reference {
    segs: BTreeMap<u64, u64>,
}

impl Reference {
    /// Maps `count` segments from `vcpu` to `user`, or unmaps them for
    /// `None`; segment numbers wrap modulo 2^44 (generation C only).
    ///
    /// Cost is linear in `count`: callers keep counts small or use
    /// [`Self::set_range`].
    pub fn set(&mut self, vcpu: u64, user: Option<u64>, count: u64) {
        for i in 0..count {
            let v = ((u128::from(vcpu) + u128::from(i)) % SEGMENTS) as u64;
            match user {
                Some(u) => {
                    let u = ((u128::from(u) + u128::from(i)) % SEGMENTS) as u64;
                    self.segs.insert(v, u);
                }
                None => {
                    self.segs.remove(&v);
                }
            }
        }
    }

    /// Unmaps every entry in `[vcpu, vcpu + count)` (no wrap), in time
    /// proportional to what is mapped, not to `count`.
    pub fn clear_range(&mut self, vcpu: u64, count: u64) {
        let end = u128::from(vcpu) + u128::from(count);
        let doomed: Vec<u64> = self
            .segs
            .range(vcpu..)
            .map(|(&v, _)| v)
            .take_while(|&v| u128::from(v) < end)
            .collect();
        for v in doomed {
            self.segs.remove(&v);
        }
    }

    /// The user segment vcpu segment `v` resolves to.
    pub fn get(&self, v: u64) -> Option<u64> {
        self.segs.get(&v).copied()
    }

    pub fn len(&self) -> usize {
        self.segs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.segs.is_empty()
    }

    /// Maximal runs contiguous in both vcpu and user segments, in vcpu order:
    /// exactly the extents a coalesced table must hold.
    pub fn runs(&self) -> Vec<(u64, u64, u64)> {
        let mut runs: Vec<(u64, u64, u64)> = Vec::new();
        for (&v, &u) in &self.segs {
            match runs.last_mut() {
                Some((rv, ru, n)) if *rv + *n == v && *ru + *n == u => *n += 1,
                _ => runs.push((v, u, 1)),
            }
        }
        runs
    }

    /// The mapped vcpu segments, in order.
    pub fn segments(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.segs.iter().map(|(&v, &u)| (v, u))
    }
}

/// Why [`reference_number`] rejects a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberFault {
    /// Not the syntax of a number (takes precedence over overflow).
    Syntax,
    /// Well formed, but more than 64 bits.
    Overflow,
}

/// Reads a number the way the plan format defines it, by a second, simpler
/// route than `ucas_core::plan::parse_number`: split off the prefix and the
/// suffix, check the `_` placement, then fold the digits in u128.
pub fn reference_number(s: &str) -> Result<u64, NumberFault> {
    let (radix, body) = match s.get(..2) {
        Some("0x" | "0X") => (16, &s[2..]),
        _ => (10, s),
    };
    let (digits, shift) = match body.chars().last() {
        Some('k' | 'K') => (&body[..body.len() - 1], 10),
        Some('m' | 'M') => (&body[..body.len() - 1], 20),
        Some('g' | 'G') => (&body[..body.len() - 1], 30),
        Some('t' | 'T') => (&body[..body.len() - 1], 40),
        _ => (body, 0),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return Err(NumberFault::Syntax);
    }
    const TOO_BIG: u128 = 1 << 64;
    let mut value: u128 = 0;
    for c in digits.chars().filter(|&c| c != '_') {
        let d = c.to_digit(radix).ok_or(NumberFault::Syntax)?;
        // Saturate at 2^64: a later bad digit must still be seen.
        value = (value * u128::from(radix) + u128::from(d)).min(TOO_BIG);
    }
    u64::try_from(value << shift).map_err(|_| NumberFault::Overflow)
}
