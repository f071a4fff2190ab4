//! `KVM_RUN`: runs a vcpu's guest in the interpreter ([`super::cpu`])
//! against the tracee's own memory, through the vcpu's model address space,
//! and decides the exit the way the selected kernel generation does.
//!
//! - Every guest address is a real address; prefixing turns it into an
//!   absolute address, which is the vcpu address the model's
//!   [`AddressSpace`] translates into a user address of the tracee. Memory is
//!   reached through the caller's `/proc/PID/mem`, bound to its address
//!   space (an exec or the caller's death cuts the guest off; the run then
//!   ends at its next access, or within [`PENDING_CHECK`] instructions);
//!   as the handle ignores page protections, a load first checks that its
//!   page is readable (by pid, with `process_vm_readv`: harmless should the
//!   pid name another process by then) and a store that its pages are
//!   writable in the caller's `/proc/PID/maps`, as the MMU would. A small
//!   page cache, emptied at the start of each run, spares the system call
//!   for repeated reads (instruction fetch above all).
//! - An access to an unmapped vcpu segment is a ucontrol exit at the address
//!   rounded down to 4 KiB; one to a mapped segment without user memory is a
//!   ucontrol exit on generation A and `EFAULT` on B and C. The prefix
//!   segment is checked before the first instruction (A and B: `EFAULT`;
//!   C: a ucontrol exit at the prefix).
//! - Program-interruption conditions go through the guest's lowcore as on
//!   the machine (old PSW stored at 0x150, interruption code at 0x8C, new
//!   PSW loaded from 0x1D0) and the guest continues; a specification
//!   exception instead ends the run with intercept code 8 (`ICPT_PROGI`),
//!   as SIE does without `ECB_SPECI` ([`cpu::interrupt`]).
//! - After [`BUDGET`] instructions without an exit, the run ends as if a
//!   signal had arrived (`EINTR`, `KVM_EXIT_INTR`); the next `KVM_RUN`
//!   resumes where it stopped.

// Guest addresses and the tracee's user addresses are untrusted: conversions
// say whether they widen or may fail.
#![deny(clippy::as_conversions)]

use std::sync::{Mutex, MutexGuard};

use ucas_core::segment::page_round_down;
use ucas_core::{AddressSpace, Generation};

use super::cpu::interrupt::deliver_program;
use super::cpu::keys::{Intercepts, StorageKeys};
use super::cpu::{self, Access, Bus, Cpu, Stop};
use super::model::KeyStore;
use super::sys;
use super::trace::Tracer;

/// Instructions one `KVM_RUN` executes at most before it ends with `EINTR`.
/// A million keeps a guest that never exits from blocking the supervisor
/// for more than about a second (a store or load to a fresh page costs a
/// system call), while no scenario or demo program comes near it.
pub const BUDGET: u64 = 1_000_000;

/// Size of the prefix area (the lowcore): two 4 KiB pages.
const PREFIX_AREA: u64 = 8192;

/// The bits of the prefix register that count: 8 KiB-aligned, below 2 GiB.
pub(crate) const PREFIX_MASK: u64 = 0x7FFF_E000;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunExit {
    /// `KVM_EXIT_S390_UCONTROL` with this `trans_exc_code`; `why` tells the
    /// trace whether the segment was unmapped or had no user memory.
    Ucontrol {
        /// The faulting vcpu address rounded down to 4 KiB.
        trans_exc_code: u64,
        /// A word for the trace.
        why: &'static str,
    },
    /// `KVM_EXIT_S390_SIEIC` for a program-interruption intercept
    /// (`ICPT_PROGI`): SIE stores the code and ILC in the SIE block's
    /// `iprcc` and `pgmilc`, and `ipa`/`ipb` are zero.
    ProgramIntercept {
        /// The program-interruption code.
        code: u16,
        /// The instruction length in bytes (0, 2, 4 or 6).
        ilen: u8,
    },
    /// `KVM_EXIT_S390_SIEIC`.
    Sieic {
        /// The intercept code.
        icptcode: u8,
        /// Instruction parameter A.
        ipa: u16,
        /// Instruction parameter B.
        ipb: u32,
    },
    /// `KVM_RUN` fails with `EFAULT` at this vcpu address.
    Efault {
        /// The vcpu address the kernel could not resolve.
        addr: u64,
        /// A word for the trace.
        why: &'static str,
    },
    /// `KVM_RUN` fails with `EINTR` (`KVM_EXIT_INTR`): budget spent or
    /// `immediate_exit` set.
    Interrupted,
}

/// Maps a real address to an absolute one: the first 8 KiB and the prefix
/// area swap places. `prefix` is already masked with [`PREFIX_MASK`].
pub(crate) fn absolute(real: u64, prefix: u64) -> u64 {
    if real < PREFIX_AREA {
        real.wrapping_add(prefix)
    } else if real & !(PREFIX_AREA - 1) == prefix {
        real.wrapping_sub(prefix)
    } else {
        real
    }
}

const CACHE_PAGES: usize = 8;
// `usize::try_from` is not const; a power of two converts exactly through
// its exponent (and a shift past `usize::BITS` would fail the build).
const PAGE: usize = 1 << cpu::PAGE_SIZE.trailing_zeros();
const _: () = assert!(cpu::PAGE_SIZE.is_power_of_two());

/// Copies of tracee pages read during one run, by user page address. Kept
/// coherent with the guest's own stores: a store writes through to the
/// tracee and into the copy of its user page, which is also the copy every
/// alias (another vcpu address of the same user page) reads and fetches
/// from. Other threads of the tracee
/// changing memory during a run are not seen (as with a real CPU's cache
/// of prefetched instructions, a race the program must not rely on).
pub(crate) struct PageCache {
    tags: [Option<u64>; CACHE_PAGES],
    pages: Box<[[u8; PAGE]; CACHE_PAGES]>,
    /// The decoded instructions of the run, by user page
    /// ([`Bus::code_page`]): emptied with the pages.
    code: cpu::CodeCache,
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageCache")
            .field("tags", &self.tags)
            .finish_non_exhaustive()
    }
}

impl PageCache {
    pub(crate) fn new() -> Self {
        Self {
            tags: [None; CACHE_PAGES],
            pages: Box::new([[0; PAGE]; CACHE_PAGES]),
            code: cpu::CodeCache::new(),
        }
    }

    fn clear(&mut self) {
        self.tags = [None; CACHE_PAGES];
        self.code.clear();
    }

    fn slot(user_page: u64) -> usize {
        // Neither conversion can fail (CACHE_PAGES is tiny, the remainder
        // below it); were one to, slot 0 is as correct as any other, since
        // every lookup checks the tag.
        let slots = u64::try_from(CACHE_PAGES).unwrap_or(1);
        usize::try_from((user_page / cpu::PAGE_SIZE) % slots).unwrap_or(0)
    }
}

/// The writable ranges `[start, end)` of a `/proc/PID/maps` text, in its
/// order (ascending). Lines it cannot read are left out: what is not known
/// writable is not written.
pub(crate) fn writable_ranges(maps: &[u8], out: &mut Vec<(u64, u64)>) {
    out.clear();
    for line in maps.split(|&b| b == b'\n') {
        let mut fields = line.split(|&b| b == b' ');
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        if perms.get(1) != Some(&b'w') {
            continue;
        }
        let Some(dash) = range.iter().position(|&b| b == b'-') else {
            continue;
        };
        let hex = |b: &[u8]| {
            std::str::from_utf8(b)
                .ok()
                .and_then(|t| u64::from_str_radix(t, 16).ok())
        };
        if let (Some(start), Some(end)) = (hex(&range[..dash]), hex(&range[dash + 1..])) {
            out.push((start, end));
        }
    }
}

/// Whether `ranges` (ascending, as [`writable_ranges`] gives them) cover
/// all `len` bytes at `addr`.
pub(crate) fn covered(ranges: &[(u64, u64)], addr: u64, len: u64) -> bool {
    let Some(end) = addr.checked_add(len) else {
        return false;
    };
    let mut at = addr;
    for &(start, stop) in ranges {
        if at >= end {
            break;
        }
        if start <= at && at < stop {
            at = stop;
        }
    }
    at >= end
}

/// The caller's writable pages during one run, read from its
/// `/proc/PID/maps` (opened at the first store, bound to the same address
/// space as the memory handle) and read again when an access seems not
/// allowed after one failed.
struct Protections<'a> {
    pid: u32,
    pending: &'a mut dyn FnMut() -> bool,
    maps: Option<sys::TraceeMaps>,
    text: Vec<u8>,
    writable: Vec<(u64, u64)>,
    /// The ranges reflect the map as last read, and no access failed since.
    fresh: bool,
    loaded: bool,
}

impl Protections<'_> {
    fn new(pid: u32, pending: &mut dyn FnMut() -> bool) -> Protections<'_> {
        Protections {
            pid,
            pending,
            maps: None,
            text: Vec::new(),
            writable: Vec::new(),
            fresh: false,
            loaded: false,
        }
    }

    fn reload(&mut self) -> bool {
        self.writable.clear();
        if self.maps.is_none() {
            let Ok(maps) = sys::TraceeMaps::open(self.pid) else {
                return false;
            };
            // Opened while the caller waits in this call, so its address
            // space is the memory handle's: its pid still names it.
            if !(self.pending)() {
                return false;
            }
            self.maps = Some(maps);
        }
        let Some(maps) = &self.maps else {
            return false;
        };
        if maps.read_all(&mut self.text).is_err() {
            return false;
        }
        writable_ranges(&self.text, &mut self.writable);
        self.loaded = true;
        self.fresh = true;
        true
    }

    fn covers(&self, user: u64, len: u64) -> bool {
        covered(&self.writable, user, len)
    }

    /// Whether `len` bytes at user address `user` are writable as the MMU
    /// sees them. A range the cached map refuses is looked up again in a
    /// fresh one if an access failed since it was read.
    fn writable(&mut self, user: u64, len: usize) -> bool {
        let len = cpu::widen(len);
        if !self.loaded && !self.reload() {
            return false;
        }
        if self.covers(user, len) {
            return true;
        }
        if !self.fresh && self.reload() {
            return self.covers(user, len);
        }
        false
    }

    /// An access failed: the map may have changed.
    fn invalidate(&mut self) {
        self.fresh = false;
    }
}

/// The guest's view of memory: vcpu addresses through the model's address
/// space into the caller's memory.
struct TraceeBus<'a, const N: usize> {
    memory: &'a sys::TraceeMemory,
    protections: Protections<'a>,
    space: &'a AddressSpace<N>,
    prefix: u64,
    cache: &'a mut PageCache,
    keys: &'a Mutex<KeyStore>,
    intercepts: Intercepts,
}

impl<const N: usize> TraceeBus<'_, N> {
    /// The storage keys, locked for one update or query (a panic while
    /// they were held left them consistent: each update is one store).
    fn keys(&self) -> MutexGuard<'_, KeyStore> {
        crate::locked(self.keys)
    }

    /// The tracee address behind real address `addr`, and the vcpu
    /// (absolute) address for error reports.
    fn resolve(&self, addr: u64) -> Result<(u64, u64), Access> {
        let vcpu = absolute(addr, self.prefix);
        match self.space.translate(vcpu) {
            Some(user) => Ok((user, vcpu)),
            None => Err(Access::SegmentNotMapped { addr: vcpu }),
        }
    }

    /// Whether the page of user address `user` is readable as the MMU sees
    /// it: one byte read by pid with `process_vm_readv`, which honours the
    /// protections (a page has one). Cheaper than the map, and safe: should
    /// the pid name another process by now, the caller is gone and the
    /// memory handle refuses the read anyway.
    fn readable(&self, user: u64) -> bool {
        let mut byte = [0u8; 1];
        sys::read_tracee(self.protections.pid, user, &mut byte).ok() == Some(1)
    }

    fn failed(&mut self, vcpu: u64) -> Access {
        self.protections.invalidate();
        Access::NoUserMemory { addr: vcpu }
    }
}

impl<const N: usize> Bus for TraceeBus<'_, N> {
    fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), Access> {
        let (user, vcpu) = self.resolve(addr)?;
        // Segments are 1 MiB-aligned on both sides, so a 4 KiB vcpu page is
        // one 4 KiB tracee page, and the bus contract keeps `buf` inside it.
        let page = page_round_down(user);
        // Below PAGE, so it fits; a misfit would land outside the page and
        // take the uncached path.
        let offset = usize::try_from(user - page).unwrap_or(usize::MAX);
        let slot = PageCache::slot(page);
        if self.cache.tags[slot] != Some(page) {
            self.cache.tags[slot] = None;
            // The memory handle reads PROT_NONE pages too; the MMU would not.
            if !self.readable(page) {
                return Err(self.failed(vcpu));
            }
            let got = self.memory.read(page, &mut self.cache.pages[slot]).ok();
            if got != Some(PAGE) {
                return Err(self.failed(vcpu));
            }
            self.cache.tags[slot] = Some(page);
            // Cached pages have their reference bit on (`set_key` drops a
            // page whose key it changes).
            self.keys().touch(page, false);
        }
        match self.cache.pages[slot].get(offset..offset.saturating_add(buf.len())) {
            Some(bytes) => buf.copy_from_slice(bytes),
            // Outside the bus contract (a range crossing a page): no cache.
            None => {
                if !self.readable(user) || self.memory.read(user, buf).ok() != Some(buf.len()) {
                    return Err(self.failed(vcpu));
                }
            }
        }
        Ok(())
    }

    fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), Access> {
        let (user, vcpu) = self.resolve(addr)?;
        // The memory handle writes read-only pages too; the MMU would not.
        if !self.protections.writable(user, data.len()) {
            return Err(self.failed(vcpu));
        }
        if self.memory.write(user, data).ok() != Some(data.len()) {
            return Err(self.failed(vcpu));
        }
        self.keys().touch(user, true);
        let page = page_round_down(user);
        let slot = PageCache::slot(page);
        if self.cache.tags[slot] == Some(page) {
            // Below PAGE, so it fits; a misfit would land outside the page
            // and drop the cached copy.
            let offset = usize::try_from(user - page).unwrap_or(usize::MAX);
            match self.cache.pages[slot].get_mut(offset..offset.saturating_add(data.len())) {
                Some(bytes) => bytes.copy_from_slice(data),
                None => self.cache.tags[slot] = None,
            }
        }
        Ok(())
    }

    fn storage_keys(&mut self) -> Option<&mut dyn StorageKeys> {
        Some(self)
    }

    /// The user page: the same for every vcpu address that maps it, and
    /// every store of the run goes through `write`, which keeps the page
    /// copies coherent the same way.
    fn code_page(&mut self, addr: u64) -> Option<u64> {
        self.resolve(addr)
            .ok()
            .map(|(user, _)| page_round_down(user))
    }

    /// Writability as the MMU sees it, without reading: a readable page the
    /// caller cannot write (which the default, a read, would accept) fails
    /// here, before any part of the store is written.
    fn check_write(&mut self, addr: u64, len: usize) -> Result<(), Access> {
        let (user, vcpu) = self.resolve(addr)?;
        if self.protections.writable(user, len) {
            Ok(())
        } else {
            Err(self.failed(vcpu))
        }
    }
}

/// The keys of the user pages behind the vcpu's memory. A block whose
/// user page is missing fails as a read of it would.
impl<const N: usize> StorageKeys for TraceeBus<'_, N> {
    fn intercepts(&self) -> Intercepts {
        self.intercepts
    }

    fn key(&mut self, real: u64) -> Result<u8, Access> {
        let (user, vcpu) = self.resolve(real)?;
        if !self.readable(page_round_down(user)) {
            return Err(self.failed(vcpu));
        }
        Ok(self.keys().user_key(user))
    }

    fn set_key(&mut self, real: u64, key: u8) -> Result<(), Access> {
        let (user, vcpu) = self.resolve(real)?;
        let page = page_round_down(user);
        if !self.readable(page) {
            return Err(self.failed(vcpu));
        }
        self.keys().set_user_key(user, key);
        // The next fetch from the page sets its reference bit again.
        let slot = PageCache::slot(page);
        if self.cache.tags[slot] == Some(page) {
            self.cache.tags[slot] = None;
        }
        Ok(())
    }
}

/// Everything one `KVM_RUN` needs besides the registers.
pub(crate) struct RunContext<'a, const N: usize> {
    /// The kernel generation modelled.
    pub generation: Generation,
    /// The vcpu's address space.
    pub space: &'a AddressSpace<N>,
    /// The prefix register (masked with [`PREFIX_MASK`]).
    pub prefix: u64,
    /// The calling thread, whose memory the guest uses.
    pub pid: u32,
    /// The caller's memory, known to be bound to its address space.
    pub memory: &'a sys::TraceeMemory,
    /// Whether the caller still waits in this `KVM_RUN`
    /// (`SECCOMP_IOCTL_NOTIF_ID_VALID`); asked now and then during the run,
    /// which ends as soon as the answer is no.
    pub pending: &'a mut dyn FnMut() -> bool,
    /// Scratch pages, reused across runs.
    pub cache: &'a mut PageCache,
    /// Instructions allowed before the run ends with `EINTR`.
    pub budget: u64,
    /// The storage keys, shared with the other vcpus' runs and the model.
    pub keys: &'a Mutex<KeyStore>,
    /// Which key instructions the SIE block intercepts.
    pub intercepts: Intercepts,
    /// The trace, for a line per instruction when it asks for them.
    pub tracer: &'a mut Tracer,
}

/// Instructions between two checks that the caller still waits.
const PENDING_CHECK: u64 = 65_536;

/// Runs `cpu` until an exit; `cpu` holds the registers and PSW to write back
/// into `kvm_run` whatever the exit.
pub(crate) fn run<const N: usize>(ctx: RunContext<'_, N>, cpu: &mut Cpu) -> RunExit {
    let RunContext {
        generation,
        space,
        prefix,
        pid,
        memory,
        pending,
        cache,
        budget,
        keys,
        intercepts,
        tracer,
    } = ctx;
    if space.translate(prefix).is_none() {
        return if generation.unmapped_prefix_exits() {
            RunExit::Ucontrol {
                trans_exc_code: prefix,
                why: "prefix segment not mapped",
            }
        } else {
            RunExit::Efault {
                addr: prefix,
                why: "prefix segment not mapped",
            }
        };
    }
    cache.clear();
    // Out of the page cache for the run, so the bus can borrow the pages.
    let mut code = std::mem::take(&mut cache.code);
    let exit = {
        let bus = TraceeBus {
            memory,
            protections: Protections::new(pid, pending),
            space,
            prefix,
            cache: &mut *cache,
            keys,
            intercepts,
        };
        run_slices(bus, &mut code, cpu, budget, tracer, generation)
    };
    cache.code = code;
    exit
}

/// The body of [`run`]: slices of the budget until an exit.
fn run_slices<const N: usize>(
    mut bus: TraceeBus<'_, N>,
    code: &mut cpu::CodeCache,
    cpu: &mut Cpu,
    budget: u64,
    tracer: &mut Tracer,
    generation: Generation,
) -> RunExit {
    let pid = bus.protections.pid;
    let start = cpu.executed;
    // Interruptions delivered count against the budget too, so a guest
    // whose program new PSW is itself invalid cannot loop forever.
    let mut delivered = 0u64;
    loop {
        let spent = cpu.executed.wrapping_sub(start).saturating_add(delivered);
        let left = budget.saturating_sub(spent);
        let slice = left.min(PENDING_CHECK);
        // Asked once per slice, so an untraced run pays nothing per
        // instruction.
        let stopped = if tracer.instructions() {
            // Its stores do not keep the decoded instructions coherent.
            code.clear();
            cpu::run_traced(cpu, &mut bus, slice, |addr, text| {
                tracer.instruction(pid, addr, text);
            })
        } else {
            cpu::run_cached(cpu, &mut bus, slice, code)
        };
        let stop = match stopped {
            Stop::Program {
                code: pgm_code,
                ilen,
            } if cpu::interrupt::intercepted(pgm_code) => {
                return RunExit::ProgramIntercept {
                    code: pgm_code,
                    ilen,
                };
            }
            Stop::Program {
                code: pgm_code,
                ilen,
            } => {
                // The lowcore stores bypass the decoded instructions.
                code.clear();
                match deliver_program(cpu, &mut bus, pgm_code, ilen) {
                    // The guest continues at its program new PSW; a lowcore
                    // it cannot reach stops it like any other access.
                    Ok(()) => {
                        delivered = delivered.saturating_add(1);
                        continue;
                    }
                    Err(e) => Stop::Fault(e),
                }
            }
            // A slice of the budget spent: on, unless the caller is gone
            // (its answer no longer matters, and nothing more is written).
            // A signal for the caller ends the run with EINTR, as the
            // kernel's signal_pending() check between SIE entries does (its
            // status is read first and trusted only if the call is still
            // pending afterwards).
            Stop::Budget if left > PENDING_CHECK => {
                let signalled = signal_pending(pid);
                if (bus.protections.pending)() && !signalled {
                    continue;
                }
                return RunExit::Interrupted;
            }
            other => other,
        };
        return exit_for(generation, stop);
    }
}

/// Whether thread `tid` has an unblocked signal pending (an unreadable
/// status counts as none: the ID_VALID check that follows decides then).
fn signal_pending(tid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{tid}/status"))
        .ok()
        .and_then(|status| ucas_core::host::signal_pending(&status))
        .unwrap_or(false)
}

/// The exit a stop of the interpreter becomes on `generation`.
fn exit_for(generation: Generation, stop: Stop) -> RunExit {
    match stop {
        Stop::Fault(Access::SegmentNotMapped { addr }) => RunExit::Ucontrol {
            trans_exc_code: page_round_down(addr),
            why: "segment not mapped",
        },
        Stop::Fault(Access::NoUserMemory { addr }) if generation.missing_user_memory_exits() => {
            RunExit::Ucontrol {
                trans_exc_code: page_round_down(addr),
                why: "no user memory behind the segment",
            }
        }
        Stop::Fault(Access::NoUserMemory { addr }) => RunExit::Efault {
            addr,
            why: "no user memory behind the segment",
        },
        Stop::Intercept { icptcode, ipa, ipb } => RunExit::Sieic { icptcode, ipa, ipb },
        // Delivered by `run`; kept for completeness of the match.
        Stop::Program { .. } | Stop::Budget => RunExit::Interrupted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixing_swaps_the_first_8k_with_the_prefix_area() {
        assert_eq!(absolute(0x150, 0), 0x150);
        assert_eq!(absolute(0x150, 0x40_0000), 0x40_0150);
        assert_eq!(absolute(0x40_1fff, 0x40_0000), 0x1fff);
        assert_eq!(absolute(0x40_2000, 0x40_0000), 0x40_2000);
        assert_eq!(absolute(0x2000, 0x40_0000), 0x2000);
    }

    #[test]
    fn writable_ranges_come_from_the_maps_permissions() {
        let maps = b"00400000-00401000 r--p 00000000 08:01 42 /bin/x\n\
00401000-00403000 rw-p 00000000 00:00 0 \n\
00403000-00404000 rw-s 00000000 00:01 7 /memfd:y (deleted)\n\
7ffd0000-7ffd1000 -w-p 00000000 00:00 0\n\
garbage\n";
        let mut ranges = Vec::new();
        writable_ranges(maps, &mut ranges);
        assert_eq!(
            ranges,
            [
                (0x40_1000, 0x40_3000),
                (0x40_3000, 0x40_4000),
                (0x7ffd_0000, 0x7ffd_1000)
            ]
        );
        assert!(covered(&ranges, 0x40_1000, 0x1000));
        // Across two adjacent writable mappings.
        assert!(covered(&ranges, 0x40_2ffc, 8));
        assert!(!covered(&ranges, 0x40_0ffc, 8));
        assert!(!covered(&ranges, 0x40_3ffc, 8));
        assert!(!covered(&ranges, u64::MAX, 2));
        assert!(!covered(&[], 0x1000, 1));
    }

    #[test]
    fn exits_per_generation() {
        let miss = Stop::Fault(Access::SegmentNotMapped { addr: 0x40_0001 });
        let nomem = Stop::Fault(Access::NoUserMemory { addr: 0x50_1234 });
        for g in Generation::ALL {
            assert_eq!(
                exit_for(g, miss),
                RunExit::Ucontrol {
                    trans_exc_code: 0x40_0000,
                    why: "segment not mapped"
                }
            );
            let e = exit_for(g, nomem);
            if g == Generation::A {
                assert!(matches!(
                    e,
                    RunExit::Ucontrol {
                        trans_exc_code: 0x50_1000,
                        ..
                    }
                ));
            } else {
                assert!(matches!(
                    e,
                    RunExit::Efault {
                        addr: 0x50_1234,
                        ..
                    }
                ));
            }
            assert_eq!(
                exit_for(
                    g,
                    Stop::Intercept {
                        icptcode: 4,
                        ipa: 0x8300,
                        ipb: 0x0044_0000
                    }
                ),
                RunExit::Sieic {
                    icptcode: 4,
                    ipa: 0x8300,
                    ipb: 0x0044_0000
                }
            );
            assert_eq!(exit_for(g, Stop::Budget), RunExit::Interrupted);
        }
    }
}
