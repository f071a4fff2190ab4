//! Cross-crate and end-to-end tests for ucas live in `tests/`.

/// The README's Rust examples, compiled and run as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub mod oracle;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use ucas_core::Generation;
use ucas_emulator::Emulator;

/// Disassembles s390 machine code with `s390x-linux-gnu-objdump` into one
/// `"mnemonic operands"` string per instruction. `None` when the tool is
/// missing and `CI` is unset (the caller then skips, loudly); with `CI` set
/// a missing tool panics, so CI never passes without the check.
///
/// # Panics
/// When objdump fails on the input, or is missing while `CI` is set.
#[must_use]
pub fn disassemble(name: &str, code: &[u8]) -> Option<Vec<String>> {
    let dir = std::env::temp_dir().join(format!("ucas-disasm-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let bin = dir.join("code.bin");
    std::fs::write(&bin, code).expect("writing the code");
    let out = Command::new("s390x-linux-gnu-objdump")
        .args(["-D", "-b", "binary", "-m", "s390:64-bit"])
        .arg(&bin)
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "s390x-linux-gnu-objdump cannot run ({e}); install binutils-s390x-linux-gnu"
            );
            eprintln!(
                "!! SKIPPED: s390x-linux-gnu-objdump cannot run ({e}); install \
                 binutils-s390x-linux-gnu to check guest program encodings"
            );
            return None;
        }
    };
    assert!(out.status.success(), "objdump failed on {name}");
    Some(parse_objdump(&String::from_utf8_lossy(&out.stdout)))
}

/// `s390x-linux-gnu-objdump -d` of the ELF file `elf`: one (address,
/// bytes, text) per instruction line. The text is normalised as the
/// emulator's disassembler prints it: a branch target objdump prints as
/// `10022 <_start+0x22>` (bare hex and the symbol) becomes `0x10022`, and
/// the tab between mnemonic and operands a space.
///
/// # Panics
/// When objdump cannot run or fails.
#[must_use]
pub fn objdump_elf(elf: &Path) -> Vec<(u64, Vec<u8>, String)> {
    let out = Command::new("s390x-linux-gnu-objdump")
        .arg("-d")
        .arg(elf)
        .output()
        .expect("s390x-linux-gnu-objdump runs");
    assert!(out.status.success(), "objdump -d {}", elf.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(objdump_line)
        .collect()
}

/// One instruction line of `objdump -d` (see [`objdump_elf`]).
fn objdump_line(line: &str) -> Option<(u64, Vec<u8>, String)> {
    let mut parts = line.split('\t');
    let addr = parts.next()?.trim().strip_suffix(':')?;
    let addr = u64::from_str_radix(addr, 16).ok()?;
    let bytes: Vec<u8> = parts
        .next()?
        .split_whitespace()
        .map(|b| u8::from_str_radix(b, 16))
        .collect::<Result<_, _>>()
        .ok()?;
    let mut text = parts.collect::<Vec<_>>().join(" ").trim().to_owned();
    if let Some(at) = text.find(" <") {
        text.truncate(at);
        let start = text.rfind([',', ' ']).map_or(0, |i| i + 1);
        text.insert_str(start, "0x");
    }
    Some((addr, bytes, text))
}

/// The instruction text of objdump's `-D` lines (`addr:\tbytes\tinsn`).
fn parse_objdump(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let mut parts = l.split('\t');
            let addr = parts.next()?;
            if !addr.trim_end().ends_with(':') || !addr.starts_with(' ') {
                return None;
            }
            let _bytes = parts.next()?;
            let insn: Vec<&str> = parts.collect();
            Some(insn.join(" ").trim().to_owned())
        })
        .collect()
}

/// The path of a C program in `tests/c/`.
#[must_use]
pub fn c_source(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("c")
        .join(format!("{name}.c"))
}

/// A scratch directory of this test process, made on first use: every test
/// binary gets its own (the pid is in the name), so tests never share files
/// with another binary's.
///
/// # Panics
/// When the directory cannot be made.
#[must_use]
pub fn scratch() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ucas-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        dir
    })
    .clone()
}

/// `tests/c/<name>.c` compiled by gcc (`-Wall -Wextra -Werror -O2
/// -pthread`), once per test process; the path of the program.
///
/// # Panics
/// When gcc is missing or rejects the program.
#[must_use]
pub fn c_program(name: &str) -> PathBuf {
    build_c(name, false)
}

/// [`c_program`] linked with `-static`: no dynamic loader (whose opens
/// an emulator's busy supervisor would hold up), and, not being a PIE, its
/// data at the same address in every run.
///
/// # Panics
/// When gcc is missing, rejects the program, or has no static libc.
#[must_use]
pub fn static_c_program(name: &str) -> PathBuf {
    build_c(name, true)
}

fn build_c(name: &str, linked_static: bool) -> PathBuf {
    static BUILT: Mutex<Option<HashMap<(String, bool), PathBuf>>> = Mutex::new(None);
    let mut built = BUILT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let built = built.get_or_insert_with(HashMap::new);
    let key = (name.to_owned(), linked_static);
    if let Some(p) = built.get(&key) {
        return p.clone();
    }
    let src = c_source(name);
    let out = scratch().join(if linked_static {
        format!("{name}-static")
    } else {
        name.to_owned()
    });
    let mut gcc = Command::new("gcc");
    gcc.args(["-Wall", "-Wextra", "-Werror", "-O2", "-pthread"]);
    if linked_static {
        gcc.arg("-static");
    }
    let st = gcc
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .status()
        .expect("gcc is needed to build the C programs (apt-get install gcc)");
    assert!(st.success(), "gcc failed on {}", src.display());
    built.insert(key, out.clone());
    out
}

/// The environment variable that tells a re-run test which generation the
/// emulator around it models.
const UNDER_EMULATOR: &str = "UCAS_TEST_UNDER_EMULATOR";

/// Runs `body` once per kernel generation, each time in a child of this
/// test binary that runs only `test` under the emulator of that
/// generation; in such a child, runs `body` for its generation. `test` is
/// the test's own name, so the child runs exactly it.
///
/// # Panics
/// When a child fails or did not run the test.
pub fn under_each_generation(test: &str, body: fn(Generation)) {
    if let Ok(letter) = std::env::var(UNDER_EMULATOR) {
        let g = Generation::ALL
            .into_iter()
            .find(|g| g.letter().to_string() == letter)
            .expect("a generation letter");
        body(g);
        return;
    }
    for g in Generation::ALL {
        run_child(test, Emulator::new(g), g.letter(), &format!("{g:?}"));
    }
}

/// Runs `body` with the release `major.minor` in a child of this test
/// binary that runs only `test` under an emulator of that release
/// ([`Emulator::release`]); in such a child, runs `body`.
///
/// # Panics
/// When the child fails or did not run the test.
pub fn under_release(test: &str, major: u32, minor: u32, body: fn()) {
    if std::env::var(UNDER_EMULATOR).is_ok() {
        body();
        return;
    }
    let g = Generation::from_version(major, minor).expect("a release with ucontrol");
    let emu = Emulator::new(g).release(major, minor);
    run_child(test, emu, g.letter(), &format!("{major}.{minor}"));
}

/// Runs `test` of this binary under `emu`, the child told its generation
/// by `letter`; `tag` names its log and the failure.
fn run_child(test: &str, emu: Emulator, letter: char, tag: &str) {
    let exe = std::env::current_exe().expect("the test binary's path");
    let log = scratch().join(format!("under-{test}-{tag}.log"));
    let out = std::fs::File::create(&log).expect("a log file");
    let mut cmd = Command::new(&exe);
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(UNDER_EMULATOR, letter.to_string())
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("a second log fd"))
        .stderr(out);
    let status = emu.run(cmd).expect("the emulator runs");
    let text = std::fs::read_to_string(&log).expect("the log");
    assert!(status.success(), "{tag}: {status}\n{text}");
    // The child must really have run the test, not filtered it out.
    assert!(text.contains("1 passed"), "{tag}:\n{text}");
}

/// A trace sink ([`Emulator::trace_to`]) that the test reads back.
#[derive(Debug, Clone, Default)]
pub struct TraceBuffer(Arc<Mutex<Vec<u8>>>);

impl TraceBuffer {
    /// What was written so far, as text.
    #[must_use]
    pub fn text(&self) -> String {
        let bytes = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl std::io::Write for TraceBuffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Checks the TAP output of one of the C test programs: a plan line
/// `1..N`, no `not ok`, exactly N `ok` lines; returns N.
///
/// # Panics
/// When any of that does not hold (the message shows the output).
#[must_use]
pub fn tap_passed(out: &str) -> usize {
    assert!(!out.contains("not ok"), "{out}");
    let plan: usize = out
        .lines()
        .find_map(|l| l.strip_prefix("1.."))
        .unwrap_or_else(|| panic!("no plan line in:\n{out}"))
        .parse()
        .unwrap_or_else(|e| panic!("a bad plan line ({e}) in:\n{out}"));
    assert_eq!(
        out.lines().filter(|l| l.starts_with("ok ")).count(),
        plan,
        "{out}"
    );
    plan
}
