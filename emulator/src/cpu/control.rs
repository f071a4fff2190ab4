//! The control instructions a bare-metal guest uses, as a ucontrol guest
//! meets them under SIE (`KERNEL-INTERFACE.md`, "Control instructions of a
//! ucontrol guest"):
//!
//! - executed by the machine itself (SIE interprets them with the controls
//!   KVM sets): LPSW, LPSWE, SSM, STOSM, STNSM, LCTL, LCTLG, STCTL, STCTG,
//!   STFLE, STCK, STCKF, STCKE, TPROT, EPSW, IPK, SPKA, SAR, EAR, LAM, LAMY,
//!   STAM, STAMY, PTLB;
//! - intercepted to userspace ([`ICPT_INST`], PSW past the instruction, as
//!   the kernel hands every ucontrol intercept on): SIGP, SERVC, SPX, STPX,
//!   STAP, STIDP, SCK, STSI, STFL, TB, CHSC, SIGA and the channel-I/O
//!   instructions (CSCH … SCHM, XSCH).
//!
//! Not modelled (an operation-exception intercept, as for any unknown
//! opcode): the clock comparator and CPU timer (SCKC, STCKC, SPT, STPT,
//! which SIE interprets against its `ckc` and `cputm`), address-space
//! control (SAC, SACF, IAC), DAT (IPTE, IDTE, LRA, LURA, STURA) and PTFF.
//!
//! A privileged instruction in problem state is a privileged-operation
//! exception first, delivered to the guest (suppressed, PSW past it), for
//! the intercepted ones too: the machine checks that before it intercepts.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::{
    Bus, Cpu, ICPT_INST, Insn, Outcome, PGM_PRIVILEGED_OPERATION, PGM_SPECIFICATION,
    PSW_PROBLEM_STATE, Stop, low32, raw_address, read_split, set_low32, write_split,
};

/// Program-interruption code: special-operation exception (SSM while
/// control register 0's SSM-suppression bit is one).
pub const PGM_SPECIAL_OPERATION: u16 = 0x0013;

/// Control register 0 bit 33: SSM suppression.
const CR0_SSM_SUPPRESSION: u64 = 1 << (63 - 33);
/// Control register 0 bit 36: extraction authority (IPK in problem state).
const CR0_EXTRACTION_AUTHORITY: u64 = 1 << (63 - 36);
/// PSW bits 8–11: the PSW key.
const PSW_KEY_SHIFT: u32 = 63 - 11;

/// The TOD clock value of 1970-01-01 00:00:00 UTC: 2,208,988,800 seconds
/// after the TOD epoch (1900-01-01), in units of 2^-12 microseconds.
const TOD_UNIX_EPOCH: u64 = 0x7D91_048B_CA00_0000;

/// The host's time as a TOD clock value: the wall clock at the first call
/// (on the TOD epoch), advanced by the monotonic clock since, so it never
/// steps back; two calls never return the same value (STCK's uniqueness).
/// The guest's epoch difference is 0.
#[must_use]
pub fn host_tod() -> u64 {
    static START: OnceLock<(u64, Instant)> = OnceLock::new();
    static LAST: AtomicU64 = AtomicU64::new(0);
    let (base, at) = *START.get_or_init(|| {
        let since_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        (
            TOD_UNIX_EPOCH.wrapping_add(tod_units(since_unix.as_nanos())),
            Instant::now(),
        )
    });
    let now = base.wrapping_add(tod_units(at.elapsed().as_nanos()));
    let prev = LAST.fetch_max(now, Ordering::Relaxed);
    if prev < now {
        now
    } else {
        // Someone read this tick already: one unit later, uniquely.
        LAST.fetch_add(1, Ordering::Relaxed).wrapping_add(1)
    }
}

/// Nanoseconds as TOD units (4096 per microsecond), truncated to 64 bits
/// (the clock wraps about every 143 years).
fn tod_units(ns: u128) -> u64 {
    let units = ns.wrapping_mul(512) / 125;
    let [.., a, b, c, d, e, f, g, h] = units.to_be_bytes();
    u64::from_be_bytes([a, b, c, d, e, f, g, h])
}

/// What to do for a privileged instruction: `None` to go on (supervisor
/// state), or the privileged-operation exception in problem state.
fn privileged(cpu: &Cpu, insn: &Insn) -> Option<Outcome> {
    (cpu.psw_mask & PSW_PROBLEM_STATE != 0).then(|| program(PGM_PRIVILEGED_OPERATION, insn))
}

/// A suppressing program-interruption condition of `insn`.
fn program(code: u16, insn: &Insn) -> Outcome {
    Outcome::StopPast(Stop::Program {
        code,
        ilen: insn.ilen,
    })
}

/// An instruction SIE intercepts (after the privileged check).
fn intercepted(cpu: &Cpu, insn: &Insn) -> Outcome {
    privileged(cpu, insn).unwrap_or_else(|| Outcome::StopPast(insn.intercept(ICPT_INST)))
}

/// The control instructions and the intercepted ones; `None` for any other
/// opcode.
pub(super) fn execute(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn) -> Option<Outcome> {
    let t = insn.text;
    let s_addr = |cpu: &Cpu| {
        let (b, d) = insn.base_disp12();
        raw_address(cpu, 0, b, d)
    };
    let rsy_addr = |cpu: &Cpu| {
        let (b, d) = insn.base_disp20();
        raw_address(cpu, 0, b, d)
    };
    Some(match t[0] {
        // SSM D2(B2)
        0x80 => {
            privileged(cpu, insn).unwrap_or_else(|| set_system_mask(cpu, bus, insn, s_addr(cpu)))
        }
        // LPSW D2(B2)
        0x82 => {
            privileged(cpu, insn).unwrap_or_else(|| load_psw(cpu, bus, insn, s_addr(cpu), false))
        }
        // STNSM, STOSM D1(B1),I2
        0xAC | 0xAD => privileged(cpu, insn)
            .unwrap_or_else(|| store_then_mask(cpu, bus, insn, s_addr(cpu), t[0] == 0xAD)),
        // SIGP R1,R3,D2(B2)
        0xAE => intercepted(cpu, insn),
        // STCTL, LCTL R1,R3,D2(B2)
        0xB6 | 0xB7 => privileged(cpu, insn).unwrap_or_else(|| {
            let mut crs = cpu.crs;
            let o = multiple(bus, insn, s_addr(cpu), &mut crs, 4, t[0] == 0xB7);
            cpu.crs = crs;
            o
        }),
        // STAM, LAM R1,R3,D2(B2)
        0x9A | 0x9B => access_multiple(cpu, bus, insn, s_addr(cpu), t[0] == 0x9A),
        0xB2 => return b2(cpu, bus, insn, s_addr(cpu)),
        // EPSW R1,R2
        0xB9 if t[1] == 0x8D => {
            let (r1, r2) = insn.rre();
            let [m0, m1, m2, m3, m4, m5, m6, m7] = cpu.psw_mask.to_be_bytes();
            set_low32(&mut cpu.gprs[r1], u32::from_be_bytes([m0, m1, m2, m3]));
            if r2 != 0 {
                set_low32(&mut cpu.gprs[r2], u32::from_be_bytes([m4, m5, m6, m7]));
            }
            Outcome::Next
        }
        0xEB => match t[5] {
            // STCTG, LCTLG R1,R3,D2(B2)
            0x25 | 0x2F => privileged(cpu, insn).unwrap_or_else(|| {
                let mut crs = cpu.crs;
                let o = multiple(bus, insn, rsy_addr(cpu), &mut crs, 8, t[5] == 0x2F);
                cpu.crs = crs;
                o
            }),
            // LAMY, STAMY R1,R3,D2(B2)
            0x9A | 0x9B => access_multiple(cpu, bus, insn, rsy_addr(cpu), t[5] == 0x9A),
            _ => return None,
        },
        // TPROT D1(B1),D2(B2)
        0xE5 if t[1] == 0x01 => {
            privileged(cpu, insn).unwrap_or_else(|| test_protection(cpu, bus, insn))
        }
        _ => return None,
    })
}

/// The B2xx control instructions; `a` is the S-format operand address.
fn b2(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn, a: u64) -> Option<Outcome> {
    let problem = cpu.psw_mask & PSW_PROBLEM_STATE != 0;
    Some(match insn.text[1] {
        // STIDP, SCK, SCKC, STCKC, SPX, STPX, STAP, SERVC, TB, the channel
        // I/O instructions CSCH … SCHM, CHSC, XSCH, STSI, STFL.
        0x02
        | 0x04
        | 0x06
        | 0x07
        | 0x10..=0x12
        | 0x20
        | 0x2C
        | 0x30..=0x3C
        | 0x5F
        | 0x76
        | 0x7D
        | 0xB1 => intercepted(cpu, insn),
        // STCK, STCKF, STCKE D2(B2)
        0x05 | 0x7C => {
            let v = bus.tod_clock().to_be_bytes();
            store_clock(cpu, bus, insn, a, &v)
        }
        // STCKE: epoch index 0, the clock, zero low-order bits and a zero
        // programmable field.
        0x78 => {
            let mut v = [0u8; 16];
            v[1..9].copy_from_slice(&bus.tod_clock().to_be_bytes());
            store_clock(cpu, bus, insn, a, &v)
        }
        // SPKA D2(B2): the key from bits 56–59 of the address; in problem
        // state only a key CR3's PSW-key mask allows.
        0x0A => {
            let key = (a >> 4) & 0xF;
            let allowed = cpu.crs[3] & (0x8000_0000 >> key) != 0;
            if problem && !allowed {
                return Some(program(PGM_PRIVILEGED_OPERATION, insn));
            }
            cpu.psw_mask = (cpu.psw_mask & !(0xF << PSW_KEY_SHIFT)) | (key << PSW_KEY_SHIFT);
            Outcome::Next
        }
        // IPK: the PSW key into bits 56–59 of R2, bits 60–63 zero.
        0x0B => {
            if problem && cpu.crs[0] & CR0_EXTRACTION_AUTHORITY == 0 {
                return Some(program(PGM_PRIVILEGED_OPERATION, insn));
            }
            let key = (cpu.psw_mask >> PSW_KEY_SHIFT) & 0xF;
            cpu.gprs[2] = (cpu.gprs[2] & !0xFF) | (key << 4);
            Outcome::Next
        }
        // PTLB: no TLB without DAT.
        0x0D => privileged(cpu, insn).unwrap_or(Outcome::Next),
        // SAR R1,R2 / EAR R1,R2
        0x4E => {
            let (r1, r2) = insn.rre();
            cpu.acrs[r1] = low32(cpu.gprs[r2]);
            Outcome::Next
        }
        0x4F => {
            let (r1, r2) = insn.rre();
            set_low32(&mut cpu.gprs[r1], cpu.acrs[r2]);
            Outcome::Next
        }
        // STFLE D2(B2)
        0xB0 => store_facilities(cpu, bus, insn, a),
        // LPSWE D2(B2)
        0xB2 => privileged(cpu, insn).unwrap_or_else(|| load_psw(cpu, bus, insn, a, true)),
        _ => return None,
    })
}

/// STCK, STCKF, STCKE: `value` at `a`; CC 0 (the clock is in the set
/// state).
fn store_clock(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn, a: u64, value: &[u8]) -> Outcome {
    match write_split(bus, insn.amask, a, value) {
        Ok(()) => {
            cpu.set_cc(0);
            Outcome::Next
        }
        Err(e) => Outcome::StopAt(Stop::Fault(e)),
    }
}

/// STFLE: as many doublewords of the facility list as R0 bits 56–63 plus
/// one allow; R0 bits 56–63 become the number the list needs, less one;
/// CC 0 if all of it was stored, 3 if not.
fn store_facilities(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn, a: u64) -> Outcome {
    if a & 7 != 0 {
        return program(PGM_SPECIFICATION, insn);
    }
    let room = usize::from(super::low8(cpu.gprs[0])).wrapping_add(1);
    let needed = cpu
        .facilities
        .iter()
        .rposition(|&w| w != 0)
        .map_or(1, |i| i.wrapping_add(1));
    let n = room.min(needed);
    let mut buf = [0u8; 32];
    for (chunk, w) in buf.chunks_mut(8).zip(cpu.facilities) {
        chunk.copy_from_slice(&w.to_be_bytes());
    }
    if let Err(e) = write_split(bus, insn.amask, a, &buf[..n.wrapping_mul(8)]) {
        return Outcome::StopAt(Stop::Fault(e));
    }
    let last = u64::try_from(needed.wrapping_sub(1)).unwrap_or(0);
    cpu.gprs[0] = (cpu.gprs[0] & !0xFF) | last;
    cpu.set_cc(if room >= needed { 0 } else { 3 });
    Outcome::Next
}

/// LPSW (an 8-byte ESA/390-format PSW, `extended` false) and LPSWE (16
/// bytes) from doubleword-aligned `a`. The new PSW's validity is checked
/// when the next instruction is fetched (an early exception, ILC 0).
fn load_psw(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn, a: u64, extended: bool) -> Outcome {
    if a & 7 != 0 {
        return program(PGM_SPECIFICATION, insn);
    }
    let mut buf = [0u8; 16];
    let len = if extended { 16 } else { 8 };
    if let Err(e) = read_split(bus, insn.amask, a, &mut buf[..len]) {
        return Outcome::StopAt(Stop::Fault(e));
    }
    let (hi, lo) = buf.split_at(8);
    let first = u64::from_be_bytes(hi.try_into().unwrap_or_default());
    if extended {
        cpu.psw_mask = first;
        return Outcome::Jump(u64::from_be_bytes(lo.try_into().unwrap_or_default()));
    }
    // The short format has bit 12 one (z/Architecture has it zero), the
    // basic-addressing bit in bit 32 and a 31-bit address in bits 33–63.
    const BIT12: u64 = 1 << (63 - 12);
    if first & BIT12 == 0 {
        return program(PGM_SPECIFICATION, insn);
    }
    cpu.psw_mask = (first & !BIT12) & 0xFFFF_FFFF_8000_0000;
    Outcome::Jump(first & 0x7FFF_FFFF)
}

/// SSM: PSW bits 0–7 from the byte at `a`.
fn set_system_mask(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn, a: u64) -> Outcome {
    if cpu.crs[0] & CR0_SSM_SUPPRESSION != 0 {
        return program(PGM_SPECIAL_OPERATION, insn);
    }
    let mut byte = [0u8; 1];
    if let Err(e) = read_split(bus, insn.amask, a, &mut byte) {
        return Outcome::StopAt(Stop::Fault(e));
    }
    // Bits 0 and 2–4 of a z/Architecture PSW must be zero.
    if byte[0] & 0xB8 != 0 {
        return program(PGM_SPECIFICATION, insn);
    }
    set_system_byte(cpu, byte[0]);
    Outcome::Next
}

/// Replaces PSW bits 0–7.
fn set_system_byte(cpu: &mut Cpu, byte: u8) {
    cpu.psw_mask = (cpu.psw_mask & !(0xFF << 56)) | (u64::from(byte) << 56);
}

/// STNSM (`or` false: AND) and STOSM (OR): PSW bits 0–7 stored at `a`,
/// then combined with I2. An invalid result is an early exception at the
/// next instruction.
fn store_then_mask(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn, a: u64, or: bool) -> Outcome {
    let [old, ..] = cpu.psw_mask.to_be_bytes();
    if let Err(e) = write_split(bus, insn.amask, a, &[old]) {
        return Outcome::StopAt(Stop::Fault(e));
    }
    let i2 = insn.text[1];
    set_system_byte(cpu, if or { old | i2 } else { old & i2 });
    Outcome::Next
}

/// LAM, LAMY (`load`) and STAM, STAMY: access registers R1 to R3 as words
/// at word-aligned `a`.
fn access_multiple(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn, a: u64, load: bool) -> Outcome {
    let mut file = cpu.acrs.map(u64::from);
    let o = multiple(bus, insn, a, &mut file, 4, load);
    for (acr, v) in cpu.acrs.iter_mut().zip(file) {
        *acr = low32(v);
    }
    o
}

/// Registers R1 to R3 (wrapping after 15) of `file` loaded from or stored
/// to `a` as `size`-byte words (4: bits 32–63), all or nothing; `a` must be
/// a multiple of `size`.
fn multiple(
    bus: &mut impl Bus,
    insn: &Insn,
    a: u64,
    file: &mut [u64; 16],
    size: usize,
    load: bool,
) -> Outcome {
    if a & super::widen(size.wrapping_sub(1)) != 0 {
        return program(PGM_SPECIFICATION, insn);
    }
    let regs: Vec<usize> = super::register_range(insn).collect();
    let mut buf = [0u8; 128];
    let buf = &mut buf[..regs.len().wrapping_mul(size)];
    let skip = 8usize.wrapping_sub(size);
    if load {
        if let Err(e) = read_split(bus, insn.amask, a, buf) {
            return Outcome::StopAt(Stop::Fault(e));
        }
        for (r, chunk) in regs.iter().zip(buf.chunks(size)) {
            let mut w = file[*r].to_be_bytes();
            w[skip..].copy_from_slice(chunk);
            file[*r] = u64::from_be_bytes(w);
        }
        return Outcome::Next;
    }
    for (r, chunk) in regs.iter().zip(buf.chunks_mut(size)) {
        chunk.copy_from_slice(&file[*r].to_be_bytes()[skip..]);
    }
    match write_split(bus, insn.amask, a, buf) {
        Ok(()) => Outcome::Next,
        Err(e) => Outcome::StopAt(Stop::Fault(e)),
    }
}

/// TPROT: CC 0 when fetch and store at the first operand are permitted
/// with the access key in bits 56–59 of the second-operand address, 1 when
/// only fetch is. Storage keys are not modelled (every key is 0, fetch
/// protection off), so a nonzero access key may fetch but not store; a
/// location the host cannot reach is a fault (an exit), not CC 3.
fn test_protection(cpu: &mut Cpu, bus: &mut impl Bus, insn: &Insn) -> Outcome {
    let t = insn.text;
    let a1 = {
        let (b, d) = insn.base_disp12();
        raw_address(cpu, 0, b, d) & insn.amask
    };
    let a2 = {
        let b = usize::from(t[4] >> 4);
        let d = i64::from(u16::from_be_bytes([t[4] & 0xF, t[5]]));
        raw_address(cpu, 0, b, d)
    };
    let mut byte = [0u8; 1];
    if let Err(e) = bus.read(a1, &mut byte) {
        return Outcome::StopAt(Stop::Fault(e));
    }
    let store = a2 & 0xF0 == 0 && bus.check_write(a1, 1).is_ok();
    cpu.set_cc(u8::from(!store));
    Outcome::Next
}
