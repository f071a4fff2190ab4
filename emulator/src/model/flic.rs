//! The FLIC (s390 floating interrupt controller) device of a VM, as
//! `KVM_CREATE_DEVICE` makes it and its attributes answer on a ucontrol VM
//! (table V4 of `KERNEL-INTERFACE.md`). A ucontrol VM gets no interrupt
//! from KVM, so nothing enqueued here is ever delivered; the model keeps
//! what the kernel keeps that its answers depend on: the registered I/O
//! adapters.

use ucas_core::Errno;
use ucas_core::abi::{
    IoAdapter, IoAdapterReq, KVM_DEV_FLIC_ADAPTER_MODIFY, KVM_DEV_FLIC_ADAPTER_REGISTER,
    KVM_DEV_FLIC_AIRQ_INJECT, KVM_DEV_FLIC_AISM, KVM_DEV_FLIC_AISM_ALL,
    KVM_DEV_FLIC_APF_DISABLE_WAIT, KVM_DEV_FLIC_APF_ENABLE, KVM_DEV_FLIC_CLEAR_IO_IRQ,
    KVM_DEV_FLIC_CLEAR_IRQS, KVM_DEV_FLIC_ENQUEUE, KVM_DEV_FLIC_GET_ALL_IRQS,
    KVM_S390_FLIC_MAX_BUFFER, KVM_S390_IO_ADAPTER_MAP, KVM_S390_IO_ADAPTER_MASK,
    KVM_S390_IO_ADAPTER_UNMAP, MAX_S390_IO_ADAPTERS, S390Irq,
};

/// `struct kvm_s390_ais_req` and `struct kvm_s390_ais_all`: 4 and 2 bytes.
const AIS_REQ_SIZE: usize = 4;
const AIS_ALL_SIZE: u64 = 2;

/// One VM's FLIC.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flic {
    /// Registered adapter ids, with whether each is masked.
    adapters: Vec<(u32, bool)>,
}

/// What a FLIC attribute call needs from the caller's memory before the
/// model can answer: the bytes at `attr.addr` (0 for none).
#[must_use]
pub fn set_payload_len(group: u32, attr: u64) -> usize {
    match group {
        KVM_DEV_FLIC_ADAPTER_REGISTER => size_of::<IoAdapter>(),
        KVM_DEV_FLIC_ADAPTER_MODIFY => size_of::<IoAdapterReq>(),
        KVM_DEV_FLIC_CLEAR_IO_IRQ if attr == 4 => 4,
        KVM_DEV_FLIC_AISM => AIS_REQ_SIZE,
        // ENQUEUE reads `attr` bytes of kvm_s390_irq; a length the kernel
        // refuses is refused before any read.
        KVM_DEV_FLIC_ENQUEUE if enqueue_len_ok(attr) => usize::try_from(attr).unwrap_or(0),
        _ => 0,
    }
}

fn enqueue_len_ok(len: u64) -> bool {
    let irq = u64::try_from(size_of::<S390Irq>()).unwrap_or(u64::MAX);
    len.is_multiple_of(irq) && len <= KVM_S390_FLIC_MAX_BUFFER
}

/// `KVM_HAS_DEVICE_ATTR` on a FLIC: every group exists.
///
/// # Errors
/// ENXIO for a group the FLIC does not have.
pub fn has(group: u32) -> Result<i64, Errno> {
    if (KVM_DEV_FLIC_GET_ALL_IRQS..=KVM_DEV_FLIC_AISM_ALL).contains(&group) {
        Ok(0)
    } else {
        Err(Errno::NXIO)
    }
}

impl Flic {
    /// `KVM_GET_DEVICE_ATTR`: the bytes to store at `attr.addr` (possibly
    /// none) and the return value. `ais` tells whether the VM enabled
    /// adapter-interruption suppression (facility 72).
    ///
    /// # Errors
    /// EINVAL for groups that cannot be read and bad lengths; EOPNOTSUPP
    /// for AIS state while AIS is off.
    pub fn get(&self, group: u32, attr: u64, ais: bool) -> Result<(Vec<u8>, i64), Errno> {
        match group {
            // No floating interrupt is ever pending in the model: 0 of them.
            KVM_DEV_FLIC_GET_ALL_IRQS if attr == 0 || attr > KVM_S390_FLIC_MAX_BUFFER => {
                Err(Errno::INVAL)
            }
            KVM_DEV_FLIC_GET_ALL_IRQS => Ok((Vec::new(), 0)),
            KVM_DEV_FLIC_AISM_ALL if attr < AIS_ALL_SIZE => Err(Errno::INVAL),
            KVM_DEV_FLIC_AISM_ALL if !ais => Err(Errno::OPNOTSUPP),
            KVM_DEV_FLIC_AISM_ALL => Ok((vec![0; 2], 0)),
            _ => Err(Errno::INVAL),
        }
    }

    /// `KVM_SET_DEVICE_ATTR` with `payload` read as [`set_payload_len`]
    /// says; `ucontrol` and `ais` describe the VM.
    ///
    /// # Errors
    /// The kernel's errno for the group (table V4).
    pub fn set(
        &mut self,
        group: u32,
        attr: u64,
        flags: u32,
        payload: &[u8],
        ucontrol: bool,
        ais: bool,
    ) -> Result<i64, Errno> {
        let u32_at = |at: usize| {
            payload
                .get(at..at + 4)
                .map_or(0, |b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        };
        match group {
            KVM_DEV_FLIC_ENQUEUE if !enqueue_len_ok(attr) => Err(Errno::INVAL),
            KVM_DEV_FLIC_ENQUEUE | KVM_DEV_FLIC_CLEAR_IRQS => Ok(0),
            // Async page faults need the VM's address space: not on ucontrol.
            KVM_DEV_FLIC_APF_ENABLE | KVM_DEV_FLIC_APF_DISABLE_WAIT if ucontrol => {
                Err(Errno::INVAL)
            }
            KVM_DEV_FLIC_APF_ENABLE | KVM_DEV_FLIC_APF_DISABLE_WAIT => Ok(0),
            KVM_DEV_FLIC_ADAPTER_REGISTER => {
                let id = u32_at(0);
                if id >= MAX_S390_IO_ADAPTERS || self.adapters.iter().any(|a| a.0 == id) {
                    return Err(Errno::INVAL);
                }
                self.adapters.push((id, false));
                Ok(0)
            }
            KVM_DEV_FLIC_ADAPTER_MODIFY => {
                let (id, kind, mask) = (u32_at(0), payload.get(4).copied(), payload.get(5));
                let adapter = self.adapters.iter_mut().find(|a| a.0 == id);
                match (adapter, kind) {
                    (Some(a), Some(KVM_S390_IO_ADAPTER_MASK)) => {
                        a.1 = mask.is_some_and(|&m| m != 0);
                        Ok(0)
                    }
                    (Some(_), Some(KVM_S390_IO_ADAPTER_MAP | KVM_S390_IO_ADAPTER_UNMAP)) => Ok(0),
                    _ => Err(Errno::INVAL),
                }
            }
            // A subchannel id (u32) it needs, no flags, and not 0.
            KVM_DEV_FLIC_CLEAR_IO_IRQ if flags != 0 || attr != 4 || u32_at(0) == 0 => {
                Err(Errno::INVAL)
            }
            KVM_DEV_FLIC_CLEAR_IO_IRQ => Ok(0),
            KVM_DEV_FLIC_AISM | KVM_DEV_FLIC_AISM_ALL if !ais => Err(Errno::OPNOTSUPP),
            KVM_DEV_FLIC_AISM if payload.first().is_some_and(|&isc| isc > 7) => Err(Errno::INVAL),
            KVM_DEV_FLIC_AISM | KVM_DEV_FLIC_AISM_ALL => Ok(0),
            KVM_DEV_FLIC_AIRQ_INJECT => {
                let known =
                    u32::try_from(attr).is_ok_and(|id| self.adapters.iter().any(|a| a.0 == id));
                if known { Ok(0) } else { Err(Errno::INVAL) }
            }
            _ => Err(Errno::INVAL),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adapters_register_once_and_modify_by_type() {
        let mut f = Flic::default();
        let reg = |id: u32| {
            let mut b = [0u8; 8];
            b[..4].copy_from_slice(&id.to_ne_bytes());
            b
        };
        assert_eq!(
            f.set(KVM_DEV_FLIC_ADAPTER_REGISTER, 0, 0, &reg(0), true, false),
            Ok(0)
        );
        assert_eq!(
            f.set(KVM_DEV_FLIC_ADAPTER_REGISTER, 0, 0, &reg(0), true, false),
            Err(Errno::INVAL)
        );
        assert_eq!(
            f.set(KVM_DEV_FLIC_ADAPTER_REGISTER, 0, 0, &reg(64), true, false),
            Err(Errno::INVAL)
        );
        let mut req = [0u8; 16];
        assert_eq!(
            f.set(KVM_DEV_FLIC_ADAPTER_MODIFY, 0, 0, &req, true, false),
            Err(Errno::INVAL)
        );
        req[4] = KVM_S390_IO_ADAPTER_MASK;
        assert_eq!(
            f.set(KVM_DEV_FLIC_ADAPTER_MODIFY, 0, 0, &req, true, false),
            Ok(0)
        );
        assert_eq!(
            f.set(KVM_DEV_FLIC_AIRQ_INJECT, 0, 0, &[], true, false),
            Ok(0)
        );
        assert_eq!(
            f.set(KVM_DEV_FLIC_AIRQ_INJECT, 5, 0, &[], true, false),
            Err(Errno::INVAL)
        );
    }

    #[test]
    fn lengths_and_ais() {
        let f = Flic::default();
        assert_eq!(
            f.get(KVM_DEV_FLIC_GET_ALL_IRQS, 0, false),
            Err(Errno::INVAL)
        );
        assert_eq!(
            f.get(KVM_DEV_FLIC_GET_ALL_IRQS, 4096, false).map(|r| r.1),
            Ok(0)
        );
        assert_eq!(f.get(KVM_DEV_FLIC_AISM_ALL, 1, true), Err(Errno::INVAL));
        assert_eq!(
            f.get(KVM_DEV_FLIC_AISM_ALL, 2, false),
            Err(Errno::OPNOTSUPP)
        );
        assert!(enqueue_len_ok(0) && enqueue_len_ok(144) && !enqueue_len_ok(100));
        assert_eq!(has(11), Ok(0));
        assert_eq!(has(12), Err(Errno::NXIO));
    }
}
