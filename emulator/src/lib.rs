//! `ucas emulate`: run an unmodified program and answer its `/dev/kvm`
//! ucontrol ioctls from a kernel-faithful model, so ucontrol software can be
//! developed and tested on any Linux host (x86_64 included).
//!
//! # How it works
//!
//! The program runs under a seccomp filter with a user-notification
//! listener. The filter asks the supervisor (this process, outside the
//! filter) only about opening files by name and about ioctls whose request
//! type byte is KVM's `0xAE`; everything else runs natively at full speed.
//!
//! - Opening `/dev/kvm` (by any spelling that folds to it, relative to the
//!   caller's working directory or `dirfd`) returns an fd the supervisor
//!   installs. Other paths open normally.
//! - `KVM_CREATE_VM` and `KVM_CREATE_VCPU` return fds too. A vcpu fd is a
//!   memfd of two pages, so the program's own `mmap` at offset 0 (`kvm_run`)
//!   and 4096 (the SIE page) works; the supervisor writes the same pages.
//!   (A regular VM's vcpu has only the `kvm_run` page.)
//! - Emulated fds are recognised per call by open-file identity, so `dup`,
//!   fd reuse and fds inherited by children work. KVM ioctls on any other
//!   fd go to the real kernel. The identity found for a (task, fd number)
//!   is used again until the program makes a call that can change what a
//!   number names (`close`, `close_range`, `dup2`, `dup3`, `execve`,
//!   `execveat`, `clone`, `clone3`, `fork`, `vfork`: the filter notifies
//!   them, so each costs a round trip) and that call has finished. A
//!   `close` through io_uring is not seen: the number answers as the
//!   emulated file until the next such call.
//! - Each vcpu's kernel state is core's `KernelSpace`: the `AddressSpace`
//!   table the library's mirror uses, driven with the rules (and the
//!   failure consequences) of the selected kernel generation.
//! - A VM with its vcpus and devices is destroyed, as in KVM, when the
//!   program holds no fd and no `kvm_run` mapping of it any more (counted
//!   with inotify, see `lifetime.rs`); at most [`LIVE_VCPUS_MAX`] vcpus are
//!   alive at once. `--state-out` still lists destroyed VMs, with what their
//!   vcpus had mapped at the end.
//! - Children and threads of the program are served too. The emulator
//!   returns (and `ucas emulate` exits) once the program *and every
//!   descendant still under the filter* are gone, with the program's exit
//!   status.
//!
//! # Limits
//!
//! - Not a sandbox: paths other than `/dev/kvm` are opened by the kernel on
//!   the program's behalf after the supervisor looked at them, so a program
//!   racing its own memory can open something else. That is harmless here
//!   (the program could open it anyway) but rules out any security use.
//! - Emulated fds are memfds: `read`, `write` and `fstat` on them behave as
//!   on a memfd, not as on KVM's anonymous inodes; their size is sealed, so
//!   `ftruncate` fails with `EPERM` (KVM's fds answer `EINVAL`).
//! - KVM refuses VM and vcpu ioctls (EIO) from a process other than the VM's
//!   creator; the model does not check that, so a forked child may use its
//!   parent's vcpu fds.
//! - Programs using a foreign system-call convention (32-bit x86 on x86_64)
//!   are not emulated: their calls reach the real kernel.
//! - A descendant that never exits keeps the emulator waiting, as with
//!   `strace -f`.
//! - The program cannot turn the emulator against another program image.
//!   Everything the guest of a `KVM_RUN` reads or writes, and every store
//!   into the program's memory (`KVM_GET_DEVICE_ATTR`), goes through the
//!   caller's `/proc/PID/mem`, opened for that call and confirmed with
//!   `SECCOMP_IOCTL_NOTIF_ID_VALID` after the open: it is bound to the
//!   caller's address space, so a thread that execs, or a caller that dies
//!   and whose pid is reused, leaves it pointing at an address space that
//!   refuses every access, and the run ends at its next access (or within
//!   65536 instructions, when the caller is found gone). One-shot reads of
//!   ioctl arguments and paths use `process_vm_readv` and are trusted only
//!   once `ID_VALID` holds after them (a pending caller cannot exec, and
//!   another thread's exec or its death ends the call first).
//! - Guest accesses respect the program's page protections as the MMU
//!   would: every page a load reads must be readable (checked by reading a
//!   byte with `process_vm_readv`), and every page a store writes writable
//!   in `/proc/PID/maps` (the memory handle itself would read `PROT_NONE`
//!   and write read-only pages); else the access
//!   fails as one to missing memory does. A store is all or nothing: every
//!   page it touches is checked before the first byte is written. The map
//!   is read once per run, at its first store (again after a refusal), so
//!   another thread of the program changing its mappings during a run
//!   races with it.
//! - A pool of serving threads serves the calls: one receives at a time and
//!   serves what it receives itself (so a program making one call after
//!   another is served on its own CPU); when the receiver has been inside
//!   one call for a whole tick of 1 ms, another thread (parked, or new; at
//!   most 256) becomes the receiver, so one call that blocks holds up only
//!   its own thread, and the others' calls wait at most about two ticks.
//!   The model is one lock, held for the bookkeeping of a call but not
//!   during a guest's run: vcpus of a
//!   multi-threaded program run in parallel, and a call on another vcpu or
//!   on the VM is served while a run goes on. Calls on a vcpu that is
//!   running wait for the run (as for the kernel's vcpu mutex), except
//!   `KVM_S390_IRQ` and `KVM_S390_INTERRUPT`, which the kernel also serves
//!   without it.
//! - The bound on a program blocking on its own memory (a userfaultfd range
//!   nobody fills, a FUSE mapping whose daemon does not answer): an ioctl's
//!   argument struct (`_IOC_SIZE` bytes) is read before the lock is taken,
//!   a run reads guest memory without it, and so does `KVM_S390_VCPU_FAULT`
//!   when it faults the user page in, so each blocks only the serving
//!   thread of that call (and later calls on the same vcpu, as in the
//!   kernel); every other call is served within about two ticks (the
//!   hand-off above). Not bounded: the
//!   memory an argument points to (a device attribute's data, an irq-state
//!   buffer, a `KVM_GET_ONE_REG` target, routing entries) and the answers
//!   written back are reached with the lock held, so a program that puts
//!   those on memory that blocks stalls the others for as long as it
//!   blocks. A signal that reaches a thread before a serving thread has
//!   received its call ends the call unserved (`EINTR`, or a restart under
//!   `SA_RESTART`: the seccomp rule); once received, only a fatal signal
//!   ends the wait.
//!
//! The model answers as a kernel built with `CONFIG_KVM_S390_UCONTROL`:
//! `KVM_CHECK_EXTENSION(KVM_CAP_S390_UCONTROL)` is 1, and creating a ucontrol
//! VM needs `CAP_SYS_ADMIN` in the caller (EINVAL otherwise, with a hint on
//! stderr).
//!
//! # Guest execution (`KVM_RUN`)
//!
//! `KVM_RUN` on a ucontrol vcpu runs the guest in a small z/Architecture
//! interpreter ([`cpu`], which lists the instructions it knows). Instructions
//! and data are reached through the vcpu's model address space in the
//! program's own memory (big-endian, DAT off, prefixing applied), so the
//! ucontrol loop — run, ucontrol exit, map the segment, run again — works as
//! on the machine:
//!
//! - On entry the PSW is read from `kvm_run` (`psw_mask`, `psw_addr`), the
//!   general registers from the sync regs (on s390 that is where they
//!   live, so `KVM_SYNC_GPRS` in `kvm_dirty_regs` changes nothing), the
//!   prefix when `kvm_dirty_regs` has `KVM_SYNC_PREFIX`; `CPUSTAT_STOPPED` is cleared in the SIE
//!   block. The floating-point registers come from (and go back to)
//!   `s.regs.vrs`, bits 0–63 of VRs 0–15, on every run, as on a machine
//!   with the vector facility. On every exit the PSW, the registers and the
//!   prefix are written back (`kvm_valid_regs` gains `KVM_SYNC_GPRS |
//!   KVM_SYNC_PREFIX | KVM_SYNC_VRS`), also the PSW into the SIE block.
//! - An access to an unmapped vcpu segment: `KVM_RUN` returns 0 with
//!   `KVM_EXIT_S390_UCONTROL`, `trans_exc_code` the address rounded down to
//!   4 KiB, `pgm_code` 0x10; the PSW still points at the instruction and no
//!   register changed.
//! - A mapped segment without user memory behind it: a ucontrol exit on
//!   generation A, `EFAULT` on B and C.
//! - An unmapped prefix segment, before any instruction: `EFAULT` on A and
//!   B, a ucontrol exit at the prefix on C.
//! - DIAGNOSE and the storage-key instructions: `KVM_EXIT_S390_SIEIC` with
//!   icptcode 4 and ipa/ipb (also in the SIE block), PSW past the
//!   instruction. An instruction the interpreter does not know: icptcode
//!   0x2C (operation exception), PSW at the instruction.
//! - Program-interruption conditions go through the guest's lowcore.
//! - After [`RUN_BUDGET`] (one million) instructions without an exit, or
//!   with `immediate_exit` set, `KVM_RUN` fails with `EINTR` and exit reason
//!   `KVM_EXIT_INTR`, as if a signal had arrived; running again continues.
//!   An unblocked signal pending for the calling thread ends the run the
//!   same way, as the kernel's `signal_pending()` check does: it is looked
//!   for (in `/proc/TID/status`) every 65,536 instructions, and delivered
//!   when the call returns.
//!
//! `--trace` shows each `KVM_RUN` with its exit, the PSW address after it
//! and the number of instructions executed; `--trace=insn`
//! ([`Emulator::trace_instructions`]) shows every guest instruction before
//! it executes, disassembled from the interpreter's instruction table
//! ([`cpu::disasm`]), up to [`Emulator::trace_limit`] of them. Whether to
//! trace instructions is asked once per slice of a run, so an untraced run
//! pays nothing per instruction. A regular (non-ucontrol) VM has memory
//! slots (`KVM_SET_USER_MEMORY_REGION`, `..._REGION2`, at most 512 per VM),
//! which `KVM_S390_VCPU_FAULT` and the storage-key ioctls go through, but
//! `KVM_RUN` of its vcpus still answers ENOSYS: the interpreter runs only
//! ucontrol guests.
//!
//! # Kernel generations
//!
//! `--kernel 6.8` (up to 6.13) selects generation A, 6.14–6.19 B, 7.0 and
//! later C; the default is the newest, as 7.0. They differ in map/unmap
//! validation, the consequences of an out-of-memory failure, and what
//! `KVM_S390_VCPU_FAULT` does on an unmapped segment (EFAULT in A; EREMOTE
//! and a ucontrol exit written into `kvm_run` in B and C). Within C,
//! `--kernel 7.1` adds `KVM_CAP_S390_VSIE_ESAMODE` and `7.2` also
//! `KVM_CAP_PRE_FAULT_MEMORY` with its ioctl ([`Emulator::release`]).
//!
//! # `--state-out` format
//!
//! At exit, one line of JSON:
//!
//! ```json
//! {"generation":"C","vms":[
//!   {"vm":0,"ucontrol":true,"vcpus":[
//!     {"id":0,"extents":[{"vcpu_addr":0,"user_addr":140187732541440,"length":4194304}]}]}]}
//! ```
//!
//! - `generation`: `"A"`, `"B"` or `"C"`.
//! - `vms`: every VM created during the run, in creation order (`vm` is that
//!   index), whether or not its fd is still open; `ucontrol` tells its type.
//! - `vcpus`: the VM's vcpus in creation order; `id` is the vcpu id.
//! - `extents`: the vcpu's mapped ranges in vcpu-address order, maximal runs
//!   that are contiguous in both vcpu and user address. Numbers are exact
//!   unsigned 64-bit decimal integers (parse them as integers, not doubles).
//!
//! # Example
//!
//! ```no_run
//! use std::process::Command;
//! use ucas_emulator::{Emulator, Generation};
//!
//! let status = Emulator::new(Generation::B)
//!     .trace(true)
//!     .state_out("/tmp/state.json")
//!     .run(Command::new("./my-ucontrol-tool"))?;
//! assert!(status.success());
//! # Ok::<(), ucas_emulator::Error>(())
//! ```
//!
//! Platform: Linux 5.0+ with seccomp user notification (5.9+ for fd
//! installation in one step, 6.6+ for the fast synchronous wake-up, which is
//! used when available).

pub mod cpu;
mod error;
mod filter;
pub mod floor;
mod guest;
mod lifetime;
mod model;
mod numbers;
mod paths;
pub mod programs;
pub mod state;
mod supervisor;
mod sys;
mod trace;

use std::fmt;
use std::fs::File;
use std::io::{self, Write};

use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};
use ucas_core::Errno;

pub use error::{Error, Result};
pub use guest::BUDGET as RUN_BUDGET;
pub use model::LIVE_VCPUS_MAX;
pub use state::State;
pub use ucas_core::Generation;

use model::Model;
use supervisor::Supervisor;
use sys::{ChildReport, Listener};
use trace::Tracer;

/// Stack of the supervisor thread: the model builds each vcpu's address
/// space (a large fixed-capacity table) before boxing it.
const SUPERVISOR_STACK: usize = 64 << 20;

/// Runs programs under the ucontrol emulator. A builder: set options, then
/// [`run`](Self::run).
pub struct Emulator {
    generation: Generation,
    /// The `(major, minor)` release, if one was named.
    release: Option<(u32, u32)>,
    trace: Option<Box<dyn Write + Send>>,
    traced: trace::Selection,
    enomem_after: Option<u64>,
    state_out: Option<PathBuf>,
    forward_signals: bool,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("generation", &self.generation)
            .field("release", &self.release)
            .field("trace", &self.trace.is_some())
            .field("traced", &self.traced)
            .field("enomem_after", &self.enomem_after)
            .field("state_out", &self.state_out)
            .field("forward_signals", &self.forward_signals)
            .finish()
    }
}

impl Emulator {
    /// An emulator modelling a kernel of `generation`, without trace,
    /// failure injection or state report.
    #[must_use]
    pub fn new(generation: Generation) -> Self {
        Self {
            generation,
            release: None,
            trace: None,
            traced: trace::Selection::default(),
            enomem_after: None,
            state_out: None,
            forward_signals: false,
        }
    }

    /// Models kernel release `major.minor`: its generation
    /// ([`Generation::from_version`]) and what later releases of a
    /// generation added (7.1: `KVM_CAP_S390_VSIE_ESAMODE`; 7.2:
    /// `KVM_CAP_PRE_FAULT_MEMORY` and `KVM_PRE_FAULT_MEMORY`). Without it a
    /// generation stands for 6.8, 6.14 or 7.0. A release before 3.3 (no
    /// ucontrol) keeps the generation and is taken as the generation's.
    #[must_use]
    pub fn release(mut self, major: u32, minor: u32) -> Self {
        if let Some(generation) = Generation::from_version(major, minor) {
            self.generation = generation;
            self.release = Some((major, minor));
        }
        self
    }

    /// Writes one line per emulated call to the trace (stderr unless
    /// [`trace_to`](Self::trace_to) says otherwise), or not.
    #[must_use]
    pub fn trace(mut self, on: bool) -> Self {
        self.traced.calls = on;
        self
    }

    /// Writes one line per guest instruction to the trace, before it
    /// executes (`--trace=insn`): the caller's pid, the address, the
    /// instruction's bytes and its disassembly ([`cpu::disasm`]). Only
    /// the guests of `KVM_RUN` run instruction by instruction in the
    /// emulator, so this is the one place such a trace can come from.
    #[must_use]
    pub fn trace_instructions(mut self, on: bool) -> Self {
        self.traced.instructions = on;
        self
    }

    /// Stops the instruction trace after `n` lines (one more line says
    /// so); `None`, the default, traces every instruction.
    #[must_use]
    pub fn trace_limit(mut self, n: Option<u64>) -> Self {
        self.traced.limit = n;
        self
    }

    /// Writes the trace to `out` instead of stderr, and turns the call
    /// trace on (`.trace(false)` after it keeps only the instruction
    /// trace).
    #[must_use]
    pub fn trace_to(mut self, out: impl Write + Send + 'static) -> Self {
        self.trace = Some(Box::new(out));
        self.traced.calls = true;
        self
    }

    /// After `n` successful segment stores (counted across the run), the
    /// next one fails with ENOMEM, once, with the generation's consequences:
    /// in A and B the whole requested vcpu range ends up unmapped, in C the
    /// segments stored before the failure stay mapped. `None` disables.
    #[must_use]
    pub fn enomem_after(mut self, n: Option<u64>) -> Self {
        self.enomem_after = n;
        self
    }

    /// Writes every vcpu's model address space to `path` as JSON when the
    /// run ends (format in the [module docs](self)).
    #[must_use]
    pub fn state_out(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_out = Some(path.into());
        self
    }

    /// While `cmd` runs, passes SIGTERM, SIGINT and SIGHUP sent to this
    /// process (by `kill`, not by the terminal, which signals `cmd` itself)
    /// on to `cmd`, which decides whether to end, instead of letting them
    /// end this process. The handlers are process-wide, so this is for a
    /// command-line front end (`ucas emulate`) running one program at a time;
    /// the previous dispositions are restored when the run ends.
    #[must_use]
    pub fn forward_signals(mut self, on: bool) -> Self {
        self.forward_signals = on;
        self
    }

    /// Runs `cmd` under the emulator and returns its exit status once it and
    /// all its descendants under the filter have exited.
    ///
    /// # Errors
    ///
    /// - [`Error::StateCreate`]: the state file cannot be created (before
    ///   `cmd` runs); [`Error::StateWrite`]: it cannot be written after `cmd`
    ///   ended (the error carries `cmd`'s status);
    /// - [`Error::Spawn`]: `cmd` cannot be started (not found, not
    ///   executable, …);
    /// - [`Error::Seccomp`], [`Error::NoNewPrivs`]: the kernel refuses the
    ///   seccomp listener or `no_new_privs` (old kernel, kernel without
    ///   `CONFIG_SECCOMP_FILTER`, a container profile forbidding `seccomp`,
    ///   or running under another seccomp supervisor): the message says what
    ///   to change;
    /// - [`Error::Serving`]: the listener fails while serving (the program is
    ///   then killed).
    pub fn run(self, cmd: Command) -> Result<ExitStatus> {
        let mut state_file = match &self.state_out {
            Some(p) => Some(File::create(p).map_err(|source| Error::StateCreate {
                path: p.clone(),
                source,
            })?),
            None => None,
        };
        let (mut child, fd, killable, first) = spawn_filtered(cmd)?;
        let _forwarding = if self.forward_signals {
            match sys::forward_signals_to(child.id()) {
                Ok(guard) => Some(guard),
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(Error::Setup(e));
                }
            }
        } else {
            None
        };
        let listener = Listener::new(fd);
        let sync = listener.set_sync_wake_up();
        let out = if self.traced.calls || self.traced.instructions {
            Some(self.trace.unwrap_or_else(|| Box::new(io::stderr())))
        } else {
            None
        };
        let mut tracer = Tracer::new(out, self.traced);
        if tracer.enabled() {
            tracer.line(
                None,
                format_args!(
                    "modelling kernel generation {}; {}",
                    self.generation,
                    match &sync {
                        Ok(()) => "synchronous wake-up on".to_owned(),
                        Err(e) => format!(
                            "synchronous wake-up refused ({e}), falling back to the default wake-up \
                             (needs Linux 6.6; each emulated call is several times slower)"
                        ),
                    }
                ),
            );
            if !killable {
                tracer.line(
                    None,
                    format_args!(
                        "killable wait refused (needs Linux 5.19): a signal may interrupt an emulated call"
                    ),
                );
            }
        }
        let model = Model::new(self.generation, self.enomem_after);
        let model = match self.release {
            Some((major, minor)) => model.with_release(major, minor),
            None => model,
        };
        let worker = std::thread::Builder::new()
            .name("ucas-emulate".into())
            .stack_size(SUPERVISOR_STACK)
            .spawn(move || {
                let served = Supervisor::new(listener, model, tracer).and_then(|sup| {
                    let sup = std::sync::Arc::new(sup);
                    let status = sup.serve(&mut child, first)?;
                    Ok((status, sup.with_model(|m| state::State::of(m).to_json())))
                });
                if served.is_err() {
                    let _ = child.kill();
                    let _ = child.wait();
                }
                served
            })
            .map_err(Error::Setup)?;
        let served = worker.join().map_err(|_| Error::SupervisorPanicked)?;
        let (status, json) = served.map_err(Error::Serving)?;
        if let (Some(f), Some(p)) = (state_file.as_mut(), &self.state_out) {
            f.write_all(json.as_bytes())
                .map_err(|source| Error::StateWrite {
                    path: p.clone(),
                    source,
                    status,
                })?;
        }
        Ok(status)
    }
}

/// Starts `cmd` under the emulator's seccomp filter and returns it with the
/// filter's listener and whether the filter waits killably.
///
/// Between the filter and the exec, the child makes two notified calls of
/// its own (the `close` of its copy of the listener and the `execve`), and
/// `spawn` returns only once the exec is done (after as many `execve`s as
/// its `PATH` search takes): a greeting thread receives the listener as
/// soon as the child sends it and lets those calls through until `spawn`
/// has returned. A call of any other kind is the new program's own: it is
/// returned unanswered, for the supervisor to serve first.
fn spawn_filtered(
    mut cmd: Command,
) -> Result<(
    std::process::Child,
    OwnedFd,
    bool,
    Option<sys::Notification>,
)> {
    let program = cmd.get_program().to_owned();
    let (ours, theirs) = UnixStream::pair().map_err(Error::Setup)?;
    sys::install_filter_before_exec(&mut cmd, filter::program(), OwnedFd::from(theirs));
    let spawned_flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let greeter = {
        let spawned = std::sync::Arc::clone(&spawned_flag);
        std::thread::Builder::new()
            .name("ucas-greet".into())
            .spawn(move || greet(ours.as_fd(), &spawned))
            .map_err(Error::Setup)?
    };
    let spawned = cmd.spawn();
    // Closes our copy of the child's end, held by the hook: a hook that
    // never ran leaves the greeter an empty socket.
    drop(cmd);
    spawned_flag.store(true, std::sync::atomic::Ordering::SeqCst);
    let (report, first) = greeter
        .join()
        .unwrap_or_else(|_| Err(std::io::Error::other("the greeting thread failed")))
        .map_err(Error::Setup)?;
    let mut child = spawned.map_err(|source| match report {
        ChildReport::SeccompFailed(errno) => Error::Seccomp(Errno::from_raw_os_error(errno)),
        ChildReport::NoNewPrivsFailed(errno) => Error::NoNewPrivs(Errno::from_raw_os_error(errno)),
        _ => Error::Spawn { program, source },
    })?;
    let ChildReport::Listener { fd, killable } = report else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(Error::NoListener);
    };
    Ok((child, fd, killable, first))
}

/// The greeting thread of [`spawn_filtered`]: waits for the child's report
/// and, given the listener, lets the fd-table and exec calls through until
/// `spawn` has returned or the child is gone; any other call is returned.
fn greet(
    sock: std::os::fd::BorrowedFd<'_>,
    spawned: &std::sync::atomic::AtomicBool,
) -> std::io::Result<(ChildReport, Option<sys::Notification>)> {
    let report = sys::receive_report(sock, true)?;
    let ChildReport::Listener { fd, killable } = report else {
        return Ok((report, None));
    };
    let listener = sys::Listener::new(fd);
    let passed = filter::table_changes();
    let mut first = None;
    while !spawned.load(std::sync::atomic::Ordering::SeqCst) {
        let (pending, hangup) = match listener.poll_call(5) {
            Ok(r) => r,
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
            Err(e) => return Err(e),
        };
        if pending {
            match listener.receive() {
                Ok(n) if u32::try_from(n.nr).is_ok_and(|nr| passed.contains(&nr)) => {
                    // Nothing is remembered about fd numbers yet: nothing
                    // to note.
                    let _ = listener.reply_continue(n.id);
                }
                Ok(n) => {
                    first = Some(n);
                    break;
                }
                Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::EINTR)) => {}
                Err(e) => return Err(e),
            }
        } else if hangup {
            break;
        }
    }
    let report = ChildReport::Listener {
        fd: listener.into_fd(),
        killable,
    };
    Ok((report, first))
}

/// Locks `m`; a thread that panicked while holding it left the data as
/// consistent as any call the model refuses halfway (each update is
/// committed last), so the lock stays usable.
pub(crate) fn locked<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
