//! The `ucas` library under the emulator, for every kernel generation:
//! `src/bin/lib_client.rs` drives `Kvm`, `Vm` and `Vcpu` through the
//! rows of spec §4 that need no guest execution and through an ENOMEM
//! injected at several points, and the mirrors it ends with must equal the
//! emulator's own state (`--state-out`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ucas_emulator::{Emulator, Generation, State};

fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// Runs the client under `emu`, checking it succeeded and that its mirrors
/// equal the emulator's state.
fn run_client(emu: Emulator, args: [&str; 2], tag: &str) {
    let state = tmp(&format!("lib-{tag}.json"));
    let _ = std::fs::remove_file(&state);
    let out = tmp(&format!("lib-{tag}.out"));
    let err = tmp(&format!("lib-{tag}.err"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lib_client"));
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap());
    let status = emu.state_out(&state).run(cmd).expect("the emulator runs");
    let stdout = std::fs::read_to_string(&out).unwrap();
    let stderr = std::fs::read_to_string(&err).unwrap();
    assert!(status.success(), "{tag}: {status}\n{stdout}{stderr}");
    let mirrors = stdout
        .lines()
        .find_map(|l| l.strip_prefix("state="))
        .unwrap_or_else(|| panic!("{tag}: no state= line in {stdout}"));
    let kernel = std::fs::read_to_string(&state).unwrap();
    assert_eq!(
        State::parse(mirrors).expect("the client writes a state report"),
        State::parse(&kernel).expect("the emulator writes a state report"),
        "{tag}: the library's mirrors differ from the emulator's state"
    );
}

#[test]
fn spec_rows_through_the_library_for_each_generation() {
    for g in Generation::ALL {
        let letter = g.letter().to_string();
        run_client(
            Emulator::new(g),
            ["rows", &letter],
            &format!("rows-{letter}"),
        );
    }
}

/// A MAP inside an existing mapping that the kernel refuses (EINVAL: zero
/// length on A and B) but the mirror's rules (C's) let
/// through changes nothing: the mapping survives in the mirror and in the
/// emulator's state, on every generation (on C the refusal cannot happen).
#[test]
fn a_map_the_kernel_refuses_keeps_existing_mappings() {
    for g in Generation::ALL {
        let letter = g.letter().to_string();
        run_client(
            Emulator::new(g),
            ["kept", &letter],
            &format!("kept-{letter}"),
        );
    }
}

#[test]
fn the_client_notices_a_generation_it_does_not_expect() {
    // Its checks are live: told to expect C while the emulator models A,
    // the client fails (generation detection, zero lengths, fault errnos).
    let out = Command::new(env!("CARGO_BIN_EXE_lib_client"))
        .args(["bogus", "A"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = tmp("lib-mismatch.err");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lib_client"));
    cmd.args(["rows", "C"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err).unwrap());
    let status = Emulator::new(Generation::A).run(cmd).unwrap();
    assert_eq!(status.code(), Some(1));
    let stderr = std::fs::read_to_string(&err).unwrap();
    assert!(stderr.contains("detected A, want C"), "{stderr}");
}

/// Set in the child that [`library_state_keys_and_memory_under_each_generation`]
/// starts under the emulator; holds the generation's letter.
const LIBRARY_CHILD: &str = "UCAS_TEST_LIBRARY_CHILD";

/// The library's register, CPU-model, storage-key and memory-operation
/// methods, run in this test binary under the emulator of each generation
/// (the child prints `key=value` lines; the parent checks them).
fn library_child(g: Generation) {
    use ucas::core::abi;
    use ucas::{KeyOp, Kvm, Vcpu, Vm};
    let show = |k: &str, v: String| println!("{k}={v}");
    let err = |e: ucas::Error| {
        e.errno()
            .map_or_else(|| "none".to_owned(), |e| e.to_string())
    };
    // Past libtest's "test … ... " on the first line.
    println!();
    let kvm = Kvm::open().expect("kvm");
    let vm = Vm::create_ucontrol(&kvm).expect("ucontrol vm");
    let cpu = vm.cpu_model().expect("cpu model");
    show("cpuid_version", format!("{:#x}", cpu.cpuid >> 56));
    show(
        "set_cpu_model",
        format!("{:?}", vm.set_cpu_model(&cpu).map_err(err)),
    );
    let machine = vm.cpu_machine().expect("machine");
    show(
        "machine_offers_the_processor",
        (machine.fac_list[0] & cpu.fac_list[0] == cpu.fac_list[0]).to_string(),
    );
    let mut vcpu = Vcpu::<16>::create(&vm, 0).expect("vcpu");
    show(
        "set_cpu_model_after_vcpu",
        format!("{:?}", vm.set_cpu_model(&cpu).map_err(err)),
    );
    let mut regs = abi::Regs::default();
    regs.gprs[3] = 0x3333;
    vcpu.set_regs(&regs).expect("set regs");
    show("r3", format!("{:#x}", vcpu.regs().expect("regs").gprs[3]));
    show("sync_r3", format!("{:#x}", vcpu.gprs()[3]));
    let mut sregs = abi::Sregs::default();
    sregs.crs[0] = 0xE0;
    sregs.acrs[2] = 7;
    vcpu.set_sregs(&sregs).expect("set sregs");
    let back = vcpu.sregs().expect("sregs");
    show("cr0", format!("{:#x} a2={}", back.crs[0], back.acrs[2]));
    let fpu = abi::Fpu {
        fpc: 1,
        pad: 0,
        fprs: [0x4010_0000_0000_0000; 16],
    };
    vcpu.set_fpu(&fpu).expect("set fpu");
    let f = vcpu.fpu().expect("fpu");
    show("fpc", format!("{} f0={:#x}", f.fpc, f.fprs[0]));
    vcpu.set_one_reg(abi::KVM_REG_S390_TODPR, 0x1_2345_6789)
        .expect("todpr");
    show(
        "todpr",
        format!("{:#x}", vcpu.get_one_reg(abi::KVM_REG_S390_TODPR).unwrap()),
    );
    show(
        "pftoken",
        format!(
            "{:#x}",
            vcpu.get_one_reg(abi::KVM_REG_S390_PFTOKEN).unwrap()
        ),
    );
    show(
        "bad_reg",
        format!(
            "{:?}",
            vcpu.get_one_reg(abi::KVM_REG_S390 | 0x77).map_err(err)
        ),
    );
    // Run state, initial PSW, resets and injection.
    show(
        "mp_state_new",
        format!("{:?}", vcpu.mp_state().map_err(err)),
    );
    show(
        "initial_psw_stopped",
        format!(
            "{:?}",
            vcpu.set_initial_psw(0x0000_0001_8000_0000, 0x4000)
                .map_err(err)
        ),
    );
    show("psw", format!("{:#x}", vcpu.psw().1));
    show(
        "operating",
        format!("{:?}", vcpu.set_mp_state(7).map_err(err)),
    );
    show(
        "mp_state_operating",
        format!("{:?}", vcpu.mp_state().map_err(err)),
    );
    show(
        "initial_psw_running",
        format!("{:?}", vcpu.set_initial_psw(0, 0).map_err(err)),
    );
    let stop = abi::S390Irq {
        type_: u64::from(abi::KVM_S390_SIGP_STOP),
        u: [0; 8],
    };
    show(
        "inject_stop",
        format!("{:?}", vcpu.inject(&stop).map_err(err)),
    );
    show(
        "inject_stop_again",
        format!("{:?}", vcpu.inject(&stop).map_err(err)),
    );
    show(
        "normal_reset",
        format!(
            "{:?}",
            vcpu.reset(ucas::core::abi::Ioctl::S390NormalReset)
                .map_err(err)
        ),
    );
    show(
        "inject_stop_after_reset",
        format!("{:?}", vcpu.inject(&stop).map_err(err)),
    );
    show(
        "reset_not_a_reset",
        format!("{:?}", vcpu.reset(ucas::core::abi::Ioctl::Run).map_err(err)),
    );
    // Storage keys and memory operations on the caller's own memory.
    let mut page = vec![0u8; 8192];
    let at = (page.as_ptr() as u64 + 4095) & !4095;
    let gfn = at >> 12;
    let mut keys = [0u8; 1];
    show(
        "get_skeys_unused",
        format!("{:?}", vm.get_skeys(gfn, &mut keys).map_err(err)),
    );
    show(
        "set_skeys",
        format!("{:?}", vm.set_skeys(gfn, &[0x30]).map_err(err)),
    );
    let got = vm.get_skeys(gfn, &mut keys).map_err(err);
    show("get_skeys", format!("{got:?} {:#x}", keys[0]));
    show(
        "keyop_iske",
        format!("{:?}", vm.keyop(at, KeyOp::Insert).map_err(err)),
    );
    show(
        "keyop_sske",
        format!("{:?}", vm.keyop(at, KeyOp::Set(0x56)).map_err(err)),
    );
    let offset = usize::try_from(at - page.as_ptr() as u64).unwrap();
    page[offset..offset + 4].copy_from_slice(b"data");
    let mut buf = [0u8; 4];
    let read = vm.read_absolute(at, &mut buf).map_err(err);
    show(
        "read_absolute",
        format!("{read:?} {}", String::from_utf8_lossy(&buf)),
    );
    show(
        "write_absolute_empty",
        format!("{:?}", vm.write_absolute(at, &[]).map_err(err)),
    );
    let _ = g;
}

#[test]
fn library_state_keys_and_memory_under_each_generation() {
    if let Some(letter) = std::env::var_os(LIBRARY_CHILD) {
        let g = Generation::ALL
            .into_iter()
            .find(|g| g.letter().to_string() == letter.to_string_lossy())
            .expect("a generation letter");
        library_child(g);
        return;
    }
    for g in Generation::ALL {
        let out = tmp(&format!("lib-state-{g:?}.out"));
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "library_state_keys_and_memory_under_each_generation",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(LIBRARY_CHILD, g.letter().to_string())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap());
        let status = Emulator::new(g).run(cmd).expect("the emulator runs");
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(status.success(), "{g:?}: {status}\n{text}");
        let mut want = vec![
            ("cpuid_version", "0xff"),
            ("set_cpu_model", "Ok(())"),
            ("machine_offers_the_processor", "true"),
            ("set_cpu_model_after_vcpu", "Err(\"EBUSY\")"),
            ("r3", "0x3333"),
            ("sync_r3", "0x3333"),
            ("cr0", "0xe0 a2=7"),
            ("fpc", "1 f0=0x4010000000000000"),
            // A 32-bit register keeps the low half.
            ("todpr", "0x23456789"),
            ("pftoken", "0xffffffffffffffff"),
            ("bad_reg", "Err(\"EINVAL\")"),
            ("get_skeys_unused", "Ok(false)"),
            ("mp_state_new", "Ok(5)"),
            ("initial_psw_stopped", "Ok(())"),
            ("psw", "0x4000"),
            ("operating", "Ok(())"),
            ("mp_state_operating", "Ok(7)"),
            ("initial_psw_running", "Err(\"EBUSY\")"),
            ("inject_stop", "Ok(())"),
            ("inject_stop_again", "Err(\"EBUSY\")"),
            ("normal_reset", "Ok(())"),
            // The run state is the caller's now: the reset does not stop
            // the vcpu, but it clears the pending stop.
            ("inject_stop_after_reset", "Ok(())"),
            ("reset_not_a_reset", "Err(\"EINVAL\")"),
            ("write_absolute_empty", "Err(\"EINVAL\")"),
        ];
        match g {
            Generation::A => want.extend([
                ("set_skeys", "Err(\"EFAULT\")"),
                ("get_skeys", "Err(\"EFAULT\") 0x0"),
                ("keyop_iske", "Err(\"ENOTTY\")"),
                ("read_absolute", "Ok(Some(5)) \0\0\0\0"),
            ]),
            Generation::B => want.extend([
                ("set_skeys", "Ok(())"),
                ("get_skeys", "Ok(true) 0x30"),
                ("keyop_iske", "Err(\"ENOTTY\")"),
                ("read_absolute", "Ok(None) data"),
            ]),
            Generation::C => want.extend([
                ("set_skeys", "Ok(())"),
                ("get_skeys", "Ok(true) 0x30"),
                ("keyop_iske", "Ok(48)"),
                ("keyop_sske", "Ok(48)"),
                ("read_absolute", "Ok(None) data"),
            ]),
        }
        for (key, value) in want {
            assert!(
                text.lines().any(|l| l == format!("{key}={value}")),
                "{g:?}: want {key}={value} in\n{text}"
            );
        }
    }
}

/// A regular VM through the library under each generation: a memory slot
/// with [`ucas::Vm::set_user_memory_region`] (and the kernel's refusals),
/// `KVM_S390_VCPU_FAULT` through it, and the storage keys of its frames.
#[test]
fn library_regular_vm_slot_faults_and_keys() {
    ucas_tests::under_each_generation("library_regular_vm_slot_faults_and_keys", regular_vm_child);
}

fn regular_vm_child(g: Generation) {
    use ucas::core::abi::{UserspaceMemoryRegion, UserspaceMemoryRegion2};
    use ucas::{KeyOp, Kvm, Vcpu, Vm};
    const MIB: u64 = 1 << 20;
    let errno = |r: ucas::Result<()>| r.map_err(|e| e.errno().map(|e| e.to_string()));
    let kvm = Kvm::open().expect("kvm");
    let vm = Vm::create_with_type(&kvm, 0).expect("regular vm");
    // 1 MiB of the caller's memory on a 1 MiB boundary.
    let memory = vec![0u8; 3 << 20];
    let user = (memory.as_ptr() as u64 + MIB - 1) & !(MIB - 1);
    let region = |slot, guest_phys_addr, userspace_addr| UserspaceMemoryRegion {
        slot,
        flags: 0,
        guest_phys_addr,
        memory_size: MIB,
        userspace_addr,
    };
    assert_eq!(errno(vm.set_user_memory_region(region(0, 0, user))), Ok(()));
    let overlap = vm.set_user_memory_region(region(1, MIB / 2, user));
    assert_eq!(errno(overlap), Err(Some("EEXIST".into())));
    let unaligned = vm.set_user_memory_region(region(1, 4 * MIB, user + 4096));
    assert_eq!(errno(unaligned), Err(Some("EINVAL".into())));
    // The second form (every generation modelled is 6.8 or later): the
    // same checks, so a slot of its own and the same overlap.
    let region2 = |slot, guest_phys_addr, userspace_addr| UserspaceMemoryRegion2 {
        slot,
        guest_phys_addr,
        memory_size: MIB,
        userspace_addr,
        ..UserspaceMemoryRegion2::default()
    };
    let second = vm.set_user_memory_region2(region2(2, 8 * MIB, user + MIB));
    assert_eq!(errno(second), Ok(()));
    let overlap2 = vm.set_user_memory_region2(region2(3, 8 * MIB, user + MIB));
    assert_eq!(errno(overlap2), Err(Some("EEXIST".into())));
    let mut vcpu = Vcpu::<16>::create(&vm, 0).expect("vcpu");
    assert_eq!(errno(vcpu.fault(0x1234)), Ok(()));
    let outside = errno(vcpu.fault(64 * MIB));
    if g == Generation::B {
        // B injects an addressing exception and succeeds.
        assert_eq!(outside, Ok(()));
    } else {
        // A has no segment there; C (v7.0) answers EFAULT.
        assert_eq!(outside, Err(Some("EFAULT".into())));
    }
    let mut key = [0u8; 1];
    assert!(!vm.get_skeys(1, &mut key).expect("keys unused"));
    vm.set_skeys(1, &[0x30]).expect("set keys");
    assert!(vm.get_skeys(1, &mut key).expect("keys in use"));
    assert_eq!(key, [0x30]);
    let iske = vm.keyop(4096, KeyOp::Insert).map_err(|e| e.errno());
    if g == Generation::C {
        assert_eq!(iske, Ok(0x30));
    } else {
        assert_eq!(iske, Err(Some(ucas::core::Errno::NOTTY)));
    }
    // Frame 256 lies past the slot: A and B find no slot (EFAULT); C's
    // walk (v7.0) meets an addressing exception and says so as a value,
    // which the library makes the error it stands for.
    let past = vm.set_skeys(255, &[0x30, 0x30]).unwrap_err();
    let outside = matches!(
        past.kind(),
        ucas::ErrorKind::OutsideGuestMemory { gfn: 255 }
    );
    assert_eq!(outside, g == Generation::C, "{past}");
    assert_eq!(past.errno(), Some(ucas::core::Errno::FAULT));
    let mut two = [0xEE; 2];
    let past = vm.get_skeys(255, &mut two).unwrap_err();
    assert_eq!(past.errno(), Some(ucas::core::Errno::FAULT), "{past}");
    assert_eq!(two, [0xEE; 2]);
    if g == Generation::C {
        let iske = vm.keyop(MIB, KeyOp::Insert).unwrap_err();
        let outside = matches!(
            iske.kind(),
            ucas::ErrorKind::OutsideGuestMemory { gfn: 256 }
        );
        assert!(outside, "{iske}");
    }
    // The interrupt controller needs its capability first, on either kind
    // of VM.
    for v in [&vm, &Vm::create_ucontrol(&kvm).expect("ucontrol vm")] {
        assert_eq!(errno(v.create_irqchip()), Err(Some("EINVAL".into())));
        let cap = ucas::core::abi::KVM_CAP_S390_IRQCHIP;
        assert_eq!(errno(v.enable_cap(cap, [0; 4])), Ok(()));
        assert_eq!(errno(v.create_irqchip()), Ok(()));
        // Huge pages: the regular VM has a vcpu already (EBUSY comes
        // first), the new ucontrol VM refuses them (test uc_cap_hpage).
        let hpage = ucas::core::abi::KVM_CAP_S390_HPAGE_1M;
        let want = if v.is_ucontrol() { "EINVAL" } else { "EBUSY" };
        assert_eq!(errno(v.enable_cap(hpage, [0; 4])), Err(Some(want.into())));
    }
    // A ucontrol VM has no user slots.
    let uc = Vm::create_ucontrol(&kvm).expect("ucontrol vm");
    let refused = uc.set_user_memory_region(region(1, 0, user));
    assert_eq!(errno(refused), Err(Some("EINVAL".into())));
    let refused2 = uc.set_user_memory_region2(region2(1, 0, user));
    assert_eq!(errno(refused2), Err(Some("EINVAL".into())));
    // Nor a dirty log: refused before the slot is looked at.
    let dirty = uc.get_dirty_log(0).map(drop);
    assert_eq!(errno(dirty), Err(Some("EINVAL".into())));
    drop(memory);
}

/// Interrupt state, store status, the vcpu's capability, interrupt
/// injection on vcpu and VM, guest debugging and the system fd's answers
/// through the library under each generation, as
/// emulator/KERNEL-INTERFACE.md (tables S1, S2, V1 and P1) gives them.
#[test]
fn library_interrupt_state_status_and_caps() {
    ucas_tests::under_each_generation("library_interrupt_state_status_and_caps", irq_state_child);
}

fn irq_state_child(g: Generation) {
    use ucas::core::Errno;
    use ucas::core::abi::{self, S390Irq};
    use ucas::{Kvm, Vcpu, Vm};
    let errno = |r: ucas::Result<()>| r.map_err(|e| e.errno());
    let irq = |type_: u32| S390Irq {
        type_: u64::from(type_),
        u: [0; 8],
    };
    let kvm = Kvm::open().expect("kvm");
    assert_eq!(kvm.api_version().expect("api version"), 12);
    assert_eq!(kvm.vcpu_mmap_size().expect("mmap size"), 4096);
    assert_eq!(kvm.check_extension(abi::KVM_CAP_S390_UCONTROL).unwrap(), 1);
    let keyop = i32::from(g == Generation::C);
    assert_eq!(kvm.check_extension(abi::KVM_CAP_S390_KEYOP).unwrap(), keyop);
    assert_eq!(
        kvm.check_extension(abi::KVM_CAP_S390_MEM_OP).unwrap(),
        65536
    );
    let vm = Vm::create_ucontrol(&kvm).expect("ucontrol vm");
    // The one capability whose answer differs on a ucontrol VM fd.
    assert_eq!(vm.check_extension(abi::KVM_CAP_S390_HPAGE_1M).unwrap(), 0);
    assert_eq!(vm.check_extension(abi::KVM_CAP_S390_IRQ_STATE).unwrap(), 1);
    let mut vcpu = Vcpu::<16>::create(&vm, 0).expect("vcpu");

    // KVM_S390_GET_IRQ_STATE: length 0 is refused, nothing is pending.
    assert_eq!(
        vcpu.irq_state(&mut []).map_err(|e| e.errno()),
        Err(Some(Errno::INVAL))
    );
    let mut buf = [irq(0); 4];
    assert_eq!(vcpu.irq_state(&mut buf).map_err(|e| e.errno()), Ok(0));

    // KVM_S390_SET_IRQ_STATE: the length checks.
    assert_eq!(errno(vcpu.set_irq_state(&[])), Err(Some(Errno::INVAL)));
    let too_long = vec![irq(abi::KVM_S390_RESTART); 255 + 32 + 1];
    assert_eq!(
        errno(vcpu.set_irq_state(&too_long)),
        Err(Some(Errno::INVAL))
    );
    // A stop of a stopped vcpu queues nothing: twice accepted.
    let stop = [irq(abi::KVM_S390_SIGP_STOP)];
    assert_eq!(errno(vcpu.set_irq_state(&stop)), Ok(()));
    assert_eq!(errno(vcpu.set_irq_state(&stop)), Ok(()));
    // An emergency signal from a cpu that is not a vcpu of the VM.
    let mut emergency = irq(abi::KVM_S390_INT_EMERGENCY);
    let mut code = [0u8; 8];
    code[..2].copy_from_slice(&5u16.to_ne_bytes());
    emergency.u[0] = u64::from_ne_bytes(code);
    assert_eq!(
        errno(vcpu.set_irq_state(&[emergency])),
        Err(Some(Errno::INVAL))
    );
    // Up to the first refusal: the restart stays pending, so the next
    // restore is refused as a whole.
    let restart = irq(abi::KVM_S390_RESTART);
    let partial = [restart, irq(abi::KVM_S390_INT_VIRTIO)];
    assert_eq!(errno(vcpu.set_irq_state(&partial)), Err(Some(Errno::INVAL)));
    let two = [restart, irq(abi::KVM_S390_INT_EXTERNAL_CALL)];
    assert_eq!(errno(vcpu.set_irq_state(&two)), Err(Some(Errno::BUSY)));
    // A reset clears the local interrupts.
    vcpu.reset(abi::Ioctl::S390NormalReset)
        .expect("normal reset");
    assert_eq!(errno(vcpu.set_irq_state(&two)), Ok(()));
    assert_eq!(errno(vcpu.set_irq_state(&two)), Err(Some(Errno::BUSY)));

    // KVM_S390_STORE_STATUS goes through the memory slots: a ucontrol VM
    // has none on A, and from B on its internal slot is the caller's
    // address space.
    let mut gprs = vcpu.gprs();
    gprs[7] = 0x0706_0504_0302_0100;
    vcpu.set_gprs(gprs);
    let memory = vec![0u8; 3 * 4096];
    let area = memory.as_ptr() as u64;
    let stored = errno(vcpu.store_status(area));
    if g == Generation::A {
        assert_eq!(stored, Err(Some(Errno::FAULT)));
    } else {
        assert_eq!(stored, Ok(()));
        let r7: [u8; 8] = memory[0x80 + 7 * 8..0x80 + 8 * 8].try_into().unwrap();
        assert_eq!(u64::from_be_bytes(r7), 0x0706_0504_0302_0100);
    }
    let noaddr = vcpu.store_status(abi::KVM_S390_STORE_STATUS_NOADDR);
    assert_eq!(errno(noaddr), Err(Some(Errno::FAULT)));
    drop(memory);

    // KVM_TRANSLATE is not implemented on s390.
    let translated = vcpu.translate_gva(0x1000).map(drop);
    assert_eq!(errno(translated), Err(Some(Errno::INVAL)));

    // KVM_SET_SIGNAL_MASK: a set of 8 bytes, or none.
    let usr1 = 1 << (10 - 1);
    assert_eq!(errno(vcpu.set_signal_mask(Some(usr1))), Ok(()));
    assert_eq!(errno(vcpu.set_signal_mask(None)), Ok(()));

    // KVM_ENABLE_CAP on a vcpu: only channel-subsystem support.
    let css = vcpu.enable_cap(abi::KVM_CAP_S390_CSS_SUPPORT, [0; 4]);
    assert_eq!(errno(css), Ok(()));
    let other = vcpu.enable_cap(abi::KVM_CAP_S390_IRQCHIP, [0; 4]);
    assert_eq!(errno(other), Err(Some(Errno::INVAL)));

    // KVM_S390_INTERRUPT on the vcpu: local types only, a parameter in
    // the lower half for an emergency signal, whose source must be a vcpu
    // of the VM.
    let int = |type_: u32, parm: u32| abi::S390Interrupt {
        type_,
        parm,
        parm64: 0,
    };
    vcpu.reset(abi::Ioctl::S390NormalReset)
        .expect("normal reset");
    let local = |vcpu: &mut Vcpu<16>, type_, parm| errno(vcpu.interrupt(&int(type_, parm)));
    let virtio = abi::KVM_S390_INT_VIRTIO;
    let emergency = abi::KVM_S390_INT_EMERGENCY;
    assert_eq!(local(&mut vcpu, virtio, 0), Err(Some(Errno::INVAL)));
    assert_eq!(
        local(&mut vcpu, emergency, 0x1_0000),
        Err(Some(Errno::INVAL))
    );
    assert_eq!(local(&mut vcpu, emergency, 5), Err(Some(Errno::INVAL)));
    assert_eq!(local(&mut vcpu, emergency, 0), Ok(()));
    assert_eq!(local(&mut vcpu, abi::KVM_S390_RESTART, 0), Ok(()));
    // KVM_S390_INTERRUPT on the VM: floating types only.
    for (type_, want) in [
        (virtio, Ok(())),
        (abi::KVM_S390_INT_SERVICE, Ok(())),
        // An I/O interrupt: subchannel 1.
        (1, Ok(())),
        (abi::KVM_S390_RESTART, Err(Some(Errno::INVAL))),
        (abi::KVM_S390_SIGP_STOP, Err(Some(Errno::INVAL))),
    ] {
        assert_eq!(
            errno(vm.interrupt(&int(type_, 0))),
            want,
            "{g:?} {type_:#x}"
        );
    }

    // KVM_SET_GUEST_DEBUG: enabling sets CPUSTAT_P, an unknown control
    // bit is refused.
    let p_bit =
        |vcpu: &Vcpu<16>| vcpu.sie_block().expect("SIE page").cpuflags & abi::CPUSTAT_P != 0;
    let on = abi::KVM_GUESTDBG_ENABLE | abi::KVM_GUESTDBG_SINGLESTEP;
    assert_eq!(errno(vcpu.set_guest_debug(on)), Ok(()));
    assert!(p_bit(&vcpu));
    assert_eq!(errno(vcpu.set_guest_debug(0x4)), Err(Some(Errno::INVAL)));
    assert_eq!(errno(vcpu.set_guest_debug(0)), Ok(()));
    assert!(!p_bit(&vcpu));
    // Hardware breakpoints: at most 50; a write watchpoint's memory is
    // read through the slots (a ucontrol VM of A has none); a failure
    // leaves debugging off.
    let with_bps = abi::KVM_GUESTDBG_ENABLE | abi::KVM_GUESTDBG_USE_HW_BP;
    let watched = [0u8; 16];
    let bp = abi::HwBreakpoint {
        addr: 0x2000,
        len: 2,
        kind: 1,
        ..abi::HwBreakpoint::default()
    };
    let wp = abi::HwBreakpoint {
        phys_addr: watched.as_ptr() as u64,
        len: 16,
        kind: 2,
        ..abi::HwBreakpoint::default()
    };
    let set = |vcpu: &mut Vcpu<16>, bps: &[abi::HwBreakpoint]| {
        errno(vcpu.set_guest_debug_with_breakpoints(with_bps, bps))
    };
    assert_eq!(set(&mut vcpu, &[bp]), Ok(()));
    assert!(p_bit(&vcpu));
    assert_eq!(set(&mut vcpu, &[bp; 51]), Err(Some(Errno::INVAL)));
    assert!(!p_bit(&vcpu));
    let want = if g == Generation::A {
        Err(Some(Errno::FAULT))
    } else {
        Ok(())
    };
    assert_eq!(set(&mut vcpu, &[bp, wp]), want, "{g:?}");
    assert_eq!(p_bit(&vcpu), want.is_ok());
    let long = abi::HwBreakpoint { len: 101, ..wp };
    assert_eq!(set(&mut vcpu, &[long]), Err(Some(Errno::INVAL)));
}

/// `KVM_CHECK_EXTENSION` through [`ucas::Kvm::check_extension`] and
/// [`ucas::Vm::check_extension`] under each generation: every capability
/// of table S2 (emulator/KERNEL-INTERFACE.md) on `/dev/kvm`, a ucontrol VM
/// and a regular VM; the facility-dependent ones answer what the host's
/// facility list (`KVM_S390_VM_CPU_MACHINE`) says.
#[test]
fn library_capabilities_as_table_s2_gives_them() {
    ucas_tests::under_each_generation("library_capabilities_as_table_s2_gives_them", caps_child);
}

fn caps_child(g: Generation) {
    use ucas::core::abi::*;
    use ucas::{Kvm, Vm};
    let kvm = Kvm::open().expect("kvm");
    let uc = Vm::create_ucontrol(&kvm).expect("ucontrol vm");
    let regular = Vm::create_with_type(&kvm, 0).expect("regular vm");
    let answers = |cap: u32| {
        [
            kvm.check_extension(cap).expect("dev"),
            uc.check_extension(cap).expect("uc"),
            regular.check_extension(cap).expect("regular"),
        ]
    };
    // Answers that are the same on every fd and generation.
    let mut same: Vec<(u32, i32)> = [
        KVM_CAP_USER_MEMORY,
        KVM_CAP_MP_STATE,
        KVM_CAP_SYNC_MMU,
        KVM_CAP_DESTROY_MEMORY_REGION_WORKS,
        KVM_CAP_SET_GUEST_DEBUG,
        KVM_CAP_JOIN_MEMORY_REGIONS_WORKS,
        KVM_CAP_IRQFD,
        KVM_CAP_IOEVENTFD,
        KVM_CAP_INTERNAL_ERROR_DATA,
        KVM_CAP_S390_PSW,
        KVM_CAP_ENABLE_CAP,
        KVM_CAP_ASYNC_PF,
        KVM_CAP_ONE_REG,
        KVM_CAP_S390_GMAP,
        KVM_CAP_S390_UCONTROL,
        KVM_CAP_SYNC_REGS,
        KVM_CAP_S390_CSS_SUPPORT,
        KVM_CAP_DEVICE_CTRL,
        KVM_CAP_ENABLE_CAP_VM,
        KVM_CAP_S390_IRQCHIP,
        KVM_CAP_VM_ATTRIBUTES,
        KVM_CAP_CHECK_EXTENSION_VM,
        KVM_CAP_S390_USER_SIGP,
        KVM_CAP_S390_USER_STSI,
        KVM_CAP_S390_SKEYS,
        KVM_CAP_S390_INJECT_IRQ,
        KVM_CAP_S390_IRQ_STATE,
        KVM_CAP_IOEVENTFD_ANY_LENGTH,
        KVM_CAP_S390_USER_INSTR0,
        KVM_CAP_IMMEDIATE_EXIT,
        KVM_CAP_S390_AIS,
        KVM_CAP_S390_CMMA_MIGRATION,
        KVM_CAP_S390_AIS_MIGRATION,
        KVM_CAP_S390_VCPU_RESETS,
        KVM_CAP_S390_DIAG318,
        KVM_CAP_HALT_POLL,
        KVM_CAP_BINARY_STATS_FD,
        KVM_CAP_USER_MEMORY2,
    ]
    .into_iter()
    .map(|cap| (cap, 1))
    .collect();
    let memslots = if g == Generation::A { 32767 } else { 32766 };
    same.extend([
        (KVM_CAP_NR_MEMSLOTS, memslots),
        (KVM_CAP_IRQ_ROUTING, 4096),
        // The extended SCA of the modelled host.
        (KVM_CAP_MAX_VCPUS, 248),
        (KVM_CAP_MAX_VCPU_ID, 248),
        (KVM_CAP_S390_MEM_OP, 65536),
        (KVM_CAP_SET_GUEST_DEBUG2, 0x1001_0003),
        // The modelled host: default hpage=0, no PV, no zPCI interpretation.
        (KVM_CAP_S390_HPAGE_1M, 0),
        (KVM_CAP_S390_PROTECTED, 0),
        (KVM_CAP_S390_PROTECTED_DUMP, 0),
        (KVM_CAP_S390_ZPCI_OP, 0),
        (KVM_CAP_S390_PROTECTED_ASYNC_DISABLE, 0),
        (KVM_CAP_S390_USER_OPEREXEC, i32::from(g == Generation::C)),
        (KVM_CAP_S390_KEYOP, i32::from(g == Generation::C)),
        // Not a capability number any generation knows.
        (250, 0),
    ]);
    // Answered from B on; the A tree read lacks them (late A unverified).
    if g != Generation::A {
        same.extend([
            (KVM_CAP_IRQFD_RESAMPLE, 1),
            (KVM_CAP_SYSTEM_EVENT_DATA, 1),
            (KVM_CAP_S390_MEM_OP_EXTENSION, 3),
        ]);
    }
    // The host's facilities, bit n of the big-endian facility list.
    let machine = uc.cpu_machine().expect("machine");
    let facility = |n: usize| i32::from(machine.fac_list[n / 64] >> (63 - n % 64) & 1 == 1);
    same.extend([
        (KVM_CAP_S390_VECTOR_REGISTERS, facility(129)),
        (KVM_CAP_S390_RI, facility(64)),
        (KVM_CAP_S390_GS, facility(133)),
        (KVM_CAP_S390_BPB, facility(82)),
        (KVM_CAP_S390_CPU_TOPOLOGY, facility(11)),
        // ESOP comes from the SCLP, not the facility list: every current
        // machine has it.
        (KVM_CAP_S390_COW, 1),
    ]);
    for (cap, want) in same {
        assert_eq!(answers(cap), [want; 3], "{g:?} cap {cap}");
    }
    // The online host CPUs, at most MAX_VCPUS.
    let [dev, on_uc, on_regular] = answers(KVM_CAP_NR_VCPUS);
    assert!((1..=248).contains(&dev), "{g:?} NR_VCPUS {dev}");
    assert_eq!([on_uc, on_regular], [dev, dev], "{g:?} NR_VCPUS");
}

/// VM and vcpu creation refusals, `KVM_ENABLE_CAP` on a ucontrol VM before
/// and after its first vcpu (table V2) and every `KVM_{GET,SET}_ONE_REG`
/// register (table P2), through the library under each generation.
#[test]
fn library_creation_vm_capabilities_and_one_regs() {
    ucas_tests::under_each_generation(
        "library_creation_vm_capabilities_and_one_regs",
        enable_cap_child,
    );
}

fn enable_cap_child(g: Generation) {
    use ucas::core::Errno;
    use ucas::core::abi::*;
    use ucas::{Kvm, Vcpu, Vm};
    let errno = |r: ucas::Result<()>| r.map_err(|e| e.errno());
    let kvm = Kvm::open().expect("kvm");
    // Any type bit but the ucontrol one comes first.
    for bad in [2, 3] {
        let refused = Vm::create_with_type(&kvm, bad).map(drop);
        assert_eq!(errno(refused), Err(Some(Errno::INVAL)), "type {bad}");
    }
    let vm = Vm::create_ucontrol(&kvm).expect("ucontrol vm");
    // Table V2, for the modelled host (z16 facilities, hpage=0): what a
    // ucontrol VM answers before any vcpu exists and after.
    let c_only = if g == Generation::C {
        Ok(())
    } else {
        Err(Some(Errno::INVAL))
    };
    let busy = Err(Some(Errno::BUSY));
    let inval = Err(Some(Errno::INVAL));
    let mut rows = vec![
        (KVM_CAP_S390_IRQCHIP, Ok(()), Ok(())),
        (KVM_CAP_S390_USER_SIGP, Ok(()), Ok(())),
        (KVM_CAP_S390_VECTOR_REGISTERS, Ok(()), busy),
        (KVM_CAP_S390_RI, Ok(()), busy),
        (KVM_CAP_S390_GS, Ok(()), busy),
        (KVM_CAP_S390_AIS, Ok(()), busy),
        (KVM_CAP_S390_HPAGE_1M, inval, busy),
        (KVM_CAP_S390_USER_STSI, Ok(()), Ok(())),
        (KVM_CAP_S390_USER_INSTR0, Ok(()), Ok(())),
        (KVM_CAP_S390_USER_OPEREXEC, c_only, c_only),
        (KVM_CAP_HALT_POLL, Ok(()), Ok(())),
        // Dirty rings, manual dirty-log protection and anything else.
        (192, inval, inval),
        (223, inval, inval),
        (225, inval, inval),
        (168, inval, inval),
        (KVM_CAP_S390_UCONTROL, inval, inval),
    ];
    // Not in the A tree read.
    if g != Generation::A {
        rows.push((KVM_CAP_S390_CPU_TOPOLOGY, Ok(()), busy));
    }
    // Before: each on a VM of its own, so an enabled one cannot change the
    // answer of the next.
    for &(cap, before, _) in &rows {
        let fresh = Vm::create_ucontrol(&kvm).expect("ucontrol vm");
        assert_eq!(
            errno(fresh.enable_cap(cap, [0; 4])),
            before,
            "{g:?} cap {cap} before"
        );
    }
    // HALT_POLL takes a u32 of nanoseconds in args[0].
    let halt = vm.enable_cap(KVM_CAP_HALT_POLL, [1 << 32, 0, 0, 0]);
    assert_eq!(errno(halt), inval, "{g:?} halt poll too long");
    let mut vcpu = Vcpu::<16>::create(&vm, 0).expect("vcpu");
    for &(cap, _, after) in &rows {
        assert_eq!(
            errno(vm.enable_cap(cap, [0; 4])),
            after,
            "{g:?} cap {cap} after"
        );
    }
    // KVM_CREATE_VCPU: an id past 254 first, then a taken one.
    let taken = Vcpu::<16>::create(&vm, 0).map(drop);
    assert_eq!(errno(taken), Err(Some(Errno::EXIST)));
    let past = Vcpu::<16>::create(&vm, 255).map(drop);
    assert_eq!(errno(past), inval);

    // Table P2: every register reads back what was set; a 32-bit one
    // keeps the low half.
    let regs = [
        (KVM_REG_S390_TODPR, 0x1234_5678),
        (KVM_REG_S390_EPOCHDIFF, 0x1111_2222_3333_4444),
        (KVM_REG_S390_CPU_TIMER, 0x7000),
        (KVM_REG_S390_CLOCK_COMP, 0x8000_0000_0000_0000),
        (KVM_REG_S390_PFTOKEN, 0x4000),
        (KVM_REG_S390_PFCOMPARE, 0x55),
        (KVM_REG_S390_PFSELECT, 0xaa),
        (KVM_REG_S390_PP, 0x0102_0304_0506_0708),
        (KVM_REG_S390_GBEA, 0x10_0000),
    ];
    let fresh = Vcpu::<16>::create(&vm, 1).expect("second vcpu");
    // A new vcpu: no pfault token, no pfault compare or select.
    assert_eq!(fresh.get_one_reg(KVM_REG_S390_PFTOKEN).unwrap(), u64::MAX);
    assert_eq!(fresh.get_one_reg(KVM_REG_S390_PFCOMPARE).unwrap(), 0);
    assert_eq!(fresh.get_one_reg(KVM_REG_S390_PFSELECT).unwrap(), 0);
    for (id, value) in regs {
        vcpu.set_one_reg(id, value).expect("set one reg");
        assert_eq!(vcpu.get_one_reg(id).unwrap(), value, "{g:?} reg {id:#x}");
    }
    // The initial reset: PP, TODPR, CPU timer and clock comparator 0, the
    // breaking-event address 1, no pfault token; pfault compare and
    // select and the epoch difference stay.
    vcpu.reset(Ioctl::S390InitialReset).expect("initial reset");
    for (id, want) in [
        (KVM_REG_S390_TODPR, 0),
        (KVM_REG_S390_CPU_TIMER, 0),
        (KVM_REG_S390_CLOCK_COMP, 0),
        (KVM_REG_S390_PP, 0),
        (KVM_REG_S390_GBEA, 1),
        (KVM_REG_S390_PFTOKEN, u64::MAX),
        (KVM_REG_S390_PFCOMPARE, 0x55),
        (KVM_REG_S390_PFSELECT, 0xaa),
        (KVM_REG_S390_EPOCHDIFF, 0x1111_2222_3333_4444),
    ] {
        assert_eq!(
            vcpu.get_one_reg(id).unwrap(),
            want,
            "{g:?} reg {id:#x} after reset"
        );
    }
    // The clear reset: as the initial one, and the general registers go.
    let mut regs = vcpu.regs().expect("regs");
    regs.gprs[7] = 0x77;
    vcpu.set_regs(&regs).expect("set regs");
    vcpu.set_one_reg(KVM_REG_S390_GBEA, 0x5000).expect("gbea");
    vcpu.reset(Ioctl::S390ClearReset).expect("clear reset");
    assert_eq!(vcpu.regs().expect("regs").gprs[7], 0, "{g:?} clear reset");
    assert_eq!(vcpu.get_one_reg(KVM_REG_S390_GBEA).unwrap(), 1);
    let unknown = vcpu.set_one_reg(KVM_REG_S390 | KVM_REG_SIZE_U64 | 0x77, 0);
    assert_eq!(errno(unknown), inval);
}

/// The VM attribute groups of table V3 (emulator/KERNEL-INTERFACE.md)
/// outside the CPU model, through [`ucas::Vm::has_device_attr`],
/// [`ucas::Vm::device_attr`] and [`ucas::Vm::set_device_attr`] on a
/// ucontrol VM under each generation, for the modelled host (no CMMA, no
/// AP instructions, facility 11).
#[test]
fn library_vm_attributes_as_table_v3_gives_them() {
    ucas_tests::under_each_generation(
        "library_vm_attributes_as_table_v3_gives_them",
        vm_attr_child,
    );
}

fn vm_attr_child(g: Generation) {
    use ucas::core::Errno;
    use ucas::core::abi::*;
    use ucas::{Kvm, Vm};
    let errno = |r: ucas::Result<()>| r.map_err(|e| e.errno());
    let kvm = Kvm::open().expect("kvm");
    let vm = Vm::create_ucontrol(&kvm).expect("ucontrol vm");
    let has = |group, attr| vm.has_device_attr(group, attr).expect("has attr");
    let get = |group, attr| vm.device_attr(group, attr).map_err(|e| e.errno());
    let set = |group, attr, value| errno(vm.set_device_attr(group, attr, value));
    let nxio = Err(Some(Errno::NXIO));
    let unreadable: Result<u64, _> = Err(Some(Errno::NXIO));
    let inval = Err(Some(Errno::INVAL));

    // MEM_CTRL: no CMMA on the host; the limit of a ucontrol VM is
    // readable but not settable.
    assert!(!has(KVM_S390_VM_MEM_CTRL, KVM_S390_VM_MEM_ENABLE_CMMA));
    assert!(!has(KVM_S390_VM_MEM_CTRL, KVM_S390_VM_MEM_CLR_CMMA));
    assert!(has(KVM_S390_VM_MEM_CTRL, KVM_S390_VM_MEM_LIMIT_SIZE));
    assert_eq!(
        set(KVM_S390_VM_MEM_CTRL, KVM_S390_VM_MEM_ENABLE_CMMA, 0),
        nxio
    );
    assert_eq!(set(KVM_S390_VM_MEM_CTRL, KVM_S390_VM_MEM_CLR_CMMA, 0), nxio);
    assert_eq!(
        get(KVM_S390_VM_MEM_CTRL, KVM_S390_VM_MEM_ENABLE_CMMA),
        unreadable
    );
    assert_eq!(
        set(KVM_S390_VM_MEM_CTRL, KVM_S390_VM_MEM_LIMIT_SIZE, 1 << 30),
        inval
    );
    // Without CMMA on the VM its states can be neither read nor set, and
    // s390 has no dirty rings to reset.
    let mut values = [0u8; 16];
    let peek = vm.cmma_bits(0, &mut values, true).map_err(|e| e.errno());
    assert_eq!(peek, Err(Some(Errno::NXIO)), "{g:?}");
    let set_bits = vm.set_cmma_bits(0, &values, u64::MAX);
    assert_eq!(errno(set_bits), nxio, "{g:?}");
    let rings = vm.reset_dirty_rings().map_err(|e| e.errno());
    assert_eq!(rings, Err(Some(Errno::INVAL)), "{g:?}");
    // KVM_S390_NO_MEM_LIMIT, set for ucontrol VMs in every generation.
    assert_eq!(
        get(KVM_S390_VM_MEM_CTRL, KVM_S390_VM_MEM_LIMIT_SIZE),
        Ok(u64::MAX),
        "{g:?}"
    );

    // TOD: LOW and HIGH exist (HAS omits EXT); HIGH is always 0.
    assert!(has(KVM_S390_VM_TOD, KVM_S390_VM_TOD_LOW));
    assert!(has(KVM_S390_VM_TOD, KVM_S390_VM_TOD_HIGH));
    assert!(!has(KVM_S390_VM_TOD, KVM_S390_VM_TOD_EXT));
    // Past 2000-01-01 in TOD units.
    let now = get(KVM_S390_VM_TOD, KVM_S390_VM_TOD_LOW).expect("tod");
    assert!(now > 0xB196_2F93_0518_0000, "{g:?} tod {now:#x}");
    let set_to = 0x1000_0000_0000_0000;
    assert_eq!(set(KVM_S390_VM_TOD, KVM_S390_VM_TOD_LOW, set_to), Ok(()));
    let after = get(KVM_S390_VM_TOD, KVM_S390_VM_TOD_LOW).expect("tod");
    assert!(after >= set_to && after < now, "{g:?} tod {after:#x}");
    assert_eq!(get(KVM_S390_VM_TOD, KVM_S390_VM_TOD_HIGH), Ok(0));
    assert_eq!(set(KVM_S390_VM_TOD, KVM_S390_VM_TOD_HIGH, 1), inval);

    // CRYPTO: key wrapping yes, AP instructions no; nothing to read.
    assert!(has(KVM_S390_VM_CRYPTO, KVM_S390_VM_CRYPTO_ENABLE_AES_KW));
    assert!(!has(KVM_S390_VM_CRYPTO, KVM_S390_VM_CRYPTO_ENABLE_APIE));
    let disable_aes = set(KVM_S390_VM_CRYPTO, KVM_S390_VM_CRYPTO_DISABLE_AES_KW, 0);
    assert_eq!(disable_aes, Ok(()));
    let apie = set(KVM_S390_VM_CRYPTO, KVM_S390_VM_CRYPTO_ENABLE_APIE, 0);
    assert_eq!(apie, Err(Some(Errno::OPNOTSUPP)));
    assert_eq!(
        get(KVM_S390_VM_CRYPTO, KVM_S390_VM_CRYPTO_ENABLE_AES_KW),
        unreadable
    );

    // MIGRATION: A's ucontrol VM has no memory slot to migrate; from B on
    // its internal slot lets the mode go on.
    assert!(has(KVM_S390_VM_MIGRATION, KVM_S390_VM_MIGRATION_STATUS));
    let start = set(KVM_S390_VM_MIGRATION, KVM_S390_VM_MIGRATION_START, 0);
    let status = get(KVM_S390_VM_MIGRATION, KVM_S390_VM_MIGRATION_STATUS);
    if g == Generation::A {
        assert_eq!((start, status), (inval, Ok(0)));
    } else {
        assert_eq!((start, status), (Ok(()), Ok(1)));
    }
    assert_eq!(
        set(KVM_S390_VM_MIGRATION, KVM_S390_VM_MIGRATION_STOP, 0),
        Ok(())
    );
    assert_eq!(
        get(KVM_S390_VM_MIGRATION, KVM_S390_VM_MIGRATION_STATUS),
        Ok(0)
    );
    assert_eq!(
        get(KVM_S390_VM_MIGRATION, KVM_S390_VM_MIGRATION_START),
        unreadable
    );

    // CPU_TOPOLOGY: the MTCR bit is the attribute of the SET.
    assert!(has(KVM_S390_VM_CPU_TOPOLOGY, 0));
    assert_eq!(set(KVM_S390_VM_CPU_TOPOLOGY, 1, 0), Ok(()));
    assert_eq!(get(KVM_S390_VM_CPU_TOPOLOGY, 0), Ok(1));
    assert_eq!(set(KVM_S390_VM_CPU_TOPOLOGY, 0, 0), Ok(()));
    assert_eq!(get(KVM_S390_VM_CPU_TOPOLOGY, 0), Ok(0));

    // CPU_MODEL: attributes 0 to 7 exist (the UV ones too), no others.
    for attr in 0..=7 {
        assert!(has(KVM_S390_VM_CPU_MODEL, attr), "{g:?} cpu model {attr}");
    }
    assert!(!has(KVM_S390_VM_CPU_MODEL, 8));
    // Any other group.
    assert!(!has(9, 0));
}

/// `KVM_S390_MEM_OP` on a vcpu through [`ucas::Vcpu::read_logical`] and
/// [`ucas::Vcpu::write_logical`] under each generation: DAT off and 64-bit
/// addressing (a first run loads the PSW), prefix 0, so a logical address
/// is absolute; absolute addresses go through the memory slots, which a
/// ucontrol VM lacks on A (addressing, 5) and on B and C are the caller's
/// own addresses (table P1).
#[test]
fn library_vcpu_memory_operations() {
    ucas_tests::under_each_generation("library_vcpu_memory_operations", mem_op_child);
}

fn mem_op_child(g: Generation) {
    use ucas::core::Errno;
    use ucas::core::abi;
    use ucas::core::abi::UcasMapping;
    use ucas::{Exit, GuestMemory, Kvm, Vcpu, Vm};
    let kvm = Kvm::open().expect("kvm");
    let vm = Vm::create_ucontrol(&kvm).expect("ucontrol vm");
    let mut vcpu = Vcpu::<16>::create(&vm, 0).expect("vcpu");
    // The prefix segment is mapped (a run needs it); the PSW points at an
    // unmapped one.
    let memory = GuestMemory::new(1 << 20).expect("guest memory");
    vcpu.map(UcasMapping {
        user_addr: memory.addr(),
        vcpu_addr: 0,
        length: 1 << 20,
    })
    .expect("map");
    vcpu.fault(0).expect("fault");
    assert!(vcpu.clear_stopped());
    vcpu.set_psw(ucas_emulator::programs::PSW_MASK_64, 2 << 20);
    let exit = vcpu.run().expect("run");
    let want = Exit::Ucontrol {
        trans_exc_code: 2 << 20,
        pgm_code: abi::PGM_SEGMENT_TRANSLATION,
    };
    assert_eq!(exit, want, "{g:?}");
    // The caller's address of a page of that memory, not a vcpu address.
    let offset = 0x1_0000;
    let at = memory.addr() + offset;
    let wrote = vcpu.write_logical(at, b"guestmem").map_err(|e| e.errno());
    let mut back = [0u8; 8];
    let read = vcpu.read_logical(at, &mut back).map_err(|e| e.errno());
    let mut seen = [0u8; 8];
    memory.read(offset, &mut seen).expect("read memory");
    if g == Generation::A {
        assert_eq!((wrote, read), (Ok(Some(5)), Ok(Some(5))));
        assert_eq!(seen, [0; 8]);
    } else {
        assert_eq!((wrote, read), (Ok(None), Ok(None)));
        assert_eq!(&seen, b"guestmem");
        assert_eq!(&back, b"guestmem");
    }
    // The argument checks come first on every generation.
    let empty = vcpu.read_logical(at, &mut []).map_err(|e| e.errno());
    assert_eq!(empty, Err(Some(Errno::INVAL)));
    let mut big = vec![0u8; 65537];
    let too_big = vcpu.read_logical(at, &mut big).map_err(|e| e.errno());
    assert_eq!(too_big, Err(Some(Errno::TOOBIG)));
}

/// The FLIC through [`ucas::Flic`] on a ucontrol VM under each generation:
/// one per VM, every attribute group known, and the answers of table V4
/// (emulator/KERNEL-INTERFACE.md) for its arguments; and the VM's
/// interrupt routing ([`ucas::Vm::set_gsi_routing`], table V1).
#[test]
fn library_flic_as_table_v4_gives_it() {
    ucas_tests::under_each_generation("library_flic_as_table_v4_gives_it", flic_child);
}

fn flic_child(g: Generation) {
    use ucas::core::Errno;
    use ucas::core::abi::{
        IoAdapter, IoAdapterReq, IrqRoutingEntry, KVM_IRQ_ROUTING_S390_ADAPTER, S390Irq,
    };
    use ucas::{Flic, Kvm, Vm};
    let errno = |r: ucas::Result<()>| r.map_err(|e| e.errno());
    let inval = Err(Some(Errno::INVAL));
    let kvm = Kvm::open().expect("kvm");
    let vm = Vm::create_ucontrol(&kvm).expect("ucontrol vm");
    let flic = Flic::create(&vm).expect("flic");
    assert_eq!(
        errno(Flic::create(&vm).map(drop)),
        inval,
        "{g:?} second FLIC"
    );
    for group in 1..=11 {
        assert!(flic.has_attr(group).unwrap(), "{g:?} group {group}");
    }
    assert!(!flic.has_attr(12).unwrap());
    let mut buf = [S390Irq::default(); 56];
    assert_eq!(flic.irqs(&mut buf).map_err(|e| e.errno()), Ok(0));
    let empty = flic.irqs(&mut []).map_err(|e| e.errno());
    assert_eq!(empty, Err(Some(Errno::INVAL)));
    assert_eq!(errno(flic.enqueue(&[])), Ok(()));
    assert_eq!(errno(flic.clear_irqs()), Ok(()));
    if g != Generation::A {
        // The ucontrol check of v6.13 (df989238fa46); 6.8 dereferences
        // the ucontrol VM's missing gmap instead, which the model does
        // not do (it answers EINVAL there too).
        assert_eq!(errno(flic.enable_async_pf()), inval);
        assert_eq!(errno(flic.disable_async_pf_wait()), inval);
    }
    assert_eq!(errno(flic.inject_adapter_irq(0)), inval, "{g:?} no adapter");
    let adapter = IoAdapter::default();
    assert_eq!(errno(flic.register_adapter(&adapter)), Ok(()));
    assert_eq!(errno(flic.register_adapter(&adapter)), inval);
    assert_eq!(errno(flic.modify_adapter(&IoAdapterReq::default())), inval);
    assert_eq!(errno(flic.clear_io_irq(0)), inval);
    assert_eq!(errno(flic.inject_adapter_irq(0)), Ok(()));

    // KVM_SET_GSI_ROUTING on a ucontrol VM: an empty table is accepted,
    // an adapter route refused, and so are more entries than the routes
    // the kernel keeps.
    assert_eq!(errno(vm.set_gsi_routing(&[])), Ok(()));
    let adapter_route = IrqRoutingEntry {
        type_: KVM_IRQ_ROUTING_S390_ADAPTER,
        ..IrqRoutingEntry::default()
    };
    assert_eq!(errno(vm.set_gsi_routing(&[adapter_route])), inval);
    let too_many = vec![IrqRoutingEntry::default(); 4097];
    assert_eq!(errno(vm.set_gsi_routing(&too_many)), inval);
}

/// `KVM_S390_ENABLE_SIE` and the statistics fds of a VM and a vcpu through
/// the library under each generation (tables S1, V1, P1): the kernel's
/// header (flags 0, names of 48 bytes, the id right after the 24-byte
/// header, descriptors after the id) and ids (`kvm-PID`, `kvm-PID/vcpu-ID`,
/// as `kvm_vcpu_init` names a vcpu).
#[test]
fn library_enable_sie_and_statistics_fds() {
    ucas_tests::under_each_generation("library_enable_sie_and_statistics_fds", stats_child);
}

fn stats_child(g: Generation) {
    use std::os::unix::fs::FileExt;
    use ucas::{Kvm, Vcpu, Vm};
    let kvm = Kvm::open().expect("kvm");
    assert_eq!(kvm.enable_sie().map_err(|e| e.errno()), Ok(()), "{g:?}");
    let vm = Vm::create_ucontrol(&kvm).expect("ucontrol vm");
    let vcpu = Vcpu::<16>::create(&vm, 7).expect("vcpu");
    let read = |fd: std::os::fd::OwnedFd| {
        let file = std::fs::File::from(fd);
        let mut header = [0u8; 24];
        file.read_exact_at(&mut header, 0).expect("the header");
        let word = |i: usize| u32::from_ne_bytes(header[i * 4..i * 4 + 4].try_into().unwrap());
        let mut id = [0u8; 48];
        file.read_exact_at(&mut id, u64::from(word(3)))
            .expect("the id");
        let end = id.iter().position(|&b| b == 0).unwrap_or(id.len());
        let id = String::from_utf8_lossy(&id[..end]).into_owned();
        ([word(0), word(1), word(3), word(4)], id)
    };
    let (vm_header, vm_id) = read(vm.get_stats_fd().expect("vm stats"));
    let (vcpu_header, vcpu_id) = read(vcpu.get_stats_fd().expect("vcpu stats"));
    assert_eq!(vm_header, [0, 48, 24, 72], "{g:?}");
    assert_eq!(vcpu_header, [0, 48, 24, 72], "{g:?}");
    assert!(vm_id.starts_with("kvm-"), "{g:?} {vm_id}");
    // The same task (the caller's thread) created both.
    assert_eq!(vcpu_id, format!("{vm_id}/vcpu-7"), "{g:?}");
}

/// Eventfds through the library under each generation: irqfds
/// ([`ucas::Vm::register_irqfd`]) and ioeventfds
/// ([`ucas::Vm::register_ioevent`]) on two ucontrol VMs, with the kernel's
/// refusals (table V1 of `KERNEL-INTERFACE.md`).
#[test]
fn library_irqfds_and_ioeventfds() {
    ucas_tests::under_each_generation("library_irqfds_and_ioeventfds", eventfds_child);
}

fn eventfds_child(g: Generation) {
    use rustix::event::{EventfdFlags, eventfd};
    use std::os::fd::AsFd;
    use ucas::{IoEventAddress, Kvm, Vm};
    let errno = |r: ucas::Result<()>| r.map_err(|e| e.errno().map(|e| e.to_string()));
    let kvm = Kvm::open().expect("kvm");
    let (vm, vm2) = (
        Vm::create_ucontrol(&kvm).expect("vm"),
        Vm::create_ucontrol(&kvm).expect("vm"),
    );
    let e1 = eventfd(0, EventfdFlags::CLOEXEC).unwrap();
    let e2 = eventfd(0, EventfdFlags::CLOEXEC).unwrap();
    let file = std::fs::File::open("/dev/null").unwrap();
    let (e1, e2) = (e1.as_fd(), e2.as_fd());
    assert_eq!(errno(vm.register_irqfd(e1, 3)), Ok(()));
    assert_eq!(errno(vm.register_irqfd(e1, 4)), Err(Some("EBUSY".into())));
    let other = if g == Generation::C {
        Err(Some("EBUSY".into()))
    } else {
        Ok(())
    };
    assert_eq!(errno(vm2.register_irqfd(e1, 3)), other, "{g:?}");
    assert_eq!(
        errno(vm.register_irqfd(file.as_fd(), 3)),
        Err(Some("EINVAL".into()))
    );
    let resample = vm.register_irqfd_with_resample(e2, file.as_fd(), 3);
    assert_eq!(errno(resample), Err(Some("EINVAL".into())));
    assert_eq!(errno(vm.register_irqfd_with_resample(e2, e1, 3)), Ok(()));
    assert_eq!(errno(vm.unregister_irqfd(e1, 9)), Ok(()));
    assert_eq!(errno(vm.register_irqfd(e1, 4)), Err(Some("EBUSY".into())));
    assert_eq!(errno(vm.unregister_irqfd(e1, 3)), Ok(()));
    assert_eq!(errno(vm.register_irqfd(e1, 4)), Ok(()));

    let notify = IoEventAddress::CcwNotify(0x1_0000);
    assert_eq!(errno(vm.register_ioevent(e1, notify, 8, Some(0))), Ok(()));
    assert_eq!(errno(vm.register_ioevent(e2, notify, 8, Some(1))), Ok(()));
    let wildcard = vm.register_ioevent(e2, notify, 8, None);
    assert_eq!(errno(wildcard), Err(Some("EEXIST".into())));
    let len0 = vm.register_ioevent(e2, notify, 0, Some(1));
    assert_eq!(errno(len0), Err(Some("EINVAL".into())));
    let len3 = vm.register_ioevent(e2, IoEventAddress::Mmio(0), 3, None);
    assert_eq!(errno(len3), Err(Some("EINVAL".into())));
    // The same address on another bus, or in another VM, is another one.
    assert_eq!(
        errno(vm.register_ioevent(e2, IoEventAddress::Pio(0x1_0000), 8, None)),
        Ok(())
    );
    assert_eq!(errno(vm2.register_ioevent(e2, notify, 8, None)), Ok(()));
    let wrong = vm.unregister_ioevent(e2, notify, 8, Some(0));
    assert_eq!(errno(wrong), Err(Some("ENOENT".into())));
    assert_eq!(errno(vm.unregister_ioevent(e1, notify, 8, Some(0))), Ok(()));
    assert_eq!(errno(vm.register_ioevent(e2, notify, 8, Some(0))), Ok(()));
}

/// What 7.1 and 7.2 added, through the library under `--kernel 7.2`:
/// capability 248 answered and enabled, capability 236 answered, and
/// [`ucas::Vcpu::pre_fault_memory`] refused on a ucontrol vcpu (EINVAL:
/// its address space is the controller's).
#[test]
fn library_release_7_2_additions() {
    ucas_tests::under_release("library_release_7_2_additions", 7, 2, || {
        use ucas::core::abi::{KVM_CAP_PRE_FAULT_MEMORY, KVM_CAP_S390_VSIE_ESAMODE};
        use ucas::{Kvm, Vcpu, Vm};
        let kvm = Kvm::open().expect("kvm");
        let vm = Vm::create_ucontrol(&kvm).expect("vm");
        assert_eq!(kvm.check_extension(KVM_CAP_S390_VSIE_ESAMODE).unwrap(), 1);
        assert_eq!(vm.check_extension(KVM_CAP_PRE_FAULT_MEMORY).unwrap(), 1);
        vm.enable_cap(KVM_CAP_S390_VSIE_ESAMODE, [0; 4])
            .expect("ESA mode");
        let vcpu = Vcpu::<16>::create(&vm, 0).expect("vcpu");
        let refused = vcpu.pre_fault_memory(0, 4096).unwrap_err();
        assert_eq!(
            refused.errno().map(|e| e.to_string()),
            Some("EINVAL".into())
        );
        // 2 GiB pages: known, off, and refused once a vcpu exists.
        let hpage = ucas::core::abi::KVM_CAP_S390_HPAGE_2G;
        assert_eq!(kvm.check_extension(hpage).unwrap(), 0);
        let busy = vm.enable_cap(hpage, [0; 4]).unwrap_err();
        assert_eq!(busy.errno().map(|e| e.to_string()), Some("EBUSY".into()));
        // A frame past every slot of a regular VM: EFAULT, from the kernel.
        let regular = Vm::create_with_type(&kvm, 0).expect("regular vm");
        let memory = vec![0u8; 2 << 20];
        let user = (memory.as_ptr() as u64 + (1 << 20) - 1) & !((1 << 20) - 1);
        let slot = ucas::core::abi::UserspaceMemoryRegion {
            slot: 0,
            flags: 0,
            guest_phys_addr: 0,
            memory_size: 1 << 20,
            userspace_addr: user,
        };
        regular.set_user_memory_region(slot).expect("a slot");
        let past = regular.set_skeys(255, &[0x30, 0x30]).unwrap_err();
        assert_eq!(
            past.kind(),
            &ucas::ErrorKind::Errno(ucas::core::Errno::FAULT)
        );
        let iske = regular.keyop(1 << 20, ucas::KeyOp::Insert).unwrap_err();
        assert_eq!(
            iske.kind(),
            &ucas::ErrorKind::Errno(ucas::core::Errno::FAULT)
        );
        drop(memory);
    });
}

/// The same under 7.0 (the generation's default release): neither
/// capability, and the ioctl unknown (ENOTTY).
#[test]
fn library_release_7_0_lacks_them() {
    ucas_tests::under_release("library_release_7_0_lacks_them", 7, 0, || {
        use ucas::core::abi::{KVM_CAP_PRE_FAULT_MEMORY, KVM_CAP_S390_VSIE_ESAMODE};
        use ucas::{Kvm, Vcpu, Vm};
        let kvm = Kvm::open().expect("kvm");
        let vm = Vm::create_ucontrol(&kvm).expect("vm");
        assert_eq!(kvm.check_extension(KVM_CAP_S390_VSIE_ESAMODE).unwrap(), 0);
        assert_eq!(vm.check_extension(KVM_CAP_PRE_FAULT_MEMORY).unwrap(), 0);
        let enable = vm
            .enable_cap(KVM_CAP_S390_VSIE_ESAMODE, [0; 4])
            .unwrap_err();
        assert_eq!(enable.errno().map(|e| e.to_string()), Some("EINVAL".into()));
        let vcpu = Vcpu::<16>::create(&vm, 0).expect("vcpu");
        let unknown = vcpu.pre_fault_memory(0, 4096).unwrap_err();
        assert_eq!(
            unknown.errno().map(|e| e.to_string()),
            Some("ENOTTY".into())
        );
    });
}
