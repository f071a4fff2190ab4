//! The one place where the handles cross into the kernel: ioctls on KVM fds,
//! and the memory mappings behind `kvm_run`, the SIE page and guest memory.
//! Everything here is a small, typed, safe wrapper around one system call;
//! the rest of the crate is safe code.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;

use rustix::ioctl::{IoctlOutput, Opcode};
use rustix::mm::{MapFlags, ProtFlags};
use ucas_core::Errno;
use ucas_core::abi::{Ioctl, KvmRun, SieBlock, UcasMapping};

/// A raw ioctl: opcode plus the third argument, by value or as a pointer.
/// `MUTATING` tells rustix whether the call may change what the fd refers to.
struct Raw<const MUTATING: bool> {
    opcode: Opcode,
    arg: *mut c_void,
}

// SAFETY: `as_ptr` hands the kernel exactly the argument the caller built
// (a value or a pointer to a live, correctly typed struct: see each caller),
// and the output is the raw return value, which needs no pointer access.
unsafe impl<const MUTATING: bool> rustix::ioctl::Ioctl for Raw<MUTATING> {
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

/// rustix's errno in ucas's vocabulary: the one conversion at the edge.
fn sys(e: rustix::io::Errno) -> Errno {
    Errno::from_raw_os_error(e.raw_os_error())
}

/// Opens `path` read-write and close-on-exec (a device node: `/dev/kvm`).
pub(crate) fn open_read_write(path: &std::path::Path) -> Result<OwnedFd, Errno> {
    use rustix::fs::{Mode, OFlags};
    rustix::fs::open(path, OFlags::RDWR | OFlags::CLOEXEC, Mode::empty()).map_err(sys)
}

fn opcode(op: u32) -> Opcode {
    // Opcode is u32 or c_ulong depending on rustix's backend; ours fit both.
    op as Opcode
}

/// Issues a KVM request whose argument is a value and returns the kernel's
/// non-negative result; EINVAL, without a system call, for a request whose
/// argument is a pointer.
pub(crate) fn value_ioctl(fd: BorrowedFd<'_>, request: Ioctl, arg: u64) -> Result<i32, Errno> {
    if !request.takes_value() {
        return Err(Errno::INVAL);
    }
    let call = Raw::<false> {
        opcode: opcode(request.number()),
        arg: std::ptr::without_provenance_mut(arg as usize),
    };
    // SAFETY: `request` takes its argument by value (checked above), so the
    // kernel dereferences nothing we pass. On an fd that is
    // not KVM's, the 0xAE-typed opcode is answered with ENOTTY.
    unsafe { rustix::ioctl::ioctl(fd, call) }.map_err(sys)
}

/// Issues a by-value request that returns a new fd (`KVM_CREATE_VM`,
/// `KVM_CREATE_VCPU`) and takes ownership of it.
pub(crate) fn fd_ioctl(fd: BorrowedFd<'_>, request: Ioctl, arg: u64) -> Result<OwnedFd, Errno> {
    if !matches!(request, Ioctl::CreateVm | Ioctl::CreateVcpu) {
        return Err(Errno::INVAL);
    }
    let raw: RawFd = value_ioctl(fd, request, arg)?;
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
        Ioctl::UcasMap.number()
    } else {
        Ioctl::UcasUnmap.number()
    };
    let call = Raw::<false> {
        opcode: opcode(op),
        arg: std::ptr::from_ref(m).cast_mut().cast(),
    };
    // SAFETY: both requests are `_IOW` with a `struct kvm_s390_ucas_mapping`,
    // which `UcasMapping` lays out exactly (asserted in ucas-core); the kernel
    // only reads the 24 bytes `m` points to, which live across the call.
    unsafe { rustix::ioctl::ioctl(fd, call) }
        .map(drop)
        .map_err(sys)
}

/// `KVM_RUN`: the kernel updates the vcpu's mapped `kvm_run` page.
pub(crate) fn run_ioctl(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    let call = Raw::<true> {
        opcode: opcode(Ioctl::Run.number()),
        arg: std::ptr::null_mut(),
    };
    // SAFETY: KVM_RUN takes no argument; what it writes goes to the shared
    // `kvm_run` mapping, which the calling `Vcpu` holds exclusively (`&mut`).
    unsafe { rustix::ioctl::ioctl(fd, call) }
        .map(drop)
        .map_err(sys)
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
        }
        .map_err(sys)?;
        let ptr = NonNull::new(ptr).ok_or(Errno::NOMEM)?;
        Ok(Self { ptr, len })
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The start of the mapping as a `T`, if the mapping holds one. The
    /// one proof for both views below: the mapping is page-aligned (more
    /// than any [`Plain`] type's alignment, asserted there), at least
    /// `size_of::<T>()` long (checked here), lives and stays mapped as long
    /// as `self`, and `T` is plain integers, valid for any bytes.
    fn view_ptr<T: Plain>(&self) -> Option<NonNull<T>> {
        (self.len >= size_of::<T>()).then(|| self.ptr.cast::<T>())
    }

    /// The mapping viewed as `T` (`kvm_run` or the SIE block).
    pub(crate) fn view<T: Plain>(&self) -> Option<&T> {
        // SAFETY: `view_ptr`'s proof; `&self` allows only shared access.
        self.view_ptr::<T>().map(|p| unsafe { p.as_ref() })
    }

    /// The mapping viewed mutably as `T`.
    pub(crate) fn view_mut<T: Plain>(&mut self) -> Option<&mut T> {
        // SAFETY: `view_ptr`'s proof; `&mut self` makes this the only
        // reference into the mapping.
        self.view_ptr::<T>().map(|mut p| unsafe { p.as_mut() })
    }
}

/// The ABI structs a vcpu mapping is viewed as: plain integers and byte
/// arrays, for which any bytes are a valid value, aligned to at most a page.
pub(crate) trait Plain: Sized {}

impl Plain for KvmRun {}
impl Plain for SieBlock {}

const _: () = {
    assert!(align_of::<KvmRun>() <= 4096);
    assert!(align_of::<SieBlock>() <= 4096);
};

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
        }
        .map_err(sys)?;
        let addr = base.addr();
        let start = addr.next_multiple_of(align);
        let head = start - addr;
        let tail = total - head - len;
        if head > 0 {
            // SAFETY: [base, base+head) is the unused front of our mapping.
            unsafe { rustix::mm::munmap(base, head) }.map_err(sys)?;
        }
        let ptr = base.wrapping_byte_add(head);
        if tail > 0 {
            // SAFETY: [ptr+len, ptr+len+tail) is the unused back of our mapping.
            unsafe { rustix::mm::munmap(ptr.wrapping_byte_add(len), tail) }.map_err(sys)?;
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
