//! Checks `ucas_core::abi` against the kernel's own C headers.
//!
//! Each test generates a small C program from a list of [`Item`]s. The program
//! prints one `NAME VALUE` line per item, computed by the C compiler from
//! `<linux/kvm.h>`. We then compare every value with the one core holds, and
//! report all mismatches in a single failure.
//!
//! * [`host_header_matches_abi`] builds with the host `gcc`. It defines
//!   `__KVM_S390` before including `<linux/kvm.h>`, which makes the header lay
//!   out `kvm_run` the s390 way. The sync-regs union still holds the *host's*
//!   `struct kvm_sync_regs`, though, so that run only compares what is the
//!   same on every architecture.
//! * [`s390x_header_matches_abi`] builds the same kind of program with
//!   `s390x-linux-gnu-gcc -static` against the real s390 uapi headers and runs
//!   it under `qemu-s390x-static`. It adds the total size of `kvm_run`, the
//!   sync-regs layout and the `KVM_SYNC_*` bits.
//!
//! Some values are not compared here: `KVM_S390_NO_MEM_LIMIT` (the uapi
//! header spells it `U64_MAX`, a macro only the kernel defines),
//! `PGM_SEGMENT_TRANSLATION` and the SIE
//! control block (`SieBlock`, `SIE_*`) belong to the kernel's private headers,
//! and no uapi header declares them. Core checks them at compile time only
//! (the `const _` blocks in `core/src/abi.rs`).
#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::mem::{align_of, offset_of, size_of, size_of_val};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::{env, fs};

use ucas_core::abi::{
    self, ClearDirtyLog, DeviceAttr, DirtyLog, Ioctl, KvmRun, SieicExit, SyncRegs, UcasMapping,
    UcontrolExit, UserspaceMemoryRegion, UserspaceMemoryRegion2,
};

// ---------------------------------------------------------------------------
// What is compared
// ---------------------------------------------------------------------------

/// One number that the C header and `ucas_core::abi` must agree on.
struct Item {
    /// The label the C program prints and failure messages use (no spaces).
    name: String,
    /// The C expression that computes the header's value.
    c_expr: String,
    /// Our value.
    ours: i128,
    /// A macro the header must define for the item to exist (newer than
    /// some supported headers); without it the C program says `absent`.
    guard: Option<&'static str>,
}

/// Widens any of our integer types. Every ABI number fits in an `i128`, so
/// this never panics in practice.
fn wide<T: TryInto<i128>>(v: T) -> i128 {
    match v.try_into() {
        Ok(n) => n,
        Err(_) => panic!("an ABI value does not fit in i128"),
    }
}

fn item(name: impl Into<String>, c_expr: impl Into<String>, ours: impl TryInto<i128>) -> Item {
    Item {
        name: name.into(),
        c_expr: c_expr.into(),
        ours: wide(ours),
        guard: None,
    }
}

/// `it`, compared only where the header defines `guard`.
fn guarded(guard: &'static str, it: Item) -> Item {
    Item {
        guard: Some(guard),
        ..it
    }
}

/// A macro constant that has the same name in C and in `abi`.
fn constant(name: &str, ours: impl TryInto<i128>) -> Item {
    item(name, name, ours)
}

/// `offsetof(struct ty, member)`; `member` may be a nested designator.
fn offset(ty: &str, member: &str, ours: usize) -> Item {
    item(
        format!("offsetof({ty}.{member})"),
        format!("offsetof(struct {ty}, {member})"),
        ours,
    )
}

/// The size of one member of `struct ty`.
fn member_size(ty: &str, member: &str, ours: usize) -> Item {
    item(
        format!("sizeof({ty}.{member})"),
        format!("sizeof(((struct {ty} *)0)->{member})"),
        ours,
    )
}

fn struct_size(ty: &str, ours: usize) -> Item {
    item(
        format!("sizeof({ty})"),
        format!("sizeof(struct {ty})"),
        ours,
    )
}

fn struct_align(ty: &str, ours: usize) -> Item {
    item(
        format!("alignof({ty})"),
        format!("_Alignof(struct {ty})"),
        ours,
    )
}

/// Items whose C value is the same whichever architecture's header provides
/// `struct kvm_sync_regs`.
fn common_items() -> Vec<Item> {
    let mut items = core_items();
    // Every ioctl of the shared list, by its C name: a new member without
    // a matching header number fails here.
    for ioctl in Ioctl::ALL.into_iter().filter(|i| !ARCH_IOCTLS.contains(i)) {
        let it = item(format!("Ioctl::{ioctl:?}"), ioctl.name(), ioctl.number());
        items.push(match ioctl {
            // Newer than Debian 12's 6.1 headers.
            Ioctl::SetUserMemoryRegion2 | Ioctl::S390Keyop | Ioctl::PreFaultMemory => {
                guarded(ioctl.name(), it)
            }
            _ => it,
        });
    }
    items.extend([
        constant("KVM_DEV_TYPE_FLIC", abi::KVM_DEV_TYPE_FLIC),
        constant("KVM_S390_SIGP_STOP", abi::KVM_S390_SIGP_STOP),
        constant("KVM_S390_PROGRAM_INT", abi::KVM_S390_PROGRAM_INT),
        constant("KVM_S390_SIGP_SET_PREFIX", abi::KVM_S390_SIGP_SET_PREFIX),
        constant("KVM_S390_RESTART", abi::KVM_S390_RESTART),
        constant("KVM_S390_INT_PFAULT_INIT", abi::KVM_S390_INT_PFAULT_INIT),
        constant("KVM_S390_INT_PFAULT_DONE", abi::KVM_S390_INT_PFAULT_DONE),
        constant("KVM_S390_MCHK", abi::KVM_S390_MCHK),
        constant("KVM_S390_INT_CLOCK_COMP", abi::KVM_S390_INT_CLOCK_COMP),
        constant("KVM_S390_INT_CPU_TIMER", abi::KVM_S390_INT_CPU_TIMER),
        constant("KVM_S390_INT_VIRTIO", abi::KVM_S390_INT_VIRTIO),
        constant("KVM_S390_INT_SERVICE", abi::KVM_S390_INT_SERVICE),
        constant("KVM_S390_INT_EMERGENCY", abi::KVM_S390_INT_EMERGENCY),
        constant(
            "KVM_S390_INT_EXTERNAL_CALL",
            abi::KVM_S390_INT_EXTERNAL_CALL,
        ),
        constant("KVM_S390_INT_IO_MAX", abi::KVM_S390_INT_IO_MAX),
        constant(
            "KVM_S390_STOP_FLAG_STORE_STATUS",
            abi::KVM_S390_STOP_FLAG_STORE_STATUS,
        ),
        constant("KVM_CREATE_DEVICE_TEST", abi::KVM_CREATE_DEVICE_TEST),
        constant("KVM_S390_GET_SKEYS_NONE", abi::KVM_S390_GET_SKEYS_NONE),
        constant("KVM_S390_SKEYS_MAX", abi::KVM_S390_SKEYS_MAX),
        guarded(
            "KVM_S390_KEYOP_SSKE",
            constant("KVM_S390_KEYOP_SSKE", abi::KVM_S390_KEYOP_SSKE),
        ),
        guarded(
            "KVM_S390_KEYOP_ISKE",
            constant("KVM_S390_KEYOP_ISKE", abi::KVM_S390_KEYOP_ISKE),
        ),
        guarded(
            "KVM_S390_KEYOP_RRBE",
            constant("KVM_S390_KEYOP_RRBE", abi::KVM_S390_KEYOP_RRBE),
        ),
        constant(
            "KVM_S390_MEMOP_LOGICAL_READ",
            abi::KVM_S390_MEMOP_LOGICAL_READ,
        ),
        constant(
            "KVM_S390_MEMOP_LOGICAL_WRITE",
            abi::KVM_S390_MEMOP_LOGICAL_WRITE,
        ),
        constant("KVM_S390_MEMOP_SIDA_READ", abi::KVM_S390_MEMOP_SIDA_READ),
        constant("KVM_S390_MEMOP_SIDA_WRITE", abi::KVM_S390_MEMOP_SIDA_WRITE),
        constant(
            "KVM_S390_MEMOP_ABSOLUTE_READ",
            abi::KVM_S390_MEMOP_ABSOLUTE_READ,
        ),
        constant(
            "KVM_S390_MEMOP_ABSOLUTE_WRITE",
            abi::KVM_S390_MEMOP_ABSOLUTE_WRITE,
        ),
        guarded(
            "KVM_S390_MEMOP_ABSOLUTE_CMPXCHG",
            constant(
                "KVM_S390_MEMOP_ABSOLUTE_CMPXCHG",
                abi::KVM_S390_MEMOP_ABSOLUTE_CMPXCHG,
            ),
        ),
        constant(
            "KVM_S390_MEMOP_F_CHECK_ONLY",
            abi::KVM_S390_MEMOP_F_CHECK_ONLY,
        ),
        constant(
            "KVM_S390_MEMOP_F_INJECT_EXCEPTION",
            abi::KVM_S390_MEMOP_F_INJECT_EXCEPTION,
        ),
        constant(
            "KVM_S390_MEMOP_F_SKEY_PROTECTION",
            abi::KVM_S390_MEMOP_F_SKEY_PROTECTION,
        ),
        constant(
            "KVM_IRQ_ROUTING_S390_ADAPTER",
            abi::KVM_IRQ_ROUTING_S390_ADAPTER,
        ),
        struct_size("kvm_irq_routing_entry", size_of::<abi::IrqRoutingEntry>()),
        offset(
            "kvm_irq_routing_entry",
            "u",
            offset_of!(abi::IrqRoutingEntry, u),
        ),
        struct_size("kvm_one_reg", size_of::<abi::OneReg>()),
        struct_size("kvm_stats_header", size_of::<abi::StatsHeader>()),
        offset(
            "kvm_stats_header",
            "data_offset",
            offset_of!(abi::StatsHeader, data_offset),
        ),
        struct_size("kvm_mp_state", size_of::<abi::MpState>()),
        struct_size("kvm_s390_psw", size_of::<abi::S390Psw>()),
        struct_size("kvm_s390_interrupt", size_of::<abi::S390Interrupt>()),
        offset(
            "kvm_s390_interrupt",
            "parm64",
            offset_of!(abi::S390Interrupt, parm64),
        ),
        struct_size("kvm_s390_irq", size_of::<abi::S390Irq>()),
        offset("kvm_s390_irq", "u", offset_of!(abi::S390Irq, u)),
        struct_size("kvm_s390_irq_state", size_of::<abi::S390IrqState>()),
        offset(
            "kvm_s390_irq_state",
            "len",
            offset_of!(abi::S390IrqState, len),
        ),
        struct_size("kvm_s390_mem_op", size_of::<abi::S390MemOp>()),
        offset(
            "kvm_s390_mem_op",
            "flags",
            offset_of!(abi::S390MemOp, flags),
        ),
        offset("kvm_s390_mem_op", "size", offset_of!(abi::S390MemOp, size)),
        offset("kvm_s390_mem_op", "op", offset_of!(abi::S390MemOp, op)),
        offset("kvm_s390_mem_op", "buf", offset_of!(abi::S390MemOp, buf)),
        offset("kvm_s390_mem_op", "ar", offset_of!(abi::S390MemOp, u)),
        struct_size("kvm_enable_cap", size_of::<abi::EnableCap>()),
        offset("kvm_enable_cap", "args", offset_of!(abi::EnableCap, args)),
        struct_size("kvm_create_device", size_of::<abi::CreateDevice>()),
        offset(
            "kvm_create_device",
            "flags",
            offset_of!(abi::CreateDevice, flags),
        ),
        struct_size("kvm_irq_routing", size_of::<abi::IrqRouting>()),
        struct_size("kvm_irqfd", size_of::<abi::Irqfd>()),
        offset(
            "kvm_irqfd",
            "resamplefd",
            offset_of!(abi::Irqfd, resamplefd),
        ),
        struct_size("kvm_ioeventfd", size_of::<abi::Ioeventfd>()),
        offset("kvm_ioeventfd", "fd", offset_of!(abi::Ioeventfd, fd)),
        offset("kvm_ioeventfd", "flags", offset_of!(abi::Ioeventfd, flags)),
        struct_size("kvm_s390_skeys", size_of::<abi::S390Skeys>()),
        offset("kvm_s390_skeys", "flags", offset_of!(abi::S390Skeys, flags)),
        struct_size("kvm_s390_cmma_log", size_of::<abi::S390CmmaLog>()),
        offset(
            "kvm_s390_cmma_log",
            "values",
            offset_of!(abi::S390CmmaLog, values),
        ),
        struct_size("kvm_pv_cmd", size_of::<abi::PvCmd>()),
        offset("kvm_pv_cmd", "data", offset_of!(abi::PvCmd, data)),
        offset("kvm_pv_cmd", "flags", offset_of!(abi::PvCmd, flags)),
        guarded(
            "KVM_PRE_FAULT_MEMORY",
            struct_size("kvm_pre_fault_memory", size_of::<abi::PreFaultMemory>()),
        ),
        struct_size("kvm_s390_zpci_op", size_of::<abi::S390ZpciOp>()),
        offset("kvm_s390_zpci_op", "u", offset_of!(abi::S390ZpciOp, u)),
    ]);
    // Every capability of the list. Those newer than some supported headers
    // (Debian 12's are 6.1) are compared where the header has them.
    const NEWER_THAN_6_1: [&str; 7] = [
        "KVM_CAP_S390_PROTECTED_ASYNC_DISABLE",
        "KVM_CAP_USER_MEMORY2",
        "KVM_CAP_S390_USER_OPEREXEC",
        "KVM_CAP_S390_KEYOP",
        "KVM_CAP_S390_VSIE_ESAMODE",
        "KVM_CAP_PRE_FAULT_MEMORY",
        "KVM_CAP_S390_HPAGE_2G",
    ];
    for (name, cap) in abi::CAPABILITIES {
        let it = constant(name, cap);
        items.push(match NEWER_THAN_6_1.iter().find(|n| **n == name) {
            Some(guard) => guarded(guard, it),
            None => it,
        });
    }
    items
}

fn core_items() -> Vec<Item> {
    let run = KvmRun::default();
    let ucontrol = UcontrolExit::default();
    let sieic = SieicExit::default();
    let map = UcasMapping::default();
    vec![
        // ioctl numbers and the numbers passed with them
        constant("KVMIO", abi::KVMIO),
        constant("KVM_API_VERSION", abi::KVM_API_VERSION),
        constant("KVM_GET_API_VERSION", abi::KVM_GET_API_VERSION),
        constant("KVM_CREATE_VM", abi::KVM_CREATE_VM),
        constant("KVM_CHECK_EXTENSION", abi::KVM_CHECK_EXTENSION),
        constant("KVM_GET_VCPU_MMAP_SIZE", abi::KVM_GET_VCPU_MMAP_SIZE),
        constant("KVM_CREATE_VCPU", abi::KVM_CREATE_VCPU),
        constant("KVM_RUN", abi::KVM_RUN),
        constant("KVM_S390_UCAS_MAP", abi::KVM_S390_UCAS_MAP),
        constant("KVM_S390_UCAS_UNMAP", abi::KVM_S390_UCAS_UNMAP),
        constant("KVM_S390_VCPU_FAULT", abi::KVM_S390_VCPU_FAULT),
        constant("KVM_GET_DIRTY_LOG", abi::KVM_GET_DIRTY_LOG),
        constant("KVM_CLEAR_DIRTY_LOG", abi::KVM_CLEAR_DIRTY_LOG),
        constant(
            "KVM_SET_USER_MEMORY_REGION",
            abi::KVM_SET_USER_MEMORY_REGION,
        ),
        guarded(
            "KVM_SET_USER_MEMORY_REGION2",
            constant(
                "KVM_SET_USER_MEMORY_REGION2",
                abi::KVM_SET_USER_MEMORY_REGION2,
            ),
        ),
        constant("KVM_SET_DEVICE_ATTR", abi::KVM_SET_DEVICE_ATTR),
        constant("KVM_GET_DEVICE_ATTR", abi::KVM_GET_DEVICE_ATTR),
        constant("KVM_HAS_DEVICE_ATTR", abi::KVM_HAS_DEVICE_ATTR),
        constant("KVM_MEM_LOG_DIRTY_PAGES", abi::KVM_MEM_LOG_DIRTY_PAGES),
        constant("KVM_IRQFD_FLAG_DEASSIGN", abi::KVM_IRQFD_FLAG_DEASSIGN),
        constant("KVM_IRQFD_FLAG_RESAMPLE", abi::KVM_IRQFD_FLAG_RESAMPLE),
        constant(
            "KVM_IOEVENTFD_FLAG_DATAMATCH",
            abi::KVM_IOEVENTFD_FLAG_DATAMATCH,
        ),
        constant("KVM_IOEVENTFD_FLAG_PIO", abi::KVM_IOEVENTFD_FLAG_PIO),
        constant(
            "KVM_IOEVENTFD_FLAG_DEASSIGN",
            abi::KVM_IOEVENTFD_FLAG_DEASSIGN,
        ),
        constant(
            "KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY",
            abi::KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY,
        ),
        constant("KVM_MEM_READONLY", abi::KVM_MEM_READONLY),
        constant("KVM_MP_STATE_STOPPED", abi::KVM_MP_STATE_STOPPED),
        constant("KVM_MP_STATE_OPERATING", abi::KVM_MP_STATE_OPERATING),
        constant("KVM_MP_STATE_LOAD", abi::KVM_MP_STATE_LOAD),
        constant("KVM_VM_S390_UCONTROL", abi::KVM_VM_S390_UCONTROL),
        constant("KVM_EXIT_S390_SIEIC", abi::KVM_EXIT_S390_SIEIC),
        constant("KVM_EXIT_INTR", abi::KVM_EXIT_INTR),
        constant("KVM_EXIT_S390_UCONTROL", abi::KVM_EXIT_S390_UCONTROL),
        constant("KVM_S390_SIE_PAGE_OFFSET", abi::KVM_S390_SIE_PAGE_OFFSET),
        // struct kvm_s390_ucas_mapping
        struct_size("kvm_s390_ucas_mapping", size_of::<UcasMapping>()),
        struct_align("kvm_s390_ucas_mapping", align_of::<UcasMapping>()),
        offset(
            "kvm_s390_ucas_mapping",
            "user_addr",
            offset_of!(UcasMapping, user_addr),
        ),
        offset(
            "kvm_s390_ucas_mapping",
            "vcpu_addr",
            offset_of!(UcasMapping, vcpu_addr),
        ),
        offset(
            "kvm_s390_ucas_mapping",
            "length",
            offset_of!(UcasMapping, length),
        ),
        member_size(
            "kvm_s390_ucas_mapping",
            "user_addr",
            size_of_val(&map.user_addr),
        ),
        member_size(
            "kvm_s390_ucas_mapping",
            "vcpu_addr",
            size_of_val(&map.vcpu_addr),
        ),
        member_size("kvm_s390_ucas_mapping", "length", size_of_val(&map.length)),
        // struct kvm_device_attr
        struct_size("kvm_device_attr", size_of::<DeviceAttr>()),
        struct_align("kvm_device_attr", align_of::<DeviceAttr>()),
        offset("kvm_device_attr", "flags", offset_of!(DeviceAttr, flags)),
        offset("kvm_device_attr", "group", offset_of!(DeviceAttr, group)),
        offset("kvm_device_attr", "attr", offset_of!(DeviceAttr, attr)),
        offset("kvm_device_attr", "addr", offset_of!(DeviceAttr, addr)),
        // memory slots and dirty logs
        struct_size(
            "kvm_userspace_memory_region",
            size_of::<UserspaceMemoryRegion>(),
        ),
        offset(
            "kvm_userspace_memory_region",
            "flags",
            offset_of!(UserspaceMemoryRegion, flags),
        ),
        offset(
            "kvm_userspace_memory_region",
            "guest_phys_addr",
            offset_of!(UserspaceMemoryRegion, guest_phys_addr),
        ),
        offset(
            "kvm_userspace_memory_region",
            "memory_size",
            offset_of!(UserspaceMemoryRegion, memory_size),
        ),
        offset(
            "kvm_userspace_memory_region",
            "userspace_addr",
            offset_of!(UserspaceMemoryRegion, userspace_addr),
        ),
        guarded(
            "KVM_SET_USER_MEMORY_REGION2",
            struct_size(
                "kvm_userspace_memory_region2",
                size_of::<UserspaceMemoryRegion2>(),
            ),
        ),
        guarded(
            "KVM_SET_USER_MEMORY_REGION2",
            offset(
                "kvm_userspace_memory_region2",
                "guest_memfd",
                offset_of!(UserspaceMemoryRegion2, guest_memfd),
            ),
        ),
        struct_size("kvm_dirty_log", size_of::<DirtyLog>()),
        offset(
            "kvm_dirty_log",
            "dirty_bitmap",
            offset_of!(DirtyLog, dirty_bitmap),
        ),
        struct_size("kvm_clear_dirty_log", size_of::<ClearDirtyLog>()),
        offset(
            "kvm_clear_dirty_log",
            "num_pages",
            offset_of!(ClearDirtyLog, num_pages),
        ),
        offset(
            "kvm_clear_dirty_log",
            "first_page",
            offset_of!(ClearDirtyLog, first_page),
        ),
        offset(
            "kvm_clear_dirty_log",
            "dirty_bitmap",
            offset_of!(ClearDirtyLog, dirty_bitmap),
        ),
        // struct kvm_run, fixed part
        offset(
            "kvm_run",
            "immediate_exit",
            offset_of!(KvmRun, immediate_exit),
        ),
        offset("kvm_run", "exit_reason", offset_of!(KvmRun, exit_reason)),
        offset("kvm_run", "psw_mask", offset_of!(KvmRun, psw_mask)),
        offset("kvm_run", "psw_addr", offset_of!(KvmRun, psw_addr)),
        member_size("kvm_run", "exit_reason", size_of_val(&run.exit_reason)),
        member_size("kvm_run", "psw_mask", size_of_val(&run.psw_mask)),
        member_size("kvm_run", "psw_addr", size_of_val(&run.psw_addr)),
        // The exit union: `padding` is the member that fixes its size.
        offset("kvm_run", "padding", offset_of!(KvmRun, exit)),
        member_size("kvm_run", "padding", size_of_val(&run.exit)),
        item(
            "EXIT_UNION_SIZE",
            "sizeof(((struct kvm_run *)0)->padding)",
            abi::EXIT_UNION_SIZE,
        ),
        offset(
            "kvm_run",
            "s390_ucontrol.trans_exc_code",
            abi::RUN_UCONTROL_TRANS_EXC_CODE,
        ),
        offset(
            "kvm_run",
            "s390_ucontrol.pgm_code",
            abi::RUN_UCONTROL_PGM_CODE,
        ),
        offset("kvm_run", "s390_sieic.icptcode", abi::RUN_SIEIC_ICPTCODE),
        offset("kvm_run", "s390_sieic.ipa", abi::RUN_SIEIC_IPA),
        offset("kvm_run", "s390_sieic.ipb", abi::RUN_SIEIC_IPB),
        member_size(
            "kvm_run",
            "s390_ucontrol.trans_exc_code",
            size_of_val(&ucontrol.trans_exc_code),
        ),
        member_size(
            "kvm_run",
            "s390_ucontrol.pgm_code",
            size_of_val(&ucontrol.pgm_code),
        ),
        member_size(
            "kvm_run",
            "s390_sieic.icptcode",
            size_of_val(&sieic.icptcode),
        ),
        member_size("kvm_run", "s390_sieic.ipa", size_of_val(&sieic.ipa)),
        member_size("kvm_run", "s390_sieic.ipb", size_of_val(&sieic.ipb)),
        // struct kvm_run, after the union
        offset(
            "kvm_run",
            "kvm_valid_regs",
            offset_of!(KvmRun, kvm_valid_regs),
        ),
        offset(
            "kvm_run",
            "kvm_dirty_regs",
            offset_of!(KvmRun, kvm_dirty_regs),
        ),
        member_size(
            "kvm_run",
            "kvm_valid_regs",
            size_of_val(&run.kvm_valid_regs),
        ),
        member_size(
            "kvm_run",
            "kvm_dirty_regs",
            size_of_val(&run.kvm_dirty_regs),
        ),
        // `s` is a union padded to SYNC_REGS_SIZE_BYTES on every architecture;
        // only what it holds differs.
        offset("kvm_run", "s", offset_of!(KvmRun, sync)),
        member_size("kvm_run", "s", size_of::<SyncRegs>()),
        item(
            "SYNC_REGS_SIZE_BYTES",
            "SYNC_REGS_SIZE_BYTES",
            abi::SYNC_REGS_SIZE,
        ),
    ]
}

/// The ioctls whose argument is an architecture's own struct (the register
/// sets, guest debugging): only the s390 header has their s390 numbers.
const ARCH_IOCTLS: [Ioctl; 7] = [
    Ioctl::GetRegs,
    Ioctl::SetRegs,
    Ioctl::GetSregs,
    Ioctl::SetSregs,
    Ioctl::GetFpu,
    Ioctl::SetFpu,
    Ioctl::SetGuestDebug,
];

/// Items only the real s390 header can answer: the whole `kvm_run`, the
/// s390 `struct kvm_sync_regs` inside it, the register sets.
fn s390_only_items() -> Vec<Item> {
    let sync = offset_of!(KvmRun, sync);
    let regs = SyncRegs::default();
    let mut items: Vec<Item> = ARCH_IOCTLS
        .iter()
        .map(|i| item(format!("Ioctl::{i:?}"), i.name(), i.number()))
        .collect();
    items.extend([
        item(
            "RUN_SYNC_PREFIX",
            "offsetof(struct kvm_run, s.regs.prefix)",
            abi::RUN_SYNC_PREFIX,
        ),
        item(
            "RUN_SYNC_ACRS",
            "offsetof(struct kvm_run, s.regs.acrs)",
            abi::RUN_SYNC_ACRS,
        ),
        item(
            "RUN_SYNC_CRS",
            "offsetof(struct kvm_run, s.regs.crs)",
            abi::RUN_SYNC_CRS,
        ),
        item(
            "RUN_SYNC_TODPR",
            "offsetof(struct kvm_run, s.regs.todpr)",
            abi::RUN_SYNC_TODPR,
        ),
        item(
            "RUN_SYNC_GBEA",
            "offsetof(struct kvm_run, s.regs.gbea)",
            abi::RUN_SYNC_GBEA,
        ),
        item(
            "RUN_SYNC_VRS",
            "offsetof(struct kvm_run, s.regs.vrs)",
            abi::RUN_SYNC_VRS,
        ),
        item(
            "RUN_SYNC_FPC",
            "offsetof(struct kvm_run, s.regs.fpc)",
            abi::RUN_SYNC_FPC,
        ),
        constant("KVM_REG_S390_TODPR", abi::KVM_REG_S390_TODPR),
        constant("KVM_REG_S390_EPOCHDIFF", abi::KVM_REG_S390_EPOCHDIFF),
        constant("KVM_REG_S390_CPU_TIMER", abi::KVM_REG_S390_CPU_TIMER),
        constant("KVM_REG_S390_CLOCK_COMP", abi::KVM_REG_S390_CLOCK_COMP),
        constant("KVM_REG_S390_PFTOKEN", abi::KVM_REG_S390_PFTOKEN),
        constant("KVM_REG_S390_PFCOMPARE", abi::KVM_REG_S390_PFCOMPARE),
        constant("KVM_REG_S390_PFSELECT", abi::KVM_REG_S390_PFSELECT),
        constant("KVM_REG_S390_PP", abi::KVM_REG_S390_PP),
        constant("KVM_REG_S390_GBEA", abi::KVM_REG_S390_GBEA),
        constant(
            "KVM_S390_PFAULT_TOKEN_INVALID",
            abi::KVM_S390_PFAULT_TOKEN_INVALID,
        ),
        constant("KVM_GUESTDBG_USE_HW_BP", abi::KVM_GUESTDBG_USE_HW_BP),
        constant(
            "KVM_S390_STORE_STATUS_NOADDR",
            abi::KVM_S390_STORE_STATUS_NOADDR,
        ),
        constant(
            "KVM_S390_STORE_STATUS_PREFIXED",
            abi::KVM_S390_STORE_STATUS_PREFIXED,
        ),
        constant("KVM_S390_VM_CPU_MODEL", abi::KVM_S390_VM_CPU_MODEL),
        constant("KVM_S390_VM_CPU_PROCESSOR", abi::KVM_S390_VM_CPU_PROCESSOR),
        constant("KVM_S390_VM_CPU_MACHINE", abi::KVM_S390_VM_CPU_MACHINE),
        constant(
            "KVM_S390_VM_CPU_PROCESSOR_FEAT",
            abi::KVM_S390_VM_CPU_PROCESSOR_FEAT,
        ),
        constant(
            "KVM_S390_VM_CPU_MACHINE_FEAT",
            abi::KVM_S390_VM_CPU_MACHINE_FEAT,
        ),
        constant(
            "KVM_S390_VM_CPU_PROCESSOR_SUBFUNC",
            abi::KVM_S390_VM_CPU_PROCESSOR_SUBFUNC,
        ),
        constant(
            "KVM_S390_VM_CPU_MACHINE_SUBFUNC",
            abi::KVM_S390_VM_CPU_MACHINE_SUBFUNC,
        ),
        constant("KVM_S390_VM_TOD", abi::KVM_S390_VM_TOD),
        constant("KVM_S390_VM_TOD_LOW", abi::KVM_S390_VM_TOD_LOW),
        constant("KVM_S390_VM_TOD_HIGH", abi::KVM_S390_VM_TOD_HIGH),
        constant("KVM_S390_VM_TOD_EXT", abi::KVM_S390_VM_TOD_EXT),
        struct_size("kvm_s390_vm_tod_clock", size_of::<abi::TodClock>()),
        offset(
            "kvm_s390_vm_tod_clock",
            "tod",
            offset_of!(abi::TodClock, tod),
        ),
        constant(
            "KVM_S390_VM_CRYPTO_ENABLE_AES_KW",
            abi::KVM_S390_VM_CRYPTO_ENABLE_AES_KW,
        ),
        constant(
            "KVM_S390_VM_CRYPTO_DISABLE_DEA_KW",
            abi::KVM_S390_VM_CRYPTO_DISABLE_DEA_KW,
        ),
        constant(
            "KVM_S390_VM_CRYPTO_ENABLE_APIE",
            abi::KVM_S390_VM_CRYPTO_ENABLE_APIE,
        ),
        constant(
            "KVM_S390_VM_CRYPTO_DISABLE_APIE",
            abi::KVM_S390_VM_CRYPTO_DISABLE_APIE,
        ),
        constant(
            "KVM_S390_VM_MIGRATION_STOP",
            abi::KVM_S390_VM_MIGRATION_STOP,
        ),
        constant(
            "KVM_S390_VM_MIGRATION_START",
            abi::KVM_S390_VM_MIGRATION_START,
        ),
        constant(
            "KVM_S390_VM_MIGRATION_STATUS",
            abi::KVM_S390_VM_MIGRATION_STATUS,
        ),
        constant("KVM_S390_VM_CRYPTO", abi::KVM_S390_VM_CRYPTO),
        constant("KVM_S390_VM_MIGRATION", abi::KVM_S390_VM_MIGRATION),
        constant("KVM_S390_VM_CPU_TOPOLOGY", abi::KVM_S390_VM_CPU_TOPOLOGY),
        struct_size("kvm_s390_vm_cpu_processor", size_of::<abi::CpuProcessor>()),
        offset(
            "kvm_s390_vm_cpu_processor",
            "fac_list",
            offset_of!(abi::CpuProcessor, fac_list),
        ),
        struct_size("kvm_s390_vm_cpu_machine", size_of::<abi::CpuMachine>()),
        offset(
            "kvm_s390_vm_cpu_machine",
            "fac_list",
            offset_of!(abi::CpuMachine, fac_list),
        ),
        struct_size("kvm_s390_vm_cpu_feat", size_of::<abi::CpuFeat>()),
        struct_size("kvm_s390_vm_cpu_subfunc", size_of::<abi::CpuSubfunc>()),
        constant("KVM_DEV_FLIC_GET_ALL_IRQS", abi::KVM_DEV_FLIC_GET_ALL_IRQS),
        constant("KVM_DEV_FLIC_ENQUEUE", abi::KVM_DEV_FLIC_ENQUEUE),
        constant("KVM_DEV_FLIC_CLEAR_IRQS", abi::KVM_DEV_FLIC_CLEAR_IRQS),
        constant("KVM_DEV_FLIC_APF_ENABLE", abi::KVM_DEV_FLIC_APF_ENABLE),
        constant(
            "KVM_DEV_FLIC_APF_DISABLE_WAIT",
            abi::KVM_DEV_FLIC_APF_DISABLE_WAIT,
        ),
        constant(
            "KVM_DEV_FLIC_ADAPTER_REGISTER",
            abi::KVM_DEV_FLIC_ADAPTER_REGISTER,
        ),
        constant(
            "KVM_DEV_FLIC_ADAPTER_MODIFY",
            abi::KVM_DEV_FLIC_ADAPTER_MODIFY,
        ),
        constant("KVM_DEV_FLIC_CLEAR_IO_IRQ", abi::KVM_DEV_FLIC_CLEAR_IO_IRQ),
        constant("KVM_DEV_FLIC_AISM", abi::KVM_DEV_FLIC_AISM),
        constant("KVM_DEV_FLIC_AIRQ_INJECT", abi::KVM_DEV_FLIC_AIRQ_INJECT),
        constant("KVM_DEV_FLIC_AISM_ALL", abi::KVM_DEV_FLIC_AISM_ALL),
        constant("KVM_S390_IO_ADAPTER_MASK", abi::KVM_S390_IO_ADAPTER_MASK),
        constant("KVM_S390_IO_ADAPTER_MAP", abi::KVM_S390_IO_ADAPTER_MAP),
        constant("KVM_S390_IO_ADAPTER_UNMAP", abi::KVM_S390_IO_ADAPTER_UNMAP),
        constant("KVM_S390_FLIC_MAX_BUFFER", abi::KVM_S390_FLIC_MAX_BUFFER),
        struct_size("kvm_s390_io_adapter", size_of::<abi::IoAdapter>()),
        struct_size("kvm_s390_io_adapter_req", size_of::<abi::IoAdapterReq>()),
        struct_size("kvm_regs", size_of::<abi::Regs>()),
        struct_size("kvm_sregs", size_of::<abi::Sregs>()),
        offset("kvm_sregs", "crs", offset_of!(abi::Sregs, crs)),
        struct_size("kvm_fpu", size_of::<abi::Fpu>()),
        offset("kvm_fpu", "fprs", offset_of!(abi::Fpu, fprs)),
        struct_size("kvm_guest_debug", size_of::<abi::GuestDebug>()),
        offset(
            "kvm_guest_debug",
            "arch.hw_bp",
            offset_of!(abi::GuestDebug, hw_bp),
        ),
        struct_size("kvm_hw_breakpoint", size_of::<abi::HwBreakpoint>()),
        offset(
            "kvm_hw_breakpoint",
            "phys_addr",
            offset_of!(abi::HwBreakpoint, phys_addr),
        ),
        offset(
            "kvm_hw_breakpoint",
            "len",
            offset_of!(abi::HwBreakpoint, len),
        ),
        offset(
            "kvm_hw_breakpoint",
            "type",
            offset_of!(abi::HwBreakpoint, kind),
        ),
    ]);
    items.extend(vec![
        struct_size("kvm_run", size_of::<KvmRun>()),
        struct_align("kvm_run", align_of::<KvmRun>()),
        offset(
            "kvm_run",
            "s.regs.prefix",
            sync + offset_of!(SyncRegs, prefix),
        ),
        offset("kvm_run", "s.regs.gprs", sync + offset_of!(SyncRegs, gprs)),
        offset("kvm_run", "s.regs.acrs", sync + offset_of!(SyncRegs, acrs)),
        offset("kvm_run", "s.regs.crs", sync + offset_of!(SyncRegs, crs)),
        offset("kvm_run", "s.regs.vrs", sync + offset_of!(SyncRegs, vrs)),
        offset("kvm_run", "s.regs.fprs", sync + offset_of!(SyncRegs, vrs)),
        offset("kvm_run", "s.regs.fpc", sync + offset_of!(SyncRegs, fpc)),
        item(
            "RUN_SYNC_GPRS",
            "offsetof(struct kvm_run, s.regs.gprs)",
            abi::RUN_SYNC_GPRS,
        ),
        member_size("kvm_run", "s.regs.prefix", size_of_val(&regs.prefix)),
        member_size("kvm_run", "s.regs.gprs", size_of_val(&regs.gprs)),
        member_size("kvm_run", "s.regs.acrs", size_of_val(&regs.acrs)),
        member_size("kvm_run", "s.regs.crs", size_of_val(&regs.crs)),
        constant("KVM_S390_VM_MEM_CTRL", abi::KVM_S390_VM_MEM_CTRL),
        constant(
            "KVM_S390_VM_MEM_LIMIT_SIZE",
            abi::KVM_S390_VM_MEM_LIMIT_SIZE,
        ),
        constant(
            "KVM_S390_VM_MEM_ENABLE_CMMA",
            abi::KVM_S390_VM_MEM_ENABLE_CMMA,
        ),
        constant("KVM_S390_VM_MEM_CLR_CMMA", abi::KVM_S390_VM_MEM_CLR_CMMA),
        constant("KVM_SYNC_PREFIX", abi::KVM_SYNC_PREFIX),
        constant("KVM_SYNC_GPRS", abi::KVM_SYNC_GPRS),
        constant("KVM_SYNC_VRS", abi::KVM_SYNC_VRS),
        constant("KVM_SYNC_FPRS", abi::KVM_SYNC_FPRS),
    ]);
    items
}

// ---------------------------------------------------------------------------
// Compiling, running and parsing the C side
// ---------------------------------------------------------------------------

/// How to build and run the C program for one architecture.
struct Toolchain {
    /// Shown in messages.
    label: &'static str,
    /// The C compiler and its flags.
    cc: &'static str,
    cc_flags: &'static [&'static str],
    /// Runs the compiled program; `None` runs it directly.
    runner: Option<&'static str>,
    /// What to install when a tool is missing.
    install: &'static str,
}

const HOST: Toolchain = Toolchain {
    label: "host gcc",
    cc: "gcc",
    cc_flags: &["-std=c11", "-Wall"],
    runner: None,
    install: "apt-get install gcc",
};

const S390X: Toolchain = Toolchain {
    label: "s390x gcc + qemu",
    cc: "s390x-linux-gnu-gcc",
    // Static, so qemu needs no s390x sysroot to run it.
    cc_flags: &["-std=c11", "-Wall", "-static"],
    runner: Some("qemu-s390x-static"),
    install: "apt-get install gcc-s390x-linux-gnu qemu-user-static",
};

/// Why the C side produced no values.
enum CSideError {
    /// A tool is not installed (the spawn failed with `NotFound`).
    Missing(&'static str),
    /// Anything else; the message says what happened.
    Failed(String),
}

/// Writes the C program for `items`. It defines `__KVM_S390` before the
/// include, so an x86 header lays `kvm_run` out as s390 does. The s390 header
/// defines it too; an identical redefinition is allowed.
fn c_source(items: &[Item]) -> String {
    let mut src = String::from(
        "/* Generated by ucas-tests/tests/abi_c_header.rs. */\n\
         #define __KVM_S390\n\
         #include <stddef.h>\n\
         #include <stdio.h>\n\
         #include <linux/kvm.h>\n\
         \n\
         int main(void)\n\
         {\n",
    );
    for it in items {
        if let Some(g) = it.guard {
            writeln!(src, "#ifdef {g}").expect("writing to a String cannot fail");
        }
        writeln!(
            src,
            "\tprintf(\"%s %llu\\n\", \"{}\", (unsigned long long)({}));",
            it.name, it.c_expr
        )
        .expect("writing to a String cannot fail");
        if it.guard.is_some() {
            writeln!(
                src,
                "#else\n\tprintf(\"%s absent\\n\", \"{}\");\n#endif",
                it.name
            )
            .expect("writing to a String cannot fail");
        }
    }
    src.push_str("\treturn 0;\n}\n");
    src
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> io::Result<Self> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let dir = env::temp_dir().join(format!("ucas-abi-{tag}-{}-{n}", std::process::id()));
            match fs::create_dir(&dir) {
                Ok(()) => return Ok(Self(dir)),
                // Left over by an earlier process with the same pid: try the next name.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs `cmd`; a missing `program` becomes [`CSideError::Missing`], a
/// non-zero exit a [`CSideError::Failed`] carrying its stderr.
fn run(program: &'static str, cmd: &mut Command) -> Result<Output, CSideError> {
    let out = cmd.output().map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            CSideError::Missing(program)
        } else {
            CSideError::Failed(format!("cannot start {program}: {e}"))
        }
    })?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(CSideError::Failed(format!(
            "{program} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

/// What [`parse_values`] records for an item whose guard the header lacks
/// (no real value is negative: the C side prints them unsigned).
const ABSENT: i128 = -1;

/// Parses `NAME VALUE` lines into a map, rejecting anything else.
fn parse_values(stdout: &str) -> Result<BTreeMap<String, i128>, String> {
    let mut values = BTreeMap::new();
    for line in stdout.lines() {
        let (name, value) = line
            .split_once(' ')
            .ok_or_else(|| format!("malformed line {line:?}"))?;
        let value = if value == "absent" {
            ABSENT
        } else {
            let v: u64 = value
                .parse()
                .map_err(|e| format!("bad value in {line:?}: {e}"))?;
            i128::from(v)
        };
        if values.insert(name.to_owned(), value).is_some() {
            return Err(format!("{name} printed twice"));
        }
    }
    Ok(values)
}

/// Compiles and runs the program for `items` with `tc`; returns what it printed.
fn c_values(tc: &Toolchain, items: &[Item]) -> Result<BTreeMap<String, i128>, CSideError> {
    let dir = TempDir::new(tc.cc).map_err(|e| CSideError::Failed(format!("temp dir: {e}")))?;
    let src = dir.path().join("abi.c");
    let exe = dir.path().join("abi");
    fs::write(&src, c_source(items))
        .map_err(|e| CSideError::Failed(format!("writing {}: {e}", src.display())))?;

    run(
        tc.cc,
        Command::new(tc.cc)
            .args(tc.cc_flags)
            .arg("-o")
            .arg(&exe)
            .arg(&src),
    )?;
    let out = match tc.runner {
        Some(runner) => run(runner, Command::new(runner).arg(&exe))?,
        None => run("the compiled ABI program", &mut Command::new(&exe))?,
    };
    let stdout = String::from_utf8(out.stdout)
        .map_err(|e| CSideError::Failed(format!("program output is not UTF-8: {e}")))?;
    parse_values(&stdout).map_err(CSideError::Failed)
}

/// One line per item where C and Rust disagree (or C printed nothing).
fn mismatches(items: &[Item], c: &BTreeMap<String, i128>) -> Vec<String> {
    items
        .iter()
        .filter_map(|it| match c.get(&it.name) {
            None => Some(format!("{}: not printed by the C program", it.name)),
            // Older headers lack what newer kernels added; core's own
            // layout assertions still hold for it.
            Some(&ABSENT) if it.guard.is_some() => {
                eprintln!("note: {} is not in this header; not compared", it.name);
                None
            }
            Some(&ABSENT) => Some(format!("{}: the header says absent", it.name)),
            Some(&v) if v != it.ours => Some(format!(
                "{}: C header = {v} ({v:#x}), ucas_core::abi = {} ({:#x})",
                it.name, it.ours, it.ours
            )),
            Some(_) => None,
        })
        .collect()
}

/// Whether the CI environment variable is set: missing tools are then errors.
fn in_ci() -> bool {
    env::var_os("CI").is_some()
}

/// Compiles and runs the C side with `tc` and asserts that every item agrees.
/// A missing tool fails too, unless `tools_required` is false: then it only
/// prints a notice.
fn check(tc: &Toolchain, items: &[Item], tools_required: bool) {
    let c = match c_values(tc, items) {
        Ok(c) => c,
        Err(CSideError::Missing(tool)) if !tools_required => {
            // Straight to the stderr handle: libtest captures `eprintln!` of a
            // passing test, and this notice must be seen.
            let _ = writeln!(
                io::stderr().lock(),
                "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                 !! NOTICE: {tool} not found; the {} ABI check was SKIPPED.\n\
                 !! Install it with: {}\n\
                 !! (With CI set, a missing tool fails this test.)\n\
                 !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n",
                tc.label,
                tc.install
            );
            return;
        }
        Err(CSideError::Missing(tool)) => {
            panic!(
                "{tool} not found; the {} ABI check needs it. Install it with: {}",
                tc.label, tc.install
            )
        }
        Err(CSideError::Failed(msg)) => panic!("{}: {msg}", tc.label),
    };
    let bad = mismatches(items, &c);
    assert!(
        bad.is_empty(),
        "{}: {} of {} ABI items differ from <linux/kvm.h>:\n  {}",
        tc.label,
        bad.len(),
        items.len(),
        bad.join("\n  ")
    );
    eprintln!(
        "{}: all {} ABI items match <linux/kvm.h>",
        tc.label,
        items.len()
    );
}

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

/// The host's `<linux/kvm.h>` in s390 mode. gcc is required: without it this
/// test fails, telling what to install.
#[test]
fn host_header_matches_abi() {
    check(&HOST, &common_items(), true);
}

/// The real s390x uapi headers, compiled statically and run under qemu-user.
///
/// The cross compiler and qemu are optional on a developer machine: when one
/// is missing this test prints a loud notice naming the packages and passes.
/// With the environment variable `CI` set, a missing tool fails the test, so
/// CI cannot silently skip the check.
#[test]
fn s390x_header_matches_abi() {
    let mut items = common_items();
    items.extend(s390_only_items());
    check(&S390X, &items, in_ci());
}

/// The comparison itself must notice a wrong number and a missing line.
#[test]
fn mismatches_are_reported() {
    let items = vec![
        item("A", "A", 1u32),
        item("B", "B", 2u32),
        item("C", "C", 3u32),
    ];
    let c = parse_values("A 1\nB 5\n").expect("well-formed");
    let bad = mismatches(&items, &c);
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(bad[0].starts_with("B: C header = 5"), "{bad:?}");
    assert!(bad[1].starts_with("C: not printed"), "{bad:?}");
    assert!(parse_values("A\n").is_err());
    assert!(parse_values("A x\n").is_err());
    assert!(parse_values("A 1\nA 1\n").is_err());
    // `absent` is accepted only for guarded items.
    let c = parse_values("A absent\nB absent\n").expect("well-formed");
    let items = vec![guarded("A", item("A", "A", 1u32)), item("B", "B", 2u32)];
    let bad = mismatches(&items, &c);
    assert_eq!(bad, ["B: the header says absent"]);
}
