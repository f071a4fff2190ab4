//! The example guests of `examples/guest`, built with its `build.sh` at
//! `-O0`, `-O2`, `-Os` and `-O2 -march=z13`, run by `ucas run --kernel V`
//! (the emulator, one run per kernel generation): each must print exactly
//! what the same C file prints built natively with `host_shim.c`, and exit
//! the same way.
//!
//! Needs `s390x-linux-gnu-gcc` (skipped loudly without it, failing in CI)
//! and the `ucas` binary next to this test's directory (`target/<profile>/
//! ucas`, built by `cargo test --workspace`; with `-p ucas-tests` alone run
//! `cargo build -p ucas` first) or named by `UCAS_BIN`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

use ucas_core::Generation;
use ucas_tests::scratch;

/// The guests compared with their native build.
const PROGRAMS: [&str; 6] = ["hello", "sieve", "crc32", "sha256", "sort", "printf"];

/// The optimisation levels and architecture each guest is built for.
const LEVELS: [&[&str]; 4] = [&["-O0"], &["-O2"], &["-Os"], &["-O2", "-march=z13"]];

/// A kernel version of each generation, for `--kernel`.
fn version(g: Generation) -> &'static str {
    match g {
        Generation::A => "6.8",
        Generation::B => "6.14",
        Generation::C => "7.0",
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_owned()
}

fn guest_dir() -> PathBuf {
    repo().join("examples").join("guest")
}

/// The `ucas` binary, or `None` (with the reason printed) when it is not
/// built and `CI` is unset.
fn ucas() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("UCAS_BIN") {
        return Some(p.into());
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/guest_programs-HASH → target/<profile>/ucas
    let bin = exe.parent()?.parent()?.join("ucas");
    if bin.is_file() {
        return Some(bin);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing: build it with `cargo build -p ucas`",
        bin.display()
    );
    eprintln!(
        "!! SKIPPED: {} is missing; run `cargo build -p ucas` (or set UCAS_BIN)",
        bin.display()
    );
    None
}

/// Whether the cross compiler runs; `false` (skip, loudly) only outside CI.
fn cross_gcc() -> bool {
    match Command::new("s390x-linux-gnu-gcc")
        .arg("--version")
        .output()
    {
        Ok(o) if o.status.success() => true,
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "s390x-linux-gnu-gcc is missing: apt-get install gcc-s390x-linux-gnu"
            );
            eprintln!(
                "!! SKIPPED: s390x-linux-gnu-gcc cannot run; install gcc-s390x-linux-gnu \
                 to build and run the guest programs"
            );
            false
        }
    }
}

/// Builds `src` with build.sh and `flags` into the scratch directory.
fn build_guest(src: &Path, tag: &str, flags: &[&str]) -> PathBuf {
    let name = src.file_stem().and_then(|s| s.to_str()).expect("a name");
    let out = scratch().join(format!("{name}{tag}.elf"));
    let st = Command::new(guest_dir().join("build.sh"))
        .arg(src)
        .arg(&out)
        .args(flags)
        .status()
        .expect("build.sh runs");
    assert!(st.success(), "build.sh {} {flags:?} failed", src.display());
    out
}

/// Builds `name` natively with the host shim and runs it.
fn native(name: &str) -> Output {
    let dir = guest_dir();
    let exe = scratch().join(format!("{name}-native"));
    let st = Command::new("gcc")
        .args(["-O2", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(&dir)
        .arg("-o")
        .arg(&exe)
        .arg(dir.join(format!("{name}.c")))
        .arg(dir.join("host_shim.c"))
        .status()
        .expect("gcc runs");
    assert!(st.success(), "the native build of {name} failed");
    Command::new(&exe)
        .output()
        .expect("the native program runs")
}

fn run_guest(ucas: &Path, g: Generation, elf: &Path) -> Output {
    Command::new(ucas)
        .args(["run", "--kernel", version(g)])
        .arg(elf)
        .output()
        .expect("ucas runs")
}

#[test]
fn guests_print_what_their_native_build_prints() {
    if !cross_gcc() {
        return;
    }
    let Some(ucas) = ucas() else { return };
    let mut jobs = Vec::new();
    for name in PROGRAMS {
        let want = native(name);
        assert!(want.status.success(), "native {name}: {:?}", want.status);
        assert!(!want.stdout.is_empty(), "native {name} printed nothing");
        for flags in LEVELS {
            let tag: String = flags.concat();
            let elf = build_guest(&guest_dir().join(format!("{name}.c")), &tag, flags);
            for g in Generation::ALL {
                jobs.push((name, tag.clone(), elf.clone(), g, want.clone()));
            }
        }
    }
    let total = jobs.len();
    let jobs = Mutex::new(jobs);
    let failures = Mutex::new(Vec::new());
    // Two at a time: each run is one process busy on one core.
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let Some((name, tag, elf, g, want)) = jobs.lock().unwrap().pop() else {
                        break;
                    };
                    let got = run_guest(&ucas, g, &elf);
                    if got.stdout != want.stdout || got.status.code() != want.status.code() {
                        failures.lock().unwrap().push(format!(
                            "{name} {tag} generation {g:?}: {:?}\n--- guest stdout\n{}--- native stdout\n{}--- guest stderr\n{}",
                            got.status,
                            String::from_utf8_lossy(&got.stdout),
                            String::from_utf8_lossy(&want.stdout),
                            String::from_utf8_lossy(&got.stderr),
                        ));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {total} runs differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{total} guest runs print what the native builds print");
}

#[test]
fn a_program_interruption_reaches_the_start_up_handler() {
    if !cross_gcc() {
        return;
    }
    let Some(ucas) = ucas() else { return };
    let src = repo().join("tests").join("guest").join("program_check.c");
    let elf = build_guest(&src, "-O2", &["-O2"]);
    let out = run_guest(&ucas, Generation::NEWEST, &elf);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(119), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "dividing by zero\n");
    // Fixed-point divide, a 4-byte (or 2-byte) divide instruction, its
    // address in the image.
    let line = stderr
        .lines()
        .find(|l| l.starts_with("program interruption code 0x0009 ilc "))
        .unwrap_or_else(|| panic!("no report in:\n{stderr}"));
    let at = line.rsplit("at 0x").next().expect("an address");
    let at = u64::from_str_radix(at, 16).expect("a hex address");
    assert!((0x10000..0x20000).contains(&at), "{line}");
}

#[test]
fn every_fpr_is_usable_in_a_guest() {
    if !cross_gcc() {
        return;
    }
    let Some(ucas) = ucas() else { return };
    let src = repo().join("tests").join("guest").join("all_fprs.c");
    let elf = build_guest(&src, "-O2", &["-O2"]);
    for g in Generation::ALL {
        let out = run_guest(&ucas, g, &elf);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{g:?}: {stderr}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "16 FPRs carried the value\n"
        );
    }
}

#[test]
fn bad_images_are_refused_with_status_120() {
    let Some(ucas) = ucas() else { return };
    let dir = scratch();
    // A little-endian x86_64 header, zero-padded to the 64 bytes of one.
    let mut x86 = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0".to_vec();
    x86.resize(64, 0);
    let cases: [(&str, &[u8], &str); 3] = [
        ("text.elf", b"#!/bin/sh\necho hi\n", "not an ELF file"),
        ("short.elf", b"\x7fELF\x02\x02\x01", "truncated"),
        ("x86.elf", &x86, "not big-endian"),
    ];
    for (name, bytes, why) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("writing the file");
        let out = run_guest(&ucas, Generation::NEWEST, &path);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(120), "{name}: {stderr}");
        assert!(stderr.contains(why), "{name}: {stderr}");
    }
}

/// The `insn` lines of a `--trace=insn` stderr: (address, bytes, text).
fn traced(stderr: &str) -> Vec<(u64, String, String)> {
    stderr
        .lines()
        .filter_map(|l| {
            let rest = l.split_once("] insn 0x")?.1;
            let (addr, rest) = rest.split_once(' ')?;
            let (hex, text) = rest.trim_start().split_once(' ')?;
            let addr = u64::from_str_radix(addr, 16).ok()?;
            Some((addr, hex.to_owned(), text.trim_start().to_owned()))
        })
        .collect()
}

/// `ucas run --emulate --trace=insn` prints every instruction hello runs,
/// from its entry point, as objdump disassembles the same ELF; the guest's
/// stdout and status are those of the untraced run. `--trace-limit`
/// stops the lines, not the guest.
#[test]
fn the_instruction_trace_shows_what_the_guest_runs() {
    if !cross_gcc() {
        return;
    }
    let Some(ucas) = ucas() else { return };
    let elf = build_guest(&guest_dir().join("hello.c"), "-O2-trace", &["-O2"]);
    let run = |extra: &[&str]| {
        Command::new(&ucas)
            .args(["run", "--emulate"])
            .args(extra)
            .arg(&elf)
            .output()
            .expect("ucas runs")
    };
    let plain = run(&[]);
    assert!(plain.status.success(), "{plain:?}");
    let out = run(&["--trace=insn"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.stdout, plain.stdout, "{stderr}");
    assert_eq!(out.status.code(), plain.status.code(), "{stderr}");
    let lines = traced(&stderr);
    let image = std::fs::read(&elf).expect("the ELF");
    let entry = u64::from_be_bytes(image[24..32].try_into().expect("e_entry"));
    assert_eq!(lines.first().map(|l| l.0), Some(entry), "{stderr}");
    // The last instruction is the exit hypercall.
    assert!(
        lines.last().is_some_and(|l| l.2.starts_with("diag ")),
        "{stderr}"
    );
    // objdump comes with the cross compiler's binutils; without it this
    // skips loudly (and fails in CI).
    if ucas_tests::disassemble("objdump-check", &[0x07, 0x07]).is_none() {
        return;
    }
    let listing: std::collections::HashMap<u64, (Vec<u8>, String)> = ucas_tests::objdump_elf(&elf)
        .into_iter()
        .map(|(a, b, t)| (a, (b, t)))
        .collect();
    for (addr, hex, text) in &lines {
        let (bytes, want) = listing
            .get(addr)
            .unwrap_or_else(|| panic!("{addr:#x} is no instruction of objdump's"));
        let want_hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!((hex, text), (&want_hex, want), "at {addr:#x}");
    }
    // With a limit: that many lines, one saying so, the same output.
    let out = run(&["--trace=insn", "--trace-limit", "3"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.stdout, plain.stdout, "{stderr}");
    assert_eq!(out.status.code(), plain.status.code(), "{stderr}");
    assert_eq!(traced(&stderr), lines[..3], "{stderr}");
    assert!(
        stderr.contains("limit of 3 instructions reached"),
        "{stderr}"
    );
}
