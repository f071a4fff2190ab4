//! `benches/report.py` on a made-up run: it must find criterion's results
//! and the notes, compute the ratios and call each target met or missed by
//! the right amount. Needs python3; without it the test says so and skips.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Writes one criterion result as criterion lays it out.
fn result(root: &Path, id: &str, median_ns: f64) {
    let dir = root.join(id).join("new");
    fs::create_dir_all(&dir).unwrap();
    let bench = format!(r#"{{"group_id":"x","function_id":"y","value_str":"z","full_id":"{id}"}}"#);
    fs::write(dir.join("benchmark.json"), bench).unwrap();
    let ci = format!(
        r#"{{"confidence_level":0.95,"lower_bound":{median_ns},"upper_bound":{median_ns}}}"#
    );
    let est = format!(
        r#"{{"median":{{"confidence_interval":{ci},"point_estimate":{median_ns},"standard_error":0.0}}}}"#
    );
    fs::write(dir.join("estimates.json"), est).unwrap();
}

/// A fresh directory of the test's own: the tests run in parallel threads, and
/// a shared one would be deleted by one test while the other writes into it.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("report-test-{test}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn report_judges_targets_from_criterion_results_and_notes() {
    let dir = scratch("judges");
    let (crit, notes, out) = (dir.join("criterion"), dir.join("notes"), dir.join("out"));
    fs::create_dir_all(&notes).unwrap();
    fs::create_dir_all(&out).unwrap();
    result(&crit, "translate/ucas/256", 12.0);
    result(&crit, "translate/ucas/1024", 30.0);
    result(&crit, "translate/btreemap/1024", 20.0);
    result(&crit, "translate_random/ucas/1024", 10.0);
    result(&crit, "translate_random/btreemap/1024", 40.0);
    result(&crit, "translate_random/rangemap/1024", 15.0);
    result(&crit, "map_range/ucas/1MiB", 30.0);
    result(&crit, "map_range/ucas/1GiB", 30.0);
    result(&crit, "map_range/btreemap/1GiB", 30_000.0);
    result(&crit, "map_unmap/ucas/1024", 600.0);
    result(&crit, "emulator/floor/sync", 2_000.0);
    result(&crit, "emulator/ucas_map/emulated", 4_000.0);
    result(&crit, "emulator/check_extension/emulated", 2_500.0);
    result(&crit, "emulator/ucas_map/native", 4_000.0);
    result(&crit, "emulator_parallel/threads/1", 40_000_000.0);
    result(&crit, "emulator_parallel/threads/2", 40_000_000.0);
    fs::write(
        notes.join("shell_paired.txt"),
        "check_extension.ucas_over_raw_libc 1.10\napi_version.ucas_over_raw_libc 0.95\n",
    )
    .unwrap();
    fs::write(notes.join("binaries.txt"), "musl-x86_64 700000\n").unwrap();
    fs::write(
        notes.join("guest.txt"),
        "reg.interpreter_insns_per_s 50000000\nreg.qemu_insns_per_s 2000000000\n",
    )
    .unwrap();
    fs::write(notes.join("footprint.txt"), "AddressSpace<16> 392\n").unwrap();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("report.py");
    let run = Command::new("python3")
        .arg(&script)
        .arg("--criterion")
        .arg(&crit)
        .arg("--notes")
        .arg(&notes)
        .arg("--out")
        .arg(&out)
        .output();
    let run = match run {
        Ok(r) => r,
        Err(e) => {
            eprintln!("!! SKIPPED: python3 cannot run ({e}); install python3 to check report.py");
            return;
        }
    };
    assert!(
        run.status.success(),
        "report.py failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let md = fs::read_to_string(out.join("BENCHMARKS.md")).unwrap();
    for want in [
        // 10 / 40 = 0.25 against at most 1/3; 10 / 15 = 0.67 against 1/2.
        "| 0.25 (10 ns) | **met** (1.33× better than the goal) |",
        "| 0.67 (10 ns) | **missed** (1.33× over the goal) |",
        "| 600 ns | **missed** (4.00× over the goal) |",
        "| 2.00× (4 µs / 2 µs) | **missed** (1.33× over the goal) |",
        "| 1.25× (2.5 µs / 2 µs) | **met** (1.20× better than the goal) |",
        "| 1.100 | **missed** (1.07× over the goal) |",
        "| 0.950 | **met** (1.08× better than the goal) |",
        "| 683.6 KiB | **missed** (1.07× over the goal) |",
        "| 0.025 (50 M/s vs 2000 M/s) | **missed** (10× short) |",
        "**guest code against QEMU.**",
        "| 1.00× | **missed** (1.70× short) |",
        "**vcpus in parallel.**",
        "| `AddressSpace<16>` | 392 bytes |",
        "**translate against BTreeMap and rangemap.**",
        "**emulated ioctl against the floor.**",
        "**musl binary size.**",
    ] {
        assert!(md.contains(want), "missing {want:?} in:\n{md}");
    }
    for svg in ["benchmarks-translate.svg", "benchmarks-map-range.svg"] {
        let text = fs::read_to_string(out.join(svg)).unwrap();
        assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"));
        assert!(text.contains("<polyline"), "{svg} has no data line");
    }
}

#[test]
fn report_refuses_an_empty_run() {
    let dir = scratch("empty").join("empty");
    fs::create_dir_all(&dir).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("report.py");
    let Ok(run) = Command::new("python3")
        .arg(&script)
        .args([
            "--criterion",
            "/nonexistent",
            "--notes",
            "/nonexistent",
            "--out",
        ])
        .arg(&dir)
        .output()
    else {
        eprintln!("!! SKIPPED: python3 cannot run; install python3 to check report.py");
        return;
    };
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("cargo bench -p ucas-benches"), "{err}");
}
