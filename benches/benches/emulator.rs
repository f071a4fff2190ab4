//! Request round trips under the emulator against the same request on this
//! host's real KVM, in the same run.
//!
//! - `emulator/{ucas_map,ucas_unmap,vcpu_fault,kvm_run}/emulated`: the
//!   request from a program running under `Emulator` (seccomp user
//!   notification, the supervisor's model, the reply), timed inside that
//!   program. This binary starts itself again under the emulator for it.
//! - `…/native`: the same `Vcpu` call on a regular VM's vcpu of the real
//!   KVM (outside s390x the kernel refuses the s390 requests after its
//!   ioctl dispatch, so this is the cost of the system call itself).
//!   `kvm_run/native` enters a real x86 guest that exits on port I/O at
//!   once; `kvm_run/emulated` runs the selftest's gprs program to its
//!   DIAGNOSE intercept (see `ucas_benches::rig`).
//!
//! - `emulator/floor/{sync,default}`: the floor in the same run — a
//!   `KVM_CHECK_EXTENSION` from a program under `ucas_emulator::floor`, a
//!   supervisor that answers every notified ioctl with 0 and does nothing
//!   else, woken synchronously (as the emulator asks) or by default. An
//!   emulated call cannot cost less than `floor/sync`.
//!
//! - `emulator_parallel/threads/{1,2}`: vcpus in parallel — one or two threads of
//!   the child, each with its own VM and a vcpu whose guest never exits,
//!   issuing `KVM_RUN`s of exactly `RUN_BUDGET` instructions; the time per
//!   run of all threads together (aggregate instructions per second =
//!   `RUN_BUDGET` / that time). Two vcpus truly in parallel would halve it.
//!
//! A request the emulator answers with ENOSYS (not emulated) is reported
//! and not measured.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode};
use ucas_benches::emulated::{self, EmulatedChild, FLOOR_OP, Supervisor};
use ucas_benches::notes;
use ucas_benches::rig::{Op, Outcome, Rig};
use ucas_emulator::Generation;
use ucas_emulator::floor::WakeUp;

fn main() {
    if emulated::is_child() {
        if let Err(e) = emulated::serve() {
            eprintln!("benchmark child under the emulator: {e}");
            std::process::exit(1);
        }
        return;
    }
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut native = match Rig::regular() {
        Ok(rig) => rig,
        Err(e) => {
            eprintln!("emulator benchmarks skipped: the native side needs KVM: {e}");
            return;
        }
    };
    let generation = Generation::C;
    let mut child = match EmulatedChild::spawn(Supervisor::Emulator(generation)) {
        Ok(child) => child,
        Err(e) => {
            eprintln!("emulator benchmarks skipped: {e}");
            return;
        }
    };

    let mut pairs = vec![("generation".to_owned(), generation.to_string())];
    for op in Op::ALL {
        let mine = native.once(op);
        let theirs = child.outcome(op);
        pairs.push((format!("{}.native", op.name()), mine.to_string()));
        pairs.push((
            format!("{}.emulated", op.name()),
            theirs.map_or_else(|| "missing".to_owned(), |o| o.to_string()),
        ));
    }
    pairs.push(("kvm_run_exit.native".to_owned(), native.run_exit()));
    pairs.push((
        "kvm_run_exit.emulated".to_owned(),
        child.run_exit().to_owned(),
    ));
    if let Err(e) = notes::write("emulator_outcomes", &pairs) {
        eprintln!("{e}");
    }

    let mut g = c.benchmark_group("emulator");
    for op in Op::ALL {
        match child.outcome(op) {
            Some(Outcome::Errno(libc::ENOSYS)) => {
                println!(
                    "emulator/{}: not measured: the emulator answers ENOSYS (not emulated yet)",
                    op.name()
                );
                continue;
            }
            Some(Outcome::Ok) => {}
            other => println!(
                "emulator/{}: warning: the emulated request does not succeed ({other:?}); \
                 timing that path",
                op.name()
            ),
        }
        g.bench_function(BenchmarkId::new(op.name(), "native"), |b| {
            b.iter_custom(|iters| native.time(op, iters));
        });
        g.bench_function(BenchmarkId::new(op.name(), "emulated"), |b| {
            b.iter_custom(|iters| {
                child
                    .time(op, iters)
                    .unwrap_or_else(|e| panic!("timing {} under the emulator: {e}", op.name()))
            });
        });
    }
    // Vcpus in parallel: one and two threads, each with its own spinning
    // vcpu; the time per KVM_RUN of the whole batch, so a perfect
    // doubling halves `parallel/2`.
    g.finish();
    let mut g = c.benchmark_group("emulator_parallel");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    for threads in [1usize, 2] {
        g.bench_function(BenchmarkId::new("threads", threads), |b| {
            b.iter_custom(|iters| {
                let took = child
                    .parallel(threads, iters)
                    .unwrap_or_else(|e| panic!("parallel runs on {threads} threads: {e}"));
                // Per run of every thread: aggregate instructions per
                // second = threads * RUN_BUDGET / this.
                took / u32::try_from(threads).expect("few threads")
            });
        });
    }
    g.finish();
    let mut g = c.benchmark_group("emulator");
    for (label, wake) in [("sync", WakeUp::Sync), ("default", WakeUp::Default)] {
        let mut floor = match EmulatedChild::spawn(Supervisor::Floor(wake)) {
            Ok(floor) => floor,
            Err(e) => {
                println!("emulator/floor/{label}: not measured: {e}");
                continue;
            }
        };
        if floor.outcome_of(FLOOR_OP) != Some(Outcome::Ok) {
            println!(
                "emulator/floor/{label}: warning: the floor's call did not succeed ({:?})",
                floor.outcome_of(FLOOR_OP)
            );
        }
        g.bench_function(BenchmarkId::new(FLOOR_OP, label), |b| {
            b.iter_custom(|iters| {
                floor
                    .time_named(FLOOR_OP, iters)
                    .unwrap_or_else(|e| panic!("timing the floor ({label}): {e}"))
            });
        });
        if let Err(e) = floor.finish() {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
    g.finish();
    if let Err(e) = child.finish() {
        eprintln!("{e}");
        std::process::exit(1);
    }
    c.final_summary();
}
