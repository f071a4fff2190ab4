//! The kernel-rule verdicts of every generation and of strict mode, against
//! the independent reading of spec §4 in `ucas_fuzz`:
//!
//! - `check_map`/`check_unmap`: reject exactly what the spec rejects, name a
//!   field and rule that are really broken (alignment before zero length
//!   before wrap-around, fields in struct order), accept with the right
//!   segment numbers, and `wraps()` exactly when the spec's range passes 2^64;
//! - strict accepts only what every generation accepts, with the same result;
//! - `KernelSpace::map`/`unmap` on an empty table give the spec's errno and
//!   map exactly the requested segments (wrapping on C);
//! - `VCPU_FAULT` verdicts and `Generation::from_kernel_version` match the
//!   spec's tables and version ranges.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ucas_core::KernelSpace;
use ucas_core::abi::{Ioctl, UcasMapping};
use ucas_core::request::{
    FaultVerdict, Field, Generation, Rule, Rules, VersionError, check_map, check_unmap,
};
use ucas_fuzz::{
    Errno, Judge, MIB, SEGMENTS, Verdict, fault_result, generation_of, map_verdict, segments_wrap,
    unmap_verdict,
};

/// A u64 biased towards the values where rules change.
#[derive(Debug, Clone, Copy, Arbitrary)]
enum Num {
    Edge(u8),
    Segments(u16),
    TopSegments(u16),
    Raw(u64),
}

impl Num {
    fn get(self) -> u64 {
        const EDGES: [u64; 10] = [
            0,
            1,
            MIB - 1,
            MIB,
            2 * MIB,
            u64::MAX - MIB + 1,
            u64::MAX - 2 * MIB + 1,
            u64::MAX,
            1 << 63,
            (1 << 63) - MIB,
        ];
        match self {
            Self::Edge(i) => EDGES[usize::from(i) % EDGES.len()],
            Self::Segments(n) => u64::from(n) * MIB,
            Self::TopSegments(n) => 0u64.wrapping_sub(u64::from(n) * MIB),
            Self::Raw(x) => x,
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    judge: Judge,
    user: Num,
    vcpu: Num,
    length: Num,
    fault: (u8, bool, bool),
    version: String,
}

fuzz_target!(|input: Input| {
    let (user, vcpu, length) = (input.user.get(), input.vcpu.get(), input.length.get());
    let rules = input.judge.rules();

    let map = check_map(
        rules,
        &UcasMapping {
            user_addr: user,
            vcpu_addr: vcpu,
            length,
        },
    );
    let want = map_verdict(input.judge, user, vcpu, length);
    compare(
        Ioctl::UcasMap,
        map,
        want,
        &[(Field::UserAddr, user), (Field::VcpuAddr, vcpu)],
        length,
    );

    let unmap = check_unmap(rules, vcpu, length);
    let want_unmap = unmap_verdict(input.judge, vcpu, length);
    compare(
        Ioctl::UcasUnmap,
        unmap,
        want_unmap,
        &[(Field::VcpuAddr, vcpu)],
        length,
    );

    // Strict is portable: what it accepts, every generation accepts alike.
    if let Ok(strict) = check_map(
        Rules::Strict,
        &UcasMapping {
            user_addr: user,
            vcpu_addr: vcpu,
            length,
        },
    ) {
        for g in Generation::ALL {
            let m = UcasMapping {
                user_addr: user,
                vcpu_addr: vcpu,
                length,
            };
            assert_eq!(check_map(Rules::Kernel(g), &m), Ok(strict));
        }
    }
    if let Ok(strict) = check_unmap(Rules::Strict, vcpu, length) {
        for g in Generation::ALL {
            assert_eq!(check_unmap(Rules::Kernel(g), vcpu, length), Ok(strict));
        }
    }

    if let Some(g) = input.judge.generation() {
        kernel_entry_points(g, user, vcpu, length, want, want_unmap);
    }

    let g = Generation::ALL[usize::from(input.fault.0) % 3];
    let (mapped, present) = (input.fault.1, input.fault.2);
    assert_eq!(
        FaultVerdict::of(g, mapped, present).result(),
        fault_result(g, mapped, present)
    );
    assert_eq!(g.unmapped_fault_sets_exit(), g != Generation::A);

    version(&input.version);
});

fn compare(
    op: Ioctl,
    got: Result<Option<ucas_core::request::SegmentRequest>, ucas_core::request::RequestError>,
    want: Verdict,
    addresses: &[(Field, u64)],
    length: u64,
) {
    match (got, want) {
        (Err(e), Verdict::Invalid) => {
            assert_eq!(e.op, op);
            assert_eq!(e.errno(), Errno::INVAL);
            assert_eq!(e.length, length);
            assert!(e.to_string().contains(op.name()));
            let fields: Vec<(Field, u64)> = addresses
                .iter()
                .copied()
                .chain([(Field::Length, length)])
                .collect();
            // The reported rule is really broken by the reported field, and
            // it is the first broken one in the documented order.
            let misaligned = fields.iter().find(|(_, v)| v % MIB != 0);
            match e.rule {
                Rule::NotAligned => {
                    assert_eq!(misaligned.copied(), Some((e.field, e.value)));
                }
                Rule::ZeroLength => {
                    assert!(misaligned.is_none());
                    assert_eq!((e.field, e.value, length), (Field::Length, 0, 0));
                }
                Rule::Wraps => {
                    assert!(misaligned.is_none() && length != 0);
                    let first = addresses
                        .iter()
                        .find(|(_, v)| u128::from(*v) + u128::from(length) > u128::from(u64::MAX));
                    assert_eq!(first.copied(), Some((e.field, e.value)));
                }
                _ => panic!("unknown rule {e:?}"),
            }
        }
        (Ok(None), Verdict::NoOp) => {}
        (Ok(Some(r)), Verdict::Segments { vcpu, user, count }) => {
            assert_eq!((r.vcpu_first, r.user_first, r.count), (vcpu, user, count));
            assert_eq!(r.wraps(), segments_wrap(vcpu, user, count));
        }
        (got, want) => panic!("{op:?}: core says {got:?}, the spec says {want:?}"),
    }
}

fn kernel_entry_points(
    g: Generation,
    user: u64,
    vcpu: u64,
    length: u64,
    map: Verdict,
    unmap: Verdict,
) {
    // Generation C stores a wrapping request in up to three pieces (the vcpu
    // and the user range may each pass the top, at different segments).
    let mut s = KernelSpace::<3>::new(g);
    let m = UcasMapping {
        user_addr: user,
        vcpu_addr: vcpu,
        length,
    };
    let got = s.map(&m, None);
    match map {
        Verdict::Invalid => {
            assert_eq!(got.map_err(|e| e.errno()), Err(Errno::INVAL));
            assert!(s.space().is_empty());
        }
        Verdict::NoOp => {
            assert_eq!(got, Ok(0));
            assert!(s.space().is_empty());
        }
        Verdict::Segments { vcpu, user, count } => {
            assert_eq!(got, Ok(count));
            assert_eq!(s.space().mapped_segments(), count);
            let last = (vcpu + count - 1) % (SEGMENTS as u64);
            let last_user = (user + count - 1) % (SEGMENTS as u64);
            assert_eq!(
                s.space().translate((vcpu << 20) | 7),
                Some((user << 20) | 7)
            );
            assert_eq!(s.space().translate(last << 20), Some(last_user << 20));
            // Unmapping the same range (user_addr ignored) empties it again.
            assert_eq!(s.unmap(m.vcpu_addr, m.length), Ok(()));
            assert!(s.space().is_empty(), "{g:?} {m:?}: {s:?}");
        }
    }
    let mut s = KernelSpace::<2>::new(g);
    s.map(
        &UcasMapping {
            user_addr: 0,
            vcpu_addr: vcpu & !(MIB - 1),
            length: MIB,
        },
        None,
    )
    .ok();
    let before = s.clone();
    let got = s.unmap(vcpu, length);
    match unmap {
        Verdict::Invalid => {
            assert_eq!(got.map_err(|e| e.errno()), Err(Errno::INVAL));
            assert_eq!(s, before);
        }
        Verdict::NoOp => {
            assert_eq!(got, Ok(()));
            assert_eq!(s, before);
        }
        Verdict::Segments { .. } => {
            assert_eq!(got, Ok(()));
            // The one mapped segment lies at the start of the range.
            assert!(s.space().is_empty(), "{g:?}: {s:?}");
        }
    }
}

/// `MAJOR.MINOR` read without `from_kernel_version`'s helpers: trim, an
/// optional `v`, digits, a dot, digits; the rest is ignored.
fn version(text: &str) {
    let got = Generation::from_kernel_version(text);
    let t = text.trim();
    let t = t.strip_prefix('v').unwrap_or(t);
    let major: String = t.chars().take_while(char::is_ascii_digit).collect();
    let rest = &t[major.len()..];
    let want = match rest.strip_prefix('.') {
        Some(after) if !major.is_empty() => {
            let minor: String = after.chars().take_while(char::is_ascii_digit).collect();
            match (major.parse::<u32>(), minor.parse::<u32>()) {
                (Ok(a), Ok(b)) => generation_of(u64::from(a), u64::from(b))
                    .ok_or(VersionError::TooOld { major: a, minor: b }),
                _ => Err(VersionError::Malformed),
            }
        }
        _ => Err(VersionError::Malformed),
    };
    assert_eq!(got, want, "{text:?}");
}
