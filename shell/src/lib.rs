//! `ucas`: drive s390 KVM *user-controlled* (ucontrol) VMs and their
//! per-vcpu address spaces from Rust, with a mirror of every vcpu's address
//! space that never claims a mapping the kernel does not have.
//!
//! ```no_run
//! use ucas::{GuestMemory, Kvm, Vm, Vcpu};
//! use ucas::core::abi::UcasMapping;
//!
//! let kvm = Kvm::open()?;
//! let vm = Vm::create_ucontrol(&kvm)?; // explains EINVAL: arch, kernel option or privilege
//! let mut vcpu: Vcpu = Vcpu::create(&vm, 0)?;
//! let mem = GuestMemory::new(4 << 20)?;
//! vcpu.map(UcasMapping { user_addr: mem.addr(), vcpu_addr: 0, length: 4 << 20 })?;
//! assert_eq!(vcpu.translate(0x1234), Some(mem.addr() + 0x1234));
//! # Ok::<(), ucas::Error>(())
//! ```
//!
//! Platform support: ucontrol VMs exist on s390x Linux hosts only. Everywhere
//! else the handles report why they cannot work, and the `ucas-emulator`
//! crate (`ucas emulate`) serves the same ioctls to unmodified programs on
//! any x86_64 Linux host.
//!
//! Features: `cli` (default) builds the `ucas` command and pulls in the
//! emulator and the argument parser; the library itself needs neither
//! (`default-features = false`: `ucas-core` and `rustix` only).

pub mod error;
mod flic;
pub mod host;
mod kvm;
mod memory;
pub mod probe;
pub mod run;
mod sys;
mod vcpu;

pub use error::{Error, ErrorKind, Operation, Result, Unavailable};
pub use flic::Flic;
pub use kvm::{IoEventAddress, KVM_PATH, KeyOp, Kvm, Vm};
pub use memory::GuestMemory;
pub use run::{DemandRun, Exit};
pub use vcpu::{DEFAULT_CAPACITY, Vcpu};

/// The `ucas-core` crate: ABI, segment math, kernel rules, the mirror type.
pub use ucas_core as core;
