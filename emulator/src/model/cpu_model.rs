//! The CPU model of a VM (`KVM_S390_VM_CPU_MODEL` attributes), for the
//! modelled host of `caps.rs`: what `KVM_GET_DEVICE_ATTR` copies out and
//! `KVM_SET_DEVICE_ATTR` takes in (table V3 of `KERNEL-INTERFACE.md`).
//!
//! The modelled host: machine type 3931 (an IBM z16), no IBC range (so a
//! guest's IBC is kept as set), a facility list holding the z/Architecture
//! base and the facilities `caps.rs` reports (11 topology, 64 runtime
//! instrumentation, 74 STHYI, 76 MSA3, 82 branch prediction blocking, 129
//! vectors, 133 guarded storage), no CPU features or instruction
//! subfunctions offered, no Ultravisor. These are the model's, not a real
//! machine's: a real z16 reports many more facilities.

use ucas_core::Errno;
use ucas_core::abi::{
    CpuFeat, CpuMachine, CpuProcessor, CpuSubfunc, KVM_S390_VM_CPU_MACHINE,
    KVM_S390_VM_CPU_MACHINE_FEAT, KVM_S390_VM_CPU_MACHINE_SUBFUNC,
    KVM_S390_VM_CPU_MACHINE_UV_FEAT_GUEST, KVM_S390_VM_CPU_PROCESSOR,
    KVM_S390_VM_CPU_PROCESSOR_FEAT, KVM_S390_VM_CPU_PROCESSOR_SUBFUNC,
    KVM_S390_VM_CPU_PROCESSOR_UV_FEAT_GUEST,
};

/// The host CPU id: version 0, serial 0, machine type 3931.
const HOST_CPUID: u64 = 0x0000_0000_3931_0000;

/// The CPU id a new VM's guest gets: the host's with version 0xff, as KVM
/// marks a virtual CPU.
const GUEST_CPUID: u64 = HOST_CPUID | 0xff00_0000_0000_0000;

/// The facility bits of the modelled host (bit 0 is the leftmost of the
/// first doubleword, as STFLE stores them).
const FACILITIES: [u32; 25] = [
    0, 1, 2, 3, 4, 7, 8, 9, 11, 17, 18, 19, 21, 25, 32, 33, 34, 35, 45, 64, 74, 76, 82, 129, 133,
];

/// An attribute of the CPU-model group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuAttr {
    /// The guest CPU.
    Processor,
    /// The host machine.
    Machine,
    /// The guest's CPU features.
    ProcessorFeat,
    /// The host's CPU features.
    MachineFeat,
    /// The guest's instruction subfunctions.
    ProcessorSubfunc,
    /// The host's instruction subfunctions.
    MachineSubfunc,
    /// The guest's Ultravisor features.
    ProcessorUv,
    /// The host's Ultravisor features.
    MachineUv,
}

impl CpuAttr {
    /// The attribute `attr` of the group, if there is one.
    #[must_use]
    pub fn of(attr: u64) -> Option<Self> {
        Some(match attr {
            KVM_S390_VM_CPU_PROCESSOR => Self::Processor,
            KVM_S390_VM_CPU_MACHINE => Self::Machine,
            KVM_S390_VM_CPU_PROCESSOR_FEAT => Self::ProcessorFeat,
            KVM_S390_VM_CPU_MACHINE_FEAT => Self::MachineFeat,
            KVM_S390_VM_CPU_PROCESSOR_SUBFUNC => Self::ProcessorSubfunc,
            KVM_S390_VM_CPU_MACHINE_SUBFUNC => Self::MachineSubfunc,
            KVM_S390_VM_CPU_PROCESSOR_UV_FEAT_GUEST => Self::ProcessorUv,
            KVM_S390_VM_CPU_MACHINE_UV_FEAT_GUEST => Self::MachineUv,
            _ => return None,
        })
    }

    /// The size of the attribute's data.
    #[must_use]
    pub fn len(self) -> usize {
        match self {
            Self::Processor => size_of::<CpuProcessor>(),
            Self::Machine => size_of::<CpuMachine>(),
            Self::ProcessorFeat | Self::MachineFeat => size_of::<CpuFeat>(),
            Self::ProcessorSubfunc | Self::MachineSubfunc => size_of::<CpuSubfunc>(),
            Self::ProcessorUv | Self::MachineUv => size_of::<u64>(),
        }
    }

    /// Whether `KVM_SET_DEVICE_ATTR` may change it (the host's are
    /// read-only: ENXIO).
    #[must_use]
    pub fn settable(self) -> bool {
        matches!(
            self,
            Self::Processor | Self::ProcessorFeat | Self::ProcessorSubfunc | Self::ProcessorUv
        )
    }
}

/// The modelled host's facility list as STFLE stores it (2 KiB).
fn host_facilities() -> [u64; 256] {
    let mut list = [0u64; 256];
    for bit in FACILITIES {
        let (word, shift) = (bit / 64, 63 - bit % 64);
        if let Some(w) = usize::try_from(word).ok().and_then(|w| list.get_mut(w)) {
            *w |= 1 << shift;
        }
    }
    list
}

/// One VM's CPU model, as the program's native-endian structs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuModel {
    cpuid: u64,
    ibc: u16,
    fac_list: Box<[u64; 256]>,
    feat: [u64; 16],
    subfunc: Box<[u8; 2048]>,
    uv_feat: u64,
}

impl Default for CpuModel {
    fn default() -> Self {
        Self {
            cpuid: GUEST_CPUID,
            ibc: 0,
            fac_list: Box::new(host_facilities()),
            feat: [0; 16],
            subfunc: Box::new([0; 2048]),
            uv_feat: 0,
        }
    }
}

impl CpuModel {
    /// Whether facility `bit` is in the guest's facility list.
    #[must_use]
    pub fn has_facility(&self, bit: u32) -> bool {
        let (word, shift) = (bit / 64, 63 - bit % 64);
        usize::try_from(word)
            .ok()
            .and_then(|w| self.fac_list.get(w))
            .is_some_and(|w| w >> shift & 1 != 0)
    }
}

/// Native-endian bytes of a list of u64.
fn words(out: &mut Vec<u8>, words: &[u64]) {
    for w in words {
        out.extend_from_slice(&w.to_ne_bytes());
    }
}

/// The u64 at byte `at` of `raw` (native-endian; zero past the end).
fn word(raw: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    if let Some(b) = raw.get(at..at.saturating_add(8)) {
        w.copy_from_slice(b);
    }
    u64::from_ne_bytes(w)
}

impl CpuModel {
    /// What `KVM_GET_DEVICE_ATTR` copies out for `attr`.
    #[must_use]
    pub fn get(&self, attr: CpuAttr) -> Vec<u8> {
        let mut out = Vec::with_capacity(attr.len());
        match attr {
            CpuAttr::Processor => {
                out.extend_from_slice(&self.cpuid.to_ne_bytes());
                out.extend_from_slice(&self.ibc.to_ne_bytes());
                out.extend_from_slice(&[0; 6]);
                words(&mut out, &self.fac_list[..]);
            }
            CpuAttr::Machine => {
                out.extend_from_slice(&HOST_CPUID.to_ne_bytes());
                out.extend_from_slice(&0u32.to_ne_bytes());
                out.extend_from_slice(&[0; 4]);
                let host = host_facilities();
                words(&mut out, &host);
                words(&mut out, &host);
            }
            CpuAttr::ProcessorFeat => words(&mut out, &self.feat),
            CpuAttr::MachineFeat => words(&mut out, &[0; 16]),
            CpuAttr::ProcessorSubfunc => out.extend_from_slice(&self.subfunc[..]),
            CpuAttr::MachineSubfunc => out.extend_from_slice(&[0; 2048]),
            CpuAttr::ProcessorUv => out.extend_from_slice(&self.uv_feat.to_ne_bytes()),
            CpuAttr::MachineUv => out.extend_from_slice(&0u64.to_ne_bytes()),
        }
        out
    }

    /// `KVM_SET_DEVICE_ATTR` of `attr` with `raw` as read from the program
    /// (`attr.len()` bytes).
    ///
    /// # Errors
    /// EINVAL for features or Ultravisor bits the host does not offer;
    /// ENXIO for the host's read-only attributes.
    pub fn set(&mut self, attr: CpuAttr, raw: &[u8]) -> Result<(), Errno> {
        match attr {
            CpuAttr::Processor => {
                // The host has no IBC range, so the guest's IBC is kept.
                self.cpuid = word(raw, 0);
                for (i, w) in self.fac_list.iter_mut().enumerate() {
                    *w = word(raw, 16 + 8 * i);
                }
                Ok(())
            }
            // Only what the host offers may be asked for: nothing.
            CpuAttr::ProcessorFeat | CpuAttr::ProcessorUv => {
                if raw.iter().any(|&b| b != 0) {
                    Err(Errno::INVAL)
                } else {
                    Ok(())
                }
            }
            CpuAttr::ProcessorSubfunc => {
                let n = raw.len().min(self.subfunc.len());
                self.subfunc[..n].copy_from_slice(&raw[..n]);
                Ok(())
            }
            CpuAttr::Machine
            | CpuAttr::MachineFeat
            | CpuAttr::MachineSubfunc
            | CpuAttr::MachineUv => Err(Errno::NXIO),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_and_defaults() {
        let m = CpuModel::default();
        for attr in (0..8).filter_map(CpuAttr::of) {
            assert_eq!(m.get(attr).len(), attr.len(), "{attr:?}");
        }
        assert_eq!(CpuAttr::of(8), None);
        let p = m.get(CpuAttr::Processor);
        assert_eq!(word(&p, 0), 0xff00_0000_3931_0000);
        // Facility 129 (vectors): bit 1 of the third doubleword.
        assert_eq!(word(&p, 16 + 16) >> 62 & 1, 1);
        assert_eq!(word(&p, 16) >> 63, 1, "facility 0");
    }

    #[test]
    fn set_processor_and_refusals() {
        let mut m = CpuModel::default();
        let mut raw = vec![0u8; CpuAttr::Processor.len()];
        raw[..8].copy_from_slice(&0x1234u64.to_ne_bytes());
        m.set(CpuAttr::Processor, &raw).unwrap();
        assert_eq!(word(&m.get(CpuAttr::Processor), 0), 0x1234);
        assert_eq!(m.set(CpuAttr::ProcessorFeat, &[1; 128]), Err(Errno::INVAL));
        assert_eq!(m.set(CpuAttr::ProcessorFeat, &[0; 128]), Ok(()));
        assert_eq!(m.set(CpuAttr::Machine, &[0; 4112]), Err(Errno::NXIO));
        assert!(!CpuAttr::MachineSubfunc.settable());
    }
}
