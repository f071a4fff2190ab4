//! The classic-BPF seccomp program the tracee runs under.
//!
//! It asks the supervisor about three things: opening a file by name
//! (`open`, `openat`, `openat2`: the filter cannot read the path, so the
//! supervisor decides whether it names `/dev/kvm`); `ioctl` requests whose
//! type byte is KVM's `0xAE`; and the calls that change what an fd number
//! names or whose numbers a task sees (`close`, `close_range`, `dup2`,
//! `dup3`, `execve`, `execveat`, `clone`, `clone3`, `fork`, `vfork`), which
//! the supervisor lets through after noting them (see
//! [`numbers`](crate::numbers)). Every other system call, including ioctls
//! on terminals and sockets, runs natively without a round trip. System
//! calls made through a foreign calling convention (another `AUDIT_ARCH`)
//! run natively too: their numbers mean something else.

use ucas_core::abi::KVMIO;

// BPF instruction classes and fields (linux/bpf_common.h), stable ABI.
const BPF_LD: u16 = 0x00;
const BPF_JMP: u16 = 0x05;
const BPF_RET: u16 = 0x06;
const BPF_ALU: u16 = 0x04;
const BPF_W: u16 = 0x00;
const BPF_ABS: u16 = 0x20;
const BPF_JEQ: u16 = 0x10;
const BPF_AND: u16 = 0x50;
const BPF_K: u16 = 0x00;

const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const SECCOMP_RET_USER_NOTIF: u32 = 0x7fc0_0000;

// `struct seccomp_data`: nr @0 (i32), arch @4 (u32), instruction_pointer @8,
// args[6] @16 (u64 each).
const DATA_NR: u32 = 0;
const DATA_ARCH: u32 = 4;
const DATA_ARGS: u32 = 16;

/// The low 32 bits of `args[1]` (the ioctl request; the kernel uses only
/// these as `unsigned int cmd`).
const IOCTL_REQUEST_LOW: u32 = if cfg!(target_endian = "little") {
    DATA_ARGS + 8
} else {
    DATA_ARGS + 8 + 4
};

const AUDIT_ARCH_64BIT: u32 = 0x8000_0000;
/// `__AUDIT_ARCH_LE` on little-endian targets, nothing on big-endian ones.
const AUDIT_ARCH_ENDIAN: u32 = if cfg!(target_endian = "little") {
    0x4000_0000
} else {
    0
};

/// `AUDIT_ARCH_*` of the native calling convention (`EM_*` machine number
/// plus the 64-bit flag and, on little-endian targets, the LE flag).
#[cfg(target_arch = "x86_64")]
pub(crate) const NATIVE_ARCH: u32 = 62 | AUDIT_ARCH_64BIT | AUDIT_ARCH_ENDIAN;
/// `AUDIT_ARCH_*` of the native calling convention.
#[cfg(target_arch = "aarch64")]
pub(crate) const NATIVE_ARCH: u32 = 183 | AUDIT_ARCH_64BIT | AUDIT_ARCH_ENDIAN;
/// `AUDIT_ARCH_*` of the native calling convention (big-endian: no LE flag).
#[cfg(target_arch = "s390x")]
pub(crate) const NATIVE_ARCH: u32 = 22 | AUDIT_ARCH_64BIT | AUDIT_ARCH_ENDIAN;
/// `AUDIT_ARCH_*` of the native calling convention.
#[cfg(target_arch = "riscv64")]
pub(crate) const NATIVE_ARCH: u32 = 243 | AUDIT_ARCH_64BIT | AUDIT_ARCH_ENDIAN;
/// `AUDIT_ARCH_*` of the native calling convention.
#[cfg(target_arch = "powerpc64")]
pub(crate) const NATIVE_ARCH: u32 = 21 | AUDIT_ARCH_64BIT | AUDIT_ARCH_ENDIAN;

// `open` exists only on the older syscall tables.
#[cfg(any(
    target_arch = "x86_64",
    target_arch = "s390x",
    target_arch = "powerpc64"
))]
const OPEN: Option<u32> = Some(libc::SYS_open as u32);
#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "s390x",
    target_arch = "powerpc64"
)))]
const OPEN: Option<u32> = None;

// `dup2`, `fork` and `vfork` too.
#[cfg(any(
    target_arch = "x86_64",
    target_arch = "s390x",
    target_arch = "powerpc64"
))]
const LEGACY_TABLE_CHANGES: [u32; 3] = [
    libc::SYS_dup2 as u32,
    libc::SYS_fork as u32,
    libc::SYS_vfork as u32,
];
#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "s390x",
    target_arch = "powerpc64"
)))]
const LEGACY_TABLE_CHANGES: [u32; 0] = [];

/// The system calls after which an fd number a task used may name another
/// file (or nothing), or a task id may name another task: the supervisor
/// forgets the numbers it has seen when one of them is let through.
pub(crate) fn table_changes() -> Vec<u32> {
    let mut nrs = vec![
        libc::SYS_close as u32,
        libc::SYS_close_range as u32,
        libc::SYS_dup3 as u32,
        libc::SYS_execve as u32,
        libc::SYS_execveat as u32,
        libc::SYS_clone as u32,
        libc::SYS_clone3 as u32,
    ];
    nrs.extend(LEGACY_TABLE_CHANGES);
    nrs
}

/// Syscall number of `open`, where the architecture has one.
pub(crate) const SYS_OPEN: Option<i64> = match OPEN {
    Some(n) => Some(n as i64),
    None => None,
};

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// Builds the program. Jump offsets count instructions after the jump.
pub(crate) fn program() -> Vec<libc::sock_filter> {
    let mut notified: Vec<u32> = vec![libc::SYS_openat as u32, libc::SYS_openat2 as u32];
    notified.extend(OPEN);
    notified.extend(table_changes());
    let n = u8::try_from(notified.len()).expect("a short list");

    // Layout:
    //   0  ld arch
    //   1  jeq NATIVE ? next : allow
    //   2  ld nr
    //   3  jeq ioctl ? ioctl_check : next
    //   4.. jeq nr_i ? notify : next            (n instructions)
    //   .  ret allow
    //   ioctl_check: ld request_low; and 0xff00; jeq KVMIO<<8 ? notify : allow
    //   allow: ret ALLOW
    //   notify: ret USER_NOTIF
    let mut p = Vec::with_capacity(usize::from(n) + 10);
    p.push(stmt(BPF_LD | BPF_W | BPF_ABS, DATA_ARCH));
    // To `allow` at the end: skip everything up to it.
    let to_allow_from_arch = 1 + 1 + n + 1 + 3;
    p.push(jump(
        BPF_JMP | BPF_JEQ | BPF_K,
        NATIVE_ARCH,
        0,
        to_allow_from_arch,
    ));
    p.push(stmt(BPF_LD | BPF_W | BPF_ABS, DATA_NR));
    // To `ioctl_check`: past the tests and their `ret allow`.
    p.push(jump(
        BPF_JMP | BPF_JEQ | BPF_K,
        libc::SYS_ioctl as u32,
        n + 1,
        0,
    ));
    for (i, nr) in (0u8..).zip(&notified) {
        // Remaining tests, `ret allow`, the 3 ioctl-check instructions and
        // `allow` lie between this test and `notify`.
        let to_notify = (n - 1 - i) + 1 + 3 + 1;
        p.push(jump(BPF_JMP | BPF_JEQ | BPF_K, *nr, to_notify, 0));
    }
    p.push(stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    p.push(stmt(BPF_LD | BPF_W | BPF_ABS, IOCTL_REQUEST_LOW));
    p.push(stmt(BPF_ALU | BPF_AND | BPF_K, 0xff00));
    p.push(jump(BPF_JMP | BPF_JEQ | BPF_K, KVMIO << 8, 1, 0));
    p.push(stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    p.push(stmt(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny classic-BPF interpreter, enough for the instructions above, so
    /// the jump arithmetic is checked without a kernel.
    fn run(prog: &[libc::sock_filter], nr: i32, arch: u32, request: u64) -> u32 {
        let mut data = [0u8; 64];
        data[0..4].copy_from_slice(&nr.to_ne_bytes());
        data[4..8].copy_from_slice(&arch.to_ne_bytes());
        data[24..32].copy_from_slice(&request.to_ne_bytes());
        let mut a: u32 = 0;
        let mut pc = 0usize;
        loop {
            let i = prog[pc];
            pc += 1;
            match i.code {
                c if c == BPF_LD | BPF_W | BPF_ABS => {
                    let k = i.k as usize;
                    a = u32::from_ne_bytes(data[k..k + 4].try_into().unwrap());
                }
                c if c == BPF_ALU | BPF_AND | BPF_K => a &= i.k,
                c if c == BPF_JMP | BPF_JEQ | BPF_K => {
                    pc += usize::from(if a == i.k { i.jt } else { i.jf });
                }
                c if c == BPF_RET | BPF_K => return i.k,
                c => panic!("unexpected opcode {c:#x}"),
            }
        }
    }

    #[test]
    fn notifies_only_opens_kvm_ioctls_and_fd_table_changes() {
        let p = program();
        let ioctl = libc::SYS_ioctl as i32;
        let notify = SECCOMP_RET_USER_NOTIF;
        let allow = SECCOMP_RET_ALLOW;
        assert_eq!(run(&p, libc::SYS_openat as i32, NATIVE_ARCH, 0), notify);
        assert_eq!(run(&p, libc::SYS_openat2 as i32, NATIVE_ARCH, 0), notify);
        if let Some(open) = SYS_OPEN {
            assert_eq!(run(&p, open as i32, NATIVE_ARCH, 0), notify);
        }
        assert_eq!(run(&p, ioctl, NATIVE_ARCH, 0xAE03), notify);
        assert_eq!(run(&p, ioctl, NATIVE_ARCH, 0x4018_AE50), notify);
        // Upper half of the 64-bit argument is not looked at.
        assert_eq!(run(&p, ioctl, NATIVE_ARCH, 0xFFFF_FFFF_0000_AE80), notify);
        assert_eq!(run(&p, ioctl, NATIVE_ARCH, 0x5401), allow); // TCGETS
        assert_eq!(run(&p, ioctl, NATIVE_ARCH, 0xAF03), allow);
        assert_eq!(run(&p, ioctl, NATIVE_ARCH, 0x0000_AE00_0000_0000), allow);
        assert_eq!(run(&p, libc::SYS_read as i32, NATIVE_ARCH, 0xAE03), allow);
        for nr in table_changes() {
            assert_eq!(run(&p, nr as i32, NATIVE_ARCH, 0), notify, "syscall {nr}");
        }
        assert!(table_changes().contains(&(libc::SYS_close as u32)));
        assert_eq!(run(&p, libc::SYS_dup as i32, NATIVE_ARCH, 0), allow);
        assert_eq!(run(&p, libc::SYS_fcntl as i32, NATIVE_ARCH, 0), allow);
        assert_eq!(run(&p, libc::SYS_write as i32, NATIVE_ARCH, 0), allow);
        assert_eq!(run(&p, libc::SYS_close as i32, NATIVE_ARCH ^ 1, 0), allow);
        assert_eq!(run(&p, libc::SYS_openat as i32, NATIVE_ARCH ^ 1, 0), allow);
        assert_eq!(run(&p, ioctl, 0x4000_0003, 0xAE03), allow);
    }
}
