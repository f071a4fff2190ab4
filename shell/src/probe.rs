//! What this host offers for ucontrol VMs, and if nothing, why.

use std::path::Path;

use ucas_core::request::Generation;

use crate::error::{ErrorKind, Unavailable};
use crate::{Kvm, Vcpu, Vm, host};

/// The findings of [`Probe::run`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The KVM device probed.
    pub kvm_path: String,
    /// Why the device could not be opened, if it could not.
    pub kvm_error: Option<String>,
    /// `KVM_GET_API_VERSION`, if it answered.
    pub api_version: Option<i32>,
    /// Whether `KVM_CAP_S390_UCONTROL` is present, if the question was answered.
    pub ucontrol_capability: Option<bool>,
    /// `KVM_GET_VCPU_MMAP_SIZE`, if it answered.
    pub vcpu_mmap_size: Option<usize>,
    /// Whether a ucontrol VM could be created (it was closed again).
    pub ucontrol_vm: bool,
    /// Why ucontrol is unusable, or `None` when it works.
    pub reason: Option<String>,
    /// Whether the process has CAP_SYS_ADMIN (`None`: unknown).
    pub cap_sys_admin: Option<bool>,
    /// `uname -m`.
    pub architecture: String,
    /// `uname -r`.
    pub kernel_release: String,
    /// The generation the kernel version names (the rules it would follow
    /// if it offered ucontrol).
    pub generation_by_version: Option<Generation>,
    /// The generation found by asking a live ucontrol vcpu.
    pub generation_detected: Option<Generation>,
}

impl Probe {
    /// Probes `/dev/kvm`.
    #[must_use]
    pub fn run() -> Self {
        Self::run_path(crate::KVM_PATH)
    }

    /// Probes the KVM device at `path`.
    #[must_use]
    pub fn run_path(path: impl AsRef<Path>) -> Self {
        let kernel_release = host::kernel_release();
        let mut p = Self {
            kvm_path: path.as_ref().display().to_string(),
            kvm_error: None,
            api_version: None,
            ucontrol_capability: None,
            vcpu_mmap_size: None,
            ucontrol_vm: false,
            reason: None,
            cap_sys_admin: host::has_cap_sys_admin(),
            architecture: host::architecture(),
            generation_by_version: Generation::from_kernel_version(&kernel_release).ok(),
            kernel_release,
            generation_detected: None,
        };
        let kvm = match Kvm::open_path(path) {
            Ok(kvm) => kvm,
            Err(e) => {
                p.kvm_error = Some(e.to_string());
                p.reason = Some(e.to_string());
                return p;
            }
        };
        p.api_version = kvm.api_version().ok();
        p.ucontrol_capability = kvm.has_ucontrol().ok();
        p.vcpu_mmap_size = kvm.vcpu_mmap_size().ok();
        match Vm::create_ucontrol(&kvm) {
            Ok(vm) => {
                p.ucontrol_vm = true;
                p.generation_detected = Vcpu::<4>::create(&vm, 0)
                    .and_then(|mut vcpu| vcpu.detect_generation())
                    .ok();
            }
            Err(e) => {
                p.reason = Some(match e.kind() {
                    ErrorKind::Unavailable(why) => why.to_string(),
                    _ => e.to_string(),
                });
                if let ErrorKind::Unavailable(Unavailable::NoKvmSyscalls) = e.kind() {
                    p.api_version = None;
                }
            }
        }
        p
    }

    /// Whether ucontrol VMs can be used here.
    #[must_use]
    pub fn usable(&self) -> bool {
        self.ucontrol_vm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(miri, ignore = "opens a device path, outside Miri's isolation")]
    fn a_missing_device_is_explained() {
        let p = Probe::run_path("/nonexistent/kvm");
        assert!(!p.usable());
        assert!(
            p.kvm_error
                .as_deref()
                .is_some_and(|e| e.contains("No such file"))
        );
        assert!(
            p.reason
                .as_deref()
                .is_some_and(|r| r.contains("check the path"))
        );
        assert_eq!(p.api_version, None);
    }

    /// Whatever the host, the probe answers and, when ucontrol is unusable,
    /// says why: on x86_64 the architecture, under qemu-user (s390x tests in
    /// CI) the missing KVM system calls.
    #[test]
    #[cfg_attr(
        miri,
        ignore = "opens /dev/kvm and issues ioctls, which Miri cannot run"
    )]
    fn this_host_is_explained() {
        let p = Probe::run();
        if p.usable() {
            assert!(p.reason.is_none());
            return;
        }
        let reason = p.reason.as_deref().unwrap_or_default();
        assert!(!reason.is_empty());
        if p.kvm_error.is_none() && cfg!(target_arch = "x86_64") {
            assert!(
                reason.contains("x86_64") && reason.contains("s390x"),
                "{reason}"
            );
            assert_eq!(p.api_version, Some(12));
        }
        if p.kvm_error.is_none() && cfg!(target_arch = "s390x") && p.api_version.is_none() {
            assert!(reason.contains("ENOSYS"), "{reason}");
        }
    }
}
