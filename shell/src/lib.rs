//! `ucas`: drive s390 KVM ucontrol VMs and their per-vcpu address spaces.
#![cfg_attr(not(target_os = "linux"), allow(unused))]

pub mod emulator;
