//! The argument structs of the KVM ioctls ucas names beyond the address
//! space ones: s390 layouts (`arch/s390/include/uapi/asm/kvm.h` for the
//! register sets, `<linux/kvm.h>` for the rest), native byte order, each
//! size and offset asserted here and compared with the C headers by gcc in
//! the tests.

use core::mem::{offset_of, size_of};

/// Declares a `#[repr(C)]` ABI struct with the derives every one has.
macro_rules! abi_struct {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[repr(C)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl Default for $name {
            fn default() -> Self {
                Self { $($field: <$ty>::default(),)* }
            }
        }
    };
}

abi_struct! {
    /// `struct kvm_regs` (s390): the general registers.
    #[doc(alias = "kvm_regs")]
    Regs {
        /// r0–r15.
        gprs: [u64; 16],
    }
}

abi_struct! {
    /// `struct kvm_sregs` (s390): access and control registers.
    #[doc(alias = "kvm_sregs")]
    Sregs {
        /// a0–a15.
        acrs: [u32; 16],
        /// c0–c15.
        crs: [u64; 16],
    }
}

abi_struct! {
    /// `struct kvm_fpu` (s390): the floating-point control and registers.
    #[doc(alias = "kvm_fpu")]
    Fpu {
        /// The floating-point control register.
        fpc: u32,
        /// Padding.
        pad: u32,
        /// f0–f15.
        fprs: [u64; 16],
    }
}

abi_struct! {
    /// `struct kvm_one_reg`: one register by id.
    #[doc(alias = "kvm_one_reg")]
    OneReg {
        /// The register id (`KVM_REG_S390_*`).
        id: u64,
        /// Where its value is in the caller's memory.
        addr: u64,
    }
}

abi_struct! {
    /// `struct kvm_mp_state`.
    #[doc(alias = "kvm_mp_state")]
    MpState {
        /// `KVM_MP_STATE_*`.
        mp_state: u32,
    }
}

abi_struct! {
    /// `struct kvm_s390_psw`.
    #[doc(alias = "kvm_s390_psw")]
    S390Psw {
        /// The PSW mask.
        mask: u64,
        /// The instruction address.
        addr: u64,
    }
}

abi_struct! {
    /// `struct kvm_s390_interrupt`.
    #[doc(alias = "kvm_s390_interrupt")]
    S390Interrupt {
        /// `KVM_S390_*` interrupt type.
        type_: u32,
        /// 32-bit parameter.
        parm: u32,
        /// 64-bit parameter.
        parm64: u64,
    }
}

abi_struct! {
    /// `struct kvm_s390_irq`: an interrupt with its type-specific payload.
    #[doc(alias = "kvm_s390_irq")]
    S390Irq {
        /// `KVM_S390_*` interrupt type.
        type_: u64,
        /// The payload union (64 bytes).
        u: [u64; 8],
    }
}

abi_struct! {
    /// `struct kvm_s390_irq_state`.
    #[doc(alias = "kvm_s390_irq_state")]
    S390IrqState {
        /// Where the `kvm_s390_irq` array is.
        buf: u64,
        /// No flags are defined.
        flags: u32,
        /// The array's length in bytes.
        len: u32,
        /// Reserved, zero.
        reserved: [u32; 4],
    }
}

abi_struct! {
    /// `struct kvm_s390_mem_op`.
    #[doc(alias = "kvm_s390_mem_op")]
    S390MemOp {
        /// Guest address.
        gaddr: u64,
        /// `KVM_S390_MEMOP_F_*`.
        flags: u64,
        /// Bytes to transfer.
        size: u32,
        /// `KVM_S390_MEMOP_*`.
        op: u32,
        /// The caller's buffer.
        buf: u64,
        /// The union of access register, key and old value address, the SIDA
        /// offset, or reserved bytes (32 bytes).
        u: [u64; 4],
    }
}

abi_struct! {
    /// `struct kvm_s390_keyop` (Linux 7.0+).
    #[doc(alias = "kvm_s390_keyop")]
    S390Keyop {
        /// The guest address whose key is operated on.
        addr: u64,
        /// The key (in for SSKE, out for ISKE and RRBE).
        key: u8,
        /// `KVM_S390_KEYOP_*`.
        operation: u8,
        /// Padding to the struct's alignment.
        pad: [u8; 6],
    }
}

abi_struct! {
    /// `struct kvm_enable_cap`.
    #[doc(alias = "kvm_enable_cap")]
    EnableCap {
        /// The capability.
        cap: u32,
        /// Flags, zero.
        flags: u32,
        /// Its arguments.
        args: [u64; 4],
        /// Padding.
        pad: [u64; 8],
    }
}

abi_struct! {
    /// `struct kvm_guest_debug` (s390).
    #[doc(alias = "kvm_guest_debug")]
    GuestDebug {
        /// `KVM_GUESTDBG_*`.
        control: u32,
        /// Padding.
        pad: u32,
        /// `kvm_guest_debug_arch`: `nr_hw_bp`, padding.
        nr_hw_bp: u32,
        /// Padding.
        arch_pad: u32,
        /// `kvm_guest_debug_arch.hw_bp`: the breakpoint array.
        hw_bp: u64,
    }
}

abi_struct! {
    /// `struct kvm_hw_breakpoint` (s390): one entry of
    /// [`GuestDebug::hw_bp`].
    #[doc(alias = "kvm_hw_breakpoint")]
    HwBreakpoint {
        /// The guest address.
        addr: u64,
        /// The guest absolute address a write watchpoint watches.
        phys_addr: u64,
        /// Its length in bytes.
        len: u64,
        /// `KVM_HW_BP` (1) or `KVM_HW_WP_WRITE` (2): the C field `type`.
        kind: u8,
        /// Reserved.
        reserved: [u8; 7],
    }
}

abi_struct! {
    /// `struct kvm_translation`.
    #[doc(alias = "kvm_translation")]
    Translation {
        /// In: the linear address.
        linear_address: u64,
        /// Out: the physical address.
        physical_address: u64,
        /// Out: valid, writeable, usermode flags.
        flags: [u8; 4],
        /// Padding.
        pad: [u8; 4],
    }
}

abi_struct! {
    /// `struct kvm_signal_mask` without its flexible `sigset` array.
    #[doc(alias = "kvm_signal_mask")]
    SignalMask {
        /// Bytes of `sigset` that follow (8 on Linux).
        len: u32,
    }
}

abi_struct! {
    /// `struct kvm_pre_fault_memory`.
    #[doc(alias = "kvm_pre_fault_memory")]
    PreFaultMemory {
        /// The first guest address.
        gpa: u64,
        /// Bytes from `gpa`.
        size: u64,
        /// Flags, zero.
        flags: u64,
        /// Padding.
        padding: [u64; 5],
    }
}

abi_struct! {
    /// `struct kvm_create_device`.
    #[doc(alias = "kvm_create_device")]
    CreateDevice {
        /// `KVM_DEV_TYPE_*` (the FLIC on s390).
        type_: u32,
        /// Out: the device fd.
        fd: u32,
        /// `KVM_CREATE_DEVICE_TEST` or 0.
        flags: u32,
    }
}

abi_struct! {
    /// `struct kvm_irq_routing`: the header before the routing entries.
    #[doc(alias = "kvm_irq_routing")]
    IrqRouting {
        /// Number of entries.
        nr: u32,
        /// Flags, zero.
        flags: u32,
    }
}

abi_struct! {
    /// `struct kvm_irqfd`.
    #[doc(alias = "kvm_irqfd")]
    Irqfd {
        /// The eventfd.
        fd: u32,
        /// The routing entry.
        gsi: u32,
        /// `KVM_IRQFD_FLAG_*`.
        flags: u32,
        /// The resample eventfd.
        resamplefd: u32,
        /// Padding.
        pad: [u64; 2],
    }
}

abi_struct! {
    /// `struct kvm_ioeventfd`.
    #[doc(alias = "kvm_ioeventfd")]
    Ioeventfd {
        /// The value to match.
        datamatch: u64,
        /// The I/O address.
        addr: u64,
        /// Access length.
        len: u32,
        /// The eventfd.
        fd: i32,
        /// `KVM_IOEVENTFD_FLAG_*`.
        flags: u32,
        /// Padding (36 bytes).
        pad: [u32; 9],
    }
}

abi_struct! {
    /// `struct kvm_s390_skeys`.
    #[doc(alias = "kvm_s390_skeys")]
    S390Skeys {
        /// The first guest frame.
        start_gfn: u64,
        /// Frames.
        count: u64,
        /// The caller's key buffer.
        skeydata_addr: u64,
        /// Flags, zero.
        flags: u32,
        /// Reserved.
        reserved: [u32; 9],
    }
}

abi_struct! {
    /// `struct kvm_s390_cmma_log`.
    #[doc(alias = "kvm_s390_cmma_log")]
    S390CmmaLog {
        /// The first guest frame.
        start_gfn: u64,
        /// Values.
        count: u32,
        /// `KVM_S390_CMMA_PEEK` or 0.
        flags: u32,
        /// `remaining` (get) or `mask` (set).
        remaining_or_mask: u64,
        /// The caller's value buffer.
        values: u64,
    }
}

/// `KVM_S390_CMMA_PEEK`: read the CMMA states of exactly the frames asked
/// for, in or out of migration mode.
pub const KVM_S390_CMMA_PEEK: u32 = 1 << 0;

abi_struct! {
    /// `struct kvm_pv_cmd`.
    #[doc(alias = "kvm_pv_cmd")]
    PvCmd {
        /// `KVM_PV_*`.
        cmd: u32,
        /// Ultravisor return code.
        rc: u16,
        /// Ultravisor return reason code.
        rrc: u16,
        /// The command's data.
        data: u64,
        /// Flags, zero.
        flags: u32,
        /// Reserved.
        reserved: [u32; 3],
    }
}

abi_struct! {
    /// `struct kvm_s390_zpci_op`.
    #[doc(alias = "kvm_s390_zpci_op")]
    S390ZpciOp {
        /// The function handle.
        fh: u32,
        /// `KVM_S390_ZPCIOP_*`.
        op: u8,
        /// Padding.
        pad: [u8; 3],
        /// The operation's union (64 bytes).
        u: [u64; 8],
    }
}

abi_struct! {
    /// `struct kvm_stats_header`: the start of a binary statistics fd.
    #[doc(alias = "kvm_stats_header")]
    StatsHeader {
        /// No flags are defined.
        flags: u32,
        /// The length of the id and of each statistic's name.
        name_size: u32,
        /// Statistics described.
        num_desc: u32,
        /// Where the id string is.
        id_offset: u32,
        /// Where the descriptors are.
        desc_offset: u32,
        /// Where the values are.
        data_offset: u32,
    }
}

/// `KVM_STATS_NAME_SIZE`: the length of a statistics id and of each name
/// (a kernel-internal constant, `include/linux/kvm_host.h`; the header's
/// `name_size` field carries it to userspace).
pub const KVM_STATS_NAME_SIZE: u32 = 48;

const _: () = {
    assert!(size_of::<StatsHeader>() == 24 && offset_of!(StatsHeader, data_offset) == 20);
    assert!(size_of::<Regs>() == 128);
    assert!(size_of::<Sregs>() == 192 && offset_of!(Sregs, crs) == 64);
    assert!(size_of::<Fpu>() == 136 && offset_of!(Fpu, fprs) == 8);
    assert!(size_of::<OneReg>() == 16 && offset_of!(OneReg, addr) == 8);
    assert!(size_of::<MpState>() == 4);
    assert!(size_of::<S390Psw>() == 16);
    assert!(size_of::<S390Interrupt>() == 16 && offset_of!(S390Interrupt, parm64) == 8);
    assert!(size_of::<S390Irq>() == 72 && offset_of!(S390Irq, u) == 8);
    assert!(size_of::<S390IrqState>() == 32 && offset_of!(S390IrqState, len) == 12);
    assert!(size_of::<S390MemOp>() == 64 && offset_of!(S390MemOp, buf) == 24);
    assert!(size_of::<S390Keyop>() == 16 && offset_of!(S390Keyop, operation) == 9);
    assert!(size_of::<EnableCap>() == 104 && offset_of!(EnableCap, args) == 8);
    assert!(size_of::<GuestDebug>() == 24 && offset_of!(GuestDebug, hw_bp) == 16);
    assert!(size_of::<HwBreakpoint>() == 32 && offset_of!(HwBreakpoint, kind) == 24);
    assert!(size_of::<CreateDevice>() == 12 && offset_of!(CreateDevice, flags) == 8);
    assert!(size_of::<IrqRouting>() == 8);
    assert!(size_of::<Irqfd>() == 32 && offset_of!(Irqfd, resamplefd) == 12);
    assert!(size_of::<Ioeventfd>() == 64 && offset_of!(Ioeventfd, flags) == 24);
    assert!(size_of::<S390Skeys>() == 64 && offset_of!(S390Skeys, flags) == 24);
    assert!(size_of::<S390CmmaLog>() == 32 && offset_of!(S390CmmaLog, values) == 24);
    assert!(size_of::<PvCmd>() == 32 && offset_of!(PvCmd, data) == 8);
    assert!(size_of::<S390ZpciOp>() == 72 && offset_of!(S390ZpciOp, u) == 8);
};

/// `KVM_S390_VM_CPU_MODEL`: the VM attribute group of the CPU model.
pub const KVM_S390_VM_CPU_MODEL: u32 = 3;
/// In [`KVM_S390_VM_CPU_MODEL`]: the guest CPU ([`CpuProcessor`]).
pub const KVM_S390_VM_CPU_PROCESSOR: u64 = 0;
/// The host machine ([`CpuMachine`], read-only).
pub const KVM_S390_VM_CPU_MACHINE: u64 = 1;
/// The guest's CPU features ([`CpuFeat`]).
pub const KVM_S390_VM_CPU_PROCESSOR_FEAT: u64 = 2;
/// The host's CPU features ([`CpuFeat`], read-only).
pub const KVM_S390_VM_CPU_MACHINE_FEAT: u64 = 3;
/// The guest's instruction subfunctions ([`CpuSubfunc`]).
pub const KVM_S390_VM_CPU_PROCESSOR_SUBFUNC: u64 = 4;
/// The host's instruction subfunctions ([`CpuSubfunc`], read-only).
pub const KVM_S390_VM_CPU_MACHINE_SUBFUNC: u64 = 5;
/// The guest's Ultravisor features (a u64).
pub const KVM_S390_VM_CPU_PROCESSOR_UV_FEAT_GUEST: u64 = 6;
/// The host's Ultravisor features (a u64, read-only).
pub const KVM_S390_VM_CPU_MACHINE_UV_FEAT_GUEST: u64 = 7;
/// Interrupt type: SIGP stop (vcpu).
pub const KVM_S390_SIGP_STOP: u32 = 0xfffe_0000;
/// Interrupt type: program interruption (vcpu).
pub const KVM_S390_PROGRAM_INT: u32 = 0xfffe_0001;
/// Interrupt type: SIGP set prefix (vcpu).
pub const KVM_S390_SIGP_SET_PREFIX: u32 = 0xfffe_0002;
/// Interrupt type: restart (vcpu).
pub const KVM_S390_RESTART: u32 = 0xfffe_0003;
/// Interrupt type: pfault init (vcpu).
pub const KVM_S390_INT_PFAULT_INIT: u32 = 0xfffe_0004;
/// Interrupt type: pfault done (VM).
pub const KVM_S390_INT_PFAULT_DONE: u32 = 0xfffe_0005;
/// Interrupt type: machine check (vcpu or VM).
pub const KVM_S390_MCHK: u32 = 0xfffe_1000;
/// Interrupt type: clock comparator (vcpu).
pub const KVM_S390_INT_CLOCK_COMP: u32 = 0xffff_1004;
/// Interrupt type: CPU timer (vcpu).
pub const KVM_S390_INT_CPU_TIMER: u32 = 0xffff_1005;
/// Interrupt type: virtio (VM).
pub const KVM_S390_INT_VIRTIO: u32 = 0xffff_2603;
/// Interrupt type: service signal (VM).
pub const KVM_S390_INT_SERVICE: u32 = 0xffff_2401;
/// Interrupt type: emergency signal (vcpu).
pub const KVM_S390_INT_EMERGENCY: u32 = 0xffff_1201;
/// Interrupt type: external call (vcpu).
pub const KVM_S390_INT_EXTERNAL_CALL: u32 = 0xffff_1202;
/// The highest I/O interrupt type (VM); every type up to it is I/O.
pub const KVM_S390_INT_IO_MAX: u32 = 0xfffd_ffff;
/// SIGP stop flag: store status on stopping.
pub const KVM_S390_STOP_FLAG_STORE_STATUS: u32 = 0x01;

/// In [`KVM_S390_VM_TOD`]: bits 0–63 of the guest TOD clock (u64).
pub const KVM_S390_VM_TOD_LOW: u64 = 0;
/// In [`KVM_S390_VM_TOD`]: the TOD clock's high byte (u8, always 0).
pub const KVM_S390_VM_TOD_HIGH: u64 = 1;
/// In [`KVM_S390_VM_TOD`]: epoch index and clock ([`TodClock`]).
pub const KVM_S390_VM_TOD_EXT: u64 = 2;
/// In [`KVM_S390_VM_CRYPTO`]: enable AES key wrapping.
pub const KVM_S390_VM_CRYPTO_ENABLE_AES_KW: u64 = 0;
/// In [`KVM_S390_VM_CRYPTO`]: enable DEA key wrapping.
pub const KVM_S390_VM_CRYPTO_ENABLE_DEA_KW: u64 = 1;
/// In [`KVM_S390_VM_CRYPTO`]: disable AES key wrapping.
pub const KVM_S390_VM_CRYPTO_DISABLE_AES_KW: u64 = 2;
/// In [`KVM_S390_VM_CRYPTO`]: disable DEA key wrapping.
pub const KVM_S390_VM_CRYPTO_DISABLE_DEA_KW: u64 = 3;
/// In [`KVM_S390_VM_CRYPTO`]: let the guest run AP instructions.
pub const KVM_S390_VM_CRYPTO_ENABLE_APIE: u64 = 4;
/// In [`KVM_S390_VM_CRYPTO`]: intercept AP instructions.
pub const KVM_S390_VM_CRYPTO_DISABLE_APIE: u64 = 5;
/// In [`KVM_S390_VM_MIGRATION`]: leave migration mode.
pub const KVM_S390_VM_MIGRATION_STOP: u64 = 0;
/// In [`KVM_S390_VM_MIGRATION`]: enter migration mode.
pub const KVM_S390_VM_MIGRATION_START: u64 = 1;
/// In [`KVM_S390_VM_MIGRATION`]: whether in migration mode (u64).
pub const KVM_S390_VM_MIGRATION_STATUS: u64 = 2;

abi_struct! {
    /// `struct kvm_s390_vm_tod_clock`: the extended TOD clock.
    #[doc(alias = "kvm_s390_vm_tod_clock")]
    TodClock {
        /// The epoch index (multiple-epoch facility, 139).
        epoch_idx: u8,
        /// Padding.
        pad: [u8; 7],
        /// Bits 0–63 of the clock.
        tod: u64,
    }
}

const _: () = assert!(size_of::<TodClock>() == 16 && offset_of!(TodClock, tod) == 8);

/// `KVM_S390_VM_TOD`: the VM attribute group of the TOD clock.
pub const KVM_S390_VM_TOD: u32 = 1;
/// `KVM_S390_VM_CRYPTO`: the VM attribute group of crypto controls.
pub const KVM_S390_VM_CRYPTO: u32 = 2;
/// `KVM_S390_VM_MIGRATION`: the VM attribute group of migration mode.
pub const KVM_S390_VM_MIGRATION: u32 = 4;
/// `KVM_S390_VM_CPU_TOPOLOGY`: the VM attribute of the topology bit.
pub const KVM_S390_VM_CPU_TOPOLOGY: u32 = 5;

/// `struct kvm_s390_vm_cpu_processor`: the guest CPU of a VM.
#[doc(alias = "kvm_s390_vm_cpu_processor")]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuProcessor {
    /// The CPU id the guest sees (STIDP).
    pub cpuid: u64,
    /// The instruction blocking control.
    pub ibc: u16,
    /// Padding.
    pub pad: [u8; 6],
    /// The facility list the guest sees (STFLE), 2 KiB.
    pub fac_list: [u64; 256],
}

/// `struct kvm_s390_vm_cpu_machine`: the host machine.
#[doc(alias = "kvm_s390_vm_cpu_machine")]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuMachine {
    /// The host CPU id.
    pub cpuid: u64,
    /// The host's IBC range.
    pub ibc: u32,
    /// Padding.
    pub pad: [u8; 4],
    /// The facilities KVM can offer a guest.
    pub fac_mask: [u64; 256],
    /// The host's facility list.
    pub fac_list: [u64; 256],
}

/// `struct kvm_s390_vm_cpu_feat`: a CPU feature bitmap (1024 bits).
#[doc(alias = "kvm_s390_vm_cpu_feat")]
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuFeat {
    /// The bits, most significant first in each word.
    pub feat: [u64; 16],
}

/// `struct kvm_s390_vm_cpu_subfunc`: the instruction subfunction masks
/// (PLO, PTFF, the MSA functions, SORTL, DFLTCC), 2 KiB.
#[doc(alias = "kvm_s390_vm_cpu_subfunc")]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuSubfunc {
    /// The masks, as the struct lays them out.
    pub bytes: [u8; 2048],
}

const _: () = {
    assert!(size_of::<CpuProcessor>() == 2064);
    assert!(offset_of!(CpuProcessor, ibc) == 8 && offset_of!(CpuProcessor, fac_list) == 16);
    assert!(size_of::<CpuMachine>() == 4112);
    assert!(offset_of!(CpuMachine, fac_mask) == 16 && offset_of!(CpuMachine, fac_list) == 2064);
    assert!(size_of::<CpuFeat>() == 128);
    assert!(size_of::<CpuSubfunc>() == 2048);
};

/// `KVM_DEV_TYPE_FLIC`: the s390 floating interrupt controller device.
pub const KVM_DEV_TYPE_FLIC: u32 = 6;
/// `KVM_CREATE_DEVICE_TEST`: only ask whether the device could be made.
pub const KVM_CREATE_DEVICE_TEST: u32 = 1;
/// FLIC attribute group: read all pending floating interrupts.
pub const KVM_DEV_FLIC_GET_ALL_IRQS: u32 = 1;
/// FLIC attribute group: enqueue floating interrupts.
pub const KVM_DEV_FLIC_ENQUEUE: u32 = 2;
/// FLIC attribute group: clear all floating interrupts.
pub const KVM_DEV_FLIC_CLEAR_IRQS: u32 = 3;
/// FLIC attribute group: enable async page faults.
pub const KVM_DEV_FLIC_APF_ENABLE: u32 = 4;
/// FLIC attribute group: disable async page faults and wait.
pub const KVM_DEV_FLIC_APF_DISABLE_WAIT: u32 = 5;
/// FLIC attribute group: register an I/O adapter ([`IoAdapter`]).
pub const KVM_DEV_FLIC_ADAPTER_REGISTER: u32 = 6;
/// FLIC attribute group: modify an I/O adapter ([`IoAdapterReq`]).
pub const KVM_DEV_FLIC_ADAPTER_MODIFY: u32 = 7;
/// FLIC attribute group: clear the I/O interrupts of a subchannel.
pub const KVM_DEV_FLIC_CLEAR_IO_IRQ: u32 = 8;
/// FLIC attribute group: the adapter-interruption suppression mode of an ISC.
pub const KVM_DEV_FLIC_AISM: u32 = 9;
/// FLIC attribute group: inject an adapter interrupt.
pub const KVM_DEV_FLIC_AIRQ_INJECT: u32 = 10;
/// FLIC attribute group: all AIS modes.
pub const KVM_DEV_FLIC_AISM_ALL: u32 = 11;
/// [`IoAdapterReq::type_`]: set the adapter's mask.
pub const KVM_S390_IO_ADAPTER_MASK: u8 = 1;
/// [`IoAdapterReq::type_`]: map an indicator page (a no-op).
pub const KVM_S390_IO_ADAPTER_MAP: u8 = 2;
/// [`IoAdapterReq::type_`]: unmap it (a no-op).
pub const KVM_S390_IO_ADAPTER_UNMAP: u8 = 3;
/// The largest `KVM_DEV_FLIC_GET_ALL_IRQS` buffer.
pub const KVM_S390_FLIC_MAX_BUFFER: u64 = 0x0200_0000;
/// A routing entry of type s390 adapter.
pub const KVM_IRQ_ROUTING_S390_ADAPTER: u32 = 3;
/// `KVM_MAX_IRQ_ROUTES`: the most entries `KVM_SET_GSI_ROUTING` takes
/// (kernel-internal, `include/linux/kvm_host.h`).
pub const KVM_MAX_IRQ_ROUTES: u32 = 4096;
/// The most I/O adapters a FLIC registers: 8 per ISC (kernel-internal,
/// `MAX_S390_IO_ADAPTERS` in `arch/s390/include/asm/kvm_host.h`).
pub const MAX_S390_IO_ADAPTERS: u32 = 64;

abi_struct! {
    /// `struct kvm_s390_io_adapter`.
    #[doc(alias = "kvm_s390_io_adapter")]
    IoAdapter {
        /// The adapter id.
        id: u32,
        /// Its interruption subclass.
        isc: u8,
        /// Whether it can be masked.
        maskable: u8,
        /// Whether its indicators are byte-swapped.
        swap: u8,
        /// `KVM_S390_ADAPTER_SUPPRESSIBLE` or 0.
        flags: u8,
    }
}

abi_struct! {
    /// `struct kvm_s390_io_adapter_req`.
    #[doc(alias = "kvm_s390_io_adapter_req")]
    IoAdapterReq {
        /// The adapter id.
        id: u32,
        /// `KVM_S390_IO_ADAPTER_*`.
        type_: u8,
        /// The new mask (for MASK).
        mask: u8,
        /// Padding.
        pad: u16,
        /// The indicator address (for MAP/UNMAP).
        addr: u64,
    }
}

abi_struct! {
    /// `struct kvm_irq_routing_entry`: one entry of `KVM_SET_GSI_ROUTING`.
    #[doc(alias = "kvm_irq_routing_entry")]
    IrqRoutingEntry {
        /// The routed interrupt.
        gsi: u32,
        /// `KVM_IRQ_ROUTING_*`.
        type_: u32,
        /// Flags.
        flags: u32,
        /// Padding.
        pad: u32,
        /// The type's union (32 bytes).
        u: [u64; 4],
    }
}

const _: () = {
    assert!(size_of::<IoAdapter>() == 8 && offset_of!(IoAdapter, flags) == 7);
    assert!(size_of::<IoAdapterReq>() == 16 && offset_of!(IoAdapterReq, addr) == 8);
    assert!(size_of::<IrqRoutingEntry>() == 48 && offset_of!(IrqRoutingEntry, u) == 16);
};
