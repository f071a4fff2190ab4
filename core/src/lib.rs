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
// Core decodes values that come from guests, plans and the kernel; every
// conversion says whether it widens, reinterprets or may fail.
#![cfg_attr(not(test), deny(clippy::as_conversions))]

pub mod abi;
pub mod errno;
pub mod host;
pub mod plan;
pub mod request;
pub mod segment;
pub mod space;

pub use abi::UcasMapping;
pub use errno::Errno;

/// The proptest configuration of core's property tests: `cases` natively,
/// a handful under Miri (which interprets every case about a thousand
/// times slower; the native runs cover the breadth, Miri the soundness of
/// the code paths), and no regression files there (Miri isolates the file
/// system).
#[cfg(test)]
pub(crate) fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    let mut config = proptest::test_runner::Config::with_cases(cases);
    if cfg!(miri) {
        config.cases = MIRI_PROPTEST_CASES;
        config.failure_persistence = None;
    }
    config
}

/// Cases per property under Miri.
#[cfg(test)]
const MIRI_PROPTEST_CASES: u32 = 4;
pub use request::{Generation, Rules};
pub use space::{AddressSpace, Extent, KernelError, KernelSpace, SpaceError};
