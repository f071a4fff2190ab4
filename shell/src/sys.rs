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
use ucas_core::abi::{self, Ioctl, KvmRun, SieBlock, UcasMapping};

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
/// `KVM_CREATE_VCPU`, `KVM_GET_STATS_FD`) and takes ownership of it.
pub(crate) fn fd_ioctl(fd: BorrowedFd<'_>, request: Ioctl, arg: u64) -> Result<OwnedFd, Errno> {
    if !matches!(
        request,
        Ioctl::CreateVm | Ioctl::CreateVcpu | Ioctl::GetStatsFd
    ) {
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

/// The argument structs passed by pointer that hold no pointer the kernel
/// follows: the kernel copies exactly the size encoded in the request to
/// or from them, and any bytes are a valid value.
pub(crate) trait PlainArg: Copy {}

impl PlainArg for abi::Regs {}
impl PlainArg for abi::Sregs {}
impl PlainArg for abi::Fpu {}
impl PlainArg for abi::S390Keyop {}
impl PlainArg for abi::MpState {}
impl PlainArg for abi::S390Psw {}
impl PlainArg for abi::S390Irq {}
impl PlainArg for abi::S390Interrupt {}
impl PlainArg for abi::CreateDevice {}
impl PlainArg for abi::Translation {}
impl PlainArg for abi::IoAdapter {}
impl PlainArg for abi::IoAdapterReq {}
impl PlainArg for abi::UserspaceMemoryRegion {}
impl PlainArg for abi::UserspaceMemoryRegion2 {}
impl PlainArg for abi::EnableCap {}
impl PlainArg for abi::Irqfd {}
impl PlainArg for abi::Ioeventfd {}
impl PlainArg for abi::PreFaultMemory {}

/// The size field of an `_IOR/_IOW/_IOWR` request number.
const fn encoded_size(number: u32) -> usize {
    ((number >> 16) & 0x3fff) as usize
}

/// Issues `request` with a pointer to `arg`, which the kernel reads,
/// writes or both. EINVAL, without a system call, unless the request
/// takes a pointer to a struct of exactly `T`'s size.
pub(crate) fn struct_ioctl<T: PlainArg>(
    fd: BorrowedFd<'_>,
    request: Ioctl,
    arg: &mut T,
) -> Result<i32, Errno> {
    if request.takes_value() || encoded_size(request.number()) != size_of::<T>() {
        return Err(Errno::INVAL);
    }
    let call = Raw::<true> {
        opcode: opcode(request.number()),
        arg: std::ptr::from_mut(arg).cast(),
    };
    // SAFETY: the request's encoded size is `T`'s (checked above), which is
    // all the kernel copies in or out; `T` holds no pointer the kernel
    // follows (`PlainArg`), any bytes are a valid `T`, and `arg` is
    // borrowed mutably for the whole call.
    unsafe { rustix::ioctl::ioctl(fd, call) }.map_err(sys)
}

/// The size in bytes of the register with `KVM_*_ONE_REG` id `id`.
const fn one_reg_size(id: u64) -> u64 {
    1 << ((id >> 52) & 0xF)
}

/// `KVM_GET_ONE_REG` (`set` false) or `KVM_SET_ONE_REG` of the register
/// `id` through `value`. EINVAL, without a system call, for a register
/// wider than 8 bytes; a 4-byte register is the low half of `value`.
pub(crate) fn one_reg_ioctl(
    fd: BorrowedFd<'_>,
    set: bool,
    id: u64,
    value: &mut u64,
) -> Result<(), Errno> {
    let request = if set {
        Ioctl::SetOneReg
    } else {
        Ioctl::GetOneReg
    };
    let mut narrow = *value as u32;
    let addr: *mut c_void = match one_reg_size(id) {
        8 => std::ptr::from_mut(value).cast(),
        4 => std::ptr::from_mut(&mut narrow).cast(),
        _ => return Err(Errno::INVAL),
    };
    let mut reg = abi::OneReg {
        id,
        addr: addr as u64,
    };
    let call = Raw::<true> {
        opcode: opcode(request.number()),
        arg: std::ptr::from_mut(&mut reg).cast(),
    };
    // SAFETY: `reg` is a `kvm_one_reg` (layout asserted in ucas-core); the
    // kernel reads it, then copies the register's size (4 or 8 bytes,
    // checked above) to or from `addr`, which points at a live local or
    // `value` of that size for the whole call.
    unsafe { rustix::ioctl::ioctl(fd, call) }.map_err(sys)?;
    if one_reg_size(id) == 4 {
        *value = u64::from(narrow);
    }
    Ok(())
}

/// The CPU-model attributes a VM reads and writes whole, with the layout
/// of the kernel's struct for attribute `ATTR` of group
/// `KVM_S390_VM_CPU_MODEL`.
pub(crate) trait CpuModelAttr: Copy {
    /// The attribute.
    const ATTR: u64;
}

impl CpuModelAttr for abi::CpuProcessor {
    const ATTR: u64 = abi::KVM_S390_VM_CPU_PROCESSOR;
}

impl CpuModelAttr for abi::CpuMachine {
    const ATTR: u64 = abi::KVM_S390_VM_CPU_MACHINE;
}

/// `KVM_GET_DEVICE_ATTR` (`set` false) or `KVM_SET_DEVICE_ATTR` of the
/// CPU-model attribute `T` through `data`.
pub(crate) fn cpu_model_ioctl<T: CpuModelAttr>(
    fd: BorrowedFd<'_>,
    set: bool,
    data: &mut T,
) -> Result<(), Errno> {
    let request = if set {
        Ioctl::SetDeviceAttr
    } else {
        Ioctl::GetDeviceAttr
    };
    let mut attr = abi::DeviceAttr {
        flags: 0,
        group: abi::KVM_S390_VM_CPU_MODEL,
        attr: T::ATTR,
        addr: std::ptr::from_mut(data) as u64,
    };
    let call = Raw::<true> {
        opcode: opcode(request.number()),
        arg: std::ptr::from_mut(&mut attr).cast(),
    };
    // SAFETY: `attr` is a `kvm_device_attr`; for this group and attribute
    // the kernel copies exactly the size of its struct, which `T` lays out
    // (sizes asserted in ucas-core and checked against the s390 header),
    // to or from `data`, borrowed mutably for the call; any bytes are a
    // valid `T` (integers and arrays of them).
    unsafe { rustix::ioctl::ioctl(fd, call) }
        .map(drop)
        .map_err(sys)
}

/// `request` (`KVM_{SET,GET,HAS}_DEVICE_ATTR`) with a `kvm_device_attr`
/// of `group`, `attr` and `addr`; the kernel's non-negative answer.
///
/// # Safety
/// `addr` must be 0 or point at memory the caller owns, valid for as many
/// bytes as the kernel copies to or from it for this group and attribute
/// (and writable, for GET), for the whole call.
unsafe fn device_attr_raw(
    fd: BorrowedFd<'_>,
    request: Ioctl,
    group: u32,
    attr: u64,
    addr: u64,
) -> Result<i32, Errno> {
    let mut arg = abi::DeviceAttr {
        flags: 0,
        group,
        attr,
        addr,
    };
    let call = Raw::<true> {
        opcode: opcode(request.number()),
        arg: std::ptr::from_mut(&mut arg).cast(),
    };
    // SAFETY: `arg` is a `kvm_device_attr` (layout asserted in ucas-core),
    // borrowed for the call; what the kernel copies through `addr` the
    // caller vouches for.
    unsafe { rustix::ioctl::ioctl(fd, call) }.map_err(sys)
}

/// The bytes of data the kernel copies for VM attribute `attr` of `group`
/// outside `KVM_S390_VM_CPU_MODEL` (whose structs [`CpuModelAttr`]
/// covers): a u64, a u8, or none; `None` for an attribute this library
/// does not know, whose size it cannot vouch for.
pub(crate) const fn vm_attr_size(group: u32, attr: u64) -> Option<usize> {
    match (group, attr) {
        (abi::KVM_S390_VM_MEM_CTRL, abi::KVM_S390_VM_MEM_LIMIT_SIZE)
        | (abi::KVM_S390_VM_TOD, abi::KVM_S390_VM_TOD_LOW)
        | (abi::KVM_S390_VM_MIGRATION, abi::KVM_S390_VM_MIGRATION_STATUS) => Some(8),
        (abi::KVM_S390_VM_TOD, abi::KVM_S390_VM_TOD_HIGH) | (abi::KVM_S390_VM_CPU_TOPOLOGY, _) => {
            Some(1)
        }
        (abi::KVM_S390_VM_MEM_CTRL, abi::KVM_S390_VM_MEM_ENABLE_CMMA)
        | (abi::KVM_S390_VM_MEM_CTRL, abi::KVM_S390_VM_MEM_CLR_CMMA)
        | (abi::KVM_S390_VM_CRYPTO, 0..=5)
        | (abi::KVM_S390_VM_MIGRATION, abi::KVM_S390_VM_MIGRATION_STOP)
        | (abi::KVM_S390_VM_MIGRATION, abi::KVM_S390_VM_MIGRATION_START) => Some(0),
        _ => None,
    }
}

/// `KVM_SET_DEVICE_ATTR`, `KVM_GET_DEVICE_ATTR` or `KVM_HAS_DEVICE_ATTR`
/// (`request`) of VM attribute `attr` of `group` with `data`. EINVAL,
/// without a system call, for another request, or for SET and GET of an
/// attribute [`vm_attr_size`] does not know.
pub(crate) fn vm_attr_ioctl(
    fd: BorrowedFd<'_>,
    request: Ioctl,
    group: u32,
    attr: u64,
    data: &mut [u8; 8],
) -> Result<(), Errno> {
    let addr = match request {
        Ioctl::HasDeviceAttr => 0,
        Ioctl::SetDeviceAttr | Ioctl::GetDeviceAttr if vm_attr_size(group, attr).is_some() => {
            data.as_mut_ptr() as u64
        }
        _ => return Err(Errno::INVAL),
    };
    // SAFETY: HAS copies no data (and gets a null `addr`); for SET and GET
    // the attribute is one whose data is at most 8 bytes (`vm_attr_size`),
    // copied to or from `data`, borrowed mutably for the call.
    unsafe { device_attr_raw(fd, request, group, attr, addr) }.map(drop)
}

/// `KVM_S390_GET_SKEYS` (`set` false) or `KVM_S390_SET_SKEYS` for
/// `keys.len()` frames from `start_gfn`; the kernel's non-negative answer.
pub(crate) fn skeys_ioctl(
    fd: BorrowedFd<'_>,
    set: bool,
    start_gfn: u64,
    keys: &mut [u8],
) -> Result<i32, Errno> {
    let request = if set {
        Ioctl::S390SetSkeys
    } else {
        Ioctl::S390GetSkeys
    };
    let mut args = abi::S390Skeys {
        start_gfn,
        count: keys.len() as u64,
        skeydata_addr: keys.as_mut_ptr() as u64,
        ..abi::S390Skeys::default()
    };
    let call = Raw::<true> {
        opcode: opcode(request.number()),
        arg: std::ptr::from_mut(&mut args).cast(),
    };
    // SAFETY: `args` is a `kvm_s390_skeys` (layout asserted in ucas-core);
    // the kernel copies at most `count` = `keys.len()` bytes to or from
    // `skeydata_addr`, the start of `keys`, borrowed mutably for the call.
    unsafe { rustix::ioctl::ioctl(fd, call) }.map_err(sys)
}

/// `KVM_S390_MEM_OP` `op` on `fd` (a VM or a vcpu) of `buf.len()` bytes at
/// guest address `gaddr`, with `flags` and access `key`; the kernel's
/// non-negative answer (a program-interruption code when positive).
pub(crate) fn mem_op_ioctl(
    fd: BorrowedFd<'_>,
    op: u32,
    gaddr: u64,
    flags: u64,
    key: u8,
    buf: &mut [u8],
) -> Result<i32, Errno> {
    let size = u32::try_from(buf.len()).map_err(|_| Errno::TOOBIG)?;
    // Compare-and-exchange reads a second buffer: not offered here.
    if op == abi::KVM_S390_MEMOP_ABSOLUTE_CMPXCHG {
        return Err(Errno::INVAL);
    }
    let mut u = [0u64; 4];
    // The union's first bytes: access register 0, then the key.
    u[0] = u64::from_ne_bytes([0, key, 0, 0, 0, 0, 0, 0]);
    let mut m = abi::S390MemOp {
        gaddr,
        flags,
        size,
        op,
        buf: buf.as_mut_ptr() as u64,
        u,
    };
    let call = Raw::<true> {
        opcode: opcode(Ioctl::S390MemOp.number()),
        arg: std::ptr::from_mut(&mut m).cast(),
    };
    // SAFETY: `m` is a `kvm_s390_mem_op` (layout asserted in ucas-core);
    // for the operations allowed here the kernel copies at most `size` =
    // `buf.len()` bytes to or from `buf`, borrowed mutably for the call,
    // and follows no other pointer (the compare-and-exchange `old_addr` is
    // refused above).
    unsafe { rustix::ioctl::ioctl(fd, call) }.map_err(sys)
}

/// `KVM_S390_GET_IRQ_STATE` (`set` false) or `KVM_S390_SET_IRQ_STATE` with
/// the array `irqs`; the kernel's non-negative answer (for GET the bytes
/// it wrote). EINVAL, without a system call, for an array longer than a
/// `u32` of bytes.
pub(crate) fn irq_state_ioctl(
    fd: BorrowedFd<'_>,
    set: bool,
    irqs: &mut [abi::S390Irq],
) -> Result<i32, Errno> {
    let request = if set {
        Ioctl::S390SetIrqState
    } else {
        Ioctl::S390GetIrqState
    };
    let len = u32::try_from(size_of_val(irqs)).map_err(|_| Errno::INVAL)?;
    let mut state = abi::S390IrqState {
        buf: irqs.as_mut_ptr() as u64,
        len,
        ..abi::S390IrqState::default()
    };
    let call = Raw::<true> {
        opcode: opcode(request.number()),
        arg: std::ptr::from_mut(&mut state).cast(),
    };
    // SAFETY: `state` is a `kvm_s390_irq_state` (layout asserted in
    // ucas-core); the kernel copies at most `len` bytes, the size of
    // `irqs` (an array of `kvm_s390_irq`, 72 bytes each, any bytes a valid
    // value), to or from `buf`, borrowed mutably for the call.
    unsafe { rustix::ioctl::ioctl(fd, call) }.map_err(sys)
}

/// `KVM_SET_GUEST_DEBUG` with `control` and no hardware breakpoints.
pub(crate) fn guest_debug_ioctl(
    fd: BorrowedFd<'_>,
    control: u32,
    breakpoints: &[abi::HwBreakpoint],
) -> Result<(), Errno> {
    let mut debug = abi::GuestDebug {
        control,
        // More than the kernel takes is refused (EINVAL) all the same.
        nr_hw_bp: u32::try_from(breakpoints.len()).unwrap_or(u32::MAX),
        hw_bp: if breakpoints.is_empty() {
            0
        } else {
            breakpoints.as_ptr() as u64
        },
        ..abi::GuestDebug::default()
    };
    let call = Raw::<false> {
        opcode: opcode(Ioctl::SetGuestDebug.number()),
        arg: std::ptr::from_mut(&mut debug).cast(),
    };
    // SAFETY: `debug` is a `kvm_guest_debug` (layout asserted in
    // ucas-core) that the kernel only reads; it follows `hw_bp` to at most
    // `nr_hw_bp` = `breakpoints.len()` `kvm_hw_breakpoint`s (layout
    // asserted too), which it only reads, and `breakpoints` is borrowed
    // for the call (null with none).
    unsafe { rustix::ioctl::ioctl(fd, call) }
        .map(drop)
        .map_err(sys)
}

/// `KVM_CREATE_DEVICE` of `type_` on VM `fd`; takes ownership of the new
/// device fd.
pub(crate) fn create_device_ioctl(fd: BorrowedFd<'_>, type_: u32) -> Result<OwnedFd, Errno> {
    let mut arg = abi::CreateDevice {
        type_,
        ..abi::CreateDevice::default()
    };
    struct_ioctl(fd, Ioctl::CreateDevice, &mut arg)?;
    let raw = RawFd::try_from(arg.fd).map_err(|_| Errno::BADF)?;
    // SAFETY: on success the kernel wrote a new file descriptor to `fd`,
    // which nothing else in this process owns yet; we become its owner.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// What a FLIC attribute request carries: nothing the kernel follows, a
/// struct it reads, or an array of `kvm_s390_irq` it reads or writes.
pub(crate) enum FlicData<'a> {
    /// `addr` 0.
    None,
    /// `addr` points at this adapter.
    Adapter(&'a mut abi::IoAdapter),
    /// `addr` points at this adapter request.
    AdapterReq(&'a mut abi::IoAdapterReq),
    /// `addr` points at this u32.
    Word(&'a mut u32),
    /// `addr` points at these interrupts and `attr` is their size in bytes.
    Irqs(&'a mut [abi::S390Irq]),
}

/// `request` (`KVM_{SET,GET,HAS}_DEVICE_ATTR`) of FLIC attribute group
/// `group` with `attr` (replaced by the array's size for
/// [`FlicData::Irqs`]) and `data`; the kernel's non-negative answer.
pub(crate) fn flic_attr_ioctl(
    fd: BorrowedFd<'_>,
    request: Ioctl,
    group: u32,
    attr: u64,
    data: FlicData<'_>,
) -> Result<i32, Errno> {
    if !matches!(
        request,
        Ioctl::SetDeviceAttr | Ioctl::GetDeviceAttr | Ioctl::HasDeviceAttr
    ) {
        return Err(Errno::INVAL);
    }
    // Each kind of data only with the group that copies exactly it.
    let paired = match &data {
        FlicData::None => true,
        FlicData::Adapter(_) => group == abi::KVM_DEV_FLIC_ADAPTER_REGISTER,
        FlicData::AdapterReq(_) => group == abi::KVM_DEV_FLIC_ADAPTER_MODIFY,
        FlicData::Word(_) => {
            group == abi::KVM_DEV_FLIC_CLEAR_IO_IRQ && attr == size_of::<u32>() as u64
        }
        FlicData::Irqs(_) => matches!(
            group,
            abi::KVM_DEV_FLIC_GET_ALL_IRQS | abi::KVM_DEV_FLIC_ENQUEUE
        ),
    };
    if !paired {
        return Err(Errno::INVAL);
    }
    let (attr, addr) = match data {
        FlicData::None => (attr, 0),
        FlicData::Adapter(a) => (attr, std::ptr::from_mut(a) as u64),
        FlicData::AdapterReq(r) => (attr, std::ptr::from_mut(r) as u64),
        FlicData::Word(w) => (attr, std::ptr::from_mut(w) as u64),
        FlicData::Irqs(irqs) => (size_of_val(irqs) as u64, irqs.as_mut_ptr() as u64),
    };
    // SAFETY: the FLIC copies through `addr` only for the group each kind
    // of data is paired with above:
    // ADAPTER_REGISTER and ADAPTER_MODIFY read one `kvm_s390_io_adapter`
    // or `kvm_s390_io_adapter_req` (`IoAdapter`, `IoAdapterReq`),
    // CLEAR_IO_IRQ reads a u32, GET_ALL_IRQS and ENQUEUE copy at most
    // `attr` bytes, the size of the `irqs` array; every pointer is to a
    // value borrowed mutably for the call, any bytes valid for it, and a
    // null `addr` faults in the kernel (EFAULT) rather than here.
    unsafe { device_attr_raw(fd, request, group, attr, addr) }
}

/// `KVM_SET_GSI_ROUTING` with the table `entries`: the `kvm_irq_routing`
/// header followed by the entries, in one buffer. EINVAL, without a system
/// call, for more entries than a `u32` counts.
pub(crate) fn gsi_routing_ioctl(
    fd: BorrowedFd<'_>,
    entries: &[abi::IrqRoutingEntry],
) -> Result<(), Errno> {
    let nr = u32::try_from(entries.len()).map_err(|_| Errno::INVAL)?;
    let header = abi::IrqRouting { nr, flags: 0 };
    // Two u32 fields in the order they are laid out, as one u64 word.
    let pair = |a: u32, b: u32| {
        let mut w = [0u8; 8];
        w[..4].copy_from_slice(&a.to_ne_bytes());
        w[4..].copy_from_slice(&b.to_ne_bytes());
        u64::from_ne_bytes(w)
    };
    // u64 words keep the entries' alignment; the header is one word and
    // each entry its four u32s as two words plus its union.
    const _: () = assert!(
        size_of::<abi::IrqRouting>() == size_of::<u64>()
            && size_of::<abi::IrqRoutingEntry>() == (2 + 4) * size_of::<u64>()
    );
    let mut buf = Vec::with_capacity(1 + size_of_val(entries) / size_of::<u64>());
    buf.push(pair(header.nr, header.flags));
    for e in entries {
        buf.push(pair(e.gsi, e.type_));
        buf.push(pair(e.flags, e.pad));
        buf.extend_from_slice(&e.u);
    }
    let base = buf.as_mut_ptr();
    let call = Raw::<false> {
        opcode: opcode(Ioctl::SetGsiRouting.number()),
        arg: base.cast(),
    };
    // SAFETY: the kernel reads the 8-byte header and then `nr` entries of
    // 48 bytes (`kvm_irq_routing_entry`, layout asserted in ucas-core), all
    // inside `buf`, which lives across the call.
    unsafe { rustix::ioctl::ioctl(fd, call) }
        .map(drop)
        .map_err(sys)
}

/// `KVM_SET_SIGNAL_MASK` with the 8-byte kernel signal set `mask` (bit
/// n − 1 for signal n), or a null argument for `None`.
pub(crate) fn signal_mask_ioctl(fd: BorrowedFd<'_>, mask: Option<u64>) -> Result<(), Errno> {
    let header = size_of::<abi::SignalMask>();
    let mut buf = [0u8; size_of::<abi::SignalMask>() + size_of::<u64>()];
    let arg: *mut c_void = match mask {
        None => std::ptr::null_mut(),
        Some(set) => {
            let len = abi::SignalMask {
                len: size_of::<u64>() as u32,
            };
            buf[..header].copy_from_slice(&len.len.to_ne_bytes());
            buf[header..].copy_from_slice(&set.to_ne_bytes());
            buf.as_mut_ptr().cast()
        }
    };
    let call = Raw::<false> {
        opcode: opcode(Ioctl::SetSignalMask.number()),
        arg,
    };
    // SAFETY: the kernel reads the `kvm_signal_mask` header (`len`, 4
    // bytes) and then `len` = 8 bytes of signal set, all inside `buf`,
    // which lives across the call; a null argument it does not follow.
    unsafe { rustix::ioctl::ioctl(fd, call) }
        .map(drop)
        .map_err(sys)
}

/// `KVM_GET_DIRTY_LOG` of `slot` into `bitmap`, which must hold a bit for
/// every page of the slot; `None` passes a null bitmap (the kernel
/// answers EFAULT if it would write one).
pub(crate) fn dirty_log_ioctl(
    fd: BorrowedFd<'_>,
    slot: u32,
    bitmap: Option<&mut [u64]>,
) -> Result<(), Errno> {
    let mut arg = abi::DirtyLog {
        slot,
        padding1: 0,
        dirty_bitmap: bitmap.map_or(0, |b| b.as_mut_ptr() as u64),
    };
    let call = Raw::<true> {
        opcode: opcode(Ioctl::GetDirtyLog.number()),
        arg: std::ptr::from_mut(&mut arg).cast(),
    };
    // SAFETY: `arg` is a `kvm_dirty_log` (layout asserted in ucas-core);
    // the kernel writes one bit per page of the slot to `dirty_bitmap`,
    // which is null (it faults: EFAULT) or `bitmap`, sized by the caller
    // (`Vm::get_dirty_log`) for the slot it set, borrowed for the call.
    unsafe { rustix::ioctl::ioctl(fd, call) }
        .map(drop)
        .map_err(sys)
}

/// `request`, `KVM_S390_GET_CMMA_BITS` (`flags` then `KVM_S390_CMMA_PEEK`
/// or 0) or `KVM_S390_SET_CMMA_BITS` (`mask` the bits to change), for
/// `values.len()` frames from `start_gfn`; the struct as the kernel left
/// it. EINVAL, without a system call, for another request or past
/// `u32::MAX` values.
pub(crate) fn cmma_ioctl(
    fd: BorrowedFd<'_>,
    request: Ioctl,
    start_gfn: u64,
    flags: u32,
    mask: u64,
    values: &mut [u8],
) -> Result<abi::S390CmmaLog, Errno> {
    if !matches!(request, Ioctl::S390GetCmmaBits | Ioctl::S390SetCmmaBits) {
        return Err(Errno::INVAL);
    }
    let mut log = abi::S390CmmaLog {
        start_gfn,
        count: u32::try_from(values.len()).map_err(|_| Errno::INVAL)?,
        flags,
        remaining_or_mask: mask,
        values: values.as_mut_ptr() as u64,
    };
    let call = Raw::<true> {
        opcode: opcode(request.number()),
        arg: std::ptr::from_mut(&mut log).cast(),
    };
    // SAFETY: `log` is a `kvm_s390_cmma_log` (layout asserted in
    // ucas-core); the kernel copies at most `count` = `values.len()` bytes
    // to or from `values`, borrowed mutably for the call.
    unsafe { rustix::ioctl::ioctl(fd, call) }
        .map(|_| log)
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
