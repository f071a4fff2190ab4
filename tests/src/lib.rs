//! Cross-crate and end-to-end tests for ucas live in `tests/`.

/// The README's Rust examples, compiled and run as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

use std::path::Path;
use std::process::Command;

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
