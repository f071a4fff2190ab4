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
    interrupt::deliver_program(&mut cpu, &mut bus, PGM_DATA, 4).unwrap();
    assert_eq!(bus.peek(LC_DXC, 1), [DXC_COMPARE_AND_TRAP]);
    assert_eq!(bus.peek(LC_PGM_ILC, 4), [0, 4, 0, 7]);
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
