//! `ucas probe`: can this host run ucontrol VMs, and if not, why.

use std::process::ExitCode;

use ucas::probe::Probe;

use super::json::Object;
use super::{Usage, exit};

pub const HELP: &str = "\
ucas probe: check whether this host can run s390 ucontrol VMs, and why not

Usage: ucas probe [--json] [--device PATH]

Reports /dev/kvm, the KVM API version, KVM_CAP_S390_UCONTROL, whether a
ucontrol VM can be created (and if not, why: architecture, kernel option or
missing CAP_SYS_ADMIN), CAP_SYS_ADMIN, the architecture and the kernel
generation.

Options:
  --json           print one JSON object instead of a table
  --device PATH    probe another KVM device node (default /dev/kvm)
  -h, --help       print this help

Exit status: 0 when ucontrol VMs are usable, 1 when they are not, 2 on bad usage.";

pub fn run(mut args: lexopt::Parser) -> Result<ExitCode, Usage> {
    use lexopt::prelude::*;
    let mut json = false;
    let mut device = ucas::KVM_PATH.to_string();
    while let Some(arg) = args.next()? {
        match arg {
            Long("json") => json = true,
            Long("device") => device = args.value()?.string()?,
            Short('h') | Long("help") => return Ok(exit::help(HELP)),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let p = Probe::run_path(&device);
    if json {
        println!("{}", to_json(&p));
    } else {
        print!("{}", to_table(&p));
    }
    Ok(if p.usable() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILED)
    })
}

fn yes_no(v: Option<bool>, yes: &str, no: &str) -> String {
    match v {
        Some(true) => yes.to_string(),
        Some(false) => no.to_string(),
        None => "unknown".to_string(),
    }
}

pub fn to_table(p: &Probe) -> String {
    let device = match &p.kvm_error {
        None => "open (read-write)".to_string(),
        Some(e) => format!("cannot open: {e}"),
    };
    let api = p
        .api_version
        .map_or_else(|| "unknown".to_string(), |v| v.to_string());
    let mmap = p
        .vcpu_mmap_size
        .map_or_else(|| "unknown".to_string(), |v| format!("{v} bytes"));
    let vm = if p.ucontrol_vm {
        "yes".to_string()
    } else {
        format!("no: {}", p.reason.as_deref().unwrap_or("unknown"))
    };
    let generation = match (p.generation_detected, p.generation_by_version) {
        (Some(g), _) => format!("{g} (detected on a live vcpu)"),
        (None, Some(g)) => format!("{g} by version; not detected (needs a ucontrol VM)"),
        (None, None) => "unknown".to_string(),
    };
    let rows = [
        ("device", format!("{} {device}", p.kvm_path)),
        ("KVM API version", api),
        (
            "KVM_CAP_S390_UCONTROL",
            yes_no(p.ucontrol_capability, "present", "absent"),
        ),
        ("vcpu mmap size", mmap),
        ("ucontrol VM", vm),
        ("CAP_SYS_ADMIN", yes_no(p.cap_sys_admin, "yes", "no")),
        ("architecture", p.architecture.clone()),
        ("kernel", p.kernel_release.clone()),
        ("generation", generation),
    ];
    rows.iter().map(|(k, v)| format!("{k:<22} {v}\n")).collect()
}

pub fn to_json(p: &Probe) -> String {
    let generation = |g: Option<ucas::core::Generation>| g.map(|g| g.letter().to_string());
    Object::new()
        .str("device", Some(&p.kvm_path))
        .bool("device_open", Some(p.kvm_error.is_none()))
        .num("api_version", p.api_version)
        .bool(
            "ucontrol_capability",
            Some(p.ucontrol_capability == Some(true)),
        )
        .num("vcpu_mmap_size", p.vcpu_mmap_size)
        .bool("ucontrol_vm", Some(p.ucontrol_vm))
        .str("reason", p.reason.as_deref())
        .bool("cap_sys_admin", p.cap_sys_admin)
        .str("architecture", Some(&p.architecture))
        .str("kernel_release", Some(&p.kernel_release))
        .str("generation", generation(p.generation_detected).as_deref())
        .str(
            "generation_by_version",
            generation(p.generation_by_version).as_deref(),
        )
        .finish()
}
