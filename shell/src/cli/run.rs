//! `ucas run GUEST.elf`: a minimal ucontrol controller. It loads a static
//! s390x ELF into user memory, maps vcpu segments on demand, serves the
//! `DIAGNOSE 0x500` hypercalls of `examples/guest/ucas_guest.h` and exits
//! with the guest's status — on this host's KVM where ucontrol works, under
//! the emulator everywhere else (or with `--emulate`).

use std::fmt;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use ucas::core::abi::{ICPT_INST, ICPT_OPEREXC, ICPT_PROGI, UcasMapping};
use ucas::core::segment::SEGMENT_SIZE;
use ucas::{Exit, GuestMemory, Kvm, Vcpu, Vm};
use ucas_emulator::cpu::CR0_AFP;
use ucas_emulator::programs::PSW_MASK_64;
use ucas_emulator::{Emulator, Generation};

use super::{Usage, exit};

pub const HELP: &str = "\
ucas run: run a static s390x ELF as a ucontrol guest

Usage: ucas run [--emulate] [--kernel VERSION] [--trace=LIST] GUEST.elf

Loads GUEST.elf (a static, big-endian, 64-bit s390x executable; build one
with examples/guest/build.sh) into 16 MiB of user memory that backs vcpu
addresses 0x0-0x1000000 one to one, and runs vcpu 0 of a ucontrol VM,
mapping each 1 MiB vcpu segment when the guest first touches it.

What the guest sees at entry:
  PSW        mask 0x0000000180000000 (64-bit addressing, DAT off, every
             interruption disabled, supervisor state), address e_entry
  registers  r15 = 0xffff60 (the top of memory less the 160-byte register
             save area of the s390x ABI), every other register 0; control
             registers as a new vcpu has them (CR0 0xe0, CR14 0xc2000000)
             plus CR0's AFP-register control (bit 45, 0x40000), because gcc
             uses every FPR as spill space
  memory     each PT_LOAD segment at its p_vaddr, the rest of its p_memsz
             zero; everything else zero, the lowcore (0x0-0x2000) included;
             prefix 0
  segment    0x0-0x100000 (the lowcore) mapped before the first run

Hypercalls: DIAGNOSE 0x500 (diag R1,R3,0x500), function number in r1,
arguments from r2, result in r2:
  1  write(r2 = fd, r3 = address, r4 = length): fd 1 goes to stdout, 2 to
     stderr; result the length, or -1 for another fd or a buffer outside
     guest memory
  2  exit(r2 = status): the guest's status, low 8 bits, is ucas run's

Where ucontrol VMs work (an s390x host with CONFIG_KVM_S390_UCONTROL, as
root; not tried: the project has no such machine) it uses this host's KVM;
anywhere else it runs itself under the ucas emulator.

Options:
  --emulate          use the emulator even where real ucontrol works
  --kernel VERSION   the kernel the emulator models: up to 6.13 = generation
                     A, 6.14-6.19 = B, 7.0 and later = C (default: newest);
                     implies --emulate
  --trace[=LIST]     with --emulate: print on stderr one line per emulated
                     /dev/kvm call (`calls`, the default) and/or per guest
                     instruction before it executes, with its address, bytes
                     and disassembly (`insn`): --trace=insn, --trace=calls,insn
  --trace-limit N    stop the instruction trace after N instructions (the
                     guest runs on; a trace of every instruction of a long
                     guest is millions of lines)
  -h, --help         print this help

Exit status: the guest's exit status; 2 bad usage; 120 GUEST.elf is not a
loadable guest (the message says why); 121 no ucontrol VM could be set up or
run (the emulator too needs root); 122 the guest stopped at an intercept
other than the hypercalls (a program interruption the machine hands to the
host, an unknown instruction, an unknown hypercall); 123 the guest touched
a vcpu address outside its 16 MiB. A guest built with examples/guest exits
with 119 from its own program-interruption handler.";

/// Exit status: the file is not a loadable guest.
const EXIT_BAD_IMAGE: u8 = 120;
/// Exit status: no ucontrol VM could be set up, or `KVM_RUN` failed.
const EXIT_NO_VM: u8 = 121;
/// Exit status: the guest stopped at an intercept that is not a hypercall.
const EXIT_INTERCEPT: u8 = 122;
/// Exit status: the guest touched a vcpu address outside its memory.
const EXIT_OUTSIDE: u8 = 123;

/// The guest's memory: vcpu addresses `0..MEMORY`, one to one.
const MEMORY: u64 = 16 << 20;
/// The lowcore, which no segment of the image may overlap.
const LOWCORE: u64 = 0x2000;
/// The s390x ABI's register save area below the stack pointer.
const STACK_FRAME: u64 = 160;
/// The PSW mask the guest starts with (64-bit, DAT off, supervisor state).
const ENTRY_PSW_MASK: u64 = PSW_MASK_64;
/// At most this many program headers are read.
const MAX_PHDRS: u16 = 64;

/// Hypercall function numbers (`r1` of `DIAGNOSE 0x500`).
const HC_WRITE: u64 = 1;
const HC_EXIT: u64 = 2;
/// The DIAGNOSE code of the hypercalls.
const DIAG_HYPERCALL: u16 = 0x500;

/// Set in the child's environment when `ucas run` runs itself under the
/// emulator, so the child runs the guest instead of another emulator.
const INSIDE_EMULATOR: &str = "UCAS_RUN_INSIDE_EMULATOR";

/// The parsed command line.
#[derive(Debug, PartialEq, Eq)]
struct Options {
    emulate: bool,
    generation: Option<Generation>,
    trace: super::Trace,
    guest: PathBuf,
}

/// `None` for `--help`.
fn parse(mut args: lexopt::Parser) -> Result<Option<Options>, Usage> {
    use lexopt::prelude::*;
    let mut emulate = false;
    let mut generation = None;
    let mut trace = super::Trace::default();
    let mut guest = None;
    while let Some(arg) = args.next()? {
        match arg {
            Long("emulate") => emulate = true,
            Long("kernel") => {
                let v = args.value()?.string()?;
                generation = Some(super::kernel_generation(&v)?);
            }
            Long("trace") => trace.add(args.optional_value())?,
            Long("trace-limit") => trace.set_limit(&args.value()?.string()?)?,
            Short('h') | Long("help") => return Ok(None),
            Value(v) if guest.is_none() => guest = Some(PathBuf::from(v)),
            _ => return Err(arg.unexpected().into()),
        }
    }
    let guest = guest.ok_or("no guest given: ucas run [OPTIONS] GUEST.elf")?;
    let emulate = emulate || generation.is_some();
    let trace = trace.check()?;
    // Only the emulator sees the guest's instructions (its interpreter
    // runs them one by one) and the /dev/kvm calls: on the host's KVM
    // there is nothing to trace them with.
    if !emulate && trace.insn {
        return Err(
            "--trace=insn needs --emulate: the emulator's interpreter traces the \
                    guest's instructions, and KVM cannot single-step a ucontrol guest for us"
                .into(),
        );
    }
    if !emulate && trace.calls {
        return Err(
            "--trace=calls needs --emulate: the emulator traces the /dev/kvm calls it \
                    answers (on this host's KVM, use strace)"
                .into(),
        );
    }
    Ok(Some(Options {
        emulate,
        generation,
        trace,
        guest,
    }))
}

pub fn run(args: lexopt::Parser) -> Result<ExitCode, Usage> {
    let Some(o) = parse(args)? else {
        return Ok(exit::help(HELP));
    };
    // Refuse a bad image before any VM or emulator exists.
    let image = match Image::read(&o.guest) {
        Ok(image) => image,
        Err(e) => {
            eprintln!("ucas run: {}: {e}", o.guest.display());
            return Ok(ExitCode::from(EXIT_BAD_IMAGE));
        }
    };
    if std::env::var_os(INSIDE_EMULATOR).is_some() {
        return Ok(ExitCode::from(controller(&image)));
    }
    if !o.emulate {
        match hardware() {
            Ok(()) => return Ok(ExitCode::from(controller(&image))),
            Err(why) => eprintln!(
                "ucas run: this host cannot run ucontrol VMs ({why}); running the guest under the ucas emulator"
            ),
        }
    }
    let generation = o.generation.unwrap_or(Generation::NEWEST);
    Ok(ExitCode::from(under_emulator(&o, generation)))
}

/// Whether a ucontrol VM can be created here, and if not, why.
fn hardware() -> Result<(), String> {
    let kvm = Kvm::open().map_err(|e| e.to_string())?;
    Vm::create_ucontrol(&kvm)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Runs this program's `run GUEST` again under the emulator; its status.
fn under_emulator(o: &Options, generation: Generation) -> u8 {
    let _ = std::io::stdout().flush();
    let mut cmd = Command::new("/proc/self/exe");
    cmd.arg("run").arg(&o.guest).env(INSIDE_EMULATOR, "1");
    let emu = o
        .trace
        .apply(Emulator::new(generation))
        .forward_signals(true);
    match emu.run(cmd) {
        Ok(status) => super::emulate::status_code(status),
        Err(e) => {
            eprintln!("ucas run: cannot run the guest under the emulator: {e}");
            EXIT_NO_VM
        }
    }
}

/// Why a file is not a loadable guest.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ImageError {
    /// Reading failed.
    Io(String),
    /// Not a regular file.
    NotRegular(&'static str),
    /// Larger than the guest's memory.
    TooBig(u64),
    /// Shorter than the part named.
    Truncated(&'static str),
    /// No ELF magic.
    NotElf,
    /// `EI_CLASS` is not ELFCLASS64.
    Class(u8),
    /// `EI_DATA` is not ELFDATA2MSB.
    Endian(u8),
    /// `EI_VERSION` or `e_version` is not 1.
    Version,
    /// `e_type` is not ET_EXEC.
    Type(u16),
    /// `e_machine` is not EM_S390.
    Machine(u16),
    /// `e_phentsize` is not the size of an ELF64 program header.
    PhentSize(u16),
    /// No program header, or more than [`MAX_PHDRS`].
    PhdrCount(u16),
    /// A PT_LOAD segment's bytes lie outside the file.
    FileRange { index: usize },
    /// A PT_LOAD segment has more file bytes than memory bytes.
    FileBiggerThanMemory { index: usize },
    /// A PT_LOAD segment lies outside `LOWCORE..MEMORY`.
    OutOfRange {
        index: usize,
        vaddr: u64,
        memsz: u64,
    },
    /// Two PT_LOAD segments overlap.
    Overlap { first: usize, second: usize },
    /// A dynamic executable (PT_INTERP or PT_DYNAMIC).
    Dynamic,
    /// No PT_LOAD segment.
    NoLoad,
    /// The entry point is odd or in no segment.
    Entry(u64),
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Io(ref e) => write!(f, "cannot read it: {e}"),
            Self::NotRegular(what) => write!(f, "{what}, not a regular file"),
            Self::TooBig(len) => write!(
                f,
                "{len} bytes: larger than the guest's {MEMORY:#x} bytes of memory"
            ),
            Self::Truncated(what) => write!(f, "truncated: the file ends inside the {what}"),
            Self::NotElf => f.write_str("not an ELF file (no \\x7fELF magic)"),
            Self::Class(c) => write!(f, "ELF class {c}, not 64-bit (2)"),
            Self::Endian(d) => write!(f, "ELF data encoding {d}, not big-endian (2)"),
            Self::Version => f.write_str("ELF version is not 1"),
            Self::Type(t) => write!(
                f,
                "ELF type {t}, not a static executable (ET_EXEC, 2); link with -static -no-pie"
            ),
            Self::Machine(m) => write!(f, "ELF machine {m}, not s390 (22)"),
            Self::PhentSize(s) => write!(f, "program header size {s}, not 56"),
            Self::PhdrCount(n) => write!(f, "{n} program headers; 1 to {MAX_PHDRS} are read"),
            Self::FileRange { index } => {
                write!(f, "program header {index}: its bytes lie outside the file")
            }
            Self::FileBiggerThanMemory { index } => {
                write!(f, "program header {index}: p_filesz is larger than p_memsz")
            }
            Self::OutOfRange {
                index,
                vaddr,
                memsz,
            } => write!(
                f,
                "program header {index}: {vaddr:#x} + {memsz:#x} lies outside the guest's {LOWCORE:#x}..{MEMORY:#x}"
            ),
            Self::Overlap { first, second } => {
                write!(f, "program headers {first} and {second} overlap")
            }
            Self::Dynamic => f.write_str("a dynamic executable; link with -static"),
            Self::NoLoad => f.write_str("no PT_LOAD segment"),
            Self::Entry(e) => write!(f, "entry point {e:#x} is odd or in no PT_LOAD segment"),
        }
    }
}

/// One PT_LOAD segment, checked: `vaddr..vaddr + memsz` lies inside the
/// guest's memory above the lowcore, `offset..offset + filesz` inside the
/// file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    vaddr: u64,
    memsz: u64,
    offset: usize,
    filesz: usize,
}

/// A static s390x executable, read and checked.
#[derive(Debug)]
struct Image {
    file: Vec<u8>,
    entry: u64,
    segments: Vec<Segment>,
}

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const ET_EXEC: u16 = 2;
const EM_S390: u16 = 22;
const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;

/// Big-endian fields of a byte slice whose length was checked.
fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}
fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap_or_default())
}
fn be64(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().unwrap_or_default())
}

impl Image {
    /// Reads and checks `path`, never more than [`MEMORY`] bytes of it.
    fn read(path: &Path) -> Result<Self, ImageError> {
        let io = |e: std::io::Error| ImageError::Io(e.to_string());
        let file = std::fs::File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if let Some(what) = super::not_regular(meta.file_type()) {
            return Err(ImageError::NotRegular(what));
        }
        if meta.len() > MEMORY {
            return Err(ImageError::TooBig(meta.len()));
        }
        let mut bytes = Vec::new();
        // The file may grow after the check: read one byte past the cap.
        file.take(MEMORY + 1).read_to_end(&mut bytes).map_err(io)?;
        Self::parse(bytes)
    }

    /// Checks the ELF header and program headers of `file`.
    fn parse(file: Vec<u8>) -> Result<Self, ImageError> {
        let len = file.len() as u64;
        if len > MEMORY {
            return Err(ImageError::TooBig(len));
        }
        if file.len() < 4 || file[..4] != *b"\x7fELF" {
            return Err(ImageError::NotElf);
        }
        let h = file
            .get(..EHDR_SIZE)
            .ok_or(ImageError::Truncated("ELF header"))?;
        if h[4] != 2 {
            return Err(ImageError::Class(h[4]));
        }
        if h[5] != 2 {
            return Err(ImageError::Endian(h[5]));
        }
        if h[6] != 1 || be32(h, 20) != 1 {
            return Err(ImageError::Version);
        }
        let (e_type, machine) = (be16(h, 16), be16(h, 18));
        if machine != EM_S390 {
            return Err(ImageError::Machine(machine));
        }
        if e_type != ET_EXEC {
            return Err(ImageError::Type(e_type));
        }
        let entry = be64(h, 24);
        let phoff = be64(h, 32);
        let (phentsize, phnum) = (be16(h, 54), be16(h, 56));
        if usize::from(phentsize) != PHDR_SIZE {
            return Err(ImageError::PhentSize(phentsize));
        }
        if phnum == 0 || phnum > MAX_PHDRS {
            return Err(ImageError::PhdrCount(phnum));
        }
        let table = usize::try_from(phoff)
            .ok()
            .and_then(|at| file.get(at..at.checked_add(PHDR_SIZE * usize::from(phnum))?))
            .ok_or(ImageError::Truncated("program header table"))?;
        let mut segments: Vec<Segment> = Vec::new();
        for (index, p) in table.chunks_exact(PHDR_SIZE).enumerate() {
            match be32(p, 0) {
                PT_LOAD => {}
                PT_DYNAMIC | PT_INTERP => return Err(ImageError::Dynamic),
                _ => continue,
            }
            let (offset, vaddr, filesz, memsz) =
                (be64(p, 8), be64(p, 16), be64(p, 32), be64(p, 40));
            if memsz == 0 {
                continue;
            }
            let file_range = usize::try_from(offset)
                .ok()
                .zip(usize::try_from(filesz).ok())
                .filter(|&(o, n)| o.checked_add(n).is_some_and(|end| end <= file.len()));
            let Some((offset, filesz)) = file_range else {
                return Err(ImageError::FileRange { index });
            };
            if filesz as u64 > memsz {
                return Err(ImageError::FileBiggerThanMemory { index });
            }
            if vaddr < LOWCORE || vaddr.checked_add(memsz).is_none_or(|end| end > MEMORY) {
                return Err(ImageError::OutOfRange {
                    index,
                    vaddr,
                    memsz,
                });
            }
            let s = Segment {
                vaddr,
                memsz,
                offset,
                filesz,
            };
            if let Some(first) = segments
                .iter()
                .position(|o| s.vaddr < o.vaddr + o.memsz && o.vaddr < s.vaddr + s.memsz)
            {
                return Err(ImageError::Overlap {
                    first,
                    second: index,
                });
            }
            segments.push(s);
        }
        if segments.is_empty() {
            return Err(ImageError::NoLoad);
        }
        let inside = |s: &Segment| entry >= s.vaddr && entry - s.vaddr < s.memsz;
        if !entry.is_multiple_of(2) || !segments.iter().any(inside) {
            return Err(ImageError::Entry(entry));
        }
        Ok(Self {
            file,
            entry,
            segments,
        })
    }
}

/// Runs `image` on vcpu 0 of a fresh ucontrol VM; the exit status.
fn controller(image: &Image) -> u8 {
    match drive(image) {
        Ok(status) => status,
        Err((status, message)) => {
            let _ = std::io::stdout().flush();
            eprintln!("ucas run: {message}");
            status
        }
    }
}

type Failure = (u8, String);

fn no_vm(what: &str) -> impl Fn(ucas::Error) -> Failure + '_ {
    move |e| (EXIT_NO_VM, format!("{what}: {e}"))
}

/// The controller proper: set up, then serve exits until the guest exits.
fn drive(image: &Image) -> Result<u8, Failure> {
    let kvm = Kvm::open().map_err(no_vm("opening /dev/kvm"))?;
    let vm = Vm::create_ucontrol(&kvm).map_err(no_vm("creating the ucontrol VM"))?;
    let mut vcpu: Vcpu = Vcpu::create(&vm, 0).map_err(no_vm("creating vcpu 0"))?;
    let mut mem = GuestMemory::new(MEMORY).map_err(no_vm("allocating guest memory"))?;
    for s in &image.segments {
        mem.write(s.vaddr, &image.file[s.offset..s.offset + s.filesz])
            .map_err(no_vm("loading the image"))?;
    }
    // The lowcore must be mapped before the first run (the kernel checks
    // the prefix segment); the rest comes on demand.
    vcpu.map(UcasMapping {
        user_addr: mem.addr(),
        vcpu_addr: 0,
        length: SEGMENT_SIZE,
    })
    .map_err(no_vm("mapping the lowcore segment"))?;
    vcpu.clear_stopped();
    vcpu.set_psw(ENTRY_PSW_MASK, image.entry);
    let mut gprs = [0; 16];
    gprs[15] = MEMORY - STACK_FRAME;
    vcpu.set_gprs(gprs);
    // A new vcpu has the AFP-register control off: FPRs other than 0, 2,
    // 4 and 6 would be data exceptions, and gcc spills into all of them.
    let mut sregs = vcpu
        .sregs()
        .map_err(no_vm("reading the control registers"))?;
    sregs.crs[0] |= CR0_AFP;
    vcpu.set_sregs(&sregs)
        .map_err(no_vm("setting CR0's AFP-register control"))?;
    let segments = usize::try_from(MEMORY / SEGMENT_SIZE).unwrap_or(usize::MAX);
    loop {
        let base = mem.addr();
        let policy = |segment: u64| (segment < MEMORY).then(|| base + segment);
        let exit = vcpu
            .run_demand(policy, segments)
            .map_err(no_vm("KVM_RUN"))?
            .exit;
        match exit {
            Exit::Interrupted => {}
            Exit::Ucontrol { trans_exc_code, .. } => {
                return Err((
                    EXIT_OUTSIDE,
                    format!(
                        "the guest touched vcpu address {trans_exc_code:#x}, outside its {MEMORY:#x} bytes of memory (PSW at {:#x})",
                        vcpu.psw().1
                    ),
                ));
            }
            e if e.diag_code() == Some(DIAG_HYPERCALL) => {
                if let Some(status) = hypercall(&mut vcpu, &mem)? {
                    let _ = std::io::stdout().flush();
                    return Ok(status);
                }
            }
            e => return Err((EXIT_INTERCEPT, describe(e, &vcpu))),
        }
    }
}

/// Serves one `DIAGNOSE 0x500`; `Some(status)` for an exit.
fn hypercall(vcpu: &mut Vcpu, mem: &GuestMemory) -> Result<Option<u8>, Failure> {
    let mut gprs = vcpu.gprs();
    match gprs[1] {
        HC_WRITE => {
            gprs[2] = write(mem, gprs[2], gprs[3], gprs[4]).unwrap_or(u64::MAX);
            vcpu.set_gprs(gprs);
            Ok(None)
        }
        HC_EXIT => Ok(Some(gprs[2].to_le_bytes()[0])),
        other => Err((
            EXIT_INTERCEPT,
            format!(
                "the guest made hypercall {other} (DIAGNOSE 0x500 with r1 = {other}) at PSW {:#x}; known are 1 (write) and 2 (exit)",
                vcpu.psw().1
            ),
        )),
    }
}

/// The write hypercall: `len` bytes at vcpu `addr` to fd 1 or 2.
fn write(mem: &GuestMemory, fd: u64, addr: u64, len: u64) -> Option<u64> {
    let end = addr.checked_add(len).filter(|&e| e <= MEMORY)?;
    let mut buf = vec![0; usize::try_from(end - addr).ok()?];
    mem.read(addr, &mut buf).ok()?;
    let ok = match fd {
        1 => {
            let mut out = std::io::stdout().lock();
            out.write_all(&buf).and_then(|()| out.flush())
        }
        2 => std::io::stderr().write_all(&buf),
        _ => return None,
    };
    ok.ok().map(|()| len)
}

/// An exit that is not a hypercall, in words.
fn describe(exit: Exit, vcpu: &Vcpu) -> String {
    let psw = vcpu.psw();
    let at = format!("PSW {:#018x} {:#x}", psw.0, psw.1);
    match exit {
        Exit::Sieic {
            icptcode: ICPT_OPEREXC,
            ipa,
            ipb,
        } => format!(
            "the guest stopped at an instruction the machine does not know (operation exception intercept, ipa {ipa:#06x} ipb {ipb:#010x}), {at}"
        ),
        Exit::Sieic {
            icptcode: ICPT_PROGI,
            ipa,
            ipb,
        } => format!(
            "the guest took a program interruption the machine handed to the host (intercept 8, ipa {ipa:#06x} ipb {ipb:#010x}), {at}"
        ),
        Exit::Sieic {
            icptcode: ICPT_INST,
            ipa,
            ipb,
        } => match exit.diag_code() {
            Some(code) => format!(
                "the guest executed DIAGNOSE {code:#x}, which ucas run does not serve (it serves 0x500), {at}"
            ),
            None => format!(
                "the guest executed an instruction the host must perform (instruction intercept, ipa {ipa:#06x} ipb {ipb:#010x}), {at}"
            ),
        },
        Exit::Sieic {
            icptcode, ipa, ipb, ..
        } => format!(
            "the guest stopped at intercept code {icptcode:#x} (ipa {ipa:#06x} ipb {ipb:#010x}), {at}"
        ),
        other => format!("KVM_RUN ended with {other:?}, {at}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid image: one PT_LOAD of `code` at 0x10000, entry there.
    fn elf(code: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; EHDR_SIZE + PHDR_SIZE];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2;
        f[5] = 2;
        f[6] = 1;
        f[16..18].copy_from_slice(&ET_EXEC.to_be_bytes());
        f[18..20].copy_from_slice(&EM_S390.to_be_bytes());
        f[20..24].copy_from_slice(&1u32.to_be_bytes());
        f[24..32].copy_from_slice(&0x10000u64.to_be_bytes());
        f[32..40].copy_from_slice(&(EHDR_SIZE as u64).to_be_bytes());
        f[54..56].copy_from_slice(&(PHDR_SIZE as u16).to_be_bytes());
        f[56..58].copy_from_slice(&1u16.to_be_bytes());
        let p = EHDR_SIZE;
        f[p..p + 4].copy_from_slice(&PT_LOAD.to_be_bytes());
        let off = f.len() as u64;
        f[p + 8..p + 16].copy_from_slice(&off.to_be_bytes());
        f[p + 16..p + 24].copy_from_slice(&0x10000u64.to_be_bytes());
        f[p + 32..p + 40].copy_from_slice(&(code.len() as u64).to_be_bytes());
        f[p + 40..p + 48].copy_from_slice(&(code.len() as u64 + 0x100).to_be_bytes());
        f.extend_from_slice(code);
        f
    }

    fn with(mut f: Vec<u8>, at: usize, bytes: &[u8]) -> Vec<u8> {
        f[at..at + bytes.len()].copy_from_slice(bytes);
        f
    }

    #[test]
    fn a_valid_image_parses() {
        let image = Image::parse(elf(&[0x07, 0x07])).expect("valid");
        assert_eq!(image.entry, 0x10000);
        assert_eq!(
            image.segments,
            [Segment {
                vaddr: 0x10000,
                memsz: 0x102,
                offset: EHDR_SIZE + PHDR_SIZE,
                filesz: 2
            }]
        );
    }

    #[test]
    fn every_bad_header_has_its_error() {
        let ok = elf(&[0x07, 0x07]);
        let p = EHDR_SIZE;
        let cases: Vec<(Vec<u8>, ImageError)> = vec![
            (b"#!/bin/sh\n".to_vec(), ImageError::NotElf),
            (ok[..40].to_vec(), ImageError::Truncated("ELF header")),
            (with(ok.clone(), 4, &[1]), ImageError::Class(1)),
            (with(ok.clone(), 5, &[1]), ImageError::Endian(1)),
            (with(ok.clone(), 6, &[0]), ImageError::Version),
            (with(ok.clone(), 16, &[0, 3]), ImageError::Type(3)),
            (with(ok.clone(), 18, &[0, 62]), ImageError::Machine(62)),
            (with(ok.clone(), 54, &[0, 32]), ImageError::PhentSize(32)),
            (with(ok.clone(), 56, &[0, 0]), ImageError::PhdrCount(0)),
            (with(ok.clone(), 56, &[0, 65]), ImageError::PhdrCount(65)),
            (
                with(ok.clone(), 56, &[0, 2]),
                ImageError::Truncated("program header table"),
            ),
            (
                with(ok.clone(), 32, &u64::MAX.to_be_bytes()),
                ImageError::Truncated("program header table"),
            ),
            (
                with(ok.clone(), p, &PT_INTERP.to_be_bytes()),
                ImageError::Dynamic,
            ),
            (with(ok.clone(), p, &[0, 0, 0, 4]), ImageError::NoLoad),
            (
                with(ok.clone(), p + 32, &0x1000u64.to_be_bytes()),
                ImageError::FileRange { index: 0 },
            ),
            (
                with(ok.clone(), p + 8, &u64::MAX.to_be_bytes()),
                ImageError::FileRange { index: 0 },
            ),
            (
                with(ok.clone(), p + 40, &1u64.to_be_bytes()),
                ImageError::FileBiggerThanMemory { index: 0 },
            ),
            (
                with(ok.clone(), p + 16, &0x1000u64.to_be_bytes()),
                ImageError::OutOfRange {
                    index: 0,
                    vaddr: 0x1000,
                    memsz: 0x102,
                },
            ),
            (
                with(ok.clone(), p + 16, &(u64::MAX - 0x10).to_be_bytes()),
                ImageError::OutOfRange {
                    index: 0,
                    vaddr: u64::MAX - 0x10,
                    memsz: 0x102,
                },
            ),
            (
                with(ok.clone(), p + 16, &(MEMORY - 0x100).to_be_bytes()),
                ImageError::OutOfRange {
                    index: 0,
                    vaddr: MEMORY - 0x100,
                    memsz: 0x102,
                },
            ),
            (
                with(ok.clone(), 24, &0x10001u64.to_be_bytes()),
                ImageError::Entry(0x10001),
            ),
            (
                with(ok.clone(), 24, &0x20000u64.to_be_bytes()),
                ImageError::Entry(0x20000),
            ),
            (vec![0; MEMORY as usize + 1], ImageError::TooBig(MEMORY + 1)),
        ];
        for (i, (file, want)) in cases.into_iter().enumerate() {
            assert_eq!(Image::parse(file).err(), Some(want.clone()), "case {i}");
            assert!(!want.to_string().is_empty());
        }
    }

    #[test]
    fn overlapping_segments_are_refused() {
        // The program header table moved to the end, holding the same
        // segment twice.
        let mut f = elf(&[0x07, 0x07]);
        let phdr = f[EHDR_SIZE..EHDR_SIZE + PHDR_SIZE].to_vec();
        let table = f.len() as u64;
        f.extend_from_slice(&phdr);
        f.extend_from_slice(&phdr);
        f[32..40].copy_from_slice(&table.to_be_bytes());
        f[56..58].copy_from_slice(&2u16.to_be_bytes());
        assert_eq!(
            Image::parse(f).err(),
            Some(ImageError::Overlap {
                first: 0,
                second: 1
            })
        );
    }

    fn parser(a: &[&str]) -> lexopt::Parser {
        lexopt::Parser::from_args(a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>())
    }

    #[test]
    fn options() {
        let o = parse(parser(&["--kernel", "6.8", "g.elf"])).ok().flatten();
        let o = o.expect("parses");
        assert!(o.emulate && o.generation == Some(Generation::A));
        assert_eq!(o.guest, PathBuf::from("g.elf"));
        let o = parse(parser(&["g.elf"])).ok().flatten().expect("parses");
        assert!(!o.emulate && o.generation.is_none());
        assert_eq!(o.trace, super::super::Trace::default());
        assert!(parse(parser(&[])).is_err());
        assert!(parse(parser(&["a.elf", "b.elf"])).is_err());
        assert!(matches!(parse(parser(&["-h"])), Ok(None)));
    }

    /// The message of a refused command line.
    fn refusal(a: &[&str]) -> String {
        match parse(parser(a)) {
            Err(u) => u.to_string(),
            Ok(o) => panic!("{a:?} parsed: {o:?}"),
        }
    }

    #[test]
    fn instruction_trace_needs_the_emulator() {
        let why = refusal(&["--trace=insn", "g.elf"]);
        assert!(why.contains("needs --emulate"), "{why}");
        assert!(why.contains("single-step"), "{why}");
        let why = refusal(&["--trace", "g.elf"]);
        assert!(why.contains("--trace=calls needs --emulate"), "{why}");
        let o = parse(parser(&["--emulate", "--trace=insn", "g.elf"]));
        let o = o.ok().flatten().expect("parses");
        assert!(o.trace.insn && !o.trace.calls && o.trace.limit.is_none());
        assert_eq!(o.guest, PathBuf::from("g.elf"));
        let o = parse(parser(&[
            "--kernel",
            "6.14",
            "--trace=calls,insn",
            "--trace-limit",
            "50",
            "g.elf",
        ]));
        let o = o.ok().flatten().expect("parses");
        assert!(o.emulate && o.trace.insn && o.trace.calls);
        assert_eq!(o.trace.limit, Some(50));
        // A bare --trace takes no value: the guest stays the guest.
        let o = parse(parser(&["--emulate", "--trace", "g.elf"]));
        let o = o.ok().flatten().expect("parses");
        assert!(o.trace.calls && !o.trace.insn);
        assert_eq!(o.guest, PathBuf::from("g.elf"));
        let why = refusal(&["--emulate", "--trace=regs", "g.elf"]);
        assert!(why.contains("'regs'"), "{why}");
        let why = refusal(&["--emulate", "--trace-limit", "5", "g.elf"]);
        assert!(why.contains("needs --trace=insn"), "{why}");
        let why = refusal(&["--emulate", "--trace=insn", "--trace-limit", "x", "g.elf"]);
        assert!(why.contains("'x'"), "{why}");
    }
}
