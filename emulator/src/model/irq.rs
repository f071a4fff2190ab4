//! Interrupt injection: `KVM_S390_IRQ` and `KVM_S390_INTERRUPT` on a vcpu
//! (local interrupts), `KVM_S390_INTERRUPT` on a VM (floating ones), as
//! `interrupt.c` (B-era file 16309601; the C tree has the same checks)
//! takes them. A ucontrol vcpu never delivers an interrupt (`vcpu_pre_run`
//! skips delivery), so what is injected only stays pending; the model keeps
//! what the checks depend on: a pending SIGP stop and a pending external
//! call refuse a second one with EBUSY, until a reset clears them.
//!
//! Checks, local: program interruption, restart, clock comparator, CPU
//! timer, machine check, pfault init: accepted; set prefix: EBUSY unless
//! the vcpu is stopped; SIGP stop: flags other than store-status EINVAL, a
//! stopped vcpu stores status (absolute 0 on ucontrol: EFAULT unless the
//! caller's memory is at 0) or does nothing, a pending stop EBUSY; external
//! call and emergency signal: a source cpu that is no vcpu of the VM
//! EINVAL (external call: EBUSY while one is pending; the modelled host has
//! no SIGP interpretation); anything else EINVAL. `KVM_S390_INTERRUPT`
//! first converts: a program, external-call or emergency parameter with
//! bits in the upper half EINVAL, a type it does not know EINVAL.
//! Floating: virtio, service, pfault done, machine check and I/O (every
//! type up to `KVM_S390_INT_IO_MAX`) are accepted, anything else EINVAL.
//! The model does not raise the "interrupt pending" cpuflags a floating
//! interrupt sets on some vcpu.
//!
//! `KVM_S390_GET_IRQ_STATE` and `KVM_S390_SET_IRQ_STATE` depend on whether
//! any local interrupt is pending (the kernel's `pending_irqs`), which the
//! model follows as [`Queued`]: every accepted injection that sets a bit
//! makes it [`Queued::Some`], a reset [`Queued::None`]. A machine check
//! sets a bit only for some `mcic` bits, a stop of the vcpu drops a
//! pending SIGP stop, and a vcpu `KVM_S390_MEM_OP` with
//! `KVM_S390_MEMOP_F_INJECT_EXCEPTION` queues the program interruption it
//! answers with; after those the model no longer knows
//! ([`Queued::Unknown`]).

use ucas_core::Errno;
use ucas_core::abi::{
    KVM_S390_INT_CLOCK_COMP, KVM_S390_INT_CPU_TIMER, KVM_S390_INT_EMERGENCY,
    KVM_S390_INT_EXTERNAL_CALL, KVM_S390_INT_IO_MAX, KVM_S390_INT_PFAULT_DONE,
    KVM_S390_INT_PFAULT_INIT, KVM_S390_INT_SERVICE, KVM_S390_INT_VIRTIO, KVM_S390_MCHK,
    KVM_S390_PROGRAM_INT, KVM_S390_RESTART, KVM_S390_SIGP_SET_PREFIX, KVM_S390_SIGP_STOP,
    KVM_S390_STOP_FLAG_STORE_STATUS,
};

/// A local interrupt as `struct kvm_s390_irq` gives it: the type and the
/// first word of the payload (stop flags, or the source cpu in its first
/// halfword, native order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Irq {
    /// `KVM_S390_*`.
    pub kind: u64,
    /// Bytes 8–11 of the struct.
    pub word: [u8; 4],
}

impl Irq {
    /// Converts a `struct kvm_s390_interrupt` (type, parm) as
    /// `s390int_to_s390irq` does.
    ///
    /// # Errors
    /// EINVAL for a type it does not know or a parameter out of range.
    pub fn from_interrupt(kind: u32, parm: u32) -> Result<Self, Errno> {
        let word = match kind {
            KVM_S390_PROGRAM_INT | KVM_S390_INT_EXTERNAL_CALL | KVM_S390_INT_EMERGENCY => {
                let code = u16::try_from(parm).map_err(|_| Errno::INVAL)?;
                let [a, b] = code.to_ne_bytes();
                [a, b, 0, 0]
            }
            KVM_S390_SIGP_SET_PREFIX | KVM_S390_SIGP_STOP | KVM_S390_INT_PFAULT_INIT => {
                parm.to_ne_bytes()
            }
            KVM_S390_MCHK | KVM_S390_RESTART | KVM_S390_INT_CLOCK_COMP | KVM_S390_INT_CPU_TIMER => {
                [0; 4]
            }
            _ => return Err(Errno::INVAL),
        };
        Ok(Self {
            kind: u64::from(kind),
            word,
        })
    }

    fn code(&self) -> u16 {
        u16::from_ne_bytes([self.word[0], self.word[1]])
    }
}

/// Whether any local interrupt is pending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Queued {
    /// None is.
    #[default]
    None,
    /// At least one is.
    Some,
    /// The model cannot tell.
    Unknown,
}

/// The local interrupts of one vcpu the checks look at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pending {
    stop: bool,
    external_call: bool,
    queued: Queued,
}

impl Pending {
    /// A reset clears the local interrupts.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Whether any local interrupt is pending.
    #[must_use]
    pub fn queued(&self) -> Queued {
        self.queued
    }

    /// The running vcpu was stopped: its pending SIGP stop, if any, is
    /// gone (`kvm_s390_vcpu_stop`), and with it perhaps the only pending
    /// interrupt.
    pub fn vcpu_stopped(&mut self) {
        self.stop = false;
        if self.queued == Queued::Some {
            self.queued = Queued::Unknown;
        }
    }

    /// Something the model does not follow may have queued an interrupt.
    pub fn lost_track(&mut self) {
        self.queued = Queued::Unknown;
    }

    /// [`Self::inject`], recording what the accepted injection queued.
    ///
    /// # Errors
    /// As [`Self::inject`].
    pub fn inject_and_queue(
        &mut self,
        irq: Irq,
        stopped: bool,
        is_vcpu: impl Fn(u16) -> bool,
    ) -> Result<i64, Errno> {
        let r = self.inject(irq, stopped, is_vcpu)?;
        let kind = u32::try_from(irq.kind).unwrap_or(u32::MAX);
        match kind {
            // A machine check is queued only for some of its bits.
            KVM_S390_MCHK if self.queued == Queued::None => self.queued = Queued::Unknown,
            KVM_S390_MCHK => {}
            // A stopped vcpu takes a stop without queueing it.
            KVM_S390_SIGP_STOP if stopped => {}
            _ if self.queued == Queued::Unknown => {}
            _ => self.queued = Queued::Some,
        }
        Ok(r)
    }

    /// Injects `irq` into a vcpu that is `stopped`, of a VM whose vcpu ids
    /// satisfy `is_vcpu`.
    ///
    /// # Errors
    /// As the module documentation says.
    pub fn inject(
        &mut self,
        irq: Irq,
        stopped: bool,
        is_vcpu: impl Fn(u16) -> bool,
    ) -> Result<i64, Errno> {
        let Ok(kind) = u32::try_from(irq.kind) else {
            return Err(Errno::INVAL);
        };
        match kind {
            KVM_S390_PROGRAM_INT
            | KVM_S390_RESTART
            | KVM_S390_INT_CLOCK_COMP
            | KVM_S390_INT_CPU_TIMER
            | KVM_S390_MCHK
            | KVM_S390_INT_PFAULT_INIT => Ok(0),
            KVM_S390_SIGP_SET_PREFIX if !stopped => Err(Errno::BUSY),
            KVM_S390_SIGP_SET_PREFIX => Ok(0),
            KVM_S390_SIGP_STOP => {
                let flags = u32::from_ne_bytes(irq.word);
                if flags & !KVM_S390_STOP_FLAG_STORE_STATUS != 0 {
                    Err(Errno::INVAL)
                } else if stopped {
                    // Storing status at absolute 0: the caller's user
                    // address 0, which no process maps.
                    if flags & KVM_S390_STOP_FLAG_STORE_STATUS != 0 {
                        Err(Errno::FAULT)
                    } else {
                        Ok(0)
                    }
                } else if self.stop {
                    Err(Errno::BUSY)
                } else {
                    self.stop = true;
                    Ok(0)
                }
            }
            KVM_S390_INT_EMERGENCY | KVM_S390_INT_EXTERNAL_CALL if !is_vcpu(irq.code()) => {
                Err(Errno::INVAL)
            }
            KVM_S390_INT_EMERGENCY => Ok(0),
            KVM_S390_INT_EXTERNAL_CALL if self.external_call => Err(Errno::BUSY),
            KVM_S390_INT_EXTERNAL_CALL => {
                self.external_call = true;
                Ok(0)
            }
            _ => Err(Errno::INVAL),
        }
    }
}

/// `KVM_S390_INTERRUPT` on a VM fd: whether the type is a floating one.
///
/// # Errors
/// EINVAL for a type that is not.
pub fn inject_floating(kind: u32) -> Result<i64, Errno> {
    match kind {
        KVM_S390_INT_VIRTIO | KVM_S390_INT_SERVICE | KVM_S390_INT_PFAULT_DONE | KVM_S390_MCHK => {
            Ok(0)
        }
        k if k <= KVM_S390_INT_IO_MAX => Ok(0),
        _ => Err(Errno::INVAL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn irq(kind: u32, parm: u32) -> Irq {
        Irq::from_interrupt(kind, parm).unwrap()
    }

    #[test]
    fn local_checks() {
        let mut p = Pending::default();
        let vcpus = |id| id == 0;
        assert_eq!(p.inject(irq(KVM_S390_PROGRAM_INT, 5), false, vcpus), Ok(0));
        assert_eq!(
            p.inject(irq(KVM_S390_SIGP_SET_PREFIX, 0x2000), false, vcpus),
            Err(Errno::BUSY)
        );
        assert_eq!(
            p.inject(irq(KVM_S390_SIGP_SET_PREFIX, 0x2000), true, vcpus),
            Ok(0)
        );
        assert_eq!(
            p.inject(irq(KVM_S390_SIGP_STOP, 2), false, vcpus),
            Err(Errno::INVAL)
        );
        assert_eq!(p.inject(irq(KVM_S390_SIGP_STOP, 0), false, vcpus), Ok(0));
        assert_eq!(
            p.inject(irq(KVM_S390_SIGP_STOP, 0), false, vcpus),
            Err(Errno::BUSY)
        );
        assert_eq!(
            p.inject(irq(KVM_S390_SIGP_STOP, 1), true, vcpus),
            Err(Errno::FAULT)
        );
        assert_eq!(
            p.inject(irq(KVM_S390_INT_EMERGENCY, 3), false, vcpus),
            Err(Errno::INVAL)
        );
        assert_eq!(
            p.inject(irq(KVM_S390_INT_EXTERNAL_CALL, 0), false, vcpus),
            Ok(0)
        );
        assert_eq!(
            p.inject(irq(KVM_S390_INT_EXTERNAL_CALL, 0), false, vcpus),
            Err(Errno::BUSY)
        );
        p.clear();
        assert_eq!(
            p.inject(irq(KVM_S390_INT_EXTERNAL_CALL, 0), false, vcpus),
            Ok(0)
        );
        let virtio = Irq {
            kind: u64::from(KVM_S390_INT_VIRTIO),
            word: [0; 4],
        };
        assert_eq!(p.inject(virtio, false, vcpus), Err(Errno::INVAL));
    }

    #[test]
    fn what_is_queued() {
        let mut p = Pending::default();
        let vcpus = |id| id == 0;
        assert_eq!(p.queued(), Queued::None);
        // Refused, or a stop of a stopped vcpu: nothing queued.
        let prefix = irq(KVM_S390_SIGP_SET_PREFIX, 0x2000);
        assert_eq!(p.inject_and_queue(prefix, false, vcpus), Err(Errno::BUSY));
        let stop = irq(KVM_S390_SIGP_STOP, 0);
        assert_eq!(p.inject_and_queue(stop, true, vcpus), Ok(0));
        assert_eq!(p.queued(), Queued::None);
        let mchk = irq(KVM_S390_MCHK, 0);
        assert_eq!(p.inject_and_queue(mchk, false, vcpus), Ok(0));
        assert_eq!(p.queued(), Queued::Unknown);
        let restart = irq(KVM_S390_RESTART, 0);
        assert_eq!(p.inject_and_queue(restart, false, vcpus), Ok(0));
        assert_eq!(p.queued(), Queued::Unknown);
        p.clear();
        assert_eq!(p.inject_and_queue(restart, false, vcpus), Ok(0));
        assert_eq!(p.queued(), Queued::Some);
        p.vcpu_stopped();
        assert_eq!(p.queued(), Queued::Unknown);
        // The stop is gone with it.
        p.clear();
        assert_eq!(p.inject_and_queue(stop, false, vcpus), Ok(0));
        assert_eq!(p.inject_and_queue(stop, false, vcpus), Err(Errno::BUSY));
        p.vcpu_stopped();
        assert_eq!(p.inject_and_queue(stop, false, vcpus), Ok(0));
    }

    #[test]
    fn conversion_and_floating() {
        assert_eq!(
            Irq::from_interrupt(KVM_S390_PROGRAM_INT, 0x1_0000),
            Err(Errno::INVAL)
        );
        assert_eq!(
            Irq::from_interrupt(KVM_S390_INT_VIRTIO, 0),
            Err(Errno::INVAL)
        );
        assert_eq!(inject_floating(KVM_S390_INT_SERVICE), Ok(0));
        assert_eq!(inject_floating(0x1234), Ok(0));
        assert_eq!(inject_floating(KVM_S390_PROGRAM_INT), Err(Errno::INVAL));
    }
}
