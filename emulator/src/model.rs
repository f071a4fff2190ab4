//! The kernel model: what an s390 kernel with `CONFIG_KVM_S390_UCONTROL`
//! answers to each KVM ioctl, per kernel generation.
//!
//! The model is pure: it never touches the tracee. The supervisor reads the
//! arguments, asks the model, and carries out what the answer says
//! (installing an fd, writing `kvm_run`). Each vcpu's address space is a
//! core [`KernelSpace`]: the [`AddressSpace`] table the library's own mirror
//! uses, with the generation's rules for validation, replacement, holes and
//! out-of-memory.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::state::VcpuState;
pub use ucas_core::abi::{CreateDevice, DeviceAttr, EnableCap, Ioctl};
use ucas_core::abi::{
    KVM_API_VERSION, KVM_CAP_HALT_POLL, KVM_CAP_S390_AIS, KVM_CAP_S390_CPU_TOPOLOGY,
    KVM_CAP_S390_GS, KVM_CAP_S390_HPAGE_1M, KVM_CAP_S390_HPAGE_2G, KVM_CAP_S390_IRQCHIP,
    KVM_CAP_S390_RI, KVM_CAP_S390_USER_INSTR0, KVM_CAP_S390_USER_OPEREXEC, KVM_CAP_S390_USER_SIGP,
    KVM_CAP_S390_USER_STSI, KVM_CAP_S390_VECTOR_REGISTERS, KVM_CAP_S390_VSIE_ESAMODE,
    KVM_CREATE_DEVICE_TEST, KVM_DEV_TYPE_FLIC, KVM_IRQ_ROUTING_S390_ADAPTER, KVM_MAX_IRQ_ROUTES,
    KVM_S390_NO_MEM_LIMIT, KVM_S390_VM_CPU_MODEL, KVM_S390_VM_MEM_CTRL, KVM_S390_VM_MEM_LIMIT_SIZE,
    KVM_VM_S390_UCONTROL, UcasMapping, UserspaceMemoryRegion2,
};
use ucas_core::segment::{PAGE_SIZE, SEGMENT_SHIFT, page_round_down};

use ucas_core::{AddressSpace, Errno, Generation, KernelSpace};

mod attrs;
mod caps;
mod cpu_model;
mod eventfds;
mod flic;
mod irq;
mod keys;
mod memop;
mod slots;
mod status;

pub use cpu_model::CpuAttr;
use cpu_model::CpuModel;
pub use eventfds::EventfdRef;
use flic::Flic;
pub use keys::{CallerMemory, KeyStore};
use slots::Slots;
pub use status::Status;

use caps::Asked;

/// Extents per vcpu address space. Large, so that the model runs out only
/// where a real kernel would plausibly run out too (the kernel's limit is
/// memory); when full, a map answers ENOMEM like an allocation failure.
pub const SPACE_CAPACITY: usize = 65536;

/// The most vcpus alive at once, over all VMs. Each holds a fixed-capacity
/// address-space table (65,536 extents, 1.5 MiB), so a program
/// creating vcpus without end would otherwise take the host's memory; past
/// the limit `KVM_CREATE_VCPU` answers ENOMEM, as a kernel out of memory
/// does. Vcpus are freed with their VM (when its last fd closes).
pub const LIVE_VCPUS_MAX: usize = 1024;

/// Highest vcpu id an s390 VM accepts: the generic `KVM_CREATE_VCPU` refuses
/// ids from `KVM_MAX_VCPU_IDS` on, which s390 leaves at its `KVM_MAX_VCPUS`,
/// 255 (ucontrol VMs skip the SCA-slot check but not this one).
pub const MAX_VCPU_ID: u64 = 254;

/// Size of one vcpu page (`kvm_run`, SIE block): the s390 page size.
pub const VCPU_PAGE_SIZE: u64 = PAGE_SIZE;

/// The vcpu ioctls the model does not answer yet (table P1).
const VCPU_IOCTLS: [Ioctl; 20] = [
    Ioctl::GetRegs,
    Ioctl::SetRegs,
    Ioctl::GetSregs,
    Ioctl::SetSregs,
    Ioctl::GetFpu,
    Ioctl::SetFpu,
    Ioctl::GetOneReg,
    Ioctl::SetOneReg,
    Ioctl::GetMpState,
    Ioctl::SetMpState,
    Ioctl::S390InitialReset,
    Ioctl::S390NormalReset,
    Ioctl::S390ClearReset,
    Ioctl::S390StoreStatus,
    Ioctl::S390SetInitialPsw,
    Ioctl::S390Interrupt,
    Ioctl::S390Irq,
    Ioctl::S390GetIrqState,
    Ioctl::S390SetIrqState,
    Ioctl::SetGuestDebug,
];

/// How many bytes at `attr.addr` a FLIC `KVM_SET_DEVICE_ATTR` reads.
#[must_use]
pub fn flic_payload_len(attr: &DeviceAttr) -> usize {
    flic::set_payload_len(attr.group, attr.attr)
}

/// Whose statistics a stats fd has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsId {
    /// A VM's: the kernel names them `kvm-` and the creator's pid.
    Vm,
    /// A vcpu's: `kvm-PID/vcpu-ID` (`kvm_vcpu_init`: the creator's pid and
    /// the vcpu id).
    Vcpu(u32),
}

/// Which emulated object an fd refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object {
    /// `/dev/kvm`.
    Kvm,
    /// A VM, by index in creation order.
    Vm(u32),
    /// A vcpu.
    Vcpu(VcpuRef),
    /// The FLIC device of a VM.
    Flic(u32),
}

impl Object {
    /// The VM it belongs to (`None` for `/dev/kvm`).
    #[must_use]
    pub fn vm(self) -> Option<u32> {
        match self {
            Self::Kvm => None,
            Self::Vm(vm) | Self::Flic(vm) => Some(vm),
            Self::Vcpu(r) => Some(r.vm),
        }
    }
}

/// A vcpu: its VM's index and its own index in that VM's creation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VcpuRef {
    /// The VM's index.
    pub vm: u32,
    /// The vcpu's position among its VM's vcpus.
    pub index: u32,
}

/// What the model says to do with an ioctl on an emulated fd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Return this value.
    Value(i64),
    /// Fail with this errno.
    Error(Errno),
    /// A VM was created: install a VM fd (close-on-exec) and return it.
    NewVm(u32),
    /// A vcpu was created: install a vcpu fd (close-on-exec) and return it.
    NewVcpu(VcpuRef),
    /// Fail with `errno` (EREMOTE) after writing a ucontrol exit
    /// (`exit_reason` 20, `pgm_code` 0x10, this `trans_exc_code`) into the
    /// vcpu's `kvm_run`.
    UcontrolExit {
        /// The errno to fail with.
        errno: Errno,
        /// The vcpu whose `kvm_run` gets the exit.
        vcpu: VcpuRef,
        /// The faulting address rounded down to 4 KiB.
        trans_exc_code: u64,
    },
    /// `KVM_S390_VCPU_FAULT` on a mapped segment: the kernel now faults in
    /// the user page. The supervisor checks that the tracee has memory at
    /// `user_addr` and then calls [`Model::fault_link`].
    FaultIn {
        /// The vcpu.
        vcpu: VcpuRef,
        /// The vcpu address.
        vcpu_addr: u64,
        /// Its translation in the tracee.
        user_addr: u64,
    },
    /// Store this value as a native-endian u64 at `addr` in the tracee and
    /// return 0; EFAULT if it cannot be written.
    StoreU64 {
        /// The tracee address.
        addr: u64,
        /// The value.
        value: u64,
    },
    /// `KVM_RUN` on a ucontrol vcpu: the supervisor runs the guest (see
    /// [`Model::guest`]) and writes the exit into `kvm_run`.
    Run(VcpuRef),
    /// The model does not cover this request yet: fail with this errno; the
    /// text says why, for the trace.
    Unsupported(Errno, &'static str),
    /// A request the kernel knows on this kind of fd but the model does not
    /// model yet: fail with the errno the kernel gives for an ioctl it does
    /// not know there (the supervisor says so once on stderr).
    NotModelled(Ioctl, Errno),
    /// A request on the state a ucontrol vcpu keeps in its `kvm_run` and SIE
    /// pages (registers, run state, PSW, resets): the supervisor, which
    /// holds the pages, carries it out (see `Model::user_cpu_state`).
    VcpuState(VcpuRef, Ioctl),
    /// `KVM_GET_DEVICE_ATTR` of a CPU-model attribute: store
    /// [`Model::cpu_model_get`] at `addr` in the caller and return 0
    /// (EFAULT if it cannot be written).
    CpuModelGet {
        /// The VM.
        vm: u32,
        /// Which attribute.
        attr: CpuAttr,
        /// Where in the caller.
        addr: u64,
    },
    /// `KVM_SET_DEVICE_ATTR` of a settable CPU-model attribute: read
    /// `attr.len()` bytes at `addr` (EFAULT if unreadable) and pass them to
    /// [`Model::cpu_model_set`].
    CpuModelSet {
        /// The VM.
        vm: u32,
        /// Which attribute.
        attr: CpuAttr,
        /// Where in the caller.
        addr: u64,
    },
    /// `KVM_CREATE_DEVICE` made VM `vm`'s FLIC: install its fd and store
    /// the number in the caller's `kvm_create_device.fd` at `addr + 4`.
    NewFlic {
        /// The VM.
        vm: u32,
        /// The caller's `kvm_create_device`.
        addr: u64,
    },
    /// `KVM_GET_DEVICE_ATTR` on a FLIC: [`Model::flic_get`], then store its
    /// bytes (if any) at `addr`.
    FlicGet {
        /// The VM.
        vm: u32,
        /// The attribute.
        attr: DeviceAttr,
    },
    /// `KVM_SET_DEVICE_ATTR` on a FLIC: read the group's payload at
    /// `attr.addr`, then [`Model::flic_set`].
    FlicSet {
        /// The VM.
        vm: u32,
        /// The attribute.
        attr: DeviceAttr,
    },
    /// An ioctl that reads and writes the caller's memory as it goes
    /// (`KVM_S390_GET_SKEYS`, `KVM_S390_SET_SKEYS`, `KVM_S390_KEYOP`,
    /// `KVM_S390_MEM_OP`): the supervisor calls [`Model::with_memory`]
    /// with the caller's memory.
    WithMemory {
        /// The VM or vcpu asked.
        object: Object,
        /// Which ioctl.
        call: Ioctl,
        /// Its argument.
        arg: u64,
    },
    /// `KVM_GET_STATS_FD`: install a read-only binary-statistics fd whose
    /// header names `id` and which lists no statistics.
    StatsFd {
        /// Whose statistics.
        id: StatsId,
    },
}

/// The state of one vcpu; `N` is the capacity of its address space.
#[derive(Debug)]
pub struct Vcpu<const N: usize> {
    id: u32,
    /// Shared with a `KVM_RUN` in progress, which reads it without the
    /// model (nothing else changes the space of a vcpu while it runs: its
    /// other ioctls wait, as for the kernel's vcpu mutex).
    space: Arc<KernelSpace<N>>,
    /// Generations A and B link each faulted-in vcpu segment to its user
    /// segment in a reverse table keyed by user segment; a second vcpu
    /// segment of the same vcpu faulting on the same user segment fails
    /// with EEXIST. Pairs (user segment, vcpu segment), usually few.
    links: Vec<(u64, u64)>,
    /// The registers the kernel keeps for the guest between runs.
    regs: GuestRegs,
    /// The pfault token, compare and select registers (`KVM_REG_S390_PF*`).
    pfault: [u64; 3],
    /// The local interrupts the injection checks look at.
    pending: irq::Pending,
}

/// What the kernel keeps of a vcpu's guest state between `KVM_RUN`s (the
/// PSW is read from `kvm_run` on every entry, so it is not kept here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GuestRegs {
    /// General registers 0–15.
    pub gprs: [u64; 16],
    /// The prefix register, masked to its 8 KiB-aligned bits below 2 GiB.
    pub prefix: u64,
}

/// What one `KVM_RUN` needs from the model ([`Model::guest`]).
#[derive(Debug)]
pub struct RunInputs<const N: usize> {
    /// The kernel generation.
    pub generation: Generation,
    /// The vcpu's address space.
    pub space: Arc<KernelSpace<N>>,
    /// Its kept registers.
    pub regs: GuestRegs,
    /// The storage keys of every VM's memory.
    pub keys: Arc<Mutex<KeyStore>>,
}

impl<const N: usize> Vcpu<N> {
    /// The vcpu id given to `KVM_CREATE_VCPU`.
    #[must_use]
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The vcpu's address space.
    #[must_use]
    pub fn space(&self) -> &AddressSpace<N> {
        self.space.space()
    }

    fn unlink_range(&mut self, first_seg: u64, count: u64) {
        if !self.links.is_empty() {
            self.links
                .retain(|&(_, v)| v.wrapping_sub(first_seg) & SEGMENT_NUMBER_MASK >= count);
        }
    }
}

const SEGMENT_NUMBER_MASK: u64 = (1 << (64 - SEGMENT_SHIFT)) - 1;

/// The state of one VM.
#[derive(Debug)]
pub struct Vm<const N: usize> {
    ucontrol: bool,
    vcpus: Vec<Vcpu<N>>,
    /// Set by the first `KVM_SET_MP_STATE`: userspace, not KVM, decides
    /// when vcpus stop (the resets then leave the run state alone).
    user_cpu_state: bool,
    /// The CPU model its vcpus get.
    cpu_model: CpuModel,
    /// Its FLIC, once created.
    flic: Option<Flic>,
    /// Whether `KVM_CAP_S390_AIS` was enabled.
    ais: bool,
    /// Whether `KVM_CAP_S390_IRQCHIP` was enabled (the kernel's
    /// `use_irqchip`), which `KVM_CREATE_IRQCHIP` asks for.
    irqchip: bool,
    /// Once destroyed: what its vcpus' address spaces held at the end, for
    /// the state report (the vcpus themselves are gone).
    destroyed: Option<Vec<VcpuState>>,
    /// Its TOD, crypto, migration and topology attributes.
    attrs: attrs::VmAttrs,
    /// Its memory slots (a regular VM's; a ucontrol VM has none).
    slots: Slots,
    /// Its irqfds and ioeventfds.
    eventfds: eventfds::Eventfds,
}

impl<const N: usize> Vm<N> {
    /// Whether it was created with `KVM_VM_S390_UCONTROL`.
    #[must_use]
    pub fn is_ucontrol(&self) -> bool {
        self.ucontrol
    }

    /// Its memory slots (none once destroyed).
    #[cfg(test)]
    fn slots(&self) -> &Slots {
        &self.slots
    }

    /// Its vcpus' ids and mappings, live or as they were when it was
    /// destroyed.
    #[must_use]
    pub fn vcpu_states(&self) -> Vec<VcpuState> {
        match &self.destroyed {
            Some(states) => states.clone(),
            None => self
                .vcpus
                .iter()
                .map(|v| VcpuState {
                    id: v.id(),
                    extents: v.space().iter().map(|e| e.as_mapping()).collect(),
                })
                .collect(),
        }
    }
}

/// Injects one ENOMEM after a number of successful segment stores.
#[derive(Debug, Clone, Copy, Default)]
struct EnomemInjector {
    after: Option<u64>,
    stored: u64,
    fired: bool,
}

impl EnomemInjector {
    /// Index, within a request, of the segment store that must fail.
    fn fail_at(&self) -> Option<u64> {
        if self.fired {
            return None;
        }
        self.after.map(|n| n.saturating_sub(self.stored))
    }
}

/// Gives `f` a vcpu's address space to change, copied first if a run still
/// holds it. The copy is built on the stack (the table is 1.5 MiB at
/// [`SPACE_CAPACITY`]), so it lives in a function of its own: a caller that
/// had it inlined would reserve and probe that much stack on every call.
fn change_space<const N: usize, R>(
    space: &mut Arc<KernelSpace<N>>,
    f: impl FnOnce(&mut KernelSpace<N>) -> R,
) -> R {
    if let Some(only) = Arc::get_mut(space) {
        return f(only);
    }
    f(unshared(space))
}

#[cold]
#[inline(never)]
fn unshared<const N: usize>(space: &mut Arc<KernelSpace<N>>) -> &mut KernelSpace<N> {
    Arc::make_mut(space)
}

/// A new vcpu's empty address space, out of line for the same reason.
#[inline(never)]
fn new_space<const N: usize>(generation: Generation) -> Arc<KernelSpace<N>> {
    Arc::new(KernelSpace::new(generation))
}

/// The kernel model for one emulator run. `N` is the capacity of each
/// vcpu's address space (its table is boxed, but built on the stack first in
/// unoptimised builds: large `N` needs a large stack, which the supervisor
/// thread has).
#[derive(Debug)]
pub struct Model<const N: usize = SPACE_CAPACITY> {
    generation: Generation,
    /// The release (major, minor) within the generation, for what later
    /// releases of generation C added ([`Model::with_release`]).
    release: (u32, u32),
    /// The host's online CPUs, which `KVM_CAP_NR_VCPUS` reports.
    online_cpus: u32,
    vms: Vec<Vm<N>>,
    /// Vcpus of VMs not yet destroyed.
    live_vcpus: usize,
    enomem: EnomemInjector,
    /// The storage keys of the memory the VMs use, shared with the
    /// `KVM_RUN`s in progress.
    keys: Arc<Mutex<KeyStore>>,
}

/// The host's online CPUs, as the kernel's `num_online_cpus()` counts
/// them, whatever the calling thread's affinity or cgroup allows (which
/// `std::thread::available_parallelism` would give).
fn host_online_cpus() -> Option<u32> {
    std::fs::read_to_string(ucas_core::host::ONLINE_CPUS_PATH)
        .ok()
        .and_then(|list| ucas_core::host::cpu_list_len(&list))
}

/// `KVM_PRE_FAULT_MEMORY` on a ucontrol vcpu (7.2): the generic checks
/// (flags, page alignment, a range that wraps or is empty: EINVAL), then
/// s390 refuses ucontrol VMs (EINVAL); the range, unchanged, is written
/// back whatever the answer (EFAULT if it cannot be).
fn pre_fault_ucontrol(arg: u64, mem: &mut dyn CallerMemory) -> Result<i64, Errno> {
    let mut raw = [0u8; size_of::<ucas_core::abi::PreFaultMemory>()];
    if !mem.read(arg, &mut raw) {
        return Err(Errno::FAULT);
    }
    if !mem.write(arg, &raw) {
        return Err(Errno::FAULT);
    }
    Err(Errno::INVAL)
}

/// The release each generation stands for by default: the one its
/// `--kernel` example names (6.8, 6.14, 7.0).
const fn default_release(generation: Generation) -> (u32, u32) {
    match generation {
        Generation::A => (6, 8),
        Generation::B => (6, 14),
        Generation::C => (7, 0),
    }
}

impl<const N: usize> Model<N> {
    /// A kernel of `generation` with no VMs. With `enomem_after = Some(n)`,
    /// the segment store after the first `n` successful ones fails with
    /// ENOMEM, once.
    #[must_use]
    pub fn new(generation: Generation, enomem_after: Option<u64>) -> Self {
        Self {
            generation,
            release: default_release(generation),
            online_cpus: host_online_cpus().unwrap_or(1),
            vms: Vec::new(),
            live_vcpus: 0,
            keys: Arc::default(),
            enomem: EnomemInjector {
                after: enomem_after,
                ..EnomemInjector::default()
            },
        }
    }

    /// The kernel generation modelled.
    #[must_use]
    pub fn generation(&self) -> Generation {
        self.generation
    }

    /// Where the caller's memory holds `len` bytes of VM `vm`'s guest
    /// absolute memory from `gpa`, as `kvm_read_guest` finds them through
    /// the memory slots: (user address, length) runs, one per page, or
    /// `None` (EFAULT) if a page lies outside every slot. A ucontrol VM's
    /// one internal slot (B and C) maps absolute `a` to user `a` up to one
    /// segment below 2^64; generation A gives it no slot.
    #[must_use]
    pub fn guest_absolute(&self, vm: u32, gpa: u64, len: u64) -> Option<Vec<(u64, u64)>> {
        const UCONTROL_SLOT_END: u64 = 0u64.wrapping_sub(1 << 20);
        let v = self.vms.get(vm as usize)?;
        let end = gpa.checked_add(len)?;
        let mut runs = Vec::new();
        let mut at = gpa;
        while at < end {
            let page_end = (at | 4095).saturating_add(1).min(end);
            let user = match (v.ucontrol, self.generation) {
                (true, Generation::A) => None,
                (true, _) => (page_end <= UCONTROL_SLOT_END).then_some(at),
                (false, _) => v.slots.translate(at),
            }?;
            runs.push((user, page_end - at));
            at = page_end;
        }
        Some(runs)
    }

    /// The same model for kernel release `major.minor` (its generation
    /// unchanged): from 7.1 `KVM_CAP_S390_VSIE_ESAMODE`, from 7.2
    /// `KVM_CAP_PRE_FAULT_MEMORY` and its ioctl (table V2, P1).
    #[must_use]
    pub fn with_release(mut self, major: u32, minor: u32) -> Self {
        self.release = (major, minor);
        self
    }

    /// All VMs, in creation order.
    #[must_use]
    pub fn vms(&self) -> &[Vm<N>] {
        &self.vms
    }

    /// Whether the injected ENOMEM has happened.
    #[must_use]
    pub fn enomem_fired(&self) -> bool {
        self.enomem.fired
    }

    /// The vcpu `r`, if it exists.
    #[must_use]
    pub fn vcpu(&self, r: VcpuRef) -> Option<&Vcpu<N>> {
        self.vms
            .get(r.vm as usize)
            .and_then(|vm| vm.vcpus.get(r.index as usize))
    }

    fn vcpu_mut(&mut self, r: VcpuRef) -> Option<&mut Vcpu<N>> {
        self.vms
            .get_mut(r.vm as usize)
            .and_then(|vm| vm.vcpus.get_mut(r.index as usize))
    }

    fn is_ucontrol(&self, vm: u32) -> bool {
        self.vms.get(vm as usize).is_some_and(|v| v.ucontrol)
    }

    /// `KVM_CHECK_EXTENSION(cap)` asked as `asked` says.
    fn check_extension(&self, cap: u64, asked: Asked) -> i64 {
        caps::of_release(self.release, cap)
            .unwrap_or_else(|| caps::check_extension(self.generation, cap, asked, self.online_cpus))
    }

    /// An ioctl on a `/dev/kvm` fd. `caller_is_admin` tells whether the
    /// caller has `CAP_SYS_ADMIN` (only looked at by `KVM_CREATE_VM`).
    pub fn dev_ioctl(&mut self, call: Option<Ioctl>, arg: u64, caller_is_admin: bool) -> Answer {
        match call {
            Some(Ioctl::GetApiVersion) | Some(Ioctl::GetVcpuMmapSize) if arg != 0 => {
                Answer::Error(Errno::INVAL)
            }
            Some(Ioctl::GetApiVersion) => Answer::Value(i64::from(KVM_API_VERSION)),
            // Generation C has nothing to convert; A and B convert the
            // caller's page tables for SIE, which cannot fail on a
            // process that runs at all in the model.
            Some(Ioctl::S390EnableSie) => Answer::Value(0),
            Some(Ioctl::GetVcpuMmapSize) => Answer::Value(VCPU_PAGE_SIZE as i64),
            Some(Ioctl::CheckExtension) => Answer::Value(self.check_extension(arg, Asked::System)),
            Some(Ioctl::CreateVm) => self.create_vm(arg, caller_is_admin),
            _ => Answer::Error(Errno::INVAL),
        }
    }

    fn create_vm(&mut self, machine_type: u64, caller_is_admin: bool) -> Answer {
        if machine_type & !KVM_VM_S390_UCONTROL != 0 {
            return Answer::Error(Errno::INVAL);
        }
        let ucontrol = machine_type & KVM_VM_S390_UCONTROL != 0;
        if ucontrol && !caller_is_admin {
            return Answer::Error(Errno::INVAL);
        }
        let Ok(index) = u32::try_from(self.vms.len()) else {
            return Answer::Error(Errno::NOMEM);
        };
        self.vms.push(Vm {
            ucontrol,
            user_cpu_state: false,
            cpu_model: CpuModel::default(),
            flic: None,
            ais: false,
            irqchip: false,
            attrs: attrs::VmAttrs::default(),
            vcpus: Vec::new(),
            destroyed: None,
            slots: Slots::default(),
            eventfds: eventfds::Eventfds::default(),
        });
        Answer::NewVm(index)
    }

    /// An ioctl on a VM fd. `attr` is the argument struct of the
    /// device-attribute calls as read from the tracee, `None` if unreadable.
    pub fn vm_ioctl(
        &mut self,
        vm: u32,
        call: Option<Ioctl>,
        arg: u64,
        attr: Option<DeviceAttr>,
    ) -> Answer {
        let ucontrol = self.is_ucontrol(vm);
        match call {
            Some(Ioctl::SetDeviceAttr)
            | Some(Ioctl::GetDeviceAttr)
            | Some(Ioctl::HasDeviceAttr) => self.vm_attr(vm, ucontrol, call, arg, attr),
            Some(Ioctl::CheckExtension) => {
                Answer::Value(self.check_extension(arg, Asked::Vm { ucontrol }))
            }
            Some(Ioctl::CreateVcpu) => self.create_vcpu(vm, arg),
            // B and C only check that the capability was enabled; A then
            // also installs an empty routing table (dropping the routes a
            // regular VM set, which the model does not keep), which cannot
            // fail but for memory. Any number of times, on both kinds of VM.
            Some(Ioctl::CreateIrqchip) => {
                if self.vms.get(vm as usize).is_some_and(|v| v.irqchip) {
                    Answer::Value(0)
                } else {
                    Answer::Error(Errno::INVAL)
                }
            }
            // s390 never enables a dirty ring (`KVM_CAP_DIRTY_LOG_RING` is
            // refused), and harvesting none is refused.
            Some(Ioctl::ResetDirtyRings) => Answer::Error(Errno::INVAL),
            // s390 does not build the generic clear-dirty-log code: the
            // request is unknown on every VM.
            Some(Ioctl::ClearDirtyLog) => Answer::Error(Errno::NOTTY),
            Some(Ioctl::GetDirtyLog) if ucontrol => Answer::Error(Errno::INVAL),
            Some(Ioctl::SetUserMemoryRegion | Ioctl::SetUserMemoryRegion2) => {
                self.vm_set_memory_region(vm, None)
            }
            // Protected virtualization: first the VM's run state becomes
            // userspace's, even though the call then fails on a host that
            // is not a PV host (the modelled one is not).
            Some(Ioctl::S390PvCommand) => {
                if let Some(v) = self.vms.get_mut(vm as usize) {
                    v.user_cpu_state = true;
                }
                Answer::Error(Errno::INVAL)
            }
            // The modelled kernel has no zPCI interpretation
            // (VFIO_PCI_ZDEV_KVM).
            Some(Ioctl::S390ZpciOp) => Answer::Error(Errno::INVAL),
            // The key operation is new in generation C; before, unknown.
            Some(Ioctl::S390Keyop) if self.generation != Generation::C => {
                Answer::Error(Errno::NOTTY)
            }
            Some(
                call @ (Ioctl::S390GetSkeys
                | Ioctl::S390SetSkeys
                | Ioctl::S390Keyop
                | Ioctl::S390MemOp
                | Ioctl::S390Interrupt
                | Ioctl::S390GetCmmaBits
                | Ioctl::S390SetCmmaBits),
            ) => Answer::WithMemory {
                object: Object::Vm(vm),
                call,
                arg,
            },
            Some(Ioctl::GetDirtyLog) => Answer::Unsupported(
                Errno::NOTTY,
                "the model keeps no dirty log of a regular VM's memory slots",
            ),
            Some(Ioctl::GetStatsFd) => Answer::StatsFd { id: StatsId::Vm },
            // Served with the eventfds found: Model::vm_irqfd, vm_ioeventfd.
            _ => Answer::Error(Errno::NOTTY),
        }
    }

    /// The VM attributes the model knows: the memory limit, which a
    /// ucontrol VM has none of (it reads as `KVM_S390_NO_MEM_LIMIT`, and
    /// setting it fails with EINVAL).
    fn vm_attr(
        &self,
        vm: u32,
        ucontrol: bool,
        call: Option<Ioctl>,
        arg: u64,
        attr: Option<DeviceAttr>,
    ) -> Answer {
        let Some(a) = attr else {
            return Answer::Error(Errno::FAULT);
        };
        if attrs::handles(a.group) {
            return match call {
                Some(Ioctl::HasDeviceAttr) => match attrs::has(self.attr_context(vm), &a) {
                    Ok(v) => Answer::Value(v),
                    Err(e) => Answer::Error(e),
                },
                Some(call) => Answer::WithMemory {
                    object: Object::Vm(vm),
                    call,
                    arg,
                },
                None => Answer::Error(Errno::NOTTY),
            };
        }
        if a.group == KVM_S390_VM_CPU_MODEL {
            let has_vcpus = self
                .vms
                .get(vm as usize)
                .is_some_and(|v| !v.vcpus.is_empty());
            return match (CpuAttr::of(a.attr), call) {
                (None, _) => Answer::Error(Errno::NXIO),
                (Some(_), Some(Ioctl::HasDeviceAttr)) => Answer::Value(0),
                (Some(attr), Some(Ioctl::GetDeviceAttr)) => Answer::CpuModelGet {
                    vm,
                    attr,
                    addr: a.addr,
                },
                (Some(attr), _) if !attr.settable() => Answer::Error(Errno::NXIO),
                // A vcpu has taken its model: no change after that.
                (Some(_), _) if has_vcpus => Answer::Error(Errno::BUSY),
                (Some(attr), _) => Answer::CpuModelSet {
                    vm,
                    attr,
                    addr: a.addr,
                },
            };
        }
        // Groups the kernel does not have.
        if a.group != KVM_S390_VM_MEM_CTRL {
            return Answer::Error(Errno::NXIO);
        }
        // The modelled host has no CMMA (`sclp.has_cmma` 0): both CMMA
        // attributes answer ENXIO to every call, as an unknown attribute
        // of the group does.
        if a.attr != KVM_S390_VM_MEM_LIMIT_SIZE {
            return Answer::Error(Errno::NXIO);
        }
        if !ucontrol {
            return Answer::Unsupported(
                Errno::NXIO,
                "the model has no memory limit for regular VMs",
            );
        }
        match call {
            Some(Ioctl::HasDeviceAttr) => Answer::Value(0),
            Some(Ioctl::GetDeviceAttr) => Answer::StoreU64 {
                addr: a.addr,
                value: KVM_S390_NO_MEM_LIMIT,
            },
            _ => Answer::Error(Errno::INVAL),
        }
    }

    /// What VM `vm`'s TOD, crypto, migration and topology attributes
    /// depend on.
    fn attr_context(&self, vm: u32) -> attrs::Context {
        let v = self.vms.get(vm as usize);
        let fac = |bit| v.is_some_and(|v| v.cpu_model.has_facility(bit));
        attrs::Context {
            // A ucontrol VM of B and C has the kernel's own slot.
            has_slot: v.is_some_and(|v| {
                (v.ucontrol && self.generation != Generation::A) || !v.slots.is_empty()
            }),
            topology: fac(11),
            key_wrapping: fac(76),
            multiple_epochs: fac(139),
        }
    }

    fn create_vcpu(&mut self, vm: u32, id: u64) -> Answer {
        let Some(v) = self.vms.get_mut(vm as usize) else {
            return Answer::Error(Errno::BADF);
        };
        if id > MAX_VCPU_ID {
            return Answer::Error(Errno::INVAL);
        }
        // Cannot truncate: id <= MAX_VCPU_ID.
        let id = id as u32;
        if v.vcpus.iter().any(|c| c.id == id) {
            return Answer::Error(Errno::EXIST);
        }
        if self.live_vcpus >= LIVE_VCPUS_MAX {
            return Answer::Unsupported(
                Errno::NOMEM,
                "the emulator keeps at most 1024 vcpus alive; close the VMs no longer needed",
            );
        }
        self.live_vcpus += 1;
        let index = v.vcpus.len() as u32;
        v.vcpus.push(Vcpu {
            id,
            space: new_space(self.generation),
            links: Vec::with_capacity(16),
            regs: GuestRegs::default(),
            pfault: [ucas_core::abi::KVM_S390_PFAULT_TOKEN_INVALID, 0, 0],
            pending: irq::Pending::default(),
        });
        Answer::NewVcpu(VcpuRef { vm, index })
    }

    /// `KVM_CREATE_DEVICE` on VM `vm` with the caller's struct (`None`:
    /// unreadable) at `addr`: only the FLIC exists on s390 in the model.
    pub fn vm_create_device(&mut self, vm: u32, dev: Option<CreateDevice>, addr: u64) -> Answer {
        let Some(dev) = dev else {
            return Answer::Error(Errno::FAULT);
        };
        let Some(v) = self.vms.get_mut(vm as usize) else {
            return Answer::Error(Errno::BADF);
        };
        if dev.type_ != KVM_DEV_TYPE_FLIC {
            return Answer::Unsupported(Errno::NODEV, "the model knows only the FLIC device");
        }
        if dev.flags & KVM_CREATE_DEVICE_TEST != 0 {
            return Answer::Value(0);
        }
        // One FLIC per VM.
        if v.flic.is_some() {
            return Answer::Error(Errno::INVAL);
        }
        v.flic = Some(Flic::default());
        Answer::NewFlic { vm, addr }
    }

    /// `KVM_SET_USER_MEMORY_REGION` or `KVM_SET_USER_MEMORY_REGION2` on VM
    /// `vm` with the caller's struct as read (`None`: unreadable; the first
    /// form read into the second with its guest_memfd fields zero). Every
    /// modelled generation has both forms (the second is 6.8's), and they
    /// answer alike: the first form's own flag check (no flags but dirty
    /// logging and read-only) refuses nothing the common check lets by on
    /// s390 (`model/slots.rs`).
    pub fn vm_set_memory_region(
        &mut self,
        vm: u32,
        region: Option<UserspaceMemoryRegion2>,
    ) -> Answer {
        let generation = self.generation;
        let Some(v) = self.vms.get_mut(vm as usize) else {
            return Answer::Error(Errno::BADF);
        };
        let Some(r) = region else {
            return Answer::Error(Errno::FAULT);
        };
        // s390 refuses every user slot of a ucontrol VM (its one slot is
        // the kernel's own, from generation B on).
        if v.ucontrol {
            return Answer::Error(Errno::INVAL);
        }
        match v.slots.set(generation, caps::REGULAR_MEM_LIMIT, &r) {
            Ok(change) => {
                // B's and C's arch hooks end migration mode for a slot
                // that keeps no dirty log (its bitmap is what migration
                // reads); the A tree read (about 5.17) does not.
                if generation != Generation::A
                    && change == (slots::Change::Stored { dirty_log: false })
                {
                    v.attrs.end_migration();
                }
                Answer::Value(0)
            }
            Err(slots::Refusal::Kernel(e)) => Answer::Error(e),
            Err(slots::Refusal::Full) => {
                // The note names the limit.
                const _: () = assert!(slots::SLOTS_MAX == 512);
                Answer::Unsupported(
                    Errno::NOMEM,
                    "the emulator keeps at most 512 memory slots per VM",
                )
            }
        }
    }

    /// Forgets the FLIC just created, because its fd could not be installed.
    pub fn discard_flic(&mut self, vm: u32) {
        if let Some(v) = self.vms.get_mut(vm as usize) {
            v.flic = None;
        }
    }

    /// An ioctl on VM `vm`'s FLIC fd; `attr` is the device-attribute
    /// argument as read (`None`: unreadable or not an attribute call).
    pub fn flic_ioctl(&self, vm: u32, call: Option<Ioctl>, attr: Option<DeviceAttr>) -> Answer {
        match call {
            Some(Ioctl::SetDeviceAttr | Ioctl::GetDeviceAttr | Ioctl::HasDeviceAttr) => {
                let Some(a) = attr else {
                    return Answer::Error(Errno::FAULT);
                };
                match call {
                    Some(Ioctl::HasDeviceAttr) => match flic::has(a.group) {
                        Ok(v) => Answer::Value(v),
                        Err(e) => Answer::Error(e),
                    },
                    Some(Ioctl::GetDeviceAttr) => Answer::FlicGet { vm, attr: a },
                    _ => Answer::FlicSet { vm, attr: a },
                }
            }
            // A device fd has no other ioctls.
            _ => Answer::Error(Errno::NOTTY),
        }
    }

    /// `KVM_GET_DEVICE_ATTR` on VM `vm`'s FLIC.
    ///
    /// # Errors
    /// As the kernel's FLIC (table V4); EBADF without a FLIC.
    pub fn flic_get(&self, vm: u32, attr: &DeviceAttr) -> Result<(Vec<u8>, i64), Errno> {
        let v = self.vms.get(vm as usize).ok_or(Errno::BADF)?;
        v.flic
            .as_ref()
            .ok_or(Errno::BADF)?
            .get(attr.group, attr.attr, v.ais)
    }

    /// `KVM_SET_DEVICE_ATTR` on VM `vm`'s FLIC with its payload.
    ///
    /// # Errors
    /// As the kernel's FLIC (table V4); EBADF without a FLIC.
    pub fn flic_set(&mut self, vm: u32, attr: &DeviceAttr, payload: &[u8]) -> Result<i64, Errno> {
        let v = self.vms.get_mut(vm as usize).ok_or(Errno::BADF)?;
        let (ucontrol, ais) = (v.ucontrol, v.ais);
        v.flic
            .as_mut()
            .ok_or(Errno::BADF)?
            .set(attr.group, attr.attr, attr.flags, payload, ucontrol, ais)
    }

    /// `KVM_SET_GSI_ROUTING` on VM `vm`: `header` is `(nr, flags)` as
    /// read (`None`: unreadable), `entries` the `nr` entries' types (`None`:
    /// unreadable). On a ucontrol VM every entry is refused (an s390
    /// adapter route needs the VM's address space).
    pub fn vm_gsi_routing(
        &self,
        vm: u32,
        header: Option<(u32, u32)>,
        entries: Option<&[u32]>,
    ) -> Answer {
        let Some((nr, flags)) = header else {
            return Answer::Error(Errno::FAULT);
        };
        if nr > KVM_MAX_IRQ_ROUTES || flags != 0 {
            return Answer::Error(Errno::INVAL);
        }
        if nr == 0 {
            return Answer::Value(0);
        }
        let Some(types) = entries else {
            return Answer::Error(Errno::FAULT);
        };
        if self.is_ucontrol(vm) {
            return Answer::Error(Errno::INVAL);
        }
        if types.iter().any(|&t| t != KVM_IRQ_ROUTING_S390_ADAPTER) {
            return Answer::Error(Errno::INVAL);
        }
        Answer::NotModelled(Ioctl::SetGsiRouting, Errno::NOTTY)
    }

    /// The bytes of CPU-model attribute `attr` of VM `vm`.
    #[must_use]
    pub fn cpu_model_get(&self, vm: u32, attr: CpuAttr) -> Vec<u8> {
        self.vms
            .get(vm as usize)
            .map_or_else(Vec::new, |v| v.cpu_model.get(attr))
    }

    /// Sets CPU-model attribute `attr` of VM `vm` from `raw`.
    ///
    /// # Errors
    /// As [`CpuModel::set`]; EBADF for an unknown VM.
    pub fn cpu_model_set(&mut self, vm: u32, attr: CpuAttr, raw: &[u8]) -> Result<(), Errno> {
        let v = self.vms.get_mut(vm as usize).ok_or(Errno::BADF)?;
        v.cpu_model.set(attr, raw)
    }

    /// `KVM_S390_STORE_STATUS(addr)` of ucontrol vcpu `r`, whose state the
    /// supervisor gathered in `s` (the prefix is the model's).
    ///
    /// # Errors
    /// EFAULT (`model/status.rs`).
    pub fn store_status(
        &self,
        r: VcpuRef,
        addr: u64,
        s: &mut Status,
        mem: &mut dyn CallerMemory,
    ) -> Result<i64, Errno> {
        let vcpu = self.vcpu(r).ok_or(Errno::BADF)?;
        s.prefix = u32::try_from(vcpu.regs.prefix).unwrap_or(0);
        let slots = self.is_ucontrol(r.vm) && self.generation != Generation::A;
        status::store_status(slots, addr, s, mem)
    }

    /// Injects a local interrupt (`KVM_S390_IRQ`, or `KVM_S390_INTERRUPT`
    /// with `from_interrupt`: the struct's type and parm) into vcpu `r`,
    /// which is `stopped` or not (`model/irq.rs`).
    ///
    /// # Errors
    /// EINVAL, EBUSY, EFAULT as the kernel.
    pub fn inject_vcpu(
        &mut self,
        r: VcpuRef,
        kind: u64,
        word: [u8; 4],
        from_interrupt: bool,
        stopped: bool,
    ) -> Result<i64, Errno> {
        let irq = if from_interrupt {
            let kind = u32::try_from(kind).map_err(|_| Errno::INVAL)?;
            irq::Irq::from_interrupt(kind, u32::from_ne_bytes(word))?
        } else {
            irq::Irq { kind, word }
        };
        let vm = self.vms.get_mut(r.vm as usize).ok_or(Errno::BADF)?;
        let ids: Vec<u32> = vm.vcpus.iter().map(|v| v.id).collect();
        let vcpu = vm.vcpus.get_mut(r.index as usize).ok_or(Errno::BADF)?;
        vcpu.pending
            .inject_and_queue(irq, stopped, |id| ids.contains(&u32::from(id)))
    }

    /// Whether a `KVM_S390_SET_IRQ_STATE` of vcpu `r` finds local
    /// interrupts pending already (EBUSY): `None` when the model cannot
    /// tell.
    #[must_use]
    pub fn irqs_pending(&self, r: VcpuRef) -> Option<bool> {
        match self.vcpu(r)?.pending.queued() {
            irq::Queued::None => Some(false),
            irq::Queued::Some => Some(true),
            irq::Queued::Unknown => None,
        }
    }

    /// Running vcpu `r` was stopped (`KVM_SET_MP_STATE`), which drops a
    /// pending SIGP stop.
    pub fn vcpu_stopped(&mut self, r: VcpuRef) {
        if let Some(v) = self.vcpu_mut(r) {
            v.pending.vcpu_stopped();
        }
    }

    /// A reset clears vcpu `r`'s local interrupts.
    pub fn clear_local_irqs(&mut self, r: VcpuRef) {
        if let Some(v) = self.vcpu_mut(r) {
            v.pending.clear();
        }
    }

    /// The pfault token, compare and select registers of vcpu `r`.
    pub fn pfault_regs(&mut self, r: VcpuRef) -> Option<&mut [u64; 3]> {
        self.vcpu_mut(r).map(|v| &mut v.pfault)
    }

    /// Whether the VM of `r` controls its vcpus' run state itself (after a
    /// `KVM_SET_MP_STATE`); `set` makes it so, for good.
    pub fn user_cpu_state(&mut self, r: VcpuRef, set: bool) -> bool {
        let Some(vm) = self.vms.get_mut(r.vm as usize) else {
            return false;
        };
        vm.user_cpu_state |= set;
        vm.user_cpu_state
    }

    /// `KVM_ENABLE_CAP` on VM fd `vm`, with the argument as read from the
    /// caller (`None`: unreadable). Table V2 of `KERNEL-INTERFACE.md`, for
    /// the modelled host (`caps.rs`).
    pub fn vm_enable_cap(&mut self, vm: u32, cap: Option<EnableCap>) -> Answer {
        let Some(v) = self.vms.get(vm as usize) else {
            return Answer::Error(Errno::BADF);
        };
        let Some(cap) = cap else {
            return Answer::Error(Errno::FAULT);
        };
        let has_vcpus = !v.vcpus.is_empty();
        let (ucontrol, generation) = (v.ucontrol, self.generation);
        // The generic capabilities come first, then the arch ones; an arch
        // capability refuses flags.
        if cap.cap == KVM_CAP_HALT_POLL {
            let fits = u32::try_from(cap.args[0]).is_ok();
            return if cap.flags == 0 && fits {
                Answer::Value(0)
            } else {
                Answer::Error(Errno::INVAL)
            };
        }
        if cap.flags != 0 {
            return Answer::Error(Errno::INVAL);
        }
        match cap.cap {
            KVM_CAP_S390_IRQCHIP => {
                if let Some(v) = self.vms.get_mut(vm as usize) {
                    v.irqchip = true;
                }
                Answer::Value(0)
            }
            KVM_CAP_S390_USER_SIGP | KVM_CAP_S390_USER_STSI | KVM_CAP_S390_USER_INSTR0 => {
                Answer::Value(0)
            }
            KVM_CAP_S390_USER_OPEREXEC if generation == Generation::C => Answer::Value(0),
            // 7.1: nested ESA-mode guests, for any VM (no ucontrol check).
            KVM_CAP_S390_VSIE_ESAMODE if self.release >= (7, 1) => Answer::Value(0),
            // Facilities the modelled host has: refused once a vcpu exists.
            KVM_CAP_S390_VECTOR_REGISTERS
            | KVM_CAP_S390_RI
            | KVM_CAP_S390_GS
            | KVM_CAP_S390_AIS
            | KVM_CAP_S390_CPU_TOPOLOGY
                if has_vcpus =>
            {
                Answer::Error(Errno::BUSY)
            }
            KVM_CAP_S390_AIS => {
                if let Some(v) = self.vms.get_mut(vm as usize) {
                    v.ais = true;
                }
                Answer::Value(0)
            }
            KVM_CAP_S390_VECTOR_REGISTERS
            | KVM_CAP_S390_RI
            | KVM_CAP_S390_GS
            | KVM_CAP_S390_CPU_TOPOLOGY => Answer::Value(0),
            // The vcpu check comes first; then huge pages are refused to a
            // ucontrol VM, and to every VM on a host without `hpage`.
            KVM_CAP_S390_HPAGE_1M if has_vcpus => Answer::Error(Errno::BUSY),
            // 7.2: 2 GiB pages, refused once a vcpu exists, else as the
            // modelled host's module parameter `hpage_2g` is off (and on a
            // ucontrol VM in any case).
            KVM_CAP_S390_HPAGE_2G if self.release >= (7, 2) && has_vcpus => {
                Answer::Error(Errno::BUSY)
            }
            KVM_CAP_S390_HPAGE_1M if ucontrol || !caps::HPAGE => Answer::Error(Errno::INVAL),
            KVM_CAP_S390_HPAGE_1M => Answer::Value(0),
            _ => Answer::Error(Errno::INVAL),
        }
    }

    /// Forgets the VM just created, because its fd could not be installed
    /// (the caller died): the kernel would have destroyed it.
    pub fn discard_vm(&mut self, vm: u32) {
        if vm as usize + 1 == self.vms.len() {
            self.vms.pop();
        }
    }

    /// Destroys VM `vm` because its last reference went: its vcpus (and
    /// their address spaces) and its FLIC are freed; the state report keeps
    /// what the address spaces held. Its index is never reused.
    pub fn destroy_vm(&mut self, vm: u32) {
        if let Some(v) = self.vms.get_mut(vm as usize)
            && v.destroyed.is_none()
        {
            crate::locked(&self.keys).forget_vm(vm);
            v.slots = Slots::default();
            v.destroyed = Some(v.vcpu_states());
            self.live_vcpus -= v.vcpus.len();
            v.vcpus = Vec::new();
            v.flic = None;
            v.eventfds = eventfds::Eventfds::default();
        }
    }

    /// `KVM_IRQFD` on VM `vm` (`None`: the struct could not be read), its
    /// `fd` and `resamplefd` as the supervisor found them.
    pub fn vm_irqfd(
        &mut self,
        vm: u32,
        args: Option<ucas_core::abi::Irqfd>,
        fd: EventfdRef,
        resample: EventfdRef,
    ) -> Answer {
        let Some(args) = args else {
            return Answer::Error(Errno::FAULT);
        };
        let generation = self.generation;
        let at = (vm as usize).min(self.vms.len());
        let (before, rest) = self.vms.split_at_mut(at);
        let Some((v, after)) = rest.split_first_mut() else {
            return Answer::Error(Errno::BADF);
        };
        let elsewhere = |id| {
            before
                .iter()
                .chain(after.iter())
                .any(|o| o.eventfds.has_irqfd(id))
        };
        match v.eventfds.irqfd(generation, &args, fd, resample, elsewhere) {
            Ok(value) => Answer::Value(value),
            Err(e) => Answer::Error(e),
        }
    }

    /// `KVM_IOEVENTFD` on VM `vm` (`None`: the struct could not be read)
    /// with its `fd` as the supervisor found it.
    pub fn vm_ioeventfd(
        &mut self,
        vm: u32,
        args: Option<ucas_core::abi::Ioeventfd>,
        fd: EventfdRef,
    ) -> Answer {
        let Some(args) = args else {
            return Answer::Error(Errno::FAULT);
        };
        let Some(v) = self.vms.get_mut(vm as usize) else {
            return Answer::Error(Errno::BADF);
        };
        match v.eventfds.ioeventfd(&args, fd) {
            Ok(value) => Answer::Value(value),
            Err(e) => Answer::Error(e),
        }
    }

    /// Whether eventfd `id` is attached to any VM.
    #[must_use]
    pub fn eventfd_in_use(&self, id: u64) -> bool {
        self.vms.iter().any(|v| v.eventfds.uses(id))
    }

    /// Forgets the vcpu just created, for the same reason.
    pub fn discard_vcpu(&mut self, r: VcpuRef) {
        if let Some(vm) = self.vms.get_mut(r.vm as usize)
            && r.index as usize + 1 == vm.vcpus.len()
        {
            vm.vcpus.pop();
            self.live_vcpus -= 1;
        }
    }

    /// An ioctl on a vcpu fd. `mapping` is the argument struct of
    /// `UCAS_MAP`/`UCAS_UNMAP` as read from the tracee, `None` if unreadable.
    pub fn vcpu_ioctl(
        &mut self,
        vcpu: VcpuRef,
        call: Option<Ioctl>,
        arg: u64,
        mapping: Option<UcasMapping>,
    ) -> Answer {
        match call {
            Some(Ioctl::UcasMap) | Some(Ioctl::UcasUnmap) => {
                let Some(m) = mapping else {
                    return Answer::Error(Errno::FAULT);
                };
                if !self.is_ucontrol(vcpu.vm) {
                    return Answer::Error(Errno::INVAL);
                }
                let r = if call == Some(Ioctl::UcasMap) {
                    self.map(vcpu, &m)
                } else {
                    self.unmap(vcpu, &m)
                };
                match r {
                    Ok(()) => Answer::Value(0),
                    Err(e) => Answer::Error(e),
                }
            }
            Some(Ioctl::VcpuFault) => self.fault(vcpu, arg),
            Some(Ioctl::Run) if self.is_ucontrol(vcpu.vm) => Answer::Run(vcpu),
            Some(Ioctl::Run) => Answer::Unsupported(
                Errno::NOSYS,
                "KVM_RUN of a regular VM's vcpu is not emulated",
            ),
            Some(
                ioctl @ (Ioctl::GetRegs
                | Ioctl::SetRegs
                | Ioctl::GetSregs
                | Ioctl::SetSregs
                | Ioctl::GetMpState
                | Ioctl::SetMpState
                | Ioctl::S390SetInitialPsw
                | Ioctl::S390InitialReset
                | Ioctl::S390NormalReset
                | Ioctl::S390ClearReset
                | Ioctl::GetOneReg
                | Ioctl::SetOneReg
                | Ioctl::GetFpu
                | Ioctl::SetFpu
                | Ioctl::S390StoreStatus
                | Ioctl::SetGuestDebug
                | Ioctl::S390Irq
                | Ioctl::S390Interrupt),
            ) if self.is_ucontrol(vcpu.vm) => Answer::VcpuState(vcpu, ioctl),
            // The interrupt state of a ucontrol vcpu, while the model knows
            // what is pending: none at all for reading it, or whether any
            // is for writing it (`model/irq.rs`).
            Some(ioctl @ (Ioctl::S390GetIrqState | Ioctl::S390SetIrqState))
                if self.is_ucontrol(vcpu.vm)
                    && match self.irqs_pending(vcpu) {
                        Some(pending) => !pending || ioctl == Ioctl::S390SetIrqState,
                        None => false,
                    } =>
            {
                Answer::VcpuState(vcpu, ioctl)
            }
            // Not a PV host: no protected vcpu commands.
            Some(Ioctl::S390PvCpuCommand) => Answer::Error(Errno::INVAL),
            // Generic from 7.2 on s390; a regular VM's is not modelled.
            Some(Ioctl::PreFaultMemory) if self.release >= (7, 2) && !self.is_ucontrol(vcpu.vm) => {
                Answer::NotModelled(Ioctl::PreFaultMemory, Errno::NOTTY)
            }
            Some(
                call @ (Ioctl::S390MemOp
                | Ioctl::EnableCap
                | Ioctl::Translate
                | Ioctl::SetSignalMask),
            ) => Answer::WithMemory {
                object: Object::Vcpu(vcpu),
                call,
                arg,
            },
            Some(call @ Ioctl::PreFaultMemory) if self.release >= (7, 2) => Answer::WithMemory {
                object: Object::Vcpu(vcpu),
                call,
                arg,
            },
            Some(Ioctl::GetStatsFd) => match self.vcpu(vcpu) {
                Some(v) => Answer::StatsFd {
                    id: StatsId::Vcpu(v.id()),
                },
                None => Answer::Error(Errno::BADF),
            },
            Some(ioctl) if VCPU_IOCTLS.contains(&ioctl) => Answer::NotModelled(ioctl, Errno::NOTTY),
            _ => Answer::Error(Errno::NOTTY),
        }
    }

    /// What `KVM_RUN` of vcpu `r` works with: the generation, the vcpu's
    /// address space (shared: nothing changes it until the run is over),
    /// a copy of its kept registers (the run's [`Self::set_guest_regs`]
    /// puts them back) and the storage keys.
    pub fn guest(&self, r: VcpuRef) -> Option<RunInputs<N>> {
        let vcpu = self.vcpu(r)?;
        Some(RunInputs {
            generation: self.generation,
            space: Arc::clone(&vcpu.space),
            regs: vcpu.regs,
            keys: Arc::clone(&self.keys),
        })
    }

    /// Keeps `regs` as vcpu `r`'s registers, at the end of its run.
    pub fn set_guest_regs(&mut self, r: VcpuRef, regs: GuestRegs) {
        if let Some(vcpu) = self.vcpu_mut(r) {
            vcpu.regs = regs;
        }
    }

    /// The storage keys, locked (never poisoned for good: a panic while
    /// they were held left them consistent, each update being one store).
    fn keys(&self) -> MutexGuard<'_, KeyStore> {
        crate::locked(&self.keys)
    }

    /// Carries out [`Answer::WithMemory`]: `call` on `object` with the
    /// argument at `arg` in the caller's memory `mem` (`model/keys.rs`,
    /// `model/memop.rs`).
    ///
    /// # Errors
    /// As the kernel of the generation answers (EFAULT, EINVAL, …).
    pub fn with_memory(
        &mut self,
        object: Object,
        call: Ioctl,
        arg: u64,
        mem: &mut dyn CallerMemory,
    ) -> Result<i64, Errno> {
        let (vm, target) = match object {
            Object::Vm(vm) => (vm, memop::Target::Vm),
            Object::Vcpu(r) => {
                let prefix = self.vcpu(r).ok_or(Errno::BADF)?.regs.prefix;
                (r.vm, memop::Target::Vcpu { prefix })
            }
            _ => return Err(Errno::NOTTY),
        };
        if matches!(call, Ioctl::GetDeviceAttr | Ioctl::SetDeviceAttr) {
            let mut raw = [0u8; size_of::<DeviceAttr>()];
            if !mem.read(arg, &mut raw) {
                return Err(Errno::FAULT);
            }
            let word =
                |at: usize| u64::from_ne_bytes(raw[at..at + 8].try_into().unwrap_or_default());
            let half =
                |at: usize| u32::from_ne_bytes(raw[at..at + 4].try_into().unwrap_or_default());
            let a = DeviceAttr {
                flags: half(0),
                group: half(4),
                attr: word(8),
                addr: word(16),
            };
            let ctx = self.attr_context(vm);
            let v = self.vms.get_mut(vm as usize).ok_or(Errno::BADF)?;
            return v.attrs.access(ctx, call == Ioctl::SetDeviceAttr, &a, mem);
        }
        if let Some(r) = self.generic_vcpu_call(call, arg, mem) {
            return r;
        }
        if call == Ioctl::PreFaultMemory {
            return pre_fault_ucontrol(arg, mem);
        }
        if call == Ioctl::S390Interrupt {
            let mut raw = [0u8; size_of::<ucas_core::abi::S390Interrupt>()];
            if !mem.read(arg, &mut raw) {
                return Err(Errno::FAULT);
            }
            return irq::inject_floating(u32::from_ne_bytes(
                raw[0..4].try_into().unwrap_or_default(),
            ));
        }
        if matches!(call, Ioctl::S390GetCmmaBits | Ioctl::S390SetCmmaBits) {
            // Without host CMMA no VM can have it switched on: once the
            // struct is read, both answer ENXIO before looking at it.
            let mut raw = [0u8; size_of::<ucas_core::abi::S390CmmaLog>()];
            if !mem.read(arg, &mut raw) {
                return Err(Errno::FAULT);
            }
            return Err(Errno::NXIO);
        }
        if call == Ioctl::S390MemOp {
            let mut raw = [0u8; size_of::<ucas_core::abi::S390MemOp>()];
            if !mem.read(arg, &mut raw) {
                return Err(Errno::FAULT);
            }
            let ucontrol = self.is_ucontrol(vm);
            let op = memop::MemOp::parse(&raw);
            let r = memop::mem_op(&mut self.keys(), self.generation, ucontrol, target, op, mem);
            // The kernel would queue the program interruption it answers
            // with; the model does not, and no longer knows what is
            // pending.
            let flags_at = core::mem::offset_of!(ucas_core::abi::S390MemOp, flags);
            let flags =
                u64::from_ne_bytes(raw[flags_at..flags_at + 8].try_into().unwrap_or_default());
            if let (Object::Vcpu(v), Ok(1..)) = (object, r)
                && flags & ucas_core::abi::KVM_S390_MEMOP_F_INJECT_EXCEPTION != 0
                && let Some(vcpu) = self.vcpu_mut(v)
            {
                vcpu.pending.lost_track();
            }
            return r;
        }
        self.vm_keys(vm, call, arg, mem)
    }

    /// The vcpu requests whose answer depends only on their argument:
    /// `KVM_ENABLE_CAP` (only `KVM_CAP_S390_CSS_SUPPORT`, which turns on
    /// channel-subsystem support for the VM and cannot fail; flags EINVAL),
    /// `KVM_TRANSLATE` (s390 does not implement it: EINVAL once the struct
    /// was read) and `KVM_SET_SIGNAL_MASK` (NULL clears the mask; a length
    /// other than 8 EINVAL; the mask is accepted and, as the emulator
    /// interrupts runs only by budget, has no effect). `None` for others.
    fn generic_vcpu_call(
        &self,
        call: Ioctl,
        arg: u64,
        mem: &mut dyn CallerMemory,
    ) -> Option<Result<i64, Errno>> {
        let read = |mem: &mut dyn CallerMemory, at: u64, buf: &mut [u8]| {
            if mem.read(at, buf) {
                Ok(())
            } else {
                Err(Errno::FAULT)
            }
        };
        Some(match call {
            Ioctl::EnableCap => {
                let mut raw = [0u8; size_of::<EnableCap>()];
                read(mem, arg, &mut raw).and_then(|()| {
                    let cap = u32::from_ne_bytes(raw[0..4].try_into().unwrap_or_default());
                    let flags = u32::from_ne_bytes(raw[4..8].try_into().unwrap_or_default());
                    if flags == 0 && cap == ucas_core::abi::KVM_CAP_S390_CSS_SUPPORT {
                        Ok(0)
                    } else {
                        Err(Errno::INVAL)
                    }
                })
            }
            Ioctl::Translate => {
                let mut raw = [0u8; size_of::<ucas_core::abi::Translation>()];
                read(mem, arg, &mut raw).and(Err(Errno::INVAL))
            }
            Ioctl::SetSignalMask if arg == 0 => Ok(0),
            Ioctl::SetSignalMask => {
                let mut len = [0u8; 4];
                read(mem, arg, &mut len).and_then(|()| {
                    if u32::from_ne_bytes(len) != 8 {
                        return Err(Errno::INVAL);
                    }
                    let mut set = [0u8; 8];
                    read(mem, arg.wrapping_add(4), &mut set).map(|()| 0)
                })
            }
            _ => return None,
        })
    }

    fn vm_keys(
        &mut self,
        vm: u32,
        call: Ioctl,
        arg: u64,
        mem: &mut dyn CallerMemory,
    ) -> Result<i64, Errno> {
        use core::mem::offset_of;
        use ucas_core::abi::S390Skeys;
        let v = self.vms.get(vm as usize).ok_or(Errno::BADF)?;
        let frames = match (v.ucontrol, self.generation) {
            (true, _) => keys::Frames::User,
            (false, Generation::C) => keys::Frames::Guest(vm, &v.slots),
            (false, _) => keys::Frames::Slots(&v.slots),
        };
        // 7.2 stopped handing the walk's addressing code to userspace.
        let leaks_addressing = self.release < (7, 2);
        if call == Ioctl::S390Keyop {
            return self.keys().keyop(frames, leaks_addressing, arg, mem);
        }
        let mut raw = [0u8; size_of::<S390Skeys>()];
        if !mem.read(arg, &mut raw) {
            return Err(Errno::FAULT);
        }
        let word = |at: usize| u64::from_ne_bytes(raw[at..at + 8].try_into().unwrap_or_default());
        let flags = offset_of!(S390Skeys, flags);
        let args = S390Skeys {
            start_gfn: word(offset_of!(S390Skeys, start_gfn)),
            count: word(offset_of!(S390Skeys, count)),
            skeydata_addr: word(offset_of!(S390Skeys, skeydata_addr)),
            flags: u32::from_ne_bytes(raw[flags..flags + 4].try_into().unwrap_or_default()),
            ..S390Skeys::default()
        };
        let skeys = keys::SkeysCall {
            generation: self.generation,
            vm,
            frames,
            args,
            leaks_addressing,
        };
        if call == Ioctl::S390GetSkeys {
            self.keys().get_skeys(&skeys, mem)
        } else {
            self.keys().set_skeys(&skeys, mem)
        }
    }

    fn map(&mut self, r: VcpuRef, m: &UcasMapping) -> Result<(), Errno> {
        let generation = self.generation;
        let fail_at = self.enomem.fail_at();
        let Some(vcpu) = self.vcpu_mut(r) else {
            return Err(Errno::BADF);
        };
        let result = change_space(&mut vcpu.space, |s| s.map(m, fail_at));
        // Replaced or (A/B, on ENOMEM) removed segments lose their links.
        let first = m.vcpu_addr >> SEGMENT_SHIFT;
        let count = m.length >> SEGMENT_SHIFT;
        match result {
            Ok(stored) => {
                vcpu.unlink_range(first, stored);
                self.enomem.stored = self.enomem.stored.saturating_add(stored);
                Ok(())
            }
            Err(e) => {
                if e.errno() == Errno::NOMEM {
                    let stored = e.stored();
                    let cleared = if generation.enomem_keeps_prefix() {
                        stored
                    } else {
                        count
                    };
                    vcpu.unlink_range(first, cleared);
                    self.enomem.stored = self.enomem.stored.saturating_add(stored);
                    if fail_at == Some(stored) {
                        self.enomem.fired = true;
                    }
                }
                Err(e.errno())
            }
        }
    }

    fn unmap(&mut self, r: VcpuRef, m: &UcasMapping) -> Result<(), Errno> {
        let Some(vcpu) = self.vcpu_mut(r) else {
            return Err(Errno::BADF);
        };
        change_space(&mut vcpu.space, |s| s.unmap(m.vcpu_addr, m.length)).map_err(|e| e.errno())?;
        vcpu.unlink_range(m.vcpu_addr >> SEGMENT_SHIFT, m.length >> SEGMENT_SHIFT);
        Ok(())
    }

    fn fault(&mut self, r: VcpuRef, vcpu_addr: u64) -> Answer {
        let generation = self.generation;
        let Some(vm) = self.vms.get(r.vm as usize) else {
            return Answer::Error(Errno::BADF);
        };
        if !vm.ucontrol {
            // A regular VM's guest addresses go through its memory slots.
            // Outside them, A's VM address space has no segment (EFAULT);
            // B injects an addressing exception into the vcpu (which the
            // model does not keep) and succeeds; C answers EFAULT again
            // (the 7.0-rc fix 0a28e06575b3, in v7.0).
            return match vm.slots.translate(vcpu_addr) {
                Some(user_addr) => Answer::FaultIn {
                    vcpu: r,
                    vcpu_addr,
                    user_addr,
                },
                None if generation == Generation::B => Answer::Value(0),
                None => Answer::Error(Errno::FAULT),
            };
        }
        let Some(vcpu) = self.vcpu(r) else {
            return Answer::Error(Errno::BADF);
        };
        match vcpu.space.space().translate(vcpu_addr) {
            Some(user_addr) => Answer::FaultIn {
                vcpu: r,
                vcpu_addr,
                user_addr,
            },
            None if generation.unmapped_fault_sets_exit() => Answer::UcontrolExit {
                errno: generation.unmapped_fault_errno(),
                vcpu: r,
                trans_exc_code: page_round_down(vcpu_addr),
            },
            None => Answer::Error(generation.unmapped_fault_errno()),
        }
    }

    /// Completes a `KVM_S390_VCPU_FAULT` whose user page the tracee has:
    /// links the vcpu segment to its user segment. Generations A and B
    /// refuse a second vcpu segment on the same user segment (EEXIST).
    pub fn fault_link(&mut self, r: VcpuRef, vcpu_addr: u64, user_addr: u64) -> Result<(), Errno> {
        if self.generation.allows_shared_user_segment() || !self.is_ucontrol(r.vm) {
            return Ok(());
        }
        let Some(vcpu) = self.vcpu_mut(r) else {
            return Err(Errno::BADF);
        };
        let (u, v) = (user_addr >> SEGMENT_SHIFT, vcpu_addr >> SEGMENT_SHIFT);
        match vcpu.links.iter().find(|&&(lu, _)| lu == u) {
            Some(&(_, lv)) if lv == v => Ok(()),
            Some(_) => Err(Errno::EXIST),
            None => {
                vcpu.links.push((u, v));
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    /// Small tables: test threads have small stacks.
    type M = Model<64>;

    /// A ucontrol VM with vcpu 0.
    fn vm_with_vcpu(g: Generation, enomem: Option<u64>) -> (M, VcpuRef) {
        vm_of_type(g, enomem, KVM_VM_S390_UCONTROL)
    }

    /// A regular VM with vcpu 0.
    fn regular_vm(g: Generation) -> (M, VcpuRef) {
        vm_of_type(g, None, 0)
    }

    fn vm_of_type(g: Generation, enomem: Option<u64>, machine_type: u64) -> (M, VcpuRef) {
        let mut m = M::new(g, enomem);
        let Answer::NewVm(vm) = m.dev_ioctl(Some(Ioctl::CreateVm), machine_type, true) else {
            panic!("no vm")
        };
        let Answer::NewVcpu(v) = m.vm_ioctl(vm, Some(Ioctl::CreateVcpu), 0, None) else {
            panic!("no vcpu")
        };
        (m, v)
    }

    fn map(m: &mut M, v: VcpuRef, user: u64, vcpu: u64, len: u64) -> Answer {
        m.vcpu_ioctl(
            v,
            Some(Ioctl::UcasMap),
            0,
            Some(UcasMapping {
                user_addr: user,
                vcpu_addr: vcpu,
                length: len,
            }),
        )
    }

    #[test]
    fn online_cpus_are_the_kernels_not_the_threads_affinity() {
        let online = host_online_cpus().expect("the kernel lists its online CPUs");
        // Pinned to one CPU, as under `taskset -c 0` or a container's
        // cpuset: the kernel's num_online_cpus() does not change.
        let pinned = std::thread::spawn(move || {
            let mut one = rustix::thread::CpuSet::new();
            one.set(0);
            rustix::thread::sched_setaffinity(None, &one).expect("pin to CPU 0");
            Model::<4>::new(Generation::C, None).online_cpus
        });
        assert_eq!(pinned.join().unwrap(), online);
    }

    #[test]
    fn decodes_requests() {
        assert_eq!(Ioctl::from_number(0xAE00), Some(Ioctl::GetApiVersion));
        assert_eq!(Ioctl::from_number(0x4018_AE50), Some(Ioctl::UcasMap));
        assert_eq!(
            Ioctl::from_number(0x4020_AE46),
            Some(Ioctl::SetUserMemoryRegion)
        );
        assert_eq!(Ioctl::from_number(0x4010_AE42), Some(Ioctl::GetDirtyLog));
        assert_eq!(Ioctl::from_number(0xC018_AEC0), Some(Ioctl::ClearDirtyLog));
        assert_eq!(
            Ioctl::from_number(0x40A0_AE49),
            Some(Ioctl::SetUserMemoryRegion2)
        );
        assert_eq!(Ioctl::from_number(0xAE99), None);
    }

    #[test]
    fn dev_rules() {
        let mut m = M::new(Generation::C, None);
        assert_eq!(
            m.dev_ioctl(Some(Ioctl::GetApiVersion), 0, true),
            Answer::Value(12)
        );
        assert_eq!(
            m.dev_ioctl(Some(Ioctl::GetApiVersion), 1, true),
            Answer::Error(Errno::INVAL)
        );
        assert_eq!(
            m.dev_ioctl(Some(Ioctl::CheckExtension), 73, true),
            Answer::Value(1)
        );
        assert_eq!(
            m.dev_ioctl(Some(Ioctl::CheckExtension), 72, true),
            Answer::Value(0)
        );
        assert_eq!(
            m.dev_ioctl(Some(Ioctl::GetVcpuMmapSize), 0, true),
            Answer::Value(4096)
        );
        assert_eq!(
            m.dev_ioctl(Some(Ioctl::CreateVm), 2, true),
            Answer::Error(Errno::INVAL)
        );
        assert_eq!(
            m.dev_ioctl(Some(Ioctl::CreateVm), 1, false),
            Answer::Error(Errno::INVAL)
        );
        assert_eq!(
            m.dev_ioctl(Some(Ioctl::CreateVm), 1, true),
            Answer::NewVm(0)
        );
        assert_eq!(
            m.dev_ioctl(Some(Ioctl::CreateVm), 0, false),
            Answer::NewVm(1)
        );
        assert_eq!(
            m.dev_ioctl(Some(Ioctl::Run), 0, true),
            Answer::Error(Errno::INVAL)
        );
        assert!(m.vms()[0].is_ucontrol());
        assert!(!m.vms()[1].is_ucontrol());
    }

    #[test]
    fn vm_rules() {
        let (mut m, v) = vm_with_vcpu(Generation::B, None);
        assert_eq!(
            m.vm_ioctl(0, Some(Ioctl::CreateVcpu), 0, None),
            Answer::Error(Errno::EXIST)
        );
        assert_eq!(
            m.vm_ioctl(0, Some(Ioctl::CreateVcpu), 256, None),
            Answer::Error(Errno::INVAL)
        );
        assert_eq!(
            m.vm_ioctl(0, Some(Ioctl::CreateVcpu), 1 << 32, None),
            Answer::Error(Errno::INVAL)
        );
        assert_eq!(
            m.vm_ioctl(0, Some(Ioctl::CreateVcpu), 255, None),
            Answer::Error(Errno::INVAL)
        );
        assert_eq!(
            m.vm_ioctl(0, Some(Ioctl::CreateVcpu), 254, None),
            Answer::NewVcpu(VcpuRef { vm: 0, index: 1 })
        );
        // The struct is read first: unreadable, EFAULT even on ucontrol.
        assert_eq!(
            m.vm_ioctl(0, Some(Ioctl::SetUserMemoryRegion), 0, None),
            Answer::Error(Errno::FAULT)
        );
        assert_eq!(
            m.vm_ioctl(0, Some(Ioctl::GetDirtyLog), 0, None),
            Answer::Error(Errno::INVAL)
        );
        for c in [
            Some(Ioctl::UcasMap),
            Some(Ioctl::UcasUnmap),
            Some(Ioctl::VcpuFault),
            Some(Ioctl::Run),
        ] {
            assert_eq!(m.vm_ioctl(0, c, 0, None), Answer::Error(Errno::NOTTY));
        }
        assert_eq!(
            m.vcpu_ioctl(v, Some(Ioctl::CreateVcpu), 1, None),
            Answer::Error(Errno::NOTTY)
        );
        assert_eq!(m.vcpu_ioctl(v, Some(Ioctl::Run), 0, None), Answer::Run(v));
        assert_eq!(
            m.vcpu_ioctl(v, Some(Ioctl::UcasMap), 0, None),
            Answer::Error(Errno::FAULT)
        );
    }

    #[test]
    fn memory_limit_attribute() {
        let (mut m, _) = vm_with_vcpu(Generation::A, None);
        let limit = DeviceAttr {
            flags: 0,
            group: KVM_S390_VM_MEM_CTRL,
            attr: KVM_S390_VM_MEM_LIMIT_SIZE,
            addr: 0x1000,
        };
        let ask = |m: &mut M, call, attr| m.vm_ioctl(0, call, 0, attr);
        assert_eq!(
            ask(&mut m, Some(Ioctl::HasDeviceAttr), Some(limit)),
            Answer::Value(0)
        );
        assert_eq!(
            ask(&mut m, Some(Ioctl::GetDeviceAttr), Some(limit)),
            Answer::StoreU64 {
                addr: 0x1000,
                value: u64::MAX
            }
        );
        assert_eq!(
            ask(&mut m, Some(Ioctl::SetDeviceAttr), Some(limit)),
            Answer::Error(Errno::INVAL)
        );
        assert_eq!(
            ask(&mut m, Some(Ioctl::GetDeviceAttr), None),
            Answer::Error(Errno::FAULT)
        );
        // CMMA (0, 1) on a host without it, and an attribute the group
        // does not have.
        for attr in [0, 1, 3] {
            let other = DeviceAttr { attr, ..limit };
            for call in [Ioctl::HasDeviceAttr, Ioctl::GetDeviceAttr] {
                assert_eq!(
                    ask(&mut m, Some(call), Some(other)),
                    Answer::Error(Errno::NXIO)
                );
            }
        }
        assert_eq!(Ioctl::from_number(0x4018_AEE2), Some(Ioctl::GetDeviceAttr));
    }

    #[test]
    fn create_irqchip_needs_the_capability_and_cmma_the_host() {
        for g in Generation::ALL {
            for (mut m, _) in [vm_with_vcpu(g, None), regular_vm(g)] {
                let irqchip = |m: &mut M| m.vm_ioctl(0, Some(Ioctl::CreateIrqchip), 0, None);
                assert_eq!(irqchip(&mut m), Answer::Error(Errno::INVAL));
                // Another capability does not do.
                let mut cap = EnableCap {
                    cap: KVM_CAP_S390_USER_SIGP,
                    ..EnableCap::default()
                };
                assert_eq!(m.vm_enable_cap(0, Some(cap)), Answer::Value(0));
                assert_eq!(irqchip(&mut m), Answer::Error(Errno::INVAL));
                cap.cap = KVM_CAP_S390_IRQCHIP;
                assert_eq!(m.vm_enable_cap(0, Some(cap)), Answer::Value(0));
                assert_eq!(irqchip(&mut m), Answer::Value(0));
                assert_eq!(irqchip(&mut m), Answer::Value(0));
                assert_eq!(
                    m.vm_ioctl(0, Some(Ioctl::ResetDirtyRings), 0, None),
                    Answer::Error(Errno::INVAL)
                );
                // CMMA: EFAULT for an unreadable struct, else ENXIO.
                let mut mem = keys::Mem(vec![0; 0x100]);
                for call in [Ioctl::S390GetCmmaBits, Ioctl::S390SetCmmaBits] {
                    assert_eq!(
                        m.vm_ioctl(0, Some(call), 0x10000, None),
                        Answer::WithMemory {
                            object: Object::Vm(0),
                            call,
                            arg: 0x10000
                        }
                    );
                    let at = |m: &mut M, mem: &mut keys::Mem, arg| {
                        m.with_memory(Object::Vm(0), call, arg, mem)
                    };
                    assert_eq!(at(&mut m, &mut mem, 0x10000), Err(Errno::NXIO));
                    assert_eq!(at(&mut m, &mut mem, 0x100e0 + 1), Err(Errno::FAULT));
                }
            }
        }
    }

    #[test]
    fn regular_vm_vcpus_refuse_ucas() {
        let mut m = M::new(Generation::C, None);
        assert_eq!(
            m.dev_ioctl(Some(Ioctl::CreateVm), 0, true),
            Answer::NewVm(0)
        );
        let Answer::NewVcpu(v) = m.vm_ioctl(0, Some(Ioctl::CreateVcpu), 3, None) else {
            panic!()
        };
        assert_eq!(map(&mut m, v, 0, 0, MIB), Answer::Error(Errno::INVAL));
        assert_eq!(
            m.vcpu_ioctl(v, Some(Ioctl::UcasMap), 0, None),
            Answer::Error(Errno::FAULT)
        );
        // No slot: C (v7.0, after 0a28e06575b3) answers EFAULT.
        assert_eq!(
            m.vcpu_ioctl(v, Some(Ioctl::VcpuFault), 0, None),
            Answer::Error(Errno::FAULT)
        );
        assert!(matches!(
            m.vcpu_ioctl(v, Some(Ioctl::Run), 0, None),
            Answer::Unsupported(Errno::NOSYS, _)
        ));
    }

    fn region(slot: u32, gpa: u64, size: u64, uaddr: u64) -> Option<UserspaceMemoryRegion2> {
        Some(UserspaceMemoryRegion2 {
            slot,
            guest_phys_addr: gpa,
            memory_size: size,
            userspace_addr: uaddr,
            ..UserspaceMemoryRegion2::default()
        })
    }

    #[test]
    fn regular_vms_get_memory_slots_and_ucontrol_vms_none() {
        for g in Generation::ALL {
            let (mut m, v) = regular_vm(g);
            for slot in [0, 1] {
                let gpa = u64::from(slot) * 4 * MIB;
                let r = region(slot, gpa, 2 * MIB, 64 * MIB + gpa);
                assert_eq!(m.vm_set_memory_region(0, r), Answer::Value(0));
            }
            let set = |m: &mut M, r| m.vm_set_memory_region(0, r);
            assert_eq!(
                set(&mut m, region(7, MIB, MIB, 128 * MIB)),
                Answer::Error(Errno::EXIST)
            );
            assert_eq!(
                set(&mut m, region(7, 8 * MIB, MIB, 128 * MIB + 4096)),
                Answer::Error(Errno::INVAL)
            );
            assert_eq!(set(&mut m, None), Answer::Error(Errno::FAULT));
            assert_eq!(
                m.vms()[0].slots().translate(4 * MIB + 5),
                Some(68 * MIB + 5)
            );
            let _ = v;
            // The table is bounded: past it the emulator refuses, saying so.
            for i in 2..slots::SLOTS_MAX as u64 {
                let r = region(i as u32, i * 4 * MIB, MIB, 64 * MIB);
                assert_eq!(set(&mut m, r), Answer::Value(0));
            }
            let full = set(
                &mut m,
                region(slots::SLOTS_MAX as u32, 1 << 40, MIB, 64 * MIB),
            );
            assert!(
                matches!(full, Answer::Unsupported(Errno::NOMEM, _)),
                "{full:?}"
            );
            // The slots go with the VM.
            m.destroy_vm(0);
            assert!(m.vms()[0].slots().is_empty());
            // A ucontrol VM has no user slots (test uc_no_user_region).
            let (mut m, _) = vm_with_vcpu(g, None);
            let r = region(1, 0, MIB, 64 * MIB);
            assert_eq!(m.vm_set_memory_region(0, r), Answer::Error(Errno::INVAL));
            assert!(m.vms()[0].slots().is_empty());
        }
    }

    #[test]
    fn vcpu_fault_of_a_regular_vm_goes_through_its_slots() {
        for g in Generation::ALL {
            let (mut m, v) = regular_vm(g);
            let r = region(0, 0, MIB, 64 * MIB);
            assert_eq!(m.vm_set_memory_region(0, r), Answer::Value(0));
            assert_eq!(
                m.vcpu_ioctl(v, Some(Ioctl::VcpuFault), 0x8_1234, None),
                Answer::FaultIn {
                    vcpu: v,
                    vcpu_addr: 0x8_1234,
                    user_addr: 64 * MIB + 0x8_1234
                }
            );
            // Faulting in never links segments on a regular VM.
            assert_eq!(m.fault_link(v, 0x8_1234, 64 * MIB + 0x8_1234), Ok(()));
            // Outside every slot: A's gmap has no segment there, B
            // injects an addressing exception and succeeds, C answers
            // EFAULT (v7.0's fix of the ioctl).
            let miss = m.vcpu_ioctl(v, Some(Ioctl::VcpuFault), MIB, None);
            let want = if g == Generation::B {
                Answer::Value(0)
            } else {
                Answer::Error(Errno::FAULT)
            };
            assert_eq!(miss, want, "{g:?}");
        }
    }

    /// `KVM_S390_GET_SKEYS` or `SET_SKEYS` on VM 0 of `frames` frames from
    /// `gfn`, the keys at 0x10100 of `mem`.
    fn skeys(m: &mut M, mem: &mut keys::Mem, call: Ioctl, gfn: u64, count: u64) -> i64 {
        let args = [gfn, count, 0x10100];
        for (i, w) in args.iter().enumerate() {
            mem.0[8 * i..8 * i + 8].copy_from_slice(&w.to_ne_bytes());
        }
        mem.0[24..64].fill(0);
        match m.with_memory(Object::Vm(0), call, 0x10000, mem) {
            Ok(v) => v,
            Err(e) => -i64::from(e.raw_os_error()),
        }
    }

    #[test]
    fn storage_keys_of_a_regular_vm_go_through_its_slots_in_a_and_b() {
        for g in Generation::ALL {
            let (mut m, _) = regular_vm(g);
            let mut mem = keys::Mem(vec![0; 0x10000]);
            let r = region(0, 256 * 4096, MIB, 64 * MIB);
            assert_eq!(m.vm_set_memory_region(0, r), Answer::Value(0));
            let get = Ioctl::S390GetSkeys;
            assert_eq!(skeys(&mut m, &mut mem, get, 256, 2), keys::GET_SKEYS_NONE);
            mem.0[0x100..0x102].copy_from_slice(&[0x30, 0x16]);
            let set = skeys(&mut m, &mut mem, Ioctl::S390SetSkeys, 257, 2);
            assert_eq!(set, 0, "{g:?}");
            mem.0[0x100..0x104].fill(0);
            assert_eq!(skeys(&mut m, &mut mem, get, 256, 4), 0, "{g:?}");
            assert_eq!(&mem.0[0x100..0x104], &[0, 0x30, 0x16, 0]);
            let inputs = m.guest(VcpuRef { vm: 0, index: 0 }).unwrap();
            let user = inputs.keys.lock().unwrap().user_key(64 * MIB + 4096);
            if g == Generation::C {
                // C keeps the keys in the VM's own address space; a frame
                // outside every slot is an addressing exception, which 7.0
                // hands on as the value 5.
                assert_eq!(user, 0);
                assert_eq!(skeys(&mut m, &mut mem, get, 0, 1), 5);
                assert_eq!(skeys(&mut m, &mut mem, get, 256 + 255, 2), 5);
            } else {
                // A and B keep them with the user page behind the frame;
                // a frame outside every slot has none.
                assert_eq!(user, 0x30);
                assert_eq!(skeys(&mut m, &mut mem, get, 0, 1), -14);
                assert_eq!(skeys(&mut m, &mut mem, get, 256 + 255, 2), -14);
            }
        }
    }

    /// Migration-mode attribute `attr` (START 1, STATUS 2) of VM 0: the
    /// call's answer, and for STATUS the mode read back (a u64 in the
    /// caller's byte order).
    fn migration(m: &mut M, mem: &mut keys::Mem, call: Ioctl, attr: u64) -> (i64, u64) {
        mem.0[..24].fill(0);
        mem.0[4..8].copy_from_slice(&4u32.to_ne_bytes());
        mem.0[8..16].copy_from_slice(&attr.to_ne_bytes());
        mem.0[16..24].copy_from_slice(&0x10100u64.to_ne_bytes());
        mem.0[0x100..0x108].fill(0xff);
        let r = m.with_memory(Object::Vm(0), call, 0x10000, mem);
        let mode: [u8; 8] = mem.0[0x100..0x108].try_into().unwrap();
        (
            r.unwrap_or_else(|e| -i64::from(e.raw_os_error())),
            u64::from_ne_bytes(mode),
        )
    }

    #[test]
    fn a_slot_without_dirty_logging_ends_migration_mode_in_b_and_c() {
        for g in Generation::ALL {
            let (mut m, _) = regular_vm(g);
            let mut mem = keys::Mem(vec![0; 0x10000]);
            let (set, get) = (Ioctl::SetDeviceAttr, Ioctl::GetDeviceAttr);
            // No slot, no migration mode.
            assert_eq!(migration(&mut m, &mut mem, set, 1).0, -22);
            let logged = |slot, gpa| {
                Some(UserspaceMemoryRegion2 {
                    flags: ucas_core::abi::KVM_MEM_LOG_DIRTY_PAGES,
                    ..region(slot, gpa, MIB, 64 * MIB).unwrap()
                })
            };
            assert_eq!(m.vm_set_memory_region(0, logged(0, 0)), Answer::Value(0));
            assert_eq!(migration(&mut m, &mut mem, set, 1).0, 0);
            // A slot with dirty logging, or a deletion, keeps it on.
            assert_eq!(m.vm_set_memory_region(0, logged(1, MIB)), Answer::Value(0));
            let delete = region(1, 0, 0, 0);
            assert_eq!(m.vm_set_memory_region(0, delete), Answer::Value(0));
            assert_eq!(migration(&mut m, &mut mem, get, 2), (0, 1));
            // One without ends it (B and C; read at d8dfda5a and 42d3b66d).
            let plain = region(2, 4 * MIB, MIB, 64 * MIB);
            assert_eq!(m.vm_set_memory_region(0, plain), Answer::Value(0));
            let on = migration(&mut m, &mut mem, get, 2).1;
            assert_eq!(on, u64::from(g == Generation::A), "{g:?}");
        }
    }

    #[test]
    fn fault_by_generation() {
        for g in [Generation::A, Generation::B, Generation::C] {
            let (mut m, v) = vm_with_vcpu(g, None);
            let miss = m.vcpu_ioctl(v, Some(Ioctl::VcpuFault), 5 * MIB + 0x1234, None);
            if g == Generation::A {
                assert_eq!(miss, Answer::Error(Errno::FAULT));
            } else {
                assert_eq!(
                    miss,
                    Answer::UcontrolExit {
                        errno: Errno::REMOTE,
                        vcpu: v,
                        trans_exc_code: 5 * MIB + 0x1000
                    }
                );
            }
            assert_eq!(map(&mut m, v, 64 * MIB, 0, 2 * MIB), Answer::Value(0));
            assert_eq!(
                m.vcpu_ioctl(v, Some(Ioctl::VcpuFault), MIB + 7, None),
                Answer::FaultIn {
                    vcpu: v,
                    vcpu_addr: MIB + 7,
                    user_addr: 65 * MIB + 7
                }
            );
        }
    }

    #[test]
    fn same_user_segment_twice_fails_on_second_fault_in_a_and_b() {
        for g in [Generation::A, Generation::B, Generation::C] {
            let (mut m, v) = vm_with_vcpu(g, None);
            assert_eq!(map(&mut m, v, 64 * MIB, 0, MIB), Answer::Value(0));
            assert_eq!(map(&mut m, v, 64 * MIB, 8 * MIB, MIB), Answer::Value(0));
            assert_eq!(m.fault_link(v, 0, 64 * MIB), Ok(()));
            assert_eq!(m.fault_link(v, 0x10, 64 * MIB + 0x10), Ok(()));
            let second = m.fault_link(v, 8 * MIB, 64 * MIB);
            if g == Generation::C {
                assert_eq!(second, Ok(()));
            } else {
                assert_eq!(second, Err(Errno::EXIST));
                // Unmapping the first releases the user segment.
                let um = UcasMapping {
                    user_addr: 0,
                    vcpu_addr: 0,
                    length: MIB,
                };
                assert_eq!(
                    m.vcpu_ioctl(v, Some(Ioctl::UcasUnmap), 0, Some(um)),
                    Answer::Value(0)
                );
                assert_eq!(m.fault_link(v, 8 * MIB, 64 * MIB), Ok(()));
            }
        }
    }

    fn extents(m: &M, v: VcpuRef) -> Vec<(u64, u64, u64)> {
        m.vcpu(v)
            .unwrap()
            .space()
            .extents()
            .map(|e| (e.vcpu_addr(), e.user_addr(), e.length()))
            .collect()
    }

    #[test]
    fn enomem_after_fires_once_with_generation_consequences() {
        for g in [Generation::A, Generation::B, Generation::C] {
            let (mut m, v) = vm_with_vcpu(g, Some(3));
            assert_eq!(map(&mut m, v, 0, 0, 2 * MIB), Answer::Value(0));
            // Stores 3 and 4 of 4: the 4th (index 1 here) fails.
            assert_eq!(
                map(&mut m, v, 16 * MIB, 0, 4 * MIB),
                Answer::Error(Errno::NOMEM)
            );
            assert!(m.enomem_fired());
            if g == Generation::C {
                assert_eq!(extents(&m, v), vec![(0, 16 * MIB, MIB), (MIB, MIB, MIB)]);
            } else {
                assert_eq!(extents(&m, v), vec![]);
            }
            // Once only.
            assert_eq!(map(&mut m, v, 16 * MIB, 0, 4 * MIB), Answer::Value(0));
            assert_eq!(extents(&m, v), vec![(0, 16 * MIB, 4 * MIB)]);
        }
    }

    #[test]
    fn a_full_table_answers_enomem_without_consuming_the_injection() {
        for g in Generation::ALL {
            let mut m = Model::<2>::new(g, Some(100));
            let Answer::NewVm(vm) = m.dev_ioctl(Some(Ioctl::CreateVm), 1, true) else {
                panic!()
            };
            let Answer::NewVcpu(v) = m.vm_ioctl(vm, Some(Ioctl::CreateVcpu), 0, None) else {
                panic!()
            };
            let mut map = |user: u64, vcpu: u64, len: u64| {
                let arg = UcasMapping {
                    user_addr: user,
                    vcpu_addr: vcpu,
                    length: len,
                };
                m.vcpu_ioctl(v, Some(Ioctl::UcasMap), 0, Some(arg))
            };
            assert_eq!(map(0, 0, MIB), Answer::Value(0));
            assert_eq!(map(0, 4 * MIB, MIB), Answer::Value(0));
            // Extending an extent needs no new entry; a third island does.
            assert_eq!(map(MIB, MIB, MIB), Answer::Value(0));
            assert_eq!(map(0, 16 * MIB, 2 * MIB), Answer::Error(Errno::NOMEM));
            assert!(!m.enomem_fired());
            assert_eq!(m.vcpu(v).unwrap().space().len(), 2);
        }
    }

    #[test]
    fn enomem_after_zero_fails_the_first_store() {
        let (mut m, v) = vm_with_vcpu(Generation::C, Some(0));
        assert_eq!(map(&mut m, v, 0, 0, MIB), Answer::Error(Errno::NOMEM));
        assert_eq!(extents(&m, v), vec![]);
        // The injection happens once.
        assert_eq!(map(&mut m, v, 0, 0, MIB), Answer::Value(0));
        let (mut m, v) = vm_with_vcpu(Generation::C, Some(0));
        // Length 0 stores nothing in C and does not consume the injection.
        assert_eq!(map(&mut m, v, 0, 0, 0), Answer::Value(0));
        assert!(!m.enomem_fired());
        assert_eq!(map(&mut m, v, 0, 0, MIB), Answer::Error(Errno::NOMEM));
    }
}
