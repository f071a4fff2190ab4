//! TEMPORARY stand-in for `ucas_core::request` / `ucas_core::space`, which are
//! being written on `main`. Same names and signatures as announced; deleted
//! as soon as the real ones are merged.
#![allow(dead_code, missing_docs)]

use std::collections::BTreeMap;

use ucas_core::abi::UcasMapping;
use ucas_core::segment::{SEGMENT_MASK, SEGMENT_SHIFT};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    A,
    B,
    C,
}

impl Generation {
    pub const NEWEST: Self = Self::C;

    pub fn from_kernel_version(s: &str) -> Option<Self> {
        let s = s.strip_prefix('v').unwrap_or(s);
        let mut it = s.split(|c: char| !c.is_ascii_digit());
        let major: u32 = it.next()?.parse().ok()?;
        let minor: u32 = it.next().unwrap_or("0").parse().ok()?;
        Some(match (major, minor) {
            (0..=5, _) | (6, 0..=13) => Self::A,
            (6, _) => Self::B,
            _ => Self::C,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelError {
    errno: i32,
    stored: u64,
}

impl KernelError {
    pub fn errno(&self) -> i32 {
        self.errno
    }
    pub fn stored(&self) -> u64 {
        self.stored
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    v: u64,
    u: u64,
    l: u64,
}

impl Extent {
    pub fn vcpu_addr(&self) -> u64 {
        self.v
    }
    pub fn user_addr(&self) -> u64 {
        self.u
    }
    pub fn length(&self) -> u64 {
        self.l
    }
}

#[derive(Debug, Default)]
pub struct AddressSpace<const N: usize> {
    segs: BTreeMap<u64, u64>,
}

const EINVAL: i32 = 22;
const ENOMEM: i32 = 12;

impl<const N: usize> AddressSpace<N> {
    pub fn new() -> Self {
        Self {
            segs: BTreeMap::new(),
        }
    }

    pub fn translate(&self, v: u64) -> Option<u64> {
        let s = v >> SEGMENT_SHIFT;
        self.segs
            .get(&s)
            .map(|u| (u << SEGMENT_SHIFT) | (v & SEGMENT_MASK))
    }

    pub fn extents(&self) -> impl Iterator<Item = Extent> + '_ {
        let mut out: Vec<Extent> = Vec::new();
        for (&s, &u) in &self.segs {
            if let Some(last) = out.last_mut()
                && last.v.wrapping_add(last.l) == s << SEGMENT_SHIFT
                && last.u.wrapping_add(last.l) == u << SEGMENT_SHIFT
            {
                last.l += 1 << SEGMENT_SHIFT;
                continue;
            }
            out.push(Extent {
                v: s << SEGMENT_SHIFT,
                u: u << SEGMENT_SHIFT,
                l: 1 << SEGMENT_SHIFT,
            });
        }
        out.into_iter()
    }

    fn err(errno: i32) -> KernelError {
        KernelError { errno, stored: 0 }
    }

    pub fn kernel_map(
        &mut self,
        g: Generation,
        m: &UcasMapping,
        fail_at_segment: Option<u64>,
    ) -> Result<u64, KernelError> {
        if (m.user_addr | m.vcpu_addr | m.length) & SEGMENT_MASK != 0 {
            return Err(Self::err(EINVAL));
        }
        if m.length == 0 {
            return if g == Generation::C {
                Ok(0)
            } else {
                Err(Self::err(EINVAL))
            };
        }
        if g != Generation::C
            && (m.user_addr.checked_add(m.length).is_none()
                || m.vcpu_addr.checked_add(m.length).is_none())
        {
            return Err(Self::err(EINVAL));
        }
        let n = m.length >> SEGMENT_SHIFT;
        let vs = m.vcpu_addr >> SEGMENT_SHIFT;
        let us = m.user_addr >> SEGMENT_SHIFT;
        for i in 0..n {
            let v = (vs + i) & ((1 << 44) - 1);
            let u = (us + i) & ((1 << 44) - 1);
            let full = !self.segs.contains_key(&v) && self.segs.len() >= N;
            if fail_at_segment == Some(i) || full {
                if g != Generation::C {
                    for j in 0..n {
                        self.segs.remove(&((vs + j) & ((1 << 44) - 1)));
                    }
                }
                return Err(KernelError {
                    errno: ENOMEM,
                    stored: i,
                });
            }
            self.segs.insert(v, u);
        }
        Ok(n)
    }

    pub fn kernel_unmap(
        &mut self,
        g: Generation,
        vcpu_addr: u64,
        length: u64,
    ) -> Result<(), KernelError> {
        if (vcpu_addr | length) & SEGMENT_MASK != 0 {
            return Err(Self::err(EINVAL));
        }
        if length == 0 {
            return if g == Generation::C {
                Ok(())
            } else {
                Err(Self::err(EINVAL))
            };
        }
        let vs = vcpu_addr >> SEGMENT_SHIFT;
        let n = length >> SEGMENT_SHIFT;
        let keys: Vec<u64> = self
            .segs
            .keys()
            .copied()
            .filter(|&k| k.wrapping_sub(vs) & ((1 << 44) - 1) < n)
            .collect();
        for k in keys {
            self.segs.remove(&k);
        }
        Ok(())
    }
}
