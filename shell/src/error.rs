//! The shell's one error type: which operation failed, why (an errno or a
//! refusal before any system call), and what the user can do about it.

use std::fmt;
use std::io;

use ucas_core::Errno;
use ucas_core::SpaceError;
use ucas_core::abi::{Ioctl, UcasMapping};

/// The operation that failed: a KVM ioctl, or one of the steps around them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// Opening `/dev/kvm` (or another path).
    OpenKvm,
    /// A KVM ioctl.
    Ioctl(Ioctl),
    /// Mapping the vcpu's `kvm_run` page.
    MapRun,
    /// Mapping the vcpu's SIE page.
    MapSiePage,
    /// Allocating guest memory.
    AllocateMemory,
    /// Accessing guest memory.
    AccessMemory,
}

impl Operation {
    /// A short name, the C ioctl name where there is one.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::OpenKvm => "open KVM device",
            Self::Ioctl(ioctl) => ioctl.name(),
            Self::MapRun => "mmap kvm_run",
            Self::MapSiePage => "mmap SIE page",
            Self::AllocateMemory => "allocate guest memory",
            Self::AccessMemory => "access guest memory",
        }
    }
}

/// Why a ucontrol VM cannot be created here (the kernel says EINVAL for all).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unavailable {
    /// Not an s390x host: ucontrol exists only on IBM Z.
    Architecture(String),
    /// The kernel was built without `CONFIG_KVM_S390_UCONTROL`.
    KernelOption,
    /// The caller lacks CAP_SYS_ADMIN.
    Privilege,
    /// KVM ioctls are not implemented (ENOSYS), e.g. under qemu-user.
    NoKvmSyscalls,
    /// EINVAL with the capability, the privilege and the architecture all in
    /// place: nothing left to blame but the kernel.
    Unexplained,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Architecture(arch) => write!(
                f,
                "this host is {arch}; ucontrol VMs exist only on s390x (IBM Z) hosts. \
                 Develop here with `ucas emulate -- PROGRAM`, run for real on an s390x host"
            ),
            Self::KernelOption => f.write_str(
                "the kernel lacks CONFIG_KVM_S390_UCONTROL (KVM_CAP_S390_UCONTROL is 0); \
                 boot a kernel built with it",
            ),
            Self::Privilege => f.write_str(
                "creating a ucontrol VM needs CAP_SYS_ADMIN; run as root or grant the \
                 capability (e.g. setcap cap_sys_admin+ep)",
            ),
            Self::NoKvmSyscalls => f.write_str(
                "KVM ioctls are not implemented here (ENOSYS; qemu-user does this); \
                 run on a real s390x host or under `ucas emulate`",
            ),
            Self::Unexplained => f.write_str(
                "the kernel refused (EINVAL) although the capability, CAP_SYS_ADMIN and \
                 the architecture are all in place; check dmesg",
            ),
        }
    }
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The kernel returned this errno.
    Errno(Errno),
    /// ucas refused the request before any system call (bad input, or the
    /// mirror would not hold the result); nothing changed.
    Refused(SpaceError),
    /// `KVM_GET_API_VERSION` returned something other than 12.
    ApiVersion(i32),
    /// ucontrol VMs cannot be created here, and why.
    Unavailable(Unavailable),
    /// `KVM_S390_VCPU_FAULT`: the vcpu segment is not mapped (EFAULT on
    /// generation A, EREMOTE on B and C).
    SegmentNotMapped {
        /// The address faulted.
        vcpu_addr: u64,
        /// What the kernel said: EFAULT (generation A) or EREMOTE (B, C).
        errno: Errno,
    },
    /// The segment is mapped but the user memory behind it is missing (EFAULT).
    NoUserMemory {
        /// The address faulted.
        vcpu_addr: u64,
    },
    /// A MAP ran out of kernel memory partway. ucas unmapped `cleared` so the
    /// kernel and the mirror agree again: those segments are now unmapped.
    PartialMap {
        /// The request.
        request: UcasMapping,
        /// The vcpu range (address, length) now unmapped in both.
        cleared: (u64, u64),
        /// The errno of the MAP (ENOMEM).
        errno: Errno,
    },
    /// The kernel was left in a state ucas could not confirm; the mirror
    /// dropped its claims on `forgotten` (address, length) so it claims
    /// nothing the kernel may lack.
    Unconfirmed {
        /// The errno of the failed recovery.
        errno: Errno,
        /// The vcpu range the mirror no longer claims.
        forgotten: (u64, u64),
    },
    /// The demand-mapping helper reached its bound.
    DemandLimit {
        /// The bound on segments.
        limit: usize,
        /// The address of the fault it refused to map.
        vcpu_addr: u64,
    },
    /// The mapped `kvm_run` or SIE page is smaller than its layout.
    ShortMapping {
        /// Bytes mapped.
        len: usize,
    },
    /// A storage-key request named a guest frame behind no memory (outside
    /// every memory slot, or past the end of the address space). Linux 7.0
    /// and 7.1 report it as the value 5 (an addressing exception) instead
    /// of an error, and `KVM_S390_KEYOP` as a key no storage key can be;
    /// Linux 7.2 answers EFAULT. Its [`Error::errno`] is EFAULT either way.
    OutsideGuestMemory {
        /// The first frame (guest address / 4096) of the request.
        gfn: u64,
    },
    /// A guest-memory access out of bounds.
    OutOfBounds {
        /// Offset requested.
        offset: usize,
        /// Bytes requested.
        len: usize,
        /// Size of the memory.
        size: usize,
    },
}

/// An error from a ucas operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    op: Operation,
    kind: ErrorKind,
}

impl Error {
    pub(crate) fn new(op: Operation, kind: ErrorKind) -> Self {
        Self { op, kind }
    }

    pub(crate) fn from_errno(op: Operation, errno: Errno) -> Self {
        Self::new(op, ErrorKind::Errno(errno))
    }

    /// The operation that failed.
    #[must_use]
    pub fn operation(&self) -> Operation {
        self.op
    }

    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The errno behind the error, where the kernel (or ucas in its stead)
    /// gave one.
    #[must_use]
    pub fn errno(&self) -> Option<Errno> {
        match &self.kind {
            ErrorKind::Errno(e)
            | ErrorKind::PartialMap { errno: e, .. }
            | ErrorKind::Unconfirmed { errno: e, .. }
            | ErrorKind::SegmentNotMapped { errno: e, .. } => Some(*e),
            ErrorKind::Refused(e) => Some(e.errno()),
            ErrorKind::Unavailable(Unavailable::NoKvmSyscalls) => Some(Errno::NOSYS),
            ErrorKind::Unavailable(_) => Some(Errno::INVAL),
            ErrorKind::NoUserMemory { .. } | ErrorKind::OutsideGuestMemory { .. } => {
                Some(Errno::FAULT)
            }
            _ => None,
        }
    }

    /// [`errno`](Self::errno) as the number (`raw_os_error` of the
    /// `io::Error` this converts to).
    #[must_use]
    pub fn raw_errno(&self) -> Option<i32> {
        self.errno().map(Errno::raw_os_error)
    }
}

/// An errno as the system describes it (`No such file or directory (os
/// error 2)`), for messages read by people.
fn described(errno: Errno) -> io::Error {
    io::Error::from_raw_os_error(errno.raw_os_error())
}

fn hint(op: Operation, errno: Errno) -> &'static str {
    match (op, errno) {
        (Operation::OpenKvm, Errno::NOENT) => {
            "no such device: check the path, load the kvm module, or use a host with KVM"
        }
        (Operation::OpenKvm, Errno::ACCESS | Errno::PERM) => {
            "no permission on the KVM device: join the kvm group or run as root"
        }
        (_, Errno::NOSYS) => {
            "KVM ioctls are not implemented here (qemu-user does this); use a real host or `ucas emulate`"
        }
        (_, Errno::NOTTY) => {
            "the fd is not a KVM fd of the right kind, or the kernel lacks ucontrol support"
        }
        (_, Errno::BADF) => "the fd is closed or not open for this",
        (Operation::Ioctl(Ioctl::UcasMap) | Operation::Ioctl(Ioctl::UcasUnmap), Errno::INVAL) => {
            "the kernel rejected the request, or the vcpu does not belong to a ucontrol VM"
        }
        (Operation::Ioctl(Ioctl::UcasMap) | Operation::Ioctl(Ioctl::UcasUnmap), Errno::FAULT) => {
            "the argument was not readable"
        }
        (Operation::Ioctl(Ioctl::CreateVcpu), Errno::EXIST) => {
            "a vcpu with this id exists already: pick another id"
        }
        (Operation::Ioctl(Ioctl::CreateVcpu), Errno::INVAL) => "vcpu ids go from 0 to 254",
        (Operation::Ioctl(Ioctl::Run), Errno::FAULT) => {
            "the guest touched a mapped segment whose user memory is missing, or the prefix segment is unmapped: map the user memory, or map vcpu segment 0"
        }
        (_, Errno::NOMEM) => "the kernel is out of memory: free some or map less",
        _ => "",
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let ErrorKind::Refused(e @ SpaceError::Request(_)) = &self.kind {
            // A request error names the operation itself.
            return write!(f, "{e} (refused before calling the kernel)");
        }
        write!(f, "{}: ", self.op.name())?;
        match &self.kind {
            ErrorKind::Errno(e) => {
                write!(f, "{}", described(*e))?;
                let h = hint(self.op, *e);
                if !h.is_empty() {
                    write!(f, " ({h})")?;
                }
                Ok(())
            }
            ErrorKind::Refused(e) => write!(f, "refused before calling the kernel: {e}"),
            ErrorKind::ApiVersion(v) => write!(
                f,
                "KVM API version {v}, ucas speaks 12; this is not a Linux KVM it knows"
            ),
            ErrorKind::Unavailable(why) => write!(f, "no ucontrol VM: {why}"),
            ErrorKind::SegmentNotMapped { vcpu_addr, .. } => write!(
                f,
                "vcpu address {vcpu_addr:#x} lies in a segment that is not mapped; map it first"
            ),
            ErrorKind::NoUserMemory { vcpu_addr } => write!(
                f,
                "vcpu address {vcpu_addr:#x} is mapped but the user memory behind it is missing; \
                 allocate it or map the segment elsewhere"
            ),
            ErrorKind::PartialMap {
                request,
                cleared,
                errno,
            } => write!(
                f,
                "{} partway through mapping vcpu {:#x}+{:#x}; ucas unmapped vcpu {:#x}+{:#x} \
                 so kernel and mirror agree (now unmapped); free memory and map again",
                described(*errno),
                request.vcpu_addr,
                request.length,
                cleared.0,
                cleared.1
            ),
            ErrorKind::Unconfirmed { errno, forgotten } => write!(
                f,
                "recovery failed ({}); the mirror no longer claims vcpu {:#x}+{:#x}; \
                 unmap that range before relying on it",
                described(*errno),
                forgotten.0,
                forgotten.1
            ),
            ErrorKind::DemandLimit { limit, vcpu_addr } => write!(
                f,
                "the guest faulted at {vcpu_addr:#x} after {limit} demand-mapped segments, the \
                 bound given; raise the bound or check the guest"
            ),
            ErrorKind::ShortMapping { len } => write!(
                f,
                "the mapping is {len} bytes, too small for its layout; is this an s390 kernel?"
            ),
            ErrorKind::OutsideGuestMemory { gfn } => write!(
                f,
                "the frames from {gfn:#x} (guest address {:#x}) reach a frame outside every \
                 memory slot (the kernel answered an addressing exception); add a slot there \
                 or ask for fewer frames",
                gfn.wrapping_shl(12)
            ),
            ErrorKind::OutOfBounds { offset, len, size } => write!(
                f,
                "{len} bytes at offset {offset:#x} do not fit in {size:#x} bytes of guest memory"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Refused(e) => Some(e),
            _ => None,
        }
    }
}

/// The `io::ErrorKind` for an errno ucas reports. std files many errnos
/// (ENOTTY, EBADF, EFAULT, EREMOTE, ...) under its unstable `Uncategorized`
/// kind, which callers can neither name nor match, so only the errnos std
/// gives a stable kind keep it; ENOTTY (a request the fd does not support)
/// becomes `Unsupported`, like ENOSYS, and the rest `Other`.
fn io_kind(errno: i32) -> io::ErrorKind {
    match Errno::from_raw_os_error(errno) {
        Errno::NOTTY | Errno::NOSYS => io::ErrorKind::Unsupported,
        Errno::NOENT
        | Errno::ACCESS
        | Errno::PERM
        | Errno::INVAL
        | Errno::EXIST
        | Errno::NOMEM
        | Errno::NOSPC
        | Errno::INTR
        | Errno::AGAIN => io::Error::from_raw_os_error(errno).kind(),
        _ => io::ErrorKind::Other,
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        let kind = e.raw_errno().map_or(io::ErrorKind::Other, io_kind);
        io::Error::new(kind, e)
    }
}

/// The result type of the shell.
pub type Result<T, E = Error> = std::result::Result<T, E>;
