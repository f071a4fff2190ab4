//! The storage-key instructions ISKE, SSKE and RRBE, executed by the machine
//! once the SIE block no longer intercepts them.
//!
//! A new ucontrol vcpu has its key instructions intercepted (the kernel sets
//! the ICTL bits ISKE, SSKE and RRBE, or `CPUSTAT_KSS` on a host with
//! keyless-subset support). A controller that clears them hands the
//! instructions to the machine, which then works on the storage key of the
//! 4 KiB block the real address in R2 designates: access-control bits 0–3,
//! fetch-protection bit 4, reference bit 5, change bit 6 (bit 7 is zero).
//! A [`Bus`] that has keys offers them through [`Bus::storage_keys`]; one
//! without keys keeps every key instruction intercepted.
//!
//! In problem state all three are privileged-operation exceptions, ahead of
//! any interception (the caller, `execute` in `cpu.rs`, handles that).

use super::{Access, Bus, Cpu, ICPT_INST, Insn, Outcome, PSW_PROBLEM_STATE, Stop};

/// Intercept code of a key instruction under keyless-subset mode
/// (`CPUSTAT_KSS`): the instruction is nullified, the PSW stays at it.
pub use ucas_core::abi::ICPT_KSS;

/// The reference bit of a storage key.
pub const KEY_R: u8 = 0x04;
/// The change bit of a storage key.
pub const KEY_C: u8 = 0x02;
/// The bits of a storage key that exist (bit 7 is always zero).
pub const KEY_BITS: u8 = 0xFE;

/// Second opcode byte (after 0xB2) of ISKE.
pub const ISKE: u8 = 0x29;
/// Second opcode byte of RRBE.
pub const RRBE: u8 = 0x2A;
/// Second opcode byte of SSKE.
pub const SSKE: u8 = 0x2B;

// SSKE's M3 bits.
/// Nonquiescing: no effect on a single CPU.
const SSKE_NQ: u8 = 0x8;
/// Leave the reference bit as it is.
const SSKE_MR: u8 = 0x4;
/// Leave the change bit as it is.
const SSKE_MC: u8 = 0x2;
/// Every block up to the next 1 MiB boundary.
const SSKE_MB: u8 = 0x1;

const BLOCK: u64 = 4096;
const MIB: u64 = 1 << 20;

/// Which key instructions the SIE block intercepts, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Intercepts {
    /// `CPUSTAT_KSS`: every key instruction ends the run with [`ICPT_KSS`].
    pub kss: bool,
    /// ICTL ISKE.
    pub iske: bool,
    /// ICTL SSKE.
    pub sske: bool,
    /// ICTL RRBE.
    pub rrbe: bool,
}

impl Intercepts {
    /// The intercepts an SIE block with these `cpuflags` and `ictl` asks for.
    #[must_use]
    pub const fn from_sie(cpuflags: u32, ictl: u32) -> Self {
        use ucas_core::abi::{CPUSTAT_KSS, ICTL_ISKE, ICTL_RRBE, ICTL_SSKE};
        Self {
            kss: cpuflags & CPUSTAT_KSS != 0,
            iske: ictl & ICTL_ISKE != 0,
            sske: ictl & ICTL_SSKE != 0,
            rrbe: ictl & ICTL_RRBE != 0,
        }
    }

    /// Every key instruction intercepted with [`ICPT_INST`].
    pub const ALL: Self = Self {
        kss: false,
        iske: true,
        sske: true,
        rrbe: true,
    };

    /// The intercept code the key instruction with second opcode byte `op`
    /// ends the run with, `None` if the machine executes it. An ICTL bit
    /// wins over KSS.
    #[must_use]
    pub const fn code(&self, op: u8) -> Option<u8> {
        let ictl = match op {
            ISKE => self.iske,
            RRBE => self.rrbe,
            _ => self.sske,
        };
        if ictl {
            Some(ICPT_INST)
        } else if self.kss {
            Some(ICPT_KSS)
        } else {
            None
        }
    }
}

/// The storage keys a [`Bus`] reaches, by real address (prefixing applies
/// as for [`Bus::read`]); each call concerns the 4 KiB block holding `real`.
pub trait StorageKeys {
    /// How the SIE block treats the key instructions.
    fn intercepts(&self) -> Intercepts;

    /// The key of the block.
    ///
    /// # Errors
    /// The block's address, when it cannot be reached (as a read).
    fn key(&mut self, real: u64) -> Result<u8, Access>;

    /// Replaces the key of the block (bit 7 of `key` is ignored).
    ///
    /// # Errors
    /// The block's address, when it cannot be reached (as a read).
    fn set_key(&mut self, real: u64, key: u8) -> Result<(), Access>;
}

/// ISKE, RRBE or SSKE (`insn`, opcode B229/B22A/B22B). `None` leaves the
/// instruction to the caller: problem state (a privileged-operation
/// exception) or a bus without keys (an [`ICPT_INST`] intercept).
pub(super) fn execute(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn) -> Option<Outcome> {
    if cpu.psw_mask & PSW_PROBLEM_STATE != 0 {
        return None;
    }
    let keys = bus.storage_keys()?;
    let op = insn.text[1];
    if let Some(code) = keys.intercepts().code(op) {
        return Some(if code == ICPT_INST {
            Outcome::StopPast(insn.intercept(code))
        } else {
            Outcome::StopAt(insn.intercept(code))
        });
    }
    let (r1, r2) = insn.rre();
    // Bits 0–51 of R2 as the addressing mode forms an address: the block.
    let block = cpu.gprs[r2] & insn.amask & !(BLOCK - 1);
    let fault = |e| Some(Outcome::StopAt(Stop::Fault(e)));
    match op {
        ISKE => match keys.key(block) {
            Ok(key) => {
                cpu.gprs[r1] = (cpu.gprs[r1] & !0xFF) | u64::from(key & KEY_BITS);
                Some(Outcome::Next)
            }
            Err(e) => fault(e),
        },
        RRBE => {
            let old = match keys.key(block) {
                Ok(k) => k,
                Err(e) => return fault(e),
            };
            if let Err(e) = keys.set_key(block, old & !KEY_R) {
                return fault(e);
            }
            // CC: 0 R0 C0, 1 R0 C1, 2 R1 C0, 3 R1 C1.
            cpu.set_cc((old >> 1) & 3);
            Some(Outcome::Next)
        }
        _ => sske(cpu, keys, insn, r1, r2, block),
    }
}

/// SSKE R1,R2,M3 with the conditional (MR, MC) and multiple-block (MB)
/// controls of M3.
fn sske(
    cpu: &mut Cpu,
    keys: &mut dyn StorageKeys,
    insn: &Insn,
    r1: usize,
    r2: usize,
    block: u64,
) -> Option<Outcome> {
    let m3 = (insn.text[2] >> 4) & !SSKE_NQ;
    let new = low_byte(cpu.gprs[r1]) & KEY_BITS;
    let conditional = m3 & (SSKE_MR | SSKE_MC) != 0;
    // With MB, every block from this one up to the next 1 MiB boundary.
    let end = if m3 & SSKE_MB != 0 {
        (block | (MIB - 1)).wrapping_add(1)
    } else {
        block.wrapping_add(BLOCK)
    };
    let mut at = block;
    let mut first_old = None;
    let mut set = false;
    loop {
        let old = match keys.key(at) {
            Ok(k) => k,
            Err(e) => return Some(Outcome::StopAt(Stop::Fault(e))),
        };
        first_old.get_or_insert(old);
        let mut target = new;
        if m3 & SSKE_MR != 0 {
            target = (target & !KEY_R) | (old & KEY_R);
        }
        if m3 & SSKE_MC != 0 {
            target = (target & !KEY_C) | (old & KEY_C);
        }
        if !conditional || target != old & KEY_BITS {
            if let Err(e) = keys.set_key(at, target) {
                return Some(Outcome::StopAt(Stop::Fault(e)));
            }
            set = true;
        }
        at = at.wrapping_add(BLOCK);
        if at == end {
            break;
        }
    }
    if m3 & SSKE_MB != 0 {
        // R2 then designates the next boundary; its low 12 bits (and in
        // 24- and 31-bit mode bits 0–31) stay.
        let keep = if insn.amask == u64::MAX {
            BLOCK - 1
        } else {
            0xFFFF_FFFF_0000_0FFF
        };
        cpu.gprs[r2] = (cpu.gprs[r2] & keep) | (end & insn.amask);
    } else if conditional {
        // The key before the operation goes to bits 48–55 of R1; CC 0 says
        // it was left as it was, CC 1 that it was set.
        let old = u64::from(first_old.unwrap_or(0) & KEY_BITS);
        cpu.gprs[r1] = (cpu.gprs[r1] & !0xFF00) | (old << 8);
        cpu.set_cc(u8::from(set));
    }
    Some(Outcome::Next)
}

/// Bits 56–63 of `x`.
const fn low_byte(x: u64) -> u8 {
    let [.., b] = x.to_be_bytes();
    b
}

#[cfg(test)]
// Test arithmetic on small known values.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::super::{PSW_MASK_64, run};
    use super::*;

    /// 1 MiB of memory at 0 with a key per block, all intercepts as given.
    struct KeyedRam {
        mem: Vec<u8>,
        keys: Vec<u8>,
        intercepts: Intercepts,
    }

    impl KeyedRam {
        fn new(intercepts: Intercepts) -> Self {
            Self {
                mem: vec![0; 1 << 20],
                keys: vec![0; 256],
                intercepts,
            }
        }
        fn slot(&self, addr: u64) -> Result<usize, Access> {
            usize::try_from(addr / BLOCK)
                .ok()
                .filter(|&b| b < self.keys.len())
                .ok_or(Access::SegmentNotMapped { addr })
        }
    }

    impl Bus for KeyedRam {
        fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), Access> {
            let s = usize::try_from(addr).unwrap();
            buf.copy_from_slice(&self.mem[s..s + buf.len()]);
            Ok(())
        }
        fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), Access> {
            let s = usize::try_from(addr).unwrap();
            self.mem[s..s + data.len()].copy_from_slice(data);
            Ok(())
        }
        fn storage_keys(&mut self) -> Option<&mut dyn StorageKeys> {
            Some(self)
        }
    }

    impl StorageKeys for KeyedRam {
        fn intercepts(&self) -> Intercepts {
            self.intercepts
        }
        fn key(&mut self, real: u64) -> Result<u8, Access> {
            let s = self.slot(real)?;
            Ok(self.keys[s])
        }
        fn set_key(&mut self, real: u64, key: u8) -> Result<(), Access> {
            let s = self.slot(real)?;
            self.keys[s] = key & KEY_BITS;
            Ok(())
        }
    }

    /// Runs `code` at 0x1000 until the DIAGNOSE after it.
    fn exec(ram: &mut KeyedRam, cpu: &mut Cpu, code: &[u8]) -> Stop {
        let diag = [0x83, 0x00, 0x00, 0x44];
        ram.mem[0x1000..0x1000 + code.len()].copy_from_slice(code);
        ram.mem[0x1000 + code.len()..0x1000 + code.len() + 4].copy_from_slice(&diag);
        cpu.psw_addr = 0x1000;
        run(cpu, ram, 100)
    }

    const DIAG: Stop = Stop::Intercept {
        icptcode: ICPT_INST,
        ipa: 0x8300,
        ipb: 0x0044_0000,
    };

    #[test]
    fn sske_iske_rrbe_as_the_selftest_uses_them() {
        let mut ram = KeyedRam::new(Intercepts::default());
        let mut cpu = Cpu::new(PSW_MASK_64, 0x1000);
        cpu.gprs[1] = 0x34;
        cpu.gprs[6] = 0x8123;
        // sske r1,r6; xgr r1,r1; iske r1,r6
        let code = [
            0xB2, 0x2B, 0x00, 0x16, 0xB9, 0x82, 0x00, 0x11, 0xB2, 0x29, 0x00, 0x16,
        ];
        assert_eq!(exec(&mut ram, &mut cpu, &code), DIAG);
        assert_eq!(cpu.gprs[1], 0x34);
        assert_eq!(ram.keys[8], 0x34);
        // rrbe r1,r6; iske r1,r6: R gone, CC 2 (R was one, C zero).
        let code = [0xB2, 0x2A, 0x00, 0x16, 0xB2, 0x29, 0x00, 0x16];
        assert_eq!(exec(&mut ram, &mut cpu, &code), DIAG);
        assert_eq!(cpu.gprs[1], 0x30);
        assert_eq!(cpu.cc(), 2);
    }

    #[test]
    fn iske_keeps_bits_0_to_55_and_clears_bit_63() {
        let mut ram = KeyedRam::new(Intercepts::default());
        ram.keys[2] = 0xF6;
        let mut cpu = Cpu::new(PSW_MASK_64, 0x1000);
        cpu.gprs[3] = 0xAAAA_BBBB_CCCC_DDFF;
        cpu.gprs[4] = 0x2FFF;
        assert_eq!(exec(&mut ram, &mut cpu, &[0xB2, 0x29, 0x00, 0x34]), DIAG);
        assert_eq!(cpu.gprs[3], 0xAAAA_BBBB_CCCC_DDF6);
    }

    #[test]
    fn intercepted_per_ictl_bit_and_by_kss() {
        let sske = [0xB2, 0x2B, 0x00, 0x16];
        let only_sske = Intercepts {
            sske: true,
            ..Intercepts::default()
        };
        let mut ram = KeyedRam::new(only_sske);
        let mut cpu = Cpu::new(PSW_MASK_64, 0x1000);
        assert_eq!(
            exec(&mut ram, &mut cpu, &sske),
            Stop::Intercept {
                icptcode: ICPT_INST,
                ipa: 0xB22B,
                ipb: 0x0016_0000
            }
        );
        assert_eq!(cpu.psw_addr, 0x1004);
        // ISKE is not intercepted by the SSKE bit.
        assert_eq!(exec(&mut ram, &mut cpu, &[0xB2, 0x29, 0x00, 0x16]), DIAG);
        let mut ram = KeyedRam::new(Intercepts {
            kss: true,
            ..Intercepts::default()
        });
        assert_eq!(
            exec(&mut ram, &mut cpu, &sske),
            Stop::Intercept {
                icptcode: ICPT_KSS,
                ipa: 0xB22B,
                ipb: 0x0016_0000
            }
        );
        // KSS nullifies: the PSW stays at the instruction.
        assert_eq!(cpu.psw_addr, 0x1000);
    }

    #[test]
    fn problem_state_is_a_privileged_operation_before_interception() {
        for intercepts in [Intercepts::default(), Intercepts::ALL] {
            let mut ram = KeyedRam::new(intercepts);
            let mut cpu = Cpu::new(PSW_MASK_64 | PSW_PROBLEM_STATE, 0x1000);
            assert_eq!(
                exec(&mut ram, &mut cpu, &[0xB2, 0x2A, 0x00, 0x16]),
                Stop::Program {
                    code: super::super::PGM_PRIVILEGED_OPERATION,
                    ilen: 4
                }
            );
        }
    }

    #[test]
    fn conditional_sske_reports_the_old_key_and_whether_it_set() {
        let mut ram = KeyedRam::new(Intercepts::default());
        ram.keys[1] = 0x36;
        let mut cpu = Cpu::new(PSW_MASK_64, 0x1000);
        // sske r1,r6,MR|MC (M3 = 6) with the same ACC and F: not set, CC 0.
        cpu.gprs[1] = 0x30;
        cpu.gprs[6] = 0x1000;
        let code = [0xB2, 0x2B, 0x60, 0x16];
        assert_eq!(exec(&mut ram, &mut cpu, &code), DIAG);
        assert_eq!((ram.keys[1], cpu.cc(), cpu.gprs[1]), (0x36, 0, 0x3630));
        // A new access key: set, R and C kept, CC 1.
        cpu.gprs[1] = 0x50;
        assert_eq!(exec(&mut ram, &mut cpu, &code), DIAG);
        assert_eq!((ram.keys[1], cpu.cc(), cpu.gprs[1]), (0x56, 1, 0x3650));
        // MR only: C comes from R1.
        cpu.gprs[1] = 0x50;
        let code = [0xB2, 0x2B, 0x40, 0x16];
        assert_eq!(exec(&mut ram, &mut cpu, &code), DIAG);
        assert_eq!((ram.keys[1], cpu.cc()), (0x54, 1));
    }

    #[test]
    fn sske_multiple_blocks_to_the_megabyte_boundary() {
        let mut ram = KeyedRam::new(Intercepts::default());
        let mut cpu = Cpu::new(PSW_MASK_64, 0x1000);
        cpu.gprs[1] = 0x10;
        cpu.gprs[6] = 0xF_E123;
        // sske r1,r6,MB
        assert_eq!(exec(&mut ram, &mut cpu, &[0xB2, 0x2B, 0x10, 0x16]), DIAG);
        assert_eq!(&ram.keys[0xFD..], &[0, 0x10, 0x10]);
        assert_eq!(cpu.gprs[6], 0x10_0123);
    }

    #[test]
    fn an_unreachable_block_is_a_fault_that_changes_nothing() {
        let mut ram = KeyedRam::new(Intercepts::default());
        let mut cpu = Cpu::new(PSW_MASK_64, 0x1000);
        cpu.gprs[1] = 0xAB;
        cpu.gprs[6] = 0x10_0000;
        assert_eq!(
            exec(&mut ram, &mut cpu, &[0xB2, 0x29, 0x00, 0x16]),
            Stop::Fault(Access::SegmentNotMapped { addr: 0x10_0000 })
        );
        assert_eq!((cpu.gprs[1], cpu.psw_addr), (0xAB, 0x1000));
    }
}
