//! Facts of the Linux host interface beyond KVM that ucas decides on: the
//! capability the kernel asks of a ucontrol VM's creator, and how to read
//! whether a process has it, from `/proc/PID/status` and
//! `/proc/PID/ns/user`. Pure functions over the text; the callers read the
//! files.

/// `CAP_SYS_ADMIN`'s bit in the capability sets: `KVM_CREATE_VM` of a
/// ucontrol VM needs it.
pub const CAP_SYS_ADMIN: u32 = 21;

/// The inode number of the initial user namespace (the kernel's
/// `PROC_USER_INIT_INO`), as `/proc/PID/ns/user` names it
/// (`user:[4026531837]`).
pub const PROC_USER_INIT_INO: u64 = 0xEFFF_FFFD;

/// The effective capability set in a `/proc/PID/status` text (its
/// `CapEff:` line), or `None` when the text has no such line.
#[must_use]
pub fn effective_caps(status: &str) -> Option<u64> {
    status_mask(status, "CapEff:")
}

/// The hexadecimal mask on the `/proc/PID/status` line starting `key`.
fn status_mask(status: &str, key: &str) -> Option<u64> {
    let hex = status.lines().find_map(|l| l.strip_prefix(key))?.trim();
    u64::from_str_radix(hex, 16).ok()
}

/// Whether the thread whose `/proc/TID/status` this is has a signal the
/// kernel's `signal_pending()` would see: pending for the thread (`SigPnd`)
/// or its process (`ShdPnd`) and not blocked (`SigBlk`). `None` when the
/// text lacks one of the three.
#[must_use]
pub fn signal_pending(status: &str) -> Option<bool> {
    let pending = status_mask(status, "SigPnd:")? | status_mask(status, "ShdPnd:")?;
    Some(pending & !status_mask(status, "SigBlk:")? != 0)
}

/// The inode of a user namespace from the target of a `/proc/PID/ns/user`
/// link (`user:[4026531837]`).
#[must_use]
pub fn user_ns_inode(link: &str) -> Option<u64> {
    link.strip_prefix("user:[")?.strip_suffix(']')?.parse().ok()
}

/// Whether a process has `cap` as the kernel's `capable()` asks: in its
/// effective set *and* in the initial user namespace. A capability held in
/// a child user namespace (as its root) does not count. `None` when either
/// text cannot be understood.
#[must_use]
pub fn capable(status: &str, user_ns_link: &str, cap: u32) -> Option<bool> {
    let caps = effective_caps(status)?;
    let ns = user_ns_inode(user_ns_link)?;
    let held = cap < 64 && (caps >> cap) & 1 == 1;
    Some(held && ns == PROC_USER_INIT_INO)
}

/// Where the kernel lists its online CPUs, the set `num_online_cpus()`
/// counts (which `KVM_CHECK_EXTENSION(KVM_CAP_NR_VCPUS)` answers).
pub const ONLINE_CPUS_PATH: &str = "/sys/devices/system/cpu/online";

/// How many CPUs a kernel CPU list names (`0-3,8,10-11`, as in
/// [`ONLINE_CPUS_PATH`]; surrounding whitespace allowed), or `None` for a
/// text that is not such a list (empty, a range running backwards, a
/// count beyond `u32`).
#[must_use]
pub fn cpu_list_len(list: &str) -> Option<u32> {
    let mut total = 0u32;
    for part in list.trim().split(',') {
        let (first, last) = match part.split_once('-') {
            Some((a, b)) => (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?),
            None => {
                let cpu = part.parse::<u32>().ok()?;
                (cpu, cpu)
            }
        };
        let n = last.checked_sub(first)?.checked_add(1)?;
        total = total.checked_add(n)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n";
    const NO_ADMIN: &str = "CapEff:\t000001ffffdfffff\n";
    const INIT: &str = "user:[4026531837]";
    const CHILD: &str = "user:[4026532178]";

    #[test]
    fn a_signal_is_pending_unless_blocked() {
        let status = |pnd: &str, shd: &str, blk: &str| {
            format!("Name:\tx\nSigPnd:\t{pnd}\nShdPnd:\t{shd}\nSigBlk:\t{blk}\n")
        };
        let zero = "0000000000000000";
        let usr1 = "0000000000000200";
        assert_eq!(signal_pending(&status(zero, zero, zero)), Some(false));
        assert_eq!(signal_pending(&status(usr1, zero, zero)), Some(true));
        assert_eq!(signal_pending(&status(zero, usr1, zero)), Some(true));
        assert_eq!(signal_pending(&status(usr1, usr1, usr1)), Some(false));
        assert_eq!(
            signal_pending(&status(usr1, zero, "0000000000000100")),
            Some(true)
        );
        assert_eq!(signal_pending("SigPnd:\t0\nShdPnd:\t0\n"), None);
    }

    #[test]
    fn reads_the_effective_set() {
        let status = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t0000000000200000\n";
        assert_eq!(effective_caps(status), Some(1 << 21));
        assert_eq!(effective_caps("CapEff:\tzz\n"), None);
        assert_eq!(effective_caps("Name: x\n"), None);
    }

    #[test]
    fn capable_needs_the_bit_and_the_initial_namespace() {
        assert_eq!(capable(ROOT, INIT, CAP_SYS_ADMIN), Some(true));
        assert_eq!(capable(NO_ADMIN, INIT, CAP_SYS_ADMIN), Some(false));
        assert_eq!(capable(ROOT, CHILD, CAP_SYS_ADMIN), Some(false));
        assert_eq!(capable(ROOT, "mnt:[4026531841]", CAP_SYS_ADMIN), None);
        assert_eq!(capable("Name: x\n", INIT, CAP_SYS_ADMIN), None);
        assert_eq!(capable(ROOT, INIT, 64), Some(false));
        assert_eq!(user_ns_inode(INIT), Some(PROC_USER_INIT_INO));
    }

    #[test]
    fn cpu_lists_count_as_the_kernel_writes_them() {
        assert_eq!(cpu_list_len("0\n"), Some(1));
        assert_eq!(cpu_list_len("0-1\n"), Some(2));
        assert_eq!(cpu_list_len("0-3,8,10-11"), Some(7));
        assert_eq!(cpu_list_len(" 4095 "), Some(1));
        for bad in ["", "\n", "a", "3-1", "0-", "-1", "0,,1", "0-4294967295"] {
            assert_eq!(cpu_list_len(bad), None, "{bad:?}");
        }
    }
}
