//! The shell's handles against a bare `libc::ioctl` (`raw_libc`) and
//! rustix's ready-made ioctl patterns (`raw_rustix`: the same inline system
//! call the shell makes, without its checks and typed results) on the same
//! fd, on this host's real KVM (every call is a real system call).
//!
//! - `shell/check_extension/*`: `KVM_CHECK_EXTENSION(KVM_CAP_S390_UCONTROL)`
//!   on /dev/kvm;
//! - `shell/api_version/*`: `KVM_GET_API_VERSION`;
//! - `shell/ucas_map_einval/*`: `KVM_S390_UCAS_MAP` on the vcpu of a
//!   regular VM: `Vcpu::map` (validation, the mirror's capacity check, the
//!   ioctl, the typed error) against the bare ioctl. Outside s390x the
//!   kernel answers EINVAL after its full vcpu ioctl dispatch.
//!
//! Besides criterion's median per side, each comparison is also measured
//! as paired ratios (`ucas_benches::compare`): rounds of one timed block of
//! 64 calls per side, the ratio taken within each round, the median over
//! rounds, so load from elsewhere hits the sides alike. They go to the
//! notes as `shell_paired`.

use std::hint::black_box;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion};
use ucas::Kvm;
use ucas::core::UcasMapping;
use ucas::core::abi::Ioctl;
use ucas::core::abi::KVM_CAP_S390_UCONTROL;
use ucas_benches::compare::{Side, paired};
use ucas_benches::fixtures::MIB;
use ucas_benches::notes;
use ucas_benches::raw;
use ucas_benches::rig::Rig;

/// The side names, in the order of the `sides` slices below.
const SIDES: [&str; 3] = ["ucas", "raw_libc", "raw_rustix"];

/// Calls per block of the paired measurement.
const BLOCK: u64 = 64;

/// How long each paired measurement runs.
const PAIRED_BUDGET: Duration = Duration::from_secs(3);

/// Benchmarks each side of `name` with criterion, then measures the paired
/// ratios of `ucas` to each baseline and adds them to `notes`.
fn compare(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    sides: &mut [Side<'_>; 3],
    notes: &mut Vec<(String, String)>,
) {
    for (i, label) in SIDES.into_iter().enumerate() {
        g.bench_function(BenchmarkId::new(name, label), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                sides[i](iters);
                start.elapsed()
            });
        });
    }
    let p = paired(PAIRED_BUDGET, BLOCK, sides);
    notes.push((format!("{name}.rounds"), p.rounds().to_string()));
    for (i, label) in SIDES.into_iter().enumerate() {
        if let Some(ns) = p.median_per_call_ns(i) {
            notes.push((format!("{name}.{label}.ns"), format!("{ns:.1}")));
        }
        if i > 0
            && let Some(r) = p.median_ratio(0, i)
        {
            notes.push((format!("{name}.ucas_over_{label}"), format!("{r:.4}")));
        }
    }
}

/// Calls `f` `n` times, keeping each result alive to the optimizer.
fn repeat<T>(n: u64, mut f: impl FnMut() -> T) {
    for _ in 0..n {
        let _ = black_box(f());
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let kvm = match Kvm::open() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("shell benchmarks skipped: {e}");
            return;
        }
    };
    let fd = kvm.as_fd();
    let cap = KVM_CAP_S390_UCONTROL;

    // All sides must get the same answers, or they would not do the same work.
    assert_eq!(
        kvm.check_extension(cap).ok(),
        raw::value_ioctl(fd, Ioctl::CheckExtension, u64::from(cap)).ok()
    );
    assert_eq!(
        kvm.api_version().ok(),
        raw::value_ioctl(fd, Ioctl::GetApiVersion, 0).ok()
    );
    assert!(raw::rustix_check_extension(fd, cap).is_ok() && raw::rustix_api_version(fd).is_ok());

    let mut paired_notes = Vec::new();
    let mut g = c.benchmark_group("shell");
    compare(
        &mut g,
        "check_extension",
        &mut [
            &mut |n| repeat(n, || kvm.check_extension(black_box(cap))),
            &mut |n| {
                repeat(n, || {
                    raw::value_ioctl(fd, Ioctl::CheckExtension, u64::from(black_box(cap)))
                })
            },
            &mut |n| repeat(n, || raw::rustix_check_extension(fd, black_box(cap))),
        ],
        &mut paired_notes,
    );
    compare(
        &mut g,
        "api_version",
        &mut [
            &mut |n| repeat(n, || kvm.api_version()),
            &mut |n| {
                repeat(n, || {
                    raw::value_ioctl(black_box(fd), Ioctl::GetApiVersion, 0)
                })
            },
            &mut |n| repeat(n, || raw::rustix_api_version(black_box(fd))),
        ],
        &mut paired_notes,
    );

    match Rig::regular() {
        Ok(mut rig) => {
            let m = UcasMapping {
                user_addr: 64 * MIB,
                vcpu_addr: 0,
                length: MIB,
            };
            // The raw sides use a duplicate of the vcpu fd (the same open
            // file) while `Vcpu::map` holds the vcpu mutably.
            let dup = rig
                .vcpu()
                .as_fd()
                .try_clone_to_owned()
                .expect("dup of the vcpu fd");
            let vfd = dup.as_fd();
            let ours = rig.vcpu().map(m).err().and_then(|e| e.raw_errno());
            let bare = raw::ucas_ioctl(vfd, true, &m).err();
            let via_rustix = raw::rustix_ucas_map(vfd, m).err().map(|e| e.raw_os_error());
            assert!(
                ours == bare && bare == via_rustix,
                "all sides must get the same answer: {ours:?} {bare:?} {via_rustix:?}"
            );
            let pairs = [
                (
                    "ucas_map".to_owned(),
                    format!("errno:{}", ours.unwrap_or(0)),
                ),
                (
                    "raw_libc_map".to_owned(),
                    format!("errno:{}", bare.unwrap_or(0)),
                ),
            ];
            if let Err(e) = notes::write("shell_outcomes", &pairs) {
                eprintln!("{e}");
            }
            let vcpu = rig.vcpu();
            compare(
                &mut g,
                "ucas_map_einval",
                &mut [
                    &mut |n| repeat(n, || vcpu.map(black_box(m))),
                    &mut |n| repeat(n, || raw::ucas_ioctl(vfd, true, black_box(&m))),
                    &mut |n| repeat(n, || raw::rustix_ucas_map(vfd, black_box(m))),
                ],
                &mut paired_notes,
            );
        }
        Err(e) => eprintln!("shell/ucas_map_einval skipped: no regular VM here: {e}"),
    }
    g.finish();
    if let Err(e) = notes::write("shell_paired", &paired_notes) {
        eprintln!("{e}");
    }
    c.final_summary();
}
