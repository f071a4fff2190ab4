//! The s390 floating interrupt controller (FLIC), the one device
//! `KVM_CREATE_DEVICE` makes on s390: its attribute groups
//! (`abi::KVM_DEV_FLIC_*`) through typed methods.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use ucas_core::Errno;
use ucas_core::abi::{self, Ioctl};

use crate::error::{Error, Operation, Result};
use crate::kvm::Vm;
use crate::sys::{self, FlicData};

/// A VM's FLIC device fd.
#[derive(Debug)]
pub struct Flic {
    fd: OwnedFd,
}

impl Flic {
    /// `KVM_CREATE_DEVICE(KVM_DEV_TYPE_FLIC)` on `vm`.
    ///
    /// # Errors
    /// EINVAL when the VM has a FLIC already (one per VM); ENODEV on a
    /// kernel without it (not s390).
    #[doc(alias = "KVM_CREATE_DEVICE")]
    pub fn create(vm: &Vm) -> Result<Self> {
        sys::create_device_ioctl(vm.as_fd(), abi::KVM_DEV_TYPE_FLIC)
            .map(|fd| Self { fd })
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::CreateDevice), e))
    }

    fn attr(&self, request: Ioctl, group: u32, attr: u64, data: FlicData<'_>) -> Result<i32> {
        sys::flic_attr_ioctl(self.fd.as_fd(), request, group, attr, data)
            .map_err(|e| Error::from_errno(Operation::Ioctl(request), e))
    }

    fn set(&self, group: u32, attr: u64, data: FlicData<'_>) -> Result<()> {
        self.attr(Ioctl::SetDeviceAttr, group, attr, data).map(drop)
    }

    /// `KVM_HAS_DEVICE_ATTR`: whether the FLIC knows attribute group
    /// `group`; false when the kernel answers ENXIO.
    ///
    /// # Errors
    /// Other errnos.
    #[doc(alias = "KVM_HAS_DEVICE_ATTR")]
    pub fn has_attr(&self, group: u32) -> Result<bool> {
        match self.attr(Ioctl::HasDeviceAttr, group, 0, FlicData::None) {
            Ok(_) => Ok(true),
            Err(e) if e.errno() == Some(Errno::NXIO) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `KVM_DEV_FLIC_GET_ALL_IRQS`: fills `buf` with the pending floating
    /// interrupts and returns how many.
    ///
    /// # Errors
    /// EINVAL for an empty `buf` (or one past 32 MiB); ENOMEM when the
    /// interrupts do not fit (pass a longer one).
    pub fn irqs(&self, buf: &mut [abi::S390Irq]) -> Result<usize> {
        let n = self.attr(
            Ioctl::GetDeviceAttr,
            abi::KVM_DEV_FLIC_GET_ALL_IRQS,
            0,
            FlicData::Irqs(buf),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// `KVM_DEV_FLIC_ENQUEUE`: queues `irqs` as floating interrupts (none
    /// is an accepted no-op).
    ///
    /// # Errors
    /// EINVAL for a type the kernel does not queue floating.
    pub fn enqueue(&self, irqs: &[abi::S390Irq]) -> Result<()> {
        let mut copy = irqs.to_vec();
        self.set(abi::KVM_DEV_FLIC_ENQUEUE, 0, FlicData::Irqs(&mut copy))
    }

    /// `KVM_DEV_FLIC_CLEAR_IRQS`: drops every pending floating interrupt.
    ///
    /// # Errors
    /// The errno.
    pub fn clear_irqs(&self) -> Result<()> {
        self.set(abi::KVM_DEV_FLIC_CLEAR_IRQS, 0, FlicData::None)
    }

    /// `KVM_DEV_FLIC_APF_ENABLE`: switches async page faults on.
    ///
    /// # Errors
    /// EINVAL on a ucontrol VM (it has no VM address space to fault in).
    pub fn enable_async_pf(&self) -> Result<()> {
        self.set(abi::KVM_DEV_FLIC_APF_ENABLE, 0, FlicData::None)
    }

    /// `KVM_DEV_FLIC_APF_DISABLE_WAIT`: switches async page faults off and
    /// waits for those in flight.
    ///
    /// # Errors
    /// EINVAL on a ucontrol VM, as [`Flic::enable_async_pf`].
    pub fn disable_async_pf_wait(&self) -> Result<()> {
        self.set(abi::KVM_DEV_FLIC_APF_DISABLE_WAIT, 0, FlicData::None)
    }

    /// `KVM_DEV_FLIC_ADAPTER_REGISTER`: registers an I/O adapter.
    ///
    /// # Errors
    /// EINVAL for an id past the kernel's maximum or one registered already.
    pub fn register_adapter(&self, adapter: &abi::IoAdapter) -> Result<()> {
        let mut a = *adapter;
        self.set(
            abi::KVM_DEV_FLIC_ADAPTER_REGISTER,
            0,
            FlicData::Adapter(&mut a),
        )
    }

    /// `KVM_DEV_FLIC_ADAPTER_MODIFY`: masks, maps or unmaps an adapter.
    ///
    /// # Errors
    /// EINVAL for an unknown adapter or request type.
    pub fn modify_adapter(&self, req: &abi::IoAdapterReq) -> Result<()> {
        let mut r = *req;
        self.set(
            abi::KVM_DEV_FLIC_ADAPTER_MODIFY,
            0,
            FlicData::AdapterReq(&mut r),
        )
    }

    /// `KVM_DEV_FLIC_CLEAR_IO_IRQ`: drops the pending I/O interrupts of
    /// subchannel `schid`.
    ///
    /// # Errors
    /// EINVAL for subchannel id 0.
    pub fn clear_io_irq(&self, schid: u32) -> Result<()> {
        let mut word = schid;
        let size = size_of::<u32>() as u64;
        self.set(
            abi::KVM_DEV_FLIC_CLEAR_IO_IRQ,
            size,
            FlicData::Word(&mut word),
        )
    }

    /// `KVM_DEV_FLIC_AIRQ_INJECT`: injects an interrupt of adapter `id`.
    ///
    /// # Errors
    /// EINVAL when no adapter `id` is registered.
    pub fn inject_adapter_irq(&self, id: u32) -> Result<()> {
        self.set(abi::KVM_DEV_FLIC_AIRQ_INJECT, u64::from(id), FlicData::None)
    }
}

impl AsFd for Flic {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
