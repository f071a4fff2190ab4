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
