//! The differential oracle (`ucas_tests::oracle`): random sequences of the
//! problem-state instructions the interpreter knows, run under QEMU and in
//! the interpreter, must leave the same registers, condition code and
//! scratch memory.
//!
//! The smoke set runs always (skipping loudly without the s390x cross
//! compiler or QEMU, failing then if `CI` is set); the big run is ignored:
//! `UCAS_ORACLE_CASES=100000 cargo test -p ucas-tests --test emulator_oracle
//! -- --ignored`, with `UCAS_ORACLE_SEED` for another seed.

use ucas_tests::oracle;

fn run(seed: u64, count: usize) {
    run_table(oracle::TABLE, seed, count);
}

/// `count` cases drawn from `table` must agree with QEMU.
fn run_table(table: &[oracle::Op], seed: u64, count: usize) {
    let Some(harness) = oracle::harness() else {
        return;
    };
    let reports = oracle::check_with(&harness, table, seed, count, 2000, 3);
    assert!(
        reports.is_empty(),
        "{} divergence(s):\n\n{}",
        reports.len(),
        reports.join("\n\n")
    );
}

#[test]
#[cfg_attr(miri, ignore = "runs QEMU as a process")]
fn smoke() {
    run(0x5eed, 300);
}

#[test]
#[ignore = "the big run: UCAS_ORACLE_CASES (default 100000) sequences, UCAS_ORACLE_SEED"]
fn big() {
    let count = std::env::var("UCAS_ORACLE_CASES").map_or(100_000, |v| {
        v.parse().expect("UCAS_ORACLE_CASES is a number")
    });
    let seed = std::env::var("UCAS_ORACLE_SEED").map_or(1, |v| {
        let v = v.trim_start_matches("0x");
        u64::from_str_radix(v, 16).expect("UCAS_ORACLE_SEED is hex")
    });
    run(seed, count);
}

/// The units added for gcc's output (the FPR moves, LOCHI, LOCGHI,
/// MVCLE), on their own, so each is drawn often; `UCAS_ORACLE_GCC_CASES`
/// for more than the default 2000.
#[test]
#[cfg_attr(miri, ignore = "runs QEMU as a process")]
fn gcc_units() {
    let first = oracle::TABLE
        .iter()
        .position(|o| o.name == "ldgr")
        .expect("the FPR units");
    let count = std::env::var("UCAS_ORACLE_GCC_CASES").map_or(2000, |v| {
        v.parse().expect("UCAS_ORACLE_GCC_CASES is a number")
    });
    run_table(&oracle::TABLE[first..], 0x6cc, count);
}
