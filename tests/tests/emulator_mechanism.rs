//! The emulator's mechanism, driven through `tests/c/ucas_probe.c`: what is
//! emulated and what passes through, exit statuses, argument faults, fd
//! identity, processes and threads, `--enomem-after`, trace and errors.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use ucas::emulator::{Emulator, Generation};

const MIB: u64 = 1 << 20;

/// Compiles `tests/c/ucas_probe.c` with gcc once per test binary.
fn probe() -> PathBuf {
    static DONE: OnceLock<PathBuf> = OnceLock::new();
    DONE.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("c/ucas_probe.c");
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ucas_probe-mechanism");
        let st = Command::new("gcc")
            .args(["-Wall", "-Wextra", "-Werror", "-O2", "-pthread", "-o"])
            .arg(&out)
            .arg(&src)
            .status()
            .expect("gcc is needed to build the probe (apt-get install gcc)");
        assert!(st.success(), "gcc failed on {}", src.display());
        out
    })
    .clone()
}

fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
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
fn cli_exit_codes() {
    let p = probe().into_os_string();
    let cli = |extra: &[&str]| {
        let mut a: Vec<OsString> = vec!["--kernel".into(), "6.8".into(), "--".into(), p.clone()];
        a.extend(extra.iter().map(OsString::from));
        ucas::emulator::cli(&a)
    };
    assert_eq!(cli(&["exit", "7"]), 7);
    assert_eq!(cli(&["signal", "9"]), 128 + 9);
    let missing = vec![OsString::from("/nonexistent/ucas-no-such-program")];
    assert_eq!(ucas::emulator::cli(&missing), 127);
    assert_eq!(ucas::emulator::cli(&[OsString::from("--nope")]), 2);
    // The emulator's own failure is 125, even when its cause is a missing file.
    let bad_state: Vec<OsString> = ["--state-out", "/nonexistent-dir/s.json", "--", "true"]
        .iter()
        .map(OsString::from)
        .collect();
    assert_eq!(ucas::emulator::cli(&bad_state), 125);
    // Found but not executable.
    let plain = tmp("not-executable");
    std::fs::write(&plain, "data").unwrap();
    std::fs::set_permissions(&plain, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    assert_eq!(
        ucas::emulator::cli(&["--".into(), plain.into_os_string()]),
        126
    );
    assert_eq!(
        ucas::emulator::cli(&["--kernel".into(), "2.6".into(), "--".into(), p.clone()]),
        2
    );
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

#[test]
fn ucontrol_vms_need_cap_sys_admin() {
    let (status, got) = run(emu(), &["noadmin"], "noadmin");
    assert!(status.success(), "{got:?}");
    assert_eq!(got["ucontrol_vm"], "-1/EINVAL");
    assert_eq!(got["regular_vm"], "0");
    assert_eq!(got["cap73"], "1");
}

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn trace_has_one_line_per_emulated_call() {
    let sink = Sink::default();
    let (status, _) = run(
        Emulator::new(Generation::B).trace_to(sink.clone()),
        &["efault"],
        "trace",
    );
    assert!(status.success());
    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
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
fn reference(g: Generation, n: u64, base: u64) -> (Vec<&'static str>, String) {
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
    let extents: Vec<String> = ext
        .iter()
        .map(|&(v, u, c)| {
            format!(
                "{{\"vcpu_addr\":{},\"user_addr\":{},\"length\":{}}}",
                v * MIB,
                u * MIB,
                c * MIB
            )
        })
        .collect();
    let json = format!(
        "{{\"generation\":\"{}\",\"vms\":[{{\"vm\":0,\"ucontrol\":true,\"vcpus\":[{{\"id\":0,\"extents\":[{}]}}]}}]}}\n",
        g.letter(),
        extents.join(",")
    );
    (results, json)
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
            let (results, json) = reference(g, n, base);
            for (i, want) in results.iter().enumerate() {
                assert_eq!(got[&format!("map{i}")], *want, "{tag}: map{i}: {got:?}");
            }
            assert_eq!(std::fs::read_to_string(&state).unwrap(), json, "{tag}");
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
