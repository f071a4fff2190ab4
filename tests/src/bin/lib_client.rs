//! A ucontrol client written with the `ucas` library, run under the
//! emulator by `tests/tests/emulator_library.rs`.
//!
//! `lib_client rows A|B|C` walks the rows of spec §4 that need no guest
//! execution through `Kvm`, `Vm` and `Vcpu` (with the kernel rules
//! of the named generation) and checks each outcome against what that
//! generation does. `lib_client enomem A|B|C` maps 8 segments while the
//! emulator fails one segment store. `lib_client kept A|B|C` has the kernel
//! refuse a MAP over an existing mapping that the mirror's (more lenient)
//! rules let through, and checks the mapping survives. All print `state=` followed by the
//! JSON the emulator's `--state-out` must hold if the library's mirrors tell
//! the truth, and exit 1 after listing every failed check on stderr.

use std::process::ExitCode;

use ucas::core::abi::{KVM_CAP_S390_UCONTROL, KVM_EXIT_S390_UCONTROL, UcasMapping};
use ucas::core::segment::SEGMENT_SIZE;
use ucas::core::{Errno, Generation, Rules};
use ucas::{Error, ErrorKind, GuestMemory, Kvm, Vcpu, Vm};
use ucas_emulator::state::{State, VcpuState, VmState};

const MIB: u64 = SEGMENT_SIZE;
/// A 1 MiB-aligned user address far from anything this process maps.
const NO_MEMORY: u64 = 0x6000_0000_0000;

/// Collects failed checks instead of stopping at the first.
struct Checks(Vec<String>);

impl Checks {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }
}

fn errno_of(r: &Result<(), Error>) -> Option<Errno> {
    r.as_ref().err().and_then(Error::errno)
}

fn refused(r: &Result<(), Error>) -> bool {
    matches!(r.as_ref().map_err(Error::kind), Err(ErrorKind::Refused(_)))
}

/// The state report of one ucontrol VM whose vcpus are `vcpus`, written by
/// the emulator's own writer.
fn state_json(g: Generation, vcpus: &[&Vcpu]) -> String {
    let state = State {
        generation: g,
        vms: vec![VmState {
            ucontrol: true,
            vcpus: vcpus
                .iter()
                .map(|v| VcpuState {
                    id: v.id(),
                    extents: v.mappings().iter().map(|e| e.as_mapping()).collect(),
                })
                .collect(),
        }],
    };
    state.to_json().trim_end().to_owned()
}

fn map(v: &mut Vcpu, user_addr: u64, vcpu_addr: u64, length: u64) -> Result<(), Error> {
    v.map(UcasMapping {
        user_addr,
        vcpu_addr,
        length,
    })
}

fn rows(g: Generation, c: &mut Checks) -> Result<String, Error> {
    let kvm = Kvm::open()?;
    c.check(kvm.api_version()? == 12, || "API version is not 12".into());
    let cap = kvm.check_extension(KVM_CAP_S390_UCONTROL)?;
    c.check(cap == 1, || format!("KVM_CAP_S390_UCONTROL = {cap}"));
    let vm = Vm::create_ucontrol(&kvm)?;
    c.check(vm.is_ucontrol(), || "VM is not ucontrol".into());

    let mut v0: Vcpu = Vcpu::create(&vm, 0)?;
    let mut v1: Vcpu = Vcpu::create(&vm, 1)?;
    let v254: Vcpu = Vcpu::create(&vm, 254)?;
    let dup = Vcpu::<8>::create(&vm, 0).map(drop);
    c.check(errno_of(&dup) == Some(Errno::EXIST), || {
        format!("second vcpu 0: {dup:?}")
    });
    // Ids stop below KVM_MAX_VCPU_IDS, s390's KVM_MAX_VCPUS (255).
    for id in [255, 256] {
        let big = Vcpu::<8>::create(&vm, id).map(drop);
        c.check(errno_of(&big) == Some(Errno::INVAL), || {
            format!("vcpu {id}: {big:?}")
        });
    }
    let detected = v0.detect_generation()?;
    c.check(detected == g, || {
        format!("detected {detected:?}, want {g:?}")
    });
    c.check(v0.mappings().is_empty(), || {
        "detection left a mapping".into()
    });

    let mem = GuestMemory::new(8 * MIB)?;
    let base = mem.addr();
    v0.set_rules(Rules::Kernel(g));
    v1.set_rules(Rules::Kernel(g));

    // Misaligned fields and zero lengths.
    for (what, user, vcpu, len) in [
        ("user_addr", base + 1, 0, MIB),
        ("vcpu_addr", base, 0x10_0001, MIB),
        ("length", base, 0, MIB + 1),
    ] {
        let r = map(&mut v0, user, vcpu, len);
        c.check(refused(&r), || format!("misaligned {what}: {r:?}"));
    }
    let r = v0.unmap(0x10_0001, MIB);
    c.check(refused(&r), || format!("misaligned unmap: {r:?}"));
    let zero_map = map(&mut v0, base, 0, 0);
    let zero_unmap = v0.unmap(0, 0);
    if g.zero_length_is_noop() {
        c.check(zero_map.is_ok() && zero_unmap.is_ok(), || {
            format!("zero length on {g:?}: {zero_map:?} {zero_unmap:?}")
        });
    } else {
        c.check(refused(&zero_map) && refused(&zero_unmap), || {
            format!("zero length on {g:?}: {zero_map:?} {zero_unmap:?}")
        });
    }
    if g.checks_wrap() {
        let r = map(&mut v0, base, u64::MAX - MIB + 1, 2 * MIB);
        c.check(refused(&r), || format!("wrapping vcpu range: {r:?}"));
    }
    c.check(v0.mappings().is_empty(), || {
        "a refused request changed the mirror".into()
    });

    // Map, replace a segment in the middle, unmap a hole and unmapped space.
    map(&mut v0, base, 0, 4 * MIB)?;
    map(&mut v0, base + 5 * MIB, MIB, MIB)?;
    c.check(v0.translate(MIB + 7) == Some(base + 5 * MIB + 7), || {
        "replacement not visible".into()
    });
    c.check(v0.mappings().len() == 3, || {
        format!("{} extents after replacement", v0.mappings().len())
    });
    v0.unmap(2 * MIB, MIB)?;
    v0.unmap(64 * MIB, 4 * MIB)?;
    c.check(v0.translate(2 * MIB).is_none(), || {
        "hole still mapped".into()
    });

    // VCPU_FAULT: mapped, unmapped, and mapped without user memory.
    v0.fault(0x1000)?;
    let r = v0.fault(2 * MIB + 0x1234);
    let want_errno = g.unmapped_fault_errno();
    let ok = matches!(
        r.as_ref().map_err(Error::kind),
        Err(ErrorKind::SegmentNotMapped { vcpu_addr, errno })
            if *vcpu_addr == 2 * MIB + 0x1234 && *errno == want_errno
    );
    c.check(ok, || format!("fault on a hole: {r:?}"));
    if g.unmapped_fault_sets_exit() {
        let run = v0.kvm_run();
        c.check(
            run.exit_reason == KVM_EXIT_S390_UCONTROL
                && run.ucontrol().trans_exc_code == 2 * MIB + 0x1000
                && run.ucontrol().pgm_code == 0x10,
            || format!("kvm_run after EREMOTE: {:?}", run.ucontrol()),
        );
    }
    map(&mut v0, NO_MEMORY, 16 * MIB, MIB)?;
    let r = v0.fault(16 * MIB);
    c.check(
        matches!(
            r.as_ref().map_err(Error::kind),
            Err(ErrorKind::NoUserMemory { vcpu_addr }) if *vcpu_addr == 16 * MIB
        ),
        || format!("fault without user memory: {r:?}"),
    );

    // Two vcpu segments of one vcpu on one user segment: A and B refuse the
    // second one's fault with EEXIST; C serves both. Another vcpu may share.
    map(&mut v0, base, 32 * MIB, MIB)?;
    let r = v0.fault(32 * MIB);
    if g.allows_shared_user_segment() {
        c.check(r.is_ok(), || format!("shared user segment on C: {r:?}"));
    } else {
        c.check(errno_of(&r) == Some(Errno::EXIST), || {
            format!("shared user segment on {g:?}: {r:?}")
        });
    }
    map(&mut v1, base, 0, 2 * MIB)?;
    v1.fault(0)?;
    Ok(state_json(g, &[&v0, &v1, &v254]))
}

/// A MAP the kernel refuses after the mirror's check let it through (the
/// rules of a more lenient generation: C takes a zero length as a no-op, A
/// and B refuse it with EINVAL), inside a mapping that exists: the kernel
/// changed nothing, so neither may the mirror or the kernel: a plain EINVAL
/// (no clean-up UNMAP, which A and B would refuse too), and the mapping
/// stays. On C, where nothing is more lenient, only the mapping is made.
fn kept(g: Generation, c: &mut Checks) -> Result<String, Error> {
    let kvm = Kvm::open()?;
    let vm = Vm::create_ucontrol(&kvm)?;
    let mut v0: Vcpu = Vcpu::create(&vm, 0)?;
    let mem = GuestMemory::new(4 * MIB)?;
    let base = mem.addr();
    v0.set_rules(Rules::Kernel(g));
    map(&mut v0, base, 0, 4 * MIB)?;
    if !g.zero_length_is_noop() {
        v0.set_rules(Rules::Kernel(Generation::C));
        let r = map(&mut v0, base, MIB, 0);
        let plain = matches!(
            r.as_ref().map_err(Error::kind),
            Err(ErrorKind::Errno(Errno::INVAL))
        );
        c.check(plain, || {
            format!("zero length on {g:?} with C's rules: {r:?}")
        });
        c.check(v0.translate(MIB + 5) == Some(base + MIB + 5), || {
            format!("the mapping did not survive: {:?}", v0.mappings())
        });
        c.check(v0.mappings().len() == 1, || {
            format!("mirror changed: {:?}", v0.mappings())
        });
    }
    Ok(state_json(g, &[&v0]))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [what, letter] = args.as_slice() else {
        eprintln!("usage: lib_client rows|kept A|B|C");
        return ExitCode::from(2);
    };
    let Some(g) = Generation::ALL
        .into_iter()
        .find(|g| g.letter().to_string() == *letter)
    else {
        eprintln!("lib_client: unknown generation {letter:?}; use A, B or C");
        return ExitCode::from(2);
    };
    let mut checks = Checks(Vec::new());
    let state = match what.as_str() {
        "rows" => rows(g, &mut checks),
        "kept" => kept(g, &mut checks),
        other => {
            eprintln!("lib_client: unknown scenario {other:?}; use rows or kept");
            return ExitCode::from(2);
        }
    };
    match state {
        Ok(json) => println!("state={json}"),
        Err(e) => checks.0.push(format!("unexpected error: {e}")),
    }
    for failure in &checks.0 {
        eprintln!("lib_client {what} {letter}: {failure}");
    }
    if checks.0.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
