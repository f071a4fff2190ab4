//! `ucas plan check|apply FILE`: mapping plans, validated offline or applied.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;

use ucas::core::abi::UcasMapping;
use ucas::core::plan::{self, Directive, Statement};
use ucas::core::request::Rules;
use ucas::core::{AddressSpace, Extent, SpaceError};
use ucas::{DEFAULT_CAPACITY, GuestMemory, Kvm, Vcpu, Vm};

use super::json::{self, Object};
use super::{Usage, exit};

pub const HELP: &str = "\
ucas plan: validate or apply a mapping plan

Usage: ucas plan check FILE [--capacity N] [--kernel VERSION|strict] [--json]
       ucas plan apply FILE [--kernel VERSION|strict]

check   validates the plan offline (no /dev/kvm needed) and prints each vcpu's
        resulting address space; every rejected line is printed on stderr as
        FILE:LINE:COL: reason. Nothing is applied.
apply   allocates the plan's memory, creates a ucontrol VM and its vcpus,
        applies the plan and prints each vcpu's mirror.

Plan format (one directive per line, # starts a comment):
  memory 64M                  user memory to allocate; user= is an offset in it
  vcpu 0                      the following lines act on vcpu 0 (0-255)
  map vcpu=0 user=0 len=4M    numbers: decimal or 0x hex, suffix K/M/G/T
  unmap vcpu=2M len=1M
  fault vcpu=0x1000

Options:
  --capacity N       extents each vcpu's mirror holds (default 256, at most 4096)
  --kernel VERSION   judge requests as kernel VERSION does (e.g. 6.8, 6.14, 7.0)
                     or `strict` (default): what every kernel accepts
  --json             print one JSON object instead of tables
  -h, --help         print this help

Exit status: 0 when every line is accepted (check) or applied (apply),
2 when a line is rejected or the usage is wrong, 1 when the host cannot run
ucontrol VMs or the kernel fails (apply).";

/// The largest `--capacity`: the offline checker's tables are this big.
const MAX_CAPACITY: usize = 4096;

type Space = AddressSpace<MAX_CAPACITY>;

struct Options {
    file: String,
    capacity: usize,
    rules: Rules,
    json: bool,
}

/// One rejected line.
struct Rejection {
    line: u32,
    column: u32,
    message: String,
}

/// The outcome of checking a plan offline.
struct Checked {
    memory: Option<u64>,
    statements: Vec<Statement>,
    // Boxed: a table of MAX_CAPACITY extents is 96 KiB.
    spaces: BTreeMap<u32, Box<Space>>,
    rejections: Vec<Rejection>,
}

pub fn run(mut args: lexopt::Parser) -> Result<ExitCode, Usage> {
    use lexopt::prelude::*;
    let apply = match args.next()? {
        Some(Value(v)) if v == "check" => false,
        Some(Value(v)) if v == "apply" => true,
        Some(Short('h') | Long("help")) | None => return Ok(exit::help(HELP)),
        Some(other) => return Err(other.unexpected().into()),
    };
    let mut file = None;
    let mut opts = Options {
        file: String::new(),
        capacity: DEFAULT_CAPACITY,
        rules: Rules::Strict,
        json: false,
    };
    while let Some(arg) = args.next()? {
        match arg {
            Long("capacity") if !apply => {
                let text = args.value()?.string()?;
                opts.capacity = parse_capacity(&text)?;
            }
            Long("kernel") => opts.rules = super::kernel_rules(&args.value()?.string()?)?,
            Long("json") if !apply => opts.json = true,
            Short('h') | Long("help") => return Ok(exit::help(HELP)),
            Value(v) if file.is_none() => file = Some(v.string()?),
            _ => return Err(arg.unexpected().into()),
        }
    }
    opts.file = file.ok_or_else(|| Usage::from("missing FILE: give the plan to read"))?;
    let text = match read_plan(&opts.file) {
        Ok(text) => text,
        Err(message) => {
            eprintln!("{message}");
            return Ok(ExitCode::from(exit::USAGE));
        }
    };
    let checked = check(&text, &opts);
    if checked.statements.is_empty() && checked.rejections.is_empty() {
        eprintln!(
            "{}:1:1: the plan is empty; write at least `memory SIZE`, `vcpu ID` and a `map` line",
            opts.file
        );
        return Ok(ExitCode::from(exit::USAGE));
    }
    for r in &checked.rejections {
        eprintln!("{}:{}:{}: {}", opts.file, r.line, r.column, r.message);
    }
    if apply {
        if !checked.rejections.is_empty() {
            eprintln!("{}: plan rejected; nothing was applied", opts.file);
            return Ok(ExitCode::from(exit::USAGE));
        }
        return Ok(apply_plan(&checked, &opts));
    }
    if opts.json {
        println!("{}", check_json(&checked, &opts));
    } else {
        print!("{}", check_report(&checked, &opts));
    }
    Ok(if checked.rejections.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::USAGE)
    })
}

fn parse_capacity(text: &str) -> Result<usize, Usage> {
    let n = plan::parse_number(text).map_err(|e| Usage::from(format!("--capacity {text}: {e}")))?;
    match usize::try_from(n) {
        Ok(n @ 1..=MAX_CAPACITY) => Ok(n),
        _ => Err(Usage::from(format!(
            "--capacity {text}: give 1 to {MAX_CAPACITY} extents"
        ))),
    }
}

/// The largest plan read: a plan is a few lines per vcpu, and without a cap
/// `/proc/kcore` or a runaway generator's output would be read until memory
/// runs out.
const MAX_PLAN_BYTES: u64 = 1 << 20;

/// The plan's text, or the one `FILE:LINE:COL:`-style message saying why it
/// cannot be read as one.
fn read_plan(file: &str) -> Result<String, String> {
    use std::io::Read as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let cannot = |e: std::io::Error| {
        let what = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file; check the path".to_string(),
            std::io::ErrorKind::PermissionDenied => {
                "permission denied; make it readable or run as its owner".to_string()
            }
            _ => format!("cannot read it: {e}"),
        };
        format!("{file}:1:1: {what}")
    };
    let refuse = |what: &str| {
        format!(
            "{file}:1:1: cannot read it: {what}, not a regular file; save the plan to a file and give its path"
        )
    };
    // Looked at before opening: opening a FIFO waits for a writer, and a
    // socket cannot be opened at all.
    if let Some(what) = super::not_regular(std::fs::metadata(file).map_err(cannot)?.file_type()) {
        return Err(refuse(what));
    }
    // Non-blocking and checked again on the open file, in case the path was
    // replaced by a FIFO in between; reads of a regular file never block.
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(file)
        .map_err(cannot)?;
    if let Some(what) = super::not_regular(f.metadata().map_err(cannot)?.file_type()) {
        return Err(refuse(what));
    }
    let mut bytes = Vec::new();
    f.take(MAX_PLAN_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_PLAN_BYTES {
        return Err(format!(
            "{file}:1:1: larger than {} MiB, the most a plan may be; split it into several plans",
            MAX_PLAN_BYTES >> 20
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        format!("{file}:{line}:{column}: not UTF-8 text (a binary file?); a plan is plain text")
    })?;
    if text.contains('\0') {
        let (line, column) = position_of(&text, text.find('\0').unwrap_or(0));
        return Err(format!(
            "{file}:{line}:{column}: NUL byte: a plan is plain text, not binary"
        ));
    }
    Ok(text)
}

fn position_of(text: &str, byte: usize) -> (usize, usize) {
    let before = &text[..byte];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn check(text: &str, opts: &Options) -> Checked {
    let mut out = Checked {
        memory: None,
        statements: Vec::new(),
        spaces: BTreeMap::new(),
        rejections: Vec::new(),
    };
    let mut statements = plan::parse(text);
    for item in statements.by_ref() {
        match item {
            Ok(s) => match judge(&s, &mut out.spaces, opts) {
                Ok(()) => out.statements.push(s),
                Err(message) => out.rejections.push(Rejection {
                    line: s.line,
                    column: s.column,
                    message,
                }),
            },
            Err(e) => out.rejections.push(Rejection {
                line: e.line,
                column: e.column,
                message: e.to_string(),
            }),
        }
    }
    out.memory = statements.memory();
    out
}

/// Applies one statement to the offline mirrors, or says why it would fail.
fn judge(
    s: &Statement,
    spaces: &mut BTreeMap<u32, Box<Space>>,
    opts: &Options,
) -> Result<(), String> {
    if let Directive::Vcpu { id } = s.directive {
        spaces.entry(id).or_default();
        return Ok(());
    }
    let Some(space) = s.vcpu.and_then(|id| spaces.get_mut(&id)) else {
        return Ok(());
    };
    let full = |needed| {
        SpaceError::Full {
            needed,
            capacity: opts.capacity,
        }
        .to_string()
    };
    match s.directive {
        Directive::Map {
            vcpu_addr,
            user_offset,
            length,
        } => {
            let m = UcasMapping {
                user_addr: user_offset,
                vcpu_addr,
                length,
            };
            let needed = space
                .extents_after_map(opts.rules, &m)
                .map_err(|e| e.to_string())?;
            if needed > opts.capacity {
                return Err(full(needed));
            }
            space.map_with(opts.rules, m).map_err(|e| e.to_string())
        }
        Directive::Unmap { vcpu_addr, length } => {
            let needed = space
                .extents_after_unmap(opts.rules, vcpu_addr, length)
                .map_err(|e| e.to_string())?;
            if needed > opts.capacity {
                return Err(full(needed));
            }
            space
                .unmap_with(opts.rules, vcpu_addr, length)
                .map_err(|e| e.to_string())
        }
        Directive::Fault { vcpu_addr } if !space.is_mapped(vcpu_addr) => Err(format!(
            "fault at vcpu {vcpu_addr:#x}: its segment is not mapped at this point \
             (the kernel answers EFAULT or EREMOTE); map it on an earlier line"
        )),
        _ => Ok(()),
    }
}

fn size(bytes: u64) -> String {
    const UNITS: [(&str, u32); 4] = [("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)];
    for (unit, shift) in UNITS {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} B")
}

/// One extent as the tables show it: user addresses as offsets into the
/// plan's memory.
struct Row {
    vcpu_addr: u64,
    user_offset: u64,
    length: u64,
}

impl Row {
    fn of(e: &Extent, base: u64) -> Self {
        Self {
            vcpu_addr: e.vcpu_addr(),
            user_offset: e.user_addr().wrapping_sub(base),
            length: e.length(),
        }
    }
}

/// The table of one vcpu's address space; user addresses are shown as
/// offsets into the plan's memory, plus absolute addresses when `base` is known.
fn space_table(id: u32, extents: &[Row], base: Option<u64>, capacity: usize) -> String {
    let mapped: u64 = extents
        .iter()
        .map(|e| e.length)
        .fold(0, u64::saturating_add);
    let mut out = format!(
        "vcpu {id}: {} extent{} of {capacity}, {} mapped\n",
        extents.len(),
        if extents.len() == 1 { "" } else { "s" },
        size(mapped)
    );
    for e in extents {
        let last = |start: u64| start.saturating_add(e.length.saturating_sub(1));
        let _ = write!(
            out,
            "  vcpu {:#018x}-{:#018x} -> user +{:#x}-+{:#x}",
            e.vcpu_addr,
            last(e.vcpu_addr),
            e.user_offset,
            last(e.user_offset),
        );
        if let Some(base) = base {
            let _ = write!(out, " (at {:#x})", base.saturating_add(e.user_offset));
        }
        let _ = writeln!(out, "  {}", size(e.length));
    }
    out
}

fn check_report(c: &Checked, opts: &Options) -> String {
    let mut out = format!(
        "{}: {} line{} accepted, {} rejected; rules: {}; memory: {}\n",
        opts.file,
        c.statements.len(),
        if c.statements.len() == 1 { "" } else { "s" },
        c.rejections.len(),
        opts.rules,
        c.memory.map_or_else(|| "none".to_string(), size),
    );
    for (id, space) in &c.spaces {
        let rows: Vec<Row> = space.iter().map(|e| Row::of(e, 0)).collect();
        out.push_str(&space_table(*id, &rows, None, opts.capacity));
    }
    if !c.rejections.is_empty() {
        out.push_str("plan rejected: nothing would be applied\n");
    }
    out
}

fn check_json(c: &Checked, opts: &Options) -> String {
    let rules = match opts.rules {
        Rules::Strict => "strict".to_string(),
        Rules::Kernel(g) => g.letter().to_string(),
    };
    let vcpus = json::array(c.spaces.iter().map(|(id, space)| {
        let extents = json::array(space.iter().map(|e| {
            Object::new()
                .num("vcpu_addr", Some(e.vcpu_addr()))
                .num("user_offset", Some(e.user_addr()))
                .num("length", Some(e.length()))
                .finish()
        }));
        Object::new()
            .num("id", Some(id))
            .num("mapped_bytes", Some(space.mapped_bytes()))
            .raw("extents", &extents)
            .finish()
    }));
    let errors = json::array(c.rejections.iter().map(|r| {
        Object::new()
            .num("line", Some(r.line))
            .num("column", Some(r.column))
            .str("message", Some(&r.message))
            .finish()
    }));
    Object::new()
        .str("file", Some(&opts.file))
        .bool("ok", Some(c.rejections.is_empty()))
        .str("rules", Some(&rules))
        .num("capacity", Some(opts.capacity))
        .num("memory", c.memory)
        .raw("vcpus", &vcpus)
        .raw("errors", &errors)
        .finish()
}

fn apply_plan(c: &Checked, opts: &Options) -> ExitCode {
    match try_apply(c, opts) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{}: {message}", opts.file);
            ExitCode::from(exit::FAILED)
        }
    }
}

fn try_apply(c: &Checked, opts: &Options) -> Result<String, String> {
    let kvm = Kvm::open().map_err(|e| e.to_string())?;
    let vm = Vm::create_ucontrol(&kvm).map_err(|e| e.to_string())?;
    let memory = GuestMemory::new(c.memory.unwrap_or(ucas::core::segment::SEGMENT_SIZE))
        .map_err(|e| e.to_string())?;
    let mut vcpus: BTreeMap<u32, Vcpu> = BTreeMap::new();
    for s in &c.statements {
        let at = |e: ucas::Error| format!("line {}: {e}", s.line);
        if let Directive::Vcpu { id } = s.directive {
            if let std::collections::btree_map::Entry::Vacant(slot) = vcpus.entry(id) {
                let mut vcpu = Vcpu::create(&vm, id).map_err(at)?;
                vcpu.set_rules(opts.rules);
                slot.insert(vcpu);
            }
            continue;
        }
        let Some(vcpu) = s.vcpu.and_then(|id| vcpus.get_mut(&id)) else {
            continue;
        };
        match s.directive {
            Directive::Map {
                vcpu_addr,
                user_offset,
                length,
            } => vcpu
                .map(UcasMapping {
                    user_addr: memory.addr().saturating_add(user_offset),
                    vcpu_addr,
                    length,
                })
                .map_err(at)?,
            Directive::Unmap { vcpu_addr, length } => vcpu.unmap(vcpu_addr, length).map_err(at)?,
            Directive::Fault { vcpu_addr } => vcpu.fault(vcpu_addr).map_err(at)?,
            Directive::Memory { .. } | Directive::Vcpu { .. } => {}
        }
    }
    let mut out = format!(
        "{}: applied {} lines; memory {} at {:#x}\n",
        opts.file,
        c.statements.len(),
        size(memory.len()),
        memory.addr()
    );
    for (id, vcpu) in &vcpus {
        let rows: Vec<Row> = vcpu
            .mappings()
            .iter()
            .map(|e| Row::of(e, memory.addr()))
            .collect();
        let capacity = vcpu.mappings().capacity();
        out.push_str(&space_table(*id, &rows, Some(memory.addr()), capacity));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ucas::core::Generation;

    fn opts(capacity: usize, rules: Rules) -> Options {
        Options {
            file: "p".into(),
            capacity,
            rules,
            json: false,
        }
    }

    #[test]
    fn good_plan_builds_the_mirror() {
        let text = "memory 64M\nvcpu 0\nmap vcpu=0 user=0 len=4M\nunmap vcpu=2M len=1M\nfault vcpu=0x1000\nvcpu 1\nmap vcpu=1G user=8M len=2M\n";
        let c = check(text, &opts(256, Rules::Strict));
        assert!(c.rejections.is_empty());
        assert_eq!(c.memory, Some(64 << 20));
        let v0: Vec<_> = c.spaces[&0]
            .iter()
            .map(|e| (e.vcpu_addr(), e.user_addr(), e.length()))
            .collect();
        assert_eq!(v0, [(0, 0, 2 << 20), (3 << 20, 3 << 20, 1 << 20)]);
        assert_eq!(c.spaces[&1].translate(1 << 30), Some(8 << 20));
        let report = check_report(&c, &opts(256, Rules::Strict));
        assert!(
            report.contains("vcpu 0: 2 extents of 256, 3 MiB mapped"),
            "{report}"
        );
        let j = check_json(&c, &opts(256, Rules::Strict));
        assert!(
            j.starts_with(r#"{"file":"p","ok":true,"rules":"strict""#),
            "{j}"
        );
        assert!(
            j.contains(r#"{"vcpu_addr":3145728,"user_offset":3145728,"length":1048576}"#),
            "{j}"
        );
    }

    #[test]
    fn rejections_carry_line_column_and_rule() {
        let text = "memory 8M\nvcpu 0\n  map vcpu=0x100001 user=0 len=1M\nmap vcpu=0 user=0 len=0\nfault vcpu=5M\nmap vcpu=0 user=0 len=1M\nunmap vcpu=0 len=1M\nbogus\n";
        let c = check(text, &opts(256, Rules::Strict));
        let got: Vec<_> = c.rejections.iter().map(|r| (r.line, r.column)).collect();
        assert_eq!(got, [(3, 3), (4, 1), (5, 1), (8, 1)]);
        assert!(
            c.rejections[0]
                .message
                .contains("vcpu_addr 0x100001 is not 1 MiB aligned")
        );
        assert!(c.rejections[1].message.contains("length 0"));
        assert!(c.rejections[2].message.contains("not mapped"));
        // Generation C takes length 0 as a no-op.
        let c = check(text, &opts(256, Rules::Kernel(Generation::C)));
        assert_eq!(c.rejections.len(), 3);
    }

    #[test]
    fn capacity_is_enforced_exactly() {
        let text = "memory 16M\nvcpu 0\nmap vcpu=0 user=0 len=8M\nunmap vcpu=1M len=1M\nunmap vcpu=3M len=1M\n";
        let c = check(text, &opts(2, Rules::Strict));
        assert_eq!(c.rejections.len(), 1);
        assert_eq!(c.rejections[0].line, 5);
        assert!(
            c.rejections[0]
                .message
                .contains("need 3 extents but holds 2"),
            "{}",
            c.rejections[0].message
        );
        assert!(check(text, &opts(3, Rules::Strict)).rejections.is_empty());
        assert!(parse_capacity("0").is_err());
        assert!(parse_capacity("4097").is_err());
        assert_eq!(parse_capacity("4K").ok(), Some(4096));
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(size(4 << 20), "4 MiB");
        assert_eq!(size(3 << 30), "3 GiB");
        assert_eq!(size(1536), "1536 B");
        assert_eq!(size(0), "0 B");
    }
}
