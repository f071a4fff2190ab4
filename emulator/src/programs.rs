//! Small s390 guest programs (big-endian machine code) and the fixture
//! constants of the kernel's ucontrol selftest (`ucontrol_test.c`): what
//! `ucas demo` and the end-to-end tests run.
//!
//! The byte sequences are checked against `s390x-linux-gnu-as` by the
//! tests (`tests/tests/emulator_scenarios.rs`).

/// Where the selftest copies its guest code: vcpu address 3 MiB.
pub const CODE_ADDR: u64 = 3 << 20;

/// The selftest fixture maps this much at vcpu address 0.
pub const FIXTURE_MAPPED: u64 = 4 << 20;

/// The selftest fixture allocates this much user memory.
pub const FIXTURE_MEMORY: u64 = 6 << 20;

/// The PSW mask the selftest runs its guests with: 64-bit addressing, DAT
/// off, interruptions disabled.
pub const PSW_MASK_64: u64 = 0x0000_0001_8000_0000;

/// The selftest's map/unmap program. With r1 = 0x55, r5 = 0 and
/// r6 = 4 MiB + 1 it counts runs in r0, stores r1 at r5 + r6, clears r1,
/// loads it back, and stops at `diag 0,0,0x44`; then it loops.
///
/// ```text
/// b9820000  xgr  %r0,%r0
/// a70a0001  ahi  %r0,1        <-+
/// 50156000  st   %r1,0(%r5,%r6) |
/// b9820011  xgr  %r1,%r1        |
/// 58156000  l    %r1,0(%r5,%r6) |
/// a70a0001  ahi  %r0,1          |
/// 83000044  diag %r0,%r0,0x44   |
/// a7f4fff4  j    ---------------+
/// ```
pub const MAP_UNMAP: [u8; 32] = [
    0xb9, 0x82, 0x00, 0x00, 0xa7, 0x0a, 0x00, 0x01, 0x50, 0x15, 0x60, 0x00, 0xb9, 0x82, 0x00, 0x11,
    0x58, 0x15, 0x60, 0x00, 0xa7, 0x0a, 0x00, 0x01, 0x83, 0x00, 0x00, 0x44, 0xa7, 0xf4, 0xff, 0xf4,
];

/// Offset of the store in [`MAP_UNMAP`]: where the PSW points after its
/// ucontrol exit.
pub const MAP_UNMAP_STORE: u64 = 8;

/// Offset just past the DIAGNOSE in [`MAP_UNMAP`]: where the PSW points
/// after its intercept.
pub const MAP_UNMAP_AFTER_DIAG: u64 = 28;

/// The selftest's gprs program: zeroes r0, loads r1..r7 with 1..7, stops at
/// `diag 0,0,0x44`, then adds 1 to r0 and jumps back to the DIAGNOSE.
///
/// ```text
/// b9820000      xgr  %r0,%r0
/// c01100000001  lgfi %r1,1      (r2..r7 likewise)
/// 83000044      diag %r0,%r0,0x44   <-+
/// a70a0001      ahi  %r0,1            |
/// a7f4fffc      j    -----------------+
/// ```
pub const GPRS: [u8; 58] = [
    0xb9, 0x82, 0x00, 0x00, //
    0xc0, 0x11, 0x00, 0x00, 0x00, 0x01, //
    0xc0, 0x21, 0x00, 0x00, 0x00, 0x02, //
    0xc0, 0x31, 0x00, 0x00, 0x00, 0x03, //
    0xc0, 0x41, 0x00, 0x00, 0x00, 0x04, //
    0xc0, 0x51, 0x00, 0x00, 0x00, 0x05, //
    0xc0, 0x61, 0x00, 0x00, 0x00, 0x06, //
    0xc0, 0x71, 0x00, 0x00, 0x00, 0x07, //
    0x83, 0x00, 0x00, 0x44, //
    0xa7, 0x0a, 0x00, 0x01, //
    0xa7, 0xf4, 0xff, 0xfc,
];

/// Touches `r2` consecutive segments: stores r1 at r6, advances r6 by r7
/// (1 MiB), loops with BRCT, then stops at `diag 0,0,0x44`. Run it with
/// `ucas::Vcpu::run_demand` to map the segments as they are touched.
///
/// ```text
/// 50106000  st   %r1,0(%r6)     <-+
/// 41676000  la   %r6,0(%r7,%r6)   |
/// a726fffc  brct %r2,-------------+
/// 83000044  diag %r0,%r0,0x44
/// ```
pub const TOUCH_SEGMENTS: [u8; 16] = [
    0x50, 0x10, 0x60, 0x00, 0x41, 0x67, 0x60, 0x00, 0xa7, 0x26, 0xff, 0xfc, 0x83, 0x00, 0x00, 0x44,
];
