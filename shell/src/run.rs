//! What `KVM_RUN` returns: the exit, decoded from `kvm_run`.

use ucas_core::abi::{self, KvmRun};

/// Why `KVM_RUN` returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Exit {
    /// `KVM_EXIT_S390_UCONTROL`: the guest touched an unmapped vcpu segment.
    /// Map the segment holding `trans_exc_code` and run again: the PSW still
    /// points at the faulting instruction.
    Ucontrol {
        /// The faulting vcpu address, rounded down to 4 KiB.
        trans_exc_code: u64,
        /// The program-interruption code (0x10, segment translation).
        pgm_code: u32,
    },
    /// `KVM_EXIT_S390_SIEIC`: an SIE intercept for userspace to handle.
    Sieic {
        /// The intercept code (`ICPT_*`, e.g. 4 for an instruction).
        icptcode: u8,
        /// The first two bytes of the intercepted instruction.
        ipa: u16,
        /// The next four bytes of the intercepted instruction.
        ipb: u32,
    },
    /// A signal interrupted the run (EINTR or `KVM_EXIT_INTR`).
    Interrupted,
    /// Any other exit reason, by number.
    Other(u32),
}

impl Exit {
    /// Decodes the exit `kvm_run` describes.
    #[must_use]
    pub fn from_run(run: &KvmRun) -> Self {
        match run.exit_reason {
            abi::KVM_EXIT_S390_UCONTROL => {
                let u = run.ucontrol();
                Self::Ucontrol {
                    trans_exc_code: u.trans_exc_code,
                    pgm_code: u.pgm_code,
                }
            }
            abi::KVM_EXIT_S390_SIEIC => {
                let s = run.sieic();
                Self::Sieic {
                    icptcode: s.icptcode,
                    ipa: s.ipa,
                    ipb: s.ipb,
                }
            }
            abi::KVM_EXIT_INTR => Self::Interrupted,
            other => Self::Other(other),
        }
    }

    /// For an instruction intercept, the DIAGNOSE code (`ipb` bits 0–15 of
    /// the displacement), e.g. 0x44 for `diag 0,0,0x44`.
    #[must_use]
    pub fn diag_code(&self) -> Option<u16> {
        match *self {
            Self::Sieic {
                icptcode: abi::ICPT_INST,
                ipa,
                ipb,
            } if ipa >> 8 == 0x83 => Some(((ipb >> 16) & 0xfff) as u16),
            _ => None,
        }
    }
}

/// The result of [`crate::Vcpu::run_demand`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemandRun {
    /// The exit that ended the run (not a ucontrol exit the policy mapped).
    pub exit: Exit,
    /// How many segments were mapped on demand.
    pub segments_mapped: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ucas_core::abi::{SieicExit, UcontrolExit};

    #[test]
    fn decodes_each_exit() {
        let mut run = KvmRun::default();
        run.exit_reason = abi::KVM_EXIT_S390_UCONTROL;
        run.set_ucontrol(UcontrolExit {
            trans_exc_code: 0x40_0000,
            pgm_code: 0x10,
        });
        assert_eq!(
            Exit::from_run(&run),
            Exit::Ucontrol {
                trans_exc_code: 0x40_0000,
                pgm_code: 0x10
            }
        );
        run.exit_reason = abi::KVM_EXIT_S390_SIEIC;
        run.set_sieic(SieicExit {
            icptcode: 4,
            ipa: 0x8300,
            ipb: 0x0044_0000,
        });
        let exit = Exit::from_run(&run);
        assert_eq!(exit.diag_code(), Some(0x44));
        run.exit_reason = abi::KVM_EXIT_INTR;
        assert_eq!(Exit::from_run(&run), Exit::Interrupted);
        run.exit_reason = 2;
        assert_eq!(Exit::from_run(&run), Exit::Other(2));
        assert_eq!(Exit::Other(2).diag_code(), None);
    }
}
