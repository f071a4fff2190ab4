//! The disassembler's own cases, and the table checked against the
//! interpreter over the whole opcode space.

use super::super::{Cpu, FlatMemory, ICPT_OPEREXC, PSW_MASK_64, Stop, step};
use super::*;

/// `hex` (2, 4 or 6 bytes) disassembled at address 0x1000.
fn dis(hex: &str) -> String {
    let bytes: Vec<u8> = hex
        .as_bytes()
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).expect("ascii"), 16).expect("hex"))
        .collect();
    let mut t = [0u8; 6];
    t[..bytes.len()].copy_from_slice(&bytes);
    let (len, d) = disassemble(&t);
    assert_eq!(usize::from(len), bytes.len(), "{hex}");
    d.at(0x1000).to_string()
}

#[test]
fn examples_print_as_objdump_prints_them() {
    let cases = [
        ("b9040012", "lgr %r1,%r2"),
        ("a71afffd", "ahi %r1,-3"),
        ("c0e500000010", "brasl %r14,0x1020"),
        ("d20720003000", "mvc 0(8,%r2),0(%r3)"),
        ("e312f0080004", "lg %r1,8(%r2,%r15)"),
        ("e310f0080004", "lg %r1,8(%r15)"),
        ("e31000080004", "lg %r1,8"),
        ("e3120008ff04", "lg %r1,-4088(%r2,%r0)"),
        ("07fe", "br %r14"),
        ("0700", "nopr"),
        ("0707", "nopr %r7"),
        ("a774fff0", "jne 0xfe0"),
        ("a7f40002", "j 0x1004"),
        ("c0f4ffffffff", "jg 0xffe"),
        ("47801004", "be 4(%r1)"),
        ("b9e22012", "locgrh %r1,%r2"),
        ("b9e20012", "locgr %r1,%r2,0"),
        ("ec1200104076", "crjl %r1,%r2,0x1020"),
        ("ec1200103076", "crj %r1,%r2,3,0x1020"),
        ("ec18000cfe7e", "cije %r1,-2,0x1018"),
        ("eb1d20040023", "clt %r1,13,4(%r2)"),
        ("eb1c20040023", "cltnh %r1,4(%r2)"),
        ("eb1420040023", "cltl %r1,4(%r2)"),
        ("eb18200400f2", "loce %r1,4(%r2)"),
        ("ec1220bf0055", "risbgz %r1,%r2,32,63,0"),
        ("ec12203f0055", "risbg %r1,%r2,32,63,0"),
        ("5810f0a0", "l %r1,160(%r15)"),
        ("9824f008", "lm %r2,%r4,8(%r15)"),
        ("eb6ff0300024", "stmg %r6,%r15,48(%r15)"),
        ("b6010000", "stctl %c0,%c1,0"),
        ("9a01f000", "lam %a0,%a1,0(%r15)"),
        ("b24e0012", "sar %a1,%r2"),
        ("b2220010", "ipm %r1"),
        ("b20b0000", "ipk"),
        ("b3c10012", "ldgr %f1,%r2"),
        ("a5170001", "nill %r1,1"),
        ("c011ffffffff", "lgfi %r1,-1"),
        ("c01bffffffff", "nilf %r1,4294967295"),
        ("e548f010ffff", "mvghi 16(%r15),-1"),
        ("eb7ff010006e", "alsi 16(%r15),127"),
        ("9201f000", "mvi 0(%r15),1"),
        ("83000044", "diag %r0,%r0,68"),
        ("0000", ".short 0x0000"),
        ("01ff", ".short 0x01ff"),
        ("b2ff1234", ".long 0xb2ff1234"),
        ("e30000000003", ".short 0xe300,0x0000,0x0003"),
    ];
    for (hex, want) in cases {
        assert_eq!(dis(hex), want, "{hex}");
    }
}

#[test]
fn relative_targets_print_relative_until_placed() {
    let (_, d) = disassemble(&[0xa7, 0xf4, 0xff, 0xfe, 0, 0]);
    assert_eq!(d.to_string(), "j .-4");
    let (_, d) = disassemble(&[0xa7, 0xf4, 0x00, 0x03, 0, 0]);
    assert_eq!(d.to_string(), "j .+6");
    assert_eq!(d.at(u64::MAX - 1).to_string(), "j 0x4");
}

#[test]
fn bytes_past_the_instruction_are_ignored() {
    let (len, d) = disassemble(&[0x18, 0x12, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!((len, d.to_string()), (2, "lr %r1,%r2".to_owned()));
}

#[test]
fn the_table_is_sorted_and_each_opcode_has_one_row() {
    for pair in TABLE.windows(2) {
        assert!(
            pair[0].opcode < pair[1].opcode,
            "{} ({:#06x}) before {} ({:#06x})",
            pair[0].mnemonic(),
            pair[0].opcode,
            pair[1].mnemonic(),
            pair[1].opcode
        );
    }
    for r in TABLE {
        let [op, ext] = r.opcode.to_be_bytes();
        let ext_ok = match extension(op) {
            Extension::None => ext == 0,
            Extension::Nibble => ext < 16,
            Extension::Byte1 | Extension::Byte5 => true,
        };
        assert!(ext_ok, "{}: {:#06x}", r.mnemonic(), r.opcode);
    }
}

#[test]
fn mnemonics_are_short_lowercase_ascii() {
    for r in TABLE {
        let m = r.mnemonic();
        assert!(
            !m.is_empty() && m.len() <= MNEMONIC_MAX,
            "{:#06x}: {m:?}",
            r.opcode
        );
        assert!(
            m.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "{:#06x}: {m:?}",
            r.opcode
        );
    }
    assert_eq!(
        lookup(&[0x18, 0x12, 0, 0, 0, 0]).map(Row::mnemonic),
        Some("lr")
    );
    assert_eq!(
        lookup(&[0xb9, 0xe2, 0, 0, 0, 0]).map(Row::mnemonic),
        Some("locgr")
    );
}

/// The instruction with opcode `key`, the other bytes from `fill`.
fn encode(key: u16, fill: [u8; 5]) -> [u8; 6] {
    let [op, ext] = key.to_be_bytes();
    let mut t = [op, fill[0], fill[1], fill[2], fill[3], fill[4]];
    match extension(op) {
        Extension::None => {}
        Extension::Byte1 => t[1] = ext,
        Extension::Nibble => t[1] = (t[1] & 0xF0) | ext,
        Extension::Byte5 => t[5] = ext,
    }
    t
}

/// Whether one step of `text` in supervisor state is an operation
/// exception. Memory holds BCR 0,0 everywhere, so EX's target is a no-op.
fn unknown_to_the_interpreter(text: [u8; 6]) -> bool {
    let mut mem = FlatMemory::new(0, 0x2000);
    for (i, b) in mem.bytes_mut().iter_mut().enumerate() {
        *b = if i % 2 == 0 { 0x07 } else { 0 };
    }
    mem.bytes_mut()[0x1000..0x1006].copy_from_slice(&text);
    let mut cpu = Cpu::new(PSW_MASK_64, 0x1000);
    matches!(
        step(&mut cpu, &mut mem),
        Some(Stop::Intercept { icptcode, .. }) if icptcode == ICPT_OPEREXC
    )
}

/// Every opcode of the opcode space (every first byte with every value of
/// its extension), each with several fillings of its other fields: the
/// interpreter refuses it with an operation exception exactly when the
/// table has no row for it.
#[test]
fn the_table_lists_exactly_what_the_interpreter_executes() {
    let fills = [
        [0, 0, 0, 0, 0],
        [0x12, 0x34, 0x56, 0x78, 0x9A],
        [0xFF, 0xF0, 0x0F, 0x80, 0x01],
        [0x5A, 0xC3, 0x21, 0xE7, 0x4D],
    ];
    let mut missing = Vec::new();
    let mut extra = Vec::new();
    let mut known = 0usize;
    for op in 0..=255u8 {
        let exts: u16 = match extension(op) {
            Extension::None => 1,
            Extension::Nibble => 16,
            Extension::Byte1 | Extension::Byte5 => 256,
        };
        for ext in 0..exts {
            let key = u16::from_be_bytes([op, u8::try_from(ext).expect("below 256")]);
            let row = TABLE.iter().find(|r| r.opcode == key);
            for fill in fills {
                let text = encode(key, fill);
                assert_eq!(lookup(&text).map(|r| r.opcode), row.map(|r| r.opcode));
                match (row, unknown_to_the_interpreter(text)) {
                    (Some(r), true) => missing.push(format!("{} {text:02x?}", r.mnemonic())),
                    (None, false) => extra.push(format!("{key:#06x} {text:02x?}")),
                    (Some(_), false) => known = known.wrapping_add(1),
                    (None, true) => {}
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "rows the interpreter does not execute: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "opcodes the interpreter executes without a row: {extra:?}"
    );
    assert_eq!(known, TABLE.len().wrapping_mul(fills.len()));
}
