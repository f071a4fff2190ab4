//! The plan parser on arbitrary text.
//!
//! Beyond "never panics", every item is checked against a second reading of
//! the same line: positions lie inside the text, accepted lines carry the
//! numbers a reference number reader finds in their tokens and obey the
//! context rules (vcpu selected, memory declared, maps inside memory), and
//! every number error agrees with the reference on syntax versus overflow.
//! Two rewrites that must not change the outcome (CRLF line ends, a comment
//! appended to every line) are parsed too and compared item by item.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ucas_core::plan::{self, Directive, MAX_VCPU_ID, NumberError, PlanErrorKind};
use ucas_fuzz::{NumberFault, reference_number};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check(text);
});

/// A line's words (space/tab separated, before any `#`) with 1-based
/// character columns.
fn words(line: &str) -> Vec<(u32, &str)> {
    let code = line.split('#').next().unwrap_or("");
    let mut out = Vec::new();
    let mut start: Option<(u32, usize)> = None;
    for (column, (byte, c)) in (1u32..).zip(code.char_indices()) {
        if c == ' ' || c == '\t' {
            if let Some((col, b)) = start.take() {
                out.push((col, &code[b..byte]));
            }
        } else if start.is_none() {
            start = Some((column, byte));
        }
    }
    if let Some((col, b)) = start {
        out.push((col, &code[b..]));
    }
    out
}

fn same_class(got: Result<u64, NumberError>, want: Result<u64, NumberFault>, token: &str) {
    match (got, want) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{token:?}"),
        (Err(NumberError::Overflow), Err(NumberFault::Overflow)) => {}
        (Err(NumberError::Overflow), w) => panic!("{token:?}: overflow, reference {w:?}"),
        (Err(e), Err(NumberFault::Syntax)) => {
            let _ = e;
        }
        (g, w) => panic!("{token:?}: parser {g:?}, reference {w:?}"),
    }
}

fn check(text: &str) {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();

    // Every word and every `key=value` value, read both ways.
    for line in &lines {
        for (_, w) in words(line) {
            same_class(plan::parse_number(w), reference_number(w), w);
            if let Some((_, v)) = w.split_once('=') {
                same_class(plan::parse_number(v), reference_number(v), v);
            }
        }
    }

    let items: Vec<_> = plan::parse(text).collect();
    let mut last_line = 0u32;
    let mut vcpu: Option<u32> = None;
    let mut memory: Option<u64> = None;
    let mut used = false;
    for item in &items {
        let (line, column) = match item {
            Ok(s) => (s.line, s.column),
            Err(e) => (e.line, e.column),
        };
        assert!(line > last_line, "lines go forward: {items:?}");
        last_line = line;
        let src = lines[(line - 1) as usize];
        let ws = words(src);
        assert!(!ws.is_empty(), "line {line} has no words but an item");
        assert!(column >= 1 && column as usize <= src.chars().count() + 1);
        match item {
            Ok(s) => {
                let (kcol, keyword) = ws[0];
                assert_eq!(s.column, kcol);
                let value = |key: &str| -> u64 {
                    let v = ws[1..]
                        .iter()
                        .find_map(|(_, w)| w.strip_prefix(key)?.strip_prefix('='))
                        .expect("accepted line has the key");
                    reference_number(v).expect("accepted value reads")
                };
                match s.directive {
                    Directive::Memory { size } => {
                        assert_eq!(keyword, "memory");
                        assert_eq!(ws.len(), 2);
                        assert_eq!(reference_number(ws[1].1), Ok(size));
                        assert!(size != 0 && size % (1 << 20) == 0);
                        assert!(memory.is_none() && !used, "memory once, before use");
                        assert_eq!(s.vcpu, None);
                        memory = Some(size);
                    }
                    Directive::Vcpu { id } => {
                        assert_eq!(keyword, "vcpu");
                        assert_eq!(ws.len(), 2);
                        assert_eq!(reference_number(ws[1].1), Ok(u64::from(id)));
                        assert!(id <= MAX_VCPU_ID);
                        assert_eq!(s.vcpu, None);
                        vcpu = Some(id);
                    }
                    Directive::Map {
                        vcpu_addr,
                        user_offset,
                        length,
                    } => {
                        assert_eq!(keyword, "map");
                        assert_eq!(ws.len(), 4);
                        assert_eq!(value("vcpu"), vcpu_addr);
                        assert_eq!(value("user"), user_offset);
                        assert_eq!(value("len"), length);
                        let mem = memory.expect("map after memory");
                        assert!(u128::from(user_offset) + u128::from(length) <= u128::from(mem));
                        assert_eq!(s.vcpu, vcpu);
                        assert!(vcpu.is_some());
                        used = true;
                    }
                    Directive::Unmap { vcpu_addr, length } => {
                        assert_eq!(keyword, "unmap");
                        assert_eq!(ws.len(), 3);
                        assert_eq!(value("vcpu"), vcpu_addr);
                        assert_eq!(value("len"), length);
                        assert_eq!(s.vcpu, vcpu);
                        assert!(vcpu.is_some());
                        used = true;
                    }
                    Directive::Fault { vcpu_addr } => {
                        assert_eq!(keyword, "fault");
                        assert_eq!(ws.len(), 2);
                        assert_eq!(value("vcpu"), vcpu_addr);
                        assert_eq!(s.vcpu, vcpu);
                        assert!(vcpu.is_some());
                        used = true;
                    }
                }
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                match e.kind {
                    PlanErrorKind::UnknownDirective => {
                        assert!(!matches!(
                            ws[0].1,
                            "memory" | "vcpu" | "map" | "unmap" | "fault"
                        ));
                        assert_eq!(column, ws[0].0);
                    }
                    PlanErrorKind::BadNumber(n) => {
                        // The column points at the number itself.
                        let token: String = src
                            .chars()
                            .skip(column as usize - 1)
                            .take_while(|&c| c != ' ' && c != '\t' && c != '#')
                            .collect();
                        let want = reference_number(&token);
                        match n {
                            NumberError::Overflow => assert_eq!(want, Err(NumberFault::Overflow)),
                            _ => assert_eq!(want, Err(NumberFault::Syntax), "{token:?}"),
                        }
                    }
                    PlanErrorKind::VcpuIdTooLarge { id } => assert!(id > u64::from(MAX_VCPU_ID)),
                    PlanErrorKind::NoVcpu { .. } => assert!(vcpu.is_none()),
                    PlanErrorKind::NoMemory => assert!(memory.is_none()),
                    PlanErrorKind::MemoryRedeclared { .. } => assert!(memory.is_some()),
                    PlanErrorKind::MemoryAfterUse { .. } => assert!(used),
                    PlanErrorKind::BadMemorySize { size } => {
                        assert!(size == 0 || size % (1 << 20) != 0)
                    }
                    PlanErrorKind::MapOutsideMemory {
                        user_offset,
                        length,
                        memory: m,
                    } => {
                        assert_eq!(Some(m), memory);
                        assert!(u128::from(user_offset) + u128::from(length) > u128::from(m));
                    }
                    _ => {}
                }
            }
        }
    }
    // Lines with words and no item: none.
    let with_words = lines.iter().filter(|l| !words(l).is_empty()).count();
    assert_eq!(with_words, items.len());

    // Rewrites that must not change any item.
    if !text.contains('\r') {
        let crlf = text.replace('\n', "\r\n");
        assert_eq!(
            plan::parse(&crlf).collect::<Vec<_>>(),
            items,
            "CRLF changed the outcome"
        );
    }
    let commented: String = text
        .split('\n')
        .map(|l| format!("{l} # note=1 map"))
        .collect::<Vec<_>>()
        .join("\n");
    if !text.contains('\r') {
        assert_eq!(
            plan::parse(&commented).collect::<Vec<_>>(),
            items,
            "a trailing comment changed the outcome"
        );
    }
}
