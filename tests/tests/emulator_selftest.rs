//! `tests/c/ucontrol_selftest.c` — the kernel's map/unmap and gprs scenarios
//! in C against `<linux/kvm.h>` and libc, same guest code byte for byte,
//! plus the VM restrictions (memory limit, dirty log, memory regions) —
//! compiled with gcc and run under the emulator of kernel 6.8, 6.14 and
//! 7.0, one kernel of each generation. It must pass on all three.

use std::process::{Command, Stdio};

use ucas_core::Generation;
use ucas_emulator::Emulator;

/// Runs C program `name` with `args` under the emulator of `kernel`, with
/// the trace on; its status, stdout and the trace.
fn run_c(name: &str, args: &[&str], kernel: &str) -> (std::process::ExitStatus, String, String) {
    let generation = Generation::from_kernel_version(kernel).unwrap();
    let out = ucas_tests::scratch().join(format!("{name}-{kernel}.out"));
    let mut cmd = Command::new(ucas_tests::c_program(name));
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap());
    let trace = ucas_tests::TraceBuffer::default();
    let status = Emulator::new(generation)
        .trace_to(trace.clone())
        .run(cmd)
        .expect("the emulator runs");
    let stdout = std::fs::read_to_string(&out).unwrap();
    let trace = trace.text();
    (status, stdout, trace)
}

/// `tests/c/run_latency.c` builds and runs under the emulator (its numbers
/// are for people; nothing here depends on them).
#[test]
fn latency_tool_runs() {
    let (status, stdout, trace) = run_c("run_latency", &["50"], "7.0");
    assert!(status.success(), "{stdout}{trace}");
    assert!(stdout.contains("KVM_RUN -> DIAG intercept"), "{stdout}");
    assert!(stdout.contains("(50 rounds)"), "{stdout}");
}

fn run_under(kernel: &str) {
    let (status, stdout, stderr) = run_c("ucontrol_selftest", &[], kernel);
    assert_eq!(
        status.code(),
        Some(0),
        "kernel {kernel}:\n{stdout}\n{stderr}"
    );
    let plan = ucas_tests::tap_passed(&stdout);
    assert!(plan >= 30, "only {plan} checks ran:\n{stdout}");
    // The trace shows each KVM_RUN with its exit: 4 in map/unmap, 2 in gprs.
    let runs: Vec<&str> = stderr.lines().filter(|l| l.contains("KVM_RUN")).collect();
    assert_eq!(runs.len(), 6, "{stderr}");
    assert!(
        runs[0].contains("= 0 (ucontrol exit: trans_exc_code=0x400000 pgm_code=0x10"),
        "{stderr}"
    );
    assert!(
        runs[1].contains("= 0 (SIEIC exit: icptcode=0x4 ipa=0x8300 ipb=0x00440000"),
        "{stderr}"
    );
}

#[test]
fn passes_on_generation_a() {
    run_under("6.8");
}

#[test]
fn passes_on_generation_b() {
    run_under("6.14");
}

#[test]
fn passes_on_generation_c() {
    run_under("7.0");
}

/// The bytes of the C array `name` in the selftest source.
fn c_array(src: &str, name: &str) -> Vec<u8> {
    let start = src
        .find(&format!("{name}[] = {{"))
        .unwrap_or_else(|| panic!("{name} in the C source"));
    let body = &src[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find("};").unwrap()];
    body.lines()
        .map(|l| l.split("/*").next().unwrap_or(""))
        .flat_map(|l| l.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| u8::from_str_radix(t.trim_start_matches("0x"), 16).unwrap())
        .collect()
}

/// The C guest code is the code the Rust side runs and checks against the
/// s390 disassembler (`ucas_emulator::programs`, tests/tests/emulator_scenarios.rs).
#[test]
fn c_guest_code_is_the_checked_code() {
    let src = std::fs::read_to_string(ucas_tests::c_source("ucontrol_selftest")).unwrap();
    assert_eq!(
        c_array(&src, "test_mem_asm"),
        ucas_emulator::programs::MAP_UNMAP
    );
    assert_eq!(
        c_array(&src, "test_gprs_asm"),
        ucas_emulator::programs::GPRS
    );
}

/// `tests/c/keyop_selftest.c`, the kernel's KVM_S390_KEYOP selftest (7.0)
/// as a plain C program: a regular VM with one 256-page memory slot, storage
/// keys set, read back and worked on with ISKE, RRBE and SSKE, the buffer
/// faulted in at each of five points. All 20 runs pass under 7.0.
#[test]
fn keyop_selftest_passes_on_generation_c() {
    let (status, stdout, trace) = run_c("keyop_selftest", &[], "7.0");
    assert_eq!(status.code(), Some(0), "{stdout}\n{trace}");
    assert_eq!(ucas_tests::tap_passed(&stdout), 20, "{stdout}");
    // The slot was set up through the modelled memory-region ioctl, and
    // every buffer page faulted in through it.
    assert!(trace.contains("KVM_SET_USER_MEMORY_REGION2("), "{trace}");
    let faults = trace
        .lines()
        .filter(|l| l.contains("KVM_S390_VCPU_FAULT") && l.contains(" = 0"))
        .count();
    assert_eq!(faults, 4 * 4 * 128, "{trace}");
}

/// Before 7.0 the kernel has no KVM_CAP_S390_KEYOP: the program skips
/// (the kselftest skip code, 4) after finding KVM_S390_KEYOP unknown
/// (ENOTTY) on a regular VM.
#[test]
fn keyop_selftest_skips_before_generation_c() {
    for kernel in ["6.8", "6.14"] {
        let (status, stdout, trace) = run_c("keyop_selftest", &[], kernel);
        assert_eq!(status.code(), Some(4), "{kernel}: {stdout}\n{trace}");
        assert_eq!(
            stdout, "1..0 # SKIP no KVM_CAP_S390_KEYOP (KVM_S390_KEYOP: ENOTTY)\n",
            "{kernel}"
        );
    }
}
