//! The emulator's mechanism, driven through `tests/c/ucas_probe.c`: what is
//! emulated and what passes through, exit statuses, argument faults, fd
//! identity, processes and threads, `--enomem-after`, trace and errors.
//!
//! The fault-injection half (from `enomem_every_n_through_the_shell_mirror`
//! on) injects faults into running clients, on every kernel generation:
//! ENOMEM at every segment store of an 8-segment map seen through the
//! shell's own `Vcpu` (`src/bin/ucas-mirror-client.rs`), clients killed
//! inside emulated calls, unreadable arguments, fds closed or replaced
//! while a thread uses them, and vcpus outliving their VM fd.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use ucas_core::abi::UcasMapping;
use ucas_emulator::floor::{self, WakeUp};
use ucas_emulator::state::{State, VcpuState, VmState};
use ucas_emulator::{Emulator, Generation};
use ucas_tests::TraceBuffer;

const MIB: u64 = 1 << 20;

/// `tests/c/ucas_probe.c`, compiled once per test binary.
fn probe() -> PathBuf {
    ucas_tests::c_program("ucas_probe")
}

fn tmp(name: &str) -> PathBuf {
    ucas_tests::scratch().join(name)
}

/// Runs the probe with `args` under `emu`; returns its status and its
/// `key=value` output.
fn run(emu: Emulator, args: &[&str], tag: &str) -> (ExitStatus, BTreeMap<String, String>) {
    let out = tmp(&format!("probe-{tag}.out"));
    let mut cmd = Command::new(probe());
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap());
    let status = emu.run(cmd).expect("the emulator runs");
    (status, parse(&std::fs::read_to_string(&out).unwrap()))
}

/// The same probe without the emulator, for comparison.
fn native(args: &[&str]) -> BTreeMap<String, String> {
    let out = Command::new(probe()).args(args).output().unwrap();
    parse(&String::from_utf8(out.stdout).unwrap())
}

fn parse(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn emu() -> Emulator {
    Emulator::new(Generation::NEWEST)
}

#[test]
fn files_terminals_and_foreign_kvm_fds_pass_through() {
    // A second name for the host's /dev/kvm (if it has one) is not emulated.
    let alias = tmp("kvm-alias");
    let _ = std::fs::remove_file(&alias);
    let have_kvm = Path::new("/dev/kvm").exists();
    if have_kvm {
        std::os::unix::fs::symlink("/dev/kvm", &alias).unwrap();
    }
    let alias = alias.to_str().unwrap();
    let args: &[&str] = if have_kvm {
        &["passthrough", alias]
    } else {
        &["passthrough"]
    };
    let (status, got) = run(emu(), args, "passthrough");
    assert!(status.success(), "{got:?}");
    let want = native(args);
    for key in [
        "hostname_open",
        "hostname",
        "kvm_ioctl_on_file",
        "tcgets_pty",
        "tcgets_file",
    ] {
        assert_eq!(
            got[key], want[key],
            "{key}: emulated {got:?} native {want:?}"
        );
    }
    assert_eq!(got["tcgets_pty"], "0");
    assert_eq!(got["kvm_ioctl_on_file"], "-1/ENOTTY");
    assert_eq!(got["emulated_cap73"], "1");
    if have_kvm {
        // The real kernel answers on the alias, whatever it is.
        for key in ["alias_open", "alias_api", "alias_cap73", "alias_mmap_size"] {
            assert_eq!(got[key], want[key], "{key}");
        }
        assert_eq!(got["alias_api"], "12");
    }
}

#[test]
fn exit_status_passes_through() {
    let (status, _) = run(emu(), &["exit", "3"], "exit3");
    assert_eq!(status.code(), Some(3));
    let (status, _) = run(emu(), &["exit", "0"], "exit0");
    assert!(status.success());
}

#[test]
fn death_by_signal_passes_through() {
    let (status, _) = run(emu(), &["signal", "9"], "sig9");
    assert_eq!(status.signal(), Some(9));
    let (status, _) = run(emu(), &["signal", "15"], "sig15");
    assert_eq!(status.signal(), Some(15));
}

#[test]
fn errors_say_what_failed() {
    let err = emu()
        .run(Command::new("/nonexistent/ucas-no-such-program"))
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(
        err.to_string()
            .contains("cannot run /nonexistent/ucas-no-such-program"),
        "{err}"
    );

    // A bad state path is reported before the command runs.
    let marker = tmp("should-not-exist");
    let _ = std::fs::remove_file(&marker);
    let mut cmd = Command::new("touch");
    cmd.arg(&marker);
    let err = emu()
        .state_out("/nonexistent-dir/state.json")
        .run(cmd)
        .unwrap_err();
    assert!(
        err.to_string().contains("cannot create the state file"),
        "{err}"
    );
    assert!(matches!(err, ucas_emulator::Error::StateCreate { .. }));
    assert!(!marker.exists());
}

#[test]
fn unreadable_arguments_are_efault() {
    let (status, got) = run(emu(), &["efault"], "efault");
    assert!(status.success(), "{got:?}");
    assert_eq!(got["map_null"], "-1/EFAULT");
    assert_eq!(got["map_low"], "-1/EFAULT");
    assert_eq!(got["unmap_kernel"], "-1/EFAULT");
    assert_eq!(got["map_straddling"], "-1/EFAULT");
    assert_eq!(got["map_fitting"], "0");
    assert_eq!(got["fault_value"], "0");
    // A zero PSW (24-bit mode) fetches opcode 0x00 from the zeroed memory at
    // vcpu address 0: an operation-exception intercept, not a failure.
    assert_eq!(got["run"], "0");
}

#[test]
fn emulated_fds_are_known_by_file_not_number() {
    let (status, got) = run(emu(), &["fds"], "fds");
    assert!(status.success(), "{got:?}");
    assert_eq!(got["dups"], "1");
    assert_eq!(got["map_via_dup"], "0");
    assert_eq!(got["fault_via_dup2"], "0");
    assert_eq!(got["unmap_via_dupfd"], "0");
    assert_eq!(got["fault_unmapped"], "-1/EREMOTE");
    assert_eq!(got["reused_number"], "1");
    // The real kernel's answer for a KVM ioctl on a regular file.
    assert_eq!(got["map_on_reused_number"], "-1/ENOTTY");
    assert_eq!(got["mmap_dup"], "1");
    assert_eq!(got["fd_upper_bits"], "1");
    assert_eq!(got["request_upper_bits"], "1");
}

#[test]
fn children_threads_and_orphans_are_served() {
    let orphan = tmp("orphan.out");
    let _ = std::fs::remove_file(&orphan);
    let out = tmp("probe-family.out");
    let mut cmd = Command::new(probe());
    cmd.arg("family")
        .env("UCAS_PROBE_ORPHAN_OUT", &orphan)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap());
    let status = emu().run(cmd).unwrap();
    let got = parse(&std::fs::read_to_string(&out).unwrap());
    assert!(status.success(), "{got:?}");
    assert_eq!(got["thread_api"], "12");
    assert_eq!(got["child_status"], "42");
    // The emulator waited for the grandchild that outlived the probe.
    let orphan = parse(&std::fs::read_to_string(&orphan).expect("the orphan ran"));
    assert_eq!(orphan["orphan_api"], "12");
}

#[test]
fn dev_kvm_by_any_spelling() {
    let (status, got) = run(emu(), &["paths"], "paths");
    assert!(status.success(), "{got:?}");
    for key in ["dev_dotdot", "openat_dirfd", "openat2", "relative_cwd"] {
        assert_eq!(got[key], "1", "{key}: {got:?}");
    }
    assert_eq!(got["openat2_cloexec"], "1");
    assert_eq!(got["plain_cloexec"], "0");
    assert_eq!(got["bad_path_pointer"], "-1/EFAULT");
}

/// Opens that name `/dev/kvm` but that the kernel refuses (or resolves
/// elsewhere): `RESOLVE_*` scopes, mounts and links, `O_CREAT|O_EXCL`,
/// `O_DIRECTORY`, dirfds that are files or closed, bad `struct open_how`
/// sizes and unknown bits. The emulated host has a `/dev/kvm` character
/// device on its `/dev`; the expected answers are the kernel's (Linux 6.18,
/// `fs/open.c` `build_open_flags`, `fs/namei.c` `path_init`/`follow_dotdot`/
/// `handle_mounts`), and where this host has a `/dev/kvm` they are also
/// compared with the native run of the same probe.
#[test]
fn dev_kvm_opens_the_kernel_refuses() {
    let have_kvm = Path::new("/dev/kvm").exists();
    // RESOLVE_NO_XDEV refuses a walk from / into /dev only when /dev is a
    // mount of its own (devtmpfs, as on most hosts).
    let dev_is_mount = {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata("/dev").unwrap().dev() != std::fs::metadata("/").unwrap().dev()
    };
    let xdev = if dev_is_mount { "-1/EXDEV" } else { "ok" };
    let expected: &[(&str, &str)] = &[
        ("plain", "ok"),
        ("beneath_escape", "-1/EXDEV"),
        ("beneath_abs", "-1/EXDEV"),
        ("beneath_abs_closed_dirfd", "-1/EXDEV"),
        ("beneath_inside", "ok"),
        ("beneath_out_and_back", "-1/EXDEV"),
        ("beneath_root", "ok"),
        ("beneath_root_dotdot", "-1/EXDEV"),
        ("beneath_down_up", "ok"),
        ("in_root_abs", "-1/ENOENT"),
        ("in_root_dotdot", "-1/ENOENT"),
        ("in_root_slash", "ok"),
        ("in_root_dev", "ok"),
        ("in_root_closed_dirfd", "-1/EBADF"),
        ("both_scopes", "-1/EINVAL"),
        ("no_xdev_abs", xdev),
        ("no_xdev_root", xdev),
        ("no_xdev_inside", "ok"),
        ("no_xdev_pts", "-1/EXDEV"),
        ("no_symlinks", "ok"),
        ("no_magiclinks", "ok"),
        ("cached", "ok"),
        ("cached_trunc", "-1/EAGAIN"),
        ("through_symlink_nosym", "-1/ELOOP"),
        ("dotdot_after_symlink", "-1/ENOENT"),
        ("dotdot_after_missing", "-1/ENOENT"),
        ("dotdot_after_file", "-1/ENOTDIR"),
        ("creat", "ok"),
        ("creat_excl", "-1/EEXIST"),
        ("creat_excl_openat2", "-1/EEXIST"),
        ("directory", "-1/ENOTDIR"),
        ("tmpfile", "-1/ENOTDIR"),
        ("trailing_slash", "-1/ENOTDIR"),
        ("file_dirfd", "-1/ENOTDIR"),
        ("closed_dirfd", "-1/EBADF"),
        ("closed_dirfd_abs", "ok"),
        ("how_small", "-1/EINVAL"),
        ("how_ver0", "ok"),
        ("how_big_zero", "ok"),
        ("how_big_nonzero", "-1/E2BIG"),
        ("how_huge", "-1/E2BIG"),
        ("how_unreadable", "-1/EFAULT"),
        ("unknown_flag", "-1/EINVAL"),
        ("unknown_flag_high", "-1/EINVAL"),
        ("unknown_flag_open", "ok"),
        ("unknown_resolve", "-1/EINVAL"),
        ("mode_without_creat", "-1/EINVAL"),
        ("mode_bad", "-1/EINVAL"),
        ("path_flags", "-1/EINVAL"),
        ("creat_directory", "-1/EINVAL"),
    ];
    let fresh = |tag: &str| {
        let dir = tmp(tag);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    };
    let want = if have_kvm {
        let dir = fresh("pathrules-native");
        Some(native(&["pathrules", dir.to_str().unwrap()]))
    } else {
        None
    };
    for g in Generation::ALL {
        let dir = fresh(&format!("pathrules-{g:?}"));
        let (status, got) = run(
            Emulator::new(g),
            &["pathrules", dir.to_str().unwrap()],
            &format!("pathrules-{g:?}"),
        );
        assert!(status.success(), "{g:?}: {got:?}");
        let wrong: Vec<String> = expected
            .iter()
            .filter(|(k, v)| got.get(*k).map(String::as_str) != Some(*v))
            .map(|(k, v)| format!("{k}: emulated {:?}, expected {v}", got.get(*k)))
            .collect();
        assert!(wrong.is_empty(), "{g:?}:\n{}", wrong.join("\n"));
        if let Some(want) = &want {
            assert_eq!(want.len(), got.len(), "{g:?}: native {want:?}");
            for (k, v) in want {
                assert_eq!(got.get(k), Some(v), "{g:?} {k}: emulated vs native");
            }
        }
    }
}

/// A vcpu fd's size is sealed: the supervisor maps its pages, and a program
/// that shrank it (or grew it) used to kill the emulator with SIGBUS at the
/// next `KVM_RUN`.
#[test]
fn vcpu_fds_cannot_be_resized() {
    // Before the seals the supervisor died at the KVM_RUN, and with it this
    // test binary (SIGBUS).
    let (status, got) = run(emu(), &["truncate"], "truncate");
    assert!(status.success(), "{got:?}");
    assert_eq!(got["shrink"], "-1/EPERM");
    assert_eq!(got["grow"], "-1/EPERM");
    assert_eq!(got["size"], "8192");
    assert_eq!(got["unseal"], "-1/EPERM");
    assert_eq!(got["run"], "0");
    // Unmapped segment (generation C): the emulator still serves.
    assert_eq!(got["fault"], "-1/EREMOTE");
}

#[test]
fn ucontrol_vms_need_cap_sys_admin() {
    let (status, got) = run(emu(), &["noadmin"], "noadmin");
    assert!(status.success(), "{got:?}");
    assert_eq!(got["ucontrol_vm"], "-1/EINVAL");
    assert_eq!(got["regular_vm"], "0");
    assert_eq!(got["cap73"], "1");
}

#[test]
fn trace_has_one_line_per_emulated_call() {
    let sink = TraceBuffer::default();
    let (status, _) = run(
        Emulator::new(Generation::B).trace_to(sink.clone()),
        &["efault"],
        "trace",
    );
    assert!(status.success());
    let text = sink.text();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("generation B"), "{text}");
    let calls: Vec<&&str> = lines.iter().filter(|l| l.starts_with("[pid ")).collect();
    // open, CREATE_VM, CREATE_VCPU, 3 bad maps, 2 maps, fault, run.
    assert_eq!(calls.len(), 10, "{text}");
    assert!(calls[0].contains("openat(\"/dev/kvm\"") && calls[0].contains("emulated /dev/kvm"));
    assert!(calls[1].contains("kvm KVM_CREATE_VM(1) = ") && calls[1].contains("ucontrol"));
    assert!(calls[2].contains("vm0 KVM_CREATE_VCPU(0) = ") && calls[2].ends_with("(vm0/vcpu0)"));
    assert!(
        calls[3].contains("vm0/vcpu0 KVM_S390_UCAS_MAP(0x0) = -1 EFAULT"),
        "{text}"
    );
    assert!(
        calls[7].contains("KVM_S390_UCAS_MAP({user_addr=0x"),
        "{text}"
    );
    assert!(calls[7].ends_with("length=0x100000}) = 0"), "{text}");
    assert!(
        calls[9].contains("KVM_RUN(0) = 0 (SIEIC exit: icptcode=0x2c ipa=0x0000 ipb=0x00000000"),
        "{text}"
    );
}

/// The probe's `enomem` sequence: (user offset, vcpu address, length).
const SEQUENCE: [(u64, u64, u64); 4] = [
    (0, 0, 2 * MIB),
    (4 * MIB, 16 * MIB, 4 * MIB),
    (8 * MIB, MIB, 3 * MIB),
    (0, 32 * MIB, MIB),
];

/// An obviously correct reference: a map from vcpu segment to user
/// segment, and the spec's ENOMEM consequences.
fn reference(g: Generation, n: u64, base: u64) -> (Vec<&'static str>, State) {
    let mut segs: BTreeMap<u64, u64> = BTreeMap::new();
    let mut stored = 0u64;
    let mut fired = false;
    let mut results = Vec::new();
    for (user, vcpu, len) in SEQUENCE {
        let count = len / MIB;
        let fail_at = (!fired && stored + count > n).then(|| n - stored);
        let upto = fail_at.unwrap_or(count);
        for i in 0..upto {
            segs.insert(vcpu / MIB + i, (base + user) / MIB + i);
        }
        stored += upto;
        if fail_at.is_some() {
            fired = true;
            if g != Generation::C {
                for i in 0..count {
                    segs.remove(&(vcpu / MIB + i));
                }
            }
            results.push("ENOMEM");
        } else {
            results.push("0");
        }
    }
    // Coalesce into extents as the state file lists them.
    let mut ext: Vec<(u64, u64, u64)> = Vec::new();
    for (&v, &u) in &segs {
        match ext.last_mut() {
            Some(e) if e.0 + e.2 == v && e.1 + e.2 == u => e.2 += 1,
            _ => ext.push((v, u, 1)),
        }
    }
    let extents = ext
        .iter()
        .map(|&(v, u, c)| UcasMapping {
            user_addr: u * MIB,
            vcpu_addr: v * MIB,
            length: c * MIB,
        })
        .collect();
    let state = State {
        generation: g,
        vms: vec![VmState {
            ucontrol: true,
            vcpus: vec![VcpuState { id: 0, extents }],
        }],
    };
    (results, state)
}

#[test]
fn enomem_after_n_for_each_generation() {
    for g in Generation::ALL {
        for n in [0, 1, 2, 3, 5, 6, 9, 10, 11] {
            let tag = format!("enomem-{}-{n}", g.letter());
            let state = tmp(&format!("{tag}.json"));
            let emu = Emulator::new(g).enomem_after(Some(n)).state_out(&state);
            let (status, got) = run(emu, &["enomem"], &tag);
            assert!(status.success(), "{tag}: {got:?}");
            let base: u64 = got["base"].parse().unwrap();
            let (results, want) = reference(g, n, base);
            for (i, want) in results.iter().enumerate() {
                assert_eq!(got[&format!("map{i}")], *want, "{tag}: map{i}: {got:?}");
            }
            assert_eq!(read_state(&state), want, "{tag}");
        }
    }
}

/// Not a test of behaviour: prints the cost of emulated calls. Run with
/// `cargo test --release -p ucas-tests --test emulator_mechanism -- --ignored --nocapture`.
#[test]
#[ignore = "measurement, not a check; run on demand"]
fn measure_emulated_call_cost() {
    for (what, n) in [("bench-ext", "100000"), ("bench-map", "500000")] {
        let out = tmp(&format!("{what}.out"));
        let mut cmd = Command::new(probe());
        cmd.args([what, n])
            .stdout(std::fs::File::create(&out).unwrap());
        let status = emu().run(cmd).unwrap();
        assert!(status.success());
        println!("{what}: {}", std::fs::read_to_string(&out).unwrap().trim());
    }
}

// ---- fault injection -------------------------------------------------------

/// A state file, read by the emulator's own reader.
fn read_state(path: &Path) -> State {
    let text = std::fs::read_to_string(path).unwrap();
    State::parse(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()))
}

/// The extents (vcpu, user, length) of vcpu `vcpu` of VM `vm` in a state
/// report, in report order.
fn state_extents(json: &str, vm: usize, vcpu: usize) -> Vec<(u64, u64, u64)> {
    let state = State::parse(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let vcpu = state
        .vms
        .get(vm)
        .and_then(|v| v.vcpus.get(vcpu))
        .unwrap_or_else(|| panic!("no vcpu {vcpu} of vm {vm} in {json}"));
    vcpu.extents
        .iter()
        .map(|e| (e.vcpu_addr, e.user_addr, e.length))
        .collect()
}

/// The `mirror=` line of `ucas-mirror-client`.
fn client_mirror(got: &BTreeMap<String, String>) -> Vec<(u64, u64, u64)> {
    got["mirror"]
        .split(',')
        .filter(|e| !e.is_empty())
        .map(|e| {
            let n: Vec<u64> = e.split(':').map(|n| n.parse().unwrap()).collect();
            (n[0], n[1], n[2])
        })
        .collect()
}

/// Runs `ucas-mirror-client SCENARIO` under `emu`; returns its status, its
/// `key=value` output and the state file.
fn run_client(
    emu: Emulator,
    scenario: &str,
    tag: &str,
) -> (ExitStatus, BTreeMap<String, String>, String) {
    let out = tmp(&format!("client-{tag}.out"));
    let state = tmp(&format!("client-{tag}.json"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ucas-mirror-client"));
    cmd.arg(scenario)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap());
    let status = emu.state_out(&state).run(cmd).expect("the emulator runs");
    let got = parse(&std::fs::read_to_string(&out).unwrap());
    (status, got, std::fs::read_to_string(&state).unwrap())
}

/// `--enomem-after N` for every N from "the first store fails" to "none
/// does" around the client's 10 stores (1 + 1 + an 8-segment map), on
/// every generation. After each run the shell's mirror equals the
/// emulator's final state, both equal what the spec predicts, and the
/// failing call's error says what happened and what ucas did about it.
#[test]
fn enomem_every_n_through_the_shell_mirror() {
    let mut runs = 0;
    for g in Generation::ALL {
        for n in 0..=10u64 {
            let tag = format!("mirror-enomem-{}-{n}", g.letter());
            let emu = Emulator::new(g).enomem_after(Some(n));
            let (status, got, json) = run_client(emu, "enomem", &tag);
            assert!(status.success(), "{tag}: {got:?}");
            let base: u64 = got["base"].parse().unwrap();
            // Stores: map0 = vcpu 2M -> base+12M, map1 = vcpu 8M -> base+13M,
            // map2 = vcpu 0..8M -> base+0..8M. The n-th store (0-based)
            // fails; the shell then unmaps the failing request's whole range
            // in kernel and mirror, whatever the generation kept.
            let failing = match n {
                0 => Some(0),
                1 => Some(1),
                2..=9 => Some(2),
                _ => None,
            };
            let mut want = Vec::new();
            if failing != Some(2) {
                // map2 (which replaced map0's segment) is in place.
                want.push((0, base, 8 * MIB));
            }
            if failing != Some(1) {
                want.push((8 * MIB, base + 13 * MIB, MIB));
            }
            let mirror = client_mirror(&got);
            let state = state_extents(&json, 0, 0);
            assert_eq!(mirror, state, "{tag}: the mirror differs from the emulator");
            assert_eq!(mirror, want, "{tag}: {got:?}");
            for i in 0..3 {
                let result = &got[&format!("map{i}")];
                if Some(i) != failing {
                    assert_eq!(result, "ok", "{tag} map{i}");
                    continue;
                }
                let (request, len) = [(2 * MIB, MIB), (8 * MIB, MIB), (0, 8 * MIB)][i];
                assert!(result.starts_with("err:12:"), "{tag} map{i}: {result}");
                let says = [
                    format!("partway through mapping vcpu {request:#x}+{len:#x}"),
                    format!("ucas unmapped vcpu {request:#x}+{len:#x}"),
                    "kernel and mirror agree".to_string(),
                    "free memory and map again".to_string(),
                ];
                for s in says {
                    assert!(result.contains(&s), "{tag} map{i}: want {s:?} in {result}");
                }
            }
            runs += 1;
        }
    }
    assert_eq!(runs, 33);
}

/// Children killed by SIGKILL at varied moments while they loop over
/// emulated ioctls: the emulator keeps serving the parent and returns its
/// status.
#[test]
fn clients_killed_inside_emulated_calls() {
    for g in Generation::ALL {
        let tag = format!("killmid-{}", g.letter());
        let (status, got) = run(Emulator::new(g), &["killmid", "100"], &tag);
        assert!(status.success(), "{tag}: {got:?}");
        assert_eq!(got["killed"], "100", "{tag}");
        // /proc/PID/syscall just before the kill: every fourth child is
        // killed only once it is seen blocked in ioctl(2) (the others at
        // varied moments), so none at all would mean the children never
        // reached an emulated call.
        let caught: u32 = got["seen_in_ioctl"].parse().unwrap();
        assert!(caught > 0, "{tag}: no kill landed inside an ioctl");
        assert_eq!(got["after_api"], "12", "{tag}");
        assert_eq!(got["after_map"], "0", "{tag}");
    }
}

/// A program that kills itself while a thread is inside emulated calls:
/// the emulator exits cleanly with that status and still writes its state.
#[test]
fn program_killed_inside_an_emulated_call() {
    for g in Generation::ALL {
        let state = tmp(&format!("killself-{}.json", g.letter()));
        let _ = std::fs::remove_file(&state);
        let emu = Emulator::new(g).state_out(&state);
        let (status, _) = run(emu, &["killself"], &format!("killself-{}", g.letter()));
        assert_eq!(status.signal(), Some(9), "{g:?}");
        let json = std::fs::read_to_string(&state).unwrap();
        assert!(
            json.starts_with(&format!(
                r#"{{"generation":"{}","vms":[{{"vm":0,"#,
                g.letter()
            )),
            "{json}"
        );
    }
}

/// More unreadable arguments, on every generation: EFAULT before any other
/// check (also on a regular VM's vcpu, which answers EINVAL to a readable
/// one), and nothing changes.
#[test]
fn unreadable_arguments_are_efault_on_every_generation() {
    for g in Generation::ALL {
        let tag = format!("efault-more-{}", g.letter());
        let state = tmp(&format!("{tag}.json"));
        let (status, got) = run(Emulator::new(g).state_out(&state), &["efault-more"], &tag);
        assert!(status.success(), "{tag}: {got:?}");
        for key in [
            "unmap_null",
            "map_wrapping_ptr",
            "unmap_straddling",
            "unmap_freed",
            "regular_vcpu_null",
        ] {
            assert_eq!(got[key], "-1/EFAULT", "{tag} {key}");
        }
        assert_eq!(got["map_first"], "0");
        assert_eq!(got["map_readonly"], "0");
        assert_eq!(got["regular_vcpu_readable"], "-1/EINVAL");
        let base: u64 = got["base"].parse().unwrap();
        let json = std::fs::read_to_string(&state).unwrap();
        assert_eq!(
            state_extents(&json, 0, 0),
            [(0, base, MIB), (4 * MIB, base + MIB, MIB)],
            "{tag}: only the two readable maps took effect"
        );
        let parsed = State::parse(&json).unwrap();
        assert_eq!(
            parsed.vms[1],
            VmState {
                ucontrol: false,
                vcpus: vec![VcpuState {
                    id: 0,
                    extents: vec![]
                }]
            },
            "{json}"
        );
    }
}

/// One vcpu fd number, used by two threads, is closed, taken by a plain
/// file and made the vcpu again with `dup2`; a forked child keeps its copy
/// when the parent closes its own. Each use answers as the kernel's would
/// for what the number names at that moment (EBADF, ENOTTY, the vcpu),
/// however the supervisor remembers numbers it has seen.
#[test]
fn fd_numbers_answer_for_what_they_name_now() {
    for g in Generation::ALL {
        let tag = format!("fdnumbers-{}", g.letter());
        let (status, got) = run(Emulator::new(g), &["fdnumbers"], &tag);
        assert!(status.success(), "{tag}: {got:?}");
        for who in ["main", "thread"] {
            assert_eq!(got[&format!("{who}_before")], "0", "{tag}: {got:?}");
            assert_eq!(got[&format!("{who}_closed")], "-1/EBADF", "{tag}: {got:?}");
            if got["file_took_number"] == "1" {
                assert_eq!(got[&format!("{who}_file")], "-1/ENOTTY", "{tag}: {got:?}");
            }
            assert_eq!(got[&format!("{who}_back")], "0", "{tag}: {got:?}");
        }
        assert_eq!(got["file_took_number"], "1", "{tag}: {got:?}");
        assert_eq!(got["dup2_back"], "1", "{tag}: {got:?}");
        assert_eq!(got["parent_closed"], "-1/EBADF", "{tag}: {got:?}");
        assert_eq!(got["child_kept"], "1", "{tag}: {got:?}");
    }
}

/// A thread maps through one fd number while it is closed, reused by a
/// plain file, and made to name another VM's vcpu: every call succeeds,
/// fails EBADF (closed) or ENOTTY (the real kernel, for the file), and the
/// calls made through the replacement reach the other vcpu.
#[test]
fn fds_closed_and_replaced_while_in_use() {
    for g in Generation::ALL {
        let tag = format!("fdrace-{}", g.letter());
        let state = tmp(&format!("{tag}.json"));
        let (status, got) = run(Emulator::new(g).state_out(&state), &["fdrace"], &tag);
        assert!(status.success(), "{tag}: {got:?}");
        assert_eq!(
            got["other"], "0",
            "{tag}: unexpected errno {}",
            got["other_errno"]
        );
        assert_eq!(got["ok"], "1", "{tag}");
        assert_eq!(got["badf"], "1", "{tag}");
        if got["file_took_number"] == "1" {
            assert_eq!(got["notty"], "1", "{tag}");
        }
        let json = std::fs::read_to_string(&state).unwrap();
        assert!(!state_extents(&json, 0, 0).is_empty(), "{tag}: {json}");
        assert!(
            !state_extents(&json, 1, 0).is_empty(),
            "{tag}: nothing reached the replacement vcpu"
        );
    }
}

/// A KVM_CREATE_VCPU or KVM_CREATE_VM whose fd cannot be installed because
/// the caller's fd table is full (RLIMIT_NOFILE) fails with EMFILE and
/// leaves nothing behind, as in KVM (`kvm_vm_ioctl_create_vcpu` destroys the
/// vcpu when `create_vcpu_fd` fails; `kvm_dev_ioctl_create_vm` takes the fd
/// before it creates the VM): the same id can be created again, and the
/// state report has it once and no VM for the failed call.
#[test]
fn creations_that_could_not_install_their_fd_leave_nothing() {
    creations_leave_nothing(
        "fdlimit",
        &[
            ("vcpu3_full", "-1/EMFILE"),
            ("vm_full", "-1/EMFILE"),
            ("vcpu3_retry", "0"),
            ("vcpu3_again", "-1/EEXIST"),
            ("vm_retry", "0"),
            ("vm_retry_vcpu5", "0"),
        ],
    );
}

/// Runs probe mode `mode` (a creation that fails, then its retry) on every
/// generation: every `want` answer, and a state report with exactly the
/// retried vcpu 3 in the first VM and vcpu 5 in the retried VM.
fn creations_leave_nothing(mode: &str, want: &[(&str, &str)]) {
    for g in Generation::ALL {
        let tag = format!("{mode}-{}", g.letter());
        let state = tmp(&format!("{tag}.json"));
        let _ = std::fs::remove_file(&state);
        let (status, got) = run(Emulator::new(g).state_out(&state), &[mode], &tag);
        assert!(status.success(), "{tag}: {got:?}");
        for (key, want) in want {
            assert_eq!(
                got.get(*key).map(String::as_str),
                Some(*want),
                "{tag} {key}: {got:?}"
            );
        }
        let json = std::fs::read_to_string(&state).unwrap();
        let parsed = State::parse(&json).unwrap_or_else(|e| panic!("{tag}: {e}: {json}"));
        let ids = |vm: &VmState| vm.vcpus.iter().map(|v| v.id).collect::<Vec<_>>();
        assert_eq!(parsed.vms.len(), 2, "{tag}: {json}");
        assert_eq!(ids(&parsed.vms[0]), [3], "{tag}: {json}");
        assert_eq!(ids(&parsed.vms[1]), [5], "{tag}: {json}");
    }
}

/// The same when it is the supervisor that cannot make the new object's
/// memfd (its own fd table full: the probe sets its parent's RLIMIT_NOFILE
/// to 3): the caller sees ENOMEM, as from a kernel that ran out, and the
/// model keeps neither the VM nor the vcpu. Before, both stayed: the retry
/// of vcpu 3 was EEXIST and the report listed a VM that nobody had.
///
/// The limit is the whole process's, so the scenario runs in a child of
/// this test binary that runs only this test.
#[test]
fn creations_the_supervisor_could_not_finish_leave_nothing() {
    const CHILD: &str = "UCAS_TESTS_STARVE_CHILD";
    let name = "creations_the_supervisor_could_not_finish_leave_nothing";
    if std::env::var_os(CHILD).is_none() {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD, "1")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{text}");
        assert!(text.contains("1 passed"), "{text}");
        return;
    }
    creations_leave_nothing(
        "starve-parent",
        &[
            ("vcpu3_starved", "-1/ENOMEM"),
            ("vm_starved", "-1/ENOMEM"),
            ("vcpu3_retry", "0"),
            ("vm_retry", "0"),
            ("vm_retry_vcpu5", "0"),
        ],
    );
}

/// A vcpu holds its VM, as in KVM: after the VM and /dev/kvm fds are
/// closed its ioctls and mmap work, the closed VM fd is EBADF, and a new VM
/// that gets the old numbers is a different VM. Seen from C and through the
/// shell's `Vcpu` (whose mirror must equal the emulator's state).
#[test]
fn vcpus_outlive_their_vm_fd() {
    for g in Generation::ALL {
        let tag = format!("vmclosed-{}", g.letter());
        let state = tmp(&format!("{tag}.json"));
        let (status, got) = run(Emulator::new(g).state_out(&state), &["vmclosed"], &tag);
        assert!(status.success(), "{tag}: {got:?}");
        let unmapped = if g == Generation::A {
            "-1/EFAULT"
        } else {
            "-1/EREMOTE"
        };
        for (key, want) in [
            ("map_after_close", "0"),
            ("fault_after_close", "0"),
            ("unmap_after_close", "0"),
            ("fault_unmapped_after_close", unmapped),
            ("create_vcpu_on_closed_vm", "-1/EBADF"),
            ("mmap_after_close", "1"),
            ("second_vm_map", "0"),
            ("first_vcpu_map", "0"),
        ] {
            assert_eq!(got[key], want, "{tag} {key}");
        }
        let base: u64 = got["base"].parse().unwrap();
        let json = std::fs::read_to_string(&state).unwrap();
        assert_eq!(
            state_extents(&json, 0, 0),
            [(0, base, MIB), (32 * MIB, base + 3 * MIB, MIB)],
            "{tag}"
        );
        assert_eq!(
            state_extents(&json, 1, 0),
            [(16 * MIB, base + 2 * MIB, MIB)],
            "{tag}"
        );

        let (status, got, json) = run_client(Emulator::new(g), "vm-closed", &tag);
        assert!(status.success(), "{tag}: {got:?}");
        assert_eq!(got["map"], "ok");
        assert_eq!(got["fault"], "ok");
        assert_eq!(got["unmap"], "ok");
        let errno = if g == Generation::A { "14" } else { "66" };
        assert!(
            got["fault_unmapped"].starts_with(&format!("err:{errno}:")),
            "{got:?}"
        );
        let base: u64 = got["base"].parse().unwrap();
        let want = [(0, base, MIB), (2 * MIB, base + 2 * MIB, 2 * MIB)];
        assert_eq!(client_mirror(&got), want, "{tag}");
        assert_eq!(state_extents(&json, 0, 0), want, "{tag}");
    }
}

/// The VM is destroyed when its last reference goes, not before: after the
/// VM fd, a vcpu fd, its dup and a child's inherited copy are closed, the
/// `kvm_run` mapping still holds it; the trace says "destroyed" between
/// the markers 4 and 5. Before destruction existed, it never said so.
#[test]
fn a_vm_lives_until_its_last_reference_goes() {
    let trace = TraceBuffer::default();
    let (status, got) = run(emu().trace_to(trace.clone()), &["lifetime"], "lifetime");
    assert!(status.success(), "{got:?}");
    assert_eq!(got["mmap"], "1");
    let text = trace.text();
    let at = |what: &str| {
        text.find(what)
            .unwrap_or_else(|| panic!("{what:?} not in the trace:\n{text}"))
    };
    let destroyed = at("vm0 destroyed");
    assert!(at("KVM_CHECK_EXTENSION(1004)") < destroyed, "{text}");
    assert!(destroyed < at("KVM_CHECK_EXTENSION(1005)"), "{text}");
    assert_eq!(text.matches("destroyed").count(), 1, "{text}");
}

/// 40,000 VMs with a vcpu each, created and closed one after the other:
/// each is destroyed, so the supervisor's memory mappings do not run out
/// (without destruction the 32,768th or so creation failed with ENOMEM).
#[test]
fn closed_vms_are_released() {
    let (status, got) = run(emu(), &["cycles", "40000"], "cycles");
    assert!(status.success(), "{got:?}");
    assert_eq!(
        got.get("cycles").map(String::as_str),
        Some("40000"),
        "{got:?}"
    );
}

/// A signal to a thread in `KVM_RUN` ends the run early with EINTR and
/// `KVM_EXIT_INTR`, as the kernel's `signal_pending()` check in the run
/// loop does. Before, only the instruction budget ended the run: every
/// signalled run took its full 500,000 rounds (short=0).
#[test]
fn a_signal_ends_kvm_run_with_eintr() {
    for g in Generation::ALL {
        let tag = format!("sigrun-{}", g.letter());
        let (status, got) = run(Emulator::new(g), &["sigrun"], &tag);
        assert!(status.success(), "{tag}: {got:?}");
        assert_eq!(got["signalled"], "5", "{tag}: {got:?}");
        assert_eq!(got["exit_intr"], "5", "{tag}: {got:?}");
        assert_eq!(got["other"], "0", "{tag}: {got:?}");
        // A signal landing in a run's last slice ends it with the budget:
        // at least one of five runs must end sooner.
        let short: u32 = got["short"].parse().unwrap();
        assert!(short >= 1, "{tag}: {got:?}");
    }
}

/// A `UCAS_MAP` waiting for another thread's `KVM_RUN` of the same vcpu
/// is not ended by a signal: the kernel waits for the vcpu mutex killably,
/// so the call finishes and only then does the handler run. The emulator's
/// filter asks for a killable wait once a call is received
/// (`SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV`); without it, such calls
/// answered EINTR, after which `Vcpu::map` would have to assume a partial
/// map. The run is held up on a userfaultfd page, so the map is signalled
/// only after waiting 300 ms (an earlier form signalled calls 5 ms old and
/// failed once in five suite runs on a loaded machine: a call not yet
/// received may end with EINTR, RELIABILITY.md says why).
#[test]
fn a_signal_does_not_end_a_map_queued_behind_a_run() {
    let (status, got) = run(emu(), &["queuedmap"], "queuedmap");
    if got.get("uffd").is_some_and(|u| u.starts_with("-1/")) {
        eprintln!(
            "!! SKIPPED: userfaultfd is not allowed here (needs root or vm.unprivileged_userfaultfd=1)"
        );
        return;
    }
    assert!(status.success(), "{status:?} {got:?}");
    assert_eq!(got["run_fault"], "1", "{got:?}");
    assert_eq!(got["signals"], "3", "{got:?}");
    assert_eq!(got["handled"], "1", "{got:?}");
    assert_eq!(got["map"], "0", "{got:?}");
    assert_eq!(got["run"], "-1/EINTR", "{got:?}");
}

/// The floor answers every notified ioctl with 0 (the kernel says ENOTTY
/// for a KVM request on /dev/null) and stops at its goodbye; with either
/// wake-up it returns the program's status.
#[test]
fn the_floor_answers_kvm_ioctls_and_ends_on_its_goodbye() {
    let plain = native(&["floor"]);
    assert_eq!(plain["check_extension"], "-1/ENOTTY");
    assert_eq!(plain["end"], "-1/ENOTTY");
    for (tag, wake) in [("sync", WakeUp::Sync), ("default", WakeUp::Default)] {
        let out = tmp(&format!("floor-{tag}.out"));
        let mut cmd = Command::new(probe());
        cmd.arg("floor")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap());
        let status = floor::run(cmd, wake).expect("the floor runs");
        assert!(status.success(), "{tag}");
        let got = parse(&std::fs::read_to_string(&out).unwrap());
        assert_eq!(got["check_extension"], "0", "{tag}");
        assert_eq!(got["end"], "0", "{tag}");
    }
}

/// A program keeping vcpus without end gets ENOMEM at the emulator's limit
/// of live vcpus instead of taking the host's memory (1.5 MiB each).
#[test]
fn live_vcpus_are_bounded() {
    let limit = ucas_emulator::LIVE_VCPUS_MAX;
    let (status, got) = run(emu(), &["hoard", &(limit + 10).to_string()], "hoard");
    assert!(status.success(), "{got:?}");
    assert_eq!(got["vcpus"], limit.to_string(), "{got:?}");
    assert_eq!(got["last"], "-1/ENOMEM", "{got:?}");
}

/// A thread execs while the main thread's guest stores in a loop inside
/// `KVM_RUN`: the exec kills the main thread, and the new image (a static
/// program with its own page at the address the guest stores to) must not
/// see a single guest store.
#[test]
fn a_guest_cannot_write_into_the_image_an_exec_loads() {
    let victim = ucas_tests::static_c_program("exec_victim");
    let out = Command::new(&victim).arg("where").output().unwrap();
    let page = parse(&String::from_utf8(out.stdout).unwrap())["page"].clone();
    let victim = victim.to_str().unwrap();
    for g in Generation::ALL {
        let tag = format!("execrace-{}", g.letter());
        let (status, got) = run(Emulator::new(g), &["execrace", victim, &page], &tag);
        assert_eq!(
            got.get("victim_intact").map(String::as_str),
            Some("1"),
            "{g:?}: {got:?}"
        );
        assert!(status.success(), "{g:?}: {status} {got:?}");
    }
}

/// `ucas_probe guestmem WHAT` on generation `g`: one guest program's run.
fn guestmem(g: Generation, what: &str) -> BTreeMap<String, String> {
    let tag = format!("guestmem-{what}-{}", g.letter());
    let (status, got) = run(Emulator::new(g), &["guestmem", what], &tag);
    assert!(status.success(), "{g:?} {what}: {status} {got:?}");
    got
}

/// The exit of a guest store the caller's memory cannot take at vcpu page
/// `page`, the same as for a segment without user memory: a ucontrol exit
/// on generation A, `EFAULT` on B and C; the store nullified.
fn assert_store_failed(g: Generation, got: &BTreeMap<String, String>, page: &str) {
    if g.missing_user_memory_exits() {
        assert_eq!(got["run"], "0", "{g:?}: {got:?}");
        assert_eq!(
            got["exit_reason"],
            ucas_core::abi::KVM_EXIT_S390_UCONTROL.to_string(),
            "{g:?}: {got:?}"
        );
        assert_eq!(got["trans_exc_code"], page, "{g:?}: {got:?}");
    } else {
        assert_eq!(got["run"], "-1/EFAULT", "{g:?}: {got:?}");
    }
    assert_eq!(got["psw_addr"], "0x10000", "{g:?}: {got:?}");
}

/// A guest store into a page the caller mapped read-only changes nothing
/// and fails as a store into missing memory does.
#[test]
fn guest_stores_into_read_only_pages_change_nothing() {
    for g in Generation::ALL {
        let got = guestmem(g, "rostore");
        assert_store_failed(g, &got, "0x101000");
        assert_eq!(got["data_0x1000"], "22222222", "{g:?}: {got:?}");
    }
}

/// An `STG` whose second half lies in a read-only page stores nothing, not
/// even its first half, as on the machine.
#[test]
fn guest_stores_across_into_a_read_only_page_store_nothing() {
    for g in Generation::ALL {
        let got = guestmem(g, "straddle");
        assert_store_failed(g, &got, "0x101000");
        assert_eq!(got["data_0xffc"], "11111111", "{g:?}: {got:?}");
        assert_eq!(got["data_0x1000"], "22222222", "{g:?}: {got:?}");
    }
}

/// One user page mapped at two vcpu segments: a load through one alias
/// sees the store just made through the other, within the same run.
#[test]
fn aliases_of_one_user_page_see_each_others_stores() {
    for g in Generation::ALL {
        let got = guestmem(g, "alias");
        assert_eq!(got["run"], "0", "{g:?}: {got:?}");
        assert_eq!(got["psw_addr"], "0x10010", "{g:?}: {got:?}");
        assert_eq!(got["r2"], "0x11111111", "{g:?}: {got:?}");
        assert_eq!(got["r3"], "0x33333333", "{g:?}: {got:?}");
        assert_eq!(got["data_0x800"], "33333333", "{g:?}: {got:?}");
    }
}

/// The same with code: an instruction stored through one alias is what a
/// branch through the other executes.
#[test]
fn aliases_of_one_user_page_execute_each_others_stores() {
    for g in Generation::ALL {
        let got = guestmem(g, "aliascode");
        assert_eq!(got["run"], "0", "{g:?}: {got:?}");
        assert_eq!(
            got["exit_reason"],
            ucas_core::abi::KVM_EXIT_S390_SIEIC.to_string(),
            "{g:?}: {got:?}"
        );
        assert_eq!(got["ipa"], "0x8300", "{g:?}: {got:?}");
        assert_eq!(got["psw_addr"], "0x200804", "{g:?}: {got:?}");
    }
}

/// A guest load from a page the caller mapped `PROT_NONE` fails as one
/// from missing memory does, and loads nothing.
#[test]
fn guest_loads_from_inaccessible_pages_fail() {
    for g in Generation::ALL {
        let got = guestmem(g, "noneload");
        assert_store_failed(g, &got, "0x101000");
        assert_eq!(got["r2"], "0", "{g:?}: {got:?}");
    }
}

/// `KVM_GET_DEVICE_ATTR` stores its value as `put_user` does: into
/// writable memory, and not at all (`EFAULT`, nothing changed) into a
/// read-only page or across into one.
#[test]
fn device_attr_stores_respect_read_only_pages() {
    for g in Generation::ALL {
        let tag = format!("attrstore-{}", g.letter());
        let (status, got) = run(Emulator::new(g), &["attrstore"], &tag);
        assert!(status.success(), "{g:?}: {got:?}");
        assert_eq!(got["get_writable"], "0", "{g:?}: {got:?}");
        assert_eq!(got["at_0"], "ffffffff", "{g:?}: {got:?}");
        assert_eq!(got["get_readonly"], "-1/EFAULT", "{g:?}: {got:?}");
        assert_eq!(got["get_straddling"], "-1/EFAULT", "{g:?}: {got:?}");
        assert_eq!(got["at_0xffc"], "11111111", "{g:?}: {got:?}");
        assert_eq!(got["at_0x1000"], "11111111", "{g:?}: {got:?}");
    }
}

/// A `KVM_RUN` whose caller is killed ends within 65536 instructions,
/// well before its budget, even when its guest touches no memory: the run
/// asks whether the call is still pending every 65536 instructions.
#[test]
fn a_run_whose_caller_is_gone_ends_at_once() {
    for g in Generation::ALL {
        let sink = TraceBuffer::default();
        let tag = format!("killrun-{}", g.letter());
        let (status, got) = run(Emulator::new(g).trace_to(sink.clone()), &["killrun"], &tag);
        assert_eq!(status.signal(), Some(9), "{g:?}: {status} {got:?}");
        let text = sink.text();
        let runs: Vec<u64> = text
            .lines()
            .filter(|l| l.contains("KVM_RUN("))
            .map(|l| {
                let n = l.rsplit(", ").next().unwrap();
                n.trim_end_matches(" instructions)").parse().unwrap()
            })
            .collect();
        assert!(runs.len() >= 2, "{g:?}: {text}");
        assert_eq!(runs[0], ucas_emulator::RUN_BUDGET, "{g:?}: {text}");
        // Killed a third into its budget, it stopped at the next check.
        let last = *runs.last().unwrap();
        assert!(
            last < ucas_emulator::RUN_BUDGET && last.is_multiple_of(65_536),
            "{g:?}: the last run went on: {text}"
        );
    }
}

/// A thread blocked in an emulated call on its own memory (a userfaultfd
/// page nobody has filled: under a `UCAS_MAP` argument, then under the code
/// of a vcpu's run) holds up no other call: the kvm fd and another vcpu are
/// served meanwhile, as the kernel's per-object locks allow. Before the
/// argument was read ahead of the state lock, the first call that needed
/// the lock waited as long as the page stayed empty (the probe's alarm
/// ended it: exit by SIGALRM).
#[test]
fn a_call_blocked_on_its_own_memory_holds_up_no_other() {
    let (status, got) = run(emu(), &["stall"], "stall");
    if got.get("uffd").is_some_and(|u| u.starts_with("-1/")) {
        eprintln!(
            "!! SKIPPED: userfaultfd is not allowed here (needs root or vm.unprivileged_userfaultfd=1)"
        );
        return;
    }
    assert!(status.success(), "{status:?} {got:?}");
    for part in ["arg", "run", "fault", "oneset", "oneget"] {
        assert_eq!(got[&format!("{part}_fault")], "1", "{got:?}");
        assert_eq!(got[&format!("{part}_check_extension")], "1", "{got:?}");
        assert_eq!(got[&format!("{part}_other_map")], "0", "{got:?}");
        assert_eq!(got[&format!("{part}_other_unmap")], "0", "{got:?}");
    }
    // The blocked calls themselves finish once the page is filled.
    assert_eq!(got["arg_map"], "0", "{got:?}");
    assert_eq!(got["run"], "-1/EINTR", "{got:?}");
    assert_eq!(got["fault_map"], "0", "{got:?}");
    assert_eq!(got["fault"], "0", "{got:?}");
    // The timer set from the filled page is the one read back.
    assert_eq!(got["oneset"], "0", "{got:?}");
    assert_eq!(got["oneget"], "0", "{got:?}");
    assert_eq!(got["oneget_value"], "0x1234", "{got:?}");
}

/// `KVM_IRQFD` and `KVM_IOEVENTFD` on ucontrol VMs: every check in the
/// kernel's order (`virt/kvm/eventfd.c`, read at 6.17 and 7.0; no ucontrol
/// check in either), per generation. Before they were modelled, each call
/// answered ENOTTY.
#[test]
fn irqfd_and_ioeventfd_answer_as_the_kernel() {
    let common: &[(&str, &str)] = &[
        ("irqfd_bad_flags", "-1/EINVAL"),
        ("irqfd_closed", "-1/EBADF"),
        ("irqfd_not_eventfd", "-1/EINVAL"),
        ("irqfd_bad_resample", "-1/EBADF"),
        ("irqfd", "0"),
        // The same eventfd again (any gsi): EBUSY, but only after the fd
        // checks.
        ("irqfd_again", "-1/EBUSY"),
        ("irqfd_again_bad_resample", "-1/EBADF"),
        // Detaching matches eventfd and gsi; no match is still 0.
        ("irqfd_detach_other_gsi", "0"),
        ("irqfd_still", "-1/EBUSY"),
        ("irqfd_detach", "0"),
        ("irqfd_after_detach", "0"),
        ("irqfd_detach_closed", "-1/EBADF"),
        ("irqfd_detach_not_eventfd", "-1/EINVAL"),
        ("irqfd_e2", "0"),
        // The closed eventfd's irqfd went with it; a new one is new.
        ("irqfd_new_eventfd", "0"),
        ("io_bad_len", "-1/EINVAL"),
        ("io_wraps", "-1/EINVAL"),
        ("io_bad_flags", "-1/EINVAL"),
        ("io_len0_datamatch", "-1/EINVAL"),
        // Bit 4 (fast MMIO) is inside the valid mask.
        ("io_closed", "-1/EBADF"),
        ("io_not_eventfd", "-1/EINVAL"),
        ("io_dm1", "0"),
        ("io_dm2", "0"),
        ("io_wildcard", "-1/EEXIST"),
        ("io_len0", "-1/EEXIST"),
        ("io_len4", "0"),
        ("io_pio", "0"),
        ("io_mmio", "0"),
        ("io_fast_mmio_bit", "0"),
        ("io_other_vm", "0"),
        ("io_detach_other_eventfd", "-1/ENOENT"),
        ("io_detach_unchecked", "-1/ENOENT"),
        ("io_detach_closed", "-1/EBADF"),
        ("io_detach", "0"),
        ("io_detach_again", "-1/ENOENT"),
    ];
    for g in Generation::ALL {
        let (status, got) = run(Emulator::new(g), &["eventfds"], &format!("eventfds-{g:?}"));
        assert!(status.success(), "{g:?}: {got:?}");
        // An eventfd that is another VM's irqfd: the per-VM list scan of
        // 6.8 and 6.14, the eventfd's exclusive waiter from 6.17 on.
        let other_vm = if g == Generation::C { "-1/EBUSY" } else { "0" };
        let wrong: Vec<String> = common
            .iter()
            .copied()
            .chain([("irqfd_other_vm", other_vm)])
            .filter(|(k, v)| got.get(*k).map(String::as_str) != Some(*v))
            .map(|(k, v)| format!("{k}: emulated {:?}, the kernel {v}", got.get(k)))
            .collect();
        assert!(wrong.is_empty(), "{g:?}:\n{}", wrong.join("\n"));
    }
}

/// What releases of generation C after 7.0 added, by `--kernel` release
/// (the kernel sources of 7.1 and 7.2 and their s390 pulls):
/// `KVM_CAP_S390_VSIE_ESAMODE` (248) answers 1 and can be enabled on any
/// VM from 7.1; `KVM_CAP_PRE_FAULT_MEMORY` (236) answers 1 from 7.2, where
/// `KVM_PRE_FAULT_MEMORY` refuses a ucontrol vcpu with EINVAL (before: an
/// ioctl s390 does not know, ENOTTY). Before, `--kernel 7.1` and `7.2`
/// modelled 7.0. `KVM_CAP_S390_HPAGE_2G` (249, 7.2) answers 0 (module
/// parameter `hpage_2g` off) and refuses enabling with EBUSY once a vcpu
/// exists, else EINVAL (before 7.2: EINVAL, unknown). A regular VM's frame
/// outside every slot: A and B EFAULT (through the slots); C's walk meets
/// an addressing exception, which 7.0 and 7.1 hand on as the value 5 of
/// `GET/SET_SKEYS` and as the key of a successful `KVM_S390_KEYOP` (ISKE:
/// 5; SSKE: the key given, nothing set), 7.2 as EFAULT (d699986f11bf).
#[test]
fn releases_after_7_0_answer_what_they_added() {
    let cases: [(Emulator, &str, [&str; 4]); 5] = [
        (
            Emulator::new(Generation::A),
            "6.8",
            ["0", "0", "-1/EINVAL", "-1/ENOTTY"],
        ),
        (
            Emulator::new(Generation::B),
            "6.14",
            ["0", "0", "-1/EINVAL", "-1/ENOTTY"],
        ),
        (
            Emulator::new(Generation::C).release(7, 0),
            "7.0",
            ["0", "0", "-1/EINVAL", "-1/ENOTTY"],
        ),
        (
            Emulator::new(Generation::C).release(7, 1),
            "7.1",
            ["1", "0", "0", "-1/ENOTTY"],
        ),
        (
            Emulator::new(Generation::C).release(7, 2),
            "7.2",
            ["1", "1", "0", "-1/EINVAL"],
        ),
    ];
    for (emu, kernel, [esamode, prefault_cap, enable, prefault]) in cases {
        let leaks = kernel == "7.0" || kernel == "7.1";
        let past = if leaks { "5" } else { "-1/EFAULT" };
        let keyop = match kernel {
            "6.8" | "6.14" => "-1/ENOTTY",
            _ if leaks => "0",
            _ => "-1/EFAULT",
        };
        let (status, got) = run(emu, &["release"], &format!("release-{kernel}"));
        assert!(status.success(), "{kernel}: {got:?}");
        for (key, want) in [
            ("kvm_esamode", esamode),
            ("vm_esamode", esamode),
            ("kvm_prefault", prefault_cap),
            ("vm_prefault", prefault_cap),
            ("enable_esamode", enable),
            ("prefault", prefault),
            // The range is written back unchanged.
            ("prefault_left", "4096"),
            ("kvm_hpage_2g", "0"),
            ("vm_hpage_2g", "0"),
            (
                "enable_hpage_2g_with_vcpu",
                if kernel == "7.2" {
                    "-1/EBUSY"
                } else {
                    "-1/EINVAL"
                },
            ),
            ("enable_hpage_2g", "-1/EINVAL"),
            ("skeys_in_slot", "0"),
            ("set_skeys_past", past),
            ("get_skeys_past", past),
            ("get_skeys_past_copied", "0xee"),
            ("iske_past", keyop),
            ("iske_past_key", if keyop == "0" { "0x5" } else { "0x40" }),
            ("sske_past", keyop),
            ("sske_past_key", "0x40"),
        ] {
            assert_eq!(
                got.get(key).map(String::as_str),
                Some(want),
                "{kernel} {key}: {got:?}"
            );
        }
    }
}
