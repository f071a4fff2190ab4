//! Tests for program interruptions through the lowcore, the control
//! instructions, the intercepted instructions and the string, trap, branch
//! on index and high-word instructions.

use super::*;
use crate::cpu::interrupt::{
    self, DXC_COMPARE_AND_TRAP, LC_DXC, LC_PGM_ILC, LC_PGM_NEW_PSW, LC_PGM_OLD_PSW,
};

/// A program new PSW pointing at `handler`, stored in the lowcore.
fn with_new_psw(bus: &mut TestBus, handler: u64) {
    let mut psw = PSW_MASK_64.to_be_bytes().to_vec();
    psw.extend_from_slice(&handler.to_be_bytes());
    bus.load(LC_PGM_NEW_PSW, &psw);
}

#[test]
fn delivery_stores_the_identification_and_old_psw_then_loads_the_new_psw() {
    let (mut cpu, mut bus) = fixture(&hex("1d21"));
    with_new_psw(&mut bus, CODE + 0x100);
    cpu.gprs[3] = 7;
    let stop = step(&mut cpu, &mut bus);
    assert_eq!(
        stop,
        Some(Stop::Program {
            code: PGM_FIXED_POINT_DIVIDE,
            ilen: 2
        })
    );
    interrupt::deliver_program(&mut cpu, &mut bus, PGM_FIXED_POINT_DIVIDE, 2).unwrap();
    assert_eq!(bus.peek(LC_PGM_ILC, 4), [0, 2, 0, 9]);
    let mut old = PSW_MASK_64.to_be_bytes().to_vec();
    old.extend_from_slice(&(CODE + 2).to_be_bytes());
    assert_eq!(bus.peek(LC_PGM_OLD_PSW, 16), old, "suppressed: past the DR");
    assert_eq!((cpu.psw_mask, cpu.psw_addr), (PSW_MASK_64, CODE + 0x100));
    assert_eq!(bus.peek(LC_DXC, 1), [0], "no DXC for a divide exception");
}

#[test]
fn a_data_exception_stores_its_dxc() {
    let (mut cpu, mut bus) = fixture(&[]);
    with_new_psw(&mut bus, CODE);
    cpu.dxc = DXC_COMPARE_AND_TRAP;
    cpu.fpc = 0x1234_5678;
    interrupt::deliver_program(&mut cpu, &mut bus, PGM_DATA, 4).unwrap();
    assert_eq!(bus.peek(LC_DXC, 1), [DXC_COMPARE_AND_TRAP]);
    assert_eq!(bus.peek(LC_PGM_ILC, 4), [0, 4, 0, 7]);
    assert_eq!(cpu.fpc, 0x1234_5678, "the FPC keeps its DXC with AFP off");
    // With the AFP-register control on, byte 2 of the FPC gets it too.
    cpu.crs[0] |= CR0_AFP;
    interrupt::deliver_program(&mut cpu, &mut bus, PGM_DATA, 4).unwrap();
    assert_eq!(cpu.fpc, 0x1234_FF78);
}

#[test]
fn delivery_to_an_unreachable_lowcore_changes_nothing() {
    let (mut cpu, mut bus) = fixture(&[]);
    bus.unmap(0, MIB);
    let before = (cpu, bus.clone());
    assert_eq!(
        interrupt::deliver_program(&mut cpu, &mut bus, PGM_FIXED_POINT_DIVIDE, 2),
        Err(Access::SegmentNotMapped {
            addr: LC_PGM_NEW_PSW
        })
    );
    assert_eq!((cpu, bus), before);
}

#[test]
fn only_specification_exceptions_are_intercepted() {
    assert!(interrupt::intercepted(PGM_SPECIFICATION));
    for code in [
        PGM_PRIVILEGED_OPERATION,
        PGM_EXECUTE,
        PGM_DATA,
        PGM_FIXED_POINT_OVERFLOW,
        PGM_FIXED_POINT_DIVIDE,
    ] {
        assert!(!interrupt::intercepted(code), "{code:#x}");
    }
}

// ---------------------------------------------------------------------------
// Control instructions.

/// Privileged control instructions, and those SIE intercepts, with their
/// lengths.
const PRIVILEGED: [(&str, u8); 22] = [
    ("80000100", 4),     // ssm
    ("82000100", 4),     // lpsw
    ("acfe0100", 4),     // stnsm
    ("ad010100", 4),     // stosm
    ("ae120000", 4),     // sigp
    ("b60f0100", 4),     // stctl
    ("b70f0100", 4),     // lctl
    ("b2b20100", 4),     // lpswe
    ("b20d0000", 4),     // ptlb
    ("eb0f01000025", 6), // stctg
    ("eb0f0100002f", 6), // lctlg
    ("e50101000000", 6), // tprot
    ("b2100100", 4),     // spx
    ("b2110100", 4),     // stpx
    ("b2020100", 4),     // stidp
    ("b2200012", 4),     // servc
    ("b27d0100", 4),     // stsi
    ("b2340100", 4),     // stsch
    ("b2b10000", 4),     // stfl
    ("b2120100", 4),     // stap
    ("b22c0012", 4),     // tb
    ("b20b0000", 4),     // ipk (CR0 extraction authority off)
];

#[test]
fn control_instructions_are_privileged_in_problem_state() {
    for (code, ilen) in PRIVILEGED {
        let (mut cpu, mut bus) = fixture(&hex(code));
        cpu.psw_mask |= PSW_PROBLEM_STATE;
        let before = (cpu, bus.clone());
        let stop = step(&mut cpu, &mut bus);
        assert_eq!(
            stop,
            Some(Stop::Program {
                code: PGM_PRIVILEGED_OPERATION,
                ilen
            }),
            "{code}"
        );
        let past = Cpu {
            psw_addr: CODE + u64::from(ilen),
            ..before.0
        };
        assert_eq!((cpu, bus), (past, before.1), "{code}: suppressed");
    }
}

#[test]
fn sie_intercepts_the_instructions_the_controller_must_perform() {
    for code in [
        "ae120000", "b2100100", "b2110100", "b2020100", "b2200012", "b27d0100", "b2340100",
        "b2b10000", "b2120100", "b22c0012", "b2300000", "b2760000", "b25f0000",
    ] {
        let bytes = hex(code);
        let (mut cpu, mut bus) = fixture(&bytes);
        let stop = step(&mut cpu, &mut bus);
        assert_eq!(
            stop,
            Some(Stop::Intercept {
                icptcode: ICPT_INST,
                ipa: u16::from_be_bytes([bytes[0], bytes[1]]),
                ipb: u32::from_be_bytes([bytes[2], bytes[3], 0, 0]),
            }),
            "{code}"
        );
        assert_eq!(cpu.psw_addr, CODE + 4, "{code}: past the instruction");
        assert_eq!(cpu.executed, 0);
    }
}

#[test]
fn control_registers_load_and_store() {
    // lctlg c14,c1,0(r9); stctg c0,c15,0x100(r9); lctl c2,c2,0x200(r9);
    // stctl c2,c3,0x300(r9)
    let (mut cpu, mut bus) = fixture(&hex("ebe19000002f eb0f91000025 b7229200 b6239300"));
    cpu.gprs[9] = DATA;
    for (i, v) in [0x1111_2222_3333_4444u64, 5, 6, 7].iter().enumerate() {
        bus.load(DATA + 8 * i as u64, &v.to_be_bytes());
    }
    bus.load(DATA + 0x200, &0xAABB_CCDDu32.to_be_bytes());
    cpu.crs[2] = 0x1234_5678_0000_0000;
    cpu.crs[3] = 0x9999;
    assert_eq!(run(&mut cpu, &mut bus, 4), Stop::Budget);
    assert_eq!(cpu.crs[14], 0x1111_2222_3333_4444);
    assert_eq!((cpu.crs[15], cpu.crs[0], cpu.crs[1]), (5, 6, 7));
    assert_eq!(
        bus.peek(DATA + 0x100 + 8 * 14, 8),
        0x1111_2222_3333_4444u64.to_be_bytes()
    );
    assert_eq!(cpu.crs[2], 0x1234_5678_AABB_CCDD, "LCTL keeps bits 0-31");
    assert_eq!(bus.peek(DATA + 0x300, 8), hex("aabbccdd00009999"));
}

#[test]
fn misaligned_control_register_operands_are_specification_exceptions() {
    for code in ["b7009001", "eb0090040025", "9a009002"] {
        let (mut cpu, mut bus) = fixture(&hex(code));
        cpu.gprs[9] = DATA;
        let ilen = instruction_length(hex(code)[0]);
        assert_eq!(
            step(&mut cpu, &mut bus),
            Some(Stop::Program {
                code: PGM_SPECIFICATION,
                ilen
            }),
            "{code}"
        );
    }
}

#[test]
fn lpswe_and_lpsw_load_the_psw() {
    // lpswe 0(r9)
    let (mut cpu, mut bus) = fixture(&hex("b2b29000"));
    cpu.gprs[9] = DATA;
    let mask = PSW_MASK_64 | (2 << PSW_CC_SHIFT);
    bus.load(DATA, &mask.to_be_bytes());
    bus.load(DATA + 8, &(CODE + 0x40).to_be_bytes());
    assert_eq!(step(&mut cpu, &mut bus), None);
    assert_eq!(
        (cpu.psw_mask, cpu.psw_addr, cpu.cc()),
        (mask, CODE + 0x40, 2)
    );

    // lpsw 0(r9): ESA/390 format, bit 12 one, 31-bit address
    let (mut cpu, mut bus) = fixture(&hex("82009000"));
    cpu.gprs[9] = DATA;
    bus.load(DATA, &hex("00080000 80301000"));
    assert_eq!(step(&mut cpu, &mut bus), None);
    assert_eq!((cpu.psw_mask, cpu.psw_addr), (0x8000_0000, 0x30_1000));
    // Bit 12 zero: specification exception, nothing loaded.
    let (mut cpu, mut bus) = fixture(&hex("82009000"));
    cpu.gprs[9] = DATA;
    bus.load(DATA, &hex("00000000 80301000"));
    assert_eq!(
        step(&mut cpu, &mut bus),
        Some(Stop::Program {
            code: PGM_SPECIFICATION,
            ilen: 4
        })
    );
    assert_eq!(cpu.psw_mask, PSW_MASK_64);
    // An invalid extended PSW is an early exception at the next fetch.
    let (mut cpu, mut bus) = fixture(&hex("b2b29000"));
    cpu.gprs[9] = DATA;
    bus.load(DATA, &(PSW_MASK_64 | 1 << (63 - 12)).to_be_bytes());
    bus.load(DATA + 8, &CODE.to_be_bytes());
    assert_eq!(step(&mut cpu, &mut bus), None);
    assert_eq!(
        step(&mut cpu, &mut bus),
        Some(Stop::Program {
            code: PGM_SPECIFICATION,
            ilen: 0
        })
    );
}

#[test]
fn system_mask_instructions() {
    // stosm 0(r9),0x03; stnsm 1(r9),0xfc; ssm 2(r9)
    let (mut cpu, mut bus) = fixture(&hex("ad039000 acfc9001 80009002"));
    cpu.gprs[9] = DATA;
    cpu.psw_mask = PSW_MASK_64 | 0x04 << 56;
    bus.load(DATA + 2, &[0x40]);
    assert_eq!(step(&mut cpu, &mut bus), None);
    assert_eq!(bus.peek(DATA, 1), [0x04]);
    assert_eq!(cpu.psw_mask >> 56, 0x07);
    assert_eq!(step(&mut cpu, &mut bus), None);
    assert_eq!(bus.peek(DATA + 1, 1), [0x07]);
    assert_eq!(cpu.psw_mask >> 56, 0x04);
    assert_eq!(step(&mut cpu, &mut bus), None);
    assert_eq!(cpu.psw_mask, PSW_MASK_64 | 0x40 << 56);
    // SSM with bit 0 one: specification; with CR0 bit 33: special operation.
    let (mut cpu, mut bus) = fixture(&hex("80009000"));
    cpu.gprs[9] = DATA;
    bus.load(DATA, &[0x80]);
    assert_eq!(
        step(&mut cpu, &mut bus),
        Some(Stop::Program {
            code: PGM_SPECIFICATION,
            ilen: 4
        })
    );
    let (mut cpu, mut bus) = fixture(&hex("80009000"));
    cpu.crs[0] = 1 << (63 - 33);
    assert_eq!(
        step(&mut cpu, &mut bus),
        Some(Stop::Program {
            code: control::PGM_SPECIAL_OPERATION,
            ilen: 4
        })
    );
}

#[test]
fn stfle_stores_the_facility_list_it_has_room_for() {
    let facilities = [0xFB00_0000_0000_0000, 0, 0x0400_0000_0000_0000, 0];
    // stfle 0(r9), room for one doubleword (R0 = 0): CC 3, R0 says 3.
    let (mut cpu, mut bus) = fixture(&hex("b2b09000"));
    cpu.gprs[9] = DATA;
    cpu.gprs[0] = 0xAB00;
    cpu.facilities = facilities;
    assert_eq!(step(&mut cpu, &mut bus), None);
    assert_eq!((cpu.cc(), cpu.gprs[0]), (3, 0xAB02));
    assert_eq!(bus.peek(DATA, 16), hex("fb00000000000000 0000000000000000"));
    // Room for four: three stored, CC 0.
    let (mut cpu, mut bus) = fixture(&hex("b2b09000"));
    cpu.gprs[9] = DATA;
    cpu.gprs[0] = 3;
    cpu.facilities = facilities;
    bus.load(DATA + 24, &[0xEE; 8]);
    assert_eq!(step(&mut cpu, &mut bus), None);
    assert_eq!((cpu.cc(), cpu.gprs[0]), (0, 2));
    assert_eq!(
        bus.peek(DATA + 16, 16),
        hex("0400000000000000 eeeeeeeeeeeeeeee")
    );
}

#[test]
fn the_tod_clock_runs_on_the_tod_epoch_and_never_repeats() {
    // stck 0(r9); stckf 8(r9); stcke 16(r9)
    let (mut cpu, mut bus) = fixture(&hex("b2059000 b27c9008 b2789010"));
    cpu.gprs[9] = DATA;
    cpu.set_cc(2);
    assert_eq!(run(&mut cpu, &mut bus, 3), Stop::Budget);
    assert_eq!(cpu.cc(), 0);
    let word = |a| u64::from_be_bytes(bus.peek(a, 8).try_into().unwrap());
    let (a, b) = (word(DATA), word(DATA + 8));
    // 2025-01-01 on the TOD epoch: 3,944,678,400 s after 1900.
    let tod_2025 = (3_944_678_400u64 * 1_000_000) << 12;
    assert!(a > tod_2025, "{a:#x}");
    assert!(b > a);
    let e = bus.peek(DATA + 16, 16);
    assert_eq!(e[0], 0, "epoch index");
    assert!(u64::from_be_bytes(e[1..9].try_into().unwrap()) > b);
    assert_eq!(e[9..], [0; 7]);
}

#[test]
fn psw_key_access_registers_and_epsw() {
    // spka 0x50; ipk; sar a1,r3; ear r4,a1; epsw r5,r6
    let (mut cpu, mut bus) = fixture(&hex("b20a0050 b20b0000 b24e0013 b24f0041 b98d0056"));
    cpu.gprs[2] = 0xFFFF;
    cpu.gprs[3] = 0x1_8765_4321;
    cpu.gprs[4] = 0xAAAA_AAAA_0000_0000;
    cpu.gprs[5] = 0xBBBB_BBBB_0000_0000;
    assert_eq!(run(&mut cpu, &mut bus, 5), Stop::Budget);
    assert_eq!((cpu.psw_mask >> (63 - 11)) & 0xF, 5);
    assert_eq!(cpu.gprs[2], 0xFF50);
    assert_eq!(cpu.acrs[1], 0x8765_4321);
    assert_eq!(cpu.gprs[4], 0xAAAA_AAAA_8765_4321);
    let mask = cpu.psw_mask;
    assert_eq!(cpu.gprs[5], 0xBBBB_BBBB_0000_0000 | mask >> 32);
    assert_eq!(cpu.gprs[6], mask & 0xFFFF_FFFF);
    // In problem state SPKA needs the key's bit in CR3, IPK CR0 bit 36.
    let (mut cpu, mut bus) = fixture(&hex("b20a0050 b20b0000"));
    cpu.psw_mask |= PSW_PROBLEM_STATE;
    cpu.crs[3] = 0x8000_0000 >> 5;
    cpu.crs[0] = 1 << (63 - 36);
    assert_eq!(run(&mut cpu, &mut bus, 2), Stop::Budget);
    cpu.crs[3] = 0;
    cpu.psw_addr = CODE;
    assert_eq!(
        step(&mut cpu, &mut bus),
        Some(Stop::Program {
            code: PGM_PRIVILEGED_OPERATION,
            ilen: 4
        })
    );
}

#[test]
fn access_registers_multiple() {
    // lam a14,a1,0(r9); stamy a0,a15,0x100(r9)
    let (mut cpu, mut bus) = fixture(&hex("9ae19000 eb0f9100009b"));
    cpu.gprs[9] = DATA;
    bus.load(DATA, &hex("00000001 00000002 00000003 00000004"));
    assert_eq!(run(&mut cpu, &mut bus, 2), Stop::Budget);
    assert_eq!(
        (cpu.acrs[14], cpu.acrs[15], cpu.acrs[0], cpu.acrs[1]),
        (1, 2, 3, 4)
    );
    assert_eq!(bus.peek(DATA + 0x100, 8), hex("00000003 00000004"));
    assert_eq!(bus.peek(DATA + 0x100 + 56, 8), hex("00000001 00000002"));
}

#[test]
fn tprot_reports_store_permission() {
    // tprot 0(r9),0(r2)
    for (key, want) in [(0x00, Some(0)), (0x30, Some(1))] {
        let (mut cpu, mut bus) = fixture(&hex("e50190002000"));
        cpu.gprs[9] = DATA;
        cpu.gprs[2] = key;
        assert_eq!(step(&mut cpu, &mut bus), None);
        assert_eq!(Some(cpu.cc()), want, "key {key:#x}");
    }
    let (mut cpu, mut bus) = fixture(&hex("e50190002000"));
    cpu.gprs[9] = 8 * MIB;
    assert_eq!(
        step(&mut cpu, &mut bus),
        Some(Stop::Fault(Access::SegmentNotMapped { addr: 8 * MIB }))
    );
    assert_eq!(cpu.psw_addr, CODE, "nullified");
}

// ---------------------------------------------------------------------------
// The problem-state rest (also checked against QEMU by the oracle, which
// never lets a trap happen).

#[test]
fn compare_and_trap_traps_with_a_data_exception() {
    // crt r1,r2,8 (trap on equal); cit r1,5,4 (trap on low); clgit r1,0,2
    for (code, r1, r2, trap) in [
        ("b9728012", 7, 7, true),
        ("b9728012", 7, 8, false),
        ("ec1000054072", 4, 0, true),
        ("ec1000054072", 5, 0, false),
        ("ec1000002071", 1, 0, true),
    ] {
        let (mut cpu, mut bus) = fixture(&hex(code));
        cpu.gprs[1] = r1;
        cpu.gprs[2] = r2;
        let ilen = instruction_length(hex(code)[0]);
        let want = trap.then_some(Stop::Program {
            code: PGM_DATA,
            ilen,
        });
        assert_eq!(step(&mut cpu, &mut bus), want, "{code}");
        assert_eq!(cpu.psw_addr, CODE + u64::from(ilen), "{code}: past it");
    }
    // lat r1,0(r9): loads, then traps on zero.
    let (mut cpu, mut bus) = fixture(&hex("e3109000009f"));
    cpu.gprs[9] = DATA;
    cpu.gprs[1] = u64::MAX;
    assert_eq!(
        step(&mut cpu, &mut bus),
        Some(Stop::Program {
            code: PGM_DATA,
            ilen: 6
        })
    );
    assert_eq!(cpu.gprs[1], 0xFFFF_FFFF_0000_0000);
}

#[test]
fn branch_on_index_counts_and_compares() {
    // brxle r1,r2,.+0 (loops while r1 <= r3): r2 = 1 increment, r3 = 3 limit
    let (mut cpu, mut bus) = fixture(&hex("85120000"));
    cpu.gprs[1] = 0;
    cpu.gprs[2] = 1;
    cpu.gprs[3] = 3;
    assert_eq!(step(&mut cpu, &mut bus), None);
    assert_eq!((cpu.gprs[1], cpu.psw_addr), (1, CODE));
    for _ in 0..2 {
        assert_eq!(step(&mut cpu, &mut bus), None);
    }
    assert_eq!((cpu.gprs[1], cpu.psw_addr), (3, CODE));
    assert_eq!(step(&mut cpu, &mut bus), None);
    assert_eq!((cpu.gprs[1], cpu.psw_addr), (4, CODE + 4));
    // bxhg r1,r1,0x40(r9): R3 odd compares with itself, read before R1
    // changes: 5 + 5 = 10 > 5, so it branches.
    let (mut cpu, mut bus) = fixture(&hex("eb1190400044"));
    cpu.gprs[1] = 5;
    cpu.gprs[9] = CODE;
    assert_eq!(step(&mut cpu, &mut bus), None);
    assert_eq!((cpu.gprs[1], cpu.psw_addr), (10, CODE + 0x40));
}

#[test]
fn mvcl_refuses_destructive_overlap_and_pads() {
    // mvcl r2,r4
    let (mut cpu, mut bus) = fixture(&hex("0e24"));
    cpu.gprs[2] = DATA + 1;
    cpu.gprs[3] = 8;
    cpu.gprs[4] = DATA;
    cpu.gprs[5] = 8;
    assert_eq!(step(&mut cpu, &mut bus), None);
    assert_eq!((cpu.cc(), cpu.gprs[2], cpu.gprs[3]), (3, DATA + 1, 8));
    // Source 2 bytes, destination 5: padded with 0x5A (R5 bits 32-39).
    let (mut cpu, mut bus) = fixture(&hex("0e24"));
    bus.load(DATA + 0x100, &[1, 2]);
    cpu.gprs[2] = DATA;
    cpu.gprs[3] = 0xAB00_0005;
    cpu.gprs[4] = DATA + 0x100;
    cpu.gprs[5] = 0x5A00_0002;
    assert_eq!(step(&mut cpu, &mut bus), None);
    assert_eq!(cpu.cc(), 2, "destination longer");
    assert_eq!(bus.peek(DATA, 5), [1, 2, 0x5A, 0x5A, 0x5A]);
    assert_eq!((cpu.gprs[2], cpu.gprs[3]), (DATA + 5, 0xAB00_0000));
    assert_eq!((cpu.gprs[4], cpu.gprs[5]), (DATA + 0x102, 0x5A00_0000));
}

#[test]
fn mvcle_stops_at_a_page_boundary_with_cc_3() {
    // mvcle r2,r4,0x11: 0x20 bytes from 16 bytes before a page end.
    let (mut cpu, mut bus) = fixture(&hex("a8240011"));
    cpu.gprs[2] = DATA + 0x1000 - 0x10;
    cpu.gprs[3] = 0x20;
    cpu.gprs[4] = DATA + 0x2000;
    cpu.gprs[5] = 0;
    assert_eq!(step(&mut cpu, &mut bus), None);
    assert_eq!((cpu.cc(), cpu.gprs[3]), (3, 0x10));
    cpu.psw_addr = CODE; // the guest's `jo .-4`
    assert_eq!(step(&mut cpu, &mut bus), None);
    assert_eq!(cpu.cc(), 2, "done: destination was longer");
    assert_eq!(bus.peek(DATA + 0x1000 - 0x10, 0x20), [0x11; 0x20]);
}

#[test]
fn mvst_clst_and_trtr() {
    // mvst r1,r2 with R0 = 0: "abc\0"
    let (mut cpu, mut bus) = fixture(&hex("b2550012"));
    bus.load(DATA + 0x100, b"abc\0zz");
    cpu.gprs[1] = DATA;
    cpu.gprs[2] = DATA + 0x100;
    assert_eq!(step(&mut cpu, &mut bus), None);
    assert_eq!((cpu.cc(), cpu.gprs[1]), (1, DATA + 3));
    assert_eq!(bus.peek(DATA, 5), b"abc\0\0");
    // clst r1,r2: "abc" < "abd"
    let (mut cpu, mut bus) = fixture(&hex("b25d0012"));
    bus.load(DATA, b"abc\0");
    bus.load(DATA + 0x100, b"abd\0");
    cpu.gprs[1] = DATA;
    cpu.gprs[2] = DATA + 0x100;
    assert_eq!(step(&mut cpu, &mut bus), None);
    assert_eq!(
        (cpu.cc(), cpu.gprs[1], cpu.gprs[2]),
        (1, DATA + 2, DATA + 0x102)
    );
    // trtr 3(4,r9),0x100(r9): right to left, the first nonzero function
    // byte is that of DATA+2 (not the last byte processed): CC 1.
    let (mut cpu, mut bus) = fixture(&hex("d00390039100"));
    cpu.gprs[9] = DATA;
    bus.load(DATA, &[7, 7, 9, 0]);
    bus.load(DATA + 0x100 + 7, &[0x77]);
    bus.load(DATA + 0x100 + 9, &[0x99]);
    assert_eq!(step(&mut cpu, &mut bus), None);
    assert_eq!(
        (cpu.cc(), cpu.gprs[1], cpu.gprs[2] & 0xFF),
        (1, DATA + 2, 0x99)
    );
}

#[test]
fn high_word_operations_leave_the_low_word() {
    // ahhlr r1,r2,r3; lfh r4,0(r9); risbhg r5,r6,0,0x9f,32
    let (mut cpu, mut bus) = fixture(&hex("b9d83012 e340900000ca ec56009f205d"));
    cpu.gprs[1] = 0x1111_1111_2222_2222;
    cpu.gprs[2] = 0x0000_0005_FFFF_FFFF;
    cpu.gprs[3] = 0x9999_9999_0000_0007;
    cpu.gprs[4] = 0x4444_4444_4444_4444;
    cpu.gprs[5] = 0x5555_5555_5555_5555;
    cpu.gprs[6] = 0x0000_0000_ABCD_EF01;
    cpu.gprs[9] = DATA;
    bus.load(DATA, &hex("cafef00d"));
    assert_eq!(run(&mut cpu, &mut bus, 3), Stop::Budget);
    assert_eq!(cpu.gprs[1], 0x0000_000C_2222_2222);
    assert_eq!(cpu.cc(), 2);
    assert_eq!(cpu.gprs[4], 0xCAFE_F00D_4444_4444);
    assert_eq!(cpu.gprs[5], 0xABCD_EF01_5555_5555, "Z: the whole high word");
}

#[test]
fn a_string_fault_after_progress_ends_the_execution_then_nullifies() {
    // mvst r1,r2: the source runs into the unmapped segment at 4 MiB.
    let (mut cpu, mut bus) = fixture(&hex("b2550012"));
    bus.load(4 * MIB - 0x10, &[0x61; 0x10]);
    cpu.gprs[0] = 0;
    cpu.gprs[1] = DATA;
    cpu.gprs[2] = 4 * MIB - 0x10;
    assert_eq!(step(&mut cpu, &mut bus), None);
    assert_eq!(cpu.cc(), 3, "a CPU-determined amount");
    assert_eq!((cpu.gprs[1], cpu.gprs[2]), (DATA + 0x10, 4 * MIB));
    assert_eq!(bus.peek(DATA, 0x10), [0x61; 0x10]);
    cpu.psw_addr = CODE;
    let before = (cpu, bus.clone());
    assert_eq!(
        step(&mut cpu, &mut bus),
        Some(Stop::Fault(Access::SegmentNotMapped { addr: 4 * MIB }))
    );
    assert_eq!((cpu, bus), before, "nullified");
}

#[test]
fn fprs_beyond_the_basic_four_need_the_afp_register_control() {
    // (code, whether it names an FPR other than 0, 2, 4 and 6)
    let cases = [
        ("b3c10081", true),      // ldgr %f8,%r1
        ("b3c10061", false),     // ldgr %f6,%r1
        ("b3cd0019", true),      // lgdr %r1,%f9
        ("b3cd0014", false),     // lgdr %r1,%f4
        ("2812", true),          // ldr %f1,%f2
        ("2821", true),          // ldr %f2,%f1
        ("2824", false),         // ldr %f2,%f4
        ("3846", false),         // ler %f4,%f6
        ("b37500f0", true),      // lzdr %f15
        ("60302100", true),      // std %f3,0x100(%r2)
        ("68002100", false),     // ld %f0,0x100(%r2)
        ("ed5020000067", true),  // stdy %f5,0(%r2)
        ("ed2020000064", false), // ley %f2,0(%r2)
    ];
    for (code, additional) in cases {
        let text = hex(code);
        let ilen = u8::try_from(text.len()).unwrap();
        for afp in [false, true] {
            let (mut cpu, mut bus) = fixture(&text);
            cpu.gprs[1] = 0x0123_4567_89AB_CDEF;
            cpu.gprs[2] = CODE + 0x1000;
            cpu.fprs = core::array::from_fn(|i| 0x1111_1111_1111_1111 * i as u64);
            if afp {
                cpu.crs[0] |= CR0_AFP;
            }
            let before = (cpu, bus.clone());
            let stop = step(&mut cpu, &mut bus);
            if additional && !afp {
                assert_eq!(
                    stop,
                    Some(Stop::Program {
                        code: PGM_DATA,
                        ilen
                    }),
                    "{code}"
                );
                assert_eq!(cpu.dxc, interrupt::DXC_AFP_REGISTER, "{code}");
                let moved = Cpu {
                    psw_addr: CODE + u64::from(ilen),
                    dxc: cpu.dxc,
                    ..before.0
                };
                assert_eq!(cpu, moved, "{code}: suppressed, PSW past it");
                assert_eq!(bus, before.1, "{code}: no store");
            } else {
                assert_eq!(stop, None, "{code} (AFP {afp})");
            }
        }
    }
}
