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

/// CAP_SYS_ADMIN's bit in the capability sets.
const CAP_SYS_ADMIN: u32 = 21;

/// Whether this process has CAP_SYS_ADMIN in its effective set, read from
/// `/proc/self/status`; `None` when that cannot be read.
#[must_use]
pub fn has_cap_sys_admin() -> Option<bool> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    effective_caps(&status).map(|caps| caps >> CAP_SYS_ADMIN & 1 == 1)
}

fn effective_caps(status: &str) -> Option<u64> {
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))?
        .trim();
    u64::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_effective_set() {
        let status = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t0000000000200000\n";
        assert_eq!(effective_caps(status), Some(1 << 21));
        assert_eq!(effective_caps("CapEff:\tzz\n"), None);
        assert_eq!(effective_caps("Name: x\n"), None);
    }

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
