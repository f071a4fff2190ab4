//! One vcpu and the vcpu requests the emulator benchmarks time, issued
//! through the shell's `Vcpu` exactly as a user program would.
//!
//! The same code runs natively (a regular VM's vcpu on this host's real
//! KVM, where the s390 requests are refused after the kernel's ioctl
//! dispatch) and under the emulator (a ucontrol VM served by the model).
//!
//! For `KVM_RUN` each side has a real guest that exits at once, every run:
//! under the emulator the s390 selftest's gprs program (`ahi`, `j`, then
//! `diag 0,0,0x44`, an instruction intercept); natively on x86_64 a
//! real-mode loop at the reset vector (`out 0,%al; jmp` back), a port I/O
//! exit.

use std::fmt;
use std::hint::black_box;
use std::time::{Duration, Instant};

use std::os::fd::AsFd;

use ucas::core::UcasMapping;
use ucas::core::abi;
use ucas::{GuestMemory, Kvm, Vcpu, Vm};
use ucas_emulator::programs::{CODE_ADDR, FIXTURE_MAPPED, FIXTURE_MEMORY, GPRS, PSW_MASK_64};

use crate::fixtures::MIB;
use crate::raw;

/// The x86 reset vector is guest physical 0xFFFF_FFF0: the last 16 bytes
/// of this 64 KiB slot.
const X86_SLOT_GPA: u64 = 0xFFFF_0000;
const X86_SLOT_LEN: u64 = 0x1_0000;
const X86_RESET_OFFSET: u64 = 0xFFF0;
/// `out $0,%al` then `jmp .-2` back to it: one port I/O exit per run.
const X86_OUT_LOOP: [u8; 4] = [0xE6, 0x00, 0xEB, 0xFC];

/// A vcpu request the emulator benchmarks time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `KVM_S390_UCAS_MAP` of one segment of guest memory at vcpu address
    /// 0, which is already mapped the same way (the kernel replaces it).
    Map,
    /// `KVM_S390_UCAS_UNMAP` of one segment at 16 MiB, which is unmapped.
    Unmap,
    /// `KVM_S390_VCPU_FAULT` at 0x1000, inside the mapped segment 0.
    Fault,
    /// `KVM_RUN` until the next exit (see the module docs for the guests).
    Run,
    /// `KVM_CHECK_EXTENSION(KVM_CAP_S390_UCONTROL)` on `/dev/kvm`: a query
    /// with no argument to read, the least an emulated call can do.
    CheckExtension,
}

impl Op {
    /// Every operation, in benchmark order.
    pub const ALL: [Op; 5] = [Op::Map, Op::Unmap, Op::Fault, Op::Run, Op::CheckExtension];

    /// The benchmark name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Op::Map => "ucas_map",
            Op::Unmap => "ucas_unmap",
            Op::Fault => "vcpu_fault",
            Op::Run => "kvm_run",
            Op::CheckExtension => "check_extension",
        }
    }

    /// The operation called `name`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }
}

/// How one request ended: `ok`, `errno:N`, or `refused` (ucas refused it
/// before any system call).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The request succeeded.
    Ok,
    /// The kernel (or the emulator) answered this errno.
    Errno(i32),
    /// ucas refused the request without a system call.
    Refused,
}

impl Outcome {
    fn of<T>(r: &ucas::Result<T>) -> Self {
        match r {
            Ok(_) => Self::Ok,
            Err(e) => match (e.kind(), e.raw_errno()) {
                (ucas::ErrorKind::Refused(_), _) | (_, None) => Self::Refused,
                (_, Some(errno)) => Self::Errno(errno),
            },
        }
    }

    /// Parses what [`Display`](fmt::Display) wrote.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ok" => Some(Self::Ok),
            "refused" => Some(Self::Refused),
            _ => s.strip_prefix("errno:")?.parse().ok().map(Self::Errno),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ok => f.write_str("ok"),
            Self::Errno(e) => write!(f, "errno:{e}"),
            Self::Refused => f.write_str("refused"),
        }
    }
}

/// A VM with vcpu 0 and guest memory.
#[derive(Debug)]
pub struct Rig {
    // Dropped in this order: the vcpu and VM fds close before the memory
    // they may use is unmapped.
    vcpu: Vcpu,
    _vm: Vm,
    kvm: Kvm,
    mem: GuestMemory,
}

impl Rig {
    /// A regular VM (machine type 0) on this host's KVM: its vcpu answers
    /// the s390 requests with an errno (EINVAL on x86_64) after the same
    /// syscall entry and KVM ioctl dispatch a real request goes through.
    ///
    /// # Errors
    /// Without /dev/kvm or the permission to use it.
    ///
    /// On x86_64 the VM also gets a read-only slot with the `out` loop at
    /// the reset vector, so `KVM_RUN` enters the guest and exits; if the
    /// slot is refused, `KVM_RUN` fails and the outcome says so.
    pub fn regular() -> ucas::Result<Self> {
        let mut rig = Self::with_type(0, MIB)?;
        if cfg!(target_arch = "x86_64") {
            rig.mem.write(X86_RESET_OFFSET, &X86_OUT_LOOP)?;
            if let Err(errno) =
                raw::readonly_slot(rig._vm.as_fd(), X86_SLOT_GPA, &rig.mem, X86_SLOT_LEN)
            {
                eprintln!(
                    "the native KVM_RUN baseline has no guest: KVM_SET_USER_MEMORY_REGION: {}",
                    std::io::Error::from_raw_os_error(errno)
                );
            }
        }
        Ok(rig)
    }

    /// A ucontrol VM (an s390x host, or under the emulator) set up like the
    /// kernel selftest's fixture: 4 MiB of guest memory mapped at vcpu
    /// address 0 and faulted in, the vcpu started, the gprs program at
    /// 3 MiB with the PSW on it.
    ///
    /// # Errors
    /// Where ucontrol VMs cannot be created (the error says why), or the
    /// setup fails.
    pub fn ucontrol() -> ucas::Result<Self> {
        let mut rig = Self::with_type(abi::KVM_VM_S390_UCONTROL, FIXTURE_MEMORY)?;
        rig.vcpu.map(UcasMapping {
            user_addr: rig.mem.addr(),
            vcpu_addr: 0,
            length: FIXTURE_MAPPED,
        })?;
        rig.vcpu.fault(0)?;
        rig.vcpu.clear_stopped();
        rig.mem.write(CODE_ADDR, &GPRS)?;
        rig.vcpu.set_psw(PSW_MASK_64, CODE_ADDR);
        Ok(rig)
    }

    /// A ucontrol VM whose guest never exits: `brct %r2,.` with r2 = 0,
    /// four billion rounds, so every `KVM_RUN` under the emulator executes
    /// exactly [`ucas_emulator::RUN_BUDGET`] instructions and ends with
    /// EINTR.
    ///
    /// # Errors
    /// As [`Rig::ucontrol`].
    pub fn spinning() -> ucas::Result<Self> {
        let mut rig = Self::ucontrol()?;
        rig.mem.write(CODE_ADDR, &[0xA7, 0x26, 0x00, 0x00])?;
        rig.vcpu.set_gprs([0; 16]);
        Ok(rig)
    }

    fn with_type(machine_type: u64, memory: u64) -> ucas::Result<Self> {
        let kvm = Kvm::open()?;
        let vm = Vm::create_with_type(&kvm, machine_type)?;
        let vcpu = Vcpu::create(&vm, 0)?;
        let mem = GuestMemory::new(memory)?;
        Ok(Self {
            vcpu,
            _vm: vm,
            kvm,
            mem,
        })
    }

    fn segment_zero(&self) -> UcasMapping {
        UcasMapping {
            user_addr: self.mem.addr(),
            vcpu_addr: 0,
            length: MIB,
        }
    }

    /// The vcpu.
    pub fn vcpu(&mut self) -> &mut Vcpu {
        &mut self.vcpu
    }

    /// Issues `op` once and says how it ended.
    pub fn once(&mut self, op: Op) -> Outcome {
        match op {
            Op::Map => Outcome::of(&self.vcpu.map(self.segment_zero())),
            Op::Unmap => Outcome::of(&self.vcpu.unmap(16 * MIB, MIB)),
            Op::Fault => Outcome::of(&self.vcpu.fault(0x1000)),
            Op::Run => Outcome::of(&self.vcpu.run()),
            Op::CheckExtension => {
                Outcome::of(&self.kvm.check_extension(abi::KVM_CAP_S390_UCONTROL))
            }
        }
    }

    /// Runs the vcpu once and describes the exit (or the error), without
    /// spaces, e.g. `Other(2)` for an x86 port I/O exit.
    pub fn run_exit(&mut self) -> String {
        let text = match self.vcpu.run() {
            Ok(exit) => format!("{exit:?}"),
            Err(e) => format!("error:{e}"),
        };
        text.replace(' ', "")
    }

    /// Issues `op` `iters` times and returns the time taken.
    pub fn time(&mut self, op: Op, iters: u64) -> Duration {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(self.once(black_box(op)));
        }
        start.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_outcomes_round_trip() {
        for op in Op::ALL {
            assert_eq!(Op::from_name(op.name()), Some(op));
        }
        assert_eq!(Op::from_name("nope"), None);
        for o in [Outcome::Ok, Outcome::Errno(22), Outcome::Refused] {
            assert_eq!(Outcome::parse(&o.to_string()), Some(o));
        }
        assert_eq!(Outcome::parse("errno:x"), None);
    }
}
