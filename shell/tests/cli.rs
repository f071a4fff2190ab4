//! The `ucas` binary as a user runs it: output, stderr and exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ucas(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ucas"))
        .args(args)
        .output()
        .expect("run ucas")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn plan_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ucas-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(contents))
        .expect("write plan");
    path
}

#[test]
fn help_and_version() {
    for args in [
        &["--help"][..],
        &["help"],
        &["help", "plan"],
        &["probe", "--help"],
        &["plan", "--help"],
        &["demo", "--help"],
        &["help", "demo"],
    ] {
        let out = ucas(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(text(&out.stdout).contains("Usage: ucas"), "{args:?}");
    }
    let out = ucas(&["--version"]);
    assert!(text(&out.stdout).starts_with("ucas "));
}

#[test]
fn bad_usage_is_exit_2_on_stderr() {
    for args in [
        &["frobnicate"][..],
        &["probe", "--bogus"],
        &["plan"],
        &["plan", "check"],
        &["plan", "lint", "x"],
        &["plan", "check", "x", "--kernel", "2.6"],
        &["plan", "check", "x", "--capacity", "0"],
        &["help", "nope"],
        &["demo", "--kernel", "2.6"],
        &["demo", "--bogus"],
        &["demo", "extra"],
    ] {
        let out = ucas(args);
        if args == ["plan"] {
            // `ucas plan` alone prints the plan help.
            assert_eq!(out.status.code(), Some(0));
            continue;
        }
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!text(&out.stderr).is_empty(), "{args:?}");
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn probe_on_this_machine_says_why_not() {
    if !std::path::Path::new("/dev/kvm").exists() {
        eprintln!("!! NOTICE: no /dev/kvm here; probe_on_this_machine_says_why_not checks less");
    }
    let out = ucas(&["probe", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let json = text(&out.stdout);
    assert!(json.contains(r#""ucontrol_capability":false"#), "{json}");
    assert!(json.contains(r#""ucontrol_vm":false"#), "{json}");
    if std::path::Path::new("/dev/kvm").exists() {
        assert!(json.contains(r#""api_version":12"#), "{json}");
        assert!(json.contains("this host is x86_64"), "{json}");
    }
    let out = ucas(&["probe"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("ucontrol VM"));
}

#[test]
fn good_plan_prints_each_vcpu() {
    let path = plan_file(
        "good.plan",
        b"memory 8M\nvcpu 3\nmap vcpu=0 user=0 len=4M\nunmap vcpu=1M len=1M\n",
    );
    let out = ucas(&["plan", "check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(
        report.contains("vcpu 3: 2 extents of 256, 3 MiB mapped"),
        "{report}"
    );
    assert!(
        report.contains(
            "vcpu 0x0000000000200000-0x00000000003fffff -> user +0x200000-+0x3fffff  2 MiB"
        ),
        "{report}"
    );
    let out = ucas(&[
        "plan",
        "check",
        path.to_str().unwrap(),
        "--json",
        "--capacity",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains(r#""ok":false"#));
}

#[test]
fn rejected_lines_are_file_line_col() {
    let path = plan_file("bad.plan", b"memory 8M\nvcpu 0\nmap vcpu=0x100001 user=0 len=1M\n  map vcpu=0 user=0 len=99999999999999999999\n");
    let p = path.to_str().unwrap();
    let out = ucas(&["plan", "check", p]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines[0].starts_with(&format!("{p}:3:1: ")), "{err}");
    assert!(
        lines[0].contains("vcpu_addr 0x100001 is not 1 MiB aligned"),
        "{err}"
    );
    assert!(lines[1].starts_with(&format!("{p}:4:")), "{err}");
    // apply refuses a rejected plan before touching any device.
    let out = ucas(&["plan", "apply", p]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nothing was applied"));
}

#[test]
fn unreadable_plans_get_one_message() {
    let empty = plan_file("empty.plan", b"  \n# only a comment\n");
    let binary = plan_file("binary.plan", b"memory 8M\nvc\xffpu 0\n");
    let nul = plan_file("nul.plan", b"memory 8M\0\n");
    let cases = [
        (
            empty.to_str().unwrap().to_string(),
            ":1:1: the plan is empty",
        ),
        (binary.to_str().unwrap().to_string(), ":2:3: not UTF-8"),
        (nul.to_str().unwrap().to_string(), ":1:10: NUL byte"),
        ("/nonexistent/x.plan".to_string(), ":1:1: no such file"),
    ];
    for (file, want) in cases {
        let out = ucas(&["plan", "check", &file]);
        assert_eq!(out.status.code(), Some(2), "{file}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with(&format!("{file}{want}")), "{err}");
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn apply_without_ucontrol_says_why() {
    let path = plan_file(
        "apply.plan",
        b"memory 4M\nvcpu 0\nmap vcpu=0 user=0 len=4M\n",
    );
    let out = ucas(&["plan", "apply", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("KVM_CREATE_VM") || err.contains("open KVM device"),
        "{err}"
    );
}

/// The lines `ucas demo` prints after its header, with the user addresses
/// (which vary) left out.
const DEMO_STEPS: &[&str] = &[
    "map vcpu 0x0..0x400000 → user 0x",
    "run → ucontrol exit at vcpu 0x400000 (segment not mapped), r0 = 1, PSW at 0x300008",
    "map vcpu 0x400001..0x600001 → refused: ",
    "map vcpu 0x400000..0x600000 → user 0x",
    "run → DIAG 0x44 intercept, r0 = 2, r1 = 0x55, PSW at 0x30001c; vcpu 0x400001 holds 0x55",
    "unmap vcpu 0x400000..0x600000",
    "run → ucontrol exit at vcpu 0x400000 (segment not mapped), r0 = 3, PSW at 0x300008",
    "map vcpu 0x400000..0x500000 → user 0x",
    "run → DIAG 0x44 intercept, r0 = 4, r1 = 0x55, PSW at 0x30001c",
    "ucas demo: the ucontrol loop works: 4 runs, 2 ucontrol exits, 2 DIAG intercepts.",
];

fn assert_demo_steps(stdout: &str) {
    let steps: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("run ") || l.starts_with("map ") || l.starts_with("unmap "))
        .chain(stdout.lines().filter(|l| l.contains("loop works")))
        .collect();
    assert_eq!(steps.len(), DEMO_STEPS.len(), "{stdout}");
    for (got, want) in steps.iter().zip(DEMO_STEPS) {
        assert!(
            got.starts_with(want),
            "{got:?} should start with {want:?}\n{stdout}"
        );
    }
}

#[test]
fn demo_runs_the_loop_and_says_where() {
    // This machine has no ucontrol: the demo says so and uses the emulator.
    let out = ucas(&["demo"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    if !stdout.contains("using its KVM") {
        assert!(
            stdout.contains("ucas demo: this host cannot run ucontrol VMs: "),
            "{stdout}"
        );
        assert!(
            stdout.contains(
                "running the demo under the ucas emulator, modelling a kernel of generation C"
            ),
            "{stdout}"
        );
    }
    assert_demo_steps(&stdout);
}

#[test]
fn demo_under_each_modelled_kernel() {
    for (kernel, generation) in [("6.8", "A"), ("6.14", "B"), ("7.0", "C")] {
        let out = ucas(&["demo", "--kernel", kernel]);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
        assert!(
            stdout.contains(&format!("modelling a kernel of generation {generation} ")),
            "{stdout}"
        );
        assert!(!stdout.contains("cannot run ucontrol VMs"), "{stdout}");
        assert_demo_steps(&stdout);
    }
}

/// `ucas emulate --trace=insn` shows the demo guest's instructions as they
/// run (the store the first ucontrol exit nullifies twice), not the calls;
/// `--trace=calls,insn` shows both. The demo itself is unchanged.
#[test]
fn emulate_traces_the_guest_instructions() {
    let bin = env!("CARGO_BIN_EXE_ucas");
    let out = ucas(&["emulate", "--trace=insn", "--", bin, "demo"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert_demo_steps(&stdout);
    let insns: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.split_once("] insn ").map(|(_, i)| i))
        .collect();
    assert_eq!(
        insns[..4],
        [
            "0x300000 b9820000     xgr %r0,%r0",
            "0x300004 a70a0001     ahi %r0,1",
            "0x300008 50156000     st %r1,0(%r5,%r6)",
            "0x300008 50156000     st %r1,0(%r5,%r6)",
        ],
        "{stderr}"
    );
    assert!(!stderr.contains("KVM_RUN("), "{stderr}");
    let out = ucas(&["emulate", "--trace=calls,insn", "--", bin, "demo"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("KVM_RUN(0) = 0 (ucontrol exit"), "{stderr}");
    assert!(
        stderr.contains("] insn 0x300000 b9820000     xgr %r0,%r0"),
        "{stderr}"
    );
}

/// `plan apply` under `ucas emulate --enomem-after`: the failing line is
/// named with what ucas did about it, the exit status is 1, and no VM keeps
/// a mapping the report does not mention (the state file).
#[cfg(target_os = "linux")]
#[test]
fn apply_reports_an_injected_enomem_with_its_line() {
    let path = plan_file(
        "enomem.plan",
        b"memory 16M\nvcpu 0\nmap vcpu=8M user=8M len=1M\nmap vcpu=0 user=0 len=8M\n",
    );
    for kernel in ["6.8", "6.14", "7.0"] {
        let state = path.with_extension(format!("{kernel}.json"));
        let out = Command::new(env!("CARGO_BIN_EXE_ucas"))
            .args([
                "emulate",
                "--kernel",
                kernel,
                "--enomem-after",
                "4",
                "--state-out",
            ])
            .arg(&state)
            .args(["--", env!("CARGO_BIN_EXE_ucas"), "plan", "apply"])
            .arg(&path)
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{kernel}: {err}");
        assert!(
            err.contains(": line 4: KVM_S390_UCAS_MAP: ")
                && err.contains("partway through mapping vcpu 0x0+0x800000")
                && err.contains("ucas unmapped vcpu 0x0+0x800000"),
            "{kernel}: {err}"
        );
        // Line 3's segment stays; line 4's range is unmapped on every
        // generation (C kept 3 segments, which ucas then unmapped).
        let json = std::fs::read_to_string(&state).unwrap();
        let parsed = ucas_emulator::State::parse(&json).unwrap();
        let extents = &parsed.vms[0].vcpus[0].extents;
        assert!(
            extents.len() == 1 && extents[0].vcpu_addr == 8388608,
            "{kernel}: {json}"
        );
    }
}

/// `ucas emulate`'s exit status: the program's, 128+N for signal N, 127 not
/// found, 126 not executable, 125 the emulator's own failure, 2 bad usage.
#[test]
fn emulate_exit_codes() {
    let code = |args: &[&str]| ucas(args).status.code();
    assert_eq!(
        code(&["emulate", "--kernel", "6.8", "--", "sh", "-c", "exit 7"]),
        Some(7)
    );
    assert_eq!(
        code(&["emulate", "--kernel", "6.8", "--", "sh", "-c", "kill -9 $$"]),
        Some(128 + 9)
    );
    assert_eq!(
        code(&["emulate", "/nonexistent/ucas-no-such-program"]),
        Some(127)
    );
    assert_eq!(code(&["emulate", "--nope"]), Some(2));
    assert_eq!(code(&["emulate", "--help"]), Some(0));
    assert_eq!(code(&["emulate", "--kernel", "2.6", "--", "true"]), Some(2));
    // The emulator's own failure is 125, even when its cause is a missing file.
    assert_eq!(
        code(&[
            "emulate",
            "--state-out",
            "/nonexistent-dir/s.json",
            "--",
            "true"
        ]),
        Some(125)
    );
    // Found but not executable.
    let plain = plan_file("not-executable", b"data");
    std::fs::set_permissions(&plain, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    assert_eq!(code(&["emulate", "--", plain.to_str().unwrap()]), Some(126));
}

/// Runs `ucas args`, killing it after `secs` seconds: a test of something
/// that used to hang must fail, not hang.
fn ucas_within(secs: u64, args: &[&std::ffi::OsStr]) -> Output {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ucas"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ucas");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("wait");
            panic!(
                "ucas {args:?} still running after {secs} s; stderr: {}",
                text(&out.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("wait")
}

/// A plan that is not a regular file is refused before it is read (a FIFO
/// would block, /dev/zero never ends), and a regular one is read only up to
/// the 1 MiB cap.
#[test]
fn plans_that_are_not_regular_files_or_too_big_are_refused() {
    use std::ffi::OsStr;
    let fifo = plan_file("fifo.plan", b"").with_file_name("fifo.plan.fifo");
    let _ = std::fs::remove_file(&fifo);
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let dir = fifo.parent().unwrap().to_path_buf();
    let cases: [(&OsStr, &str); 4] = [
        (
            fifo.as_os_str(),
            ":1:1: cannot read it: a FIFO, not a regular file",
        ),
        (
            OsStr::new("/dev/zero"),
            ":1:1: cannot read it: a character device, not a regular file",
        ),
        (
            dir.as_os_str(),
            ":1:1: cannot read it: a directory, not a regular file",
        ),
        (
            OsStr::new("/dev/null"),
            ":1:1: cannot read it: a character device, not a regular file",
        ),
    ];
    for (file, want) in cases {
        let out = ucas_within(10, &[OsStr::new("plan"), OsStr::new("check"), file]);
        assert_eq!(out.status.code(), Some(2), "{file:?}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!("{}{want}", file.to_string_lossy())),
            "{err}"
        );
    }
    // Comment lines, one byte past the cap; at the cap it is read.
    let mut big = b"memory 8M\nvcpu 0\nmap vcpu=0 user=0 len=1M\n".to_vec();
    big.resize(1 << 20, b'\n');
    let at_cap = plan_file("at-cap.plan", &big);
    big.push(b'\n');
    let over = plan_file("over-cap.plan", &big);
    let out = ucas_within(
        10,
        &[OsStr::new("plan"), OsStr::new("check"), at_cap.as_os_str()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = ucas_within(
        10,
        &[OsStr::new("plan"), OsStr::new("check"), over.as_os_str()],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains(":1:1: larger than 1 MiB"), "{err}");
}

/// `--state-out` naming a FIFO or a device is bad usage, refused before the
/// program runs; a state file that cannot be written after the program ran
/// is exit status 124, with the program's own status in the message.
#[test]
fn state_out_is_a_regular_file_written_or_reported() {
    use std::ffi::OsStr;
    let marker = plan_file("ran.marker", b"");
    let fifo = marker.with_file_name("state.fifo");
    let _ = std::fs::remove_file(&fifo);
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for target in [fifo.as_os_str(), OsStr::new("/dev/full")] {
        std::fs::remove_file(&marker).unwrap_or(());
        let out = ucas_within(
            10,
            &[
                OsStr::new("emulate"),
                OsStr::new("--state-out"),
                target,
                OsStr::new("--"),
                OsStr::new("touch"),
                marker.as_os_str(),
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{target:?}");
        let err = text(&out.stderr);
        assert!(err.contains("not a regular file"), "{err}");
        assert!(
            !marker.exists(),
            "the program ran despite --state-out {target:?}"
        );
    }
    // A file size limit of 0 (with SIGXFSZ ignored) makes the write fail
    // with EFBIG once the program has ended.
    let state = marker.with_file_name("limited.json");
    let out = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 0; exec \"$0\" emulate --state-out \"$1\" -- sh -c 'exit 3'")
        .arg(env!("CARGO_BIN_EXE_ucas"))
        .arg(&state)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(124), "{err}");
    assert!(err.contains("cannot write the state file"), "{err}");
    assert!(err.contains("exit status: 3"), "{err}");
}

/// Killing `ucas emulate` (even by SIGKILL, which it cannot catch) takes the
/// program with it instead of leaving it running unsupervised.
#[test]
fn killing_the_emulator_kills_the_program() {
    let pid_file = plan_file("orphan.pid", b"");
    std::fs::remove_file(&pid_file).unwrap();
    let mut emu = Command::new(env!("CARGO_BIN_EXE_ucas"))
        .args([
            "emulate",
            "--",
            "sh",
            "-c",
            "echo $$ > \"$0.tmp\"; mv \"$0.tmp\" \"$0\"; exec sleep 100",
        ])
        .arg(&pid_file)
        .spawn()
        .expect("run ucas");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let pid: u32 = loop {
        if let Ok(t) = std::fs::read_to_string(&pid_file) {
            break t.trim().parse().expect("a pid");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the program did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    emu.kill().unwrap();
    emu.wait().unwrap();
    // Gone, or a zombie waiting for whoever reaps orphans here.
    let alive = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            s.rsplit_once(") ")
                .is_some_and(|(_, rest)| !rest.starts_with('Z'))
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while alive() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    if alive() {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        panic!("the program (pid {pid}) outlived ucas emulate by 5 s");
    }
}

/// The emulator's own messages on a stderr nobody reads (a pipe whose
/// reader is gone) are dropped, not a panic that kills the emulator: here
/// the note that a ucontrol VM needs CAP_SYS_ADMIN, for a program run
/// without it.
#[test]
fn emulator_serves_on_with_a_broken_stderr() {
    let plan = plan_file(
        "noadmin.plan",
        b"memory 4M\nvcpu 0\nmap vcpu=0 user=0 len=4M\n",
    );
    let inner = plan.with_file_name("noadmin.status");
    for trace in [None, Some("--trace")] {
        let _ = std::fs::remove_file(&inner);
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_ucas"))
            .arg("emulate")
            .args(trace)
            .args(["--", "setpriv", "--bounding-set=-sys_admin", "--"])
            .args([
                "sh",
                "-c",
                "\"$0\" plan apply \"$1\" 2>/dev/null; echo $? > \"$2\"; exit 3",
            ])
            .arg(env!("CARGO_BIN_EXE_ucas"))
            .arg(&plan)
            .arg(&inner)
            .stderr(writer)
            .output()
            .expect("run ucas");
        assert_eq!(out.status.code(), Some(3), "{trace:?}");
        // The program was answered: `plan apply` found no ucontrol VM (exit 1).
        assert_eq!(
            std::fs::read_to_string(&inner).unwrap().trim(),
            "1",
            "{trace:?}"
        );
    }
}

/// Waits (10 s at most) for `ucas emulate` to end.
fn wait_ending(emu: &mut std::process::Child, what: &str) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(s) = emu.try_wait().unwrap() {
            return s;
        }
        if std::time::Instant::now() > deadline {
            let _ = emu.kill();
            panic!("{what}: ucas emulate still running after 10 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Waits (10 s at most) for the program to write its pid file.
fn wait_started(pid_file: &Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !pid_file.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the program did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn kill(sig: &str, pid: u32) {
    let sent = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// SIGTERM, SIGINT and SIGHUP sent to `ucas emulate` are passed on to the
/// program, which decides what to do with them (here: exit 5), instead of
/// ending the emulator. The emulator starts with the default dispositions
/// (`env --default-signal`): started in the background by a non-interactive
/// shell, as by a CI runner, this test inherits SIGINT ignored.
#[test]
fn signals_to_the_emulator_reach_the_program() {
    for sig in ["TERM", "INT", "HUP"] {
        let pid_file = plan_file(&format!("forward-{sig}.pid"), b"");
        std::fs::remove_file(&pid_file).unwrap();
        let got = pid_file.with_extension("got");
        let _ = std::fs::remove_file(&got);
        let script = format!(
            "trap 'echo {sig} > \"$1\"; exit 5' {sig}; echo $$ > \"$0.tmp\"; mv \"$0.tmp\" \"$0\"; \
             while :; do sleep 0.05; done"
        );
        // env execs ucas: the pid is the emulator's.
        let mut emu = Command::new("env")
            .arg("--default-signal=TERM,INT,HUP")
            .args([
                env!("CARGO_BIN_EXE_ucas"),
                "emulate",
                "--",
                "sh",
                "-c",
                &script,
            ])
            .arg(&pid_file)
            .arg(&got)
            .spawn()
            .expect("run ucas");
        wait_started(&pid_file);
        kill(sig, emu.id());
        let status = wait_ending(&mut emu, &format!("SIG{sig}"));
        assert_eq!(status.code(), Some(5), "SIG{sig}: {status}");
        assert_eq!(std::fs::read_to_string(&got).unwrap().trim(), sig);
    }
}

/// The `ucontrol VM` line of a `ucas probe` run by `cmd`, which must exit 1
/// (no ucontrol VM).
fn probe_verdict(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run the probe");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    stdout
        .lines()
        .find(|l| l.starts_with("ucontrol VM"))
        .unwrap_or_else(|| panic!("no ucontrol VM line: {stdout}"))
        .to_owned()
}

/// `ucas probe` without CAP_SYS_ADMIN under the emulator (which offers
/// ucontrol) blames the missing capability, not the host's architecture.
#[test]
fn probe_without_cap_sys_admin_under_the_emulator_names_the_capability() {
    let line = probe_verdict(
        Command::new(env!("CARGO_BIN_EXE_ucas"))
            .args([
                "emulate",
                "--",
                "setpriv",
                "--bounding-set=-sys_admin",
                "--",
            ])
            .args([env!("CARGO_BIN_EXE_ucas"), "probe"]),
    );
    assert!(line.contains("CAP_SYS_ADMIN"), "{line}");
    assert!(!line.contains("x86_64"), "{line}");
}

/// CAP_SYS_ADMIN held only inside a user namespace is not the kernel's
/// CAP_SYS_ADMIN (`capable()` asks the initial namespace): the emulator
/// answers EINVAL, whether the program or `ucas emulate` is in it.
#[test]
fn cap_sys_admin_of_a_user_namespace_does_not_count() {
    let ucas = env!("CARGO_BIN_EXE_ucas");
    let in_namespace = ["unshare", "--user", "--map-root-user", "--"];
    // The program in a new user namespace, as its root.
    let line = probe_verdict(
        Command::new(ucas)
            .args(["emulate", "--"])
            .args(in_namespace)
            .args([ucas, "probe"]),
    );
    assert!(line.contains("CAP_SYS_ADMIN"), "{line}");
    // ucas emulate itself in the namespace.
    let line = probe_verdict(
        Command::new(in_namespace[0])
            .args(&in_namespace[1..])
            .args([ucas, "emulate", "--", ucas, "probe"]),
    );
    assert!(line.contains("CAP_SYS_ADMIN"), "{line}");
}

/// The kernel's KEYOP selftest as a C program (`tests/c/keyop_selftest.c`,
/// built with gcc) under `ucas emulate`: all 20 runs pass with
/// `--kernel 7.0`; before 7.0 it skips (exit 4), KEYOP being unknown.
#[test]
fn keyop_selftest_under_ucas_emulate() {
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/c/keyop_selftest.c");
    let program = plan_file("keyop_selftest", b"");
    let built = Command::new("gcc")
        .args(["-Wall", "-Wextra", "-Werror", "-O2", "-o"])
        .arg(&program)
        .arg(src)
        .status()
        .expect("gcc is needed to build the C programs (apt-get install gcc)");
    assert!(built.success(), "gcc failed on {src}");
    let program = program.to_str().unwrap();
    for (kernel, want) in [("7.0", 0), ("6.14", 4), ("6.8", 4)] {
        let out = ucas(&["emulate", "--kernel", kernel, "--", program]);
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(want),
            "{kernel}: {stdout}{}",
            text(&out.stderr)
        );
        let summary = if want == 0 {
            "ok 20 - SSKE (fault-in point 4)\n"
        } else {
            "1..0 # SKIP no KVM_CAP_S390_KEYOP (KVM_S390_KEYOP: ENOTTY)\n"
        };
        assert!(stdout.ends_with(summary), "{kernel}: {stdout}");
    }
}
