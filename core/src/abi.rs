//! The kernel ABI of s390 ucontrol VMs: the mapping struct, ioctl numbers,
//! exit reasons, the s390 `kvm_run` layout and the SIE control block fields a
//! userspace controller touches.
//!
//! Every opcode is computed by [`ioc`], the asm-generic encoding that s390 and
//! x86_64 share, never typed in. Every layout is asserted at compile time right
//! below its type; the `ucas-tests` crate compares all of it with the system's
//! C header compiled by gcc.

use core::mem::{align_of, offset_of, size_of};

use linux_raw_sys::general as uapi;
use static_assertions::{const_assert, const_assert_eq};

mod args;
pub use args::*;

/// `_IOC_NONE`: the ioctl moves no data through its argument.
pub const IOC_NONE: u32 = 0;
/// `_IOC_WRITE`: userspace writes the argument, the kernel reads it.
pub const IOC_WRITE: u32 = 1;
/// `_IOC_READ`: the kernel writes the argument.
pub const IOC_READ: u32 = 2;

const IOC_NRSHIFT: u32 = 0;
const IOC_TYPESHIFT: u32 = 8;
const IOC_SIZESHIFT: u32 = 16;
const IOC_DIRSHIFT: u32 = 30;
const IOC_SIZEMASK: usize = (1 << 14) - 1;

// Our encoding follows the generic uapi header; linux-raw-sys carries the
// same numbers generated from it.
const_assert_eq!(IOC_NONE, uapi::_IOC_NONE);
const_assert_eq!(IOC_WRITE, uapi::_IOC_WRITE);
const_assert_eq!(IOC_READ, uapi::_IOC_READ);
const_assert_eq!(IOC_NRSHIFT, uapi::_IOC_NRSHIFT);
const_assert_eq!(IOC_TYPESHIFT, uapi::_IOC_TYPESHIFT);
const_assert_eq!(IOC_SIZESHIFT, uapi::_IOC_SIZESHIFT);
const_assert_eq!(IOC_DIRSHIFT, uapi::_IOC_DIRSHIFT);
const_assert_eq!(size_field(IOC_SIZEMASK), uapi::_IOC_SIZEMASK);

// The size field is 14 bits wide, so its value lives in the two low bytes of
// a `usize` and `size_field` loses nothing.
const_assert!(IOC_SIZEMASK <= 0xffff);

/// `size` masked to the 14-bit size field, as the `u32` it then fits in.
/// (`u32::try_from` is not `const`; the bytes make the width explicit.)
const fn size_field(size: usize) -> u32 {
    let b = (size & IOC_SIZEMASK).to_le_bytes();
    u32::from_le_bytes([b[0], b[1], 0, 0])
}

/// Encodes an ioctl request number the asm-generic way (`_IOC`): `nr` in bits
/// 0–7, `ty` in bits 8–15, `size` in bits 16–29, `dir` in bits 30–31.
///
/// Out-of-range inputs are masked to their field width, as the C macro's
/// users may never rely on; every opcode below is asserted to be exact.
#[must_use]
pub const fn ioc(dir: u32, ty: u32, nr: u32, size: usize) -> u32 {
    ((dir & 3) << IOC_DIRSHIFT)
        | (size_field(size) << IOC_SIZESHIFT)
        | ((ty & 0xff) << IOC_TYPESHIFT)
        | ((nr & 0xff) << IOC_NRSHIFT)
}

/// The argument size an ioctl request number carries (`_IOC_SIZE`).
#[must_use]
pub fn ioc_size(request: u32) -> usize {
    let b = request.to_le_bytes();
    // The two bytes above the type byte; the mask keeps the 14 size bits.
    usize::from(u16::from_le_bytes([b[2], b[3]])) & IOC_SIZEMASK
}

/// `_IO(ty, nr)`: an ioctl without an argument struct.
#[must_use]
pub const fn io(ty: u32, nr: u32) -> u32 {
    ioc(IOC_NONE, ty, nr, 0)
}

/// `_IOW(ty, nr, T)` with `size` = `size_of::<T>()`.
#[must_use]
pub const fn iow(ty: u32, nr: u32, size: usize) -> u32 {
    ioc(IOC_WRITE, ty, nr, size)
}

/// The ioctl type byte of every KVM request.
pub const KVMIO: u32 = 0xAE;

/// Maps vcpu segments to user memory; argument: a pointer to [`UcasMapping`].
pub const KVM_S390_UCAS_MAP: u32 = iow(KVMIO, 0x50, size_of::<UcasMapping>());
/// Unmaps vcpu segments; argument: a pointer to [`UcasMapping`] (`user_addr` ignored).
pub const KVM_S390_UCAS_UNMAP: u32 = iow(KVMIO, 0x51, size_of::<UcasMapping>());
/// Faults in the page at a vcpu address; the address is passed **by value**.
/// The size field is that of C `unsigned long` on a 64-bit kernel.
pub const KVM_S390_VCPU_FAULT: u32 = iow(KVMIO, 0x52, size_of::<u64>());
/// Returns the KVM API version (always 12).
pub const KVM_GET_API_VERSION: u32 = io(KVMIO, 0x00);
/// Creates a VM; argument: the machine type by value; returns a VM fd.
pub const KVM_CREATE_VM: u32 = io(KVMIO, 0x01);
/// Asks whether a capability is present; argument: the capability by value.
pub const KVM_CHECK_EXTENSION: u32 = io(KVMIO, 0x03);
/// Returns the size of the vcpu fd's `kvm_run` mapping.
pub const KVM_GET_VCPU_MMAP_SIZE: u32 = io(KVMIO, 0x04);
/// Creates a vcpu; argument: its id by value; returns a vcpu fd.
pub const KVM_CREATE_VCPU: u32 = io(KVMIO, 0x41);
/// Runs a vcpu until the next exit, which it describes in `kvm_run`.
pub const KVM_RUN: u32 = io(KVMIO, 0x80);

/// The API version every KVM since 2.6.22 reports.
pub const KVM_API_VERSION: i32 = 12;
/// `KVM_CREATE_VM` machine type flag for a user-controlled VM.
pub const KVM_VM_S390_UCONTROL: u64 = 1;
/// Exit reason: an SIE intercept for userspace (`s390_sieic` is valid).
pub const KVM_EXIT_S390_SIEIC: u32 = 13;
/// Exit reason: a signal interrupted `KVM_RUN`.
pub const KVM_EXIT_INTR: u32 = 10;
/// Exit reason: a translation fault on an unmapped vcpu segment (`s390_ucontrol` is valid).
pub const KVM_EXIT_S390_UCONTROL: u32 = 20;
/// Page offset (in pages) at which a ucontrol vcpu fd maps the SIE control block.
pub const KVM_S390_SIE_PAGE_OFFSET: u64 = 1;
/// The program-interruption code a ucontrol exit reports: segment translation.
pub const PGM_SEGMENT_TRANSLATION: u32 = 0x10;
/// `kvm_dirty_regs`/`kvm_valid_regs` bit: the sync-regs prefix.
pub const KVM_SYNC_PREFIX: u64 = 1 << 0;
/// `kvm_dirty_regs`/`kvm_valid_regs` bit: the sync-regs general registers.
pub const KVM_SYNC_GPRS: u64 = 1 << 1;
/// `kvm_dirty_regs`/`kvm_valid_regs` bit: the sync-regs vector registers
/// (and with them the floating-point registers and `fpc`).
pub const KVM_SYNC_VRS: u64 = 1 << 6;
/// `kvm_dirty_regs`/`kvm_valid_regs` bit: the sync-regs floating-point
/// registers, on a machine without the vector facility.
pub const KVM_SYNC_FPRS: u64 = 1 << 8;
/// `kvm_dirty_regs`/`kvm_valid_regs` bit: the sync-regs access registers.
pub const KVM_SYNC_ACRS: u64 = 1 << 2;
/// `kvm_dirty_regs`/`kvm_valid_regs` bit: the sync-regs control registers.
pub const KVM_SYNC_CRS: u64 = 1 << 3;

/// Reads the dirty bitmap of a memory slot; argument: a pointer to [`DirtyLog`].
pub const KVM_GET_DIRTY_LOG: u32 = iow(KVMIO, 0x42, size_of::<DirtyLog>());
/// Creates, moves or deletes a memory slot; argument: a pointer to
/// [`UserspaceMemoryRegion`].
pub const KVM_SET_USER_MEMORY_REGION: u32 = iow(KVMIO, 0x46, size_of::<UserspaceMemoryRegion>());
/// The same with guest_memfd fields; argument: a pointer to
/// [`UserspaceMemoryRegion2`] (Linux 6.8+).
pub const KVM_SET_USER_MEMORY_REGION2: u32 = iow(KVMIO, 0x49, size_of::<UserspaceMemoryRegion2>());
/// Clears part of a slot's dirty bitmap; argument: a pointer to
/// [`ClearDirtyLog`].
pub const KVM_CLEAR_DIRTY_LOG: u32 = ioc(
    IOC_READ | IOC_WRITE,
    KVMIO,
    0xc0,
    size_of::<ClearDirtyLog>(),
);
/// Sets a device (or VM, or vcpu) attribute; argument: a pointer to [`DeviceAttr`].
pub const KVM_SET_DEVICE_ATTR: u32 = iow(KVMIO, 0xe1, size_of::<DeviceAttr>());
/// Reads an attribute into the memory `DeviceAttr::addr` points to.
pub const KVM_GET_DEVICE_ATTR: u32 = iow(KVMIO, 0xe2, size_of::<DeviceAttr>());
/// Asks whether an attribute exists (0) or not (ENXIO).
pub const KVM_HAS_DEVICE_ATTR: u32 = iow(KVMIO, 0xe3, size_of::<DeviceAttr>());

/// `kvm_userspace_memory_region` flag: the kernel keeps a dirty bitmap of
/// the slot (the one flag an s390 kernel accepts).
pub const KVM_MEM_LOG_DIRTY_PAGES: u32 = 1;

/// [`Irqfd`] flag: detach the eventfd instead of attaching it.
pub const KVM_IRQFD_FLAG_DEASSIGN: u32 = 1 << 0;
/// [`Irqfd`] flag: a level-triggered irqfd with a resample eventfd.
pub const KVM_IRQFD_FLAG_RESAMPLE: u32 = 1 << 1;
/// [`Ioeventfd`] flag: signal only for writes of `datamatch`.
pub const KVM_IOEVENTFD_FLAG_DATAMATCH: u32 = 1 << 0;
/// [`Ioeventfd`] flag: the port-I/O bus.
pub const KVM_IOEVENTFD_FLAG_PIO: u32 = 1 << 1;
/// [`Ioeventfd`] flag: detach instead of attach.
pub const KVM_IOEVENTFD_FLAG_DEASSIGN: u32 = 1 << 2;
/// [`Ioeventfd`] flag: the virtio-ccw notification bus (`DIAG 0x500`).
pub const KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY: u32 = 1 << 3;
/// `kvm_userspace_memory_region` flag: guest writes to the slot exit to
/// userspace instead of reaching memory.
pub const KVM_MEM_READONLY: u32 = 1 << 1;
/// s390 VM attribute group: memory controls.
pub const KVM_S390_VM_MEM_CTRL: u32 = 0;
/// Attribute of [`KVM_S390_VM_MEM_CTRL`]: switch CMMA on for the VM.
pub const KVM_S390_VM_MEM_ENABLE_CMMA: u64 = 0;
/// Attribute of [`KVM_S390_VM_MEM_CTRL`]: reset every page's CMMA state.
pub const KVM_S390_VM_MEM_CLR_CMMA: u64 = 1;
/// Attribute of [`KVM_S390_VM_MEM_CTRL`]: the guest memory limit (a u64).
pub const KVM_S390_VM_MEM_LIMIT_SIZE: u64 = 2;
/// What the memory limit of a VM without one (a ucontrol VM) reads.
pub const KVM_S390_NO_MEM_LIMIT: u64 = u64::MAX;

/// Defines each capability number as a `KVM_CAP_*` constant and lists them
/// all in [`CAPABILITIES`] (checked against `<linux/kvm.h>` by the tests).
macro_rules! capabilities {
    ($($name:ident = $value:literal,)*) => {
        $(
            #[doc = concat!("Capability number `", stringify!($name), "`.")]
            pub const $name: u32 = $value;
        )*
        /// Every capability an s390 kernel answers non-zero for (in some
        /// generation), by C name and number.
        pub const CAPABILITIES: [(&str, u32); [$($value),*].len()] = [$((stringify!($name), $name)),*];
    };
}

capabilities! {
    KVM_CAP_USER_MEMORY = 3,
    KVM_CAP_NR_VCPUS = 9,
    KVM_CAP_NR_MEMSLOTS = 10,
    KVM_CAP_MP_STATE = 14,
    KVM_CAP_SYNC_MMU = 16,
    KVM_CAP_DESTROY_MEMORY_REGION_WORKS = 21,
    KVM_CAP_SET_GUEST_DEBUG = 23,
    KVM_CAP_IRQ_ROUTING = 25,
    KVM_CAP_JOIN_MEMORY_REGIONS_WORKS = 30,
    KVM_CAP_IRQFD = 32,
    KVM_CAP_IOEVENTFD = 36,
    KVM_CAP_INTERNAL_ERROR_DATA = 40,
    KVM_CAP_S390_PSW = 42,
    KVM_CAP_ENABLE_CAP = 54,
    KVM_CAP_ASYNC_PF = 59,
    KVM_CAP_MAX_VCPUS = 66,
    KVM_CAP_ONE_REG = 70,
    KVM_CAP_S390_GMAP = 71,
    KVM_CAP_S390_UCONTROL = 73,
    KVM_CAP_SYNC_REGS = 74,
    KVM_CAP_S390_COW = 79,
    KVM_CAP_IRQFD_RESAMPLE = 82,
    KVM_CAP_S390_CSS_SUPPORT = 85,
    KVM_CAP_DEVICE_CTRL = 89,
    KVM_CAP_ENABLE_CAP_VM = 98,
    KVM_CAP_S390_IRQCHIP = 99,
    KVM_CAP_VM_ATTRIBUTES = 101,
    KVM_CAP_CHECK_EXTENSION_VM = 105,
    KVM_CAP_S390_USER_SIGP = 106,
    KVM_CAP_S390_VECTOR_REGISTERS = 107,
    KVM_CAP_S390_MEM_OP = 108,
    KVM_CAP_S390_USER_STSI = 109,
    KVM_CAP_S390_SKEYS = 110,
    KVM_CAP_S390_INJECT_IRQ = 113,
    KVM_CAP_S390_IRQ_STATE = 114,
    KVM_CAP_IOEVENTFD_ANY_LENGTH = 122,
    KVM_CAP_S390_RI = 124,
    KVM_CAP_MAX_VCPU_ID = 128,
    KVM_CAP_S390_USER_INSTR0 = 130,
    KVM_CAP_IMMEDIATE_EXIT = 136,
    KVM_CAP_S390_GS = 140,
    KVM_CAP_S390_AIS = 141,
    KVM_CAP_S390_CMMA_MIGRATION = 145,
    KVM_CAP_S390_AIS_MIGRATION = 150,
    KVM_CAP_S390_BPB = 152,
    KVM_CAP_S390_HPAGE_1M = 156,
    KVM_CAP_S390_VCPU_RESETS = 179,
    KVM_CAP_S390_PROTECTED = 180,
    KVM_CAP_HALT_POLL = 182,
    KVM_CAP_S390_DIAG318 = 186,
    KVM_CAP_SET_GUEST_DEBUG2 = 195,
    KVM_CAP_BINARY_STATS_FD = 203,
    KVM_CAP_S390_MEM_OP_EXTENSION = 211,
    KVM_CAP_SYSTEM_EVENT_DATA = 215,
    KVM_CAP_S390_PROTECTED_DUMP = 217,
    KVM_CAP_S390_ZPCI_OP = 221,
    KVM_CAP_S390_CPU_TOPOLOGY = 222,
    KVM_CAP_S390_PROTECTED_ASYNC_DISABLE = 224,
    KVM_CAP_USER_MEMORY2 = 231,
    KVM_CAP_PRE_FAULT_MEMORY = 236,
    KVM_CAP_S390_USER_OPEREXEC = 246,
    KVM_CAP_S390_KEYOP = 247,
    KVM_CAP_S390_VSIE_ESAMODE = 248,
    KVM_CAP_S390_HPAGE_2G = 249,
}

/// `_IOR(ty, nr, T)` with `size` = `size_of::<T>()`.
#[must_use]
pub const fn ior(ty: u32, nr: u32, size: usize) -> u32 {
    ioc(IOC_READ, ty, nr, size)
}

/// `_IOWR(ty, nr, T)` with `size` = `size_of::<T>()`.
#[must_use]
pub const fn iowr(ty: u32, nr: u32, size: usize) -> u32 {
    ioc(IOC_READ | IOC_WRITE, ty, nr, size)
}

/// Enables SIE for the calling process (s390 `/dev/kvm`).
pub const KVM_S390_ENABLE_SIE: u32 = io(KVMIO, 0x06);
/// Returns a file descriptor for the binary statistics of a VM or vcpu.
pub const KVM_GET_STATS_FD: u32 = io(KVMIO, 0xce);
/// Enables a capability on a VM or vcpu; argument: [`EnableCap`].
pub const KVM_ENABLE_CAP: u32 = iow(KVMIO, 0xa3, size_of::<EnableCap>());
/// Creates a device (the FLIC on s390); argument: [`CreateDevice`].
pub const KVM_CREATE_DEVICE: u32 = iowr(KVMIO, 0xe0, size_of::<CreateDevice>());
/// Sets the interrupt routing table; argument: [`IrqRouting`] and entries.
pub const KVM_SET_GSI_ROUTING: u32 = iow(KVMIO, 0x6a, size_of::<IrqRouting>());
/// Creates the in-kernel interrupt controller (on s390: allowed once
/// `KVM_CAP_S390_IRQCHIP` is enabled); no argument.
pub const KVM_CREATE_IRQCHIP: u32 = io(KVMIO, 0x60);
/// Harvests the dirty rings of a VM's vcpus; no argument.
pub const KVM_RESET_DIRTY_RINGS: u32 = io(KVMIO, 0xc7);
/// Attaches an eventfd to an interrupt; argument: [`Irqfd`].
pub const KVM_IRQFD: u32 = iow(KVMIO, 0x76, size_of::<Irqfd>());
/// Attaches an eventfd to an I/O address; argument: [`Ioeventfd`].
pub const KVM_IOEVENTFD: u32 = iow(KVMIO, 0x79, size_of::<Ioeventfd>());
/// Injects a floating (VM fd) or local (vcpu fd) interrupt; argument:
/// [`S390Interrupt`].
pub const KVM_S390_INTERRUPT: u32 = iow(KVMIO, 0x94, size_of::<S390Interrupt>());
/// Reads guest storage keys; argument: [`S390Skeys`].
pub const KVM_S390_GET_SKEYS: u32 = iow(KVMIO, 0xb2, size_of::<S390Skeys>());
/// Sets guest storage keys; argument: [`S390Skeys`].
pub const KVM_S390_SET_SKEYS: u32 = iow(KVMIO, 0xb3, size_of::<S390Skeys>());
/// Reads CMMA values; argument: [`S390CmmaLog`].
pub const KVM_S390_GET_CMMA_BITS: u32 = iowr(KVMIO, 0xb8, size_of::<S390CmmaLog>());
/// Sets CMMA values; argument: [`S390CmmaLog`].
pub const KVM_S390_SET_CMMA_BITS: u32 = iow(KVMIO, 0xb9, size_of::<S390CmmaLog>());
/// Reads or writes guest memory (VM or vcpu fd); argument: [`S390MemOp`].
pub const KVM_S390_MEM_OP: u32 = iow(KVMIO, 0xb1, size_of::<S390MemOp>());
/// Operates on storage keys of a guest address (Linux 7.0+); argument:
/// [`S390Keyop`].
pub const KVM_S390_KEYOP: u32 = iowr(KVMIO, 0x53, size_of::<S390Keyop>());
/// A protected-virtualization command on a VM; argument: [`PvCmd`].
pub const KVM_S390_PV_COMMAND: u32 = iowr(KVMIO, 0xc5, size_of::<PvCmd>());
/// A protected-virtualization command on a vcpu; argument: [`PvCmd`].
pub const KVM_S390_PV_CPU_COMMAND: u32 = iowr(KVMIO, 0xd0, size_of::<PvCmd>());
/// A zPCI operation; argument: [`S390ZpciOp`].
pub const KVM_S390_ZPCI_OP: u32 = iow(KVMIO, 0xd1, size_of::<S390ZpciOp>());
/// Reads the general registers; argument: [`Regs`].
pub const KVM_GET_REGS: u32 = ior(KVMIO, 0x81, size_of::<Regs>());
/// Sets the general registers; argument: [`Regs`].
pub const KVM_SET_REGS: u32 = iow(KVMIO, 0x82, size_of::<Regs>());
/// Reads the access and control registers; argument: [`Sregs`].
pub const KVM_GET_SREGS: u32 = ior(KVMIO, 0x83, size_of::<Sregs>());
/// Sets the access and control registers; argument: [`Sregs`].
pub const KVM_SET_SREGS: u32 = iow(KVMIO, 0x84, size_of::<Sregs>());
/// Reads the floating-point registers; argument: [`Fpu`].
pub const KVM_GET_FPU: u32 = ior(KVMIO, 0x8c, size_of::<Fpu>());
/// Sets the floating-point registers; argument: [`Fpu`].
pub const KVM_SET_FPU: u32 = iow(KVMIO, 0x8d, size_of::<Fpu>());
/// Reads one register by id; argument: [`OneReg`].
pub const KVM_GET_ONE_REG: u32 = iow(KVMIO, 0xab, size_of::<OneReg>());
/// Sets one register by id; argument: [`OneReg`].
pub const KVM_SET_ONE_REG: u32 = iow(KVMIO, 0xac, size_of::<OneReg>());
/// Reads the vcpu's run state; argument: [`MpState`].
pub const KVM_GET_MP_STATE: u32 = ior(KVMIO, 0x98, size_of::<MpState>());
/// Sets the vcpu's run state; argument: [`MpState`].
pub const KVM_SET_MP_STATE: u32 = iow(KVMIO, 0x99, size_of::<MpState>());
/// The initial CPU reset.
pub const KVM_S390_INITIAL_RESET: u32 = io(KVMIO, 0x97);
/// The normal CPU reset.
pub const KVM_S390_NORMAL_RESET: u32 = io(KVMIO, 0xc3);
/// The clear CPU reset.
pub const KVM_S390_CLEAR_RESET: u32 = io(KVMIO, 0xc4);
/// Stores the vcpu's status at a guest address, passed **by value** (the
/// size field is that of C `unsigned long`).
pub const KVM_S390_STORE_STATUS: u32 = iow(KVMIO, 0x95, size_of::<u64>());
/// Sets the PSW of a stopped vcpu; argument: [`S390Psw`].
pub const KVM_S390_SET_INITIAL_PSW: u32 = iow(KVMIO, 0x96, size_of::<S390Psw>());
/// Injects an interrupt into a vcpu; argument: [`S390Irq`].
pub const KVM_S390_IRQ: u32 = iow(KVMIO, 0xb4, size_of::<S390Irq>());
/// Saves the vcpu's pending interrupts; argument: [`S390IrqState`].
pub const KVM_S390_GET_IRQ_STATE: u32 = iow(KVMIO, 0xb6, size_of::<S390IrqState>());
/// Restores the vcpu's pending interrupts; argument: [`S390IrqState`].
pub const KVM_S390_SET_IRQ_STATE: u32 = iow(KVMIO, 0xb5, size_of::<S390IrqState>());
/// Sets up guest debugging; argument: [`GuestDebug`].
pub const KVM_SET_GUEST_DEBUG: u32 = iow(KVMIO, 0x9b, size_of::<GuestDebug>());
/// Translates a guest address (s390: not implemented); argument:
/// [`Translation`].
pub const KVM_TRANSLATE: u32 = iowr(KVMIO, 0x85, size_of::<Translation>());
/// Sets the signal mask `KVM_RUN` runs with; argument: [`SignalMask`].
pub const KVM_SET_SIGNAL_MASK: u32 = iow(KVMIO, 0x8b, size_of::<SignalMask>());
/// Maps guest memory ahead of use (s390 from Linux 7.2); argument:
/// [`PreFaultMemory`], the range left written back.
pub const KVM_PRE_FAULT_MEMORY: u32 = iowr(KVMIO, 0xd5, size_of::<PreFaultMemory>());

/// Defines [`Ioctl`]: one variant per request with its C constant, and the
/// list, number and name lookups from that one table.
macro_rules! ioctls {
    ($($variant:ident = $number:ident,)*) => {
        /// Every KVM ioctl ucas issues, decodes or models, by its C name: the
        /// one list the handles, the emulator and the traces share.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Ioctl {
            $(
                #[doc = concat!("`", stringify!($number), "`.")]
                $variant,
            )*
        }

        impl Ioctl {
            /// Every ioctl in the list.
            pub const ALL: [Self; [$(Self::$variant),*].len()] = [$(Self::$variant),*];

            /// The request number (the `_IO*` encoding).
            #[must_use]
            pub const fn number(self) -> u32 {
                match self {
                    $(Self::$variant => $number,)*
                }
            }

            /// The C name.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => stringify!($number),)*
                }
            }
        }
    };
}

ioctls! {
    GetApiVersion = KVM_GET_API_VERSION,
    CreateVm = KVM_CREATE_VM,
    CheckExtension = KVM_CHECK_EXTENSION,
    GetVcpuMmapSize = KVM_GET_VCPU_MMAP_SIZE,
    S390EnableSie = KVM_S390_ENABLE_SIE,
    GetStatsFd = KVM_GET_STATS_FD,
    CreateVcpu = KVM_CREATE_VCPU,
    GetDirtyLog = KVM_GET_DIRTY_LOG,
    ClearDirtyLog = KVM_CLEAR_DIRTY_LOG,
    SetUserMemoryRegion = KVM_SET_USER_MEMORY_REGION,
    SetUserMemoryRegion2 = KVM_SET_USER_MEMORY_REGION2,
    EnableCap = KVM_ENABLE_CAP,
    CreateDevice = KVM_CREATE_DEVICE,
    SetGsiRouting = KVM_SET_GSI_ROUTING,
    CreateIrqchip = KVM_CREATE_IRQCHIP,
    ResetDirtyRings = KVM_RESET_DIRTY_RINGS,
    Irqfd = KVM_IRQFD,
    Ioeventfd = KVM_IOEVENTFD,
    S390Interrupt = KVM_S390_INTERRUPT,
    S390GetSkeys = KVM_S390_GET_SKEYS,
    S390SetSkeys = KVM_S390_SET_SKEYS,
    S390GetCmmaBits = KVM_S390_GET_CMMA_BITS,
    S390SetCmmaBits = KVM_S390_SET_CMMA_BITS,
    S390MemOp = KVM_S390_MEM_OP,
    S390Keyop = KVM_S390_KEYOP,
    PreFaultMemory = KVM_PRE_FAULT_MEMORY,
    S390PvCommand = KVM_S390_PV_COMMAND,
    S390ZpciOp = KVM_S390_ZPCI_OP,
    SetDeviceAttr = KVM_SET_DEVICE_ATTR,
    GetDeviceAttr = KVM_GET_DEVICE_ATTR,
    HasDeviceAttr = KVM_HAS_DEVICE_ATTR,
    UcasMap = KVM_S390_UCAS_MAP,
    UcasUnmap = KVM_S390_UCAS_UNMAP,
    VcpuFault = KVM_S390_VCPU_FAULT,
    Run = KVM_RUN,
    GetRegs = KVM_GET_REGS,
    SetRegs = KVM_SET_REGS,
    GetSregs = KVM_GET_SREGS,
    SetSregs = KVM_SET_SREGS,
    GetFpu = KVM_GET_FPU,
    SetFpu = KVM_SET_FPU,
    GetOneReg = KVM_GET_ONE_REG,
    SetOneReg = KVM_SET_ONE_REG,
    GetMpState = KVM_GET_MP_STATE,
    SetMpState = KVM_SET_MP_STATE,
    S390InitialReset = KVM_S390_INITIAL_RESET,
    S390NormalReset = KVM_S390_NORMAL_RESET,
    S390ClearReset = KVM_S390_CLEAR_RESET,
    S390StoreStatus = KVM_S390_STORE_STATUS,
    S390SetInitialPsw = KVM_S390_SET_INITIAL_PSW,
    S390Irq = KVM_S390_IRQ,
    S390GetIrqState = KVM_S390_GET_IRQ_STATE,
    S390SetIrqState = KVM_S390_SET_IRQ_STATE,
    SetGuestDebug = KVM_SET_GUEST_DEBUG,
    Translate = KVM_TRANSLATE,
    SetSignalMask = KVM_SET_SIGNAL_MASK,
    S390PvCpuCommand = KVM_S390_PV_CPU_COMMAND,
}

impl Ioctl {
    /// The ioctl with request number `number` (the low 32 bits the kernel
    /// looks at), if it is in the list.
    #[must_use]
    pub fn from_number(number: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.number() == number)
    }

    /// Whether the request's argument is a value (a number, a capability,
    /// an id, an address the kernel does not dereference) rather than a
    /// pointer to a struct.
    #[must_use]
    pub const fn takes_value(self) -> bool {
        matches!(
            self,
            Self::GetApiVersion
                | Self::CreateVm
                | Self::CheckExtension
                | Self::GetVcpuMmapSize
                | Self::S390EnableSie
                | Self::GetStatsFd
                | Self::CreateVcpu
                | Self::CreateIrqchip
                | Self::ResetDirtyRings
                | Self::VcpuFault
                | Self::Run
                | Self::S390InitialReset
                | Self::S390NormalReset
                | Self::S390ClearReset
                | Self::S390StoreStatus
        )
    }
}

/// `struct kvm_device_attr`: the argument of the `*_DEVICE_ATTR` ioctls.
#[doc(alias = "kvm_device_attr")]
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DeviceAttr {
    /// No flags are defined.
    pub flags: u32,
    /// The attribute group.
    pub group: u32,
    /// The attribute within the group.
    pub attr: u64,
    /// The address of the attribute's data in the caller's memory.
    pub addr: u64,
}

const _: () = {
    assert!(size_of::<DeviceAttr>() == 24);
    assert!(align_of::<DeviceAttr>() == 8);
    assert!(offset_of!(DeviceAttr, group) == 4);
    assert!(offset_of!(DeviceAttr, attr) == 8);
    assert!(offset_of!(DeviceAttr, addr) == 16);
};

/// `struct kvm_userspace_memory_region`: a memory slot.
#[doc(alias = "kvm_userspace_memory_region")]
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct UserspaceMemoryRegion {
    /// The slot number.
    pub slot: u32,
    /// `KVM_MEM_*` flags.
    pub flags: u32,
    /// Where the slot starts in guest physical memory.
    pub guest_phys_addr: u64,
    /// Its length in bytes (0 deletes the slot).
    pub memory_size: u64,
    /// The start of the caller's memory behind it.
    pub userspace_addr: u64,
}

const _: () = {
    assert!(size_of::<UserspaceMemoryRegion>() == 32);
    assert!(align_of::<UserspaceMemoryRegion>() == 8);
    assert!(offset_of!(UserspaceMemoryRegion, guest_phys_addr) == 8);
    assert!(offset_of!(UserspaceMemoryRegion, memory_size) == 16);
    assert!(offset_of!(UserspaceMemoryRegion, userspace_addr) == 24);
};

/// `struct kvm_userspace_memory_region2` (Linux 6.8+): a memory slot that
/// may be backed by a guest_memfd.
#[doc(alias = "kvm_userspace_memory_region2")]
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct UserspaceMemoryRegion2 {
    /// The slot number.
    pub slot: u32,
    /// `KVM_MEM_*` flags.
    pub flags: u32,
    /// Where the slot starts in guest physical memory.
    pub guest_phys_addr: u64,
    /// Its length in bytes.
    pub memory_size: u64,
    /// The start of the caller's memory behind it.
    pub userspace_addr: u64,
    /// Offset into the guest_memfd.
    pub guest_memfd_offset: u64,
    /// The guest_memfd.
    pub guest_memfd: u32,
    /// Reserved, zero.
    pub pad1: u32,
    /// Reserved, zero.
    pub pad2: [u64; 14],
}

const _: () = {
    assert!(size_of::<UserspaceMemoryRegion2>() == 160);
    assert!(offset_of!(UserspaceMemoryRegion2, guest_memfd_offset) == 32);
    assert!(offset_of!(UserspaceMemoryRegion2, guest_memfd) == 40);
    assert!(offset_of!(UserspaceMemoryRegion2, pad2) == 48);
};

/// `struct kvm_dirty_log`: the argument of `KVM_GET_DIRTY_LOG`.
#[doc(alias = "kvm_dirty_log")]
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DirtyLog {
    /// The slot.
    pub slot: u32,
    /// Padding.
    pub padding1: u32,
    /// Where the bitmap goes (a pointer in a 64-bit union).
    pub dirty_bitmap: u64,
}

const _: () = {
    assert!(size_of::<DirtyLog>() == 16);
    assert!(offset_of!(DirtyLog, dirty_bitmap) == 8);
};

/// `struct kvm_clear_dirty_log`: the argument of `KVM_CLEAR_DIRTY_LOG`.
#[doc(alias = "kvm_clear_dirty_log")]
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ClearDirtyLog {
    /// The slot.
    pub slot: u32,
    /// Pages to clear.
    pub num_pages: u32,
    /// The first page to clear.
    pub first_page: u64,
    /// The bitmap of pages to clear (a pointer in a 64-bit union).
    pub dirty_bitmap: u64,
}

const _: () = {
    assert!(size_of::<ClearDirtyLog>() == 24);
    assert!(offset_of!(ClearDirtyLog, first_page) == 8);
    assert!(offset_of!(ClearDirtyLog, dirty_bitmap) == 16);
};

/// `struct kvm_s390_ucas_mapping`: the argument of `KVM_S390_UCAS_MAP` and
/// `KVM_S390_UCAS_UNMAP`. Native byte order.
#[doc(alias = "kvm_s390_ucas_mapping")]
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct UcasMapping {
    /// Start of the caller's memory the segments resolve to (ignored by UNMAP).
    pub user_addr: u64,
    /// Start of the vcpu address range.
    pub vcpu_addr: u64,
    /// Length of the range in bytes.
    pub length: u64,
}

const _: () = {
    assert!(size_of::<UcasMapping>() == 24);
    assert!(align_of::<UcasMapping>() == 8);
    assert!(offset_of!(UcasMapping, user_addr) == 0);
    assert!(offset_of!(UcasMapping, vcpu_addr) == 8);
    assert!(offset_of!(UcasMapping, length) == 16);
    assert!(KVM_S390_UCAS_MAP == 0x4018_AE50);
    assert!(KVM_S390_UCAS_UNMAP == 0x4018_AE51);
    assert!(KVM_S390_VCPU_FAULT == 0x4008_AE52);
    assert!(KVM_RUN == 0xAE80);
};

/// Size of the sync-regs area of s390 `kvm_run` (`SYNC_REGS_SIZE_BYTES`).
pub const SYNC_REGS_SIZE: usize = 2048;
/// Size of the exit-reason union of `kvm_run`.
pub const EXIT_UNION_SIZE: usize = 256;

/// The s390 `struct kvm_sync_regs`, as far as a ucontrol controller uses it;
/// the rest of the 2048-byte area is kept as opaque bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncRegs {
    /// The prefix register.
    pub prefix: u64,
    /// General registers 0–15.
    pub gprs: [u64; 16],
    /// Access registers 0–15.
    pub acrs: [u32; 16],
    /// Control registers 0–15.
    pub crs: [u64; 16],
    /// TOD programmable register, CPU timer, clock comparator, program
    /// parameter, breaking-event address, pfault token, select and
    /// compare, in that order (`KVM_SYNC_ARCH0`, `KVM_SYNC_PFAULT`).
    pub arch: [u64; 8],
    /// Vector registers 0–31 as two doublewords each (`KVM_SYNC_VRS`); on a
    /// machine without the vector facility the first 16 doublewords are the
    /// floating-point registers (`KVM_SYNC_FPRS`). Floating-point register
    /// `n` is always bits 0–63 of vector register `n`: `vrs[n][0]`.
    pub vrs: [[u64; 2]; 32],
    reserved: [u8; 512],
    /// The floating-point-control register (with `KVM_SYNC_VRS` or
    /// `KVM_SYNC_FPRS`).
    pub fpc: u32,
    rest: [u8; SYNC_REST],
}

/// The opaque tail of [`SyncRegs`], from the byte after `fpc`.
const SYNC_REST: usize = SYNC_REGS_SIZE - 8 - 128 - 64 - 128 - 64 - 512 - 512 - 4;

impl Default for SyncRegs {
    fn default() -> Self {
        Self {
            prefix: 0,
            gprs: [0; 16],
            acrs: [0; 16],
            crs: [0; 16],
            arch: [0; 8],
            vrs: [[0; 2]; 32],
            reserved: [0; 512],
            fpc: 0,
            rest: [0; SYNC_REST],
        }
    }
}

const _: () = {
    assert!(size_of::<SyncRegs>() == SYNC_REGS_SIZE);
    assert!(offset_of!(SyncRegs, prefix) == 0);
    assert!(offset_of!(SyncRegs, gprs) == 8);
    assert!(offset_of!(SyncRegs, acrs) == 136);
    assert!(offset_of!(SyncRegs, crs) == 200);
    assert!(offset_of!(SyncRegs, vrs) == 392);
    assert!(offset_of!(SyncRegs, fpc) == 1416);
};

/// `struct kvm_run` as s390 lays it out (other architectures differ: x86_64
/// has no PSW fields and its exit union starts at 32). The exit union is kept
/// as bytes; [`KvmRun::ucontrol`] and [`KvmRun::sieic`] decode its members.
#[doc(alias = "kvm_run")]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvmRun {
    /// In: request an interrupt window (unused on s390).
    pub request_interrupt_window: u8,
    /// In: return from `KVM_RUN` at once with EINTR.
    pub immediate_exit: u8,
    padding1: [u8; 6],
    /// Out: why `KVM_RUN` returned (`KVM_EXIT_*`).
    pub exit_reason: u32,
    /// Out: unused on s390.
    pub ready_for_interrupt_injection: u8,
    /// Out: unused on s390.
    pub if_flag: u8,
    /// Out: exit flags.
    pub flags: u16,
    /// Unused on s390.
    pub cr8: u64,
    /// Unused on s390.
    pub apic_base: u64,
    /// The guest PSW, first half (mask): read on entry, written on exit.
    pub psw_mask: u64,
    /// The guest PSW, second half (instruction address).
    pub psw_addr: u64,
    /// The exit-reason union, raw.
    pub exit: [u8; EXIT_UNION_SIZE],
    /// Out: which sync-regs classes the kernel filled (`KVM_SYNC_*`).
    pub kvm_valid_regs: u64,
    /// In: which sync-regs classes userspace changed (`KVM_SYNC_*`).
    pub kvm_dirty_regs: u64,
    /// The synchronized registers.
    pub sync: SyncRegs,
}

impl Default for KvmRun {
    fn default() -> Self {
        Self {
            request_interrupt_window: 0,
            immediate_exit: 0,
            padding1: [0; 6],
            exit_reason: 0,
            ready_for_interrupt_injection: 0,
            if_flag: 0,
            flags: 0,
            cr8: 0,
            apic_base: 0,
            psw_mask: 0,
            psw_addr: 0,
            exit: [0; EXIT_UNION_SIZE],
            kvm_valid_regs: 0,
            kvm_dirty_regs: 0,
            sync: SyncRegs::default(),
        }
    }
}

/// Byte offset of `s390_ucontrol.trans_exc_code` in `kvm_run`.
pub const RUN_UCONTROL_TRANS_EXC_CODE: usize = 48;
/// Byte offset of `s390_ucontrol.pgm_code` in `kvm_run`.
pub const RUN_UCONTROL_PGM_CODE: usize = 56;
/// Byte offset of `s390_sieic.icptcode` in `kvm_run`.
pub const RUN_SIEIC_ICPTCODE: usize = 48;
/// Byte offset of `s390_sieic.ipa` in `kvm_run`.
pub const RUN_SIEIC_IPA: usize = 50;
/// Byte offset of `s390_sieic.ipb` in `kvm_run`.
pub const RUN_SIEIC_IPB: usize = 52;
/// Byte offset of the sync-regs general registers in `kvm_run`.
pub const RUN_SYNC_GPRS: usize = 328;
/// Offset of the sync-regs prefix in the s390 `kvm_run`.
pub const RUN_SYNC_PREFIX: usize = offset_of!(KvmRun, sync) + offset_of!(SyncRegs, prefix);
/// Offset of the sync-regs access registers in the s390 `kvm_run`.
pub const RUN_SYNC_ACRS: usize = offset_of!(KvmRun, sync) + offset_of!(SyncRegs, acrs);
/// Offset of the sync-regs control registers in the s390 `kvm_run`.
pub const RUN_SYNC_CRS: usize = offset_of!(KvmRun, sync) + offset_of!(SyncRegs, crs);
/// Offset of the sync-regs vector registers (floating-point register `n`
/// at `RUN_SYNC_VRS + 16 * n`) in the s390 `kvm_run`.
pub const RUN_SYNC_VRS: usize = offset_of!(KvmRun, sync) + offset_of!(SyncRegs, vrs);
/// Offset of the sync-regs floating-point-control register in `kvm_run`.
pub const RUN_SYNC_FPC: usize = offset_of!(KvmRun, sync) + offset_of!(SyncRegs, fpc);
/// Offset of `psw_mask` in the s390 `kvm_run`.
pub const RUN_PSW_MASK: usize = offset_of!(KvmRun, psw_mask);
/// Offset of `psw_addr` in the s390 `kvm_run`.
pub const RUN_PSW_ADDR: usize = offset_of!(KvmRun, psw_addr);
/// Offset of the sync-regs TOD programmable register (`KVM_SYNC_ARCH0`).
pub const RUN_SYNC_TODPR: usize = RUN_SYNC_CRS + 128;
/// Offset of the sync-regs CPU timer.
pub const RUN_SYNC_CPUTM: usize = RUN_SYNC_TODPR + 8;
/// Offset of the sync-regs clock comparator.
pub const RUN_SYNC_CKC: usize = RUN_SYNC_CPUTM + 8;
/// Offset of the sync-regs program parameter.
pub const RUN_SYNC_PP: usize = RUN_SYNC_CKC + 8;
/// Offset of the sync-regs guest breaking-event address.
pub const RUN_SYNC_GBEA: usize = RUN_SYNC_PP + 8;
// The vector registers follow the guest breaking-event address and three
// reserved doublewords; the FPC follows them and 512 reserved bytes.
const _: () = assert!(RUN_SYNC_VRS == RUN_SYNC_GBEA + 4 * 8);
const _: () = assert!(RUN_SYNC_FPC == RUN_SYNC_VRS + 32 * 16 + 512);

/// `KVM_REG_S390_TODPR` (u32).
pub const KVM_REG_S390_TODPR: u64 = KVM_REG_S390 | KVM_REG_SIZE_U32 | 0x1;
/// `KVM_REG_S390_EPOCHDIFF`.
pub const KVM_REG_S390_EPOCHDIFF: u64 = KVM_REG_S390 | KVM_REG_SIZE_U64 | 0x2;
/// `KVM_REG_S390_CPU_TIMER`.
pub const KVM_REG_S390_CPU_TIMER: u64 = KVM_REG_S390 | KVM_REG_SIZE_U64 | 0x3;
/// `KVM_REG_S390_CLOCK_COMP`.
pub const KVM_REG_S390_CLOCK_COMP: u64 = KVM_REG_S390 | KVM_REG_SIZE_U64 | 0x4;
/// `KVM_REG_S390_PFTOKEN`.
pub const KVM_REG_S390_PFTOKEN: u64 = KVM_REG_S390 | KVM_REG_SIZE_U64 | 0x5;
/// `KVM_REG_S390_PFCOMPARE`.
pub const KVM_REG_S390_PFCOMPARE: u64 = KVM_REG_S390 | KVM_REG_SIZE_U64 | 0x6;
/// `KVM_REG_S390_PFSELECT`.
pub const KVM_REG_S390_PFSELECT: u64 = KVM_REG_S390 | KVM_REG_SIZE_U64 | 0x7;
/// `KVM_REG_S390_PP`.
pub const KVM_REG_S390_PP: u64 = KVM_REG_S390 | KVM_REG_SIZE_U64 | 0x8;
/// `KVM_REG_S390_GBEA`.
pub const KVM_REG_S390_GBEA: u64 = KVM_REG_S390 | KVM_REG_SIZE_U64 | 0x9;
/// `KVM_REG_S390`: the architecture field of an s390 register id.
pub const KVM_REG_S390: u64 = 0x5000_0000_0000_0000;
/// `KVM_REG_SIZE_U32`.
pub const KVM_REG_SIZE_U32: u64 = 0x0020_0000_0000_0000;
/// `KVM_REG_SIZE_U64`.
pub const KVM_REG_SIZE_U64: u64 = 0x0030_0000_0000_0000;
/// `KVM_S390_PFAULT_TOKEN_INVALID`: no pfault handshake.
pub const KVM_S390_PFAULT_TOKEN_INVALID: u64 = u64::MAX;

/// `KVM_S390_GET_SKEYS` answers this (a success) while keys are unused.
pub const KVM_S390_GET_SKEYS_NONE: i64 = 1;
/// The most frames one `KVM_S390_GET/SET_SKEYS` may name.
pub const KVM_S390_SKEYS_MAX: u64 = 1_048_576;
/// `KVM_S390_KEYOP` operation: insert (read) a key. The numbers are those
/// of the version merged for Linux 7.0 (the one with `guest_addr`, which
/// the 7.0 selftest names); earlier drafts numbered SSKE first.
pub const KVM_S390_KEYOP_ISKE: u8 = 1;
/// `KVM_S390_KEYOP` operation: reset the reference bit.
pub const KVM_S390_KEYOP_RRBE: u8 = 2;
/// `KVM_S390_KEYOP` operation: set a key.
pub const KVM_S390_KEYOP_SSKE: u8 = 3;

/// `KVM_S390_MEM_OP` operation: read logical (vcpu) memory.
pub const KVM_S390_MEMOP_LOGICAL_READ: u32 = 0;
/// Write logical (vcpu) memory.
pub const KVM_S390_MEMOP_LOGICAL_WRITE: u32 = 1;
/// Read a protected vcpu's SIDA.
pub const KVM_S390_MEMOP_SIDA_READ: u32 = 2;
/// Write a protected vcpu's SIDA.
pub const KVM_S390_MEMOP_SIDA_WRITE: u32 = 3;
/// Read absolute (VM) memory.
pub const KVM_S390_MEMOP_ABSOLUTE_READ: u32 = 4;
/// Write absolute (VM) memory.
pub const KVM_S390_MEMOP_ABSOLUTE_WRITE: u32 = 5;
/// Compare and exchange absolute (VM) memory (Linux 6.3+).
pub const KVM_S390_MEMOP_ABSOLUTE_CMPXCHG: u32 = 6;
/// `KVM_S390_MEM_OP` flag: only check that the access would succeed.
pub const KVM_S390_MEMOP_F_CHECK_ONLY: u64 = 1 << 0;
/// Flag: inject the program interruption the access met.
pub const KVM_S390_MEMOP_F_INJECT_EXCEPTION: u64 = 1 << 1;
/// Flag: check the access against the storage keys with `key`.
pub const KVM_S390_MEMOP_F_SKEY_PROTECTION: u64 = 1 << 2;
/// The largest `KVM_S390_MEM_OP` transfer (`KVM_CAP_S390_MEM_OP`).
pub const MEM_OP_MAX_SIZE: u32 = 65536;

/// `KVM_MP_STATE_STOPPED`.
pub const KVM_MP_STATE_STOPPED: u32 = 5;
/// `KVM_MP_STATE_OPERATING`.
pub const KVM_MP_STATE_OPERATING: u32 = 7;
/// `KVM_MP_STATE_LOAD`: only for protected guests.
pub const KVM_MP_STATE_LOAD: u32 = 8;

const _: () = {
    assert!(size_of::<KvmRun>() == 2368);
    assert!(align_of::<KvmRun>() == 8);
    assert!(offset_of!(KvmRun, exit_reason) == 8);
    assert!(offset_of!(KvmRun, psw_mask) == 32);
    assert!(offset_of!(KvmRun, psw_addr) == 40);
    assert!(offset_of!(KvmRun, exit) == 48);
    assert!(offset_of!(KvmRun, kvm_valid_regs) == 304);
    assert!(offset_of!(KvmRun, kvm_dirty_regs) == 312);
    assert!(offset_of!(KvmRun, sync) == 320);
    // sync @320 + gprs @8 within it.
    assert!(RUN_SYNC_GPRS == 328);
};

/// The ucontrol exit member of the `kvm_run` exit union.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UcontrolExit {
    /// The faulting vcpu address, rounded down to 4 KiB.
    pub trans_exc_code: u64,
    /// The program-interruption code ([`PGM_SEGMENT_TRANSLATION`]).
    pub pgm_code: u32,
}

/// The SIE intercept member of the `kvm_run` exit union.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SieicExit {
    /// The intercept code (`ICPT_*`).
    pub icptcode: u8,
    /// The first two bytes of the intercepted instruction.
    pub ipa: u16,
    /// The next four bytes of the intercepted instruction.
    pub ipb: u32,
}

// Offsets of the union members within the `exit` bytes.
const EXIT_AT: usize = offset_of!(KvmRun, exit);
const U_TRANS_EXC_CODE: usize = RUN_UCONTROL_TRANS_EXC_CODE - EXIT_AT;
const U_PGM_CODE: usize = RUN_UCONTROL_PGM_CODE - EXIT_AT;
const U_ICPTCODE: usize = RUN_SIEIC_ICPTCODE - EXIT_AT;
const U_IPA: usize = RUN_SIEIC_IPA - EXIT_AT;
const U_IPB: usize = RUN_SIEIC_IPB - EXIT_AT;

impl KvmRun {
    /// Decodes the `s390_ucontrol` member of the exit union.
    #[must_use]
    pub fn ucontrol(&self) -> UcontrolExit {
        UcontrolExit {
            trans_exc_code: u64::from_ne_bytes(self.get(U_TRANS_EXC_CODE)),
            pgm_code: u32::from_ne_bytes(self.get(U_PGM_CODE)),
        }
    }

    /// Encodes the `s390_ucontrol` member of the exit union.
    pub fn set_ucontrol(&mut self, exit: UcontrolExit) {
        self.put(U_TRANS_EXC_CODE, exit.trans_exc_code.to_ne_bytes());
        self.put(U_PGM_CODE, exit.pgm_code.to_ne_bytes());
    }

    /// Decodes the `s390_sieic` member of the exit union.
    #[must_use]
    pub fn sieic(&self) -> SieicExit {
        SieicExit {
            icptcode: u8::from_ne_bytes(self.get(U_ICPTCODE)),
            ipa: u16::from_ne_bytes(self.get(U_IPA)),
            ipb: u32::from_ne_bytes(self.get(U_IPB)),
        }
    }

    /// Encodes the `s390_sieic` member of the exit union.
    pub fn set_sieic(&mut self, exit: SieicExit) {
        self.put(U_ICPTCODE, [exit.icptcode]);
        self.put(U_IPA, exit.ipa.to_ne_bytes());
        self.put(U_IPB, exit.ipb.to_ne_bytes());
    }

    // The offsets are constants inside the 256-byte union, so the reads
    // and writes below always find their bytes; the fallbacks are unreachable.
    fn get<const L: usize>(&self, at: usize) -> [u8; L] {
        self.exit
            .get(at..)
            .and_then(<[u8]>::first_chunk::<L>)
            .copied()
            .unwrap_or([0; L])
    }

    fn put<const L: usize>(&mut self, at: usize, bytes: [u8; L]) {
        if let Some(dst) = self
            .exit
            .get_mut(at..)
            .and_then(<[u8]>::first_chunk_mut::<L>)
        {
            *dst = bytes;
        }
    }
}

/// The SIE intercept code of an instruction intercept.
pub const ICPT_INST: u8 = 0x04;
/// The SIE intercept code of a program interruption.
pub const ICPT_PROGI: u8 = 0x08;
/// The SIE intercept code of a validity intercept.
pub const ICPT_VALIDITY: u8 = 0x20;
/// The SIE intercept code of a stop request.
pub const ICPT_STOP: u8 = 0x28;
/// The SIE intercept code of an operation exception.
pub const ICPT_OPEREXC: u8 = 0x2C;
/// The SIE intercept code of a storage-key instruction under keyless-subset
/// mode (`CPUSTAT_KSS`).
pub const ICPT_KSS: u8 = 0x5C;
/// `cpuflags` bit: the vcpu is stopped; a controller clears it before the first run.
pub const CPUSTAT_STOPPED: u32 = 0x8000_0000;

/// Size of the SIE control block at the start of the SIE page.
pub const SIE_BLOCK_SIZE: usize = 512;

/// The SIE control block (`struct kvm_s390_sie_block`, kernel-internal, not
/// uapi), reduced to the fields a ucontrol controller reads or writes; the
/// other bytes are opaque. It is the first 512 bytes of the vcpu fd's page at
/// [`KVM_S390_SIE_PAGE_OFFSET`]. Fields are in the host's (big-endian) order.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SieBlock {
    /// `cpuflags` (`CPUSTAT_*`).
    pub cpuflags: u32,
    _r004: [u8; 0x48 - 0x04],
    /// Interception controls.
    pub ictl: u32,
    _r04c: [u8; 0x50 - 0x4c],
    /// The intercept code of the last exit.
    pub icptcode: u8,
    _r051: [u8; 0x56 - 0x51],
    /// Instruction parameter A of the last intercept.
    pub ipa: u16,
    /// Instruction parameter B of the last intercept.
    pub ipb: u32,
    _r05c: [u8; 0x61 - 0x5c],
    /// Execution controls B.
    pub ecb: u8,
    _r062: [u8; 0x90 - 0x62],
    /// The guest PSW mask as SIE holds it.
    pub psw_mask: u64,
    /// The guest PSW address as SIE holds it.
    pub psw_addr: u64,
    _r0a0: [u8; 0xcc - 0xa0],
    /// The program-interruption ILC of an `ICPT_PROGI` intercept (bits
    /// 13–14: the length in bytes).
    pub pgmilc: u16,
    /// The program-interruption code of an `ICPT_PROGI` intercept.
    pub iprcc: u16,
    _r0d0: [u8; 0x100 - 0xd0],
    /// Guest control registers 0–15.
    pub gcr: [u64; 16],
    _r180: [u8; SIE_BLOCK_SIZE - 0x180],
}

impl Default for SieBlock {
    fn default() -> Self {
        Self {
            cpuflags: 0,
            _r004: [0; 0x48 - 0x04],
            ictl: 0,
            _r04c: [0; 0x50 - 0x4c],
            icptcode: 0,
            _r051: [0; 0x56 - 0x51],
            ipa: 0,
            ipb: 0,
            _r05c: [0; 0x61 - 0x5c],
            ecb: 0,
            _r062: [0; 0x90 - 0x62],
            psw_mask: 0,
            psw_addr: 0,
            _r0a0: [0; 0xcc - 0xa0],
            pgmilc: 0,
            iprcc: 0,
            _r0d0: [0; 0x100 - 0xd0],
            gcr: [0; 16],
            _r180: [0; SIE_BLOCK_SIZE - 0x180],
        }
    }
}

/// Offset of `cpuflags` in the SIE block.
pub const SIE_CPUFLAGS: usize = 0x00;
/// `cpuflags` bit: guest PER is enforced (guest debugging).
pub const CPUSTAT_P: u32 = 0x0000_0400;
/// `KVM_GUESTDBG_ENABLE`.
pub const KVM_GUESTDBG_ENABLE: u32 = 0x0000_0001;
/// `KVM_GUESTDBG_SINGLESTEP`.
pub const KVM_GUESTDBG_SINGLESTEP: u32 = 0x0000_0002;
/// `KVM_GUESTDBG_USE_HW_BP` (s390).
pub const KVM_GUESTDBG_USE_HW_BP: u32 = 0x0001_0000;
/// `KVM_S390_STORE_STATUS_NOADDR`: store at absolute 0 (the 64-bit save area).
pub const KVM_S390_STORE_STATUS_NOADDR: u64 = u64::MAX;
/// `KVM_S390_STORE_STATUS_PREFIXED`: store in the prefix area.
pub const KVM_S390_STORE_STATUS_PREFIXED: u64 = u64::MAX - 1;

/// Offset of the CPU timer in the SIE block (kernel `kvm_host_types.h`).
pub const SIE_CPUTM: usize = 0x28;
/// Offset of the clock comparator in the SIE block.
pub const SIE_CKC: usize = 0x30;
/// Offset of the TOD epoch difference in the SIE block.
pub const SIE_EPOCH: usize = 0x38;
/// Offset of the TOD programmable register (u32) in the SIE block.
pub const SIE_TODPR: usize = 0x6c;
/// Offset of the guest breaking-event address in the SIE block.
pub const SIE_GBEA: usize = 0x180;
/// Offset of the program parameter in the SIE block (not 8-aligned).
pub const SIE_PP: usize = 0x1de;
/// Offset of `ictl` in the SIE block.
pub const SIE_ICTL: usize = 0x48;
/// Offset of `icptcode` in the SIE block.
pub const SIE_ICPTCODE: usize = 0x50;
/// Offset of `ipa` in the SIE block.
pub const SIE_IPA: usize = 0x56;
/// Offset of `ipb` in the SIE block.
pub const SIE_IPB: usize = 0x58;
/// Offset of `ecb` in the SIE block.
pub const SIE_ECB: usize = 0x61;
/// Offset of the PSW mask in the SIE block.
pub const SIE_PSW_MASK: usize = 0x90;
/// Offset of the PSW address in the SIE block.
pub const SIE_PSW_ADDR: usize = 0x98;
/// Offset of the guest control registers in the SIE block.
pub const SIE_GCR: usize = 0x100;
/// Offset of `pgmilc` (u16) in the SIE block.
pub const SIE_PGMILC: usize = 0xcc;
/// Offset of `iprcc` (u16) in the SIE block.
pub const SIE_IPRCC: usize = 0xce;
/// Offset of `icpua` (the vcpu's CPU address, an s16) in the SIE block.
pub const SIE_ICPUA: usize = 0x46;
/// Offset of `eca` (execution controls A, u32) in the SIE block.
pub const SIE_ECA: usize = 0x4c;
/// Offset of `ecb2` (u8) in the SIE block.
pub const SIE_ECB2: usize = 0x62;
/// Offset of `ecb3` (u8) in the SIE block.
pub const SIE_ECB3: usize = 0x63;
/// Offset of `ecd` (execution controls D, u32) in the SIE block.
pub const SIE_ECD: usize = 0x1c8;

// The SIE control bits a new vcpu's block holds (the kernel's private
// `asm/kvm_host.h`: no uapi header has them).
/// `cpuflags`: z/Architecture mode.
pub const CPUSTAT_ZARCH: u32 = 0x0000_0800;
/// `cpuflags`: keyless-subset (storage-key instructions trap to KVM).
pub const CPUSTAT_KSS: u32 = 0x0000_0200;
/// `cpuflags`: SIE interpretation mode bit SM.
pub const CPUSTAT_SM: u32 = 0x0000_0080;
/// `cpuflags`: guest-enhanced DAT (facility 8).
pub const CPUSTAT_GED: u32 = 0x0000_0004;
/// `ictl`: intercept operation exceptions.
pub const ICTL_OPEREXC: u32 = 0x8000_0000;
/// `ictl`: intercept ISKE.
pub const ICTL_ISKE: u32 = 0x0000_4000;
/// `ictl`: intercept SSKE.
pub const ICTL_SSKE: u32 = 0x0000_2000;
/// `ictl`: intercept RRBE.
pub const ICTL_RRBE: u32 = 0x0000_1000;
/// `ecb`: specification exceptions interpreted by SIE (never on ucontrol).
pub const ECB_SPECI: u8 = 0x08;
/// `ecb`: the SRSI control, set with facility 9.
pub const ECB_SRSI: u8 = 0x04;
/// `ecb`: host protection interruption (ESOP).
pub const ECB_HOSTPROTINT: u8 = 0x02;
/// `ecb`: PTF interpretation (facility 11).
pub const ECB_PTF: u8 = 0x01;
/// `ecb2`: PFMF interpretation.
pub const ECB2_PFMFI: u8 = 0x08;
/// `ecb3`: DEA key wrapping.
pub const ECB3_DEA: u8 = 0x08;
/// `ecb3`: AES key wrapping.
pub const ECB3_AES: u8 = 0x04;
/// `eca`: MVPG interpretation.
pub const ECA_MVPGI: u32 = 0x0100_0000;
/// `eca`: vector facility (129).
pub const ECA_VX: u32 = 0x0002_0000;
/// `eca`: protection-exception interpretation.
pub const ECA_PROTEXCI: u32 = 0x0000_2000;
/// `ecd`: host register management (with vectors).
pub const ECD_HOSTREGMGMT: u32 = 0x2000_0000;

const _: () = {
    assert!(size_of::<SieBlock>() == SIE_BLOCK_SIZE);
    assert!(offset_of!(SieBlock, cpuflags) == SIE_CPUFLAGS);
    assert!(offset_of!(SieBlock, ictl) == SIE_ICTL);
    assert!(offset_of!(SieBlock, icptcode) == SIE_ICPTCODE);
    assert!(offset_of!(SieBlock, ipa) == SIE_IPA);
    assert!(offset_of!(SieBlock, ipb) == SIE_IPB);
    assert!(offset_of!(SieBlock, ecb) == SIE_ECB);
    assert!(offset_of!(SieBlock, psw_mask) == SIE_PSW_MASK);
    assert!(offset_of!(SieBlock, psw_addr) == SIE_PSW_ADDR);
    assert!(offset_of!(SieBlock, gcr) == SIE_GCR);
    assert!(offset_of!(SieBlock, pgmilc) == SIE_PGMILC);
    assert!(offset_of!(SieBlock, iprcc) == SIE_IPRCC);
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ioctl_has_its_own_number_and_name() {
        for (i, a) in Ioctl::ALL.iter().enumerate() {
            assert_eq!(Ioctl::from_number(a.number()), Some(*a));
            assert!(a.name().starts_with("KVM_"), "{a:?}");
            for b in &Ioctl::ALL[i + 1..] {
                assert_ne!(a.number(), b.number(), "{a:?} {b:?}");
                assert_ne!(a.name(), b.name());
            }
        }
        assert_eq!(Ioctl::from_number(io(KVMIO, 0x99)), None);
    }

    #[test]
    fn encoding_places_each_field() {
        assert_eq!(ioc(IOC_NONE, 0, 0, 0), 0);
        assert_eq!(ioc(IOC_READ, 0, 0, 0), 0x8000_0000);
        assert_eq!(ioc(IOC_WRITE, 0, 0, 0), 0x4000_0000);
        assert_eq!(ioc(IOC_NONE, 0, 0, 0x3fff), 0x3fff_0000);
        assert_eq!(ioc(IOC_NONE, 0xAE, 0, 0), 0xAE00);
        assert_eq!(ioc(IOC_NONE, 0, 0x52, 0), 0x52);
        // Oversized fields are masked, never spill into their neighbours.
        assert_eq!(ioc(IOC_NONE, 0, 0x1ff, 0), 0xff);
        assert_eq!(ioc(IOC_NONE, 0, 0, 0x4000), 0);
    }

    #[test]
    fn the_size_field_decodes_what_was_encoded() {
        for size in [0, 1, 24, 0x1234, 0x3fff] {
            for dir in [IOC_NONE, IOC_WRITE, IOC_READ, IOC_READ | IOC_WRITE] {
                assert_eq!(ioc_size(ioc(dir, 0xff, 0xff, size)), size);
            }
        }
        assert_eq!(ioc_size(KVM_S390_UCAS_MAP), size_of::<UcasMapping>());
        assert_eq!(ioc_size(KVM_GET_REGS), size_of::<Regs>());
        assert_eq!(ioc_size(KVM_RUN), 0);
    }

    #[test]
    fn exit_union_round_trips() {
        let mut run = KvmRun::default();
        let u = UcontrolExit {
            trans_exc_code: 0x40_0000,
            pgm_code: PGM_SEGMENT_TRANSLATION,
        };
        run.set_ucontrol(u);
        assert_eq!(run.ucontrol(), u);
        let s = SieicExit {
            icptcode: ICPT_INST,
            ipa: 0x8300,
            ipb: 0x0044_0000,
        };
        run.set_sieic(s);
        assert_eq!(run.sieic(), s);
        assert_eq!(run.exit[0], ICPT_INST);
        assert_eq!(run.exit[2..4], 0x8300u16.to_ne_bytes());
    }
}
