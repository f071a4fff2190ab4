//! The supervisor: receives each notified system call of the tracee, decides
//! whether it concerns an emulated fd or `/dev/kvm`, asks the model, and
//! answers.
//!
//! Emulated fds are memfds the supervisor created and installed in the
//! tracee. They are recognised per call by the identity of the open file
//! (`stat` of `/proc/PID/fd/N`: device and inode), never by fd number, so
//! `dup`, fd reuse and fds passed between processes all work; the answer is
//! remembered per task and number until a call that could change it
//! ([`numbers`](crate::numbers)). Everything
//! read about the tracee (its memory, `/proc/PID/…`) is trusted only after
//! `SECCOMP_IOCTL_NOTIF_ID_VALID` confirms the call is still pending, because
//! a dead tracee's pid can be reused.
//!
//! # Threads
//!
//! Calls are served by a pool of threads. One of them receives at a time,
//! blocked in `SECCOMP_IOCTL_NOTIF_RECV` (no `poll` first: a blocked
//! receive is what the synchronous wake-up wakes on the caller's CPU), and
//! serves what it receives itself, then receives again: a program making
//! one call after another is served by one thread on its own CPU. (With
//! several threads in the receive, the kernel hands each call to the one
//! waiting longest, another thread on another CPU: three times slower
//! here.) The watching thread looks every [`HANDOFF_TICK`]: when no thread
//! is receiving and no call has been taken since its last look, the
//! receiver has been busy with one call for a whole tick — a `KVM_RUN`, a
//! call waiting for its vcpu, an argument on memory the tracee makes slow
//! — and another thread (a parked one, or a new one, at most
//! [`MAX_SERVERS`]) becomes the receiver. So a call that takes long holds
//! one thread, and the others' calls wait at most two ticks for theirs. A
//! thread that finishes a call while another receives parks (at most
//! [`SPARE_SERVERS`]) or ends. The model is shared under one lock, which is
//! not held while a guest runs: `KVM_RUN`s of distinct vcpus run at the same
//! time, and a vcpu's other ioctls wait for its run as for the kernel's vcpu
//! mutex (`KVM_S390_IRQ` and `KVM_S390_INTERRUPT` do not, as in the kernel).
//! The thread that called [`Supervisor::serve`] watches for the program's
//! exit, the end of every tracee and VMs whose last fd went, and stops the
//! pool at the end (the kernel does not wake a receive when the last tracee
//! goes, so it interrupts the receives with a signal).

use std::collections::HashMap;
use std::ffi::CStr;
use std::fmt;
use std::io::{self, Write as _};
use std::mem::offset_of;
use std::ops::{Deref, DerefMut};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::process::{Child, ExitStatus};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustix::fs::{MemfdFlags, SealFlags};
use ucas_core::Errno;
use ucas_core::abi::{
    CPUSTAT_STOPPED, CpuProcessor, ICPT_PROGI, KVM_EXIT_INTR, KVM_EXIT_S390_SIEIC,
    KVM_EXIT_S390_UCONTROL, KVM_SYNC_ACRS, KVM_SYNC_CRS, KVM_SYNC_GPRS, KVM_SYNC_PREFIX,
    KVM_SYNC_VRS, KvmRun, PGM_SEGMENT_TRANSLATION, RUN_SIEIC_ICPTCODE, RUN_SIEIC_IPA,
    RUN_SIEIC_IPB, RUN_SYNC_ACRS, RUN_SYNC_CRS, RUN_SYNC_FPC, RUN_SYNC_GPRS, RUN_SYNC_VRS,
    RUN_UCONTROL_PGM_CODE, RUN_UCONTROL_TRANS_EXC_CODE, SIE_CPUFLAGS, SIE_GCR, SIE_ICPTCODE,
    SIE_IPA, SIE_IPB, SIE_IPRCC, SIE_PGMILC, SIE_PSW_ADDR, SIE_PSW_MASK, SyncRegs, UcasMapping,
    UserspaceMemoryRegion, UserspaceMemoryRegion2,
};

use super::cpu::Cpu;
use super::cpu::keys::Intercepts;
use super::filter::SYS_OPEN;
use super::guest::{self, PageCache, RunContext, RunExit};
use super::lifetime::Lifetimes;
use super::model::{
    Answer, CallerMemory, CpuAttr, CreateDevice, DeviceAttr, EnableCap, EventfdRef, GuestRegs,
    Ioctl, Model, Object, RunInputs, SPACE_CAPACITY, StatsId, VCPU_PAGE_SIZE, VcpuRef,
};
use super::numbers::{FdNumbers, Remembered};
use super::paths;
use super::sys::{self, Listener, Notification, SharedPages};
use super::trace::{self, SharedTracer, Tracer};
use crate::locked;

/// How often to look at the child when the kernel offers no pidfd.
const REAP_POLL: Duration = Duration::from_millis(50);

/// Serving threads at most: calls beyond that many blocked at once wait for
/// one of them to finish.
pub(crate) const MAX_SERVERS: usize = 256;

/// Threads kept parked, ready to become the receiver.
const SPARE_SERVERS: usize = 2;

/// How often the watching thread looks for a receiver stuck in one call.
const HANDOFF_TICK: Duration = Duration::from_millis(1);

/// Stack of a serving thread: the model builds each vcpu's address space
/// (a large fixed-capacity table) before boxing it.
const SERVER_STACK: usize = 64 << 20;

/// How long the pool is given to stop once the last tracee is gone (each
/// thread ends within a guest run's pending check or a wait for a vcpu).
const STOP_GRACE: Duration = Duration::from_secs(5);

/// What every serving thread shares.
pub(crate) struct Supervisor {
    listener: Listener,
    state: Mutex<State>,
    /// Notified whenever a vcpu's run ends.
    vcpu_freed: Condvar,
    tracer: SharedTracer,
    /// Threads blocked in a receive.
    receiving: AtomicUsize,
    /// Calls received so far (the watching thread compares).
    received: AtomicU64,
    /// Parked threads and the wake-ups owed to them.
    parking: Mutex<Parking>,
    /// Notified to wake a parked thread, and at the end.
    unparked: Condvar,
    /// The serving threads started and not yet joined.
    servers: Mutex<Vec<JoinHandle<()>>>,
    /// Set when the last tracee is gone.
    stopping: AtomicBool,
    /// The direct child's pidfd (none before Linux 5.3).
    child: OnceLock<Option<OwnedFd>>,
    /// What the tracees' fd numbers name, and the calls that change it.
    numbers: FdNumbers,
    /// The notified calls that are such changes ([`filter::table_changes`]).
    table_changes: Vec<u32>,
    /// A call received before serving began, served first.
    first: Mutex<Option<Notification>>,
    /// Why a serving thread failed for good; it kills the direct child so
    /// that the watching thread wakes (no fd is spent on this: with its fd
    /// table starved, the supervisor must still wait on the ones it has).
    failure: Mutex<Option<io::Error>>,
}

/// The serving threads waiting to become the receiver.
#[derive(Debug, Default)]
struct Parking {
    /// Threads parked.
    idle: usize,
    /// Wake-ups given and not yet taken.
    called: usize,
}

/// The model and everything the supervisor knows about the emulated files:
/// what the serving threads share under one lock.
struct State {
    model: Model,
    /// Emulated open files by (device, inode).
    objects: HashMap<(u64, u64), Object>,
    /// The one open file every emulated `/dev/kvm` open shares (the device
    /// is stateless, so sharing is invisible).
    kvm_file: Option<OwnedFd>,
    /// Each vcpu's `kvm_run` and SIE pages, `[vm][index]`.
    vcpu_pages: Vec<Vec<Arc<SharedPages>>>,
    admin_note_shown: bool,
    /// The unmodelled ioctls already reported on stderr.
    not_modelled_shown: Vec<Ioctl>,
    /// Which VMs the tracees still hold.
    lifetimes: Lifetimes,
    /// The vcpus in a `KVM_RUN`, or faulting a page in for `KVM_S390_VCPU_FAULT`
    /// (their other ioctls wait, as for the kernel's vcpu mutex).
    running: Vec<VcpuRef>,
    /// VMs whose last reference went while one of their vcpus ran: they
    /// are destroyed when it stops.
    dying: Vec<u32>,
    /// The tracees' eventfds attached to a VM (`KVM_IRQFD`, `KVM_IOEVENTFD`)
    /// by `eventfd-id`, held open so that no new eventfd gets the id while
    /// the model still knows it.
    eventfds: HashMap<u64, OwnedFd>,
}

/// Each serving thread's own buffers.
struct Scratch {
    /// Paths read from the tracee.
    path_buf: Box<[u8; PATH_MAX]>,
    /// The argument struct of the ioctl being served.
    arg: Staged,
    /// The rest of the caller's memory that call reads and writes.
    sec: Secondary,
    /// Guest pages read during a `KVM_RUN`.
    page_cache: PageCache,
    /// The files behind fd numbers this thread has looked up.
    remembered: Remembered,
}

impl Scratch {
    fn new() -> Self {
        Self {
            path_buf: Box::new([0; PATH_MAX]),
            arg: Staged::new(),
            sec: Secondary::default(),
            page_cache: PageCache::new(),
            remembered: Remembered::default(),
        }
    }

    /// The `L` bytes at `addr` in the caller: from the staged argument if
    /// that is where they are, else from what [`Secondary`] holds (`None`,
    /// and the range noted, when it does not hold them yet).
    fn read<const L: usize>(&mut self, addr: u64) -> Option<[u8; L]> {
        let mut raw = [0u8; L];
        Caller {
            arg: &self.arg,
            sec: &mut self.sec,
        }
        .read(addr, &mut raw)
        .then_some(raw)
    }
}

/// An ioctl's argument struct, read from the caller before the state lock
/// is taken: a program whose argument lies on memory that blocks the reader
/// (a userfaultfd range, a FUSE mapping) then holds up only the serving
/// thread that reads it, not every other call. The kernel reads it with
/// `copy_from_user` once it has the object's lock; either way it is what
/// the memory held during the call.
struct Staged {
    /// Where the bytes were read; meaningful while `len` is not 0.
    addr: u64,
    /// How long the argument is (0: the call takes none, or is not ours).
    len: usize,
    /// Whether all `len` bytes could be read.
    read: bool,
    bytes: Box<[u8; ARG_MAX]>,
}

/// The largest argument an ioctl number can describe: its size field is 14
/// bits wide.
const ARG_MAX: usize = 1 << 14;

impl Staged {
    fn new() -> Self {
        Self {
            addr: 0,
            len: 0,
            read: false,
            bytes: Box::new([0; ARG_MAX]),
        }
    }

    /// Reads the argument of `call` (the request, if it is one of ours) at
    /// `addr` in `pid`, if it takes a pointer. What cannot be read in full
    /// is a fault of the call (EFAULT where the kernel reads it).
    fn stage(&mut self, pid: u32, call: Option<Ioctl>, addr: u64) {
        self.len = 0;
        let Some(call) = call.filter(|c| !c.takes_value()) else {
            return;
        };
        let len = ucas_core::abi::ioc_size(call.number()).min(ARG_MAX);
        self.addr = addr;
        self.len = len;
        self.read = sys::read_tracee(pid, addr, &mut self.bytes[..len]).ok() == Some(len);
    }

    /// Whether `len` bytes at `addr` are (a prefix of) the argument; then
    /// the bytes, or `None` for an argument that could not be read.
    fn get(&self, addr: u64, len: usize) -> Option<Option<&[u8]>> {
        (self.len != 0 && addr == self.addr && len <= self.len)
            .then(|| self.read.then(|| &self.bytes[..len]))
    }
}

/// The caller's memory beyond the argument struct, for one call: device
/// attribute data, register and interrupt buffers, key and `MEM_OP`
/// buffers, answers written back. The call is served with the state lock
/// held, so it may not read the caller there: memory that blocks the
/// reader (a userfaultfd range, a FUSE mapping) would hold up every other
/// call. A pass under the lock reads only what was fetched before it; what
/// it misses is noted and the pass thrown away (nothing answered, nothing
/// changed: the model reads all it needs before it changes anything, as
/// the kernel copies from the user first). The serving thread then fetches
/// the ranges without the lock and serves the call again. Writes are held
/// until the lock is dropped and made then, in order; one that fails makes
/// the answer EFAULT, as a failing `copy_to_user` does.
#[derive(Default)]
struct Secondary {
    fetched: Vec<Fetched>,
    /// What the current pass missed: (address, length).
    wanted: Vec<(u64, usize)>,
    /// What the call writes back: (address, bytes).
    writes: Vec<(u64, Vec<u8>)>,
}

/// One range read from the caller without the lock.
struct Fetched {
    addr: u64,
    len: usize,
    /// `None`: not all of it could be read.
    bytes: Option<Vec<u8>>,
}

/// The most one read of a call may ask for: above the largest buffer any
/// modelled ioctl takes (1 MiB of storage keys, `KVM_S390_SKEYS_MAX`).
const SECONDARY_MAX: usize = 16 << 20;

/// How many passes one call may take before it is answered EFAULT. Each
/// pass fetches ranges no earlier pass asked for; the modelled calls need
/// at most three.
const PASSES_MAX: usize = 16;

impl Secondary {
    fn clear(&mut self) {
        self.fetched.clear();
        self.wanted.clear();
        self.writes.clear();
    }

    fn read(&mut self, addr: u64, buf: &mut [u8]) -> bool {
        let len = buf.len();
        if len == 0 {
            return true;
        }
        for f in &self.fetched {
            match &f.bytes {
                None if f.addr == addr && f.len == len => return false,
                None => {}
                Some(bytes) => {
                    let Some(off) = addr.checked_sub(f.addr) else {
                        continue;
                    };
                    if off
                        .checked_add(len as u64)
                        .is_some_and(|end| end <= f.len as u64)
                    {
                        let off = off as usize;
                        buf.copy_from_slice(&bytes[off..off + len]);
                        return true;
                    }
                }
            }
        }
        // Larger than any call reads: a fault, as for memory not there.
        if len <= SECONDARY_MAX && !self.wanted.contains(&(addr, len)) {
            self.wanted.push((addr, len));
        }
        false
    }

    fn missed(&self) -> bool {
        !self.wanted.is_empty()
    }

    /// Reads, without the lock, what the last pass missed; writes it held
    /// are dropped (the next pass makes them again).
    fn fetch(&mut self, listener: &Listener, n: &Notification) {
        self.writes.clear();
        let start = self.fetched.len();
        for (addr, len) in self.wanted.drain(..) {
            let mut bytes = vec![0u8; len];
            let read = sys::read_tracee(n.pid, addr, &mut bytes).ok() == Some(len);
            self.fetched.push(Fetched {
                addr,
                len,
                bytes: read.then_some(bytes),
            });
        }
        // Read by pid: the bytes are the caller's only if it still waits
        // in this call (then its pid cannot have been reused).
        if !listener.is_valid(n.id) {
            for f in &mut self.fetched[start..] {
                f.bytes = None;
            }
        }
    }
}

/// One call being served with the state locked.
struct Ctx<'a> {
    listener: &'a Listener,
    tracer: &'a SharedTracer,
    scratch: &'a mut Scratch,
    state: MutexGuard<'a, State>,
}

impl Deref for Ctx<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        &self.state
    }
}

impl DerefMut for Ctx<'_> {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.state
    }
}

/// Whether [`Ctx::carry_out`] answered the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reply {
    Sent,
    /// Left to [`Supervisor::finish`], after the held writes.
    Held,
}

/// A call the serving thread finishes without the lock.
enum Job {
    /// The pass missed memory of the caller: fetch it and serve again.
    Again,
    /// Make the held writes, then answer `result` (EFAULT if one fails).
    Finish {
        result: Result<i64, Errno>,
        note: Note,
        /// The trace line up to its result, if tracing.
        head: Option<String>,
    },
    /// A `KVM_RUN`.
    Run(RunJob),
    /// A `KVM_S390_VCPU_FAULT` whose user page is to be faulted in: the
    /// page is read without the lock (it may be on memory the program makes
    /// slow), the vcpu marked busy meanwhile as by the kernel's vcpu mutex.
    FaultIn {
        vcpu: VcpuRef,
        object: Object,
        vcpu_addr: u64,
        user_addr: u64,
    },
}

/// A `KVM_RUN` ready to go: what it needs, taken from the model under the
/// lock; the vcpu is marked running until [`Supervisor::finish_run`].
struct RunJob {
    vcpu: VcpuRef,
    object: Object,
    pages: Arc<SharedPages>,
    inputs: RunInputs<SPACE_CAPACITY>,
    facilities: [u64; 4],
}

impl fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Supervisor")
            .field("receiving", &self.receiving.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

const PATH_MAX: usize = 4096;

/// The smallest page size of any Linux architecture.
const READ_CHUNK: u64 = 4096;

/// The fd number of `AT_FDCWD` as the kernel reads `dirfd` (an int).
const AT_FDCWD: i32 = libc::AT_FDCWD;

/// Whether the tracee is still waiting for this answer; answers to a caller
/// that has gone fail with ENOENT, which is not an error of ours.
fn ignore_gone(r: io::Result<()>) -> io::Result<()> {
    match r {
        Err(e) if crate::error::errno_of(&e) == Some(Errno::NOENT) => Ok(()),
        r => r,
    }
}

/// Formats `/proc/PID/<what>/N` (or `/proc/PID/<what>` without `n`) into
/// `buf` as a C string, without allocating.
pub(crate) fn proc_path<'a>(
    buf: &'a mut [u8; 64],
    pid: u32,
    what: &str,
    n: Option<u64>,
) -> Option<&'a CStr> {
    use std::io::Write as _;
    let mut cur = std::io::Cursor::new(&mut buf[..]);
    let ok = match n {
        Some(n) => write!(cur, "/proc/{pid}/{what}/{n}\0"),
        None => write!(cur, "/proc/{pid}/{what}\0"),
    };
    ok.ok()?;
    let len = usize::try_from(cur.position()).ok()?;
    CStr::from_bytes_with_nul(&buf[..len]).ok()
}

/// The caller's memory, bound to its address space: its `/proc/PID/mem`,
/// confirmed with `SECCOMP_IOCTL_NOTIF_ID_VALID` after the open, so that it
/// is the caller's whatever becomes of the pid later (an exec, a death and a
/// reused pid all leave it pointing at the old address space, which then
/// refuses every access). `None` if the caller is gone or its memory cannot
/// be opened.
fn caller_memory(listener: &Listener, n: &Notification) -> Option<sys::TraceeMemory> {
    let memory = sys::TraceeMemory::open(n.pid).ok()?;
    listener.is_valid(n.id).then_some(memory)
}

/// Stores `data` at `addr` in the caller's memory as the kernel's
/// `put_user` would: all of it if every byte is writable to the caller,
/// else nothing.
/// Where a `KVM_{GET,SET}_ONE_REG` register lives: a field of the SIE block
/// (by offset; the TOD programmable register is 32 bits wide) or one of the
/// three pfault registers the model keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OneRegSlot {
    Sie32(usize),
    Sie64(usize),
    Pfault(usize),
}

impl OneRegSlot {
    /// The register with id `id`; `None` for an id s390 does not have.
    fn of(id: u64) -> Option<Self> {
        use ucas_core::abi::{
            KVM_REG_S390_CLOCK_COMP, KVM_REG_S390_CPU_TIMER, KVM_REG_S390_EPOCHDIFF,
            KVM_REG_S390_GBEA, KVM_REG_S390_PFCOMPARE, KVM_REG_S390_PFSELECT, KVM_REG_S390_PFTOKEN,
            KVM_REG_S390_PP, KVM_REG_S390_TODPR, SIE_CKC, SIE_CPUTM, SIE_EPOCH, SIE_GBEA, SIE_PP,
            SIE_TODPR,
        };
        Some(match id {
            KVM_REG_S390_TODPR => Self::Sie32(SIE_TODPR),
            KVM_REG_S390_EPOCHDIFF => Self::Sie64(SIE_EPOCH),
            KVM_REG_S390_CPU_TIMER => Self::Sie64(SIE_CPUTM),
            KVM_REG_S390_CLOCK_COMP => Self::Sie64(SIE_CKC),
            KVM_REG_S390_PFTOKEN => Self::Pfault(0),
            KVM_REG_S390_PFCOMPARE => Self::Pfault(1),
            KVM_REG_S390_PFSELECT => Self::Pfault(2),
            KVM_REG_S390_PP => Self::Sie64(SIE_PP),
            KVM_REG_S390_GBEA => Self::Sie64(SIE_GBEA),
            _ => return None,
        })
    }

    /// The field's value in the SIE page (bytes one by one: the program
    /// parameter is not 8-aligned).
    fn load(self, pages: &SharedPages) -> u64 {
        const SIE: usize = VCPU_PAGE_SIZE as usize;
        match self {
            Self::Sie32(at) => u64::from(pages.read_u32(SIE + at)),
            Self::Sie64(at) => {
                let mut b = [0u8; 8];
                for (i, byte) in b.iter_mut().enumerate() {
                    *byte = pages.read_u8(SIE + at + i);
                }
                u64::from_ne_bytes(b)
            }
            Self::Pfault(_) => 0,
        }
    }

    fn store(self, pages: &SharedPages, value: u64) {
        const SIE: usize = VCPU_PAGE_SIZE as usize;
        match self {
            Self::Sie32(at) => pages.write_u32(SIE + at, value as u32),
            Self::Sie64(at) => {
                for (i, byte) in value.to_ne_bytes().into_iter().enumerate() {
                    pages.write_u8(SIE + at + i, byte);
                }
            }
            Self::Pfault(_) => {}
        }
    }
}

/// The memory of the thread waiting in an ioctl as a pass under the lock
/// sees it, for the model's [`CallerMemory`] users: the staged argument and
/// what [`Secondary`] fetched; writes are held.
struct Caller<'a> {
    arg: &'a Staged,
    sec: &'a mut Secondary,
}

impl CallerMemory for Caller<'_> {
    fn read(&mut self, addr: u64, buf: &mut [u8]) -> bool {
        match self.arg.get(addr, buf.len()) {
            Some(Some(bytes)) => {
                buf.copy_from_slice(bytes);
                true
            }
            Some(None) => false,
            None => self.sec.read(addr, buf),
        }
    }

    fn write(&mut self, addr: u64, data: &[u8]) -> bool {
        if !data.is_empty() {
            self.sec.writes.push((addr, data.to_vec()));
        }
        true
    }
}

impl Ctx<'_> {
    /// The caller's memory for this pass.
    fn caller(&mut self) -> Caller<'_> {
        Caller {
            arg: &self.scratch.arg,
            sec: &mut self.scratch.sec,
        }
    }

    /// Holds a write to the caller until the lock is dropped.
    fn hold_write(&mut self, addr: u64, data: &[u8]) {
        self.caller().write(addr, data);
    }
}

fn store_to_caller(listener: &Listener, n: &Notification, addr: u64, data: &[u8]) -> bool {
    let Some(memory) = caller_memory(listener, n) else {
        return false;
    };
    // Bound to the same address space as `memory`: opened while the caller
    // still waits in this call.
    let Ok(maps) = sys::TraceeMaps::open(n.pid) else {
        return false;
    };
    if !listener.is_valid(n.id) {
        return false;
    }
    let mut text = Vec::new();
    if maps.read_all(&mut text).is_err() {
        return false;
    }
    let mut writable = Vec::new();
    guest::writable_ranges(&text, &mut writable);
    guest::covered(&writable, addr, data.len() as u64)
        && memory.write(addr, data).ok() == Some(data.len())
}

/// Whether `call` acts on its own fd's object only, so that no close the
/// program made before it can change its answer: a vcpu's map, unmap and
/// fault (the vcpu fd in use keeps its VM alive). These hot calls skip the
/// read of the lifetime queue (one system call each); the watching thread
/// or the next other call reads it, so a VM freed meanwhile is destroyed
/// (and traced) a little later, which no answer can show.
fn answers_alone(call: Ioctl) -> bool {
    matches!(call, Ioctl::UcasMap | Ioctl::UcasUnmap | Ioctl::VcpuFault)
}

/// The call's arguments, for the trace.
enum Args {
    Value(u64),
    Mapping(u64, Option<UcasMapping>),
    Raw(u32, u64),
}

impl fmt::Display for Args {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Value(v) if *v < 0x1000 => write!(f, "{v}"),
            Self::Value(v) => write!(f, "{v:#x}"),
            Self::Mapping(_, Some(m)) => write!(
                f,
                "{{user_addr={:#x}, vcpu_addr={:#x}, length={:#x}}}",
                m.user_addr, m.vcpu_addr, m.length
            ),
            Self::Mapping(p, None) => write!(f, "{p:#x}"),
            Self::Raw(req, arg) => write!(f, "{req:#x}, {arg:#x}"),
        }
    }
}

/// Which object, for the trace.
struct Label<'a>(&'a Model, Object);

impl fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Object::Kvm => f.write_str("kvm"),
            Object::Vm(i) => write!(f, "vm{i}"),
            Object::Vcpu(r) => match self.0.vcpu(r) {
                Some(v) => write!(f, "vm{}/vcpu{}", r.vm, v.id()),
                None => write!(f, "vm{}/vcpu?", r.vm),
            },
            Object::Flic(vm) => write!(f, "vm{vm}/flic"),
        }
    }
}

impl Supervisor {
    pub(crate) fn new(listener: Listener, model: Model, tracer: Tracer) -> io::Result<Self> {
        Ok(Self {
            listener,
            state: Mutex::new(State {
                model,
                objects: HashMap::with_capacity(64),
                kvm_file: None,
                vcpu_pages: Vec::new(),
                admin_note_shown: false,
                not_modelled_shown: Vec::new(),
                lifetimes: Lifetimes::new(),
                running: Vec::new(),
                dying: Vec::new(),
                eventfds: HashMap::new(),
            }),
            vcpu_freed: Condvar::new(),
            tracer: SharedTracer::new(tracer),
            receiving: AtomicUsize::new(0),
            received: AtomicU64::new(0),
            parking: Mutex::new(Parking::default()),
            unparked: Condvar::new(),
            servers: Mutex::new(Vec::new()),
            stopping: AtomicBool::new(false),
            child: OnceLock::new(),
            numbers: FdNumbers::default(),
            table_changes: super::filter::table_changes(),
            first: Mutex::new(None),
            failure: Mutex::new(None),
        })
    }

    /// `f` applied to the model, for the state report.
    pub(crate) fn with_model<R>(&self, f: impl FnOnce(&Model) -> R) -> R {
        f(&locked(&self.state).model)
    }

    /// Serves notifications (`first`, received already, before any other)
    /// until every task under the filter is gone, and returns the exit
    /// status of `child`.
    pub(crate) fn serve(
        self: &Arc<Self>,
        child: &mut Child,
        first: Option<Notification>,
    ) -> io::Result<ExitStatus> {
        *locked(&self.first) = first;
        sys::install_wake_signal()?;
        self.start_server()?;
        let served = self.watch(child);
        self.stop_servers();
        served
    }

    /// The watching loop of [`Self::serve`].
    fn watch(self: &Arc<Self>, child: &mut Child) -> io::Result<ExitStatus> {
        let pidfd = self
            .child
            .get_or_init(|| {
                rustix::process::Pid::from_raw(child.id().cast_signed()).and_then(|pid| {
                    rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).ok()
                })
            })
            .as_ref();
        // The inotify instance itself, shared: its readiness is the same
        // through both fds.
        let events = locked(&self.state)
            .lifetimes
            .fd()
            .map(|fd| fd.try_clone_to_owned())
            .transpose()?;
        let mut status: Option<ExitStatus> = None;
        let mut last_received = u64::MAX;
        let mut last_reaped = Instant::now();
        loop {
            let watch = if status.is_none() {
                pidfd.map(AsFd::as_fd)
            } else {
                None
            };
            // Each tick: have the fd table changes let through finished?
            self.numbers.settle();
            // Is the receiver stuck in one call?
            let received = self.received.load(Ordering::SeqCst);
            if self.receiving.load(Ordering::SeqCst) == 0 && received == last_received {
                self.hand_off();
            }
            last_received = received;
            let timeout = Some(HANDOFF_TICK);
            let ready = match self
                .listener
                .wait(watch, events.as_ref().map(AsFd::as_fd), timeout)
            {
                Ok(r) => r,
                Err(e) if crate::error::errno_of(&e) == Some(Errno::INTR) => continue,
                Err(e) => return Err(e),
            };
            let reap_poll = pidfd.is_none() && last_reaped.elapsed() >= REAP_POLL;
            if reap_poll {
                last_reaped = Instant::now();
            }
            if status.is_none() && (ready.exited || reap_poll) {
                // The direct child is reaped as soon as it exits: its filter
                // reference goes with it, so the hang-up below can happen.
                status = child.try_wait()?;
            }
            if ready.events {
                self.reap(&mut locked(&self.state));
            }
            if let Some(e) = locked(&self.failure).take() {
                return Err(e);
            }
            if ready.hangup {
                break;
            }
        }
        match status {
            Some(s) => Ok(s),
            None => child.wait(),
        }
    }

    /// Makes another thread the receiver: a parked one, else a new one.
    fn hand_off(self: &Arc<Self>) {
        let mut parking = locked(&self.parking);
        if parking.idle > parking.called {
            parking.called += 1;
            self.unparked.notify_one();
            return;
        }
        drop(parking);
        if let Err(e) = self.start_server() {
            // Served all the same, by the threads there are.
            self.tracer.line(
                None,
                format_args!("cannot start another serving thread: {e}"),
            );
        }
    }

    /// Parks the calling thread until [`Self::hand_off`] wants it (true) or
    /// the pool stops (false); false at once if enough are parked.
    fn park(&self) -> bool {
        let mut parking = locked(&self.parking);
        if parking.idle >= SPARE_SERVERS {
            return false;
        }
        parking.idle += 1;
        while parking.called == 0 && !self.stopping.load(Ordering::SeqCst) {
            parking = self
                .unparked
                .wait(parking)
                .unwrap_or_else(PoisonError::into_inner);
        }
        parking.idle -= 1;
        if parking.called == 0 {
            return false;
        }
        parking.called -= 1;
        true
    }

    /// Starts one more serving thread, unless [`MAX_SERVERS`] run already.
    fn start_server(self: &Arc<Self>) -> io::Result<()> {
        let mut servers = locked(&self.servers);
        servers.retain(|t| !t.is_finished());
        if servers.len() >= MAX_SERVERS {
            return Ok(());
        }
        let sup = Arc::clone(self);
        let thread = std::thread::Builder::new()
            .name("ucas-serve".into())
            .stack_size(SERVER_STACK)
            .spawn(move || sup.serving())?;
        servers.push(thread);
        Ok(())
    }

    /// Ends every serving thread: each is interrupted in its receive until
    /// it has seen that the tracees are gone.
    fn stop_servers(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Under the lock: a thread about to wait has seen `stopping` or
        // gets this.
        {
            let _parking = locked(&self.parking);
            self.unparked.notify_all();
        }
        let servers = std::mem::take(&mut *locked(&self.servers));
        let deadline = Instant::now() + STOP_GRACE;
        for thread in servers {
            // Signalled again and again: one that arrives just before the
            // thread enters its receive is lost.
            while !thread.is_finished() && Instant::now() < deadline {
                sys::wake(&thread);
                std::thread::sleep(Duration::from_millis(1));
            }
            if thread.is_finished() {
                let _ = thread.join();
            }
        }
    }

    /// The life of one serving thread.
    fn serving(self: Arc<Self>) {
        let mut scratch = Scratch::new();
        let first = locked(&self.first).take();
        if let Some(n) = first {
            self.received.fetch_add(1, Ordering::SeqCst);
            self.serve_one(&mut scratch, &n);
        }
        while !self.stopping.load(Ordering::SeqCst) {
            self.receiving.fetch_add(1, Ordering::SeqCst);
            let received = self.listener.receive();
            self.receiving.fetch_sub(1, Ordering::SeqCst);
            let n = match received {
                Ok(n) => n,
                // The caller went away before our receive, or the wake
                // signal interrupted it.
                Err(e)
                    if matches!(crate::error::errno_of(&e), Some(Errno::NOENT | Errno::INTR)) =>
                {
                    continue;
                }
                Err(e) => {
                    self.fail(e);
                    return;
                }
            };
            self.received.fetch_add(1, Ordering::SeqCst);
            self.serve_one(&mut scratch, &n);
            // Another thread took over receiving meanwhile: wait to be
            // wanted again.
            if self.receiving.load(Ordering::SeqCst) > 0 && !self.park() {
                return;
            }
        }
    }

    /// Reports a failure of the notification fd to the watching thread,
    /// which the end of the direct child wakes (without a pidfd, it looks
    /// every [`REAP_POLL`]).
    fn fail(&self, e: io::Error) {
        locked(&self.failure).get_or_insert(e);
        if let Some(Some(pidfd)) = self.child.get() {
            let _ = rustix::process::pidfd_send_signal(pidfd, rustix::process::Signal::KILL);
        }
    }

    /// Serves call `n`.
    fn serve_one(&self, scratch: &mut Scratch, n: &Notification) {
        let served = match self.handle(scratch, n) {
            Ok(Some(Job::Run(job))) => {
                self.run(scratch, n, job);
                Ok(())
            }
            Ok(Some(Job::FaultIn {
                vcpu,
                object,
                vcpu_addr,
                user_addr,
            })) => {
                self.fault_in(n, vcpu, object, vcpu_addr, user_addr);
                Ok(())
            }
            Ok(Some(Job::Finish { result, note, head })) => {
                self.finish(scratch, n, result, note, head)
            }
            // Taken out in handle.
            Ok(Some(Job::Again)) => ignore_gone(self.listener.reply_error(n.id, Errno::FAULT)),
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = served {
            // Our own resources ran out (fds, memory): the caller sees an
            // allocation failure, as from a kernel that ran out.
            self.tracer
                .line(None, format_args!("failed to serve a call: {e}"));
            let _ = self.listener.reply_error(n.id, Errno::NOMEM);
        }
    }

    /// Takes the lock for serving. The fd and mapping events queued so far
    /// are read first: a close the program made before this call must have
    /// had its effect by the time the call is served, as in the kernel
    /// (the watching thread may not have woken yet).
    fn ctx<'a>(&'a self, scratch: &'a mut Scratch) -> Ctx<'a> {
        self.ctx_reaping(scratch, true)
    }

    /// As [`Self::ctx`]; without `reap`, the queued events are left to the
    /// watching thread: for calls whose answer no other object's end can
    /// change ([`answers_alone`]).
    fn ctx_reaping<'a>(&'a self, scratch: &'a mut Scratch, reap: bool) -> Ctx<'a> {
        let mut state = locked(&self.state);
        if reap {
            self.reap(&mut state);
        }
        Ctx {
            listener: &self.listener,
            tracer: &self.tracer,
            scratch,
            state,
        }
    }

    /// Reads the queued lifetime events and destroys the VMs they free.
    fn reap(&self, state: &mut State) {
        let mut dead = Vec::new();
        state.lifetimes.drain(&mut dead);
        state.dying.extend(dead);
        self.destroy_dead_vms(state);
    }

    /// Serves `n`; a `KVM_RUN` is returned ready to run without the lock.
    fn handle(&self, scratch: &mut Scratch, n: &Notification) -> io::Result<Option<Job>> {
        // A task in a new call has finished its last one.
        self.numbers.called(n.pid);
        if let Ok(nr) = u32::try_from(n.nr)
            && self.table_changes.contains(&nr)
        {
            self.numbers.changing(n.pid, nr);
            return ignore_gone(self.listener.reply_continue(n.id)).map(|()| None);
        }
        let nr = i64::from(n.nr);
        let open = if nr == libc::SYS_openat {
            Some((
                "openat",
                n.args[0] as i32,
                n.args[1],
                paths::OpenHow::legacy(n.args[2], n.args[3]),
            ))
        } else if Some(nr) == SYS_OPEN {
            Some((
                "open",
                AT_FDCWD,
                n.args[0],
                paths::OpenHow::legacy(n.args[1], n.args[2]),
            ))
        } else if nr == libc::SYS_openat2 {
            match read_open_how(n.pid, n.args[2], n.args[3]) {
                Some(how) => Some(("openat2", n.args[0] as i32, n.args[1], how)),
                // A size or struct the kernel refuses (EINVAL, E2BIG,
                // EFAULT) before it looks at the path: it answers itself.
                None => return ignore_gone(self.listener.reply_continue(n.id)).map(|()| None),
            }
        } else {
            None
        };
        if let Some((syscall, dirfd, path_addr, how)) = open {
            // Most opens are not of /dev/kvm: those are let through without
            // the lock.
            let kvm = read_path(&mut scratch.path_buf, n.pid, path_addr).filter(|&len| {
                paths::may_be_kvm(paths::strip_trailing_slashes(&scratch.path_buf[..len]))
            });
            return match kvm {
                Some(len) => self
                    .on_open(scratch, n, syscall, dirfd, len, how)
                    .map(|()| None),
                None => ignore_gone(self.listener.reply_continue(n.id)).map(|()| None),
            };
        }
        if nr != libc::SYS_ioctl {
            return ignore_gone(self.listener.reply_continue(n.id)).map(|()| None);
        }
        // The fd's identity is looked up without the lock. The kernel reads
        // the fd as `unsigned int`: the register's upper half does not
        // count.
        let fd = n.args[0] as u32;
        let Some(found) = self.numbers.find(&scratch.remembered, n.pid, fd) else {
            return ignore_gone(self.listener.reply_continue(n.id)).map(|()| None);
        };
        let call = Ioctl::from_number(n.args[1] as u32);
        scratch.arg.stage(n.pid, call, n.args[2]);
        scratch.sec.clear();
        let reap = !call.is_some_and(answers_alone);
        for _ in 0..PASSES_MAX {
            let mut ctx = self.ctx_reaping(scratch, reap);
            let Some(object) = ctx.objects.get(&found.file).copied() else {
                drop(ctx);
                return ignore_gone(self.listener.reply_continue(n.id)).map(|()| None);
            };
            FdNumbers::remember(&mut ctx.scratch.remembered, n.pid, fd, found);
            // A vcpu's ioctls wait for its run, as for the kernel's vcpu
            // mutex; the two injections the kernel serves without it do not.
            if let Object::Vcpu(r) = object
                && !matches!(call, Some(Ioctl::S390Irq | Ioctl::S390Interrupt))
            {
                while ctx.running.contains(&r) {
                    let state = ctx.state;
                    ctx.state = self
                        .vcpu_freed
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                    if !self.listener.is_valid(n.id) {
                        return Ok(None);
                    }
                }
            }
            match ctx.on_ioctl(n, object)? {
                Some(Job::Again) => {
                    drop(ctx);
                    scratch.sec.fetch(&self.listener, n);
                }
                job => return Ok(job),
            }
        }
        ignore_gone(self.listener.reply_error(n.id, Errno::FAULT)).map(|()| None)
    }

    /// An open whose path (the first `len` bytes of the path buffer) may
    /// name `/dev/kvm`. Whether it does is found without the lock: the
    /// walk may cross the program's own slow file systems (FUSE).
    fn on_open(
        &self,
        scratch: &mut Scratch,
        n: &Notification,
        syscall: &str,
        dirfd: i32,
        len: usize,
        how: paths::OpenHow,
    ) -> io::Result<()> {
        let stripped = paths::strip_trailing_slashes(&scratch.path_buf[..len]).len();
        let trailing_slash = stripped < len;
        let path = &scratch.path_buf[..stripped];
        // Refused before the lookup (flags, scopes, an absolute path under
        // RESOLVE_BENEATH): the kernel answers the same for any path.
        let beneath = how.resolve & paths::RESOLVE_BENEATH != 0;
        if how.check().is_err() || (beneath && path.starts_with(b"/")) {
            return ignore_gone(self.listener.reply_continue(n.id));
        }
        // Lexically /dev/kvm, and the directories on the way (which exist
        // on every host) really lead to the host's /dev.
        if !names_dev_kvm(path, n.pid, dirfd, how.resolve)
            || !walks_to_dev(path, n.pid, dirfd, how.resolve)
        {
            return ignore_gone(self.listener.reply_continue(n.id));
        }
        // The last component is the modelled character device.
        let flags = how.flags;
        let refused = if trailing_slash && flags & paths::O_CREAT != 0 {
            Some(Errno::ISDIR)
        } else if trailing_slash || flags & paths::O_DIRECTORY != 0 {
            Some(Errno::NOTDIR)
        } else if flags & paths::O_PATH != 0 {
            // An O_PATH open does not reach the device's open.
            return ignore_gone(self.listener.reply_continue(n.id));
        } else if flags & (paths::O_CREAT | paths::O_EXCL) == paths::O_CREAT | paths::O_EXCL {
            Some(Errno::EXIST)
        } else {
            None
        };
        if !self.listener.is_valid(n.id) {
            return Ok(());
        }
        self.ctx(scratch).open_kvm(n, syscall, len, flags, refused)
    }

    /// Makes the writes a call held, then answers it: `result`, or EFAULT
    /// if a write fails (as after a failing `copy_to_user`, what the call
    /// did stays done).
    fn finish(
        &self,
        scratch: &mut Scratch,
        n: &Notification,
        result: Result<i64, Errno>,
        note: Note,
        head: Option<String>,
    ) -> io::Result<()> {
        let mut result = result;
        for (addr, data) in scratch.sec.writes.drain(..) {
            // The write goes through the caller's /proc/PID/mem, whose
            // accesses cannot wait for a userfaultfd (they fail instead);
            // a read by process_vm_readv first waits, as `copy_to_user`
            // would, until the program has filled the pages.
            let mut probe = vec![0u8; data.len()];
            let _ = sys::read_tracee(n.pid, addr, &mut probe);
            if !store_to_caller(&self.listener, n, addr, &data) {
                result = Err(Errno::FAULT);
                break;
            }
        }
        if let Some(head) = head {
            self.tracer.line(
                Some(n.pid),
                format_args!("{head} {}{note}", trace::Result(result)),
            );
        }
        // A caller that has gone is no error of ours.
        match result {
            Ok(v) => ignore_gone(self.listener.reply_value(n.id, v)),
            Err(e) => ignore_gone(self.listener.reply_error(n.id, e)),
        }
    }

    /// Runs `job` without the lock, puts what it changed back and answers.
    fn run(&self, scratch: &mut Scratch, n: &Notification, job: RunJob) {
        let mut regs = job.inputs.regs;
        let (result, note) = if self.tracer.instructions() {
            let mut tracer = self.tracer.lock();
            run_vcpu(&self.listener, &mut tracer, scratch, n, &job, &mut regs)
        } else {
            let mut quiet = Tracer::new(None, trace::Selection::default());
            run_vcpu(&self.listener, &mut quiet, scratch, n, &job, &mut regs)
        };
        let mut state = locked(&self.state);
        state.model.set_guest_regs(job.vcpu, regs);
        self.release(state, n, (job.vcpu, job.object), Ioctl::Run, result, note);
    }

    /// Faults in the user page of a `KVM_S390_VCPU_FAULT` without the lock,
    /// then links it, frees the vcpu and answers. The kernel faults the page
    /// in for reading; reading one byte does the same in the tracee and
    /// tells whether it exists.
    fn fault_in(
        &self,
        n: &Notification,
        vcpu: VcpuRef,
        object: Object,
        vcpu_addr: u64,
        user_addr: u64,
    ) {
        let mut byte = [0u8; 1];
        let present = sys::read_tracee(n.pid, user_addr, &mut byte).ok() == Some(1);
        let valid = self.listener.is_valid(n.id);
        let mut state = locked(&self.state);
        let result = if !valid {
            // The caller is gone: nothing is linked.
            Err(Errno::INTR)
        } else if present {
            state
                .model
                .fault_link(vcpu, vcpu_addr, user_addr)
                .map(|()| 0)
        } else {
            Err(Errno::FAULT)
        };
        let note = Note::Translated(user_addr, present);
        self.release(state, n, (vcpu, object), Ioctl::VcpuFault, result, note);
    }

    /// Ends a call served without the lock on vcpu `busy`: frees the vcpu,
    /// destroys what its end lets go, traces and answers.
    fn release(
        &self,
        mut state: MutexGuard<'_, State>,
        n: &Notification,
        busy: (VcpuRef, Object),
        ioctl: Ioctl,
        result: Result<i64, Errno>,
        note: Note,
    ) {
        state.running.retain(|&v| v != busy.0);
        self.destroy_dead_vms(&mut state);
        if self.tracer.enabled() {
            let label = Label(&state.model, busy.1);
            self.tracer.line(
                Some(n.pid),
                format_args!(
                    "{label} {}({}) {}{note}",
                    ioctl.name(),
                    Args::Value(n.args[2]),
                    trace::Result(result)
                ),
            );
        }
        drop(state);
        self.vcpu_freed.notify_all();
        // An answer to a caller that is gone fails harmlessly.
        let _ = match result {
            Ok(v) => ignore_gone(self.listener.reply_value(n.id, v)),
            Err(e) => ignore_gone(self.listener.reply_error(n.id, e)),
        };
    }

    /// Destroys every VM the tracees no longer hold and none of whose vcpus
    /// runs, with its vcpus and devices, as the kernel does when the last
    /// reference goes (a running vcpu's ioctl holds one).
    fn destroy_dead_vms(&self, state: &mut State) {
        let mut i = 0;
        while i < state.dying.len() {
            let vm = state.dying[i];
            if state.running.iter().any(|r| r.vm == vm) {
                i += 1;
                continue;
            }
            state.dying.swap_remove(i);
            state.objects.retain(|_, o| o.vm() != Some(vm));
            if let Some(pages) = state.vcpu_pages.get_mut(vm as usize) {
                *pages = Vec::new();
            }
            state.model.destroy_vm(vm);
            let model = &state.model;
            state.eventfds.retain(|&id, _| model.eventfd_in_use(id));
            self.tracer.line(
                None,
                format_args!("vm{vm} destroyed: its last fd and mapping are gone"),
            );
        }
    }
}

/// Reads a NUL-terminated string from the tracee into `buf`, page by page
/// (a string may end just before unmapped memory). Returns its length, or
/// `None` if unreadable or longer than `PATH_MAX`.
fn read_path(buf: &mut [u8; PATH_MAX], pid: u32, addr: u64) -> Option<usize> {
    let mut len = 0usize;
    while len < PATH_MAX {
        let at = addr.checked_add(len as u64)?;
        // Chunks never cross a 4 KiB boundary, hence never a page one.
        let to_page_end = (READ_CHUNK - at % READ_CHUNK) as usize;
        let want = to_page_end.min(PATH_MAX - len);
        let got = sys::read_tracee(pid, at, &mut buf[len..len + want]).ok()?;
        if got == 0 {
            return None;
        }
        if let Some(nul) = buf[len..len + got].iter().position(|&b| b == 0) {
            return Some(len + nul);
        }
        len += got;
    }
    None
}

impl Ctx<'_> {
    /// An open of the emulated `/dev/kvm` (the first `len` bytes of the
    /// path buffer), answered with its fd or with `refused`.
    fn open_kvm(
        &mut self,
        n: &Notification,
        syscall: &str,
        len: usize,
        flags: u64,
        refused: Option<Errno>,
    ) -> io::Result<()> {
        let result = match refused {
            Some(e) => Err(e),
            None => {
                let listener = self.listener;
                let kvm = match &self.kvm_file {
                    Some(f) => f,
                    None => {
                        let f = self.new_memfd(c"ucas-emulated-kvm", 0, Object::Kvm)?;
                        self.kvm_file.insert(f)
                    }
                };
                listener
                    .reply_new_fd(n.id, kvm.as_fd(), flags & paths::O_CLOEXEC != 0)
                    .map(i64::from)
                    .map_err(|e| crate::error::errno_of(&e).unwrap_or(Errno::IO))
            }
        };
        if self.tracer.enabled() {
            let path = self.scratch.path_buf[..len].escape_ascii();
            self.tracer.line(
                Some(n.pid),
                format_args!(
                    "{syscall}(\"{path}\", {flags:#x}) {} (emulated /dev/kvm)",
                    trace::Result(result)
                ),
            );
        }
        match result {
            Ok(_) => Ok(()),
            Err(Errno::NOENT) if refused.is_none() => Ok(()),
            Err(errno) => ignore_gone(self.listener.reply_error(n.id, errno)),
        }
    }

    fn new_memfd(&mut self, name: &CStr, size: u64, object: Object) -> io::Result<OwnedFd> {
        let fd = rustix::fs::memfd_create(name, MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)?;
        if size > 0 {
            rustix::fs::ftruncate(&fd, size)?;
        }
        // The size is fixed, as a KVM fd's: the supervisor maps a vcpu's
        // pages, and a tracee that shrank the file would kill it with SIGBUS.
        rustix::fs::fcntl_add_seals(&fd, SealFlags::SHRINK | SealFlags::GROW | SealFlags::SEAL)?;
        let st = rustix::fs::fstat(&fd)?;
        self.objects.insert((st.st_dev, st.st_ino), object);
        Ok(fd)
    }

    /// A binary statistics fd as `KVM_GET_STATS_FD` gives it: the kernel's
    /// header and id, no statistics; sealed, so it reads as the kernel's
    /// read-only fd does. Not an emulated object: ioctls on it reach the
    /// real kernel, which refuses them as on any memfd.
    fn stats_fd(&self, n: &Notification, id: StatsId) -> io::Result<OwnedFd> {
        use ucas_core::abi::{KVM_STATS_NAME_SIZE, StatsHeader};
        let header_len = u32::try_from(size_of::<StatsHeader>()).unwrap_or(u32::MAX);
        let header = StatsHeader {
            flags: 0,
            name_size: KVM_STATS_NAME_SIZE,
            num_desc: 0,
            id_offset: header_len,
            desc_offset: header_len.saturating_add(KVM_STATS_NAME_SIZE),
            data_offset: header_len.saturating_add(KVM_STATS_NAME_SIZE),
        };
        let mut content = Vec::with_capacity(size_of::<StatsHeader>() + 48);
        for field in [
            header.flags,
            header.name_size,
            header.num_desc,
            header.id_offset,
            header.desc_offset,
            header.data_offset,
        ] {
            content.extend_from_slice(&field.to_ne_bytes());
        }
        let mut name = match id {
            StatsId::Vm => format!("kvm-{}", n.pid).into_bytes(),
            StatsId::Vcpu(vcpu) => format!("kvm-{}/vcpu-{vcpu}", n.pid).into_bytes(),
        };
        name.resize(48, 0);
        content.extend_from_slice(&name);
        let fd = rustix::fs::memfd_create(
            c"ucas-emulated-stats",
            MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
        )?;
        rustix::io::write(&fd, &content)?;
        rustix::fs::fcntl_add_seals(
            &fd,
            SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE | SealFlags::SEAL,
        )?;
        rustix::fs::seek(&fd, rustix::fs::SeekFrom::Start(0))?;
        Ok(fd)
    }

    /// Whether the caller has CAP_SYS_ADMIN as `capable()` asks: effective
    /// and in the initial user namespace.
    fn caller_is_admin(pid: u32) -> bool {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"));
        let ns = std::fs::read_link(format!("/proc/{pid}/ns/user"));
        match (status, ns) {
            (Ok(status), Ok(ns)) => ns.to_str().is_some_and(|ns| {
                ucas_core::host::capable(&status, ns, ucas_core::host::CAP_SYS_ADMIN) == Some(true)
            }),
            _ => false,
        }
    }

    /// An ioctl on emulated `object`; a `KVM_RUN` is returned ready to run.
    fn on_ioctl(&mut self, n: &Notification, object: Object) -> io::Result<Option<Job>> {
        let (request, arg) = (n.args[1] as u32, n.args[2]);
        let call = Ioctl::from_number(request);
        let mapping = (matches!(object, Object::Vcpu(_))
            && matches!(call, Some(Ioctl::UcasMap) | Some(Ioctl::UcasUnmap)))
        .then(|| self.scratch.read::<{ size_of::<UcasMapping>() }>(arg))
        .flatten()
        .map(|raw| UcasMapping {
            user_addr: ne_u64(&raw[0..8]),
            vcpu_addr: ne_u64(&raw[8..16]),
            length: ne_u64(&raw[16..24]),
        });
        let attr = (matches!(object, Object::Vm(_) | Object::Flic(_))
            && matches!(
                call,
                Some(Ioctl::SetDeviceAttr)
                    | Some(Ioctl::GetDeviceAttr)
                    | Some(Ioctl::HasDeviceAttr)
            ))
        .then(|| self.scratch.read::<{ size_of::<DeviceAttr>() }>(arg))
        .flatten()
        .map(|raw| DeviceAttr {
            flags: ne_u32(&raw[0..4]),
            group: ne_u32(&raw[4..8]),
            attr: ne_u64(&raw[8..16]),
            addr: ne_u64(&raw[16..24]),
        });
        let admin = object == Object::Kvm
            && call == Some(Ioctl::CreateVm)
            && arg & ucas_core::abi::KVM_VM_S390_UCONTROL != 0
            && Self::caller_is_admin(n.pid);
        // Pure queries change nothing, so an answer to a vanished caller is
        // harmless; everything else acts on what was read and must not.
        let queries = matches!(
            call,
            Some(Ioctl::GetApiVersion)
                | Some(Ioctl::CheckExtension)
                | Some(Ioctl::GetVcpuMmapSize)
                | None
        );
        if !queries && !self.listener.is_valid(n.id) {
            return Ok(None);
        }
        let answer = match object {
            Object::Kvm => self.model.dev_ioctl(call, arg, admin),
            Object::Vm(vm) if call == Some(Ioctl::EnableCap) => {
                let cap = self
                    .scratch
                    .read::<{ size_of::<EnableCap>() }>(arg)
                    .map(|raw| {
                        let mut args = [0u64; 4];
                        for (i, a) in args.iter_mut().enumerate() {
                            *a = ne_u64(&raw[8 + 8 * i..16 + 8 * i]);
                        }
                        EnableCap {
                            cap: ne_u32(&raw[0..4]),
                            flags: ne_u32(&raw[4..8]),
                            args,
                            pad: [0; 8],
                        }
                    });
                self.model.vm_enable_cap(vm, cap)
            }
            Object::Vm(vm) if call == Some(Ioctl::CreateDevice) => {
                let dev = self
                    .scratch
                    .read::<{ size_of::<CreateDevice>() }>(arg)
                    .map(|raw| CreateDevice {
                        type_: ne_u32(&raw[0..4]),
                        fd: ne_u32(&raw[4..8]),
                        flags: ne_u32(&raw[8..12]),
                    });
                self.model.vm_create_device(vm, dev, arg)
            }
            Object::Vm(vm) if call == Some(Ioctl::SetGsiRouting) => {
                let header = self
                    .scratch
                    .read::<8>(arg)
                    .map(|raw| (ne_u32(&raw[0..4]), ne_u32(&raw[4..8])));
                // The entries follow the 8-byte header, 48 bytes each; only
                // their types decide on s390 (bounded by KVM_MAX_IRQ_ROUTES).
                let entries = header.and_then(|(nr, _)| {
                    let nr = usize::try_from(nr).ok().filter(|&nr| nr <= 4096)?;
                    let mut raw = vec![0u8; nr * 48];
                    let at = arg.checked_add(8)?;
                    self.caller()
                        .read(at, &mut raw)
                        .then(|| raw.chunks(48).map(|e| ne_u32(&e[4..8])).collect::<Vec<_>>())
                });
                if self.scratch.sec.missed() {
                    return Ok(Some(Job::Again));
                }
                self.model.vm_gsi_routing(vm, header, entries.as_deref())
            }
            Object::Vm(vm) if call == Some(Ioctl::Irqfd) => {
                use ucas_core::abi::{Irqfd, KVM_IRQFD_FLAG_DEASSIGN, KVM_IRQFD_FLAG_RESAMPLE};
                let args = self
                    .scratch
                    .read::<{ size_of::<Irqfd>() }>(arg)
                    .map(|raw| Irqfd {
                        fd: ne_u32(&raw[0..4]),
                        gsi: ne_u32(&raw[4..8]),
                        flags: ne_u32(&raw[8..12]),
                        resamplefd: ne_u32(&raw[12..16]),
                        ..Irqfd::default()
                    });
                let flags = args.map_or(0, |a| a.flags);
                let fd = args.map(|a| tracee_eventfd(self.listener, n, a.fd));
                // The resample eventfd is looked at only when it counts.
                let resample = args
                    .filter(|_| {
                        flags & (KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE)
                            == KVM_IRQFD_FLAG_RESAMPLE
                    })
                    .map(|a| tracee_eventfd(self.listener, n, a.resamplefd));
                let found = |f: &Option<(EventfdRef, Option<OwnedFd>)>| {
                    f.as_ref().map_or(EventfdRef::NotOpen, |(r, _)| *r)
                };
                let answer = self.model.vm_irqfd(vm, args, found(&fd), found(&resample));
                self.keep_eventfds(fd);
                answer
            }
            Object::Vm(vm) if call == Some(Ioctl::Ioeventfd) => {
                use ucas_core::abi::Ioeventfd;
                let args = self
                    .scratch
                    .read::<{ size_of::<Ioeventfd>() }>(arg)
                    .map(|raw| Ioeventfd {
                        datamatch: ne_u64(&raw[0..8]),
                        addr: ne_u64(&raw[8..16]),
                        len: ne_u32(&raw[16..20]),
                        fd: ne_u32(&raw[20..24]) as i32,
                        flags: ne_u32(&raw[24..28]),
                        ..Ioeventfd::default()
                    });
                let fd = args.map(|a| tracee_eventfd(self.listener, n, a.fd as u32));
                let found = fd.as_ref().map_or(EventfdRef::NotOpen, |(r, _)| *r);
                let answer = self.model.vm_ioeventfd(vm, args, found);
                self.keep_eventfds(fd);
                answer
            }
            Object::Vm(vm)
                if matches!(
                    call,
                    Some(Ioctl::SetUserMemoryRegion | Ioctl::SetUserMemoryRegion2)
                ) =>
            {
                // The first form is the second's first 32 bytes.
                let region = if call == Some(Ioctl::SetUserMemoryRegion) {
                    self.scratch
                        .read::<{ size_of::<UserspaceMemoryRegion>() }>(arg)
                        .map(|raw| region_of(&raw))
                } else {
                    self.scratch
                        .read::<{ size_of::<UserspaceMemoryRegion2>() }>(arg)
                        .map(|raw| region_of(&raw))
                };
                self.model.vm_set_memory_region(vm, region)
            }
            Object::Vm(vm) => self.model.vm_ioctl(vm, call, arg, attr),
            Object::Flic(vm) => self.model.flic_ioctl(vm, call, attr),
            Object::Vcpu(r) => self.model.vcpu_ioctl(r, call, arg, mapping),
        };
        if self.scratch.sec.missed() {
            return Ok(Some(Job::Again));
        }
        if let Answer::FaultIn {
            vcpu,
            vcpu_addr,
            user_addr,
        } = answer
        {
            self.running.push(vcpu);
            return Ok(Some(Job::FaultIn {
                vcpu,
                object,
                vcpu_addr,
                user_addr,
            }));
        }
        if let Answer::Run(vcpu) = answer {
            return match self.prepare_run(vcpu, object) {
                Ok(job) => Ok(Some(Job::Run(job))),
                Err(errno) => {
                    ignore_gone(self.listener.reply_error(n.id, errno))?;
                    Ok(None)
                }
            };
        }
        let args = match call {
            Some(Ioctl::UcasMap) | Some(Ioctl::UcasUnmap) => Args::Mapping(arg, mapping),
            None => Args::Raw(request, arg),
            _ => Args::Value(arg),
        };
        let fired = self.model.enomem_fired();
        let (result, mut note, reply) = self.carry_out(n, answer)?;
        if !fired && self.model.enomem_fired() {
            note = Note::Injected;
        }
        if reply == Reply::Held {
            if self.scratch.sec.missed() {
                return Ok(Some(Job::Again));
            }
            let head = self.tracer.enabled().then(|| {
                let label = Label(&self.model, object);
                format!("{label} {}({args})", call.map_or("ioctl", Ioctl::name))
            });
            return Ok(Some(Job::Finish { result, note, head }));
        }
        if self.tracer.enabled() {
            let label = Label(&self.model, object);
            self.tracer.line(
                Some(n.pid),
                format_args!(
                    "{label} {}({args}) {}{note}",
                    call.map_or("ioctl", Ioctl::name),
                    trace::Result(result)
                ),
            );
        }
        if call == Some(Ioctl::CreateVm)
            && answer == Answer::Error(Errno::INVAL)
            && arg == 1
            && !admin
        {
            self.note_admin();
        }
        Ok(None)
    }

    /// After a `KVM_IRQFD` or `KVM_IOEVENTFD`: keeps the file of an eventfd
    /// the model now has attached, lets go of those it no longer has.
    fn keep_eventfds(&mut self, found: Option<(EventfdRef, Option<OwnedFd>)>) {
        if let Some((EventfdRef::Eventfd(id), Some(file))) = found
            && self.model.eventfd_in_use(id)
        {
            self.eventfds.entry(id).or_insert(file);
        }
        let state = &mut *self.state;
        let model = &state.model;
        state.eventfds.retain(|&id, _| model.eventfd_in_use(id));
    }

    /// Says once per ioctl, trace or not, that the emulator (not the
    /// kernel) refused it.
    fn note_not_modelled(&mut self, ioctl: Ioctl, errno: Errno) {
        if self.not_modelled_shown.contains(&ioctl) {
            return;
        }
        self.not_modelled_shown.push(ioctl);
        let name = ioctl.name();
        if self.tracer.enabled() {
            self.tracer.line(
                None,
                format_args!(
                    "{name} is not modelled; answered {errno} as a kernel without it would"
                ),
            );
        } else {
            // Not eprintln!: see note_admin.
            let _ = writeln!(
                io::stderr(),
                "ucas emulate: {name} is not modelled; answered {errno} as a kernel without it would"
            );
        }
    }

    fn note_admin(&mut self) {
        if self.admin_note_shown {
            return;
        }
        self.admin_note_shown = true;
        let msg = "KVM_CREATE_VM(KVM_VM_S390_UCONTROL) answered EINVAL, as the kernel does \
                   for a caller without CAP_SYS_ADMIN: run the command as root";
        if self.tracer.enabled() {
            self.tracer.line(None, format_args!("{msg}"));
        } else {
            // Not eprintln!: that panics when stderr is unwritable (a closed
            // pipe), and a note is not worth the emulator.
            let _ = writeln!(io::stderr(), "ucas emulate: {msg}");
        }
    }

    /// Performs the model's answer. Returns what the caller sees and a note
    /// for the trace.
    fn carry_out(
        &mut self,
        n: &Notification,
        answer: Answer,
    ) -> io::Result<(Result<i64, Errno>, Note, Reply)> {
        match answer {
            Answer::Value(v) => {
                ignore_gone(self.listener.reply_value(n.id, v))?;
                Ok((Ok(v), Note::None, Reply::Sent))
            }
            Answer::Error(e) => {
                ignore_gone(self.listener.reply_error(n.id, e))?;
                Ok((Err(e), Note::None, Reply::Sent))
            }
            Answer::Unsupported(e, why) => {
                ignore_gone(self.listener.reply_error(n.id, e))?;
                Ok((Err(e), Note::Unsupported(why), Reply::Sent))
            }
            Answer::NewFlic { vm, addr } => {
                let made = self
                    .new_memfd(c"ucas-emulated-flic", 0, Object::Flic(vm))
                    .and_then(|fd| self.lifetimes.tracee_description(&fd, vm));
                let (fd, wd) = match made {
                    Ok(made) => made,
                    Err(e) => {
                        self.objects.retain(|_, v| *v != Object::Flic(vm));
                        self.model.discard_flic(vm);
                        return Err(e);
                    }
                };
                // The fd number goes into the caller's struct; the call
                // returns 0 (EFAULT if the struct cannot be written).
                let r = match self.listener.install_fd(n.id, fd.as_fd(), true) {
                    Ok(number) => {
                        let number = u32::try_from(number).unwrap_or(u32::MAX);
                        self.hold_write(addr.wrapping_add(4), &number.to_ne_bytes());
                        Ok(0)
                    }
                    Err(e) => {
                        self.lifetimes.forget(wd);
                        self.objects.retain(|_, v| *v != Object::Flic(vm));
                        self.model.discard_flic(vm);
                        Err(crate::error::errno_of(&e).unwrap_or(Errno::NOMEM))
                    }
                };
                Ok((r, Note::None, Reply::Held))
            }
            Answer::FlicGet { vm, attr } => {
                let r = match self.model.flic_get(vm, &attr) {
                    Ok((data, value)) => {
                        self.hold_write(attr.addr, &data);
                        Ok(value)
                    }
                    Err(e) => Err(e),
                };
                Ok((r, Note::None, Reply::Held))
            }
            Answer::FlicSet { vm, attr } => {
                let mut payload = vec![0u8; super::model::flic_payload_len(&attr)];
                let r = if self.caller().read(attr.addr, &mut payload) {
                    self.model.flic_set(vm, &attr, &payload)
                } else {
                    Err(Errno::FAULT)
                };
                Ok((r, Note::None, Reply::Held))
            }
            Answer::CpuModelGet { vm, attr, addr } => {
                let data = self.model.cpu_model_get(vm, attr);
                self.hold_write(addr, &data);
                Ok((Ok(0), Note::None, Reply::Held))
            }
            Answer::CpuModelSet { vm, attr, addr } => {
                let mut raw = vec![0u8; attr.len()];
                let r = if self.caller().read(addr, &mut raw) {
                    self.model.cpu_model_set(vm, attr, &raw).map(|()| 0)
                } else {
                    Err(Errno::FAULT)
                };
                Ok((r, Note::None, Reply::Held))
            }
            Answer::WithMemory { object, call, arg } => {
                let mut mem = Caller {
                    arg: &self.scratch.arg,
                    sec: &mut self.scratch.sec,
                };
                let r = self.state.model.with_memory(object, call, arg, &mut mem);
                Ok((r, Note::None, Reply::Held))
            }
            Answer::VcpuState(r, ioctl) => {
                let result = self.vcpu_state(n, r, ioctl);
                Ok((result, Note::None, Reply::Held))
            }
            Answer::StatsFd { id } => {
                let result = match self.stats_fd(n, id) {
                    Ok(fd) => self.install_fd(n, &fd),
                    Err(e) => {
                        let errno = crate::error::errno_of(&e).unwrap_or(Errno::NOMEM);
                        ignore_gone(self.listener.reply_error(n.id, errno))?;
                        Err(errno)
                    }
                };
                Ok((result, Note::None, Reply::Sent))
            }
            Answer::NotModelled(ioctl, e) => {
                ignore_gone(self.listener.reply_error(n.id, e))?;
                self.note_not_modelled(ioctl, e);
                Ok((Err(e), Note::NotModelled, Reply::Sent))
            }
            Answer::NewVm(vm) => {
                // The model has the VM already: it keeps it only if its fd
                // reaches the caller.
                let made = self
                    .new_memfd(c"ucas-emulated-vm", 0, Object::Vm(vm))
                    .and_then(|fd| self.lifetimes.tracee_description(&fd, vm));
                let (fd, wd) = match made {
                    Ok(made) => made,
                    Err(e) => {
                        self.objects.retain(|_, v| *v != Object::Vm(vm));
                        self.model.discard_vm(vm);
                        return Err(e);
                    }
                };
                let r = self.install(n, &fd, || Object::Vm(vm));
                if r.is_err() {
                    self.lifetimes.forget(wd);
                    self.model.discard_vm(vm);
                }
                let ucontrol = self
                    .model
                    .vms()
                    .get(vm as usize)
                    .is_some_and(|v| v.is_ucontrol());
                Ok((r, Note::NewVm(vm, ucontrol), Reply::Sent))
            }
            Answer::NewVcpu(r) => {
                let ucontrol = self
                    .model
                    .vms()
                    .get(r.vm as usize)
                    .is_some_and(|v| v.is_ucontrol());
                // The SIE page exists only for ucontrol VMs: page 1 of a
                // regular VM's vcpu raises SIGBUS, as past a memfd's end.
                let pages = if ucontrol { 2 } else { 1 };
                let size = pages * VCPU_PAGE_SIZE;
                // The model has the vcpu already: it keeps it only if its fd
                // and pages exist and the fd reaches the caller.
                let made = self
                    .new_memfd(c"ucas-emulated-vcpu", size, Object::Vcpu(r))
                    .and_then(|fd| {
                        let shared = SharedPages::map(fd.as_fd(), size as usize)?;
                        Ok((shared, self.lifetimes.tracee_description(&fd, r.vm)?))
                    });
                let (shared, (fd, wd)) = match made {
                    Ok(made) => made,
                    Err(e) => {
                        self.objects.retain(|_, v| *v != Object::Vcpu(r));
                        self.model.discard_vcpu(r);
                        return Err(e);
                    }
                };
                if ucontrol {
                    Self::set_up_sie(&shared, self.model.vcpu(r).map_or(0, |v| v.id()));
                }
                let id = self.model.vcpu(r).map_or(u32::MAX, |v| v.id());
                let res = self.install(n, &fd, || Object::Vcpu(r));
                if res.is_ok() {
                    let vm = r.vm as usize;
                    if self.vcpu_pages.len() <= vm {
                        self.vcpu_pages.resize_with(vm + 1, Vec::new);
                    }
                    self.vcpu_pages[vm].push(Arc::new(shared));
                } else {
                    self.lifetimes.forget(wd);
                    self.model.discard_vcpu(r);
                }
                Ok((res, Note::NewVcpu(r.vm, id), Reply::Sent))
            }
            Answer::UcontrolExit {
                errno,
                vcpu,
                trans_exc_code,
            } => {
                if let Some(p) = self.pages(vcpu) {
                    p.write_u64(RUN_UCONTROL_TRANS_EXC_CODE, trans_exc_code);
                    p.write_u32(RUN_UCONTROL_PGM_CODE, PGM_SEGMENT_TRANSLATION);
                    p.write_u32(offset_of!(KvmRun, exit_reason), KVM_EXIT_S390_UCONTROL);
                }
                ignore_gone(self.listener.reply_error(n.id, errno))?;
                Ok((Err(errno), Note::Exit(trans_exc_code), Reply::Sent))
            }
            Answer::StoreU64 { addr, value } => {
                self.hold_write(addr, &value.to_ne_bytes());
                Ok((Ok(0), Note::None, Reply::Held))
            }
            // Taken out before: a run goes without the lock.
            Answer::Run(_) => {
                ignore_gone(self.listener.reply_error(n.id, Errno::INVAL))?;
                Ok((Err(Errno::INVAL), Note::None, Reply::Sent))
            }
            // Taken out before: the page is faulted in without the lock.
            Answer::FaultIn { .. } => {
                ignore_gone(self.listener.reply_error(n.id, Errno::INVAL))?;
                Ok((Err(Errno::INVAL), Note::None, Reply::Sent))
            }
        }
    }

    /// Takes what `KVM_RUN` of vcpu `r` needs from the model and marks the
    /// vcpu running (its other ioctls wait until the run is over).
    fn prepare_run(&mut self, r: VcpuRef, object: Object) -> Result<RunJob, Errno> {
        let pages = self
            .vcpu_pages
            .get(r.vm as usize)
            .and_then(|v| v.get(r.index as usize))
            .map(Arc::clone)
            .ok_or(Errno::BADF)?;
        // STFLE shows the guest the facility list of its VM's CPU model
        // (the SIE block's facility-list designation points at it).
        let mut facilities = [0u64; 4];
        let processor = self.model.cpu_model_get(r.vm, CpuAttr::Processor);
        for (i, f) in facilities.iter_mut().enumerate() {
            let at = offset_of!(CpuProcessor, fac_list) + 8 * i;
            if let Some(w) = processor.get(at..at + 8) {
                *f = u64::from_ne_bytes(w.try_into().unwrap_or_default());
            }
        }
        let inputs = self.model.guest(r).ok_or(Errno::BADF)?;
        self.running.push(r);
        Ok(RunJob {
            vcpu: r,
            object,
            pages,
            inputs,
            facilities,
        })
    }

    /// The registers, run state, initial PSW and resets of ucontrol vcpu
    /// `r`, which live in its `kvm_run` and SIE pages (table P1 of
    /// `KERNEL-INTERFACE.md`).
    fn vcpu_state(&mut self, n: &Notification, r: VcpuRef, ioctl: Ioctl) -> Result<i64, Errno> {
        use ucas_core::abi::{
            KVM_MP_STATE_OPERATING, KVM_MP_STATE_STOPPED, RUN_PSW_ADDR, RUN_PSW_MASK,
            RUN_SYNC_ACRS, RUN_SYNC_CKC, RUN_SYNC_CPUTM, RUN_SYNC_CRS, RUN_SYNC_FPC, RUN_SYNC_GBEA,
            RUN_SYNC_PP, RUN_SYNC_PREFIX, RUN_SYNC_TODPR, RUN_SYNC_VRS, SIE_CKC, SIE_CPUTM,
            SIE_GBEA, SIE_GCR, SIE_PP, SIE_PSW_ADDR, SIE_PSW_MASK, SIE_TODPR,
        };
        const SIE: usize = VCPU_PAGE_SIZE as usize;
        let arg = n.args[2];
        // KVM_SET_MP_STATE reads its argument before anything else; once
        // read, it hands the run state to userspace for the whole VM.
        let mp_state = match ioctl {
            Ioctl::SetMpState => Some(self.scratch.read::<4>(arg).ok_or(Errno::FAULT)?),
            _ => None,
        };
        let user_cpu_state = self.model.user_cpu_state(r, mp_state.is_some());
        let Some(pages) = self
            .vcpu_pages
            .get(r.vm as usize)
            .and_then(|v| v.get(r.index as usize))
            .map(Arc::clone)
        else {
            return Err(Errno::BADF);
        };
        let pages = &*pages;
        let stopped = pages.read_u32(SIE + SIE_CPUFLAGS) & CPUSTAT_STOPPED != 0;
        let set_stopped = |on: bool| {
            let flags = pages.read_u32(SIE + SIE_CPUFLAGS);
            let flags = if on {
                flags | CPUSTAT_STOPPED
            } else {
                flags & !CPUSTAT_STOPPED
            };
            pages.write_u32(SIE + SIE_CPUFLAGS, flags);
        };
        match ioctl {
            Ioctl::GetRegs => {
                let mut out = Vec::with_capacity(128);
                for i in 0..16 {
                    out.extend_from_slice(&pages.read_u64(RUN_SYNC_GPRS + 8 * i).to_ne_bytes());
                }
                self.hold_write(arg, &out);
                Ok(0)
            }
            Ioctl::SetRegs => {
                let raw = self.scratch.read::<128>(arg).ok_or(Errno::FAULT)?;
                for i in 0..16 {
                    pages.write_u64(RUN_SYNC_GPRS + 8 * i, ne_u64(&raw[8 * i..8 * i + 8]));
                }
                Ok(0)
            }
            Ioctl::GetSregs => {
                let mut out = Vec::with_capacity(192);
                for i in 0..16 {
                    out.extend_from_slice(&pages.read_u32(RUN_SYNC_ACRS + 4 * i).to_ne_bytes());
                }
                for i in 0..16 {
                    out.extend_from_slice(&pages.read_u64(SIE + SIE_GCR + 8 * i).to_ne_bytes());
                }
                self.hold_write(arg, &out);
                Ok(0)
            }
            Ioctl::SetSregs => {
                let raw = self.scratch.read::<192>(arg).ok_or(Errno::FAULT)?;
                for i in 0..16 {
                    pages.write_u32(RUN_SYNC_ACRS + 4 * i, ne_u32(&raw[4 * i..4 * i + 4]));
                }
                for i in 0..16 {
                    pages.write_u64(SIE + SIE_GCR + 8 * i, ne_u64(&raw[64 + 8 * i..72 + 8 * i]));
                }
                Ok(0)
            }
            // The state is the ioctl's return value; the struct is not
            // written (the generic code skips the copy for a non-zero one).
            Ioctl::GetMpState => Ok(i64::from(if stopped {
                KVM_MP_STATE_STOPPED
            } else {
                KVM_MP_STATE_OPERATING
            })),
            Ioctl::SetMpState => {
                match mp_state.map_or(0, |raw| ne_u32(&raw)) {
                    KVM_MP_STATE_STOPPED => {
                        // Stopping a running vcpu drops its pending stop.
                        if !stopped {
                            self.model.vcpu_stopped(r);
                        }
                        set_stopped(true);
                    }
                    KVM_MP_STATE_OPERATING => set_stopped(false),
                    // LOAD is for protected guests; CHECK_STOP and the rest
                    // are not supported.
                    _ => return Err(Errno::NXIO),
                }
                Ok(0)
            }
            Ioctl::S390SetInitialPsw => {
                let raw = self.scratch.read::<16>(arg).ok_or(Errno::FAULT)?;
                if !stopped {
                    return Err(Errno::BUSY);
                }
                pages.write_u64(RUN_PSW_MASK, ne_u64(&raw[0..8]));
                pages.write_u64(RUN_PSW_ADDR, ne_u64(&raw[8..16]));
                Ok(0)
            }
            Ioctl::S390InitialReset | Ioctl::S390NormalReset | Ioctl::S390ClearReset => {
                // The normal reset clears the PSW's runtime-instrumentation
                // bit; the initial one also the PSW, prefix and control
                // registers (CR0 and CR14 to their architected values); the
                // clear one also the general and access registers.
                const PSW_MASK_RI: u64 = 0x0000_0080_0000_0000;
                let mask = pages.read_u64(RUN_PSW_MASK);
                pages.write_u64(RUN_PSW_MASK, mask & !PSW_MASK_RI);
                if ioctl != Ioctl::S390NormalReset {
                    pages.write_u64(RUN_PSW_MASK, 0);
                    pages.write_u64(RUN_PSW_ADDR, 0);
                    pages.write_u64(SIE + SIE_PSW_MASK, 0);
                    pages.write_u64(SIE + SIE_PSW_ADDR, 0);
                    pages.write_u64(RUN_SYNC_PREFIX, 0);
                    for i in 0..16 {
                        let cr = match i {
                            0 => 0xE0,
                            14 => 0xC200_0000,
                            _ => 0,
                        };
                        pages.write_u64(SIE + SIE_GCR + 8 * i, cr);
                        pages.write_u64(RUN_SYNC_CRS + 8 * i, cr);
                    }
                }
                if ioctl != Ioctl::S390NormalReset {
                    // CPU timer, clock comparator, TOD programmable
                    // register, program parameter 0, breaking-event
                    // address 1, in the SIE block and the sync regs.
                    for (sie, sync) in [(SIE_CPUTM, RUN_SYNC_CPUTM), (SIE_CKC, RUN_SYNC_CKC)] {
                        pages.write_u64(SIE + sie, 0);
                        pages.write_u64(sync, 0);
                    }
                    pages.write_u32(SIE + SIE_TODPR, 0);
                    OneRegSlot::Sie64(SIE_PP).store(pages, 0);
                    pages.write_u64(SIE + SIE_GBEA, 1);
                    for (sync, value) in [(RUN_SYNC_TODPR, 0), (RUN_SYNC_PP, 0), (RUN_SYNC_GBEA, 1)]
                    {
                        pages.write_u64(sync, value);
                    }
                    pages.write_u32(RUN_SYNC_FPC, 0);
                }
                if ioctl == Ioctl::S390ClearReset {
                    for i in 0..16 {
                        pages.write_u64(RUN_SYNC_GPRS + 8 * i, 0);
                        pages.write_u32(RUN_SYNC_ACRS + 4 * i, 0);
                    }
                    for i in 0..64 {
                        pages.write_u64(RUN_SYNC_VRS + 8 * i, 0);
                    }
                }
                // Every reset forgets the pfault handshake and the local
                // interrupts.
                if let Some(p) = self.model.pfault_regs(r) {
                    p[0] = ucas_core::abi::KVM_S390_PFAULT_TOKEN_INVALID;
                }
                self.model.clear_local_irqs(r);
                if !user_cpu_state {
                    set_stopped(true);
                }
                Ok(0)
            }
            Ioctl::GetOneReg | Ioctl::SetOneReg => {
                let raw = self
                    .scratch
                    .read::<{ size_of::<ucas_core::abi::OneReg>() }>(arg)
                    .ok_or(Errno::FAULT)?;
                let (id, at) = (ne_u64(&raw[0..8]), ne_u64(&raw[8..16]));
                let reg = OneRegSlot::of(id).ok_or(Errno::INVAL)?;
                let four = reg == OneRegSlot::Sie32(ucas_core::abi::SIE_TODPR);
                if ioctl == Ioctl::GetOneReg {
                    let value = match reg {
                        OneRegSlot::Pfault(i) => self.model.pfault_regs(r).map_or(0, |p| p[i]),
                        _ => reg.load(pages),
                    };
                    let bytes = value.to_ne_bytes();
                    let data = if four {
                        &(value as u32).to_ne_bytes()[..]
                    } else {
                        &bytes[..]
                    };
                    self.hold_write(at, data);
                    return Ok(0);
                }
                let value = if four {
                    u64::from(ne_u32(&self.scratch.read::<4>(at).ok_or(Errno::FAULT)?))
                } else {
                    ne_u64(&self.scratch.read::<8>(at).ok_or(Errno::FAULT)?)
                };
                match reg {
                    OneRegSlot::Pfault(i) => {
                        if let Some(p) = self.model.pfault_regs(r) {
                            p[i] = value;
                        }
                    }
                    _ => reg.store(pages, value),
                }
                Ok(0)
            }
            Ioctl::S390StoreStatus => {
                let word = |at: usize| pages.read_u64(at);
                let mut status = crate::model::Status {
                    fprs: core::array::from_fn(|i| word(RUN_SYNC_VRS + 16 * i)),
                    gprs: core::array::from_fn(|i| word(RUN_SYNC_GPRS + 8 * i)),
                    psw: [word(SIE + SIE_PSW_MASK), word(SIE + SIE_PSW_ADDR)],
                    fpc: pages.read_u32(RUN_SYNC_FPC),
                    todpr: pages.read_u32(SIE + SIE_TODPR),
                    cputm: word(SIE + SIE_CPUTM),
                    ckc: word(SIE + SIE_CKC),
                    acrs: core::array::from_fn(|i| pages.read_u32(RUN_SYNC_ACRS + 4 * i)),
                    crs: core::array::from_fn(|i| word(SIE + SIE_GCR + 8 * i)),
                    ..crate::model::Status::default()
                };
                let mut mem = Caller {
                    arg: &self.scratch.arg,
                    sec: &mut self.scratch.sec,
                };
                self.state.model.store_status(r, arg, &mut status, &mut mem)
            }
            Ioctl::S390Irq | Ioctl::S390Interrupt => {
                let from_interrupt = ioctl == Ioctl::S390Interrupt;
                let (kind, word) = if from_interrupt {
                    let raw = self
                        .scratch
                        .read::<{ size_of::<ucas_core::abi::S390Interrupt>() }>(arg)
                        .ok_or(Errno::FAULT)?;
                    (
                        u64::from(ne_u32(&raw[0..4])),
                        [raw[4], raw[5], raw[6], raw[7]],
                    )
                } else {
                    let raw = self
                        .scratch
                        .read::<{ size_of::<ucas_core::abi::S390Irq>() }>(arg)
                        .ok_or(Errno::FAULT)?;
                    (ne_u64(&raw[0..8]), [raw[8], raw[9], raw[10], raw[11]])
                };
                self.model
                    .inject_vcpu(r, kind, word, from_interrupt, stopped)
            }
            Ioctl::S390GetIrqState | Ioctl::S390SetIrqState => {
                use ucas_core::abi::{S390Irq, S390IrqState};
                let raw = self
                    .scratch
                    .read::<{ size_of::<S390IrqState>() }>(arg)
                    .ok_or(Errno::FAULT)?;
                let (buf, len) = (ne_u64(&raw[0..8]), ne_u32(&raw[12..16]));
                let irq_len = size_of::<S390Irq>();
                if ioctl == Ioctl::S390GetIrqState {
                    // The model answers it only with nothing pending: no
                    // interrupt to store, whatever the buffer.
                    return if len == 0 { Err(Errno::INVAL) } else { Ok(0) };
                }
                let len = len as usize;
                if len == 0 || len > IRQ_STATE_MAX_BUF || !len.is_multiple_of(irq_len) {
                    return Err(Errno::INVAL);
                }
                let mut irqs = vec![0u8; len];
                if !self.caller().read(buf, &mut irqs) {
                    return Err(Errno::FAULT);
                }
                if self.model.irqs_pending(r) != Some(false) {
                    return Err(Errno::BUSY);
                }
                // Injected one by one as KVM_S390_IRQ does, up to the first
                // refusal, which is the answer.
                for irq in irqs.chunks(irq_len) {
                    let word = [irq[8], irq[9], irq[10], irq[11]];
                    self.model
                        .inject_vcpu(r, ne_u64(&irq[0..8]), word, false, stopped)?;
                }
                Ok(0)
            }
            Ioctl::SetGuestDebug => {
                use ucas_core::abi::{
                    CPUSTAT_P, GuestDebug, KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP,
                    KVM_GUESTDBG_USE_HW_BP,
                };
                let raw = self
                    .scratch
                    .read::<{ size_of::<GuestDebug>() }>(arg)
                    .ok_or(Errno::FAULT)?;
                let control = ne_u32(&raw[0..4]);
                let (nr_hw_bp, hw_bp) = (ne_u32(&raw[8..12]), ne_u64(&raw[16..24]));
                let flags = pages.read_u32(SIE + SIE_CPUFLAGS);
                let known = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_HW_BP;
                if control & !known != 0 {
                    return Err(Errno::INVAL);
                }
                if control & KVM_GUESTDBG_ENABLE == 0 {
                    pages.write_u32(SIE + SIE_CPUFLAGS, flags & !CPUSTAT_P);
                    return Ok(0);
                }
                // Hardware breakpoints: none given is fine; otherwise the
                // kernel imports them, and a failure undoes the enabling.
                let wants_bps = control & KVM_GUESTDBG_USE_HW_BP != 0;
                if wants_bps && nr_hw_bp != 0 && hw_bp != 0 {
                    let imported = self.import_breakpoints(r.vm, nr_hw_bp, hw_bp);
                    if let Err(e) = imported {
                        pages.write_u32(SIE + SIE_CPUFLAGS, flags & !CPUSTAT_P);
                        return Err(e);
                    }
                }
                pages.write_u32(SIE + SIE_CPUFLAGS, flags | CPUSTAT_P);
                Ok(0)
            }
            // The floating-point registers are the left halves of the
            // vector registers in kvm_run (the modelled host has VX).
            Ioctl::GetFpu => {
                let mut out = Vec::with_capacity(size_of::<ucas_core::abi::Fpu>());
                out.extend_from_slice(&pages.read_u32(RUN_SYNC_FPC).to_ne_bytes());
                out.extend_from_slice(&[0; 4]);
                for i in 0..16 {
                    out.extend_from_slice(&pages.read_u64(RUN_SYNC_VRS + 16 * i).to_ne_bytes());
                }
                self.hold_write(arg, &out);
                Ok(0)
            }
            Ioctl::SetFpu => {
                let raw = self
                    .scratch
                    .read::<{ size_of::<ucas_core::abi::Fpu>() }>(arg)
                    .ok_or(Errno::FAULT)?;
                pages.write_u32(RUN_SYNC_FPC, ne_u32(&raw[0..4]));
                for i in 0..16 {
                    pages.write_u64(RUN_SYNC_VRS + 16 * i, ne_u64(&raw[8 + 8 * i..16 + 8 * i]));
                }
                Ok(0)
            }
            _ => Err(Errno::NOTTY),
        }
    }

    /// The SIE block of a new ucontrol vcpu as the kernel's vcpu setup leaves
    /// it on the modelled host (`emulator/KERNEL-INTERFACE.md`, section 5;
    /// facilities as in `model/caps.rs`): stopped, z/Architecture, no KSS,
    /// so ISKE, SSKE and RRBE are intercepted, operation exceptions too;
    /// no specification-exception interpretation (ucontrol); the vcpu id as
    /// CPU address.
    fn set_up_sie(pages: &SharedPages, id: u32) {
        use ucas_core::abi::{
            CPUSTAT_GED, CPUSTAT_SM, CPUSTAT_ZARCH, ECA_MVPGI, ECA_PROTEXCI, ECA_VX,
            ECB_HOSTPROTINT, ECB_PTF, ECB_SRSI, ECB2_PFMFI, ECB3_AES, ECB3_DEA, ECD_HOSTREGMGMT,
            ICTL_ISKE, ICTL_OPEREXC, ICTL_RRBE, ICTL_SSKE, SIE_ECA, SIE_ECB, SIE_ECB2, SIE_ECB3,
            SIE_ECD, SIE_ICPUA, SIE_ICTL,
        };
        const SIE: usize = VCPU_PAGE_SIZE as usize;
        pages.write_u32(
            SIE + SIE_CPUFLAGS,
            CPUSTAT_ZARCH | CPUSTAT_SM | CPUSTAT_STOPPED | CPUSTAT_GED,
        );
        pages.write_u32(
            SIE + SIE_ICTL,
            ICTL_ISKE | ICTL_SSKE | ICTL_RRBE | ICTL_OPEREXC,
        );
        pages.write_u32(SIE + SIE_ECA, ECA_MVPGI | ECA_PROTEXCI | ECA_VX);
        pages.write_u8(SIE + SIE_ECB, ECB_HOSTPROTINT | ECB_SRSI | ECB_PTF);
        pages.write_u8(SIE + SIE_ECB2, ECB2_PFMFI);
        pages.write_u8(SIE + SIE_ECB3, ECB3_AES | ECB3_DEA);
        pages.write_u32(SIE + SIE_ECD, ECD_HOSTREGMGMT);
        // Ids stop at 254, so the CPU address fits icpua's 16 bits.
        pages.write_u16(SIE + SIE_ICPUA, u16::try_from(id).unwrap_or(u16::MAX));
    }

    /// What `KVM_SET_GUEST_DEBUG` checks of `nr` hardware breakpoints at
    /// `at` for a vcpu of VM `vm` (`kvm_s390_import_bp_data`): at most 50
    /// (EINVAL), the array readable (EFAULT), each write watchpoint's
    /// length, as an `int`, within 0…100 (EINVAL), and the guest absolute
    /// memory it watches readable through the slots (EFAULT), in array
    /// order. Nothing is kept: the interpreter does not stop at them.
    fn import_breakpoints(&mut self, vm: u32, nr: u32, at: u64) -> Result<(), Errno> {
        use ucas_core::abi::HwBreakpoint;
        const BREAKPOINTS_MAX: u32 = 50;
        const WATCHED_MAX: i32 = 100;
        const HW_WP_WRITE: u8 = 2;
        if nr > BREAKPOINTS_MAX {
            return Err(Errno::INVAL);
        }
        let size = size_of::<HwBreakpoint>();
        let mut bps = vec![0u8; nr as usize * size];
        if !self.caller().read(at, &mut bps) {
            return Err(Errno::FAULT);
        }
        for bp in bps.chunks(size) {
            if bp[core::mem::offset_of!(HwBreakpoint, kind)] != HW_WP_WRITE {
                continue;
            }
            let len_at = core::mem::offset_of!(HwBreakpoint, len);
            let phys_at = core::mem::offset_of!(HwBreakpoint, phys_addr);
            // The kernel keeps the length in an int.
            let len = ne_u64(&bp[len_at..len_at + 8]) as i32;
            if !(0..=WATCHED_MAX).contains(&len) {
                return Err(Errno::INVAL);
            }
            let runs = self
                .model
                .guest_absolute(vm, ne_u64(&bp[phys_at..phys_at + 8]), len as u64)
                .ok_or(Errno::FAULT)?;
            for (user, len) in runs {
                let mut old = vec![0u8; len as usize];
                if !self.caller().read(user, &mut old) {
                    return Err(Errno::FAULT);
                }
            }
        }
        Ok(())
    }

    fn pages(&self, r: VcpuRef) -> Option<&SharedPages> {
        self.vcpu_pages
            .get(r.vm as usize)?
            .get(r.index as usize)
            .map(|p| &**p)
    }

    /// Installs `fd` in the tracee as the syscall's result (close-on-exec,
    /// as KVM does). On failure the object is forgotten again.
    fn install(
        &mut self,
        n: &Notification,
        fd: &OwnedFd,
        object: impl Fn() -> Object,
    ) -> Result<i64, Errno> {
        let installed = self.install_fd(n, fd);
        if installed.is_err() {
            let o = object();
            self.objects.retain(|_, v| *v != o);
        }
        installed
    }

    /// Installs `fd` in the caller (close-on-exec) as the call's answer.
    fn install_fd(&self, n: &Notification, fd: &OwnedFd) -> Result<i64, Errno> {
        match self.listener.reply_new_fd(n.id, fd.as_fd(), true) {
            Ok(new) => Ok(i64::from(new)),
            Err(e) => {
                let errno = crate::error::errno_of(&e).unwrap_or(Errno::IO);
                // A full fd table (EMFILE) leaves the call pending: fail it
                // the way the kernel would. ENOENT means the caller is gone.
                if errno != Errno::NOENT {
                    let _ = self.listener.reply_error(n.id, errno);
                }
                Err(errno)
            }
        }
    }
}

/// `KVM_RUN` of `job` for caller `n`, without the lock: loads the PSW, the
/// registers and (if marked dirty) the prefix from `kvm_run`, runs the
/// guest, and writes the exit, PSW and registers back into `kvm_run` and
/// the SIE block (the kept registers into `regs`).
fn run_vcpu(
    listener: &Listener,
    tracer: &mut Tracer,
    scratch: &mut Scratch,
    n: &Notification,
    job: &RunJob,
    regs: &mut GuestRegs,
) -> (Result<i64, Errno>, Note) {
    let pages = &*job.pages;
    let facilities = job.facilities;
    let generation = job.inputs.generation;
    let space = job.inputs.space.space();
    let keys = &*job.inputs.keys;
    // As the kernel does on every KVM_RUN of a vcpu whose state user
    // space does not control: the vcpu is started.
    let flags = pages.read_u32(SIE_PAGE + SIE_CPUFLAGS);
    pages.write_u32(SIE_PAGE + SIE_CPUFLAGS, flags & !CPUSTAT_STOPPED);
    // On s390 the general registers live in kvm_run's sync regs: the
    // kernel runs the guest with them whether or not KVM_SYNC_GPRS is
    // marked dirty (the flag matters for the other register classes).
    for (i, g) in regs.gprs.iter_mut().enumerate() {
        *g = pages.read_u64(RUN_SYNC_GPRS + 8 * i);
    }
    let dirty = pages.read_u64(offset_of!(KvmRun, kvm_dirty_regs));
    if dirty & KVM_SYNC_PREFIX != 0 {
        regs.prefix = pages.read_u64(RUN_SYNC_PREFIX) & guest::PREFIX_MASK;
    }
    let mut cpu = Cpu::new(
        pages.read_u64(offset_of!(KvmRun, psw_mask)),
        pages.read_u64(offset_of!(KvmRun, psw_addr)),
    );
    cpu.gprs = regs.gprs;
    // The floating-point registers too come from the sync regs on
    // every run, dirty or not: the kernel's sync_regs points the FPU
    // state at `s.regs.vrs` (this models a machine with the vector
    // facility, so FPR n is bits 0-63 of VR n) and store_regs leaves
    // the guest's values there.
    for (i, f) in cpu.fprs.iter_mut().enumerate() {
        *f = pages.read_u64(RUN_SYNC_VRS + 16 * i);
    }
    cpu.fpc = pages.read_u32(RUN_SYNC_FPC);
    cpu.facilities = facilities;
    // As `sync_regs` does: the control registers live in the SIE
    // block's gcr and are replaced from kvm_run only when marked dirty;
    // the access registers are loaded from kvm_run on every run.
    if dirty & KVM_SYNC_CRS != 0 {
        for i in 0..16 {
            pages.write_u64(
                SIE_PAGE + SIE_GCR + 8 * i,
                pages.read_u64(RUN_SYNC_CRS + 8 * i),
            );
        }
    }
    for i in 0..16 {
        cpu.crs[i] = pages.read_u64(SIE_PAGE + SIE_GCR + 8 * i);
        cpu.acrs[i] = pages.read_u32(RUN_SYNC_ACRS + 4 * i);
    }
    let exit = if pages.read_u8(offset_of!(KvmRun, immediate_exit)) != 0 {
        RunExit::Interrupted
    } else if let Some(memory) = caller_memory(listener, n) {
        guest::run(
            RunContext {
                generation,
                space,
                prefix: regs.prefix,
                pid: n.pid,
                memory: &memory,
                pending: &mut || listener.is_valid(n.id),
                cache: &mut scratch.page_cache,
                budget: guest::BUDGET,
                keys,
                intercepts: Intercepts::from_sie(
                    pages.read_u32(SIE_PAGE + SIE_CPUFLAGS),
                    pages.read_u32(SIE_PAGE + ucas_core::abi::SIE_ICTL),
                ),
                tracer,
            },
            &mut cpu,
        )
    } else {
        // The caller is gone (or its memory cannot be opened): nothing
        // runs, and the answer reaches nobody.
        RunExit::Interrupted
    };
    regs.gprs = cpu.gprs;
    for (i, g) in cpu.gprs.iter().enumerate() {
        pages.write_u64(RUN_SYNC_GPRS + 8 * i, *g);
    }
    for (i, f) in cpu.fprs.iter().enumerate() {
        pages.write_u64(RUN_SYNC_VRS + 16 * i, *f);
    }
    pages.write_u32(RUN_SYNC_FPC, cpu.fpc);
    pages.write_u64(RUN_SYNC_PREFIX, regs.prefix);
    // As `store_regs` does: control registers from gcr, access
    // registers back into kvm_run.
    for i in 0..16 {
        pages.write_u64(SIE_PAGE + SIE_GCR + 8 * i, cpu.crs[i]);
        pages.write_u64(RUN_SYNC_CRS + 8 * i, cpu.crs[i]);
        pages.write_u32(RUN_SYNC_ACRS + 4 * i, cpu.acrs[i]);
    }
    let valid = pages.read_u64(offset_of!(KvmRun, kvm_valid_regs));
    pages.write_u64(
        offset_of!(KvmRun, kvm_valid_regs),
        valid | KVM_SYNC_GPRS | KVM_SYNC_PREFIX | KVM_SYNC_VRS | KVM_SYNC_ACRS | KVM_SYNC_CRS,
    );
    pages.write_u64(offset_of!(KvmRun, psw_mask), cpu.psw_mask);
    pages.write_u64(offset_of!(KvmRun, psw_addr), cpu.psw_addr);
    pages.write_u64(SIE_PAGE + SIE_PSW_MASK, cpu.psw_mask);
    pages.write_u64(SIE_PAGE + SIE_PSW_ADDR, cpu.psw_addr);
    let exit_reason = offset_of!(KvmRun, exit_reason);
    let result = match exit {
        RunExit::Ucontrol { trans_exc_code, .. } => {
            pages.write_u64(RUN_UCONTROL_TRANS_EXC_CODE, trans_exc_code);
            pages.write_u32(RUN_UCONTROL_PGM_CODE, PGM_SEGMENT_TRANSLATION);
            pages.write_u32(exit_reason, KVM_EXIT_S390_UCONTROL);
            Ok(0)
        }
        RunExit::Sieic { icptcode, ipa, ipb } => {
            write_sieic(pages, icptcode, ipa, ipb);
            Ok(0)
        }
        RunExit::ProgramIntercept { code, ilen } => {
            pages.write_u16(SIE_PAGE + SIE_PGMILC, u16::from(ilen));
            pages.write_u16(SIE_PAGE + SIE_IPRCC, code);
            write_sieic(pages, ICPT_PROGI, 0, 0);
            Ok(0)
        }
        RunExit::Efault { .. } => Err(Errno::FAULT),
        RunExit::Interrupted => {
            pages.write_u32(exit_reason, KVM_EXIT_INTR);
            Err(Errno::INTR)
        }
    };
    (result, Note::Run(exit, cpu.psw_addr, cpu.executed))
}

/// Whether the path `path`, opened relative to
/// `dirfd` by `pid` with the `RESOLVE_*` flags `resolve`, name
/// `/dev/kvm` lexically.
fn names_dev_kvm(path: &[u8], pid: u32, dirfd: i32, resolve: u64) -> bool {
    let in_root = resolve & paths::RESOLVE_IN_ROOT != 0;
    if path.starts_with(b"/") && !in_root {
        return paths::is_dev_kvm(b"/", path);
    }
    let mut buf = [0u8; 64];
    let Some(link) = start_dir(&mut buf, pid, dirfd) else {
        return false;
    };
    let Ok(base) = std::fs::read_link(std::ffi::OsStr::from_bytes(link.to_bytes())) else {
        return false;
    };
    let base = base.as_os_str().as_bytes();
    if !base.starts_with(b"/") {
        // Not a directory of the file system (a pipe, a socket…).
        return false;
    }
    if in_root {
        paths::is_dev_kvm_in_root(base, path)
    } else {
        paths::is_dev_kvm(base, path)
    }
}

/// Whether the directory part of `path`,
/// walked by the kernel from where the tracee's walk starts and under
/// its `RESOLVE_*` flags, is the host's `/dev`. A walk the kernel
/// refuses (a closed or non-directory dirfd, a missing directory, a
/// symlink or mount the flags forbid, `..` out of a scope) is refused
/// the same for the tracee, whatever the last component: the kernel
/// answers it.
fn walks_to_dev(path: &[u8], pid: u32, dirfd: i32, resolve: u64) -> bool {
    use rustix::fs::{Mode, OFlags, ResolveFlags};
    let absolute = path.starts_with(b"/") && resolve & paths::RESOLVE_IN_ROOT == 0;
    let mut buf = [0u8; 64];
    let (start, resolve) = if absolute {
        // From the tracee's root, which ".." does not leave.
        (
            proc_path(&mut buf, pid, "root", None),
            resolve | paths::RESOLVE_IN_ROOT,
        )
    } else {
        (start_dir(&mut buf, pid, dirfd), resolve)
    };
    let Some(start) = start else {
        return false;
    };
    let dir_flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let Ok(start) = rustix::fs::open(start, dir_flags, Mode::empty()) else {
        return false;
    };
    // The emulated open is served from the cache, so RESOLVE_CACHED
    // need not hold for this walk.
    let resolve = ResolveFlags::from_bits_retain((resolve & !paths::RESOLVE_CACHED) as _);
    let parent = paths::parent(path);
    let Ok(dir) = rustix::fs::openat2(&start, parent, dir_flags, Mode::empty(), resolve) else {
        return false;
    };
    let (Ok(dir), Ok(dev)) = (
        rustix::fs::fstat(&dir),
        rustix::fs::stat(format!("/proc/{pid}/root/dev")),
    ) else {
        return false;
    };
    (dir.st_dev, dir.st_ino) == (dev.st_dev, dev.st_ino)
}

/// Fd `number` of the caller of `n` as the kernel's `eventfd_ctx_fdget`
/// sees it (the number is an `int` there), with the file duplicated into
/// the supervisor (`pidfd_getfd`) where the kernel allows it: held while
/// attached, it keeps its `eventfd-id` from passing to a new eventfd.
fn tracee_eventfd(
    listener: &Listener,
    n: &Notification,
    number: u32,
) -> (EventfdRef, Option<OwnedFd>) {
    use rustix::process::{Pid, PidfdFlags, PidfdGetfdFlags};
    use std::os::fd::AsRawFd as _;
    let Ok(number) = i32::try_from(number) else {
        return (EventfdRef::NotOpen, None);
    };
    // PIDFD_THREAD (Linux 6.9): the caller may be any thread.
    let thread = PidfdFlags::from_bits_retain(libc::O_EXCL as _);
    let pidfd = Pid::from_raw(n.pid as i32)
        .and_then(|pid| rustix::process::pidfd_open(pid, thread).ok())
        // Bound to the caller: it still waits in this call.
        .filter(|_| listener.is_valid(n.id));
    if let Some(pidfd) = pidfd {
        match rustix::process::pidfd_getfd(&pidfd, number, PidfdGetfdFlags::empty()) {
            Ok(file) => {
                let at = format!("/proc/self/fd/{}", file.as_raw_fd());
                let info = format!("/proc/self/fdinfo/{}", file.as_raw_fd());
                return match eventfd_id(&at, &info) {
                    Some(r @ EventfdRef::Eventfd(_)) => (r, Some(file)),
                    r => (r.unwrap_or(EventfdRef::NotEventfd), None),
                };
            }
            Err(rustix::io::Errno::BADF) => return (EventfdRef::NotOpen, None),
            // Not allowed to take it (a tracee that is not dumpable): look
            // through /proc instead, without holding it.
            Err(_) => {}
        }
    }
    let at = format!("/proc/{}/fd/{number}", n.pid);
    let info = format!("/proc/{}/fdinfo/{number}", n.pid);
    let found = eventfd_id(&at, &info).unwrap_or(EventfdRef::NotOpen);
    (found, None)
}

/// What the fd whose `/proc` link is `link` (fdinfo `info`) is; `None` if
/// it has gone.
fn eventfd_id(link: &str, info: &str) -> Option<EventfdRef> {
    let target = std::fs::read_link(link).ok()?;
    if target.as_os_str().as_bytes() != b"anon_inode:[eventfd]" {
        return Some(EventfdRef::NotEventfd);
    }
    // Unreadable (the supervisor out of fds): known by no id, as below.
    let text = std::fs::read_to_string(info).unwrap_or_default();
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("eventfd-id:"))
        .and_then(|v| v.trim().parse().ok());
    // Older kernels show no eventfd-id: every lookup a new eventfd
    // (no EBUSY for one attached twice); so for an fdinfo that could not
    // be read.
    static UNNAMED: AtomicU64 = AtomicU64::new(u64::MAX);
    Some(EventfdRef::Eventfd(
        id.unwrap_or_else(|| UNNAMED.fetch_sub(1, Ordering::Relaxed)),
    ))
}

/// Where a relative walk of `pid` starts: `/proc/PID/cwd` for `AT_FDCWD`,
/// `/proc/PID/fd/N` otherwise (`None` for a negative fd).
fn start_dir(buf: &mut [u8; 64], pid: u32, dirfd: i32) -> Option<&CStr> {
    if dirfd == AT_FDCWD {
        proc_path(buf, pid, "cwd", None)
    } else {
        u64::try_from(dirfd)
            .ok()
            .and_then(|fd| proc_path(buf, pid, "fd", Some(fd)))
    }
}

/// `openat2`'s `struct open_how` of `size` bytes at `addr`, as the kernel
/// takes it (`copy_struct_from_user`): `None` where the kernel refuses it
/// (smaller than version 0 or larger than a page: EINVAL, E2BIG; unknown
/// trailing bytes not zero: E2BIG; unreadable: EFAULT).
fn read_open_how(pid: u32, addr: u64, size: u64) -> Option<paths::OpenHow> {
    if !(paths::OPEN_HOW_SIZE_VER0..=paths::OPEN_HOW_SIZE_MAX).contains(&size) {
        return None;
    }
    let raw = read_arg::<24>(pid, addr)?;
    if size > paths::OPEN_HOW_SIZE_VER0 {
        let mut rest = vec![0u8; (size - paths::OPEN_HOW_SIZE_VER0) as usize];
        let got = sys::read_tracee(pid, addr.checked_add(24)?, &mut rest).ok()?;
        if got != rest.len() || rest.iter().any(|&b| b != 0) {
            return None;
        }
    }
    Some(paths::OpenHow {
        flags: ne_u64(&raw[0..8]),
        mode: ne_u64(&raw[8..16]),
        resolve: ne_u64(&raw[16..24]),
    })
}

/// An ioctl's argument struct of `L` bytes at `addr` in the tracee, if it
/// is readable in full: trusted once `ID_VALID` holds after the read
/// (checked before the model acts on it).
/// The longest buffer `KVM_S390_SET_IRQ_STATE` takes: one
/// `struct kvm_s390_irq` for each of `KVM_MAX_VCPUS` (255) emergency
/// signals and the 32 other local interrupt kinds.
const IRQ_STATE_MAX_BUF: usize = (255 + 32) * size_of::<ucas_core::abi::S390Irq>();

fn read_arg<const L: usize>(pid: u32, addr: u64) -> Option<[u8; L]> {
    let mut raw = [0u8; L];
    (sys::read_tracee(pid, addr, &mut raw).ok() == Some(L)).then_some(raw)
}

/// A `kvm_userspace_memory_region2` from its first 32 (the first form's
/// whole struct) or more bytes, native order; what is missing is zero.
fn region_of(raw: &[u8]) -> UserspaceMemoryRegion2 {
    let at = |from: usize, len: usize| raw.get(from..from + len).unwrap_or_default();
    UserspaceMemoryRegion2 {
        slot: ne_u32(at(0, 4)),
        flags: ne_u32(at(4, 4)),
        guest_phys_addr: ne_u64(at(8, 8)),
        memory_size: ne_u64(at(16, 8)),
        userspace_addr: ne_u64(at(24, 8)),
        guest_memfd_offset: ne_u64(at(32, 8)),
        guest_memfd: ne_u32(at(40, 4)),
        ..UserspaceMemoryRegion2::default()
    }
}

/// A native-endian u64 from 8 bytes (shorter input reads as zero-padded).
fn ne_u64(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    let n = b.len().min(8);
    w[..n].copy_from_slice(&b[..n]);
    u64::from_ne_bytes(w)
}

/// A native-endian u32 from 4 bytes (shorter input reads as zero-padded).
fn ne_u32(b: &[u8]) -> u32 {
    let mut w = [0u8; 4];
    let n = b.len().min(4);
    w[..n].copy_from_slice(&b[..n]);
    u32::from_ne_bytes(w)
}

/// Extra words for a trace line.
#[derive(Debug, Clone, Copy)]
enum Note {
    None,
    Unsupported(&'static str),
    /// The request is one the model does not cover yet.
    NotModelled,
    Injected,
    NewVm(u32, bool),
    NewVcpu(u32, u32),
    Exit(u64),
    Translated(u64, bool),
    /// A run's exit, the PSW address after it, and the instructions the
    /// run executed.
    Run(RunExit, u64, u64),
}

/// Where the SIE page starts in a vcpu's shared pages.
const SIE_PAGE: usize = VCPU_PAGE_SIZE as usize;

/// Writes an SIE intercept exit into `kvm_run` and the SIE block.
fn write_sieic(pages: &SharedPages, icptcode: u8, ipa: u16, ipb: u32) {
    pages.write_u8(RUN_SIEIC_ICPTCODE, icptcode);
    pages.write_u16(RUN_SIEIC_IPA, ipa);
    pages.write_u32(RUN_SIEIC_IPB, ipb);
    pages.write_u8(SIE_PAGE + SIE_ICPTCODE, icptcode);
    pages.write_u16(SIE_PAGE + SIE_IPA, ipa);
    pages.write_u32(SIE_PAGE + SIE_IPB, ipb);
    pages.write_u32(offset_of!(KvmRun, exit_reason), KVM_EXIT_S390_SIEIC);
}

/// Byte offset of the sync-regs prefix in `kvm_run`.
const RUN_SYNC_PREFIX: usize = offset_of!(KvmRun, sync) + offset_of!(SyncRegs, prefix);

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::None => Ok(()),
            Self::Unsupported(why) => write!(f, " ({why})"),
            Self::NotModelled => f.write_str(" (not modelled)"),
            Self::Injected => f.write_str(" (injected by --enomem-after)"),
            Self::NewVm(vm, true) => write!(f, " (vm{vm}, ucontrol)"),
            Self::NewVm(vm, false) => write!(f, " (vm{vm}, regular)"),
            Self::NewVcpu(vm, id) => write!(f, " (vm{vm}/vcpu{id})"),
            Self::Exit(t) => write!(
                f,
                " (kvm_run: exit_reason={KVM_EXIT_S390_UCONTROL} trans_exc_code={t:#x} pgm_code={PGM_SEGMENT_TRANSLATION:#x})"
            ),
            Self::Translated(u, true) => write!(f, " (user {u:#x})"),
            Self::Translated(u, false) => write!(f, " (user {u:#x}: no memory there)"),
            Self::Run(exit, psw, executed) => {
                match exit {
                    RunExit::Ucontrol {
                        trans_exc_code,
                        why,
                    } => write!(
                        f,
                        " (ucontrol exit: trans_exc_code={trans_exc_code:#x} pgm_code={PGM_SEGMENT_TRANSLATION:#x}, {why}"
                    )?,
                    RunExit::Sieic { icptcode, ipa, ipb } => write!(
                        f,
                        " (SIEIC exit: icptcode={icptcode:#x} ipa={ipa:#06x} ipb={ipb:#010x}"
                    )?,
                    RunExit::ProgramIntercept { code, ilen } => write!(
                        f,
                        " (SIEIC exit: icptcode={ICPT_PROGI:#x}, program interruption code={code:#06x} ilen={ilen}"
                    )?,
                    RunExit::Efault { addr, why } => {
                        write!(f, " (vcpu address {addr:#x}: {why}")?;
                    }
                    RunExit::Interrupted => write!(
                        f,
                        " (exit_reason={KVM_EXIT_INTR}: immediate_exit or {} instructions without an exit",
                        guest::BUDGET
                    )?,
                }
                write!(f, "; psw_addr={psw:#x}, {executed} instructions)")
            }
        }
    }
}
