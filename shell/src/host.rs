//! Facts about the host: architecture, kernel release, privileges.

use std::fs;

/// The machine the kernel reports (`uname -m`), e.g. `x86_64` or `s390x`.
#[must_use]
pub fn architecture() -> String {
    rustix::system::uname()
        .machine()
        .to_string_lossy()
        .into_owned()
}

/// The kernel release (`uname -r`), e.g. `6.18.44`.
#[must_use]
pub fn kernel_release() -> String {
    rustix::system::uname()
        .release()
        .to_string_lossy()
        .into_owned()
}

/// Whether this process has CAP_SYS_ADMIN as the kernel's `capable()`
/// asks when it creates a ucontrol VM: effective, and in the initial user
/// namespace. `None` when `/proc/self` cannot be read.
#[must_use]
pub fn has_cap_sys_admin() -> Option<bool> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let ns = fs::read_link("/proc/self/ns/user").ok()?;
    ucas_core::host::capable(&status, ns.to_str()?, ucas_core::host::CAP_SYS_ADMIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(
        miri,
        ignore = "asks the running kernel (uname), outside Miri's isolation"
    )]
    fn host_facts_are_not_empty() {
        assert!(!architecture().is_empty());
        assert!(kernel_release().contains('.'));
    }
}
