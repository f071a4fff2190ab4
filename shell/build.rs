//! Links static musl programs (the shipped `ucas`, the `lib_only` example)
//! with packed relative relocations (`-z pack-relative-relocs`, DT_RELR).
//!
//! A static musl program is a static PIE: it relocates itself at startup,
//! and every pointer in its static data (vtables, string tables, panic
//! locations) is a 24-byte `R_X86_64_RELATIVE` entry. DT_RELR packs them
//! into a bitmap, about 12 KiB less for `ucas`. The code that applies them
//! is musl's own startup code, linked into the program, so the binary runs
//! on any kernel; musl reads DT_RELR since 1.2.4, and Rust bundles musl
//! 1.2.5 from 1.93 on (1.2.3 before: there the flag is left out, as a
//! program whose startup code skipped the packed relocations would crash).

use std::env;
use std::process::Command;

/// The first Rust release whose musl targets bundle a musl that applies
/// DT_RELR (1.2.5).
const RELR_MUSL_SINCE: (u32, u32) = (1, 93);

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let var = |name: &str| env::var(name).unwrap_or_default();
    let musl = var("CARGO_CFG_TARGET_ENV") == "musl";
    // crt-static is musl's default (cargo leaves it out of
    // CARGO_CFG_TARGET_FEATURE); a dynamic musl program would be relocated
    // by the host's ld-musl, whose version is not ours to know.
    let static_crt = !var("CARGO_ENCODED_RUSTFLAGS").contains("-crt-static");
    if musl && static_crt && rustc_version().is_some_and(|v| v >= RELR_MUSL_SINCE) {
        println!("cargo::rustc-link-arg=-Wl,-z,pack-relative-relocs");
    }
}

/// The (major, minor) version of the compiler cargo builds with.
fn rustc_version() -> Option<(u32, u32)> {
    let rustc = env::var_os("RUSTC")?;
    let out = Command::new(rustc).arg("-vV").output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let release = text.lines().find_map(|l| l.strip_prefix("release: "))?;
    let mut parts = release.split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}
