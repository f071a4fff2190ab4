//! `ucas demo`: the ucontrol loop once, step by step, in words — on this
//! host's KVM where ucontrol works, under the emulator everywhere else.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, ExitCode};

use ucas::core::abi::UcasMapping;
use ucas::{Exit, GuestMemory, Kvm, Vcpu, Vm};
use ucas_emulator::programs::{
    CODE_ADDR, FIXTURE_MAPPED, FIXTURE_MEMORY, MAP_UNMAP, MAP_UNMAP_AFTER_DIAG, MAP_UNMAP_STORE,
    PSW_MASK_64,
};
use ucas_emulator::{Emulator, Generation};

use super::{Usage, exit};

pub const HELP: &str = "\
ucas demo: run the ucontrol loop once and say what happens at each step

Usage: ucas demo [--emulate] [--kernel VERSION]

Runs the kernel selftest's map/unmap scenario. A guest at vcpu 0x300000
stores r1 (0x55) at vcpu 0x400001, outside the 4 MiB mapped at 0: KVM_RUN
returns a ucontrol exit; the demo maps the segment and runs again, the guest
reaches DIAG 0x44; the demo unmaps the segment, and the ucontrol exit comes
back. Every run and its exit is printed in words.

It uses this host's KVM where ucontrol VMs work (an s390x host with
CONFIG_KVM_S390_UCONTROL, as root). Anywhere else it runs itself under the
ucas emulator (`ucas emulate`) and says so.

Options:
  --emulate          use the emulator even where real ucontrol works
  --kernel VERSION   the kernel the emulator models: up to 6.13 = generation
                     A, 6.14-6.19 = B, 7.0 and later = C (default: newest);
                     implies --emulate
  -h, --help         print this help

Exit status: 0 when every step behaved as the kernel documents, 1 when one
did not or no ucontrol VM could be created (the emulator too needs root),
2 on bad usage.";

/// Set in the demo's own environment when it runs itself under the
/// emulator, so the child runs the scenario instead of starting another
/// emulator.
const INSIDE_EMULATOR: &str = "UCAS_DEMO_INSIDE_EMULATOR";

const MIB: u64 = 1 << 20;

pub fn run(mut args: lexopt::Parser) -> Result<ExitCode, Usage> {
    use lexopt::prelude::*;
    let mut generation = None;
    let mut emulate = false;
    while let Some(arg) = args.next()? {
        match arg {
            Long("emulate") => emulate = true,
            Long("kernel") => {
                let v = args.value()?.string()?;
                generation = Some(super::kernel_generation(&v)?);
            }
            Short('h') | Long("help") => return Ok(exit::help(HELP)),
            _ => return Err(arg.unexpected().into()),
        }
    }
    if std::env::var_os(INSIDE_EMULATOR).is_some() {
        return Ok(finish(scenario()));
    }
    if !emulate && generation.is_none() {
        match hardware() {
            Ok(()) => {
                println!("ucas demo: this host runs ucontrol VMs: using its KVM.");
                return Ok(finish(scenario()));
            }
            Err(why) => println!("ucas demo: this host cannot run ucontrol VMs: {why}"),
        }
    }
    let generation = generation.unwrap_or(Generation::NEWEST);
    println!(
        "ucas demo: running the demo under the ucas emulator, modelling a kernel of generation {generation}."
    );
    Ok(under_emulator(generation))
}

/// Whether a ucontrol VM can be created here, and if not, why.
fn hardware() -> Result<(), String> {
    let kvm = Kvm::open().map_err(|e| e.to_string())?;
    Vm::create_ucontrol(&kvm)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Runs this program's `demo` again under the emulator.
fn under_emulator(generation: Generation) -> ExitCode {
    // Our lines must come before the child's on a shared pipe.
    let _ = std::io::stdout().flush();
    let mut cmd = Command::new("/proc/self/exe");
    cmd.arg("demo").env(INSIDE_EMULATOR, "1");
    match Emulator::new(generation).run(cmd) {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("ucas demo: the demo under the emulator failed ({status})");
            ExitCode::from(exit::FAILED)
        }
        Err(e) => {
            eprintln!("ucas demo: cannot run the demo under the emulator: {e}");
            ExitCode::from(exit::FAILED)
        }
    }
}

fn finish(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = std::io::stdout().flush();
            eprintln!("ucas demo: {e}");
            ExitCode::from(exit::FAILED)
        }
    }
}

/// One run of the vcpu, printed as `run → <exit in words>`.
fn run_step(vcpu: &mut Vcpu, note: impl Fn(&Vcpu) -> String) -> Result<Exit, String> {
    let exit = vcpu.run().map_err(|e| format!("run → failed: {e}"))?;
    let mut line = format!("run → {}", describe(exit, vcpu));
    let extra = note(vcpu);
    if !extra.is_empty() {
        let _ = write!(line, "; {extra}");
    }
    println!("{line}");
    Ok(exit)
}

/// An exit in words.
fn describe(exit: Exit, vcpu: &Vcpu) -> String {
    let r = vcpu.gprs();
    match exit {
        Exit::Ucontrol { trans_exc_code, .. } => {
            let why = if vcpu.translate(trans_exc_code).is_some() {
                "segment mapped, user memory missing"
            } else {
                "segment not mapped"
            };
            format!(
                "ucontrol exit at vcpu {trans_exc_code:#x} ({why}), r0 = {}, PSW at {:#x}",
                r[0],
                vcpu.psw().1
            )
        }
        e => match e.diag_code() {
            Some(code) => format!(
                "DIAG {code:#x} intercept, r0 = {}, r1 = {:#x}, PSW at {:#x}",
                r[0],
                r[1],
                vcpu.psw().1
            ),
            None => format!("{e:?}"),
        },
    }
}

fn expect(what: &str, ok: bool) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!(
            "unexpected: {what}; the kernel (or emulator) does not behave as documented"
        ))
    }
}

/// Maps `length` bytes at `vcpu_addr` to the demo's memory at offset
/// `user_offset`, and says so.
fn map(
    vcpu: &mut Vcpu,
    mem: &GuestMemory,
    user_offset: u64,
    vcpu_addr: u64,
    length: u64,
) -> Result<(), String> {
    let user_addr = mem
        .addr_of(user_offset)
        .ok_or_else(|| format!("offset {user_offset:#x} is outside the demo's memory"))?;
    let m = UcasMapping {
        user_addr,
        vcpu_addr,
        length,
    };
    let end = vcpu_addr.wrapping_add(length);
    match vcpu.map(m) {
        Ok(()) => {
            println!("map vcpu {vcpu_addr:#x}..{end:#x} → user {user_addr:#x}");
            Ok(())
        }
        Err(e) => {
            println!("map vcpu {vcpu_addr:#x}..{end:#x} → refused: {e}");
            Err(e.to_string())
        }
    }
}

/// The selftest's map/unmap scenario, printed step by step.
fn scenario() -> Result<(), String> {
    let kvm = Kvm::open().map_err(|e| e.to_string())?;
    let vm = Vm::create_ucontrol(&kvm).map_err(|e| e.to_string())?;
    let mut vcpu: Vcpu = Vcpu::create(&vm, 0).map_err(|e| e.to_string())?;
    let mut mem = GuestMemory::new(FIXTURE_MEMORY).map_err(|e| e.to_string())?;
    println!(
        "setup: ucontrol VM, vcpu 0, {} MiB of user memory at {:#x}",
        FIXTURE_MEMORY / MIB,
        mem.addr()
    );
    map(&mut vcpu, &mem, 0, 0, FIXTURE_MAPPED)?;
    vcpu.fault(0).map_err(|e| e.to_string())?;
    vcpu.clear_stopped();
    mem.write(CODE_ADDR, &MAP_UNMAP)
        .map_err(|e| e.to_string())?;
    vcpu.set_psw(PSW_MASK_64, CODE_ADDR);
    let target = FIXTURE_MAPPED + 1;
    let mut gprs = [0; 16];
    gprs[1] = 0x55;
    gprs[6] = target;
    vcpu.set_gprs(gprs);
    println!(
        "guest at vcpu {CODE_ADDR:#x}: r0 += 1; store r1 = 0x55 at vcpu {target:#x}; load it back; r0 += 1; DIAG 0x44; repeat"
    );

    let store = CODE_ADDR + MAP_UNMAP_STORE;
    let fault = ucas::core::segment::page_round_down(target);
    let is_fault = |e: Exit| matches!(e, Exit::Ucontrol { trans_exc_code, pgm_code: 0x10 } if trans_exc_code == fault);
    let none = |_: &Vcpu| String::new();

    let e = run_step(&mut vcpu, none)?;
    expect(
        "the first run should end in a ucontrol exit at the store",
        is_fault(e) && vcpu.gprs()[0] == 1 && vcpu.psw().1 == store,
    )?;

    // A misaligned request is refused; then the segment pair is mapped.
    if map(&mut vcpu, &mem, FIXTURE_MAPPED, target, 2 * MIB).is_ok() {
        return Err("a map at a misaligned vcpu address was accepted".into());
    }
    map(&mut vcpu, &mem, FIXTURE_MAPPED, FIXTURE_MAPPED, 2 * MIB)?;
    let stored = |_: &Vcpu| match mem.read_be_u32(target) {
        Ok(v) => format!("vcpu {target:#x} holds {v:#x}"),
        Err(e) => format!("vcpu {target:#x} unreadable: {e}"),
    };
    let e = run_step(&mut vcpu, stored)?;
    expect(
        "the second run should reach the DIAG 0x44 with r0 = 2, r1 = 0x55",
        e.diag_code() == Some(0x44)
            && vcpu.gprs()[..2] == [2, 0x55]
            && vcpu.psw().1 == CODE_ADDR + MAP_UNMAP_AFTER_DIAG
            && mem.read_be_u32(target).ok() == Some(0x55),
    )?;

    vcpu.unmap(FIXTURE_MAPPED, 2 * MIB)
        .map_err(|e| e.to_string())?;
    println!(
        "unmap vcpu {FIXTURE_MAPPED:#x}..{:#x}",
        FIXTURE_MAPPED + 2 * MIB
    );
    let e = run_step(&mut vcpu, none)?;
    expect(
        "after the unmap the store should fault again",
        is_fault(e) && vcpu.gprs()[0] == 3,
    )?;

    // The usual exit handler: map the faulting segment, run on.
    let segment = ucas::core::segment::segment_round_down(fault);
    map(&mut vcpu, &mem, segment, segment, MIB)?;
    let e = run_step(&mut vcpu, none)?;
    expect(
        "with the segment mapped again the guest should reach the DIAG",
        e.diag_code() == Some(0x44) && vcpu.gprs()[..2] == [4, 0x55],
    )?;
    println!("ucas demo: the ucontrol loop works: 4 runs, 2 ucontrol exits, 2 DIAG intercepts.");
    Ok(())
}
