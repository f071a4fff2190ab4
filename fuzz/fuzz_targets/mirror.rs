//! The `AddressSpace` mirror driven by arbitrary operation sequences, checked
//! after every step against a per-segment reference model and the spec's
//! verdicts (`ucas_fuzz`):
//!
//! - the verdict (EINVAL, no-op, wrap, capacity) is the one the spec and the
//!   table's capacity call for, and `check_*`/`extents_after_*` agree with
//!   the operation itself;
//! - an error leaves the table exactly as it was;
//! - capacity is exact: `Full` only when the result needs more than `N`
//!   extents, and `needed` is that number;
//! - the table equals the maximal runs of the reference, and translates
//!   every mapped segment (and not its unmapped neighbours) the same way;
//! - the kernel entry points follow §4 per generation, including ENOMEM
//!   (A/B: the whole range unmapped; C: the stored prefix stays).
//!
//! Each input runs on a table of 3 extents (capacity pressure) and of 24.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ucas_core::abi::UcasMapping;
use ucas_core::request::Generation;
use ucas_core::{AddressSpace, KernelSpace, SpaceError};
use ucas_fuzz::{
    Errno, Judge, MIB, Reference, SEGMENTS, Verdict, map_verdict, segments_wrap, unmap_verdict,
};

/// A segment number: mostly a small corner (so operations collide), the
/// top of the address space (wrap-around), or anywhere.
#[derive(Debug, Clone, Copy, Arbitrary)]
enum Seg {
    Low(u8),
    Top(u8),
    Anywhere(u64),
}

impl Seg {
    fn number(self) -> u64 {
        match self {
            Self::Low(x) => u64::from(x % 32),
            Self::Top(x) => (SEGMENTS as u64) - 1 - u64::from(x % 16),
            Self::Anywhere(x) => x >> 20,
        }
    }
}

/// A byte address: a segment start, usually aligned.
#[derive(Debug, Clone, Copy, Arbitrary)]
struct Addr {
    seg: Seg,
    skew: Skew,
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum Skew {
    Aligned,
    Aligned2,
    Aligned3,
    By(u32),
}

impl Addr {
    fn bytes(self) -> u64 {
        let base = self.seg.number() << 20;
        match self.skew {
            Skew::By(b) => base | u64::from(b) & (MIB - 1),
            _ => base,
        }
    }
}

/// A length: a few segments (what can succeed), or an edge.
#[derive(Debug, Clone, Copy, Arbitrary)]
enum Len {
    Segments(u8),
    Segments2(u8),
    Zero,
    Misaligned(u64),
    /// Only for unmaps and for rejected maps: the reference handles huge
    /// unmaps by range, but not huge maps.
    Huge(u64),
}

impl Len {
    fn bytes(self) -> u64 {
        match self {
            Self::Segments(n) | Self::Segments2(n) => u64::from(n % 40) * MIB,
            Self::Zero => 0,
            Self::Misaligned(x) => x | 1,
            Self::Huge(x) => (x | (1 << 63)) & !(MIB - 1),
        }
    }
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum Gen {
    A,
    B,
    C,
}

impl Gen {
    fn get(self) -> Generation {
        match self {
            Self::A => Generation::A,
            Self::B => Generation::B,
            Self::C => Generation::C,
        }
    }
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum Op {
    Map {
        judge: Judge,
        user: Addr,
        vcpu: Addr,
        len: Len,
    },
    Unmap {
        judge: Judge,
        vcpu: Addr,
        len: Len,
    },
    KernelMap {
        generation: Gen,
        user: Addr,
        vcpu: Addr,
        len: Len,
        fail_at: Option<u8>,
    },
    KernelUnmap {
        generation: Gen,
        vcpu: Addr,
        len: Len,
    },
    Forget {
        vcpu: Addr,
        len: u64,
    },
}

fuzz_target!(|ops: Vec<Op>| {
    run::<3>(&ops);
    run::<24>(&ops);
});

fn runs_of<const N: usize>(s: &AddressSpace<N>) -> Vec<(u64, u64, u64)> {
    s.iter()
        .map(|e| (e.vcpu_addr() >> 20, e.user_addr() >> 20, e.segments()))
        .collect()
}

/// Applies an accepted verdict to a copy of the reference; `None` when the
/// map is too long for a per-segment model (such inputs are skipped).
fn after(r: &Reference, v: Verdict, map: bool) -> Option<Reference> {
    let mut next = r.clone();
    if let Verdict::Segments { vcpu, user, count } = v {
        if map {
            if count > 64 {
                return None;
            }
            next.set(vcpu, Some(user), count);
        } else {
            clear(&mut next, vcpu, count);
        }
    }
    Some(next)
}

/// Unmaps `count` segments from `vcpu`, wrapping past the top.
fn clear(r: &mut Reference, vcpu: u64, count: u64) {
    let room = (SEGMENTS as u64) - vcpu;
    r.clear_range(vcpu, count.min(room));
    if count > room {
        r.clear_range(0, count - room);
    }
}

fn check_same<const N: usize>(s: &AddressSpace<N>, r: &Reference, op: &Op) {
    assert_eq!(runs_of(s), r.runs(), "after {op:?}");
    // Reverse lookups over a window of user memory, aligned and not.
    for (lo, len) in [(0, 40 * MIB), (5 * MIB + 123, 7 * MIB), (0, u64::MAX)] {
        let got: Vec<_> = s.vcpu_ranges_for(lo, len).collect();
        assert_eq!(
            got,
            reverse(r, lo, len),
            "vcpu_ranges_for({lo:#x}, {len:#x}) after {op:?}"
        );
    }
    assert!(s.len() <= N);
    assert_eq!(s.mapped_segments(), r.len() as u64);
    for (v, u) in r.segments().take(48) {
        let probe = (v << 20) | 0x5_4321;
        assert_eq!(s.translate(probe), Some((u << 20) | 0x5_4321), "{op:?}");
        let next = (v + 1) % (SEGMENTS as u64);
        assert_eq!(s.is_mapped(next << 20), r.get(next).is_some());
    }
}

fn run<const N: usize>(ops: &[Op]) {
    let mut s = AddressSpace::<N>::new();
    let mut r = Reference::default();
    for op in ops {
        let before = s.clone();
        match *op {
            Op::Map {
                judge,
                user,
                vcpu,
                len,
            } => {
                let m = UcasMapping {
                    user_addr: user.bytes(),
                    vcpu_addr: vcpu.bytes(),
                    length: len.bytes(),
                };
                let rules = judge.rules();
                let v = map_verdict(judge, m.user_addr, m.vcpu_addr, m.length);
                let checked = s.check_map(rules, &m);
                let needed = s.extents_after_map(rules, &m);
                let got = s.map_with(rules, m);
                assert_eq!(checked, got, "check_map disagrees with map_with: {op:?}");
                match v {
                    Verdict::Invalid => {
                        assert!(
                            matches!(got, Err(SpaceError::Request(_))),
                            "{op:?}: {got:?}"
                        );
                        assert!(needed.is_err());
                        assert_eq!(s, before);
                    }
                    Verdict::NoOp => {
                        assert_eq!(got, Ok(()));
                        assert_eq!(needed, Ok(s.len()));
                        assert_eq!(s, before);
                    }
                    Verdict::Segments { vcpu, user, count } if segments_wrap(vcpu, user, count) => {
                        assert_eq!(got, Err(SpaceError::Wraps), "{op:?}");
                        assert_eq!(s, before);
                    }
                    Verdict::Segments { .. } => {
                        let Some(next) = after(&r, v, true) else {
                            // Too long to model per segment; resynchronise
                            // by undoing it.
                            s = before;
                            continue;
                        };
                        if fits(&s, &before, got, needed, &next, op) {
                            r = next;
                        }
                    }
                }
            }
            Op::Unmap { judge, vcpu, len } => {
                let (addr, length) = (vcpu.bytes(), len.bytes());
                let rules = judge.rules();
                let v = unmap_verdict(judge, addr, length);
                let checked = s.check_unmap(rules, addr, length);
                let needed = s.extents_after_unmap(rules, addr, length);
                let got = s.unmap_with(rules, addr, length);
                assert_eq!(checked, got, "{op:?}");
                match v {
                    Verdict::Invalid => {
                        assert!(
                            matches!(got, Err(SpaceError::Request(_))),
                            "{op:?}: {got:?}"
                        );
                        assert_eq!(s, before);
                    }
                    Verdict::NoOp => {
                        assert_eq!(got, Ok(()));
                        assert_eq!(s, before);
                    }
                    Verdict::Segments { vcpu, count, .. } if segments_wrap(vcpu, 0, count) => {
                        assert_eq!(got, Err(SpaceError::Wraps), "{op:?}");
                        assert_eq!(s, before);
                    }
                    Verdict::Segments { .. } => {
                        let next = after(&r, v, false).expect("unmaps are modelled");
                        if fits(&s, &before, got, needed, &next, op) {
                            r = next;
                        }
                    }
                }
            }
            Op::KernelMap {
                generation,
                user,
                vcpu,
                len,
                fail_at,
            } => {
                let g = generation.get();
                let judge = match generation {
                    Gen::A => Judge::A,
                    Gen::B => Judge::B,
                    Gen::C => Judge::C,
                };
                let m = UcasMapping {
                    user_addr: user.bytes(),
                    vcpu_addr: vcpu.bytes(),
                    length: len.bytes(),
                };
                let v = map_verdict(judge, m.user_addr, m.vcpu_addr, m.length);
                if let Verdict::Segments { count, .. } = v
                    && count > 64
                {
                    continue;
                }
                let fail_at = fail_at.map(|k| u64::from(k % 48));
                let mut k = KernelSpace::from_space(g, s.clone());
                let got = k.map(&m, fail_at);
                s = k.into_space();
                match v {
                    Verdict::Invalid => {
                        assert_eq!(got.map_err(|e| e.errno()), Err(Errno::INVAL), "{op:?}");
                        assert_eq!(s, before);
                    }
                    Verdict::NoOp => {
                        assert_eq!(got, Ok(0));
                        assert_eq!(s, before);
                    }
                    Verdict::Segments { vcpu, user, count } => {
                        // The documented order: segments are stored in
                        // ascending vcpu order, piece by piece where a range
                        // passes the top, until the injected failure or the
                        // first piece the table cannot hold.
                        let k = fail_at.map_or(count, |k| k.min(count));
                        let mut prefix = r.clone();
                        let mut stored = 0;
                        for (v, u, c) in pieces(vcpu, user, k) {
                            let mut t = prefix.clone();
                            t.set(v, Some(u), c);
                            if t.runs().len() > N {
                                break;
                            }
                            prefix = t;
                            stored += c;
                        }
                        match got {
                            Ok(n) => {
                                assert_eq!((n, stored), (count, count), "{op:?}");
                                r = prefix;
                            }
                            Err(e) => {
                                assert_eq!(e.errno(), Errno::NOMEM, "{op:?}");
                                assert!(stored < count, "{op:?}: spurious ENOMEM");
                                assert_eq!(e.stored(), stored, "{op:?}");
                                if g.enomem_keeps_prefix() {
                                    r = prefix;
                                } else {
                                    let mut cleared = r.clone();
                                    clear(&mut cleared, vcpu, count);
                                    if cleared.runs().len() <= N {
                                        r = cleared;
                                    } else {
                                        // The model's table cannot hold the
                                        // hole (documented; the emulator's
                                        // tables are sized far beyond this).
                                        r = reference_of(&s);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            Op::KernelUnmap {
                generation,
                vcpu,
                len,
            } => {
                let judge = match generation {
                    Gen::A => Judge::A,
                    Gen::B => Judge::B,
                    Gen::C => Judge::C,
                };
                let (addr, length) = (vcpu.bytes(), len.bytes());
                let v = unmap_verdict(judge, addr, length);
                let mut k = KernelSpace::from_space(generation.get(), s.clone());
                let got = k.unmap(addr, length);
                s = k.into_space();
                match v {
                    Verdict::Invalid => {
                        assert_eq!(got.map_err(|e| e.errno()), Err(Errno::INVAL), "{op:?}");
                        assert_eq!(s, before);
                    }
                    Verdict::NoOp => {
                        assert_eq!(got, Ok(()));
                        assert_eq!(s, before);
                    }
                    Verdict::Segments { vcpu, count, .. } => {
                        let mut next = r.clone();
                        clear(&mut next, vcpu, count);
                        match got {
                            Ok(()) => r = next,
                            Err(e) => {
                                assert_eq!(e.errno(), Errno::NOMEM);
                                assert!(next.runs().len() > N, "{op:?}: spurious ENOMEM");
                                r = reference_of(&s);
                            }
                        }
                    }
                }
            }
            Op::Forget { vcpu, len } => {
                let addr = vcpu.bytes();
                let got = s.forget_overlapping(addr, len);
                // The runs that overlap [addr, addr + len) clipped at 2^64.
                let lo = u128::from(addr);
                let hi = (lo + u128::from(len)).min(1 << 64);
                let hit: Vec<_> = r
                    .runs()
                    .into_iter()
                    .filter(|&(v, _, n)| {
                        let (a, b) = (u128::from(v) << 20, u128::from(v + n) << 20);
                        lo < hi && a < hi && lo < b
                    })
                    .collect();
                match (hit.first(), hit.last()) {
                    (Some(first), Some(last)) => {
                        let start = first.0 << 20;
                        let end = u128::from(last.0 + last.2) << 20;
                        let span = u64::try_from(end - u128::from(start)).unwrap_or(u64::MAX);
                        assert_eq!(got, Some((start, span)), "{op:?}");
                        for &(v, _, n) in &hit {
                            r.clear_range(v, n);
                        }
                    }
                    _ => {
                        assert_eq!(got, None, "{op:?}");
                        assert_eq!(s, before);
                    }
                }
            }
        }
        check_same(&s, &r, op);
    }
}

/// Capacity is exact: an accepted request succeeds when its result (`next`)
/// fits the table and is refused as `Full`, naming the extents it needs and
/// changing nothing, when it does not. `extents_after_*` predicted
/// `needed`. Returns whether it succeeded.
fn fits<const N: usize>(
    s: &AddressSpace<N>,
    before: &AddressSpace<N>,
    got: Result<(), SpaceError>,
    needed: Result<usize, SpaceError>,
    next: &Reference,
    op: &Op,
) -> bool {
    let want = next.runs().len();
    assert_eq!(needed, Ok(want), "extents_after: {op:?}");
    if want <= N {
        assert_eq!(got, Ok(()), "{op:?}");
        return true;
    }
    assert_eq!(
        got,
        Err(SpaceError::Full {
            needed: want,
            capacity: N
        }),
        "{op:?}"
    );
    assert_eq!(s, before);
    false
}

/// A request split where its vcpu or user range passes the top: (vcpu
/// segment, user segment, count) per piece, in storing order.
fn pieces(vcpu: u64, user: u64, count: u64) -> Vec<(u64, u64, u64)> {
    let top = SEGMENTS as u64;
    let mut out = Vec::new();
    let mut done = 0;
    while done < count {
        let v = (vcpu + done) % top;
        let u = (user + done) % top;
        let room = (top - v).min(top - u).min(count - done);
        out.push((v, u, room));
        done += room;
    }
    out
}

/// The vcpu ranges resolving into user `[lo, lo + len)` (clipped at 2^64),
/// from the reference: (vcpu address, user address, length; `u64::MAX` for
/// 2^64), one per run, in vcpu order.
fn reverse(r: &Reference, lo: u64, len: u64) -> Vec<(u64, u64, u64)> {
    let lo = u128::from(lo);
    let hi = (lo + u128::from(len)).min(1 << 64);
    r.runs()
        .into_iter()
        .filter_map(|(v, u, n)| {
            let (u0, u1) = (u128::from(u) << 20, u128::from(u + n) << 20);
            let (a, b) = (u0.max(lo), u1.min(hi));
            (a < b).then(|| {
                let vcpu = (u128::from(v) << 20) + (a - u0);
                (
                    vcpu as u64,
                    a as u64,
                    u64::try_from(b - a).unwrap_or(u64::MAX),
                )
            })
        })
        .collect()
}

/// The per-segment reference of a table (only for small tables).
fn reference_of<const N: usize>(s: &AddressSpace<N>) -> Reference {
    let mut r = Reference::default();
    for e in s {
        r.set(e.vcpu_addr() >> 20, Some(e.user_addr() >> 20), e.segments());
    }
    r
}
