//! The one place where the handles cross into the kernel: ioctls on KVM fds,
//! and the memory mappings behind `kvm_run`, the SIE page and guest memory.
//! Everything here is a small, typed, safe wrapper around one system call;
//! the rest of the crate is safe code.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;

use rustix::io::Errno;
use rustix::ioctl::{Ioctl, IoctlOutput, Opcode};
use rustix::mm::{MapFlags, ProtFlags};
use ucas_core::abi::{self, KvmRun, SieBlock, UcasMapping};

/// A KVM ioctl whose argument is passed by value (never a pointer), as the
/// KVM ABI defines each of these requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueRequest {
    GetApiVersion,
    CheckExtension(u32),
    GetVcpuMmapSize,
    CreateVm(u64),
    CreateVcpu(u32),
    VcpuFault(u64),
}

impl ValueRequest {
    fn opcode_and_arg(self) -> (u32, u64) {
        match self {
            Self::GetApiVersion => (abi::KVM_GET_API_VERSION, 0),
            Self::CheckExtension(cap) => (abi::KVM_CHECK_EXTENSION, u64::from(cap)),
            Self::GetVcpuMmapSize => (abi::KVM_GET_VCPU_MMAP_SIZE, 0),
            Self::CreateVm(ty) => (abi::KVM_CREATE_VM, ty),
            Self::CreateVcpu(id) => (abi::KVM_CREATE_VCPU, u64::from(id)),
            Self::VcpuFault(addr) => (abi::KVM_S390_VCPU_FAULT, addr),
        }
    }
}

/// A raw ioctl: opcode plus the third argument, by value or as a pointer.
/// `MUTATING` tells rustix whether the call may change what the fd refers to.
struct Raw<const MUTATING: bool> {
    opcode: Opcode,
    arg: *mut c_void,
}

// SAFETY: `as_ptr` hands the kernel exactly the argument the caller built
// (a value or a pointer to a live, correctly typed struct: see each caller),
// and the output is the raw return value, which needs no pointer access.
unsafe impl<const MUTATING: bool> Ioctl for Raw<MUTATING> {
    type Output = IoctlOutput;
    const IS_MUTATING: bool = MUTATING;

    fn opcode(&self) -> Opcode {
        self.opcode
    }

    fn as_ptr(&mut self) -> *mut c_void {
        self.arg
    }

    unsafe fn output_from_ptr(out: IoctlOutput, _: *mut c_void) -> rustix::io::Result<IoctlOutput> {
        Ok(out)
    }
}

fn opcode(op: u32) -> Opcode {
    // Opcode is u32 or c_ulong depending on rustix's backend; ours fit both.
    op as Opcode
}

/// Issues a by-value KVM request and returns the kernel's non-negative result.
pub(crate) fn value_ioctl(fd: BorrowedFd<'_>, req: ValueRequest) -> Result<i32, Errno> {
    let (op, arg) = req.opcode_and_arg();
    let call = Raw::<false> {
        opcode: opcode(op),
        arg: std::ptr::without_provenance_mut(arg as usize),
    };
    // SAFETY: every `ValueRequest` is a KVM request that takes its argument
    // by value, so the kernel dereferences nothing we pass. On an fd that is
    // not KVM's, the 0xAE-typed opcode is answered with ENOTTY.
    unsafe { rustix::ioctl::ioctl(fd, call) }
}

/// Issues a by-value request that returns a new fd (`KVM_CREATE_VM`,
/// `KVM_CREATE_VCPU`) and takes ownership of it.
pub(crate) fn fd_ioctl(fd: BorrowedFd<'_>, req: ValueRequest) -> Result<OwnedFd, Errno> {
    let raw: RawFd = value_ioctl(fd, req)?;
    if raw < 0 {
        return Err(Errno::BADF);
    }
    // SAFETY: on success these requests return a new file descriptor that
    // nothing else in this process owns yet; we become its sole owner.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// `KVM_S390_UCAS_MAP` or `KVM_S390_UCAS_UNMAP` with a pointer to `m`.
pub(crate) fn ucas_ioctl(fd: BorrowedFd<'_>, map: bool, m: &UcasMapping) -> Result<(), Errno> {
    let op = if map {
        abi::KVM_S390_UCAS_MAP
    } else {
        abi::KVM_S390_UCAS_UNMAP
    };
    let call = Raw::<false> {
        opcode: opcode(op),
        arg: std::ptr::from_ref(m).cast_mut().cast(),
    };
    // SAFETY: both requests are `_IOW` with a `struct kvm_s390_ucas_mapping`,
    // which `UcasMapping` lays out exactly (asserted in ucas-core); the kernel
    // only reads the 24 bytes `m` points to, which live across the call.
    unsafe { rustix::ioctl::ioctl(fd, call) }.map(drop)
}

/// `KVM_RUN`: the kernel updates the vcpu's mapped `kvm_run` page.
pub(crate) fn run_ioctl(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    let call = Raw::<true> {
        opcode: opcode(abi::KVM_RUN),
        arg: std::ptr::null_mut(),
    };
    // SAFETY: KVM_RUN takes no argument; what it writes goes to the shared
    // `kvm_run` mapping, which the calling `Vcpu` holds exclusively (`&mut`).
    unsafe { rustix::ioctl::ioctl(fd, call) }.map(drop)
}

/// A shared mapping of part of a vcpu fd (`kvm_run` or the SIE page),
/// unmapped on drop.
#[derive(Debug)]
pub(crate) struct FdMapping {
    ptr: NonNull<c_void>,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value; moving it to
// another thread moves the ownership, and `&FdMapping` only gives `&T` reads.
unsafe impl Send for FdMapping {}
// SAFETY: shared references only read through the mapping.
unsafe impl Sync for FdMapping {}

impl FdMapping {
    /// Maps `len` bytes of `fd` at `offset`, shared and read-write. Refuses
    /// (EINVAL) a length too small to hold a `kvm_run` or SIE block when the
    /// caller views it as one.
    pub(crate) fn new(fd: BorrowedFd<'_>, offset: u64, len: usize) -> Result<Self, Errno> {
        // SAFETY: a fresh mapping chosen by the kernel (null hint) overlaps no
        // Rust object; we own it from here and unmap it in `Drop`.
        let ptr = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
                fd,
                offset,
            )
        }?;
        let ptr = NonNull::new(ptr).ok_or(Errno::NOMEM)?;
        Ok(Self { ptr, len })
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The mapping viewed as the s390 `kvm_run`, if it is large enough.
    pub(crate) fn run(&self) -> Option<&KvmRun> {
        (self.len >= size_of::<KvmRun>()).then(|| {
            // SAFETY: the mapping is page-aligned (more than KvmRun's 8-byte
            // alignment), at least size_of::<KvmRun>() long, lives as long as
            // `self`, and KvmRun is plain integers for which any bytes are valid.
            unsafe { self.ptr.cast::<KvmRun>().as_ref() }
        })
    }

    /// The mapping viewed mutably as the s390 `kvm_run`.
    pub(crate) fn run_mut(&mut self) -> Option<&mut KvmRun> {
        (self.len >= size_of::<KvmRun>()).then(|| {
            // SAFETY: as in `run`; `&mut self` makes this the only reference.
            unsafe { self.ptr.cast::<KvmRun>().as_mut() }
        })
    }

    /// The mapping viewed as the SIE control block, if it is large enough.
    pub(crate) fn sie(&self) -> Option<&SieBlock> {
        (self.len >= size_of::<SieBlock>()).then(|| {
            // SAFETY: page-aligned, long enough, owned by `self`; SieBlock is
            // plain integers and byte arrays, valid for any bytes.
            unsafe { self.ptr.cast::<SieBlock>().as_ref() }
        })
    }

    /// The mapping viewed mutably as the SIE control block.
    pub(crate) fn sie_mut(&mut self) -> Option<&mut SieBlock> {
        (self.len >= size_of::<SieBlock>()).then(|| {
            // SAFETY: as in `sie`; `&mut self` makes this the only reference.
            unsafe { self.ptr.cast::<SieBlock>().as_mut() }
        })
    }
}

impl Drop for FdMapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly what mmap returned and no reference
        // into the mapping outlives `self`.
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr(), self.len) };
    }
}

/// Private anonymous memory whose start is aligned to `align` (a power of
/// two), made by over-allocating and trimming both ends; unmapped on drop.
/// The kernel (or a guest) may write it at any time, so it is only ever
/// accessed by copying, never through long-lived references.
#[derive(Debug)]
pub(crate) struct AlignedMemory {
    ptr: NonNull<c_void>,
    len: usize,
}

// SAFETY: owned plain memory, accessed only by copies.
unsafe impl Send for AlignedMemory {}
// SAFETY: as above; shared access only copies out.
unsafe impl Sync for AlignedMemory {}

impl AlignedMemory {
    pub(crate) fn new(len: usize, align: usize) -> Result<Self, Errno> {
        if len == 0 || !align.is_power_of_two() {
            return Err(Errno::INVAL);
        }
        let total = len.checked_add(align).ok_or(Errno::NOMEM)?;
        // SAFETY: a fresh private anonymous mapping overlaps nothing of ours.
        let base = unsafe {
            rustix::mm::mmap_anonymous(
                std::ptr::null_mut(),
                total,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::PRIVATE | MapFlags::NORESERVE,
            )
        }?;
        let addr = base.addr();
        let start = addr.next_multiple_of(align);
        let head = start - addr;
        let tail = total - head - len;
        if head > 0 {
            // SAFETY: [base, base+head) is the unused front of our mapping.
            unsafe { rustix::mm::munmap(base, head) }?;
        }
        let ptr = base.wrapping_byte_add(head);
        if tail > 0 {
            // SAFETY: [ptr+len, ptr+len+tail) is the unused back of our mapping.
            unsafe { rustix::mm::munmap(ptr.wrapping_byte_add(len), tail) }?;
        }
        let ptr = NonNull::new(ptr).ok_or(Errno::NOMEM)?;
        Ok(Self { ptr, len })
    }

    pub(crate) fn addr(&self) -> u64 {
        self.ptr.as_ptr().addr() as u64
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Copies `buf.len()` bytes from `offset`; false if out of bounds.
    pub(crate) fn read(&self, offset: usize, buf: &mut [u8]) -> bool {
        if offset
            .checked_add(buf.len())
            .is_none_or(|end| end > self.len)
        {
            return false;
        }
        let src = self.ptr.as_ptr().wrapping_byte_add(offset).cast::<u8>();
        // SAFETY: bounds checked above; the source is our mapping and `buf`
        // is a distinct Rust buffer, so they do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(src, buf.as_mut_ptr(), buf.len()) };
        true
    }

    /// Copies `data` to `offset`; false if out of bounds.
    pub(crate) fn write(&mut self, offset: usize, data: &[u8]) -> bool {
        if offset
            .checked_add(data.len())
            .is_none_or(|end| end > self.len)
        {
            return false;
        }
        let dst = self.ptr.as_ptr().wrapping_byte_add(offset).cast::<u8>();
        // SAFETY: bounds checked above; `&mut self` is exclusive and `data`
        // is a distinct Rust buffer.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), dst, data.len()) };
        true
    }
}

impl Drop for AlignedMemory {
    fn drop(&mut self) {
        // SAFETY: exactly the range we kept mapped; nothing refers into it.
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr(), self.len) };
    }
}

/// The baselines of the shell benchmarks (`ucas-benches`, which turns on the
/// `bench-baselines` feature): the same KVM requests issued with a bare
/// `libc::ioctl`, as a C program would, and with rustix's ready-made ioctl
/// patterns (the `syscall` instruction inline, as the shell issues it, minus
/// everything the shell adds), plus the memory slot of the native `KVM_RUN`
/// baseline guest. Not part of the supported API. It lives here because this
/// module is where the handles' unsafe code lives; each function admits only
/// requests whose argument is known, so the functions themselves are safe.
#[cfg(feature = "bench-baselines")]
pub mod baseline {
    use std::os::fd::{AsRawFd, BorrowedFd};

    use rustix::ioctl::{IntegerSetter, NoArg, Opcode, Setter};

    use ucas_core::UcasMapping;
    use ucas_core::abi;

    /// A KVM request whose argument is passed by value.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ValueRequest {
        /// `KVM_GET_API_VERSION`.
        ApiVersion,
        /// `KVM_CHECK_EXTENSION(cap)`.
        CheckExtension(u32),
        /// `KVM_S390_VCPU_FAULT(addr)`.
        VcpuFault(u64),
    }

    /// The errno of the last failed libc call.
    fn last_errno() -> i32 {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
    }

    /// Issues `req` on `fd`: the non-negative result, or the errno.
    ///
    /// # Errors
    /// The errno the kernel answered (ENOTTY on a non-KVM fd, …).
    pub fn value_ioctl(fd: BorrowedFd<'_>, req: ValueRequest) -> Result<i32, i32> {
        let (op, arg) = match req {
            ValueRequest::ApiVersion => (abi::KVM_GET_API_VERSION, 0),
            ValueRequest::CheckExtension(cap) => (abi::KVM_CHECK_EXTENSION, u64::from(cap)),
            ValueRequest::VcpuFault(addr) => (abi::KVM_S390_VCPU_FAULT, addr),
        };
        // SAFETY: each of these requests takes its argument by value, so the
        // kernel dereferences nothing; on a fd of another kind the KVM-typed
        // opcode is refused with an errno. `Ioctl` is the libc's own request
        // type (c_ulong on glibc, c_int on musl); every KVM opcode fits.
        let r = unsafe { libc::ioctl(fd.as_raw_fd(), op as libc::Ioctl, arg as libc::c_ulong) };
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
        let call = unsafe {
            IntegerSetter::<{ abi::KVM_CHECK_EXTENSION as Opcode }>::new_usize(cap as usize)
        };
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

    /// `struct kvm_userspace_memory_region`.
    #[repr(C)]
    struct UserspaceMemoryRegion {
        slot: u32,
        flags: u32,
        guest_phys_addr: u64,
        memory_size: u64,
        userspace_addr: u64,
    }

    const _: () = assert!(size_of::<UserspaceMemoryRegion>() == 32);

    /// `KVM_SET_USER_MEMORY_REGION`, `_IOW(KVMIO, 0x46, 32 bytes)`.
    const KVM_SET_USER_MEMORY_REGION: u32 =
        abi::iow(abi::KVMIO, 0x46, size_of::<UserspaceMemoryRegion>());

    /// `KVM_MEM_READONLY`: guest writes to the slot exit to userspace instead.
    const KVM_MEM_READONLY: u32 = 1 << 1;

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
        mem: &crate::GuestMemory,
        len: u64,
    ) -> Result<(), i32> {
        if len > mem.len() {
            return Err(libc::EINVAL);
        }
        let region = UserspaceMemoryRegion {
            slot: 0,
            flags: KVM_MEM_READONLY,
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
                KVM_SET_USER_MEMORY_REGION as libc::Ioctl,
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
                value_ioctl(f.as_fd(), ValueRequest::ApiVersion),
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
}
