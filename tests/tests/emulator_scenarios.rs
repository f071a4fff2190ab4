//! The kernel's ucontrol conformance scenarios (spec §6) through the `ucas`
//! library, run under the emulator for one kernel of each generation, with
//! each generation's differences in `KVM_RUN` asserted; and the library's
//! demand-mapping helper on a guest that touches many segments.
//!
//! Each test re-executes this test binary under [`Emulator`], running only
//! itself, with `UCAS_SCENARIO_GENERATION` set: the child sees the variable
//! and runs the scenario body against the emulated `/dev/kvm`.

use ucas::core::abi::{self, UcasMapping};
use ucas::{ErrorKind, Exit, GuestMemory, Kvm, Vcpu, Vm};
use ucas_core::Errno;
use ucas_emulator::programs::{
    CODE_ADDR, FIXTURE_MAPPED, FIXTURE_MEMORY, GPRS, MAP_UNMAP, MAP_UNMAP_AFTER_DIAG,
    MAP_UNMAP_STORE, PSW_MASK_64, TOUCH_SEGMENTS,
};
use ucas_emulator::{Generation, RUN_BUDGET};

const MIB: u64 = 1 << 20;

const DIAG_44: Exit = Exit::Sieic {
    icptcode: abi::ICPT_INST,
    ipa: 0x8300,
    ipb: 0x0044_0000,
};

fn ucontrol_exit(trans_exc_code: u64) -> Exit {
    Exit::Ucontrol {
        trans_exc_code,
        pgm_code: abi::PGM_SEGMENT_TRANSLATION,
    }
}

fn scenario(test: &str, body: fn(Generation)) {
    ucas_tests::under_each_generation(test, body);
}

/// The selftest fixture: a ucontrol VM, vcpu 0 with `kvm_run` and SIE page,
/// 6 MiB of user memory, 4 MiB of it mapped at vcpu address 0, VCPU_FAULT
/// of address 0, CPUSTAT_STOPPED cleared.
struct Fixture {
    _kvm: Kvm,
    vm: Vm,
    vcpu: Vcpu,
    mem: GuestMemory,
}

impl Fixture {
    fn new() -> Self {
        let kvm = Kvm::open().unwrap();
        assert!(kvm.has_ucontrol().unwrap());
        let vm = Vm::create_ucontrol(&kvm).unwrap();
        let mut vcpu: Vcpu = Vcpu::create(&vm, 0).unwrap();
        let mem = GuestMemory::new(FIXTURE_MEMORY).unwrap();
        vcpu.map(UcasMapping {
            user_addr: mem.addr(),
            vcpu_addr: 0,
            length: FIXTURE_MAPPED,
        })
        .unwrap();
        vcpu.fault(0).unwrap();
        let sie = vcpu.sie_block().expect("a ucontrol vcpu has a SIE page");
        assert_ne!(
            sie.cpuflags & abi::CPUSTAT_STOPPED,
            0,
            "a new vcpu is stopped"
        );
        assert!(vcpu.clear_stopped());
        Self {
            _kvm: kvm,
            vm,
            vcpu,
            mem,
        }
    }

    /// Copies `code` to vcpu address 3 MiB and points the PSW at it.
    fn load(&mut self, code: &[u8]) {
        self.mem.write(CODE_ADDR, code).unwrap();
        self.vcpu.set_psw(PSW_MASK_64, CODE_ADDR);
    }

    /// The fixture with `code` loaded and registers `regs` (number, value)
    /// set in the sync regs, marked dirty; the others zero.
    fn with(code: &[u8], regs: &[(usize, u64)]) -> Self {
        let mut f = Self::new();
        f.load(code);
        let mut gprs = [0; 16];
        for &(r, v) in regs {
            gprs[r] = v;
        }
        f.vcpu.set_gprs(gprs);
        f
    }

    fn psw_addr(&self) -> u64 {
        self.vcpu.psw().1
    }
}

#[test]
fn fixture() {
    scenario("fixture", |_| {
        let mut f = Fixture::new();
        assert_eq!(f.vcpu.translate(0x1234), Some(f.mem.addr() + 0x1234));
        assert_eq!(f.vcpu.mappings().len(), 1);
        // KVM_RUN starts the vcpu, as the kernel does, even when the
        // controller forgot to.
        f.vcpu.sie_block_mut().unwrap().cpuflags |= abi::CPUSTAT_STOPPED;
        f.load(&GPRS);
        assert_eq!(f.vcpu.run().unwrap(), DIAG_44);
        assert_eq!(
            f.vcpu.sie_block().unwrap().cpuflags & abi::CPUSTAT_STOPPED,
            0
        );
    });
}

#[test]
fn map_unmap() {
    scenario("map_unmap", |_| {
        let mut f = Fixture::with(&MAP_UNMAP, &[(1, 0x55), (5, 0), (6, 4 * MIB + 1)]);

        // 1st run: the store to 4 MiB + 1 leaves the mapped 4 MiB.
        assert_eq!(f.vcpu.run().unwrap(), ucontrol_exit(4 * MIB));
        let r = f.vcpu.gprs();
        assert_eq!(r[0], 1);
        assert_eq!((r[1], r[5], r[6]), (0x55, 0, 4 * MIB + 1), "unchanged");
        assert_eq!(f.psw_addr(), CODE_ADDR + MAP_UNMAP_STORE, "nullified");
        // The PSW mask now carries CC 2 (AHI's positive result), bits 18–19.
        assert_eq!(f.vcpu.psw().0, PSW_MASK_64 | 2 << 44);
        let valid = f.vcpu.kvm_run().kvm_valid_regs;
        assert_ne!(valid & abi::KVM_SYNC_GPRS, 0);

        // A misaligned MAP is refused (ucas refuses it before the kernel,
        // which answers EINVAL; the C scenario checks the kernel's answer).
        let bad = f.vcpu.map(UcasMapping {
            user_addr: f.mem.addr() + 4 * MIB,
            vcpu_addr: 4 * MIB + 1,
            length: 2 * MIB,
        });
        assert_eq!(
            bad.unwrap_err().raw_errno(),
            Some(Errno::INVAL.raw_os_error())
        );
        assert_eq!(f.vcpu.translate(4 * MIB), None);

        f.vcpu
            .map(UcasMapping {
                user_addr: f.mem.addr() + 4 * MIB,
                vcpu_addr: 4 * MIB,
                length: 2 * MIB,
            })
            .unwrap();

        // 2nd run: store and load succeed, then the DIAGNOSE.
        let exit = f.vcpu.run().unwrap();
        assert_eq!(exit, DIAG_44);
        assert_eq!(exit.diag_code(), Some(0x44));
        let r = f.vcpu.gprs();
        assert_eq!((r[0], r[1]), (2, 0x55));
        assert_eq!(f.mem.read_be_u32(4 * MIB + 1).unwrap(), 0x55);
        assert_eq!(f.psw_addr(), CODE_ADDR + MAP_UNMAP_AFTER_DIAG);
        let sie = f.vcpu.sie_block().unwrap();
        assert_eq!((sie.icptcode, sie.ipa, sie.ipb), (4, 0x8300, 0x0044_0000));
        assert_eq!(sie.psw_addr, CODE_ADDR + MAP_UNMAP_AFTER_DIAG);

        f.vcpu.unmap(4 * MIB, 2 * MIB).unwrap();

        // 3rd run: the translation is gone: a fresh ucontrol exit.
        let exit = f.vcpu.run().unwrap();
        assert_eq!(exit, ucontrol_exit(4 * MIB));
        assert_eq!(f.vcpu.gprs()[0], 3);
        assert_eq!(f.psw_addr(), CODE_ADDR + MAP_UNMAP_STORE);

        // Mapping the faulting segment from the exit handler works.
        let Exit::Ucontrol { trans_exc_code, .. } = exit else {
            unreachable!()
        };
        f.vcpu
            .map(UcasMapping {
                user_addr: f.mem.addr() + 4 * MIB,
                vcpu_addr: trans_exc_code & !(MIB - 1),
                length: MIB,
            })
            .unwrap();
        assert_eq!(f.vcpu.run().unwrap(), DIAG_44);
        assert_eq!(f.vcpu.gprs()[0], 4);
    });
}

#[test]
fn gprs() {
    scenario("gprs", |_| {
        let eights: Vec<(usize, u64)> = (0..8).map(|r| (r, 8)).collect();
        let mut f = Fixture::with(&GPRS, &eights);
        assert_eq!(f.vcpu.run().unwrap(), DIAG_44);
        let r = f.vcpu.gprs();
        for (i, v) in r.iter().enumerate().take(8) {
            assert_eq!(*v, i as u64, "r{i}");
        }
        assert_eq!(f.vcpu.run().unwrap(), DIAG_44);
        assert_eq!(f.vcpu.gprs()[0], 1);
    });
}

#[test]
fn registers_live_in_kvm_run_whatever_the_dirty_flag() {
    scenario("registers_live_in_kvm_run_whatever_the_dirty_flag", |_| {
        let mut f = Fixture::new();
        f.load(&GPRS);
        assert_eq!(f.vcpu.run().unwrap(), DIAG_44);
        assert_eq!(f.vcpu.gprs()[0], 0);
        // s390 keeps the guest's registers in kvm_run: a value written there
        // is what the guest sees next, with or without KVM_SYNC_GPRS.
        f.vcpu.kvm_run_mut().kvm_dirty_regs = 0;
        f.vcpu.kvm_run_mut().sync.gprs[0] = 100;
        assert_eq!(f.vcpu.run().unwrap(), DIAG_44);
        assert_eq!(f.vcpu.gprs()[0], 101);
        f.vcpu.kvm_run_mut().sync.gprs[0] = 200;
        f.vcpu.kvm_run_mut().kvm_dirty_regs = abi::KVM_SYNC_GPRS;
        assert_eq!(f.vcpu.run().unwrap(), DIAG_44);
        assert_eq!(f.vcpu.gprs()[0], 201);
    });
}

#[test]
fn restrictions() {
    scenario("restrictions", |_| {
        let f = Fixture::new();
        let kvm = Kvm::open().unwrap();
        assert_eq!(
            kvm.check_extension(156).unwrap(),
            0,
            "KVM_CAP_S390_HPAGE_1M"
        );
        let errno = |r: ucas::Result<Vcpu>| r.map(|_| ()).unwrap_err().raw_errno();
        assert_eq!(
            errno(Vcpu::create(&f.vm, 0)),
            Some(Errno::EXIST.raw_os_error())
        );
        // Ids stop below KVM_MAX_VCPU_IDS, s390's KVM_MAX_VCPUS (255).
        for id in [255, 256] {
            assert_eq!(
                errno(Vcpu::create(&f.vm, id)),
                Some(Errno::INVAL.raw_os_error())
            );
        }
        let mut last: Vcpu = Vcpu::create(&f.vm, 254).unwrap();
        assert!(last.clear_stopped());
    });
}

/// A mapped segment whose user memory does not exist: generation A reports
/// a ucontrol exit, B and C fail `KVM_RUN` with EFAULT.
#[test]
fn missing_user_memory() {
    scenario("missing_user_memory", |g| {
        let mut f = Fixture::with(&MAP_UNMAP, &[(1, 0x55), (6, 4 * MIB + 1)]);
        // Memory freed again: nothing is mapped there in this process.
        let gone = GuestMemory::new(MIB).unwrap().addr();
        f.vcpu
            .map(UcasMapping {
                user_addr: gone,
                vcpu_addr: 4 * MIB,
                length: MIB,
            })
            .unwrap();
        let r = f.vcpu.run();
        if g == Generation::A {
            assert_eq!(r.unwrap(), ucontrol_exit(4 * MIB));
        } else {
            assert_eq!(
                r.unwrap_err().raw_errno(),
                Some(Errno::FAULT.raw_os_error())
            );
        }
        // Either way the store did not happen and the PSW is at it.
        assert_eq!(f.psw_addr(), CODE_ADDR + MAP_UNMAP_STORE);
        assert_eq!(f.vcpu.gprs()[0], 1);
        // VCPU_FAULT there: EFAULT on every generation.
        let e = f.vcpu.fault(4 * MIB).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::NoUserMemory { .. }), "{e}");
    });
}

/// The prefix segment (vcpu address 0) unmapped: A and B fail `KVM_RUN`
/// with EFAULT, C gives a ucontrol exit at the prefix before any guest
/// instruction.
#[test]
fn unmapped_prefix_segment() {
    scenario("unmapped_prefix_segment", |g| {
        let mut f = Fixture::new();
        f.load(&GPRS);
        f.vcpu.set_gprs([9; 16]);
        f.vcpu.unmap(0, MIB).unwrap();
        let r = f.vcpu.run();
        if g == Generation::C {
            assert_eq!(r.unwrap(), ucontrol_exit(0));
        } else {
            assert_eq!(
                r.unwrap_err().raw_errno(),
                Some(Errno::FAULT.raw_os_error())
            );
        }
        assert_eq!(f.psw_addr(), CODE_ADDR, "no instruction ran");
        assert_eq!(f.vcpu.gprs(), [9; 16]);
        // Mapped again, the guest runs.
        f.vcpu
            .map(UcasMapping {
                user_addr: f.mem.addr(),
                vcpu_addr: 0,
                length: MIB,
            })
            .unwrap();
        assert_eq!(f.vcpu.run().unwrap(), DIAG_44);
    });
}

/// An unmapped segment faulted with VCPU_FAULT: EFAULT on A; EREMOTE and the
/// ucontrol exit fields in `kvm_run` on B and C.
#[test]
fn vcpu_fault_on_an_unmapped_segment() {
    scenario("vcpu_fault_on_an_unmapped_segment", |g| {
        let mut f = Fixture::new();
        let e = f.vcpu.fault(5 * MIB + 0x1234).unwrap_err();
        let ErrorKind::SegmentNotMapped { errno, .. } = e.kind() else {
            panic!("{e}")
        };
        let exit = Exit::from_run(f.vcpu.kvm_run());
        if g == Generation::A {
            assert_eq!(*errno, Errno::FAULT);
        } else {
            assert_eq!(*errno, Errno::REMOTE);
            assert_eq!(exit, ucontrol_exit(5 * MIB + 0x1000));
        }
    });
}

/// An opcode the interpreter does not know: an operation-exception
/// intercept with the PSW at the instruction; a guest that never exits:
/// EINTR after the budget, and it continues on the next run.
#[test]
fn unknown_instructions_and_endless_guests() {
    scenario("unknown_instructions_and_endless_guests", |_| {
        let mut f = Fixture::new();
        // 0xb2ff is no instruction; then `j .` forever.
        f.load(&[0xb2, 0xff, 0x00, 0x00]);
        assert_eq!(
            f.vcpu.run().unwrap(),
            Exit::Sieic {
                icptcode: abi::ICPT_OPEREXC,
                ipa: 0xb2ff,
                ipb: 0
            }
        );
        assert_eq!(f.psw_addr(), CODE_ADDR);
        // aghi %r3,1; j .-4: counts iterations in r3 forever.
        f.load(&[0xa7, 0x3b, 0x00, 0x01, 0xa7, 0xf4, 0xff, 0xfe]);
        assert_eq!(f.vcpu.run().unwrap(), Exit::Interrupted);
        assert_eq!(f.vcpu.kvm_run().exit_reason, abi::KVM_EXIT_INTR);
        // Exactly the budget ran: half of it were AGHIs.
        assert_eq!(f.vcpu.gprs()[3], RUN_BUDGET / 2);
        assert_eq!(f.psw_addr(), CODE_ADDR);
        // The next run continues where it stopped.
        assert_eq!(f.vcpu.run().unwrap(), Exit::Interrupted);
        assert_eq!(f.vcpu.gprs()[3], RUN_BUDGET);
        // immediate_exit: EINTR before any instruction.
        f.vcpu.kvm_run_mut().immediate_exit = 1;
        assert_eq!(f.vcpu.run().unwrap(), Exit::Interrupted);
        assert_eq!(f.vcpu.gprs()[3], RUN_BUDGET);
    });
}

/// `Vcpu::run_demand` on a guest storing into 16 consecutive segments: each
/// ucontrol exit is mapped through the policy, the guest ends at its DIAG,
/// and every store landed in the right user segment.
#[test]
fn demand_mapping_many_segments() {
    scenario("demand_mapping_many_segments", |_| {
        const SEGMENTS: u64 = 16;
        const FIRST: u64 = 64 * MIB;
        let backing = GuestMemory::new(SEGMENTS * MIB).unwrap();
        let policy = |seg: u64| {
            (FIRST..FIRST + SEGMENTS * MIB)
                .contains(&seg)
                .then(|| backing.addr() + (seg - FIRST))
        };
        let regs = [(1, 0xC0FF_EE00), (2, SEGMENTS), (6, FIRST + 0x10), (7, MIB)];
        let mut f = Fixture::with(&TOUCH_SEGMENTS, &regs);

        // A bound below the need stops with DemandLimit, the rest mapped.
        let e = f.vcpu.run_demand(policy, 4).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::DemandLimit { limit: 4, vcpu_addr } if *vcpu_addr == FIRST + 4 * MIB),
            "{e}"
        );
        let run = f.vcpu.run_demand(policy, 64).unwrap();
        assert_eq!(run.exit, DIAG_44);
        assert_eq!(run.segments_mapped as u64, SEGMENTS - 4);
        for s in 0..SEGMENTS {
            assert_eq!(
                backing.read_be_u32(s * MIB + 0x10).unwrap(),
                0xC0FF_EE00,
                "segment {s}"
            );
            assert!(f.vcpu.translate(FIRST + s * MIB).is_some());
        }
        assert_eq!(f.vcpu.gprs()[2], 0);
        // A fault outside the policy's range is handed back.
        f.load(&TOUCH_SEGMENTS);
        let mut gprs = f.vcpu.gprs();
        gprs[2] = 1;
        gprs[6] = 1 << 40;
        f.vcpu.set_gprs(gprs);
        let run = f.vcpu.run_demand(policy, 64).unwrap();
        assert_eq!(run.exit, ucontrol_exit(1 << 40));
        assert_eq!(run.segments_mapped, 0);
    });
}

/// The guest programs, disassembled by binutils: the instructions their
/// documentation claims, operand for operand.
#[test]
fn programs_match_the_disassembler() {
    let cases: [(&str, &[u8], &[&str]); 3] = [
        (
            "map_unmap",
            &MAP_UNMAP,
            &[
                "xgr %r0,%r0",
                "ahi %r0,1",
                "st %r1,0(%r5,%r6)",
                "xgr %r1,%r1",
                "l %r1,0(%r5,%r6)",
                "ahi %r0,1",
                "diag %r0,%r0,68",
                "j 0x4",
            ],
        ),
        (
            "gprs",
            &GPRS,
            &[
                "xgr %r0,%r0",
                "lgfi %r1,1",
                "lgfi %r2,2",
                "lgfi %r3,3",
                "lgfi %r4,4",
                "lgfi %r5,5",
                "lgfi %r6,6",
                "lgfi %r7,7",
                "diag %r0,%r0,68",
                "ahi %r0,1",
                "j 0x2e",
            ],
        ),
        (
            "touch_segments",
            &TOUCH_SEGMENTS,
            &[
                "st %r1,0(%r6)",
                "la %r6,0(%r7,%r6)",
                "brct %r2,0x0",
                "diag %r0,%r0,68",
            ],
        ),
    ];
    for (name, code, want) in cases {
        let Some(got) = ucas_tests::disassemble(name, code) else {
            return;
        };
        assert_eq!(got, want, "{name}");
    }
}

/// A program-interruption condition goes through the guest's lowcore (at
/// prefix 0: user memory behind vcpu 0): a DIAG in problem state is a
/// privileged-operation exception; the interruption code and old PSW are
/// stored, the program new PSW is loaded, and the guest continues there.
#[test]
fn program_interruptions_use_the_lowcore() {
    scenario("program_interruptions_use_the_lowcore", |_| {
        const PROBLEM_STATE: u64 = 1 << (63 - 15);
        let handler = CODE_ADDR + 0x100;
        let mut f = Fixture::with(&[0x83, 0x00, 0x00, 0x44], &[]);
        f.mem.write(handler, &[0x83, 0x00, 0x00, 0x44]).unwrap();
        let mut new_psw = PSW_MASK_64.to_be_bytes().to_vec();
        new_psw.extend_from_slice(&handler.to_be_bytes());
        f.mem.write(0x1d0, &new_psw).unwrap();
        f.vcpu.set_psw(PSW_MASK_64 | PROBLEM_STATE, CODE_ADDR);

        assert_eq!(f.vcpu.run().unwrap(), DIAG_44);
        assert_eq!(f.psw_addr(), handler + 4);
        let mut id = [0u8; 4];
        f.mem.read(0x8c, &mut id).unwrap();
        assert_eq!(id, [0, 4, 0, 2], "ILC 4 bytes, privileged-operation code 2");
        let mut old = [0u8; 16];
        f.mem.read(0x150, &mut old).unwrap();
        assert_eq!(old[..8], (PSW_MASK_64 | PROBLEM_STATE).to_be_bytes());
        assert_eq!(
            old[8..],
            (CODE_ADDR + 4).to_be_bytes(),
            "suppressed: past it"
        );
    });
}

/// Control and access registers travel as the kernel's `sync_regs` and
/// `store_regs` move them: CRs from kvm_run into the SIE block's gcr only
/// when `KVM_SYNC_CRS` is marked dirty, ACRs from kvm_run on every run,
/// both written back (and marked valid) at the exit.
#[test]
fn control_and_access_registers_sync_with_kvm_run() {
    scenario("control_and_access_registers_sync_with_kvm_run", |_| {
        const DATA: u64 = 0x8000;
        // ear r1,a3; sar a4,r2; stctg c5,c5,0(r3); lctlg c7,c7,8(r3);
        // diag 0,0,0x44
        let code = [
            0xb2, 0x4f, 0x00, 0x13, 0xb2, 0x4e, 0x00, 0x42, 0xeb, 0x55, 0x30, 0x00, 0x00, 0x25,
            0xeb, 0x77, 0x30, 0x08, 0x00, 0x2f, 0x83, 0x00, 0x00, 0x44,
        ];
        let mut f = Fixture::with(&code, &[(2, 0x4242), (3, DATA)]);
        f.mem.write(DATA + 8, &0x7777u64.to_be_bytes()).unwrap();
        let run = f.vcpu.kvm_run_mut();
        run.sync.crs[5] = 0x55;
        run.sync.acrs[3] = 0x33;
        run.kvm_dirty_regs |= abi::KVM_SYNC_CRS;
        assert_eq!(f.vcpu.run().unwrap(), DIAG_44);
        assert_eq!(f.vcpu.gprs()[1], 0x33, "ACRs come from kvm_run");
        let mut stored = [0u8; 8];
        f.mem.read(DATA, &mut stored).unwrap();
        assert_eq!(u64::from_be_bytes(stored), 0x55, "CRs come from kvm_run");
        let run = f.vcpu.kvm_run_mut();
        assert_eq!(run.sync.acrs[4], 0x4242);
        assert_eq!(run.sync.crs[7], 0x7777);
        let valid = run.kvm_valid_regs;
        assert_ne!(valid & abi::KVM_SYNC_CRS, 0);
        assert_ne!(valid & abi::KVM_SYNC_ACRS, 0);
        assert_eq!(f.vcpu.sie_block().unwrap().gcr[7], 0x7777);
        // Without the dirty flag a CR written into kvm_run is not loaded.
        let run = f.vcpu.kvm_run_mut();
        run.sync.crs[5] = 0x99;
        run.kvm_dirty_regs = 0;
        f.vcpu.set_psw(PSW_MASK_64, CODE_ADDR);
        assert_eq!(f.vcpu.run().unwrap(), DIAG_44);
        f.mem.read(DATA, &mut stored).unwrap();
        assert_eq!(u64::from_be_bytes(stored), 0x55);
    });
}

/// The instructions SIE intercepts for a ucontrol guest reach userspace
/// as instruction intercepts with the PSW past them (SIGP, SPX, SERVC,
/// STSI), while a control instruction SIE executes itself (STCTG) does
/// not exit.
#[test]
fn intercepted_control_instructions_reach_userspace() {
    scenario("intercepted_control_instructions_reach_userspace", |_| {
        // stctg c0,c0,0x100(0); sigp r1,r2,0; spx 0x200; servc r1,r2;
        // stsi 0x300
        let code = [
            0xeb, 0x00, 0x01, 0x00, 0x00, 0x25, 0xae, 0x12, 0x00, 0x00, 0xb2, 0x10, 0x02, 0x00,
            0xb2, 0x20, 0x00, 0x12, 0xb2, 0x7d, 0x03, 0x00,
        ];
        let mut f = Fixture::with(&code, &[]);
        let mut at = CODE_ADDR + 6;
        for (ipa, ipb) in [
            (0xae12, 0x0000_0000),
            (0xb210, 0x0200_0000),
            (0xb220, 0x0012_0000),
            (0xb27d, 0x0300_0000),
        ] {
            assert_eq!(
                f.vcpu.run().unwrap(),
                Exit::Sieic {
                    icptcode: abi::ICPT_INST,
                    ipa,
                    ipb
                },
                "{ipa:#x}"
            );
            at += 4;
            assert_eq!(f.psw_addr(), at, "{ipa:#x}: past the instruction");
        }
    });
}
