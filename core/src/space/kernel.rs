//! The kernel's side of a vcpu address space, for kernel models (the
//! emulator, fuzzers): [`KernelSpace`] performs `KVM_S390_UCAS_MAP` and
//! `UNMAP` as a given kernel generation does, failures and all, on the same
//! table type as the mirror.

use super::{AddressSpace, pieces};
use crate::Errno;
use crate::abi::UcasMapping;
use crate::request::{Generation, Rules, check_map, check_unmap};

/// A failed kernel-model operation: the errno, and how many segments a MAP
/// stored before it failed (generation C keeps them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KernelError {
    errno: Errno,
    stored: u64,
}

impl KernelError {
    /// The errno the kernel returns.
    #[must_use]
    pub const fn errno(&self) -> Errno {
        self.errno
    }

    /// Segments stored before an ENOMEM (they stay mapped on generation C;
    /// on A and B the whole requested range ends up unmapped).
    #[must_use]
    pub const fn stored(&self) -> u64 {
        self.stored
    }
}

/// One vcpu's address space as the kernel of one generation keeps it:
/// [`AddressSpace`] driven by the kernel's rules, with the kernel's
/// consequences of a failure (which the mirror, all-or-nothing, never has).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelSpace<const N: usize> {
    generation: Generation,
    space: AddressSpace<N>,
}

impl<const N: usize> KernelSpace<N> {
    /// An empty address space of a kernel of `generation`.
    #[must_use]
    pub const fn new(generation: Generation) -> Self {
        Self {
            generation,
            space: AddressSpace::new(),
        }
    }

    /// `space` as the kernel of `generation` would hold it (for models that
    /// start from a given table).
    #[must_use]
    pub const fn from_space(generation: Generation, space: AddressSpace<N>) -> Self {
        Self { generation, space }
    }

    /// The table, for reuse as a mirror.
    #[must_use]
    pub fn into_space(self) -> AddressSpace<N> {
        self.space
    }

    /// The generation whose rules this space follows.
    #[must_use]
    pub const fn generation(&self) -> Generation {
        self.generation
    }

    /// What is mapped: the table, for lookups and reports.
    #[must_use]
    pub const fn space(&self) -> &AddressSpace<N> {
        &self.space
    }

    /// `KVM_S390_UCAS_MAP` as the kernel of this generation performs it.
    /// Returns the number of segments stored.
    ///
    /// Segments are stored in ascending vcpu order (wrapping past the top on
    /// generation C). `fail_at_segment = Some(k)` makes the store of the k-th
    /// segment (0-based) fail with ENOMEM, as does running out of table
    /// capacity; then generations A and B leave the whole requested vcpu range
    /// unmapped (including what was mapped there before), and C keeps the
    /// segments stored before the failure.
    ///
    /// # Errors
    /// [`KernelError`] with EINVAL for a rejected request, ENOMEM as above.
    pub fn map(
        &mut self,
        m: &UcasMapping,
        fail_at_segment: Option<u64>,
    ) -> Result<u64, KernelError> {
        let generation = self.generation;
        let rules = Rules::Kernel(generation);
        let req = match check_map(rules, m) {
            Ok(Some(req)) => req,
            Ok(None) => return Ok(0),
            Err(e) => {
                return Err(KernelError {
                    errno: e.errno(),
                    stored: 0,
                });
            }
        };
        let wanted = fail_at_segment.map_or(req.count, |k| k.min(req.count));
        let mut stored = 0u64;
        let mut failed = wanted < req.count;
        for piece in pieces(&req, wanted) {
            let splice = self.space.plan_replace(piece.0, Some(piece.1));
            if self.space.fits(&splice) {
                self.space.apply(splice);
                stored = stored.wrapping_add(piece.0.count());
            } else {
                failed = true;
                break;
            }
        }
        if !failed {
            return Ok(stored);
        }
        if !generation.enomem_keeps_prefix() {
            // A and B clear the whole requested range after a failure (the
            // range was checked not to wrap). Clearing can need one extent
            // more than the table holds only when it punches a hole into a
            // full table; the emulator sizes its tables far beyond that.
            for piece in pieces(&req, req.count) {
                let splice = self.space.plan_replace(piece.0, None);
                if self.space.fits(&splice) {
                    self.space.apply(splice);
                }
            }
        }
        Err(KernelError {
            errno: Errno::NOMEM,
            stored,
        })
    }

    /// `KVM_S390_UCAS_UNMAP` as the kernel of this generation performs it.
    ///
    /// # Errors
    /// [`KernelError`] with EINVAL for a rejected request; ENOMEM when the
    /// model's table cannot hold the hole (a real kernel never fails there,
    /// so size the model's table generously).
    pub fn unmap(&mut self, vcpu_addr: u64, length: u64) -> Result<(), KernelError> {
        let req = match check_unmap(Rules::Kernel(self.generation), vcpu_addr, length) {
            Ok(Some(req)) => req,
            Ok(None) => return Ok(()),
            Err(e) => {
                return Err(KernelError {
                    errno: e.errno(),
                    stored: 0,
                });
            }
        };
        for piece in pieces(&req, req.count) {
            let splice = self.space.plan_replace(piece.0, None);
            if !self.space.fits(&splice) {
                return Err(KernelError {
                    errno: Errno::NOMEM,
                    stored: 0,
                });
            }
            self.space.apply(splice);
        }
        Ok(())
    }
}
