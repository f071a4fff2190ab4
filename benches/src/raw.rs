//! The raw-ioctl baselines of the shell benchmarks: the same KVM requests
//! issued with a bare `libc::ioctl`, as a C program would, and with rustix's
//! ready-made ioctl patterns (the `syscall` instruction inline, as the shell
//! issues it, minus everything the shell adds), plus the memory slot of the
//! native `KVM_RUN` baseline guest.
//!
//! This is the benchmarks' syscall module, and their only file with `unsafe`:
//! each function admits only requests whose argument is known, so the
//! functions themselves are safe.
#![allow(unsafe_code)]

use std::os::fd::{AsRawFd, BorrowedFd};

use rustix::ioctl::{IntegerSetter, NoArg, Opcode, Setter};

use ucas_core::UcasMapping;
use ucas_core::abi::{self, Ioctl};

/// The errno of the last failed libc call.
fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Issues `req` on `fd`: the non-negative result, or the errno.
///
/// # Errors
/// The errno the kernel answered (ENOTTY on a non-KVM fd, …).
pub fn value_ioctl(fd: BorrowedFd<'_>, request: Ioctl, arg: u64) -> Result<i32, i32> {
    if !request.takes_value() {
        return Err(libc::EINVAL);
    }
    no_pointer_ioctl(fd, request.number(), arg)
}

/// An ioctl of KVM's type `0xAE` whose argument is a value, by number: the
/// floor's goodbye ([`ucas_emulator::floor::END`]) and the requests of
/// [`value_ioctl`].
///
/// # Errors
/// The errno answered; EINVAL, without a system call, for a request of
/// another type or one that declares an argument struct.
pub fn no_pointer_ioctl(fd: BorrowedFd<'_>, request: u32, arg: u64) -> Result<i32, i32> {
    let pointer = Ioctl::from_number(request).is_some_and(|r| !r.takes_value());
    if request >> 8 & 0xFF != ucas::core::abi::KVMIO || request >> 16 != 0 || pointer {
        return Err(libc::EINVAL);
    }
    // SAFETY: the request has no size field and is not a known pointer
    // request (checked above), so the kernel dereferences nothing; on a fd
    // of another kind the KVM-typed opcode is refused with an errno. `Ioctl`
    // is the libc's own request type (c_ulong on glibc, c_int on musl);
    // every KVM opcode fits.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), request as libc::Ioctl, arg as libc::c_ulong) };
    if r < 0 { Err(last_errno()) } else { Ok(r) }
}

/// `KVM_S390_UCAS_MAP` (`map`) or `KVM_S390_UCAS_UNMAP` with a pointer to `m`.
///
/// # Errors
/// The errno the kernel answered (EINVAL on a vcpu of a regular VM).
pub fn ucas_ioctl(fd: BorrowedFd<'_>, map: bool, m: &UcasMapping) -> Result<(), i32> {
    let op = if map {
        abi::KVM_S390_UCAS_MAP
    } else {
        abi::KVM_S390_UCAS_UNMAP
    };
    // SAFETY: both requests read a `struct kvm_s390_ucas_mapping`, which
    // `UcasMapping` lays out exactly (asserted in ucas-core), from the
    // pointer; `m` is a live shared reference for the whole call and the
    // kernel only reads through it.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), op as libc::Ioctl, std::ptr::from_ref(m)) };
    if r < 0 { Err(last_errno()) } else { Ok(()) }
}

/// `KVM_CHECK_EXTENSION(cap)` through rustix, result discarded (rustix's
/// pattern returns nothing; the system call is the same).
///
/// # Errors
/// The errno the kernel answered.
pub fn rustix_check_extension(fd: BorrowedFd<'_>, cap: u32) -> rustix::io::Result<()> {
    // SAFETY: KVM_CHECK_EXTENSION takes the capability number by value,
    // which is what `IntegerSetter` passes; the kernel dereferences nothing.
    let call =
        unsafe { IntegerSetter::<{ abi::KVM_CHECK_EXTENSION as Opcode }>::new_usize(cap as usize) };
    // SAFETY: as above; the opcode is KVM's, refused with an errno elsewhere.
    unsafe { rustix::ioctl::ioctl(fd, call) }
}

/// `KVM_GET_API_VERSION` through rustix, result discarded.
///
/// # Errors
/// The errno the kernel answered.
pub fn rustix_api_version(fd: BorrowedFd<'_>) -> rustix::io::Result<()> {
    // SAFETY: KVM_GET_API_VERSION takes no argument.
    let call = unsafe { NoArg::<{ abi::KVM_GET_API_VERSION as Opcode }>::new() };
    // SAFETY: as above.
    unsafe { rustix::ioctl::ioctl(fd, call) }
}

/// `KVM_S390_UCAS_MAP` with a pointer to (a copy of) `m`, through rustix.
///
/// # Errors
/// The errno the kernel answered (EINVAL on a vcpu of a regular VM).
pub fn rustix_ucas_map(fd: BorrowedFd<'_>, m: UcasMapping) -> rustix::io::Result<()> {
    // SAFETY: the request reads a `struct kvm_s390_ucas_mapping`, which
    // `UcasMapping` lays out exactly; `Setter` passes a pointer to its own
    // copy, live across the call.
    let call = unsafe { Setter::<{ abi::KVM_S390_UCAS_MAP as Opcode }, UcasMapping>::new(m) };
    // SAFETY: as above.
    unsafe { rustix::ioctl::ioctl(fd, call) }
}

/// Gives the regular (x86) VM `vm` a read-only memory slot at guest
/// physical `guest_phys_addr`, backed by `len` bytes of `mem` from its
/// start. Used to run a tiny real guest for the native `KVM_RUN` baseline.
///
/// # Errors
/// EINVAL for a misaligned or too-long slot, or a VM type without memory
/// slots (ucontrol VMs have none).
pub fn readonly_slot(
    vm: BorrowedFd<'_>,
    guest_phys_addr: u64,
    mem: &ucas::GuestMemory,
    len: u64,
) -> Result<(), i32> {
    if len > mem.len() {
        return Err(libc::EINVAL);
    }
    let region = abi::UserspaceMemoryRegion {
        slot: 0,
        flags: abi::KVM_MEM_READONLY,
        guest_phys_addr,
        memory_size: len,
        userspace_addr: mem.addr(),
    };
    // SAFETY: the request reads the 32-byte region description, which
    // `region` lays out as the kernel's struct and which lives across the
    // call. The slot is read-only, so KVM never writes through
    // `userspace_addr`; it reads through this process's page tables, so
    // even after `mem` is unmapped the worst outcome is an EFAULT exit.
    let r = unsafe {
        libc::ioctl(
            vm.as_raw_fd(),
            Ioctl::SetUserMemoryRegion.number() as libc::Ioctl,
            std::ptr::from_ref(&region),
        )
    };
    if r < 0 { Err(last_errno()) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn a_non_kvm_fd_answers_enotty() {
        let f = std::fs::File::open("/dev/null").unwrap();
        assert_eq!(
            value_ioctl(f.as_fd(), Ioctl::GetApiVersion, 0),
            Err(libc::ENOTTY)
        );
        assert_eq!(
            ucas_ioctl(f.as_fd(), true, &UcasMapping::default()),
            Err(libc::ENOTTY)
        );
        let enotty = Err(rustix::io::Errno::NOTTY);
        assert_eq!(rustix_check_extension(f.as_fd(), 1), enotty);
        assert_eq!(rustix_api_version(f.as_fd()), enotty);
        assert_eq!(rustix_ucas_map(f.as_fd(), UcasMapping::default()), enotty);
    }
}
