//! `KVM_CHECK_EXTENSION`: what the modelled s390 host answers for each
//! capability, on `/dev/kvm` and on a VM fd, per kernel generation
//! (`emulator/KERNEL-INTERFACE.md`, table S2).
//!
//! Where the kernel's answer depends on the machine or on module
//! parameters, the model answers as this host would:
//!
//! - an IBM z16 class machine (facilities 11, 64, 82, 129 and 133
//!   installed: CPU topology, runtime instrumentation, branch prediction
//!   blocking, vector registers, guarded storage), with the extended SCA
//!   (up to 248 vcpus in a regular VM);
//! - no protected virtualization (not booted with `prot_virt=1`) and no
//!   zPCI interpretation;
//! - the kvm module loaded with its default `hpage=0`, so no 1 MiB huge
//!   pages anywhere (with `hpage=1` the kernel offers them on `/dev/kvm`
//!   and regular VMs but never on a ucontrol VM: the one answer that can
//!   differ between the fds; [`HPAGE`] holds the modelled setting);
//! - as many online CPUs as the machine running the emulator has (the
//!   kernel's `num_online_cpus()`).
//!
//! `KVM_CAP_BINARY_STATS_FD` is 1 as in the kernel: `KVM_GET_STATS_FD`
//! gives a statistics fd whose header is the kernel's format but which
//! lists no statistics (a stated difference of the model).

use ucas_core::Generation;
use ucas_core::abi::*;

/// The most vcpus a VM of the modelled host takes: the extended SCA's 248
/// slots (`KVM_S390_ESCA_CPU_SLOTS`).
const MAX_VCPUS: i64 = 248;

/// `KVM_MAX_IRQ_ROUTES`, the generic routing-table limit.
const MAX_IRQ_ROUTES: i64 = 4096;

/// `MEM_OP_MAX_SIZE`: the largest `KVM_S390_MEM_OP` transfer.
const MEM_OP_MAX_SIZE: i64 = 65536;

/// `KVM_S390_MEMOP_EXTENSION_CAP_BASE | KVM_S390_MEMOP_EXTENSION_CAP_CMPXCHG`.
const MEM_OP_EXTENSIONS: i64 = 0b11;

/// `KVM_GUESTDBG_VALID_MASK` on s390: ENABLE, SINGLESTEP, USE_HW_BP,
/// EXIT_PENDING.
const GUEST_DEBUG_FLAGS: i64 = 0x1001_0003;

/// The kvm module's `hpage` parameter on the modelled host (the default).
pub const HPAGE: bool = false;

/// The memory limit of a regular VM on the modelled host: the kernel
/// takes the machine's highest absolute address (`sclp.hamax`) plus one,
/// capped at the largest user address; the modelled machine has 4 TiB of
/// absolute storage.
pub const REGULAR_MEM_LIMIT: u64 = 1 << 42;

/// `KVM_USER_MEM_SLOTS`: SHRT_MAX less the internal slots, of which s390
/// keeps one from generation B on (the ucontrol memslot). Slot ids below
/// it are the user's.
#[must_use]
pub fn user_mem_slots(generation: Generation) -> u16 {
    match generation {
        Generation::A => 32767,
        Generation::B | Generation::C => 32766,
    }
}

/// Where a `KVM_CHECK_EXTENSION` is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// On `/dev/kvm`.
    System,
    /// On the fd of a VM, ucontrol or not.
    Vm {
        /// Whether the VM is a ucontrol VM.
        ucontrol: bool,
    },
}

/// The answer for capabilities that came with a release inside a
/// generation (`None` for the others): `KVM_CAP_S390_VSIE_ESAMODE` from
/// 7.1, any VM (kvm-s390-next-7.1-1); `KVM_CAP_PRE_FAULT_MEMORY` from 7.2,
/// no ucontrol exclusion (its ioctl refuses ucontrol vcpus).
#[must_use]
pub fn of_release(release: (u32, u32), cap: u64) -> Option<i64> {
    let since = match cap {
        c if c == u64::from(KVM_CAP_S390_VSIE_ESAMODE) => (7, 1),
        c if c == u64::from(KVM_CAP_PRE_FAULT_MEMORY) => (7, 2),
        _ => return None,
    };
    Some(i64::from(release >= since))
}

/// The answer to `KVM_CHECK_EXTENSION(cap)`; 0 for a capability the
/// modelled kernel does not know. `online_cpus` is the host's.
#[must_use]
pub fn check_extension(generation: Generation, cap: u64, asked: Asked, online_cpus: u32) -> i64 {
    let Ok(cap) = u32::try_from(cap) else {
        return 0;
    };
    match cap {
        KVM_CAP_USER_MEMORY
        | KVM_CAP_MP_STATE
        | KVM_CAP_SYNC_MMU
        | KVM_CAP_DESTROY_MEMORY_REGION_WORKS
        | KVM_CAP_SET_GUEST_DEBUG
        | KVM_CAP_JOIN_MEMORY_REGIONS_WORKS
        | KVM_CAP_IRQFD
        | KVM_CAP_IOEVENTFD
        | KVM_CAP_INTERNAL_ERROR_DATA
        | KVM_CAP_S390_PSW
        | KVM_CAP_ENABLE_CAP
        | KVM_CAP_ASYNC_PF
        | KVM_CAP_ONE_REG
        | KVM_CAP_S390_GMAP
        | KVM_CAP_S390_UCONTROL
        | KVM_CAP_SYNC_REGS
        | KVM_CAP_S390_COW
        | KVM_CAP_IRQFD_RESAMPLE
        | KVM_CAP_S390_CSS_SUPPORT
        | KVM_CAP_DEVICE_CTRL
        | KVM_CAP_ENABLE_CAP_VM
        | KVM_CAP_S390_IRQCHIP
        | KVM_CAP_VM_ATTRIBUTES
        | KVM_CAP_CHECK_EXTENSION_VM
        | KVM_CAP_S390_USER_SIGP
        | KVM_CAP_S390_VECTOR_REGISTERS
        | KVM_CAP_S390_USER_STSI
        | KVM_CAP_S390_SKEYS
        | KVM_CAP_S390_INJECT_IRQ
        | KVM_CAP_S390_IRQ_STATE
        | KVM_CAP_IOEVENTFD_ANY_LENGTH
        | KVM_CAP_S390_RI
        | KVM_CAP_S390_USER_INSTR0
        | KVM_CAP_IMMEDIATE_EXIT
        | KVM_CAP_S390_GS
        | KVM_CAP_S390_AIS
        | KVM_CAP_S390_CMMA_MIGRATION
        | KVM_CAP_S390_AIS_MIGRATION
        | KVM_CAP_S390_BPB
        | KVM_CAP_S390_VCPU_RESETS
        | KVM_CAP_HALT_POLL
        | KVM_CAP_S390_DIAG318
        | KVM_CAP_SYSTEM_EVENT_DATA
        | KVM_CAP_BINARY_STATS_FD
        | KVM_CAP_S390_CPU_TOPOLOGY
        | KVM_CAP_USER_MEMORY2 => 1,
        KVM_CAP_NR_VCPUS => i64::from(online_cpus).min(MAX_VCPUS),
        KVM_CAP_NR_MEMSLOTS => i64::from(user_mem_slots(generation)),
        KVM_CAP_IRQ_ROUTING => MAX_IRQ_ROUTES,
        KVM_CAP_MAX_VCPUS | KVM_CAP_MAX_VCPU_ID => MAX_VCPUS,
        KVM_CAP_S390_MEM_OP => MEM_OP_MAX_SIZE,
        KVM_CAP_S390_MEM_OP_EXTENSION => MEM_OP_EXTENSIONS,
        KVM_CAP_SET_GUEST_DEBUG2 => GUEST_DEBUG_FLAGS,
        KVM_CAP_S390_HPAGE_1M => hpage_1m(HPAGE, asked),
        KVM_CAP_S390_USER_OPEREXEC | KVM_CAP_S390_KEYOP => i64::from(generation == Generation::C),
        // No protected virtualization, no zPCI interpretation on the
        // modelled host.
        KVM_CAP_S390_PROTECTED
        | KVM_CAP_S390_PROTECTED_DUMP
        | KVM_CAP_S390_ZPCI_OP
        | KVM_CAP_S390_PROTECTED_ASYNC_DISABLE => 0,
        _ => 0,
    }
}

/// `KVM_CAP_S390_HPAGE_1M`: the module parameter, except on a ucontrol VM,
/// which never backs guest memory with huge pages.
fn hpage_1m(hpage: bool, asked: Asked) -> i64 {
    i64::from(hpage && asked != Asked::Vm { ucontrol: true })
}

#[cfg(test)]
mod tests {
    use super::*;

    const UC: Asked = Asked::Vm { ucontrol: true };
    const REGULAR: Asked = Asked::Vm { ucontrol: false };

    fn all(g: Generation, cap: u32) -> [i64; 3] {
        [Asked::System, UC, REGULAR].map(|a| check_extension(g, u64::from(cap), a, 2))
    }

    #[test]
    fn releases_add_their_capabilities() {
        let esa = u64::from(KVM_CAP_S390_VSIE_ESAMODE);
        let pre = u64::from(KVM_CAP_PRE_FAULT_MEMORY);
        assert_eq!(of_release((7, 0), esa), Some(0));
        assert_eq!(of_release((7, 1), esa), Some(1));
        assert_eq!(of_release((7, 1), pre), Some(0));
        assert_eq!(of_release((7, 2), pre), Some(1));
        assert_eq!(of_release((8, 0), pre), Some(1));
        assert_eq!(of_release((7, 2), u64::from(KVM_CAP_S390_KEYOP)), None);
    }

    #[test]
    fn every_listed_capability_has_an_answer_and_unknown_ones_are_zero() {
        // A capability the list has but the model answers 0 for is one of
        // the documented host facts.
        let zero = [
            KVM_CAP_S390_HPAGE_1M,
            KVM_CAP_S390_HPAGE_2G,
            KVM_CAP_S390_PROTECTED,
            KVM_CAP_S390_PROTECTED_DUMP,
            KVM_CAP_S390_ZPCI_OP,
            KVM_CAP_S390_PROTECTED_ASYNC_DISABLE,
        ];
        for (name, cap) in CAPABILITIES {
            // The newest release modelled: what 7.1 and 7.2 added answers.
            let answer =
                of_release((7, 2), u64::from(cap)).unwrap_or_else(|| all(Generation::C, cap)[0]);
            assert_eq!(answer == 0, zero.contains(&cap), "{name}");
        }
        for cap in [0, 1, 2, 72, 250, 1 << 20] {
            assert_eq!(all(Generation::C, cap), [0; 3], "{cap}");
        }
        assert_eq!(
            check_extension(Generation::C, 1 << 32 | 73, Asked::System, 2),
            0
        );
    }

    #[test]
    fn the_fds_agree_and_hpage_is_never_offered_to_ucontrol() {
        for g in Generation::ALL {
            for (name, cap) in CAPABILITIES {
                let [system, uc, regular] = all(g, cap);
                assert_eq!((system, system), (uc, regular), "{name} {g:?}");
            }
        }
        // With hpage=1 the ucontrol VM still says no.
        let asked = [Asked::System, UC, REGULAR].map(|a| hpage_1m(true, a));
        assert_eq!(asked, [1, 0, 1]);
        assert_eq!(
            [Asked::System, UC, REGULAR].map(|a| hpage_1m(false, a)),
            [0; 3]
        );
    }

    #[test]
    fn per_generation_and_per_host() {
        assert_eq!(all(Generation::B, KVM_CAP_S390_KEYOP), [0; 3]);
        assert_eq!(all(Generation::C, KVM_CAP_S390_KEYOP), [1; 3]);
        assert_eq!(all(Generation::A, KVM_CAP_NR_MEMSLOTS), [32767; 3]);
        assert_eq!(all(Generation::C, KVM_CAP_NR_MEMSLOTS), [32766; 3]);
        assert_eq!(all(Generation::C, KVM_CAP_MAX_VCPUS), [248; 3]);
        assert_eq!(check_extension(Generation::C, 9, Asked::System, 2), 2);
        assert_eq!(check_extension(Generation::C, 9, Asked::System, 4000), 248);
        assert_eq!(all(Generation::A, KVM_CAP_S390_UCONTROL), [1; 3]);
    }
}
