//! Support code for the ucas benchmarks in `benches/benches/`: the baselines
//! each benchmark is compared with in the same run, the fixtures they share,
//! and the plumbing that runs a measured loop under the emulator.
//!
//! - [`baseline`]: a per-segment `BTreeMap` (the shape of the kernel's
//!   per-segment table) and a linear-scan `Vec` of extents, both checked
//!   against [`ucas_core::AddressSpace`] in the unit tests so every
//!   comparison is between correct implementations.
//! - [`fixtures`]: the mirrors with 1…1024 extents and the lookup addresses.
//! - [`raw`]: the same KVM ioctls issued straight through `libc::ioctl`
//!   and through rustix's ioctl patterns: the benchmarks' syscall module,
//!   their only `unsafe` code.
//! - [`compare`]: paired ratios, the sides of a comparison run in
//!   alternating, individually timed blocks.
//! - [`rig`]: one vcpu and the operations measured on it, natively or under
//!   the emulator; [`emulated`] runs a rig in a child process under
//!   [`ucas_emulator::Emulator`] and times it on request.
//! - [`notes`]: facts a benchmark reports besides timings (sizes, errnos,
//!   unsupported operations), for the report generator.
//!
//! Run everything with `cargo bench -p ucas-benches`; `benches/report.sh`
//! also writes `BENCHMARKS.md`.

pub mod baseline;
pub mod compare;
pub mod emulated;
pub mod fixtures;
pub mod notes;
pub mod raw;
pub mod rig;
