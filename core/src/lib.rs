//! `ucas-core`: the hardware-independent heart of ucas, the toolkit for s390
//! KVM *user-controlled* (ucontrol) VMs and their per-vcpu address spaces.
//!
//! It holds the exact kernel ABI ([`abi`]), 1 MiB segment arithmetic
//! ([`segment`]), the kernel's request rules per kernel generation
//! ([`request`]), a fixed-capacity mirror of one vcpu's address space
//! ([`AddressSpace`]) and a parser for mapping plans ([`plan`]).
//! It is `no_std`, allocates nothing and contains no `unsafe`.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

pub mod abi;
pub mod plan;
pub mod request;
pub mod segment;
pub mod space;

pub use abi::UcasMapping;
pub use request::{Generation, Rules};
pub use space::{AddressSpace, Extent, KernelError, SpaceError};
