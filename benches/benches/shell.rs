//! The shell's handles against a bare `libc::ioctl` on the same fd, on this
//! host's real KVM (every call is a real system call).
//!
//! - `shell/check_extension/{ucas,raw_libc}`: `KVM_CHECK_EXTENSION
//!   (KVM_CAP_S390_UCONTROL)` on /dev/kvm;
//! - `shell/api_version/{ucas,raw_libc}`: `KVM_GET_API_VERSION`;
//! - `shell/ucas_map_einval/{ucas,raw_libc}`: `KVM_S390_UCAS_MAP` on the
//!   vcpu of a regular VM: `Vcpu::map` (validation, the mirror's capacity
//!   check, the ioctl, the typed error) against the bare ioctl. Outside
//!   s390x the kernel answers EINVAL after its full ioctl dispatch.

use std::hint::black_box;
use std::os::fd::AsFd;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use ucas::Kvm;
use ucas::core::UcasMapping;
use ucas::core::abi::KVM_CAP_S390_UCONTROL;
use ucas_benches::fixtures::MIB;
use ucas_benches::notes;
use ucas_benches::raw::{self, ValueRequest};
use ucas_benches::rig::Rig;

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    let kvm = match Kvm::open() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("shell benchmarks skipped: {e}");
            return;
        }
    };
    let fd = kvm.as_fd();

    // Both sides must see the same answers, or they would not do the same work.
    assert_eq!(
        kvm.check_extension(KVM_CAP_S390_UCONTROL).ok(),
        raw::value_ioctl(fd, ValueRequest::CheckExtension(KVM_CAP_S390_UCONTROL)).ok()
    );
    assert_eq!(
        kvm.api_version().ok(),
        raw::value_ioctl(fd, ValueRequest::ApiVersion).ok()
    );

    let mut g = c.benchmark_group("shell");
    g.bench_function(BenchmarkId::new("check_extension", "ucas"), |b| {
        b.iter(|| kvm.check_extension(black_box(KVM_CAP_S390_UCONTROL)));
    });
    g.bench_function(BenchmarkId::new("check_extension", "raw_libc"), |b| {
        b.iter(|| {
            raw::value_ioctl(
                fd,
                ValueRequest::CheckExtension(black_box(KVM_CAP_S390_UCONTROL)),
            )
        });
    });
    g.bench_function(BenchmarkId::new("api_version", "ucas"), |b| {
        b.iter(|| kvm.api_version());
    });
    g.bench_function(BenchmarkId::new("api_version", "raw_libc"), |b| {
        b.iter(|| raw::value_ioctl(black_box(fd), ValueRequest::ApiVersion));
    });

    match Rig::regular() {
        Ok(mut rig) => {
            let m = UcasMapping {
                user_addr: 64 * MIB,
                vcpu_addr: 0,
                length: MIB,
            };
            let ours = rig.vcpu().map(m).err().and_then(|e| e.raw_errno());
            let bare = raw::ucas_ioctl(rig.vcpu().as_fd(), true, &m).err();
            assert_eq!(ours, bare, "both sides must get the same answer");
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
            g.bench_function(BenchmarkId::new("ucas_map_einval", "ucas"), |b| {
                b.iter(|| rig.vcpu().map(black_box(m)));
            });
            let vcpu: &ucas::Vcpu = rig.vcpu();
            let vcpu_fd = vcpu.as_fd();
            g.bench_function(BenchmarkId::new("ucas_map_einval", "raw_libc"), |b| {
                b.iter(|| raw::ucas_ioctl(vcpu_fd, true, black_box(&m)));
            });
        }
        Err(e) => eprintln!("shell/ucas_map_einval skipped: no regular VM here: {e}"),
    }
    g.finish();
    c.final_summary();
}
