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
