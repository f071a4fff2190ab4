//! The VM attribute groups `KVM_S390_VM_TOD`, `KVM_S390_VM_CRYPTO`,
//! `KVM_S390_VM_MIGRATION` and `KVM_S390_VM_CPU_TOPOLOGY` (table V3 of
//! `emulator/KERNEL-INTERFACE.md`), from `kvm_s390_vm_set_attr`,
//! `kvm_s390_vm_get_attr` and `kvm_s390_vm_has_attr` at 42d3b66d. None of
//! them checks for ucontrol.
//!
//! - TOD: flags ≠ 0 → EINVAL (get and set); LOW is the guest clock (u64),
//!   HIGH a byte that must be 0, EXT `{epoch_idx, tod}`, whose epoch index
//!   must be 0 without facility 139; HAS knows LOW and HIGH only. Setting
//!   the clock sets the VM's epoch (guest clock minus host clock).
//! - CRYPTO: set only; the four key-wrapping controls need facility 76
//!   (EINVAL), the AP-interpretation pair needs AP instructions, which the
//!   modelled host lacks (EOPNOTSUPP; HAS ENXIO).
//! - MIGRATION: START needs a memory slot (EINVAL without: a ucontrol VM of
//!   generation A, or a regular VM, which the model gives none) and, without
//!   CMMA, only switches the mode on; STOP switches it off; STATUS is read
//!   as a u64.
//! - CPU_TOPOLOGY: needs facility 11 in the guest model (ENXIO); the value
//!   is the topology-change-report bit, set to `attr != 0`, read as a byte.
//!
//! The model's host clock is the emulating machine's `CLOCK_REALTIME` as a
//! TOD value (bit 51 = 1 µs since 1900), so the guest clock moves on.

use std::time::{SystemTime, UNIX_EPOCH};

use ucas_core::Errno;
use ucas_core::abi::{
    DeviceAttr, KVM_S390_VM_CPU_TOPOLOGY, KVM_S390_VM_CRYPTO, KVM_S390_VM_CRYPTO_DISABLE_APIE,
    KVM_S390_VM_CRYPTO_DISABLE_DEA_KW, KVM_S390_VM_CRYPTO_ENABLE_AES_KW,
    KVM_S390_VM_CRYPTO_ENABLE_APIE, KVM_S390_VM_MIGRATION, KVM_S390_VM_MIGRATION_START,
    KVM_S390_VM_MIGRATION_STATUS, KVM_S390_VM_MIGRATION_STOP, KVM_S390_VM_TOD, KVM_S390_VM_TOD_EXT,
    KVM_S390_VM_TOD_HIGH, KVM_S390_VM_TOD_LOW, TodClock,
};

use super::keys::CallerMemory;

/// The TOD clock at the Unix epoch.
const TOD_UNIX_EPOCH: u64 = 0x7D91_048B_CA00_0000;

/// The host's TOD clock now.
fn host_tod() -> u64 {
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    TOD_UNIX_EPOCH.wrapping_add(micros << 12)
}

/// Whether this module answers attribute group `group`.
#[must_use]
pub fn handles(group: u32) -> bool {
    matches!(
        group,
        KVM_S390_VM_TOD | KVM_S390_VM_CRYPTO | KVM_S390_VM_MIGRATION | KVM_S390_VM_CPU_TOPOLOGY
    )
}

/// What the attributes depend on besides their own state.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// The VM has a memory slot (generations B and C give a ucontrol VM one).
    pub has_slot: bool,
    /// Facility 11 (topology) is in the guest model.
    pub topology: bool,
    /// Facility 76 (MSA 3, key wrapping) is in the guest model.
    pub key_wrapping: bool,
    /// Facility 139 (multiple epochs) is in the guest model.
    pub multiple_epochs: bool,
}

/// The state these attributes keep for one VM.
#[derive(Debug, Clone, Default)]
pub struct VmAttrs {
    epoch: u64,
    migration: bool,
    mtcr: bool,
    aes_kw: bool,
    dea_kw: bool,
}

/// `KVM_HAS_DEVICE_ATTR` for a group [`handles`] says yes to.
///
/// # Errors
/// ENXIO for what the kernel does not offer.
pub fn has(ctx: Context, a: &DeviceAttr) -> Result<i64, Errno> {
    let known = match a.group {
        KVM_S390_VM_TOD => matches!(a.attr, KVM_S390_VM_TOD_LOW | KVM_S390_VM_TOD_HIGH),
        KVM_S390_VM_CRYPTO => {
            (KVM_S390_VM_CRYPTO_ENABLE_AES_KW..=KVM_S390_VM_CRYPTO_DISABLE_DEA_KW).contains(&a.attr)
        }
        KVM_S390_VM_MIGRATION => true,
        _ => ctx.topology,
    };
    if known { Ok(0) } else { Err(Errno::NXIO) }
}

impl VmAttrs {
    /// Migration mode ends (a memory slot without a dirty log came).
    pub fn end_migration(&mut self) {
        self.migration = false;
    }

    /// `KVM_GET_DEVICE_ATTR` (`set` false) or `KVM_SET_DEVICE_ATTR` of `a`,
    /// reading or writing the attribute's data at `a.addr` through `mem`.
    ///
    /// # Errors
    /// As the kernel (module documentation).
    pub fn access(
        &mut self,
        ctx: Context,
        set: bool,
        a: &DeviceAttr,
        mem: &mut dyn CallerMemory,
    ) -> Result<i64, Errno> {
        match (a.group, set) {
            (KVM_S390_VM_TOD, _) if a.flags != 0 => Err(Errno::INVAL),
            (KVM_S390_VM_TOD, false) => self.get_tod(ctx, a, mem),
            (KVM_S390_VM_TOD, true) => self.set_tod(ctx, a, mem),
            (KVM_S390_VM_CRYPTO, false) => Err(Errno::NXIO),
            (KVM_S390_VM_CRYPTO, true) => self.set_crypto(ctx, a.attr),
            (KVM_S390_VM_MIGRATION, false) => {
                if a.attr != KVM_S390_VM_MIGRATION_STATUS {
                    return Err(Errno::NXIO);
                }
                put(mem, a.addr, &u64::from(self.migration).to_ne_bytes())
            }
            (KVM_S390_VM_MIGRATION, true) => match a.attr {
                KVM_S390_VM_MIGRATION_START if self.migration => Ok(0),
                KVM_S390_VM_MIGRATION_START if !ctx.has_slot => Err(Errno::INVAL),
                KVM_S390_VM_MIGRATION_START | KVM_S390_VM_MIGRATION_STOP => {
                    self.migration = a.attr == KVM_S390_VM_MIGRATION_START;
                    Ok(0)
                }
                _ => Err(Errno::NXIO),
            },
            _ if !ctx.topology => Err(Errno::NXIO),
            (_, false) => put(mem, a.addr, &[u8::from(self.mtcr)]),
            (_, true) => {
                self.mtcr = a.attr != 0;
                Ok(0)
            }
        }
    }

    fn get_tod(
        &self,
        ctx: Context,
        a: &DeviceAttr,
        mem: &mut dyn CallerMemory,
    ) -> Result<i64, Errno> {
        let host = host_tod();
        let tod = host.wrapping_add(self.epoch);
        match a.attr {
            KVM_S390_VM_TOD_LOW => put(mem, a.addr, &tod.to_ne_bytes()),
            KVM_S390_VM_TOD_HIGH => put(mem, a.addr, &[0]),
            KVM_S390_VM_TOD_EXT => {
                // With multiple epochs a wrap of the guest clock past the
                // host's counts as the next epoch.
                let epoch_idx = u8::from(ctx.multiple_epochs && tod < host);
                let mut raw = [0u8; size_of::<TodClock>()];
                raw[0] = epoch_idx;
                raw[core::mem::offset_of!(TodClock, tod)..].copy_from_slice(&tod.to_ne_bytes());
                put(mem, a.addr, &raw)
            }
            _ => Err(Errno::NXIO),
        }
    }

    fn set_tod(
        &mut self,
        ctx: Context,
        a: &DeviceAttr,
        mem: &mut dyn CallerMemory,
    ) -> Result<i64, Errno> {
        let tod = match a.attr {
            KVM_S390_VM_TOD_LOW => {
                let mut raw = [0u8; 8];
                get(mem, a.addr, &mut raw)?;
                u64::from_ne_bytes(raw)
            }
            KVM_S390_VM_TOD_HIGH => {
                let mut raw = [0u8; 1];
                get(mem, a.addr, &mut raw)?;
                return if raw[0] == 0 {
                    Ok(0)
                } else {
                    Err(Errno::INVAL)
                };
            }
            KVM_S390_VM_TOD_EXT => {
                let mut raw = [0u8; size_of::<TodClock>()];
                get(mem, a.addr, &mut raw)?;
                if raw[0] != 0 && !ctx.multiple_epochs {
                    return Err(Errno::INVAL);
                }
                let at = core::mem::offset_of!(TodClock, tod);
                u64::from_ne_bytes(raw[at..at + 8].try_into().unwrap_or_default())
            }
            _ => return Err(Errno::NXIO),
        };
        self.epoch = tod.wrapping_sub(host_tod());
        Ok(0)
    }

    fn set_crypto(&mut self, ctx: Context, attr: u64) -> Result<i64, Errno> {
        match attr {
            KVM_S390_VM_CRYPTO_ENABLE_AES_KW..=KVM_S390_VM_CRYPTO_DISABLE_DEA_KW => {
                if !ctx.key_wrapping {
                    return Err(Errno::INVAL);
                }
                let on = attr < 2;
                if attr.is_multiple_of(2) {
                    self.aes_kw = on;
                } else {
                    self.dea_kw = on;
                }
                Ok(0)
            }
            KVM_S390_VM_CRYPTO_ENABLE_APIE | KVM_S390_VM_CRYPTO_DISABLE_APIE => {
                Err(Errno::OPNOTSUPP)
            }
            _ => Err(Errno::NXIO),
        }
    }
}

fn put(mem: &mut dyn CallerMemory, addr: u64, data: &[u8]) -> Result<i64, Errno> {
    if mem.write(addr, data) {
        Ok(0)
    } else {
        Err(Errno::FAULT)
    }
}

fn get(mem: &mut dyn CallerMemory, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
    if mem.read(addr, buf) {
        Ok(())
    } else {
        Err(Errno::FAULT)
    }
}

#[cfg(test)]
mod tests {
    use super::super::keys::Mem;
    use super::*;

    const CTX: Context = Context {
        has_slot: true,
        topology: true,
        key_wrapping: true,
        multiple_epochs: false,
    };

    fn attr(group: u32, attr: u64) -> DeviceAttr {
        DeviceAttr {
            flags: 0,
            group,
            attr,
            addr: 0x10000,
        }
    }

    #[test]
    fn tod_set_then_get_keeps_the_guest_clock() {
        let mut v = VmAttrs::default();
        let mut mem = Mem(vec![0; 0x10000]);
        let low = attr(KVM_S390_VM_TOD, KVM_S390_VM_TOD_LOW);
        mem.0[..8].copy_from_slice(&0x1000_0000_0000_0000u64.to_ne_bytes());
        assert_eq!(v.access(CTX, true, &low, &mut mem), Ok(0));
        assert_eq!(v.access(CTX, false, &low, &mut mem), Ok(0));
        let got = u64::from_ne_bytes(mem.0[..8].try_into().unwrap());
        // Read back within a second of what was set.
        assert!(
            got.wrapping_sub(0x1000_0000_0000_0000) < 1 << 32,
            "{got:#x}"
        );
        let flagged = DeviceAttr { flags: 1, ..low };
        assert_eq!(v.access(CTX, false, &flagged, &mut mem), Err(Errno::INVAL));
        let high = attr(KVM_S390_VM_TOD, KVM_S390_VM_TOD_HIGH);
        mem.0[0] = 1;
        assert_eq!(v.access(CTX, true, &high, &mut mem), Err(Errno::INVAL));
        let ext = attr(KVM_S390_VM_TOD, KVM_S390_VM_TOD_EXT);
        assert_eq!(v.access(CTX, true, &ext, &mut mem), Err(Errno::INVAL));
        assert_eq!(has(CTX, &ext), Err(Errno::NXIO));
        assert_eq!(has(CTX, &high), Ok(0));
        let unreadable = DeviceAttr { addr: 0, ..low };
        assert_eq!(
            v.access(CTX, true, &unreadable, &mut mem),
            Err(Errno::FAULT)
        );
    }

    #[test]
    fn migration_needs_a_slot_and_reads_back() {
        let mut v = VmAttrs::default();
        let mut mem = Mem(vec![0; 0x10000]);
        let start = attr(KVM_S390_VM_MIGRATION, KVM_S390_VM_MIGRATION_START);
        let status = attr(KVM_S390_VM_MIGRATION, KVM_S390_VM_MIGRATION_STATUS);
        let no_slot = Context {
            has_slot: false,
            ..CTX
        };
        assert_eq!(v.access(no_slot, true, &start, &mut mem), Err(Errno::INVAL));
        assert_eq!(v.access(CTX, true, &start, &mut mem), Ok(0));
        assert_eq!(v.access(CTX, false, &status, &mut mem), Ok(0));
        assert_eq!(mem.0[..8], 1u64.to_ne_bytes());
        assert_eq!(v.access(CTX, false, &start, &mut mem), Err(Errno::NXIO));
        assert_eq!(v.access(CTX, true, &status, &mut mem), Err(Errno::NXIO));
    }

    #[test]
    fn crypto_and_topology() {
        let mut v = VmAttrs::default();
        let mut mem = Mem(vec![0; 0x10000]);
        let aes = attr(KVM_S390_VM_CRYPTO, KVM_S390_VM_CRYPTO_ENABLE_AES_KW);
        assert_eq!(v.access(CTX, true, &aes, &mut mem), Ok(0));
        assert_eq!(v.access(CTX, false, &aes, &mut mem), Err(Errno::NXIO));
        let apie = attr(KVM_S390_VM_CRYPTO, KVM_S390_VM_CRYPTO_ENABLE_APIE);
        assert_eq!(v.access(CTX, true, &apie, &mut mem), Err(Errno::OPNOTSUPP));
        assert_eq!(has(CTX, &apie), Err(Errno::NXIO));
        let topo = attr(KVM_S390_VM_CPU_TOPOLOGY, 1);
        assert_eq!(v.access(CTX, true, &topo, &mut mem), Ok(0));
        assert_eq!(v.access(CTX, false, &topo, &mut mem), Ok(0));
        assert_eq!(mem.0[0], 1);
        let none = Context {
            topology: false,
            ..CTX
        };
        assert_eq!(v.access(none, false, &topo, &mut mem), Err(Errno::NXIO));
        assert_eq!(has(none, &topo), Err(Errno::NXIO));
    }
}
