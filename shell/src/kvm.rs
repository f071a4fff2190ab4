//! `Kvm` (the /dev/kvm fd) and `Vm`.

use std::collections::BTreeMap;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::Mutex;

use ucas_core::Errno;
use ucas_core::abi;

use crate::error::{Error, ErrorKind, Operation, Result, Unavailable};
use crate::sys;
use ucas_core::abi::Ioctl;

/// The default path of the KVM device.
pub const KVM_PATH: &str = "/dev/kvm";

/// An open KVM device: the system-wide fd that answers capability questions
/// and creates VMs.
#[derive(Debug)]
pub struct Kvm {
    fd: OwnedFd,
}

impl Kvm {
    /// Opens `/dev/kvm` read-write, close-on-exec.
    ///
    /// # Errors
    /// ENOENT without KVM; EACCES/EPERM without permission on the device.
    pub fn open() -> Result<Self> {
        Self::open_path(KVM_PATH)
    }

    /// Opens a KVM device at `path` read-write, close-on-exec.
    ///
    /// # Errors
    /// As [`Kvm::open`].
    pub fn open_path(path: impl AsRef<Path>) -> Result<Self> {
        sys::open_read_write(path.as_ref())
            .map(|fd| Self { fd })
            .map_err(|e| Error::from_errno(Operation::OpenKvm, e))
    }

    /// Wraps an fd already open on a KVM device. Nothing is checked until
    /// the first request: a non-KVM fd gives ENOTTY there.
    #[must_use]
    pub fn from_fd(fd: OwnedFd) -> Self {
        Self { fd }
    }

    /// `KVM_GET_API_VERSION`, which must be 12.
    ///
    /// # Errors
    /// The errno (ENOTTY on a non-KVM fd, EBADF on a closed one), or
    /// [`ErrorKind::ApiVersion`] for any version but 12.
    #[doc(alias = "KVM_GET_API_VERSION")]
    pub fn api_version(&self) -> Result<i32> {
        let v = sys::value_ioctl(self.fd.as_fd(), Ioctl::GetApiVersion, 0)
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::GetApiVersion), e))?;
        if v == abi::KVM_API_VERSION {
            Ok(v)
        } else {
            Err(Error::new(
                Operation::Ioctl(Ioctl::GetApiVersion),
                ErrorKind::ApiVersion(v),
            ))
        }
    }

    /// `KVM_CHECK_EXTENSION(cap)`: 0 when absent, else 1 or a number.
    ///
    /// # Errors
    /// The errno (ENOTTY, EBADF, ENOSYS).
    #[doc(alias = "KVM_CHECK_EXTENSION")]
    pub fn check_extension(&self, cap: u32) -> Result<i32> {
        check_extension(self.fd.as_fd(), cap)
    }

    /// Whether `KVM_CAP_S390_UCONTROL` is present (the kernel option is set;
    /// the caller's privileges do not matter).
    ///
    /// # Errors
    /// As [`Kvm::check_extension`].
    pub fn has_ucontrol(&self) -> Result<bool> {
        Ok(self.check_extension(abi::KVM_CAP_S390_UCONTROL)? > 0)
    }

    /// `KVM_GET_VCPU_MMAP_SIZE`: the size of a vcpu fd's `kvm_run` mapping.
    ///
    /// # Errors
    /// The errno.
    #[doc(alias = "KVM_GET_VCPU_MMAP_SIZE")]
    pub fn vcpu_mmap_size(&self) -> Result<usize> {
        let n = sys::value_ioctl(self.fd.as_fd(), Ioctl::GetVcpuMmapSize, 0)
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::GetVcpuMmapSize), e))?;
        usize::try_from(n)
            .map_err(|_| Error::from_errno(Operation::Ioctl(Ioctl::GetVcpuMmapSize), Errno::INVAL))
    }

    /// `KVM_S390_ENABLE_SIE`: prepares the calling process's address space
    /// for SIE (older kernels convert its page tables; Linux 7.0 has
    /// nothing to do). `KVM_CREATE_VM` does it anyway.
    ///
    /// # Errors
    /// The errno (ENOMEM when the conversion runs out of memory; EINVAL on
    /// a kernel of another architecture).
    #[doc(alias = "KVM_S390_ENABLE_SIE")]
    pub fn enable_sie(&self) -> Result<()> {
        sys::value_ioctl(self.fd.as_fd(), Ioctl::S390EnableSie, 0)
            .map(drop)
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::S390EnableSie), e))
    }

    /// Works out why `KVM_CREATE_VM(KVM_VM_S390_UCONTROL)` failed with
    /// EINVAL: where the KVM offers ucontrol (an s390x host, or under
    /// `ucas emulate`), the caller's privilege (CAP_SYS_ADMIN in the initial
    /// user namespace); elsewhere the architecture, then the kernel option,
    /// then the privilege.
    #[must_use]
    pub fn diagnose_ucontrol(&self) -> Unavailable {
        let offered = self.has_ucontrol();
        // A KVM that offers ucontrol (an s390x host, or `ucas emulate`
        // anywhere) refuses only for want of the capability.
        if !matches!(offered, Ok(true)) {
            let arch = crate::host::architecture();
            if arch != "s390x" {
                return Unavailable::Architecture(arch);
            }
        }
        match offered {
            Ok(false) => return Unavailable::KernelOption,
            Err(e) if e.errno() == Some(Errno::NOSYS) => {
                return Unavailable::NoKvmSyscalls;
            }
            _ => {}
        }
        if crate::host::has_cap_sys_admin() == Some(false) {
            return Unavailable::Privilege;
        }
        Unavailable::Unexplained
    }
}

impl AsFd for Kvm {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// A KVM VM: a user-controlled one ([`Vm::create_ucontrol`]: no memory
/// slots, each vcpu has its own address space built with
/// [`crate::Vcpu::map`]) or, for error paths and comparisons, a VM of
/// another machine type ([`Vm::create_with_type`]; a regular VM's guest
/// memory is its memory slots, [`Vm::set_user_memory_region`]);
/// [`Vm::is_ucontrol`] tells which.
#[derive(Debug)]
pub struct Vm {
    fd: OwnedFd,
    vcpu_mmap_size: usize,
    ucontrol: bool,
    /// The size in bytes of each memory slot set through this handle, by
    /// slot id (`KVM_GET_DIRTY_LOG` writes a bitmap of that many pages).
    slots: Mutex<BTreeMap<u32, u64>>,
}

impl Vm {
    /// `KVM_CREATE_VM(KVM_VM_S390_UCONTROL)`.
    ///
    /// # Errors
    /// [`ErrorKind::Unavailable`] when the kernel answers EINVAL, with the
    /// cause worked out (architecture, kernel option, CAP_SYS_ADMIN); ENOSYS
    /// under qemu-user likewise; other errnos as they come.
    #[doc(alias = "KVM_CREATE_VM")]
    pub fn create_ucontrol(kvm: &Kvm) -> Result<Self> {
        Self::create_with_type(kvm, abi::KVM_VM_S390_UCONTROL)
    }

    /// `KVM_CREATE_VM(machine_type)`. Type 0 makes a regular VM, whose vcpus
    /// answer UCAS requests with EINVAL: useful to test error paths.
    ///
    /// # Errors
    /// As [`Vm::create_ucontrol`].
    pub fn create_with_type(kvm: &Kvm, machine_type: u64) -> Result<Self> {
        let ucontrol = machine_type & abi::KVM_VM_S390_UCONTROL != 0;
        match sys::fd_ioctl(kvm.as_fd(), Ioctl::CreateVm, machine_type) {
            Ok(fd) => Ok(Self {
                fd,
                vcpu_mmap_size: kvm.vcpu_mmap_size()?,
                ucontrol,
                slots: Mutex::default(),
            }),
            Err(Errno::INVAL) if ucontrol => Err(Error::new(
                Operation::Ioctl(Ioctl::CreateVm),
                ErrorKind::Unavailable(kvm.diagnose_ucontrol()),
            )),
            Err(Errno::NOSYS) => Err(Error::new(
                Operation::Ioctl(Ioctl::CreateVm),
                ErrorKind::Unavailable(Unavailable::NoKvmSyscalls),
            )),
            Err(e) => Err(Error::from_errno(Operation::Ioctl(Ioctl::CreateVm), e)),
        }
    }

    /// Whether this VM was created as a ucontrol VM.
    #[must_use]
    pub fn is_ucontrol(&self) -> bool {
        self.ucontrol
    }

    /// `KVM_SET_USER_MEMORY_REGION`: creates, moves, changes the flags of
    /// or (size 0) deletes memory slot `region.slot` of a regular VM. The
    /// kernel reaches the caller's memory at `region.userspace_addr` for
    /// as long as the slot exists; unmapping that memory meanwhile makes
    /// guest accesses fail (EFAULT), it is not unsafe.
    ///
    /// # Errors
    /// EINVAL on a ucontrol VM (whose only slot is the kernel's), for a
    /// slot id past the user slots, flags other than
    /// `KVM_MEM_LOG_DIRTY_PAGES`, addresses or size not page-aligned, a user
    /// address or size not 1 MiB-aligned (s390), memory past the VM's
    /// limit, a change of an existing slot's user address or size, or
    /// deleting a slot that does not exist; EEXIST when the guest range
    /// overlaps another slot; EFAULT.
    #[doc(alias = "KVM_SET_USER_MEMORY_REGION")]
    pub fn set_user_memory_region(&self, region: abi::UserspaceMemoryRegion) -> Result<()> {
        plain_ioctl(self.fd.as_fd(), Ioctl::SetUserMemoryRegion, region)?;
        self.record_slot(region.slot, region.memory_size);
        Ok(())
    }

    /// `KVM_SET_USER_MEMORY_REGION2` (Linux 6.8+): as
    /// [`Vm::set_user_memory_region`], in the form with guest_memfd fields
    /// (s390 has no guest_memfd: leave them zero).
    ///
    /// # Errors
    /// As [`Vm::set_user_memory_region`]; ENOTTY before Linux 6.8.
    #[doc(alias = "KVM_SET_USER_MEMORY_REGION2")]
    pub fn set_user_memory_region2(&self, region: abi::UserspaceMemoryRegion2) -> Result<()> {
        plain_ioctl(self.fd.as_fd(), Ioctl::SetUserMemoryRegion2, region)?;
        self.record_slot(region.slot, region.memory_size);
        Ok(())
    }

    /// Keeps the size of slot `slot` after the kernel accepted it (size 0
    /// deleted it).
    fn record_slot(&self, slot: u32, size: u64) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if size == 0 {
            slots.remove(&slot);
        } else {
            slots.insert(slot, size);
        }
    }

    /// `KVM_GET_DIRTY_LOG` of memory slot `slot` (set through this handle):
    /// one bit per 4 KiB page, set for the pages written since the last
    /// call; the slot needs `KVM_MEM_LOG_DIRTY_PAGES`.
    ///
    /// # Errors
    /// EINVAL on a ucontrol VM (it has no dirty log) or for a slot past
    /// the user slots; ENOENT for a slot without dirty logging; EFAULT for
    /// a slot this handle did not set (the kernel gets no bitmap then).
    #[doc(alias = "KVM_GET_DIRTY_LOG")]
    pub fn get_dirty_log(&self, slot: u32) -> Result<Vec<u64>> {
        let size = self
            .slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&slot)
            .copied();
        let pages = size.unwrap_or(0).div_ceil(ucas_core::segment::PAGE_SIZE);
        let mut bitmap = vec![0u64; usize::try_from(pages.div_ceil(64)).unwrap_or(0)];
        sys::dirty_log_ioctl(self.fd.as_fd(), slot, size.map(|_| &mut bitmap[..]))
            .map(|()| bitmap)
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::GetDirtyLog), e))
    }

    /// `KVM_ENABLE_CAP` on the VM: switches capability `cap` on with
    /// arguments `args`.
    ///
    /// # Errors
    /// EINVAL for a capability the kernel does not enable on a VM (on
    /// s390 also `KVM_CAP_S390_HPAGE_1M` of a ucontrol VM) or one the host
    /// lacks; EBUSY for one that must come before the first vcpu.
    #[doc(alias = "KVM_ENABLE_CAP")]
    pub fn enable_cap(&self, cap: u32, args: [u64; 4]) -> Result<()> {
        enable_cap(self.fd.as_fd(), cap, args)
    }

    /// `KVM_CHECK_EXTENSION(cap)` on the VM: as [`Kvm::check_extension`]
    /// but for this VM's kind (on s390 only `KVM_CAP_S390_HPAGE_1M`
    /// differs: always 0 on a ucontrol VM).
    ///
    /// # Errors
    /// As [`Kvm::check_extension`].
    #[doc(alias = "KVM_CHECK_EXTENSION")]
    pub fn check_extension(&self, cap: u32) -> Result<i32> {
        check_extension(self.fd.as_fd(), cap)
    }

    /// `KVM_HAS_DEVICE_ATTR`: whether the VM offers attribute `attr` of
    /// group `group` (`abi::KVM_S390_VM_*`); false when the kernel answers
    /// ENXIO.
    ///
    /// # Errors
    /// Other errnos (ENOTTY on an fd that is not a VM).
    #[doc(alias = "KVM_HAS_DEVICE_ATTR")]
    pub fn has_device_attr(&self, group: u32, attr: u64) -> Result<bool> {
        match self.vm_attr(Ioctl::HasDeviceAttr, group, attr, &mut [0; 8]) {
            Ok(()) => Ok(true),
            Err(e) if e.errno() == Some(Errno::NXIO) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `KVM_GET_DEVICE_ATTR` of a VM attribute whose value is a u64 (the
    /// memory limit, the TOD clock's low word, the migration status) or a
    /// u8 (the TOD clock's high byte, the CPU-topology MTCR bit); the CPU
    /// model has [`Vm::cpu_model`] and [`Vm::cpu_machine`].
    ///
    /// # Errors
    /// ENXIO for an attribute the kernel does not read back (the CMMA,
    /// crypto and migration start/stop controls, or one the host lacks);
    /// EINVAL, before any system call, for an attribute whose size this
    /// library does not know (the CPU model's, `KVM_S390_VM_TOD_EXT`).
    #[doc(alias = "KVM_GET_DEVICE_ATTR")]
    pub fn device_attr(&self, group: u32, attr: u64) -> Result<u64> {
        let mut data = [0; 8];
        self.vm_attr(Ioctl::GetDeviceAttr, group, attr, &mut data)?;
        Ok(match sys::vm_attr_size(group, attr) {
            Some(1) => u64::from(data[0]),
            _ => u64::from_ne_bytes(data),
        })
    }

    /// `KVM_SET_DEVICE_ATTR` of a VM attribute to `value` (a u64 or u8
    /// attribute as for [`Vm::device_attr`]; ignored for the controls that
    /// take no data: CMMA, crypto, migration start and stop, and the
    /// CPU-topology MTCR bit, which is `attr` itself).
    ///
    /// # Errors
    /// ENXIO for an attribute the kernel does not set; EINVAL for a value
    /// it refuses, EBUSY for one that must come before the first vcpu;
    /// EOPNOTSUPP for the AP controls on a host without AP instructions;
    /// EINVAL, before any system call, as for [`Vm::device_attr`].
    #[doc(alias = "KVM_SET_DEVICE_ATTR")]
    pub fn set_device_attr(&self, group: u32, attr: u64, value: u64) -> Result<()> {
        let mut data = value.to_ne_bytes();
        if sys::vm_attr_size(group, attr) == Some(1) {
            data = [0; 8];
            data[0] = value as u8;
        }
        self.vm_attr(Ioctl::SetDeviceAttr, group, attr, &mut data)
    }

    /// `request` on VM attribute `attr` of `group`, the errno typed with it.
    fn vm_attr(&self, request: Ioctl, group: u32, attr: u64, data: &mut [u8; 8]) -> Result<()> {
        sys::vm_attr_ioctl(self.fd.as_fd(), request, group, attr, data)
            .map_err(|e| Error::from_errno(Operation::Ioctl(request), e))
    }

    /// `KVM_SET_GSI_ROUTING`: replaces the VM's interrupt routing table
    /// with `entries` (none empties it).
    ///
    /// # Errors
    /// EINVAL for more than `KVM_CAP_IRQ_ROUTING` (4096) entries or an
    /// entry the kernel refuses: on a ucontrol VM any adapter route
    /// (`abi::KVM_IRQ_ROUTING_S390_ADAPTER`), which it cannot deliver.
    #[doc(alias = "KVM_SET_GSI_ROUTING")]
    pub fn set_gsi_routing(&self, entries: &[abi::IrqRoutingEntry]) -> Result<()> {
        sys::gsi_routing_ioctl(self.fd.as_fd(), entries)
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::SetGsiRouting), e))
    }

    /// `KVM_RESET_DIRTY_RINGS`: returns how many dirty-ring entries were
    /// reset.
    ///
    /// # Errors
    /// EINVAL while the VM has no dirty ring, always on s390 (enabling one
    /// is refused).
    #[doc(alias = "KVM_RESET_DIRTY_RINGS")]
    pub fn reset_dirty_rings(&self) -> Result<u32> {
        sys::value_ioctl(self.fd.as_fd(), Ioctl::ResetDirtyRings, 0)
            .map(|n| n.unsigned_abs())
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::ResetDirtyRings), e))
    }

    /// `KVM_S390_GET_CMMA_BITS`: fills `values` with the CMMA states of
    /// the frames from `start_gfn` (with `peek`, without migration mode,
    /// exactly those frames; else the next dirty ones) and returns the
    /// first frame reported, how many were and how many dirty ones remain.
    ///
    /// # Errors
    /// ENXIO unless CMMA is on for the VM ([`Vm::set_device_attr`] of
    /// `KVM_S390_VM_MEM_ENABLE_CMMA`, which needs a host with CMMA);
    /// EINVAL without `peek` outside migration mode.
    #[doc(alias = "KVM_S390_GET_CMMA_BITS")]
    pub fn cmma_bits(
        &self,
        start_gfn: u64,
        values: &mut [u8],
        peek: bool,
    ) -> Result<(u64, usize, u64)> {
        let flags = if peek { abi::KVM_S390_CMMA_PEEK } else { 0 };
        let get = Ioctl::S390GetCmmaBits;
        let log = sys::cmma_ioctl(self.fd.as_fd(), get, start_gfn, flags, 0, values)
            .map_err(|e| Error::from_errno(Operation::Ioctl(get), e))?;
        Ok((log.start_gfn, log.count as usize, log.remaining_or_mask))
    }

    /// `KVM_S390_SET_CMMA_BITS`: sets the bits `mask` of the CMMA states
    /// of the frames from `start_gfn` to `values`.
    ///
    /// # Errors
    /// ENXIO unless CMMA is on for the VM, as [`Vm::cmma_bits`]; EFAULT
    /// for a frame outside the memory slots.
    #[doc(alias = "KVM_S390_SET_CMMA_BITS")]
    pub fn set_cmma_bits(&self, start_gfn: u64, values: &[u8], mask: u64) -> Result<()> {
        let mut copy = values.to_vec();
        let set = Ioctl::S390SetCmmaBits;
        sys::cmma_ioctl(self.fd.as_fd(), set, start_gfn, 0, mask, &mut copy)
            .map(drop)
            .map_err(|e| Error::from_errno(Operation::Ioctl(set), e))
    }

    /// `KVM_GET_STATS_FD` on the VM: a read-only fd of the kernel's binary
    /// statistics format (header, id, descriptors, data).
    ///
    /// # Errors
    /// The errno (ENOTTY on a kernel without binary statistics, before
    /// Linux 5.14).
    #[doc(alias = "KVM_GET_STATS_FD")]
    pub fn get_stats_fd(&self) -> Result<OwnedFd> {
        stats_fd(self.fd.as_fd())
    }

    /// `KVM_S390_INTERRUPT` on the VM: a floating interrupt (virtio,
    /// service signal, pfault done, machine check or I/O). A ucontrol VM
    /// queues it but its vcpus never have it delivered by the kernel.
    ///
    /// # Errors
    /// EINVAL for a vcpu-local type (use [`crate::Vcpu::inject`]) or an
    /// unknown one; EBUSY past the kernel's queue limits.
    #[doc(alias = "KVM_S390_INTERRUPT")]
    pub fn interrupt(&self, irq: &abi::S390Interrupt) -> Result<()> {
        plain_ioctl(self.fd.as_fd(), Ioctl::S390Interrupt, *irq).map(drop)
    }

    /// `KVM_CREATE_IRQCHIP`: on s390 the in-kernel interrupt controller
    /// exists with the VM; the call succeeds (any number of times) once
    /// `KVM_CAP_S390_IRQCHIP` is enabled.
    ///
    /// # Errors
    /// EINVAL before [`Vm::enable_cap`]`(KVM_CAP_S390_IRQCHIP, …)`.
    #[doc(alias = "KVM_CREATE_IRQCHIP")]
    pub fn create_irqchip(&self) -> Result<()> {
        sys::value_ioctl(self.fd.as_fd(), Ioctl::CreateIrqchip, 0)
            .map(drop)
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::CreateIrqchip), e))
    }

    /// `KVM_IRQFD`: signalling eventfd `fd` raises the interrupt of GSI
    /// route `gsi`. On a ucontrol VM nothing is ever raised (its routes
    /// cannot be adapter routes), but the kernel keeps the attachment.
    ///
    /// # Errors
    /// EBADF if `fd` is not open, EINVAL if it is not an eventfd, EBUSY if
    /// it is attached already (to this VM; from Linux 6.17, to any).
    #[doc(alias = "KVM_IRQFD")]
    pub fn register_irqfd(&self, fd: BorrowedFd<'_>, gsi: u32) -> Result<()> {
        self.irqfd(fd, gsi, 0, 0)
    }

    /// `KVM_IRQFD` with `KVM_IRQFD_FLAG_RESAMPLE`: a level-triggered
    /// irqfd whose acknowledgement signals `resamplefd` (never on s390,
    /// where nothing acknowledges).
    ///
    /// # Errors
    /// As [`Vm::register_irqfd`], for either eventfd.
    #[doc(alias = "KVM_IRQFD_FLAG_RESAMPLE")]
    pub fn register_irqfd_with_resample(
        &self,
        fd: BorrowedFd<'_>,
        resamplefd: BorrowedFd<'_>,
        gsi: u32,
    ) -> Result<()> {
        self.irqfd(fd, gsi, abi::KVM_IRQFD_FLAG_RESAMPLE, raw(resamplefd))
    }

    /// `KVM_IRQFD` with `KVM_IRQFD_FLAG_DEASSIGN`: detaches eventfd `fd`
    /// from route `gsi` (nothing attached there is no error).
    ///
    /// # Errors
    /// EBADF if `fd` is not open, EINVAL if it is not an eventfd.
    pub fn unregister_irqfd(&self, fd: BorrowedFd<'_>, gsi: u32) -> Result<()> {
        self.irqfd(fd, gsi, abi::KVM_IRQFD_FLAG_DEASSIGN, 0)
    }

    fn irqfd(&self, fd: BorrowedFd<'_>, gsi: u32, flags: u32, resamplefd: u32) -> Result<()> {
        let arg = abi::Irqfd {
            fd: raw(fd),
            gsi,
            flags,
            resamplefd,
            ..abi::Irqfd::default()
        };
        plain_ioctl(self.fd.as_fd(), Ioctl::Irqfd, arg).map(drop)
    }

    /// `KVM_IOEVENTFD`: a guest write of `len` bytes (0: any length) to
    /// `addr` — of `datamatch`, if given — signals eventfd `fd` instead of
    /// exiting. On s390 only [`IoEventAddress::CcwNotify`] is ever written
    /// by the kernel (the virtio-ccw `DIAG 0x500`), and never for a
    /// ucontrol VM, whose every `DIAG` goes to userspace.
    ///
    /// # Errors
    /// EINVAL for a length other than 0, 1, 2, 4, 8, an address range that
    /// wraps, or a `datamatch` with length 0; EBADF / EINVAL for `fd`;
    /// EEXIST if a registration at `addr` already covers such writes.
    #[doc(alias = "KVM_IOEVENTFD")]
    pub fn register_ioevent(
        &self,
        fd: BorrowedFd<'_>,
        addr: IoEventAddress,
        len: u32,
        datamatch: Option<u64>,
    ) -> Result<()> {
        self.ioeventfd(fd, addr, len, datamatch, 0)
    }

    /// `KVM_IOEVENTFD` with `KVM_IOEVENTFD_FLAG_DEASSIGN`: removes the
    /// registration made with the same arguments.
    ///
    /// # Errors
    /// EBADF / EINVAL for `fd`; ENOENT if no registration matches.
    pub fn unregister_ioevent(
        &self,
        fd: BorrowedFd<'_>,
        addr: IoEventAddress,
        len: u32,
        datamatch: Option<u64>,
    ) -> Result<()> {
        self.ioeventfd(fd, addr, len, datamatch, abi::KVM_IOEVENTFD_FLAG_DEASSIGN)
    }

    fn ioeventfd(
        &self,
        fd: BorrowedFd<'_>,
        addr: IoEventAddress,
        len: u32,
        datamatch: Option<u64>,
        flags: u32,
    ) -> Result<()> {
        let (addr, bus) = match addr {
            IoEventAddress::Mmio(a) => (a, 0),
            IoEventAddress::Pio(a) => (a, abi::KVM_IOEVENTFD_FLAG_PIO),
            IoEventAddress::CcwNotify(a) => (a, abi::KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY),
        };
        let matching = if datamatch.is_some() {
            abi::KVM_IOEVENTFD_FLAG_DATAMATCH
        } else {
            0
        };
        let arg = abi::Ioeventfd {
            datamatch: datamatch.unwrap_or(0),
            addr,
            len,
            fd: raw(fd).cast_signed(),
            flags: flags | bus | matching,
            ..abi::Ioeventfd::default()
        };
        plain_ioctl(self.fd.as_fd(), Ioctl::Ioeventfd, arg).map(drop)
    }

    pub(crate) fn vcpu_mmap_size(&self) -> usize {
        self.vcpu_mmap_size
    }
}

/// The fd number, as the kernel's structs carry it.
fn raw(fd: BorrowedFd<'_>) -> u32 {
    use std::os::fd::AsRawFd as _;
    fd.as_raw_fd().cast_unsigned()
}

/// The bus and address an ioeventfd listens on ([`Vm::register_ioevent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoEventAddress {
    /// A memory-mapped I/O address (s390 has none the kernel writes).
    Mmio(u64),
    /// A port-I/O address (none on s390).
    Pio(u64),
    /// A virtio-ccw notification: the subchannel id a guest's
    /// `DIAG 0x500` names.
    CcwNotify(u64),
}

impl AsFd for Vm {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// `KVM_CHECK_EXTENSION(cap)` on `fd` (`/dev/kvm` or a VM).
fn check_extension(fd: BorrowedFd<'_>, cap: u32) -> Result<i32> {
    sys::value_ioctl(fd, Ioctl::CheckExtension, u64::from(cap))
        .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::CheckExtension), e))
}

/// Issues `request` with a pointer to `arg` on `fd`; `arg` as the kernel
/// left it, the errno typed with the request.
pub(crate) fn plain_ioctl<T: sys::PlainArg>(
    fd: BorrowedFd<'_>,
    request: Ioctl,
    arg: T,
) -> Result<T> {
    let mut arg = arg;
    sys::struct_ioctl(fd, request, &mut arg)
        .map(|_| arg)
        .map_err(|e| Error::from_errno(Operation::Ioctl(request), e))
}

/// `KVM_GET_STATS_FD` on `fd` (a VM or a vcpu).
pub(crate) fn stats_fd(fd: BorrowedFd<'_>) -> Result<OwnedFd> {
    sys::fd_ioctl(fd, Ioctl::GetStatsFd, 0)
        .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::GetStatsFd), e))
}

/// `KVM_ENABLE_CAP` of `cap` with `args` on `fd` (a VM or a vcpu).
pub(crate) fn enable_cap(fd: BorrowedFd<'_>, cap: u32, args: [u64; 4]) -> Result<()> {
    let c = abi::EnableCap {
        cap,
        args,
        ..abi::EnableCap::default()
    };
    plain_ioctl(fd, Ioctl::EnableCap, c).map(drop)
}

/// One storage-key operation of `KVM_S390_KEYOP` (Linux 7.0+,
/// `KVM_CAP_S390_KEYOP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOp {
    /// SSKE: set the key (the answer is the key before).
    Set(u8),
    /// ISKE: read the key.
    Insert,
    /// RRBE: reset the reference bit (the answer holds the old reference
    /// and change bits).
    ResetReference,
}

/// `KVM_S390_MEM_OP` `op` on `fd` through `buf`: `None` when done, the
/// program-interruption code when the access met one.
pub(crate) fn mem_op(
    fd: BorrowedFd<'_>,
    op: u32,
    gaddr: u64,
    buf: &mut [u8],
) -> Result<Option<u16>> {
    let r = sys::mem_op_ioctl(fd, op, gaddr, 0, 0, buf)
        .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::S390MemOp), e))?;
    Ok(u16::try_from(r).ok().filter(|&c| c != 0))
}

impl Vm {
    /// `KVM_GET_DEVICE_ATTR(KVM_S390_VM_CPU_MODEL, KVM_S390_VM_CPU_PROCESSOR)`:
    /// the CPU the VM's vcpus get.
    ///
    /// # Errors
    /// ENXIO on a kernel without s390's attributes (another architecture),
    /// EFAULT, ENOTTY on an fd that is not a VM.
    #[doc(alias = "KVM_S390_VM_CPU_PROCESSOR")]
    pub fn cpu_model(&self) -> Result<abi::CpuProcessor> {
        let mut p = abi::CpuProcessor {
            cpuid: 0,
            ibc: 0,
            pad: [0; 6],
            fac_list: [0; 256],
        };
        sys::cpu_model_ioctl(self.fd.as_fd(), false, &mut p)
            .map(|()| p)
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::GetDeviceAttr), e))
    }

    /// `KVM_SET_DEVICE_ATTR(KVM_S390_VM_CPU_MODEL, KVM_S390_VM_CPU_PROCESSOR)`:
    /// the CPU the vcpus created from now on get.
    ///
    /// # Errors
    /// EBUSY once a vcpu exists; EINVAL for facilities the host cannot
    /// offer; as [`Vm::cpu_model`].
    pub fn set_cpu_model(&self, processor: &abi::CpuProcessor) -> Result<()> {
        let mut p = *processor;
        sys::cpu_model_ioctl(self.fd.as_fd(), true, &mut p)
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::SetDeviceAttr), e))
    }

    /// `KVM_GET_DEVICE_ATTR(KVM_S390_VM_CPU_MODEL, KVM_S390_VM_CPU_MACHINE)`:
    /// the host machine and what it can offer.
    ///
    /// # Errors
    /// As [`Vm::cpu_model`].
    pub fn cpu_machine(&self) -> Result<abi::CpuMachine> {
        let mut m = abi::CpuMachine {
            cpuid: 0,
            ibc: 0,
            pad: [0; 4],
            fac_mask: [0; 256],
            fac_list: [0; 256],
        };
        sys::cpu_model_ioctl(self.fd.as_fd(), false, &mut m)
            .map(|()| m)
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::GetDeviceAttr), e))
    }

    /// `KVM_S390_GET_SKEYS`: the storage keys of `keys.len()` guest frames
    /// from `start_gfn` into `keys`. `Ok(false)` when the VM (or, before
    /// Linux 7.0, the process) does not use storage keys yet: `keys` is
    /// left as it was.
    ///
    /// # Errors
    /// EINVAL for no frames or more than 2^20, EFAULT for frames outside
    /// guest memory (on a ucontrol VM of Linux ≤ 6.13: every frame; on
    /// Linux 7.0 and 7.1, which answer those with a value,
    /// [`ErrorKind::OutsideGuestMemory`]; `keys` is left as it was).
    #[doc(alias = "KVM_S390_GET_SKEYS")]
    pub fn get_skeys(&self, start_gfn: u64, keys: &mut [u8]) -> Result<bool> {
        let op = Operation::Ioctl(Ioctl::S390GetSkeys);
        let r = sys::skeys_ioctl(self.fd.as_fd(), false, start_gfn, keys)
            .map_err(|e| Error::from_errno(op, e))?;
        match i64::from(r) {
            0 => Ok(true),
            abi::KVM_S390_GET_SKEYS_NONE => Ok(false),
            _ => Err(Error::new(
                op,
                ErrorKind::OutsideGuestMemory { gfn: start_gfn },
            )),
        }
    }

    /// `KVM_S390_SET_SKEYS`: sets the storage keys of `keys.len()` frames
    /// from `start_gfn`, and makes the VM use storage keys.
    ///
    /// # Errors
    /// EINVAL for a key with bit 7 set (value 1) or a bad count, EFAULT as
    /// [`Vm::get_skeys`] (the keys of the frames before the one outside
    /// guest memory are set).
    #[doc(alias = "KVM_S390_SET_SKEYS")]
    pub fn set_skeys(&self, start_gfn: u64, keys: &[u8]) -> Result<()> {
        let op = Operation::Ioctl(Ioctl::S390SetSkeys);
        let mut copy = keys.to_vec();
        match sys::skeys_ioctl(self.fd.as_fd(), true, start_gfn, &mut copy) {
            Ok(0) => Ok(()),
            Ok(_) => Err(Error::new(
                op,
                ErrorKind::OutsideGuestMemory { gfn: start_gfn },
            )),
            Err(e) => Err(Error::from_errno(op, e)),
        }
    }

    /// `KVM_S390_KEYOP` (Linux 7.0+) on the frame of guest address `addr`:
    /// the key the operation answers.
    ///
    /// # Errors
    /// ENOTTY on kernels before 7.0 (check `KVM_CAP_S390_KEYOP`), EFAULT;
    /// [`ErrorKind::OutsideGuestMemory`] where Linux 7.0 or 7.1 answer a
    /// frame outside every memory slot with a key no storage key can be
    /// (ISKE, RRBE). Their SSKE there answers the key given, as if set,
    /// and sets nothing: no caller can tell (Linux 7.2 answers EFAULT).
    #[doc(alias = "KVM_S390_KEYOP")]
    pub fn keyop(&self, addr: u64, op: KeyOp) -> Result<u8> {
        let (operation, key) = match op {
            KeyOp::Set(key) => (abi::KVM_S390_KEYOP_SSKE, key),
            KeyOp::Insert => (abi::KVM_S390_KEYOP_ISKE, 0),
            KeyOp::ResetReference => (abi::KVM_S390_KEYOP_RRBE, 0),
        };
        let mut k = abi::S390Keyop {
            addr,
            key,
            operation,
            pad: [0; 6],
        };
        let call = Operation::Ioctl(Ioctl::S390Keyop);
        sys::struct_ioctl(self.fd.as_fd(), Ioctl::S390Keyop, &mut k)
            .map_err(|e| Error::from_errno(call, e))?;
        // A storage key's last bit is always 0, and RRBE answers only the
        // reference and change bits: anything else is the code of an
        // addressing exception made into a key.
        let impossible = match op {
            KeyOp::Set(_) => 0,
            KeyOp::Insert => 0x01,
            KeyOp::ResetReference => !0x06,
        };
        if k.key & impossible == 0 {
            Ok(k.key)
        } else {
            Err(Error::new(
                call,
                ErrorKind::OutsideGuestMemory { gfn: addr >> 12 },
            ))
        }
    }

    /// `KVM_S390_MEM_OP` `ABSOLUTE_READ`: fills `buf` from guest absolute
    /// address `gaddr`; the answer as [`crate::Vcpu::read_logical`].
    ///
    /// # Errors
    /// EINVAL, E2BIG (more than 64 KiB), EFAULT.
    #[doc(alias = "KVM_S390_MEM_OP")]
    pub fn read_absolute(&self, gaddr: u64, buf: &mut [u8]) -> Result<Option<u16>> {
        mem_op(
            self.fd.as_fd(),
            abi::KVM_S390_MEMOP_ABSOLUTE_READ,
            gaddr,
            buf,
        )
    }

    /// `KVM_S390_MEM_OP` `ABSOLUTE_WRITE` of `data` at guest absolute
    /// address `gaddr`.
    ///
    /// # Errors
    /// As [`Vm::read_absolute`].
    pub fn write_absolute(&self, gaddr: u64, data: &[u8]) -> Result<Option<u16>> {
        let mut copy = data.to_vec();
        mem_op(
            self.fd.as_fd(),
            abi::KVM_S390_MEMOP_ABSOLUTE_WRITE,
            gaddr,
            &mut copy,
        )
    }
}
