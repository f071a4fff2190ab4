//! One vcpu and the vcpu requests the emulator benchmarks time, issued
//! through the shell's `Vcpu` exactly as a user program would.
//!
//! The same code runs natively (a regular VM's vcpu on this host's real
//! KVM, where the s390 requests are refused after the kernel's ioctl
//! dispatch) and under the emulator (a ucontrol VM served by the model).

use std::fmt;
use std::hint::black_box;
use std::time::{Duration, Instant};

use ucas::core::UcasMapping;
use ucas::core::abi;
use ucas::{GuestMemory, Kvm, UcontrolVm, Vcpu};

use crate::fixtures::MIB;

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
    /// `KVM_RUN` until the next exit.
    Run,
}

impl Op {
    /// Every operation, in benchmark order.
    pub const ALL: [Op; 4] = [Op::Map, Op::Unmap, Op::Fault, Op::Run];

    /// The benchmark name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Op::Map => "ucas_map",
            Op::Unmap => "ucas_unmap",
            Op::Fault => "vcpu_fault",
            Op::Run => "kvm_run",
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

/// A VM with vcpu 0 and 2 MiB of guest memory.
#[derive(Debug)]
pub struct Rig {
    vcpu: Vcpu,
    mem: GuestMemory,
    // Declared after the vcpu so the vcpu is closed first, as KVM expects.
    _vm: UcontrolVm,
    _kvm: Kvm,
}

impl Rig {
    /// A regular VM (machine type 0) on this host's KVM: its vcpu answers
    /// the s390 requests with an errno (EINVAL on x86_64) after the same
    /// syscall entry and KVM ioctl dispatch a real request goes through.
    ///
    /// # Errors
    /// Without /dev/kvm or the permission to use it.
    pub fn regular() -> ucas::Result<Self> {
        Self::with_type(0)
    }

    /// A ucontrol VM (an s390x host, or under the emulator) with segment 0
    /// mapped to the guest memory.
    ///
    /// # Errors
    /// Where ucontrol VMs cannot be created (the error says why), or the
    /// first map fails.
    pub fn ucontrol() -> ucas::Result<Self> {
        let mut rig = Self::with_type(abi::KVM_VM_S390_UCONTROL)?;
        rig.vcpu.map(rig.segment_zero())?;
        Ok(rig)
    }

    fn with_type(machine_type: u64) -> ucas::Result<Self> {
        let kvm = Kvm::open()?;
        let vm = UcontrolVm::create_with_type(&kvm, machine_type)?;
        let vcpu = Vcpu::create(&vm, 0)?;
        let mem = GuestMemory::new(2 * MIB)?;
        Ok(Self {
            vcpu,
            mem,
            _vm: vm,
            _kvm: kvm,
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
        }
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
