//! Guest code: instructions per second of the interpreter against QEMU's
//! TCG running the very same bytes, in the same run.
//!
//! `benches/guest/loops.S` holds three loops — registers only, load/add/
//! store over 64 KiB, data-dependent branches — each a function that
//! returns with `br %r14`. The benchmark assembles it with the s390x cross
//! toolchain and then:
//!
//! - `guest/interpreter/{reg,mem,branch}`: the loop's bytes in
//!   `ucas_emulator::cpu::run` over a plain RAM bus (the interpreter alone,
//!   without the supervisor's page cache or system calls), one criterion
//!   iteration per loop iteration;
//! - `qemu`: the same loop linked into `benches/guest/qemu_loops.c`, a
//!   static s390x program run by `qemu-s390x-static` (user mode), which
//!   times the loop itself with `clock_gettime`; the median of five runs of
//!   about a quarter second each, printed and written to the `guest` note.
//!
//! Without the cross toolchain or QEMU the benchmark says so and measures
//! nothing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use ucas_benches::notes;
use ucas_emulator::cpu::{self, Cpu, FlatMemory, Stop};

/// Where the code blob is loaded.
const CODE: u64 = 0x1_0000;
/// The 64 KiB scratch area.
const SCRATCH: u64 = 0x10_0000;
const SCRATCH_LEN: usize = 64 << 10;
/// `diag 0,0,0x44`, the return address of every loop: its intercept ends
/// the run.
const DIAG: [u8; 4] = [0x83, 0x00, 0x00, 0x44];

/// (name, iterations QEMU runs, iterations the instruction count is taken
/// over).
const LOOPS: [(&str, i64); 3] = [("reg", 50_000_000), ("mem", 1_500), ("branch", 30_000_000)];

/// The assembled loops: the code blob and each loop's offset in it.
struct Loops {
    blob: Vec<u8>,
    offsets: Vec<(String, u64)>,
    qemu_program: PathBuf,
}

fn tool(name: &str) -> Command {
    Command::new(name)
}

fn ran(cmd: &mut Command) -> Result<Vec<u8>, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(format!(
            "{cmd:?}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn build(dir: &Path) -> Result<Loops, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("guest");
    let obj = dir.join("loops.o");
    let bin = dir.join("loops.bin");
    let qemu_program = dir.join("qemu_loops");
    ran(tool("s390x-linux-gnu-gcc")
        .arg("-c")
        .arg(src.join("loops.S"))
        .arg("-o")
        .arg(&obj))?;
    ran(tool("s390x-linux-gnu-objcopy")
        .args(["-O", "binary", "-j", ".text"])
        .arg(&obj)
        .arg(&bin))?;
    let symbols = ran(tool("s390x-linux-gnu-nm").arg(&obj))?;
    ran(tool("s390x-linux-gnu-gcc")
        .args(["-O2", "-static"])
        .arg(src.join("qemu_loops.c"))
        .arg(src.join("loops.S"))
        .arg("-o")
        .arg(&qemu_program))?;
    let blob = std::fs::read(&bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    let mut offsets = Vec::new();
    for line in String::from_utf8_lossy(&symbols).lines() {
        let mut words = line.split_whitespace();
        if let (Some(addr), Some("T"), Some(name)) = (words.next(), words.next(), words.next())
            && let Some(loop_name) = name.strip_suffix("_loop")
        {
            let addr = u64::from_str_radix(addr, 16).map_err(|e| format!("nm: {line}: {e}"))?;
            offsets.push((loop_name.to_owned(), addr));
        }
    }
    Ok(Loops {
        blob,
        offsets,
        qemu_program,
    })
}

/// A vcpu and its memory, ready to run loop `at` (an offset in the blob).
fn machine(loops: &Loops, at: u64) -> (Cpu, FlatMemory) {
    let mut mem = FlatMemory::new(0, SCRATCH as usize + SCRATCH_LEN);
    let ram = mem.bytes_mut();
    let code = CODE as usize;
    ram[code..code + loops.blob.len()].copy_from_slice(&loops.blob);
    let stub = code + loops.blob.len().next_multiple_of(8);
    ram[stub..stub + DIAG.len()].copy_from_slice(&DIAG);
    let mut vcpu = Cpu::new(cpu::PSW_MASK_64, CODE + at);
    vcpu.gprs[3] = SCRATCH;
    vcpu.gprs[14] = stub as u64;
    (vcpu, mem)
}

/// Runs the loop `n` times; returns the instructions executed and the time.
fn interpret(loops: &Loops, at: u64, n: u64) -> (u64, Duration) {
    let (mut vcpu, mut ram) = machine(loops, at);
    vcpu.gprs[2] = n;
    let start = Instant::now();
    let stop = cpu::run(&mut vcpu, &mut ram, u64::MAX);
    let took = start.elapsed();
    assert!(
        matches!(stop, Stop::Intercept { ipa: 0x8300, .. }),
        "the loop ended with {stop:?}"
    );
    (vcpu.executed, took)
}

/// The median of five QEMU runs of `name` with `n` iterations, in ns.
fn qemu(loops: &Loops, name: &str, n: i64) -> Result<u64, String> {
    let mut times = Vec::new();
    for _ in 0..5 {
        let out = ran(tool("qemu-s390x-static")
            .arg(&loops.qemu_program)
            .arg(name)
            .arg(n.to_string()))?;
        let text = String::from_utf8_lossy(&out);
        times.push(
            text.trim()
                .parse::<u64>()
                .map_err(|e| format!("qemu_loops printed {text:?}: {e}"))?,
        );
    }
    times.sort_unstable();
    Ok(times[2])
}

fn main() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("guest-bench");
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("guest benchmarks skipped: {}: {e}", dir.display());
        return;
    }
    let loops = match build(&dir) {
        Ok(l) => l,
        Err(e) => {
            println!(
                "guest benchmarks skipped: the s390x cross toolchain is needed \
                 (apt-get install gcc-s390x-linux-gnu binutils-s390x-linux-gnu): {e}"
            );
            return;
        }
    };
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let mut pairs = Vec::new();
    let mut g = c.benchmark_group("guest");
    for (name, qemu_n) in LOOPS {
        let Some(&(_, at)) = loops.offsets.iter().find(|(n, _)| n == name) else {
            println!("guest/{name}: not measured: loops.S has no {name}_loop");
            continue;
        };
        // Instructions per loop iteration, over as many iterations as QEMU
        // runs (the branch loop's count per iteration varies).
        let (insns, took) = interpret(&loops, at, qemu_n as u64);
        let per_iter = insns as f64 / qemu_n as f64;
        let interp_rate = insns as f64 / took.as_secs_f64();
        pairs.push((format!("{name}.insns_per_iter"), format!("{per_iter:.4}")));
        pairs.push((
            format!("{name}.interpreter_insns_per_s"),
            format!("{interp_rate:.0}"),
        ));
        match qemu(&loops, name, qemu_n) {
            Ok(ns) => {
                let rate = insns as f64 / (ns as f64 / 1e9);
                println!(
                    "guest/{name}: interpreter {:.1} M insns/s, qemu-s390x-static {:.1} M insns/s, ratio {:.3}",
                    interp_rate / 1e6,
                    rate / 1e6,
                    interp_rate / rate
                );
                pairs.push((format!("{name}.qemu_insns_per_s"), format!("{rate:.0}")));
            }
            Err(e) => println!("guest/{name}: QEMU side not measured: {e}"),
        }
        g.bench_function(BenchmarkId::new("interpreter", name), |b| {
            b.iter_custom(|iters| interpret(&loops, at, iters).1);
        });
    }
    g.finish();
    if let Err(e) = notes::write("guest", &pairs) {
        eprintln!("{e}");
    }
    c.final_summary();
}
