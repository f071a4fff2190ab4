//! `GuestMemory`: 1 MiB-aligned anonymous memory for vcpu segments to map.

use ucas_core::segment::{SEGMENT_SIZE, segment_round_up};

use crate::error::{Error, ErrorKind, Operation, Result};
use crate::sys::AlignedMemory;

/// Anonymous memory whose start and length are multiples of 1 MiB, so any
/// 1 MiB-aligned offset in it can back a vcpu segment. Unmapped on drop.
///
/// The kernel (on behalf of a running guest) may write it at any time, so it
/// is read and written by copying only.
#[derive(Debug)]
pub struct GuestMemory {
    mem: AlignedMemory,
}

impl GuestMemory {
    /// Allocates `size` bytes, rounded up to a whole number of segments.
    /// Pages are allocated lazily by the kernel as they are touched.
    ///
    /// # Errors
    /// EINVAL for size 0; ENOMEM when the address space is exhausted.
    pub fn new(size: u64) -> Result<Self> {
        let op = Operation::AllocateMemory;
        let len = segment_round_up(size)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or(Error::from_errno(op, ucas_core::Errno::NOMEM))?;
        let align = usize::try_from(SEGMENT_SIZE)
            .map_err(|_| Error::from_errno(op, ucas_core::Errno::INVAL))?;
        AlignedMemory::new(len, align)
            .map(|mem| Self { mem })
            .map_err(|e| Error::from_errno(op, e))
    }

    /// The user address of the first byte (a multiple of 1 MiB): what
    /// `UcasMapping::user_addr` wants.
    #[must_use]
    pub fn addr(&self) -> u64 {
        self.mem.addr()
    }

    /// The size in bytes (a multiple of 1 MiB).
    #[must_use]
    pub fn len(&self) -> u64 {
        self.mem.len() as u64
    }

    /// Whether the memory is empty (never: `new` refuses size 0).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.mem.len() == 0
    }

    /// The user address of `offset`, if it lies inside.
    #[must_use]
    pub fn addr_of(&self, offset: u64) -> Option<u64> {
        (offset < self.len()).then(|| self.addr() + offset)
    }

    /// Copies bytes out of the memory.
    ///
    /// # Errors
    /// [`ErrorKind::OutOfBounds`] when the range does not fit.
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let at = self.offset(offset, buf.len())?;
        if self.mem.read(at, buf) {
            Ok(())
        } else {
            Err(self.out_of_bounds(at, buf.len()))
        }
    }

    /// Copies bytes into the memory, e.g. guest code.
    ///
    /// # Errors
    /// [`ErrorKind::OutOfBounds`] when the range does not fit.
    pub fn write(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        let at = self.offset(offset, data.len())?;
        if self.mem.write(at, data) {
            Ok(())
        } else {
            Err(self.out_of_bounds(at, data.len()))
        }
    }

    /// Reads a big-endian u32 (guest byte order on s390).
    ///
    /// # Errors
    /// As [`GuestMemory::read`].
    pub fn read_be_u32(&self, offset: u64) -> Result<u32> {
        let mut b = [0; 4];
        self.read(offset, &mut b)?;
        Ok(u32::from_be_bytes(b))
    }

    fn offset(&self, offset: u64, len: usize) -> Result<usize> {
        usize::try_from(offset).map_err(|_| self.out_of_bounds(usize::MAX, len))
    }

    fn out_of_bounds(&self, offset: usize, len: usize) -> Error {
        Error::new(
            Operation::AccessMemory,
            ErrorKind::OutOfBounds {
                offset,
                len,
                size: self.mem.len(),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(miri, ignore = "maps memory with mmap flags Miri does not model")]
    fn aligned_rounded_and_bounded() {
        let mut m = GuestMemory::new(SEGMENT_SIZE + 1).unwrap();
        assert_eq!(m.addr() % SEGMENT_SIZE, 0);
        assert_eq!(m.len(), 2 * SEGMENT_SIZE);
        m.write(0x1000, &[0, 0, 0, 0x55]).unwrap();
        assert_eq!(m.read_be_u32(0x1000).unwrap(), 0x55);
        let end = m.len();
        assert!(m.write(end - 2, &[1, 2, 3]).is_err());
        assert!(m.read(end, &mut [0]).is_err());
        assert!(m.read(u64::MAX, &mut [0]).is_err());
        assert_eq!(m.addr_of(end), None);
        assert_eq!(m.addr_of(5), Some(m.addr() + 5));
        assert!(GuestMemory::new(0).is_err());
    }
}
