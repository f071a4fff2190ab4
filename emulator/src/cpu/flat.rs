//! [`FlatMemory`]: guest memory as one byte vector at a base address, the
//! bus for running code outside the emulator (benchmarks, the differential
//! oracle, experiments).

use super::{Access, Bus};

/// `len` bytes of guest memory at vcpu address `base`; every other address
/// is unmapped ([`Access::SegmentNotMapped`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlatMemory {
    base: u64,
    bytes: Vec<u8>,
}

impl FlatMemory {
    /// Zeroed memory of `len` bytes at `base`.
    #[must_use]
    pub fn new(base: u64, len: usize) -> Self {
        Self {
            base,
            bytes: vec![0; len],
        }
    }

    /// The bytes from `base` on.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes from `base` on, to load code and data.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    /// The byte range of `len` bytes at `addr`, or the first address of
    /// them outside the memory.
    fn range(&self, addr: u64, len: usize) -> Result<std::ops::Range<usize>, Access> {
        let start = addr
            .checked_sub(self.base)
            .and_then(|o| usize::try_from(o).ok())
            .filter(|&o| o < self.bytes.len() || len == 0 && o == self.bytes.len())
            .ok_or(Access::SegmentNotMapped { addr })?;
        match start.checked_add(len) {
            Some(end) if end <= self.bytes.len() => Ok(start..end),
            _ => Err(Access::SegmentNotMapped {
                addr: self
                    .base
                    .wrapping_add(u64::try_from(self.bytes.len()).unwrap_or(u64::MAX)),
            }),
        }
    }
}

impl Bus for FlatMemory {
    fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), Access> {
        let r = self.range(addr, buf.len())?;
        buf.copy_from_slice(&self.bytes[r]);
        Ok(())
    }

    fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), Access> {
        let r = self.range(addr, data.len())?;
        self.bytes[r].copy_from_slice(data);
        Ok(())
    }

    fn check_write(&mut self, addr: u64, len: usize) -> Result<(), Access> {
        self.range(addr, len).map(drop)
    }

    /// Every address is its own memory: no aliases.
    fn code_page(&mut self, addr: u64) -> Option<u64> {
        Some(addr & !(super::PAGE_SIZE - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accesses_outside_name_their_first_unmapped_address() {
        let mut m = FlatMemory::new(0x1000, 0x100);
        m.write(0x10FC, &[1, 2, 3, 4]).unwrap();
        let mut buf = [0u8; 4];
        m.read(0x10FC, &mut buf).unwrap();
        assert_eq!(buf, [1, 2, 3, 4]);
        let unmapped = |addr| Err(Access::SegmentNotMapped { addr });
        assert_eq!(m.read(0xFFF, &mut buf), unmapped(0xFFF));
        assert_eq!(m.read(0x10FE, &mut buf), unmapped(0x1100));
        assert_eq!(m.write(0x1100, &[0]), unmapped(0x1100));
        assert_eq!(m.check_write(0x10FD, 4), unmapped(0x1100));
        assert_eq!(m.check_write(0x10FC, 4), Ok(()));
        assert_eq!(m.read(u64::MAX, &mut buf), unmapped(u64::MAX));
        assert_eq!(&m.bytes()[0xFC..], &[1, 2, 3, 4]);
    }
}
