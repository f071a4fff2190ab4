//! The `ucas` library under the emulator, for every kernel generation:
//! `src/bin/lib_client.rs` drives `Kvm`, `UcontrolVm` and `Vcpu` through the
//! rows of spec §4 that need no guest execution and through an ENOMEM
//! injected at several points, and the mirrors it ends with must equal the
//! emulator's own state (`--state-out`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ucas::emulator::{Emulator, Generation};

fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// Runs the client under `emu`; returns its `key=value` output after
/// checking it succeeded and that its mirrors equal the emulator's state.
fn run_client(emu: Emulator, args: [&str; 2], tag: &str) -> BTreeMap<String, String> {
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
    let got: BTreeMap<String, String> = stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let kernel = std::fs::read_to_string(&state).unwrap();
    assert_eq!(
        got["state"],
        kernel.trim_end(),
        "{tag}: the library's mirrors differ from the emulator's state"
    );
    got
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

#[test]
fn enomem_inside_a_map_leaves_mirror_and_kernel_equal() {
    // Two single-segment maps come first, so store 3 is the first segment
    // of the 8-segment map and store 10 its last.
    for g in Generation::ALL {
        let letter = g.letter().to_string();
        for n in [2, 5, 9] {
            let tag = format!("enomem-{letter}-{n}");
            let emu = Emulator::new(g).enomem_after(Some(n));
            let got = run_client(emu, ["enomem", &letter], &tag);
            let message = &got["error"];
            assert!(
                message.contains("KVM_S390_UCAS_MAP") && message.contains("unmapped"),
                "{tag}: the error should say what happened: {message}"
            );
        }
    }
}

#[test]
fn without_injection_the_enomem_scenario_fails_its_own_check() {
    // The client's ENOMEM expectations are real: with no fault injected the
    // 8-segment map succeeds and the client reports it.
    let out = Command::new(env!("CARGO_BIN_EXE_lib_client"))
        .args(["bogus", "A"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lib_client"));
    cmd.args(["enomem", "C"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let status = Emulator::new(Generation::C).run(cmd).unwrap();
    assert_eq!(status.code(), Some(1));
}
