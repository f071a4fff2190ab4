//! The C client `tests/c/ucas_client.c` under the emulator, for one kernel of
//! each generation: every spec §3–§4 check that needs no KVM_RUN must pass,
//! and `--state-out` must describe exactly the mappings the client left.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use ucas_core::abi::UcasMapping;
use ucas_emulator::state::{State, VcpuState, VmState};
use ucas_emulator::{Emulator, Generation};

fn compiled(name: &str) -> PathBuf {
    ucas_tests::c_program(name)
}

/// C program `name` run under the emulator of generation `g`, which must
/// succeed; its stdout.
fn c_output(name: &str, g: Generation) -> String {
    let out = ucas_tests::scratch().join(format!("{name}-{g:?}.txt"));
    let mut cmd = Command::new(ucas_tests::c_program(name));
    cmd.stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap());
    let status = Emulator::new(g).run(cmd).expect("the emulator runs");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(status.success(), "{name} {g:?}: {status}\n{text}");
    text
}

/// Every `key=value` of `want` is a line of `text`.
fn assert_lines(text: &str, want: &[(&str, &str)], g: Generation) {
    for (key, value) in want {
        assert!(
            text.lines().any(|l| l == format!("{key}={value}")),
            "{g:?}: want {key}={value} in\n{text}"
        );
    }
}

fn run_client(kernel: &str, letter: &str) {
    let generation = Generation::from_kernel_version(kernel).unwrap();
    let dir = ucas_tests::scratch();
    let state = dir.join(format!("client-state-{kernel}.json"));
    let stdout = dir.join(format!("client-stdout-{kernel}.txt"));
    let mut cmd = Command::new(compiled("ucas_client"));
    cmd.arg(letter)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap());
    let status = Emulator::new(generation)
        .state_out(&state)
        .run(cmd)
        .expect("the emulator runs");
    let out = std::fs::read_to_string(&stdout).unwrap();
    assert!(
        status.success(),
        "kernel {kernel}: client failed: {status}\n{out}"
    );
    let plan = ucas_tests::tap_passed(&out);
    assert!(plan >= 50, "only {plan} checks ran");

    let base: u64 = out
        .lines()
        .find_map(|l| l.strip_prefix("state base="))
        .expect("the client reports its base")
        .parse()
        .unwrap();
    let json = std::fs::read_to_string(&state).unwrap();
    let mib = 1u64 << 20;
    let extent = |vcpu_addr, user_addr, length| UcasMapping {
        user_addr,
        vcpu_addr,
        length,
    };
    let want = State {
        generation,
        vms: vec![
            VmState {
                ucontrol: true,
                vcpus: vec![
                    VcpuState {
                        id: 0,
                        extents: vec![extent(0, base, 4 * mib)],
                    },
                    VcpuState {
                        id: 254,
                        extents: vec![extent(0x7ff0_0000, base + 5 * mib, mib)],
                    },
                ],
            },
            VmState {
                ucontrol: false,
                vcpus: vec![VcpuState {
                    id: 0,
                    extents: vec![],
                }],
            },
        ],
    };
    assert_eq!(
        State::parse(&json).unwrap_or_else(|e| panic!("{e}: {json}")),
        want,
        "kernel {kernel}"
    );
    assert_eq!(want.generation.letter().to_string(), letter);
}

#[test]
fn client_passes_under_kernel_6_8_generation_a() {
    run_client("6.8", "A");
}

#[test]
fn client_passes_under_kernel_6_14_generation_b() {
    run_client("6.14", "B");
}

#[test]
fn client_passes_under_kernel_7_0_generation_c() {
    run_client("7.0", "C");
}

/// `KVM_CHECK_EXTENSION` from C (numbers from `<linux/kvm.h>`) under each
/// generation, against the kernel's answers (emulator/KERNEL-INTERFACE.md,
/// table S2) on /dev/kvm, a ucontrol VM fd and a regular VM fd.
#[test]
fn capabilities_as_an_s390_host_answers_them() {
    for g in Generation::ALL {
        let text = c_output("caps", g);
        let got = |name: &str| -> String {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
                .unwrap_or_else(|| panic!("{name} in {text}"))
                .to_owned()
        };
        let c_only = if g == Generation::C { "1/1/1" } else { "0/0/0" };
        let memslots = if g == Generation::A { "32767" } else { "32766" };
        for (name, want) in [
            ("KVM_CAP_USER_MEMORY", "1/1/1".to_owned()),
            (
                "KVM_CAP_NR_MEMSLOTS",
                format!("{memslots}/{memslots}/{memslots}"),
            ),
            ("KVM_CAP_S390_UCONTROL", "1/1/1".to_owned()),
            ("KVM_CAP_SYNC_REGS", "1/1/1".to_owned()),
            ("KVM_CAP_MAX_VCPUS", "248/248/248".to_owned()),
            ("KVM_CAP_MAX_VCPU_ID", "248/248/248".to_owned()),
            ("KVM_CAP_IMMEDIATE_EXIT", "1/1/1".to_owned()),
            // The modelled host keeps the kvm module's default hpage=0.
            ("KVM_CAP_S390_HPAGE_1M", "0/0/0".to_owned()),
            ("KVM_CAP_S390_MEM_OP", "65536/65536/65536".to_owned()),
            (
                "KVM_CAP_SET_GUEST_DEBUG2",
                "268500995/268500995/268500995".to_owned(),
            ),
            ("KVM_CAP_S390_PROTECTED", "0/0/0".to_owned()),
            ("KVM_CAP_BINARY_STATS_FD", "1/1/1".to_owned()),
            ("KVM_CAP_COALESCED_MMIO", "0/0/0".to_owned()),
            ("KVM_CAP_DIRTY_LOG_RING", "0/0/0".to_owned()),
            ("USER_MEMORY2", "1/1/1".to_owned()),
            ("S390_USER_OPEREXEC", c_only.to_owned()),
            ("S390_KEYOP", c_only.to_owned()),
            ("unknown_250", "0/0/0".to_owned()),
            ("vcpu_check", "-1/ENOTTY".to_owned()),
        ] {
            assert_eq!(got(name), want, "{g:?} {name}");
        }
    }
}

/// Set in the child copy of this test binary that runs `unmodelled.c`
/// under the emulator without a trace.
const UNMODELLED_CHILD: &str = "UCAS_TEST_UNMODELLED_CHILD";

/// A request the kernel knows but the model does not answer gets the
/// fd's answer to an unknown ioctl (ENOTTY on VM and vcpu fds), and
/// `ucas emulate` says so once per ioctl on stderr, trace or not.
#[test]
fn unmodelled_ioctls_are_refused_as_unknown_and_said_once() {
    let program = ucas_tests::c_program("unmodelled");
    if std::env::var_os(UNMODELLED_CHILD).is_some() {
        // The child: no trace, so the note goes to stderr.
        let status = Emulator::new(Generation::C)
            .run(Command::new(&program))
            .expect("the emulator runs");
        assert!(status.success());
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "unmodelled_ioctls_are_refused_as_unknown_and_said_once",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(UNMODELLED_CHILD, "1")
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    for (key, want) in [
        ("regular_regs", "-1/ENOTTY"),
        ("regular_regs_again", "-1/ENOTTY"),
        // Modelled now: a zero length.
        ("irq", "-1/EINVAL"),
        // Modelled now: keys not in use yet.
        ("get_skeys", "1"),
        ("enable_sie", "0"),
        ("regs_on_vm", "-1/ENOTTY"),
    ] {
        assert!(
            stdout.contains(&format!("{key}={want}\n")),
            "{key}: {stdout}"
        );
    }
    let notes: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("is not modelled"))
        .collect();
    assert_eq!(
        notes,
        [
            "ucas emulate: KVM_GET_REGS is not modelled; answered ENOTTY as a kernel without it would",
        ],
        "{stderr}"
    );
}

/// `KVM_GET_STATS_FD` on a VM and a vcpu: a statistics fd with the kernel's
/// header format and id (`kvm-PID`, `kvm-PID/vcpu-ID`), no statistics listed,
/// read-only; `/dev/kvm` refuses it (EINVAL) and the capability says 1.
#[test]
fn statistics_fds_have_the_kernels_header() {
    let text = c_output("stats", Generation::C);
    let got = |key: &str| -> &str {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .unwrap_or_else(|| panic!("{key} in {text}"))
    };
    assert_eq!(got("cap"), "1");
    assert_eq!(got("system"), "-1/EINVAL");
    for who in ["vm", "vcpu"] {
        assert_eq!(got(&format!("{who}_read")), "24", "{text}");
        // flags, name_size 48, no descriptors, id right after the header,
        // descriptors and data after the id.
        assert_eq!(got(&format!("{who}_header")), "0/48/0/24/72/72", "{text}");
        assert_eq!(got(&format!("{who}_write")), "refused", "{text}");
    }
    assert!(got("vm_id").starts_with("kvm-"), "{text}");
    let vcpu_id = got("vcpu_id");
    assert!(
        vcpu_id.starts_with("kvm-") && vcpu_id.ends_with("/vcpu-7"),
        "{text}"
    );
}

/// Registers, run state, initial PSW and resets of a ucontrol vcpu, and
/// `KVM_ENABLE_CAP` on its VM, from C with s390's structs, on every
/// generation: the kernel's answers (tables P1 and V2 of
/// emulator/KERNEL-INTERFACE.md).
#[test]
fn vcpu_state_and_vm_capabilities_as_the_kernel_answers() {
    let want = [
        ("hpage_before_vcpu", "-1/EINVAL"),
        ("irqchip", "0"),
        ("flags", "-1/EINVAL"),
        ("unknown_cap", "-1/EINVAL"),
        ("halt_poll", "0"),
        ("halt_poll_big", "-1/EINVAL"),
        ("vector_before_vcpu", "0"),
        ("hpage_after_vcpu", "-1/EBUSY"),
        ("vector_after_vcpu", "-1/EBUSY"),
        ("set_regs", "0"),
        ("run_r5", "0x6666"),
        ("get_regs", "0"),
        ("get_r15", "0x11110"),
        ("get_regs_null", "-1/EFAULT"),
        // The state is the return value; the struct stays as it was.
        ("mp_state_new", "5"),
        ("mp_struct_untouched", "1"),
        ("initial_psw_stopped", "0"),
        ("run_psw_addr", "0x4000"),
        ("set_operating", "0"),
        ("mp_state_operating", "7"),
        ("initial_psw_running", "-1/EBUSY"),
        ("set_load", "-1/ENXIO"),
        ("set_check_stop", "-1/ENXIO"),
        ("initial_reset", "0"),
        ("mp_state_after_reset", "7"),
        ("psw_addr_after_reset", "0"),
        ("get_sregs", "0"),
        ("cr0", "0xe0 cr14=0xc2000000 cr1=0"),
        ("r15_after_initial", "0x11110"),
        ("clear_reset", "0"),
        ("r15_after_clear", "0"),
        ("vector_fresh_vm", "0"),
        ("fresh_running", "7"),
        ("fresh_reset", "0"),
        ("fresh_after_reset", "5"),
    ];
    for g in Generation::ALL {
        assert_lines(&c_output("vcpu_state", g), &want, g);
    }
}

/// The CPU-model attributes of a ucontrol VM from C (the selftest
/// fixture's first step is `KVM_GET_DEVICE_ATTR(CPU_MODEL, PROCESSOR)`), on
/// every generation, against table V3 of emulator/KERNEL-INTERFACE.md.
#[test]
fn cpu_model_attributes_as_the_kernel_answers() {
    let want = [
        ("has_processor", "0"),
        ("get_processor", "0"),
        // KVM marks the guest's CPU id with version 0xff.
        ("cpuid_version", "0xff"),
        ("cpuid_machine", "0x3931"),
        ("facility_129", "1"),
        ("get_machine", "0"),
        ("machine_version", "0"),
        ("machine_mask_is_list", "1"),
        ("set_machine", "-1/ENXIO"),
        ("set_subfunc_machine", "-1/ENXIO"),
        ("unknown_attr", "-1/ENXIO"),
        ("has_unknown_attr", "-1/ENXIO"),
        ("get_processor_null", "-1/EFAULT"),
        ("set_feat_unoffered", "-1/EINVAL"),
        ("set_feat_none", "0"),
        ("set_processor", "0"),
        ("cpuid_after_set", "0xff00000012340000"),
        ("set_processor_null", "-1/EFAULT"),
        ("vcpu", "0"),
        // Once a vcpu exists the busy check comes before the copy.
        ("set_processor_after_vcpu", "-1/EBUSY"),
        ("set_processor_null_after_vcpu", "-1/EBUSY"),
        ("get_processor_after_vcpu", "0"),
    ];
    for g in Generation::ALL {
        assert_lines(&c_output("cpu_model", g), &want, g);
    }
}

/// The SIE block of a new ucontrol vcpu as the kernel's setup leaves it on
/// the modelled host (no KSS): stopped, z/Architecture, storage-key
/// instructions and operation exceptions intercepted, no specification
/// exception interpretation (the selftest's uc_sie_assertions), the vcpu
/// id as CPU address. Every generation.
#[test]
fn a_new_vcpus_sie_block_is_set_up_as_the_kernel_does() {
    let want = [
        ("stopped", "1"),
        ("zarch", "1"),
        ("kss", "0"),
        ("ictl_keys", "1"),
        ("ictl_operexc", "1"),
        ("ecb_speci", "0"),
        ("icpua", "3"),
    ];
    for g in Generation::ALL {
        assert_lines(&c_output("sie_setup", g), &want, g);
    }
}

/// The FLIC of a ucontrol VM and `KVM_SET_GSI_ROUTING`, with the kernel
/// selftest's arguments (uc_flic_attrs, uc_set_gsi_routing), on every
/// generation: table V4 of emulator/KERNEL-INTERFACE.md.
#[test]
fn the_flic_and_gsi_routing_as_the_kernel_answers() {
    let want = [
        ("create_test", "0"),
        ("create", "0"),
        ("fd_written", "1"),
        ("create_second", "-1/EINVAL"),
        ("get_all_irqs_has", "0"),
        ("get_all_irqs_get", "0"),
        ("get_all_irqs_set", "-1/EINVAL"),
        ("enqueue_has", "0"),
        ("enqueue_get", "-1/EINVAL"),
        ("enqueue_set", "0"),
        ("clear_irqs_has", "0"),
        ("clear_irqs_get", "-1/EINVAL"),
        ("clear_irqs_set", "0"),
        ("apf_enable_has", "0"),
        ("apf_enable_get", "-1/EINVAL"),
        ("apf_enable_set", "-1/EINVAL"),
        ("apf_disable_wait_has", "0"),
        ("apf_disable_wait_get", "-1/EINVAL"),
        ("apf_disable_wait_set", "-1/EINVAL"),
        ("adapter_register_has", "0"),
        ("adapter_register_get", "-1/EINVAL"),
        ("adapter_register_set", "0"),
        ("adapter_modify_has", "0"),
        ("adapter_modify_get", "-1/EINVAL"),
        ("adapter_modify_set", "-1/EINVAL"),
        ("clear_io_irq_has", "0"),
        ("clear_io_irq_get", "-1/EINVAL"),
        ("clear_io_irq_set", "-1/EINVAL"),
        ("aism_has", "0"),
        ("aism_get", "-1/EINVAL"),
        ("aism_set", "-1/EOPNOTSUPP"),
        ("airq_inject_has", "0"),
        ("airq_inject_get", "-1/EINVAL"),
        ("airq_inject_set", "0"),
        ("aism_all_has", "0"),
        ("aism_all_get", "-1/EOPNOTSUPP"),
        ("aism_all_set", "-1/EOPNOTSUPP"),
        ("unknown_has", "-1/ENXIO"),
        ("unknown_get", "-1/EINVAL"),
        ("flic_other_ioctl", "-1/ENOTTY"),
        ("gsi_routing_adapter", "-1/EINVAL"),
        ("gsi_routing_empty", "0"),
        ("gsi_routing_too_many", "-1/EINVAL"),
    ];
    for g in Generation::ALL {
        assert_lines(&c_output("flic", g), &want, g);
    }
}

/// What the kernel refuses on a host without PV or zPCI interpretation,
/// and the side effect a refused `KVM_S390_PV_COMMAND` keeps (the VM's run
/// state becomes userspace's: a reset leaves the vcpu operating), on every
/// generation (tables V1 and P1).
#[test]
fn refusals_and_the_pv_side_effect() {
    let want = [
        ("clear_dirty_log", "-1/ENOTTY"),
        ("zpci_op", "-1/EINVAL"),
        ("pv_cpu_command", "-1/EINVAL"),
        ("pv_command", "-1/EINVAL"),
        ("state_after_reset", "7"),
    ];
    for g in Generation::ALL {
        assert_lines(&c_output("refusals", g), &want, g);
    }
}

/// Storage keys of a ucontrol VM from C (`tests/c/skeys.c`): the selftest's
/// uc_skey scenario, the reference and change bits of guest accesses, and
/// `KVM_S390_GET/SET_SKEYS` and `KVM_S390_KEYOP` as each generation answers
/// them (table V1 of emulator/KERNEL-INTERFACE.md, `model/keys.rs`).
#[test]
fn storage_keys_as_the_kernel_and_the_machine_answer() {
    let common = [
        ("get_before_set", "1"),
        ("get_flags", "-1/EINVAL"),
        ("ictl_keys_new", "0x7000"),
        ("run1", "0"),
        // KVM_EXIT_S390_SIEIC on the intercepted SSKE.
        ("run1_exit", "13 ipa=0xb22b r0=1"),
        ("run2", "0"),
        ("run2_ipa", "0x8300 r0=2 r1=0x34"),
        ("run3", "0"),
        // RRBE: R off, CC 2 (R was on, C off).
        ("run3_ipa", "0x8300 r0=3 r1=0x30 cc=2"),
        ("run_rc", "0"),
        ("rc_set", "0x50 rc_fetch=0x54 rc_store=0x56"),
        // Guest key instructions do not switch the VM's key use on.
        ("get_after_guest", "1"),
        ("set_count_0", "-1/EINVAL"),
        ("set_flags", "-1/EINVAL"),
        ("set_unreadable", "-1/EFAULT"),
        ("get_unwritable", "-1/EFAULT"),
        ("get_too_many", "-1/EINVAL"),
    ];
    let a = [
        // No memory slot: key use goes on, every frame fails.
        ("set", "-1/EFAULT"),
        ("get", "-1/EFAULT"),
        ("set_reserved_bit", "-1/EFAULT"),
    ];
    let b = [
        ("set", "0"),
        ("get", "0"),
        ("got", "0x52,0x60"),
        ("set_reserved_bit", "-1/EINVAL"),
        // B sets the keys before the bad one.
        ("first_after_reserved", "0x20"),
    ];
    let c = [
        ("set", "0"),
        ("get", "0"),
        ("got", "0x52,0x60"),
        ("set_reserved_bit", "-1/EINVAL"),
        // C checks them all first.
        ("first_after_reserved", "0x52"),
        ("keyop_iske", "0"),
        // The key SET_SKEYS gave the second frame.
        ("keyop_iske_key", "0x60"),
        ("keyop_sske", "0"),
        ("keyop_sske_key", "0x60"),
        ("keyop_rrbe", "0"),
        ("keyop_rrbe_key", "0x6"),
        ("keyop_bad_op", "-1/EINVAL"),
        ("keyop_null", "-1/EFAULT"),
    ];
    let before_c = [
        ("keyop_iske", "-1/ENOTTY"),
        ("keyop_sske", "-1/ENOTTY"),
        ("keyop_rrbe", "-1/ENOTTY"),
        ("keyop_bad_op", "-1/ENOTTY"),
        ("keyop_null", "-1/ENOTTY"),
    ];
    for g in Generation::ALL {
        let text = c_output("skeys", g);
        assert_lines(&text, &common, g);
        match g {
            Generation::A => {
                assert_lines(&text, &a, g);
                assert_lines(&text, &before_c, g);
            }
            Generation::B => {
                assert_lines(&text, &b, g);
                assert_lines(&text, &before_c, g);
            }
            Generation::C => assert_lines(&text, &c, g),
        }
    }
}

/// `KVM_GET/SET_ONE_REG`, `KVM_GET/SET_FPU` and `KVM_S390_MEM_OP` from C
/// (`tests/c/regs_memop.c`) on every generation: table P1/P2 and the
/// MEM_OP rows of emulator/KERNEL-INTERFACE.md.
#[test]
fn registers_and_memory_operations_as_the_kernel_answers() {
    let names = [
        "todpr",
        "epochdiff",
        "cpu_timer",
        "clock_comp",
        "pftoken",
        "pfcompare",
        "pfselect",
        "pp",
        "gbea",
    ];
    let mut want: Vec<(String, String)> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let initial = if *name == "pftoken" {
            "0xffffffffffffffff"
        } else {
            "0"
        };
        // The TOD programmable register is 32 bits wide.
        let back = if *name == "todpr" {
            format!("{:#x}", 0x5566_7700 + i)
        } else {
            format!("{:#x}", 0x1122_3344_5566_7700_u64 + i as u64)
        };
        want.push((format!("get_{name}"), "0".into()));
        want.push((format!("initial_{name}"), initial.into()));
        want.push((format!("set_{name}"), "0".into()));
        want.push((format!("back_{name}"), back));
    }
    let fixed = [
        ("get_unknown_id", "-1/EINVAL"),
        ("set_unknown_id", "-1/EINVAL"),
        ("get_null_addr", "-1/EFAULT"),
        ("set_null_addr", "-1/EFAULT"),
        ("get_null_struct", "-1/EFAULT"),
        ("initial_reset", "0"),
        ("gbea_after_reset", "0x1"),
        ("pftoken_after_reset", "0xffffffffffffffff"),
        // The reset leaves pfault compare alone.
        ("pfcompare_after_reset", "0x1122334455667705"),
        ("set_fpu", "0"),
        ("get_fpu", "0"),
        ("fpc", "0x3 f15=0x400000000000000f"),
        ("get_fpu_null", "-1/EFAULT"),
        ("set_fpu_null", "-1/EFAULT"),
        ("clear_reset", "0"),
        ("fpc_after_clear", "0 f15_after_clear=0"),
        ("abs_size_0", "-1/EINVAL"),
        ("abs_too_big", "-1/E2BIG"),
        ("abs_bad_flag", "-1/EINVAL"),
        ("abs_bad_key", "-1/EINVAL"),
        ("abs_logical_op", "-1/EINVAL"),
        ("mem_op_null", "-1/EFAULT"),
        ("logical_absolute_op", "-1/EINVAL"),
        ("logical_bad_ar", "-1/EINVAL"),
        // Not a protected vcpu.
        ("sida_read", "-1/EINVAL"),
        ("sida_too_big", "-1/E2BIG"),
    ];
    want.extend(fixed.iter().map(|(k, v)| ((*k).into(), (*v).into())));
    // Generation A: no memory slot, so every guest address is an
    // addressing exception (5, a success value).
    let a = [
        ("abs_read", "5"),
        ("abs_write", "5"),
        ("abs_check_only", "5"),
        ("abs_key_3_to_key_0_page", "5"),
        ("abs_unreadable_buf", "-1/EFAULT"),
        ("cmpxchg", "5"),
        ("logical_read", "5"),
    ];
    // B and C: the internal slot makes absolute addresses the caller's.
    let bc = [
        ("abs_read", "0"),
        ("abs_read_data", "guestmem"),
        ("abs_write", "0"),
        ("abs_written", "written!"),
        ("abs_check_only", "0"),
        // Storage key 0 refuses stores under access key 3: protection.
        ("abs_key_3_to_key_0_page", "4"),
        ("abs_unreadable_buf", "-1/EFAULT"),
        ("cmpxchg", "0"),
        ("cmpxchg_now", "0x99"),
        ("cmpxchg_miss", "0"),
        ("cmpxchg_old", "0x99"),
        ("cmpxchg_unaligned", "-1/EINVAL"),
        ("logical_read", "0"),
        ("logical_read_data", "lowcore!"),
    ];
    for g in Generation::ALL {
        let text = c_output("regs_memop", g);
        let refs: Vec<(&str, &str)> = want.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_lines(&text, &refs, g);
        assert_lines(&text, if g == Generation::A { &a } else { &bc }, g);
    }
}

/// The VM attribute groups TOD, CRYPTO, MIGRATION and CPU_TOPOLOGY,
/// `KVM_S390_STORE_STATUS` and `KVM_SET_GUEST_DEBUG` from C
/// (`tests/c/attrs_status.c`) on every generation: table V3 and the P1
/// rows of emulator/KERNEL-INTERFACE.md.
#[test]
fn vm_attributes_store_status_and_guest_debug_as_the_kernel_answers() {
    let common = [
        ("has_tod_low", "0"),
        ("has_tod_high", "0"),
        ("has_tod_ext", "-1/ENXIO"),
        ("get_tod_low", "0"),
        ("tod_after_2000", "1"),
        ("set_tod_low", "0"),
        ("tod_follows_set", "1"),
        ("get_tod_high", "0"),
        ("tod_high", "0"),
        ("set_tod_high_1", "-1/EINVAL"),
        ("get_tod_ext", "0"),
        ("ext_follows_set", "1"),
        // No multiple-epoch facility (139) in the guest model.
        ("set_tod_ext_epoch", "-1/EINVAL"),
        ("tod_flags", "-1/EINVAL"),
        ("tod_unknown", "-1/ENXIO"),
        ("tod_null", "-1/EFAULT"),
        ("has_crypto_aes", "0"),
        ("has_crypto_apie", "-1/ENXIO"),
        ("set_crypto_disable_aes", "0"),
        // The modelled host has no AP instructions.
        ("set_crypto_apie", "-1/EOPNOTSUPP"),
        ("set_crypto_unknown", "-1/ENXIO"),
        ("get_crypto", "-1/ENXIO"),
        ("has_migration", "0"),
        ("migration_stop", "0"),
        ("migration_get_start", "-1/ENXIO"),
        ("has_topology", "0"),
        ("set_topology", "0"),
        ("get_topology", "0"),
        ("topology_mtcr", "1"),
        ("store_status_noaddr", "-1/EFAULT"),
        ("store_status_unmapped", "-1/EFAULT"),
        ("guest_debug_on", "0"),
        ("cpustat_p", "1"),
        ("guest_debug_bad", "-1/EINVAL"),
        ("guest_debug_off", "0"),
        ("cpustat_p_off", "0"),
        ("guest_debug_null", "-1/EFAULT"),
        // Hardware breakpoints (`kvm_s390_import_bp_data`): at most 50,
        // the array read, a write watchpoint's length within 0..=100 as an
        // int, the memory it watches read; a failure clears CPUSTAT_P.
        ("bp_one", "0"),
        ("bp_one_p", "1"),
        ("bp_51", "-1/EINVAL"),
        ("bp_51_p", "0"),
        ("bp_unreadable", "-1/EFAULT"),
        ("bp_unreadable_p", "0"),
        ("wp_101", "-1/EINVAL"),
        ("wp_101_p", "0"),
        // 2^32 is 0 as an int: nothing to read, so nothing can fail.
        ("wp_len_wraps", "0"),
        // Absolute 0x1000 is user address 0x1000 (B, C), never mapped.
        ("wp_unmapped", "-1/EFAULT"),
        ("bp_other_type", "0"),
    ];
    // Generation A: a ucontrol VM has no memory slot.
    let a = [
        ("migration_start", "-1/EINVAL"),
        ("migration_mode", "0"),
        ("store_status", "-1/EFAULT"),
        // No slot: no watched memory can be read.
        ("wp_mem", "-1/EFAULT"),
    ];
    let bc = [
        ("wp_mem", "0"),
        ("wp_mem_p", "1"),
        ("migration_start", "0"),
        ("migration_status", "0"),
        ("migration_mode", "1"),
        ("store_status", "0"),
        ("stored_r7_be", "0x706050403020100"),
    ];
    for g in Generation::ALL {
        let text = c_output("attrs_status", g);
        assert_lines(&text, &common, g);
        assert_lines(&text, if g == Generation::A { &a } else { &bc }, g);
    }
}

/// Interrupt injection from C (`tests/c/irqs.c`) on every generation: the
/// KVM_S390_IRQ / KVM_S390_INTERRUPT rows of emulator/KERNEL-INTERFACE.md.
#[test]
fn interrupt_injection_as_the_kernel_answers() {
    let want = [
        ("set_prefix_stopped", "0"),
        ("stop_stopped", "0"),
        // Storing status at absolute 0, which the caller has no memory at.
        ("stop_store_stopped", "-1/EFAULT"),
        ("set_prefix_running", "-1/EBUSY"),
        ("stop_bad_flags", "-1/EINVAL"),
        ("stop", "0"),
        ("stop_again", "-1/EBUSY"),
        ("program", "0"),
        ("restart", "0"),
        ("ckc", "0"),
        ("cpu_timer", "0"),
        ("mchk", "0"),
        ("pfault_init", "0"),
        ("emergency_from_0", "0"),
        ("emergency_from_9", "-1/EINVAL"),
        ("extcall", "0"),
        ("extcall_again", "-1/EBUSY"),
        ("virtio_local", "-1/EINVAL"),
        ("irq_null", "-1/EFAULT"),
        ("reset", "0"),
        ("extcall_after_reset", "0"),
        ("interrupt_program", "0"),
        ("interrupt_program_big", "-1/EINVAL"),
        ("interrupt_unknown", "-1/EINVAL"),
        ("interrupt_null", "-1/EFAULT"),
        ("vm_service", "0"),
        ("vm_virtio", "0"),
        ("vm_io", "0"),
        ("vm_program", "-1/EINVAL"),
        ("vm_emergency", "-1/EINVAL"),
        ("vm_null", "-1/EFAULT"),
        ("vcpu_cap_css", "0"),
        ("vcpu_cap_flags", "-1/EINVAL"),
        ("vcpu_cap_other", "-1/EINVAL"),
        ("vcpu_cap_null", "-1/EFAULT"),
        ("translate", "-1/EINVAL"),
        ("translate_null", "-1/EFAULT"),
        ("sigmask", "0"),
        ("sigmask_len", "-1/EINVAL"),
        ("sigmask_clear", "0"),
    ];
    for g in Generation::ALL {
        assert_lines(&c_output("irqs", g), &want, g);
    }
}

/// A ucontrol guest's program interruptions as the machine performs them
/// under SIE (emulator/KERNEL-INTERFACE.md, "Program interruptions of a
/// ucontrol guest"): a divide by zero goes through the lowcore in the
/// prefix area (old PSW past the suppressed DR, ILC 2 bytes, code 9) and
/// the guest continues in its handler; a specification exception is
/// intercepted (code 8, `iprcc` 6, PSW past the instruction). Every
/// generation.
#[test]
fn program_interruptions_go_through_the_prefix_area_or_are_intercepted() {
    let want = [
        ("run", "0"),
        ("exit_reason", "13"),
        ("icptcode", "4"),
        ("ipa", "0x8300"),
        ("psw_addr", "0x5004"),
        ("old_psw_mask", "0x180000000"),
        ("old_psw_addr", "0x400a"),
        ("ilc_bytes", "2"),
        ("code", "0x9"),
        ("absolute_0x150_untouched", "1"),
        ("spec_run", "0"),
        ("spec_exit_reason", "13"),
        ("spec_icptcode", "8"),
        ("spec_psw_addr", "0x4002"),
        ("spec_iprcc", "6"),
        ("spec_pgmilc", "2"),
    ];
    for g in Generation::ALL {
        assert_lines(&c_output("program_interruption", g), &want, g);
    }
}

/// A regular VM's memory slots (`tests/c/memslots.c`) under each
/// generation: both region ioctls with the generic and the s390 checks,
/// moves, flag changes and deletions, `KVM_S390_VCPU_FAULT` and the storage
/// keys through the slots, and migration mode, which a slot allows.
#[test]
fn regular_vm_memory_slots_as_the_kernel_answers_them() {
    for g in Generation::ALL {
        let text = c_output("memslots", g);
        let (a, c) = (g == Generation::A, g == Generation::C);
        assert_lines(
            &text,
            &[
                ("get_skeys_first", "1"),
                ("create", "0"),
                ("create2", "0"),
                ("unreadable", "-1/EFAULT"),
                ("overlap", "-1/EEXIST"),
                ("user_unaligned", "-1/EINVAL"),
                ("size_unaligned", "-1/EINVAL"),
                ("gpa_unaligned", "-1/EINVAL"),
                ("guest_page_aligned", "0"),
                ("readonly", "-1/EINVAL"),
                ("address_space_1", "-1/EINVAL"),
                // A keeps no internal slot: one more user slot.
                ("slot_32766", if a { "0" } else { "-1/EINVAL" }),
                ("slot_32767", "-1/EINVAL"),
                ("beyond_limit", "-1/EINVAL"),
                ("up_to_limit", "0"),
                ("delete_4", "0"),
                ("user_top", "0"),
                ("delete_top", "0"),
                ("change_user", "-1/EINVAL"),
                ("change_size", "-1/EINVAL"),
                ("flags_only", "0"),
                ("move", "0"),
                ("fault_moved", "0"),
                ("delete", "0"),
                ("delete_again", "-1/EINVAL"),
                ("fault_in_slot", "0"),
                // Outside every slot: A's address space has no segment
                // there; B injects an addressing exception; C (v7.0,
                // commit 0a28e06575b3) answers EFAULT.
                (
                    "fault_outside",
                    if g == Generation::B { "0" } else { "-1/EFAULT" },
                ),
                ("fault_no_memory", "-1/EFAULT"),
                ("set_skeys", "0"),
                ("get_skeys", "0"),
                ("key", "0x30"),
                // A and B find a frame's key through the slots: none
                // outside them. C (v7.0) walks the VM's own address space,
                // which marks a frame outside every slot as an addressing
                // exception, and hands that code on as the value 5.
                ("get_skeys_outside", if c { "5" } else { "-1/EFAULT" }),
                ("migration_start", "0"),
            ],
            g,
        );
    }
}

/// Rows answered from a few checks (`tests/c/vm_rows.c`), the same in
/// every generation on both kinds of VM: `KVM_CREATE_IRQCHIP` needs
/// `KVM_CAP_S390_IRQCHIP` first; the modelled host has no CMMA, so every
/// CMMA attribute and ioctl answers ENXIO once its struct was read; no
/// dirty ring; the generic requests s390 does not build are unknown
/// (ENOTTY), as is a request of another type (on a vcpu fd the kernel
/// says EINVAL, a stated difference); a vcpu's pages are `kvm_run`, the SIE block (ucontrol only) and then
/// SIGBUS (emulator/KERNEL-INTERFACE.md, tables V1, V3, P1).
#[test]
fn rows_answered_by_their_checks() {
    for g in Generation::ALL {
        let text = c_output("vm_rows", g);
        for kind in ["uc", "reg"] {
            let want = [
                ("irqchip_before", "-1/EINVAL"),
                ("enable_irqchip", "0"),
                ("irqchip_after", "0"),
                ("irqchip_again", "0"),
                ("has_enable_cmma", "-1/ENXIO"),
                ("has_clr_cmma", "-1/ENXIO"),
                ("set_enable_cmma", "-1/ENXIO"),
                ("set_clr_cmma", "-1/ENXIO"),
                ("get_enable_cmma", "-1/ENXIO"),
                ("get_cmma_bits", "-1/ENXIO"),
                ("get_cmma_bits_fault", "-1/EFAULT"),
                ("set_cmma_bits", "-1/ENXIO"),
                ("set_cmma_bits_fault", "-1/EFAULT"),
                ("reset_dirty_rings", "-1/EINVAL"),
                ("memory_attributes", "-1/ENOTTY"),
                ("guest_memfd", "-1/ENOTTY"),
                ("irq_line", "-1/ENOTTY"),
                ("signal_msi", "-1/ENOTTY"),
                ("coalesced_mmio", "-1/ENOTTY"),
                ("uncoalesced_mmio", "-1/ENOTTY"),
                ("foreign_type", "-1/ENOTTY"),
                // A stated difference: the kernel's vcpu fd answers EINVAL,
                // but the emulator sees only requests of KVM's type.
                ("vcpu_foreign_type", "-1/ENOTTY"),
            ]
            .map(|(key, value)| (format!("{kind}_{key}"), value));
            let want: Vec<(&str, &str)> = want.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            assert_lines(&text, &want, g);
        }
        let system_and_pages = [
            ("dev_msr_index_list", "-1/EINVAL"),
            ("dev_supported_cpuid", "-1/EINVAL"),
            ("uc_vcpu_pages", "110"),
            ("reg_vcpu_pages", "100"),
        ];
        assert_lines(&text, &system_and_pages, g);
    }
}

/// `KVM_S390_GET_IRQ_STATE` and `KVM_S390_SET_IRQ_STATE` on a ucontrol
/// vcpu (`tests/c/irq_state.c`), every generation alike: EFAULT for an
/// unreadable struct or buffer, the length checks (EINVAL), nothing to
/// read on a fresh vcpu (0), and a restore that injects entry by entry up
/// to the first refusal and is refused (EBUSY) while anything is pending;
/// `KVM_SET_MP_STATE(STOPPED)` of a running vcpu drops its pending SIGP
/// stop (emulator/KERNEL-INTERFACE.md, table P1; `model/irq.rs`).
#[test]
fn interrupt_state_checks_and_restore() {
    let want = [
        ("get_unreadable", "-1/EFAULT"),
        ("get_len_0", "-1/EINVAL"),
        ("get_empty", "0"),
        ("set_unreadable", "-1/EFAULT"),
        ("set_len_0", "-1/EINVAL"),
        ("set_len_odd", "-1/EINVAL"),
        ("set_too_long", "-1/EINVAL"),
        ("set_buf_unreadable", "-1/EFAULT"),
        ("set_stop_stopped", "0"),
        ("set_stop_again", "0"),
        ("set_bad_emergency", "-1/EINVAL"),
        ("set_partial", "-1/EINVAL"),
        ("set_busy", "-1/EBUSY"),
        ("reset", "0"),
        ("set_two", "0"),
        ("set_two_again", "-1/EBUSY"),
        ("stop_running", "0"),
        ("stop_pending", "-1/EBUSY"),
        ("mp_stopped", "0"),
        ("mp_operating", "0"),
        ("stop_after_stop", "0"),
    ];
    for g in Generation::ALL {
        assert_lines(&c_output("irq_state", g), &want, g);
    }
}
