//! The shell against the real `/dev/kvm` of the machine the tests run on.
//!
//! Most of these run anywhere Linux KVM exists and check the answers a host
//! *without* ucontrol gives: the x86_64 kernel creates regular VMs and vcpus
//! but refuses ucontrol VMs (EINVAL) and answers every s390 vcpu request with
//! EINVAL. They check that each answer reaches the caller as the right typed
//! error and that a refused request leaves the vcpu's mirror empty.
//!
//! * Without `/dev/kvm` (ENOENT) the tests that need it print a loud notice
//!   and pass, unless the environment variable `UCAS_REQUIRE_KVM` is set.
//! * The tests that need an s390x host with `CONFIG_KVM_S390_UCONTROL` are
//!   `#[ignore]`d; run them there with `cargo test -p ucas-tests --test
//!   kvm_host -- --ignored`.
//! * The layout of `kvm_run` and the SIE block is checked against the C header
//!   in `abi_c_header.rs`, not here.
#![cfg(target_os = "linux")]

use std::env;
use std::fs::File;
use std::io::{self, Write as _};

use rustix::fs::{Mode, OFlags};
use ucas::core::abi::Ioctl;
use ucas::core::abi::{self, UcasMapping};
use ucas::core::request::{Field, RequestError, Rule};
use ucas::core::{Generation, Rules, SpaceError};
use ucas::{Error, ErrorKind, GuestMemory, Kvm, Operation, Unavailable, Vcpu, Vm};
use ucas_core::Errno;

const MIB: u64 = 1 << 20;

/// Opens `/dev/kvm`, or returns `None` after a notice when the host has none
/// (and `UCAS_REQUIRE_KVM` is unset). Any other failure fails the test.
fn host_kvm() -> Option<Kvm> {
    match Kvm::open() {
        Ok(kvm) => Some(kvm),
        Err(e)
            if e.kind() == &ErrorKind::Errno(Errno::NOENT)
                && env::var_os("UCAS_REQUIRE_KVM").is_none() =>
        {
            // libtest captures `eprintln!` of passing tests; this must show.
            let _ = writeln!(
                io::stderr().lock(),
                "\n!! NOTICE: no /dev/kvm on this host; a kvm_host test was SKIPPED.\n\
                 !! (Set UCAS_REQUIRE_KVM to make this a failure.)\n"
            );
            None
        }
        Err(e) => panic!("opening /dev/kvm: {e}"),
    }
}

/// Asserts that `result` failed in `op` with exactly the kernel's `errno`.
#[track_caller]
fn assert_errno<T: std::fmt::Debug>(result: Result<T, Error>, op: Operation, errno: Errno) {
    let e = result.expect_err("the kernel should have refused");
    assert_eq!(e.operation(), op, "{e}");
    assert_eq!(e.kind(), &ErrorKind::Errno(errno), "{e}");
    assert_eq!(e.raw_errno(), Some(errno.raw_os_error()), "{e}");
}

/// Converts to `io::Error` and checks what survives: the kind, the message,
/// and the ucas error itself (the raw OS error does not: it is wrapped).
#[track_caller]
fn assert_io(e: Error, kind: io::ErrorKind) {
    let text = e.to_string();
    let errno = e.raw_errno();
    let io = io::Error::from(e);
    assert_eq!(io.kind(), kind, "{io}");
    assert_eq!(io.to_string(), text);
    assert_eq!(io.raw_os_error(), None, "wrapped, not a bare OS error");
    let inner = io
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<Error>())
        .expect("the ucas error is inside");
    assert_eq!(inner.raw_errno(), errno);
}

// ---------------------------------------------------------------------------
// The device
// ---------------------------------------------------------------------------

#[test]
fn kvm_device_speaks_api_12_and_sizes_the_vcpu_mapping() {
    let Some(kvm) = host_kvm() else { return };
    assert_eq!(kvm.api_version(), Ok(abi::KVM_API_VERSION));
    assert_eq!(abi::KVM_API_VERSION, 12);
    let size = kvm.vcpu_mmap_size().expect("KVM_GET_VCPU_MMAP_SIZE");
    assert!(size > 0);
    assert_eq!(size % 4096, 0, "{size} is not whole pages");
}

#[test]
#[cfg(target_arch = "x86_64")]
fn x86_kvm_reports_no_ucontrol() {
    let Some(kvm) = host_kvm() else { return };
    assert_eq!(kvm.check_extension(abi::KVM_CAP_S390_UCONTROL), Ok(0));
    assert_eq!(kvm.has_ucontrol(), Ok(false));
    assert_eq!(
        kvm.diagnose_ucontrol(),
        Unavailable::Architecture("x86_64".into())
    );
}

#[test]
fn missing_device_is_enoent_and_says_what_to_do() {
    let e = Kvm::open_path("/nonexistent").expect_err("no such device");
    assert_eq!(e.operation(), Operation::OpenKvm);
    assert_eq!(e.kind(), &ErrorKind::Errno(Errno::NOENT));
    assert_eq!(e.raw_errno(), Some(Errno::NOENT.raw_os_error()));
    let text = e.to_string();
    assert!(text.contains("load the kvm module"), "{text}");
    assert_io(e, io::ErrorKind::NotFound);
}

// ---------------------------------------------------------------------------
// A ucontrol VM on x86_64
// ---------------------------------------------------------------------------

#[test]
#[cfg(target_arch = "x86_64")]
fn x86_refuses_a_ucontrol_vm_and_names_the_architecture() {
    let Some(kvm) = host_kvm() else { return };
    let by_create = Vm::create_ucontrol(&kvm).expect_err("no ucontrol on x86_64");
    let by_type =
        Vm::create_with_type(&kvm, abi::KVM_VM_S390_UCONTROL).expect_err("no ucontrol on x86_64");
    assert_eq!(by_create, by_type);
    let e = by_create;
    assert_eq!(e.operation(), Operation::Ioctl(Ioctl::CreateVm));
    assert_eq!(
        e.kind(),
        &ErrorKind::Unavailable(Unavailable::Architecture("x86_64".into()))
    );
    // The kernel's answer was EINVAL, and that is what the errno says.
    assert_eq!(e.raw_errno(), Some(Errno::INVAL.raw_os_error()));
    let text = e.to_string();
    for needle in ["x86_64", "s390x", "ucas emulate"] {
        assert!(text.contains(needle), "{needle:?} missing from: {text}");
    }
    assert_io(e, io::ErrorKind::InvalidInput);
}

// ---------------------------------------------------------------------------
// A regular VM on x86_64: every s390 vcpu request reaches the kernel, which
// answers EINVAL; the mirror must not change.
// ---------------------------------------------------------------------------

#[cfg(target_arch = "x86_64")]
mod regular_vm {
    use super::*;

    /// A regular (type 0) VM, which x86_64 creates.
    fn regular_vm() -> Option<Vm> {
        let kvm = host_kvm()?;
        Some(Vm::create_with_type(&kvm, 0).expect("KVM_CREATE_VM(0) on x86_64"))
    }

    /// A valid, 1 MiB-aligned request the strict rules accept, backed by
    /// real memory.
    fn valid_request(mem: &GuestMemory) -> UcasMapping {
        UcasMapping {
            user_addr: mem.addr(),
            vcpu_addr: 4 * MIB,
            length: 2 * MIB,
        }
    }

    #[test]
    fn vcpu_of_a_regular_vm_has_no_sie_page_and_an_empty_mirror() {
        let Some(vm) = regular_vm() else { return };
        assert!(!vm.is_ucontrol());
        let mut vcpu = Vcpu::<16>::create(&vm, 0).expect("KVM_CREATE_VCPU(0)");
        assert_eq!(vcpu.id(), 0);
        assert_eq!(vcpu.rules(), Rules::Strict);
        assert!(vcpu.sie_block().is_none());
        assert!(!vcpu.clear_stopped(), "no SIE page to clear a flag in");
        assert!(vcpu.mappings().is_empty());
        assert_eq!(vcpu.mappings().capacity(), 16);
    }

    #[test]
    fn map_reaches_the_kernel_which_says_einval_and_the_mirror_stays_empty() {
        let Some(vm) = regular_vm() else { return };
        let mut vcpu = Vcpu::<16>::create(&vm, 0).expect("vcpu");
        let mem = GuestMemory::new(6 * MIB).expect("memory");
        let run_before = *vcpu.kvm_run();
        let e = vcpu
            .map(valid_request(&mem))
            .expect_err("x86 has no UCAS_MAP");
        assert_eq!(e.operation(), Operation::Ioctl(Ioctl::UcasMap));
        assert_eq!(e.kind(), &ErrorKind::Errno(Errno::INVAL));
        assert!(e.to_string().contains("ucontrol VM"), "{e}");
        assert!(vcpu.mappings().is_empty());
        assert_eq!(vcpu.translate(4 * MIB), None);
        assert_eq!(*vcpu.kvm_run(), run_before);
        assert_io(e, io::ErrorKind::InvalidInput);
    }

    #[test]
    fn unmap_reaches_the_kernel_which_says_einval_and_the_mirror_stays_empty() {
        let Some(vm) = regular_vm() else { return };
        let mut vcpu = Vcpu::<16>::create(&vm, 0).expect("vcpu");
        let run_before = *vcpu.kvm_run();
        assert_errno(
            vcpu.unmap(0, 4 * MIB),
            Operation::Ioctl(Ioctl::UcasUnmap),
            Errno::INVAL,
        );
        assert!(vcpu.mappings().is_empty());
        assert_eq!(*vcpu.kvm_run(), run_before);
    }

    #[test]
    fn fault_reaches_the_kernel_which_says_einval_and_changes_nothing() {
        let Some(vm) = regular_vm() else { return };
        let mut vcpu = Vcpu::<16>::create(&vm, 0).expect("vcpu");
        let run_before = *vcpu.kvm_run();
        // Not SegmentNotMapped: only EFAULT/EREMOTE mean that, and x86_64
        // does not know the request at all.
        for addr in [0, 4 * MIB + 1] {
            assert_errno(
                vcpu.fault(addr),
                Operation::Ioctl(Ioctl::VcpuFault),
                Errno::INVAL,
            );
        }
        assert!(vcpu.mappings().is_empty());
        assert_eq!(*vcpu.kvm_run(), run_before);
    }

    #[test]
    fn detect_generation_reports_the_unexpected_einval() {
        let Some(vm) = regular_vm() else { return };
        let mut vcpu = Vcpu::<16>::create(&vm, 0).expect("vcpu");
        let run_before = *vcpu.kvm_run();
        // The zero-length MAP says EINVAL as generations A and B do; the
        // VCPU_FAULT probe then gets EINVAL, which no generation answers.
        assert_errno(
            vcpu.detect_generation(),
            Operation::Ioctl(Ioctl::VcpuFault),
            Errno::INVAL,
        );
        assert!(vcpu.mappings().is_empty());
        assert_eq!(*vcpu.kvm_run(), run_before);
    }

    #[test]
    fn strict_rules_refuse_before_the_kernel_is_asked() {
        let Some(vm) = regular_vm() else { return };
        let mut vcpu = Vcpu::<16>::create(&vm, 0).expect("vcpu");
        let mem = GuestMemory::new(2 * MIB).expect("memory");
        // Had this reached the kernel, the answer would be Errno(EINVAL) as
        // in the test above; Refused proves ucas stopped it first.
        let misaligned = UcasMapping {
            user_addr: mem.addr(),
            vcpu_addr: 4 * MIB + 1,
            length: 2 * MIB,
        };
        let e = vcpu.map(misaligned).expect_err("misaligned vcpu_addr");
        assert_eq!(e.operation(), Operation::Ioctl(Ioctl::UcasMap));
        assert_eq!(
            e.kind(),
            &ErrorKind::Refused(SpaceError::Request(RequestError {
                op: Ioctl::UcasMap,
                field: Field::VcpuAddr,
                value: 4 * MIB + 1,
                length: 2 * MIB,
                rule: Rule::NotAligned,
            }))
        );
        assert_eq!(e.raw_errno(), Some(Errno::INVAL.raw_os_error()));
        assert!(e.to_string().contains("refused before calling the kernel"));
        assert!(std::error::Error::source(&e).is_some());
        assert_io(e, io::ErrorKind::InvalidInput);

        let e = vcpu.unmap(0, 0).expect_err("zero length");
        assert_eq!(e.operation(), Operation::Ioctl(Ioctl::UcasUnmap));
        assert!(
            matches!(
                e.kind(),
                ErrorKind::Refused(SpaceError::Request(RequestError {
                    op: Ioctl::UcasUnmap,
                    rule: Rule::ZeroLength,
                    ..
                }))
            ),
            "{e:?}"
        );
        assert!(vcpu.mappings().is_empty());
    }

    #[test]
    fn generation_c_rules_pass_a_zero_length_map_on_to_the_kernel() {
        let Some(vm) = regular_vm() else { return };
        let mut vcpu = Vcpu::<16>::create(&vm, 0).expect("vcpu");
        let zero = UcasMapping::default();
        assert!(matches!(
            vcpu.map(zero).map_err(|e| e.kind().clone()),
            Err(ErrorKind::Refused(SpaceError::Request(_)))
        ));
        // Generation C accepts length 0 as a no-op, so ucas asks the kernel,
        // and this kernel says EINVAL.
        vcpu.set_rules(Rules::Kernel(Generation::C));
        assert_errno(
            vcpu.map(zero),
            Operation::Ioctl(Ioctl::UcasMap),
            Errno::INVAL,
        );
        assert!(vcpu.mappings().is_empty());
    }

    #[test]
    fn a_full_mirror_refuses_before_the_kernel_is_asked() {
        let Some(vm) = regular_vm() else { return };
        let mut vcpu = Vcpu::<0>::create(&vm, 0).expect("vcpu");
        let mem = GuestMemory::new(2 * MIB).expect("memory");
        let e = vcpu.map(valid_request(&mem)).expect_err("no room");
        assert_eq!(e.operation(), Operation::Ioctl(Ioctl::UcasMap));
        assert_eq!(
            e.kind(),
            &ErrorKind::Refused(SpaceError::Full {
                needed: 1,
                capacity: 0
            })
        );
        assert_eq!(e.raw_errno(), Some(Errno::NOMEM.raw_os_error()));
        assert_io(e, io::ErrorKind::OutOfMemory);
    }

    #[test]
    fn a_taken_vcpu_id_is_eexist_and_an_absurd_one_einval() {
        let Some(vm) = regular_vm() else { return };
        let mut first = Vcpu::<16>::create(&vm, 0).expect("vcpu 0");
        let e = Vcpu::<16>::create(&vm, 0).expect_err("vcpu 0 exists");
        assert_eq!(e.operation(), Operation::Ioctl(Ioctl::CreateVcpu));
        assert_eq!(e.kind(), &ErrorKind::Errno(Errno::EXIST));
        assert!(e.to_string().contains("pick another id"), "{e}");
        assert_io(e, io::ErrorKind::AlreadyExists);
        assert_errno(
            Vcpu::<16>::create(&vm, u32::MAX),
            Operation::Ioctl(Ioctl::CreateVcpu),
            Errno::INVAL,
        );
        // The first vcpu is still alive and answering.
        assert_errno(
            first.fault(0),
            Operation::Ioctl(Ioctl::VcpuFault),
            Errno::INVAL,
        );
        let second = Vcpu::<16>::create(&vm, 1).expect("vcpu 1");
        assert_eq!(second.id(), 1);
    }

    /// The register, CPU-model, storage-key and memory-operation methods
    /// reach the x86_64 kernel, which knows none of s390's requests: each
    /// comes back as the kernel's errno, typed with its request.
    #[test]
    fn s390_state_requests_reach_the_kernel_and_come_back_typed() {
        let Some(vm) = regular_vm() else { return };
        let mut vcpu = Vcpu::<16>::create(&vm, 0).expect("vcpu");
        let inval =
            |r: Result<(), Error>, ioctl| assert_errno(r, Operation::Ioctl(ioctl), Errno::INVAL);
        // vcpu fd: x86_64 answers unknown vcpu requests with EINVAL.
        inval(vcpu.regs().map(drop), Ioctl::GetRegs);
        inval(vcpu.set_regs(&abi::Regs::default()), Ioctl::SetRegs);
        inval(vcpu.sregs().map(drop), Ioctl::GetSregs);
        inval(vcpu.set_sregs(&abi::Sregs::default()), Ioctl::SetSregs);
        inval(vcpu.fpu().map(drop), Ioctl::GetFpu);
        inval(vcpu.set_fpu(&abi::Fpu::default()), Ioctl::SetFpu);
        inval(
            vcpu.get_one_reg(abi::KVM_REG_S390_TODPR).map(drop),
            Ioctl::GetOneReg,
        );
        inval(
            vcpu.set_one_reg(abi::KVM_REG_S390_GBEA, 1),
            Ioctl::SetOneReg,
        );
        inval(
            vcpu.read_logical(0, &mut [0; 8]).map(drop),
            Ioctl::S390MemOp,
        );
        // VM fd: unknown VM requests are ENOTTY.
        let notty =
            |r: Result<(), Error>, ioctl| assert_errno(r, Operation::Ioctl(ioctl), Errno::NOTTY);
        notty(vm.cpu_model().map(drop), Ioctl::GetDeviceAttr);
        notty(vm.cpu_machine().map(drop), Ioctl::GetDeviceAttr);
        notty(vm.get_skeys(0, &mut [0; 1]).map(drop), Ioctl::S390GetSkeys);
        notty(vm.set_skeys(0, &[0]), Ioctl::S390SetSkeys);
        notty(vm.keyop(0, ucas::KeyOp::Insert).map(drop), Ioctl::S390Keyop);
        notty(vm.read_absolute(0, &mut [0; 8]).map(drop), Ioctl::S390MemOp);
        inval(vcpu.set_initial_psw(0, 0), Ioctl::S390SetInitialPsw);
        inval(vcpu.reset(Ioctl::S390InitialReset), Ioctl::S390InitialReset);
        inval(vcpu.inject(&abi::S390Irq::default()), Ioctl::S390Irq);
        // The generic run-state request: x86 writes the struct (RUNNABLE, 0).
        assert_eq!(vcpu.mp_state().expect("x86 KVM_GET_MP_STATE"), 0);
        // A register id wider than 64 bits never reaches the kernel.
        inval(
            vcpu.get_one_reg(abi::KVM_REG_S390 | (4 << 52)).map(drop),
            Ioctl::GetOneReg,
        );
    }
}

// ---------------------------------------------------------------------------
// fds that are not a KVM device
// ---------------------------------------------------------------------------

#[test]
fn a_non_kvm_fd_answers_enotty() {
    let kvm = Kvm::from_fd(File::open("/dev/null").expect("/dev/null").into());
    assert_errno(
        kvm.api_version(),
        Operation::Ioctl(Ioctl::GetApiVersion),
        Errno::NOTTY,
    );
    assert_errno(
        kvm.check_extension(abi::KVM_CAP_S390_UCONTROL),
        Operation::Ioctl(Ioctl::CheckExtension),
        Errno::NOTTY,
    );
    assert_errno(
        kvm.has_ucontrol(),
        Operation::Ioctl(Ioctl::CheckExtension),
        Errno::NOTTY,
    );
    assert_errno(
        kvm.vcpu_mmap_size(),
        Operation::Ioctl(Ioctl::GetVcpuMmapSize),
        Errno::NOTTY,
    );
    assert_errno(
        Vm::create_with_type(&kvm, 0),
        Operation::Ioctl(Ioctl::CreateVm),
        Errno::NOTTY,
    );
    let e = kvm.api_version().expect_err("ENOTTY");
    assert!(e.to_string().contains("not a KVM fd"), "{e}");
    // std leaves ENOTTY uncategorized; ucas calls it Unsupported.
    assert_io(e, io::ErrorKind::Unsupported);
}

/// An `O_PATH` fd is open but refuses every ioctl with EBADF: the closest a
/// safe test gets to an fd closed underneath its owner.
#[test]
fn an_fd_without_io_answers_ebadf() {
    let path_only = rustix::fs::open("/dev/null", OFlags::PATH | OFlags::CLOEXEC, Mode::empty())
        .expect("O_PATH open");
    let kvm = Kvm::from_fd(path_only);
    assert_errno(
        kvm.api_version(),
        Operation::Ioctl(Ioctl::GetApiVersion),
        Errno::BADF,
    );
    assert_errno(
        kvm.check_extension(abi::KVM_CAP_S390_UCONTROL),
        Operation::Ioctl(Ioctl::CheckExtension),
        Errno::BADF,
    );
    assert_errno(
        Vm::create_ucontrol(&kvm),
        Operation::Ioctl(Ioctl::CreateVm),
        Errno::BADF,
    );
    let e = kvm.api_version().expect_err("EBADF");
    assert!(e.to_string().contains("the fd is closed"), "{e}");
    // std leaves EBADF uncategorized; ucas calls it Other.
    assert_io(e, io::ErrorKind::Other);
}

// ---------------------------------------------------------------------------
// On an s390x host with ucontrol (ignored elsewhere)
// ---------------------------------------------------------------------------

/// The kernel selftest's fixture: a ucontrol VM, vcpu 0, 6 MiB of memory and
/// 4 MiB of it mapped at vcpu address 0, page 0 faulted in.
struct Fixture {
    // Field order is drop order: the vcpu before its VM.
    vcpu: Vcpu<16>,
    _vm: Vm,
    mem: GuestMemory,
}

fn ucontrol_fixture() -> Fixture {
    let kvm = Kvm::open().expect("/dev/kvm");
    assert_eq!(kvm.has_ucontrol(), Ok(true));
    let vm = Vm::create_ucontrol(&kvm).expect("ucontrol VM (needs CAP_SYS_ADMIN)");
    assert!(vm.is_ucontrol());
    let mut vcpu = Vcpu::<16>::create(&vm, 0).expect("vcpu 0");
    assert!(vcpu.sie_block().is_some());
    let mem = GuestMemory::new(6 * MIB).expect("memory");
    vcpu.map(UcasMapping {
        user_addr: mem.addr(),
        vcpu_addr: 0,
        length: 4 * MIB,
    })
    .expect("map 4 MiB at 0");
    vcpu.fault(0).expect("fault in page 0");
    assert!(vcpu.clear_stopped());
    Fixture { vcpu, _vm: vm, mem }
}

/// The mirror as (vcpu_addr, user_addr, length) requests.
fn mirror(vcpu: &Vcpu<16>) -> Vec<UcasMapping> {
    vcpu.mappings().iter().map(|e| e.as_mapping()).collect()
}

#[test]
#[ignore = "needs an s390 host with ucontrol"]
fn ucontrol_map_and_fault_leave_one_extent() {
    let f = ucontrol_fixture();
    assert_eq!(
        mirror(&f.vcpu),
        [UcasMapping {
            user_addr: f.mem.addr(),
            vcpu_addr: 0,
            length: 4 * MIB,
        }]
    );
    assert_eq!(
        f.vcpu.translate(3 * MIB + 5),
        Some(f.mem.addr() + 3 * MIB + 5)
    );
    assert_eq!(f.vcpu.translate(4 * MIB), None);
}

#[test]
#[ignore = "needs an s390 host with ucontrol"]
fn ucontrol_detect_generation_changes_nothing() {
    let mut f = ucontrol_fixture();
    let mirror_before = f.vcpu.mappings().clone();
    let run_before = *f.vcpu.kvm_run();
    let generation = f.vcpu.detect_generation().expect("a generation");
    eprintln!("kernel generation {generation}");
    assert_eq!(f.vcpu.mappings(), &mirror_before);
    assert_eq!(*f.vcpu.kvm_run(), run_before);
    // The probe left nothing mapped past the 4 MiB: a fault there still
    // finds its segment unmapped.
    let e = f.vcpu.fault(4 * MIB).expect_err("unmapped");
    assert!(
        matches!(e.kind(), &ErrorKind::SegmentNotMapped { vcpu_addr, .. } if vcpu_addr == 4 * MIB),
        "{e}"
    );
}

#[test]
#[ignore = "needs an s390 host with ucontrol"]
fn ucontrol_unmapping_a_hole_leaves_two_extents() {
    let mut f = ucontrol_fixture();
    let base = f.mem.addr();
    f.vcpu.unmap(MIB, MIB).expect("unmap 1 MiB at 1 MiB");
    assert_eq!(
        mirror(&f.vcpu),
        [
            UcasMapping {
                user_addr: base,
                vcpu_addr: 0,
                length: MIB,
            },
            UcasMapping {
                user_addr: base + 2 * MIB,
                vcpu_addr: 2 * MIB,
                length: 2 * MIB,
            },
        ]
    );
    f.vcpu.fault(2 * MIB + 0x1000).expect("still mapped");
    for addr in [MIB, MIB + 0x1234, 5 * MIB] {
        let e = f.vcpu.fault(addr).expect_err("unmapped segment");
        assert_eq!(e.operation(), Operation::Ioctl(Ioctl::VcpuFault));
        assert!(
            matches!(e.kind(), &ErrorKind::SegmentNotMapped { vcpu_addr, .. } if vcpu_addr == addr),
            "{e}"
        );
    }
    assert_eq!(f.vcpu.mappings().len(), 2, "failed faults change nothing");
}
