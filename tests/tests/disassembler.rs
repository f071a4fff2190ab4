//! The emulator's disassembler (`ucas_emulator::cpu::disasm`) against
//! binutils: random encodings of every row of its table, and the example
//! guests built with `examples/guest/build.sh`, must print as
//! `s390x-linux-gnu-objdump` prints them; every unit of the differential
//! oracle disassembles to its own mnemonic.
//!
//! Needs `s390x-linux-gnu-objdump` (and `s390x-linux-gnu-gcc` for the
//! guests): skipped loudly without them, failing then if `CI` is set.

use std::path::{Path, PathBuf};
use std::process::Command;

use ucas_emulator::cpu::disasm::{self, Extension, Row, TABLE, disassemble};
use ucas_tests::oracle;

/// Rows binutils does not know (SERVICE CALL and CHANNEL SUBSYSTEM CALL,
/// which its opcode table leaves out): objdump prints them as `.long`.
const OBJDUMP_UNKNOWN: [&str; 2] = ["servc", "chsc"];

/// The six instruction bytes of `v` (its low 48 bits).
fn bytes48(v: u64) -> [u8; 6] {
    let [_, _, a, b, c, d, e, f] = v.to_be_bytes();
    [a, b, c, d, e, f]
}

/// The opcode bits of `row` as a 48-bit number, and their mask.
fn opcode_bits(row: &Row) -> (u64, u64) {
    let [op, ext] = row.opcode.to_be_bytes();
    let (op, ext) = (u64::from(op) << 40, u64::from(ext));
    match disasm::extension(row.opcode.to_be_bytes()[0]) {
        Extension::None => (op, 0xFF << 40),
        Extension::Byte1 => (op | ext << 32, 0xFFFF << 32),
        Extension::Nibble => (op | ext << 32, 0xFF0F << 32),
        Extension::Byte5 => (op | ext, 0xFF << 40 | 0xFF),
    }
}

/// An encoding of `row` with operand fields from `random` and every
/// reserved bit zero (objdump refuses an instruction with reserved bits
/// set; the emulator's disassembler ignores them).
fn encode(row: &Row, random: u64) -> Vec<u8> {
    let (bits, _) = opcode_bits(row);
    let operands = row.operands().iter().fold(0, |m, o| m | o.fields());
    let text = bytes48(bits | (random & operands));
    let len = usize::from(ucas_emulator::cpu::instruction_length(text[0]));
    text[..len].to_vec()
}

/// The table's operands and opcodes never overlap, and stay inside the
/// instruction's length.
#[test]
fn operand_fields_are_disjoint_from_the_opcode() {
    for row in TABLE {
        let (_, opmask) = opcode_bits(row);
        let len = ucas_emulator::cpu::instruction_length(row.opcode.to_be_bytes()[0]);
        let inside = !0u64 << (48 - 8 * u32::from(len)) & 0xFFFF_FFFF_FFFF;
        let mut seen = opmask;
        for o in row.operands() {
            let f = o.fields();
            assert_eq!(f & inside, f, "{}: {o:?} past the end", row.mnemonic());
            // RISBG's zero flag shares I4 by design; others must not meet.
            assert_eq!(seen & f, 0, "{}: {o:?} overlaps", row.mnemonic());
            seen |= f;
        }
    }
}

/// `samples` encodings of every row (all operand bits zero, all one, then
/// random), laid out one after another: their disassembly at their
/// offsets, line by line, must be objdump's.
#[test]
fn every_row_disassembles_as_objdump_does() {
    let samples = 16;
    let mut rng = oracle::Rng::new(0xd15a);
    let mut code = Vec::new();
    let mut ours = Vec::new();
    let mut rows = Vec::new();
    for row in TABLE {
        for k in 0..samples {
            let random = match k {
                0 => 0,
                1 => u64::MAX,
                _ => rng.bits(),
            };
            let insn = encode(row, random);
            let mut text = [0u8; 6];
            text[..insn.len()].copy_from_slice(&insn);
            let (_, d) = disassemble(&text);
            let at = u64::try_from(code.len()).expect("small");
            ours.push(d.at(at).to_string());
            rows.push((row, insn.clone()));
            code.extend_from_slice(&insn);
        }
    }
    let Some(theirs) = ucas_tests::disassemble("table", &code) else {
        return;
    };
    assert_eq!(
        theirs.len(),
        ours.len(),
        "objdump lost the instruction boundaries"
    );
    let mut differ = Vec::new();
    for ((ours, theirs), (row, insn)) in ours.iter().zip(&theirs).zip(&rows) {
        if OBJDUMP_UNKNOWN.contains(&row.mnemonic()) {
            assert!(theirs.starts_with(".long"), "objdump now knows {theirs}");
            continue;
        }
        if ours != theirs {
            differ.push(format!("{insn:02x?}: ours {ours:?}, objdump {theirs:?}"));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} differ:\n{}",
        differ.len(),
        ours.len(),
        differ.join("\n")
    );
}

/// Each oracle unit's instruction disassembles to the unit's mnemonic
/// (the unit may set registers up first: one of its instructions must).
#[test]
fn oracle_units_disassemble_to_their_own_mnemonic() {
    let mut rng = oracle::Rng::new(0x0dd);
    for op in oracle::TABLE {
        for _ in 0..4 {
            let unit = oracle::unit(&mut rng, op);
            let mut names = Vec::new();
            let mut rest = unit.bytes.as_slice();
            while !rest.is_empty() {
                let mut text = [0u8; 6];
                let n = rest.len().min(6);
                text[..n].copy_from_slice(&rest[..n]);
                let (len, d) = disassemble(&text);
                names.push(d.row().map_or("?", |r| r.mnemonic()));
                rest = &rest[usize::from(len).min(rest.len())..];
            }
            assert!(
                names.contains(&op.name),
                "unit {} ({:02x?}) disassembles to {names:?}",
                op.name,
                unit.bytes
            );
        }
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_owned()
}

/// Whether `tool --version` runs; `false` (skip, loudly) only outside CI.
fn have(tool: &str) -> bool {
    if Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{tool} is missing: apt-get install gcc-s390x-linux-gnu binutils-s390x-linux-gnu"
    );
    eprintln!(
        "!! SKIPPED: {tool} cannot run; install it to compare the disassembler with binutils"
    );
    false
}

/// The example guests, built as `guest_programs` builds them, objdumped:
/// every instruction the table covers prints the same.
#[test]
fn compiled_guests_disassemble_as_objdump_does() {
    if !have("s390x-linux-gnu-gcc") || !have("s390x-linux-gnu-objdump") {
        return;
    }
    let guests = repo().join("examples").join("guest");
    let mut compared = 0usize;
    let mut uncovered = std::collections::BTreeSet::new();
    let mut differ = Vec::new();
    for name in ["hello", "sieve", "crc32", "sha256", "sort", "printf"] {
        for flags in [&["-O0"][..], &["-O2"], &["-Os"], &["-O2", "-march=z13"]] {
            let elf = ucas_tests::scratch().join(format!("disasm-{name}{}.elf", flags.concat()));
            let st = Command::new(guests.join("build.sh"))
                .arg(guests.join(format!("{name}.c")))
                .arg(&elf)
                .args(flags)
                .status()
                .expect("build.sh runs");
            assert!(st.success(), "building {name} {flags:?}");
            for (addr, bytes, theirs) in ucas_tests::objdump_elf(&elf) {
                let mut text = [0u8; 6];
                let n = bytes.len().min(6);
                text[..n].copy_from_slice(&bytes[..n]);
                let (_, d) = disassemble(&text);
                if d.row().is_none() {
                    uncovered.insert(theirs.split(' ').next().unwrap_or("").to_owned());
                    continue;
                }
                compared += 1;
                let ours = d.at(addr).to_string();
                if ours != theirs {
                    differ.push(format!(
                        "{name} {flags:?} {addr:#x}: ours {ours:?}, objdump {theirs:?}"
                    ));
                }
            }
        }
    }
    assert!(
        differ.is_empty(),
        "{} differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
    assert!(compared > 1000, "only {compared} instructions compared");
    eprintln!(
        "{compared} guest instructions disassemble as objdump does; not in the table: {uncovered:?}"
    );
}
