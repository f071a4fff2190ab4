//! The emulator's system calls: the seccomp filter and its listener, the
//! user-notification ioctls, the tracee's memory, and the supervisor's own
//! mapping of a vcpu's shared pages.
//!
//! This is the only file of the emulator that uses `unsafe`. Every function
//! here is a thin, safe wrapper that checks what the kernel needs checked
//! (buffer sizes, zeroed structs, bounds) so the rest of the emulator stays
//! safe code.
#![allow(unsafe_code)]

use ucas_core::Errno;

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::mem::size_of;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::ptr::NonNull;

/// `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP`: wake the supervisor on the tracee's
/// CPU. Not named by older headers; the number is stable ABI (Linux 6.6).
const SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: u64 = 1;

/// One syscall a tracee is blocked in, waiting for the supervisor's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Notification {
    /// The kernel's cookie for this notification.
    pub id: u64,
    /// The calling thread's id, in the supervisor's pid namespace.
    pub pid: u32,
    /// The system call number.
    pub nr: i32,
    /// The `AUDIT_ARCH_*` value of the calling convention.
    pub arch: u32,
    /// The raw system call arguments.
    pub args: [u64; 6],
}

/// How the child reports the outcome of installing its filter: one status
/// byte, the errno of a failure, and (on success) the listener fd.
const REPORT_LEN: usize = 5;
/// Report: the filter is installed and waits killably once received.
const REPORT_OK_KILLABLE: u8 = b'K';
/// Report: the filter is installed, without `WAIT_KILLABLE_RECV`.
const REPORT_OK: u8 = b'N';
/// Report: `seccomp(SECCOMP_SET_MODE_FILTER)` failed.
const REPORT_SECCOMP_FAILED: u8 = b'S';
/// Report: `prctl(PR_SET_NO_NEW_PRIVS)` failed.
const REPORT_NNP_FAILED: u8 = b'P';

/// What the child said about installing its filter.
#[derive(Debug)]
pub(crate) enum ChildReport {
    /// The filter is in place; here is its listener.
    Listener {
        /// The notification fd.
        fd: OwnedFd,
        /// Whether the filter uses `SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV`.
        killable: bool,
    },
    /// `seccomp()` was refused with this errno.
    SeccompFailed(i32),
    /// `prctl(PR_SET_NO_NEW_PRIVS)` was refused with this errno.
    NoNewPrivsFailed(i32),
    /// The child sent nothing (it failed before running the hook, or exec
    /// failed after it).
    Nothing,
}

/// Arranges for `cmd`'s child to install `filter` with a new listener just
/// before exec, and to send the listener (and a status report) over
/// `report_to`, the child's end of a `SOCK_STREAM` Unix socket pair.
///
/// The hook runs between fork and exec and therefore allocates nothing: the
/// filter is built beforehand and only read there.
pub(crate) fn install_filter_before_exec(
    cmd: &mut Command,
    filter: Vec<libc::sock_filter>,
    report_to: OwnedFd,
) {
    // The process that forks: the child checks it still has this parent.
    let parent = rustix::process::getpid();
    let hook = move || -> io::Result<()> {
        die_with_parent(parent)?;
        let sock = report_to.as_fd();
        match install_filter(&filter) {
            Ok((listener, killable)) => {
                let status = if killable {
                    REPORT_OK_KILLABLE
                } else {
                    REPORT_OK
                };
                let sent = send_report(sock, status, 0, Some(listener.as_fd()));
                drop(listener);
                sent
            }
            Err((status, err)) => {
                let errno = err.raw_os_error().unwrap_or(libc::EINVAL);
                // Best effort: the parent falls back to spawn's own error.
                let _ = send_report(sock, status, errno, None);
                Err(err)
            }
        }
    };
    // SAFETY: the hook runs in the forked child before exec. It only makes
    // async-signal-safe system calls (prctl, getppid, seccomp, sendmsg,
    // close) on data prepared before the fork, and allocates nothing: the
    // filter vector is only read, and `io::Error::last_os_error`/`from_raw_os_error` build the
    // non-allocating OS variant.
    unsafe {
        cmd.pre_exec(hook);
    }
}

/// Asks for SIGKILL when the parent dies, so that a killed supervisor does
/// not leave the program running without one. The signal comes when the
/// forking thread ends, which waits for the program. If the parent died
/// before the request, nothing would come: the child is then an orphan
/// already, so it gives up.
fn die_with_parent(parent: rustix::process::Pid) -> io::Result<()> {
    rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))?;
    if rustix::process::getppid() != Some(parent) {
        return Err(io::Error::from_raw_os_error(libc::ESRCH));
    }
    Ok(())
}

/// Installs the filter on the calling (single-threaded, forked) process.
/// Returns the listener and whether the killable-wait flag was accepted.
fn install_filter(filter: &[libc::sock_filter]) -> Result<(OwnedFd, bool), (u8, io::Error)> {
    let len = u16::try_from(filter.len()).map_err(|_| {
        (
            REPORT_SECCOMP_FAILED,
            io::Error::from_raw_os_error(libc::E2BIG),
        )
    })?;
    let prog = libc::sock_fprog {
        len,
        filter: filter.as_ptr().cast_mut(),
    };
    let base = libc::SECCOMP_FILTER_FLAG_NEW_LISTENER;
    let mut flags = base | libc::SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    let mut set_nnp = false;
    loop {
        match seccomp_set_filter(flags, &prog) {
            Ok(fd) => return Ok((fd, flags != base)),
            // Linux before 5.19 does not know the killable wait.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) && flags != base => flags = base,
            // Without CAP_SYS_ADMIN a filter needs no_new_privs. With it we
            // leave the flag alone so setuid programs keep working.
            Err(e) if e.raw_os_error() == Some(libc::EACCES) && !set_nnp => {
                set_nnp = true;
                set_no_new_privs().map_err(|e| (REPORT_NNP_FAILED, e))?;
            }
            Err(e) => return Err((REPORT_SECCOMP_FAILED, e)),
        }
    }
}

fn seccomp_set_filter(flags: libc::c_ulong, prog: &libc::sock_fprog) -> io::Result<OwnedFd> {
    // SAFETY: `prog` points to a valid `sock_fprog` whose `filter` points to
    // `len` valid instructions; the kernel copies them before returning.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            flags,
            std::ptr::from_ref(prog),
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = RawFd::try_from(ret).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?;
    // SAFETY: with NEW_LISTENER, a successful seccomp() returns a new fd that
    // nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn set_no_new_privs() -> io::Result<()> {
    // SAFETY: PR_SET_NO_NEW_PRIVS takes plain integers and touches no memory.
    let ret = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn send_report(
    sock: BorrowedFd<'_>,
    status: u8,
    errno: i32,
    fd: Option<BorrowedFd<'_>>,
) -> io::Result<()> {
    use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags, sendmsg};
    let mut payload = [0u8; REPORT_LEN];
    payload[0] = status;
    payload[1..].copy_from_slice(&errno.to_ne_bytes());
    // A stack buffer: this runs between fork and exec and must not allocate.
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    let fds;
    if let Some(fd) = fd {
        fds = [fd];
        if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
    }
    sendmsg(
        sock,
        &[IoSlice::new(&payload)],
        &mut control,
        SendFlags::NOSIGNAL,
    )?;
    Ok(())
}

/// Reads the child's report from the parent's end of the socket pair.
/// `wait` selects a blocking read; otherwise only an already-sent report is
/// read.
pub(crate) fn receive_report(sock: BorrowedFd<'_>, wait: bool) -> io::Result<ChildReport> {
    use rustix::io::Errno;
    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, recvmsg};
    let mut payload = [0u8; REPORT_LEN];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut flags = RecvFlags::CMSG_CLOEXEC;
    if !wait {
        flags |= RecvFlags::DONTWAIT;
    }
    let n = loop {
        match recvmsg(
            sock,
            &mut [IoSliceMut::new(&mut payload)],
            &mut control,
            flags,
        ) {
            Ok(msg) => break msg.bytes,
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => return Ok(ChildReport::Nothing),
            Err(e) => return Err(e.into()),
        }
    };
    let mut received: Option<OwnedFd> = None;
    for message in control.drain() {
        if let RecvAncillaryMessage::ScmRights(fds) = message {
            // The child sends exactly one fd; any extra is closed on drop.
            for fd in fds {
                received.get_or_insert(fd);
            }
        }
    }
    if n != REPORT_LEN {
        return Ok(ChildReport::Nothing);
    }
    let errno = i32::from_ne_bytes([payload[1], payload[2], payload[3], payload[4]]);
    Ok(match (payload[0], received) {
        (REPORT_OK_KILLABLE, Some(fd)) => ChildReport::Listener { fd, killable: true },
        (REPORT_OK, Some(fd)) => ChildReport::Listener {
            fd,
            killable: false,
        },
        (REPORT_SECCOMP_FAILED, _) => ChildReport::SeccompFailed(errno),
        (REPORT_NNP_FAILED, _) => ChildReport::NoNewPrivsFailed(errno),
        _ => ChildReport::Nothing,
    })
}

/// The supervisor's end of a seccomp filter: the notification fd.
#[derive(Debug)]
pub(crate) struct Listener {
    fd: OwnedFd,
}

/// What a wait on the listener found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Ready {
    /// No task uses the filter any more.
    pub hangup: bool,
    /// The watched process has exited.
    pub exited: bool,
    /// The watched event fd is readable.
    pub events: bool,
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

impl Listener {
    /// Wraps a listener fd received from the child.
    pub(crate) fn new(fd: OwnedFd) -> Self {
        Self { fd }
    }

    /// Asks the kernel to wake the supervisor on the tracee's CPU
    /// (`SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP`, Linux 6.6+).
    pub(crate) fn set_sync_wake_up(&self) -> io::Result<()> {
        // SAFETY: SET_FLAGS takes its flags by value and touches no memory.
        let ret = unsafe {
            libc::ioctl(
                self.fd.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_SET_FLAGS,
                SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP,
            )
        };
        check(ret).map(drop)
    }

    /// Waits until every tracee is gone (the listener hangs up), `process`
    /// (a pidfd) exits, `events` becomes readable, or `timeout` passes.
    /// Notifications do not end the wait: the serving threads receive them
    /// (asking for no event keeps this poll off their wake-ups). Three fds
    /// at most, so that the wait works with the fd limit down to 3. EINTR
    /// is returned as an error.
    pub(crate) fn wait(
        &self,
        process: Option<BorrowedFd<'_>>,
        events: Option<BorrowedFd<'_>>,
        timeout: Option<std::time::Duration>,
    ) -> io::Result<Ready> {
        let mut fds = [
            libc::pollfd {
                fd: self.fd.as_raw_fd(),
                events: 0,
                revents: 0,
            },
            libc::pollfd {
                fd: process.map_or(-1, |p| p.as_raw_fd()),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: events.map_or(-1, |p| p.as_raw_fd()),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let ms = timeout.map_or(-1, |t| {
            libc::c_int::try_from(t.as_millis()).unwrap_or(libc::c_int::MAX)
        });
        // SAFETY: `fds` is a valid array of three pollfd; a negative fd is
        // ignored by poll.
        check(unsafe { libc::poll(fds.as_mut_ptr(), 3, ms) })?;
        Ok(Ready {
            hangup: fds[0].revents & (libc::POLLHUP | libc::POLLERR) != 0,
            exited: fds[1].revents & libc::POLLIN != 0,
            events: fds[2].revents & libc::POLLIN != 0,
        })
    }

    /// Waits up to `timeout_ms` for a notification: (one is pending, no
    /// task uses the filter any more). EINTR is returned as an error.
    pub(crate) fn poll_call(&self, timeout_ms: libc::c_int) -> io::Result<(bool, bool)> {
        let mut fd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: `fd` is one valid pollfd.
        check(unsafe { libc::poll(&raw mut fd, 1, timeout_ms) })?;
        Ok((
            fd.revents & libc::POLLIN != 0,
            fd.revents & (libc::POLLHUP | libc::POLLERR) != 0,
        ))
    }

    /// The notification fd itself.
    pub(crate) fn into_fd(self) -> OwnedFd {
        self.fd
    }

    /// Receives the next notification (blocking if none is pending).
    pub(crate) fn receive(&self) -> io::Result<Notification> {
        // The kernel insists on a zeroed struct.
        let mut raw = libc::seccomp_notif {
            id: 0,
            pid: 0,
            flags: 0,
            data: libc::seccomp_data {
                nr: 0,
                arch: 0,
                instruction_pointer: 0,
                args: [0; 6],
            },
        };
        // SAFETY: RECV writes one `seccomp_notif` to the valid pointer.
        let ret = unsafe {
            libc::ioctl(
                self.fd.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_RECV,
                &raw mut raw,
            )
        };
        check(ret)?;
        Ok(Notification {
            id: raw.id,
            pid: raw.pid,
            nr: raw.data.nr,
            arch: raw.data.arch,
            args: raw.data.args,
        })
    }

    /// Whether the notification is still pending: the tracee has not died
    /// nor been interrupted since it was received. Anything read from the
    /// tracee (memory, `/proc/PID/…`) is only trustworthy if this holds
    /// afterwards, because a dead tracee's pid can be reused.
    pub(crate) fn is_valid(&self, id: u64) -> bool {
        // SAFETY: ID_VALID reads one u64 from the valid pointer.
        let ret = unsafe {
            libc::ioctl(
                self.fd.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_ID_VALID,
                &raw const id,
            )
        };
        ret == 0
    }

    fn send(&self, resp: &libc::seccomp_notif_resp) -> io::Result<()> {
        // SAFETY: SEND reads one `seccomp_notif_resp` from the valid pointer.
        let ret = unsafe {
            libc::ioctl(
                self.fd.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_SEND,
                std::ptr::from_ref(resp),
            )
        };
        check(ret).map(drop)
    }

    /// Completes the syscall with return value `val`.
    pub(crate) fn reply_value(&self, id: u64, val: i64) -> io::Result<()> {
        self.send(&libc::seccomp_notif_resp {
            id,
            val,
            error: 0,
            flags: 0,
        })
    }

    /// Fails the syscall with `errno` (positive).
    pub(crate) fn reply_error(&self, id: u64, errno: Errno) -> io::Result<()> {
        self.send(&libc::seccomp_notif_resp {
            id,
            val: 0,
            error: errno.raw_os_error().wrapping_neg(),
            flags: 0,
        })
    }

    /// Lets the kernel execute the syscall as if there were no filter.
    pub(crate) fn reply_continue(&self, id: u64) -> io::Result<()> {
        self.send(&libc::seccomp_notif_resp {
            id,
            val: 0,
            error: 0,
            flags: libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32,
        })
    }

    /// Installs a duplicate of `fd` in the tracee and completes the syscall
    /// with the new fd number, atomically (`SECCOMP_ADDFD_FLAG_SEND`).
    pub(crate) fn reply_new_fd(
        &self,
        id: u64,
        fd: BorrowedFd<'_>,
        cloexec: bool,
    ) -> io::Result<i32> {
        self.add_fd(id, fd, cloexec, true)
    }

    /// Installs a duplicate of `fd` in the tracee and returns its number,
    /// leaving the syscall pending (for calls that report the fd in their
    /// argument struct and return something else).
    pub(crate) fn install_fd(&self, id: u64, fd: BorrowedFd<'_>, cloexec: bool) -> io::Result<i32> {
        self.add_fd(id, fd, cloexec, false)
    }

    fn add_fd(&self, id: u64, fd: BorrowedFd<'_>, cloexec: bool, send: bool) -> io::Result<i32> {
        let addfd = libc::seccomp_notif_addfd {
            id,
            flags: if send {
                libc::SECCOMP_ADDFD_FLAG_SEND as u32
            } else {
                0
            },
            srcfd: u32::try_from(fd.as_raw_fd())
                .map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?,
            newfd: 0,
            newfd_flags: if cloexec { libc::O_CLOEXEC as u32 } else { 0 },
        };
        // SAFETY: ADDFD reads one `seccomp_notif_addfd` from the valid pointer.
        let ret = unsafe {
            libc::ioctl(
                self.fd.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_ADDFD,
                &raw const addfd,
            )
        };
        check(ret)
    }
}

impl AsFd for Listener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Reads tracee memory at `addr` into `buf` with `process_vm_readv`, which
/// honours the page protections as `copy_from_user` does. Returns how many
/// bytes were read: fewer than asked when the range runs into unreadable
/// memory; an error (EFAULT) when the first byte is unreadable.
///
/// The pid names the caller only while its call is pending: a read is the
/// caller's memory if `SECCOMP_IOCTL_NOTIF_ID_VALID` holds *afterwards*
/// (a pending caller cannot exec, and another thread's exec or its own
/// death ends the call first). Anything that writes, or reads over a long
/// time, uses [`TraceeMemory`] instead.
pub(crate) fn read_tracee(pid: u32, addr: u64, buf: &mut [u8]) -> io::Result<usize> {
    if buf.is_empty() {
        return Ok(0);
    }
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::from_raw_os_error(libc::ESRCH))?;
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        // The address is only interpreted in the tracee.
        iov_base: addr as usize as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: `local` describes `buf`, writable for its whole length; the
    // remote iovec is only dereferenced in the other process, checked by
    // the kernel.
    let n = unsafe { libc::process_vm_readv(pid, &raw const local, 1, &raw const remote, 1, 0) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n.unsigned_abs())
    }
}

/// Formats `/proc/PID/<what>` into `buf` as a C string, without allocating.
fn proc_file<'a>(buf: &'a mut [u8; 48], pid: u32, what: &str) -> io::Result<&'a std::ffi::CStr> {
    use std::io::Write as _;
    let mut cur = io::Cursor::new(&mut buf[..]);
    write!(cur, "/proc/{pid}/{what}\0")?;
    let len =
        usize::try_from(cur.position()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    std::ffi::CStr::from_bytes_with_nul(&buf[..len])
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

fn open_proc(pid: u32, what: &str, mode: rustix::fs::OFlags) -> io::Result<OwnedFd> {
    let mut buf = [0u8; 48];
    let path = proc_file(&mut buf, pid, what)?;
    Ok(rustix::fs::open(
        path,
        mode | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?)
}

/// A tracee's memory through `/proc/PID/mem`. The kernel binds the open
/// file to the address space the process had when it was opened: once that
/// process execs or dies, every access fails (the address space is gone),
/// even if the pid comes to name another program. Whoever opens one checks
/// `SECCOMP_IOCTL_NOTIF_ID_VALID` afterwards, so that it is known to be the
/// caller's.
///
/// Accesses do not honour the page protections (the kernel's `FOLL_FORCE`
/// reads `PROT_NONE` pages and writes read-only ones): every access must be
/// checked against [`TraceeMaps`] first.
#[derive(Debug)]
pub(crate) struct TraceeMemory {
    fd: OwnedFd,
}

impl TraceeMemory {
    /// Opens the memory of `pid` for reading and writing.
    pub(crate) fn open(pid: u32) -> io::Result<Self> {
        let fd = open_proc(pid, "mem", rustix::fs::OFlags::RDWR)?;
        Ok(Self { fd })
    }

    /// Reads tracee memory at `addr` into `buf`. Returns how many bytes were
    /// read: fewer than asked when the range runs into unmapped memory; an
    /// error (EIO) when the first byte is unreadable; 0 once the address
    /// space is gone.
    pub(crate) fn read(&self, addr: u64, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        Ok(rustix::io::pread(&self.fd, buf, addr)?)
    }

    /// Writes `data` into tracee memory at `addr`, whatever the protection
    /// of the pages. Returns how many bytes were written, as [`Self::read`].
    pub(crate) fn write(&self, addr: u64, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        Ok(rustix::io::pwrite(&self.fd, data, addr)?)
    }
}

/// A tracee's `/proc/PID/maps`, bound to the address space at open time
/// like [`TraceeMemory`]: empty once that address space is gone.
#[derive(Debug)]
pub(crate) struct TraceeMaps {
    fd: OwnedFd,
}

impl TraceeMaps {
    /// Opens the memory map of `pid`.
    pub(crate) fn open(pid: u32) -> io::Result<Self> {
        let fd = open_proc(pid, "maps", rustix::fs::OFlags::RDONLY)?;
        Ok(Self { fd })
    }

    /// The whole current text of the map into `out` (replacing what it
    /// held).
    pub(crate) fn read_all(&self, out: &mut Vec<u8>) -> io::Result<()> {
        out.clear();
        let mut chunk = [0u8; 4096];
        loop {
            let at =
                u64::try_from(out.len()).map_err(|_| io::Error::from_raw_os_error(libc::EFBIG))?;
            let n = rustix::io::pread(&self.fd, &mut chunk, at)?;
            if n == 0 {
                return Ok(());
            }
            out.extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
    }
}

/// The supervisor's shared mapping of a vcpu's pages (the memfd the tracee
/// maps as `kvm_run` and SIE page). The tracee may access the same bytes at
/// any time, so every access is a volatile, naturally aligned load or store
/// of one integer: no Rust reference into the mapping ever exists.
#[derive(Debug)]
pub(crate) struct SharedPages {
    ptr: NonNull<u8>,
    len: usize,
}

impl SharedPages {
    /// Maps `len` bytes of `fd` shared, read-write.
    pub(crate) fn map(fd: BorrowedFd<'_>, len: usize) -> io::Result<Self> {
        // SAFETY: a fresh shared mapping chosen by the kernel aliases no Rust
        // object; it is unmapped only in `drop`.
        let ptr = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                len,
                rustix::mm::ProtFlags::READ | rustix::mm::ProtFlags::WRITE,
                rustix::mm::MapFlags::SHARED,
                fd,
                0,
            )
        }?;
        let ptr = NonNull::new(ptr.cast::<u8>())
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOMEM))?;
        Ok(Self { ptr, len })
    }

    fn at<T>(&self, offset: usize) -> *mut T {
        let size = size_of::<T>();
        assert!(
            offset.is_multiple_of(size)
                && offset.checked_add(size).is_some_and(|end| end <= self.len),
            "shared page access out of bounds or misaligned"
        );
        // Cannot leave the mapping: checked just above.
        self.ptr.as_ptr().wrapping_add(offset).cast::<T>()
    }

    /// Stores a native-endian `T` at `offset` (aligned for `T`, in bounds).
    fn store<T: Scalar>(&self, offset: usize, value: T) {
        let p = self.at::<T>(offset);
        // SAFETY: `at` checked that `p` is aligned and inside the mapping,
        // which stays mapped while `self` lives.
        unsafe { p.write_volatile(value) }
    }

    /// Loads a native-endian `T` at `offset` (aligned for `T`, in bounds).
    fn load<T: Scalar>(&self, offset: usize) -> T {
        let p = self.at::<T>(offset);
        // SAFETY: as in `store`; `Scalar` types accept every bit pattern.
        unsafe { p.read_volatile() }
    }

    /// Stores a native-endian u64 at `offset` (8-aligned, in bounds).
    pub(crate) fn write_u64(&self, offset: usize, value: u64) {
        self.store(offset, value);
    }

    /// Stores a native-endian u32 at `offset` (4-aligned, in bounds).
    pub(crate) fn write_u32(&self, offset: usize, value: u32) {
        self.store(offset, value);
    }

    /// Stores a native-endian u16 at `offset` (2-aligned, in bounds).
    pub(crate) fn write_u16(&self, offset: usize, value: u16) {
        self.store(offset, value);
    }

    /// Stores a byte at `offset` (in bounds).
    pub(crate) fn write_u8(&self, offset: usize, value: u8) {
        self.store(offset, value);
    }

    /// Loads a native-endian u64 at `offset` (8-aligned, in bounds).
    pub(crate) fn read_u64(&self, offset: usize) -> u64 {
        self.load(offset)
    }

    /// Loads a native-endian u32 at `offset` (4-aligned, in bounds).
    pub(crate) fn read_u32(&self, offset: usize) -> u32 {
        self.load(offset)
    }

    /// Loads a byte at `offset` (in bounds).
    pub(crate) fn read_u8(&self, offset: usize) -> u8 {
        self.load(offset)
    }
}

// SAFETY: a `SharedPages` is an address and a length; every access through
// it is one volatile load or store of a naturally aligned integer, which the
// tracee may race with anyway (it maps the same bytes). Sharing it between
// the supervisor's threads adds no access the tracee could not make, and the
// mapping lives until the last owner drops it.
unsafe impl Send for SharedPages {}
// SAFETY: as for `Send`: `&SharedPages` only allows those integer accesses.
unsafe impl Sync for SharedPages {}

/// Plain unsigned integers: every bit pattern is a valid value, which is
/// what makes loading one from memory the tracee writes sound.
trait Scalar: Copy {}
impl Scalar for u8 {}
impl Scalar for u16 {}
impl Scalar for u32 {}
impl Scalar for u64 {}

impl Drop for SharedPages {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly the mapping made in `map`, and no
        // pointer into it outlives `self`.
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// The program the forwarding handler passes signals on to; 0 for none.
static FORWARD_TO: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);
/// Its pidfd, -1 when the kernel has none (before Linux 5.3): with one, a
/// signal arriving after the program was reaped cannot reach another
/// process that got its pid.
static FORWARD_PIDFD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

/// The signals [`forward_signals_to`] passes on: the ones that ask a
/// program to end.
const FORWARDED: [libc::c_int; 3] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP];

extern "C" fn forward_signal(
    sig: libc::c_int,
    info: *mut libc::siginfo_t,
    _context: *mut libc::c_void,
) {
    // SAFETY: the kernel passes an SA_SIGINFO handler a valid siginfo.
    let code = unsafe { (*info).si_code };
    // A signal from the kernel (code > 0: Ctrl-C, a hang-up on the
    // terminal) went to the whole foreground process group, the program
    // included; only those sent by a process (kill, sigqueue) are passed on,
    // or the program would get them twice.
    if code > 0 {
        return;
    }
    let sig = match sig {
        libc::SIGINT => rustix::process::Signal::INT,
        libc::SIGHUP => rustix::process::Signal::HUP,
        _ => rustix::process::Signal::TERM,
    };
    // Raw syscalls: async-signal-safe, and errno is left alone.
    let pidfd = FORWARD_PIDFD.load(std::sync::atomic::Ordering::Acquire);
    if pidfd >= 0 {
        // SAFETY: the guard that stored the fd keeps it open until it has
        // restored the old handlers and cleared FORWARD_PIDFD. A handler
        // still running on another thread as it closes it can only make
        // pidfd_send_signal fail (EBADF, or ESRCH for the supervisor's own
        // pidfd of the same, ended, program); the fd is only borrowed for
        // that one call, nothing is read through it.
        let pidfd = unsafe { BorrowedFd::borrow_raw(pidfd) };
        let _ = rustix::process::pidfd_send_signal(pidfd, sig);
    } else if let Some(pid) =
        rustix::process::Pid::from_raw(FORWARD_TO.load(std::sync::atomic::Ordering::Acquire))
    {
        let _ = rustix::process::kill_process(pid, sig);
    }
}

/// While alive, SIGTERM, SIGINT and SIGHUP sent to this process are passed
/// on to the program; dropping it restores the previous dispositions.
pub(crate) struct ForwardSignals {
    old: [Option<libc::sigaction>; 3],
    pidfd: Option<OwnedFd>,
}

impl std::fmt::Debug for ForwardSignals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ForwardSignals")
    }
}

/// Passes SIGTERM, SIGINT and SIGHUP sent to this process on to `pid`
/// until the returned guard is dropped. Process-wide, so one run at a time;
/// a signal this process ignored stays ignored.
pub(crate) fn forward_signals_to(pid: u32) -> io::Result<ForwardSignals> {
    let pid = i32::try_from(pid).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let pidfd = rustix::process::Pid::from_raw(pid).and_then(|pid| {
        rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).ok()
    });
    FORWARD_TO.store(pid, std::sync::atomic::Ordering::Release);
    FORWARD_PIDFD.store(
        pidfd.as_ref().map_or(-1, AsRawFd::as_raw_fd),
        std::sync::atomic::Ordering::Release,
    );
    // SAFETY: sigaction is plain data: all zeroes is a valid value (SIG_DFL,
    // no flags, an empty mask on Linux), filled in below.
    let mut new: libc::sigaction = unsafe { std::mem::zeroed() };
    let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
        forward_signal;
    new.sa_sigaction = handler as libc::sighandler_t;
    // Restarted: the waiting threads need not see EINTR.
    new.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
    let mut guard = ForwardSignals {
        old: [None; 3],
        pidfd,
    };
    for (slot, sig) in guard.old.iter_mut().zip(FORWARDED) {
        let old = sigaction(sig, &new)?;
        if old.sa_sigaction == libc::SIG_IGN {
            sigaction(sig, &old)?;
        } else {
            *slot = Some(old);
        }
    }
    Ok(guard)
}

/// The signal that ends a serving thread's blocking receive: the kernel
/// does not wake `SECCOMP_IOCTL_NOTIF_RECV` when the last tracee goes, so
/// the supervisor interrupts it (the handler does nothing; installed
/// without `SA_RESTART`, the receive fails with EINTR).
fn wake_signal() -> libc::c_int {
    libc::SIGRTMIN() + 3
}

extern "C" fn ignore_wake(_sig: libc::c_int) {}

/// Installs the handler of the wake signal (idempotent, process-wide).
pub(crate) fn install_wake_signal() -> io::Result<()> {
    // SAFETY: sigaction is plain data: all zeroes is a valid value (SIG_DFL,
    // no flags, an empty mask on Linux), filled in below.
    let mut new: libc::sigaction = unsafe { std::mem::zeroed() };
    let handler: extern "C" fn(libc::c_int) = ignore_wake;
    new.sa_sigaction = handler as libc::sighandler_t;
    new.sa_flags = 0;
    sigaction(wake_signal(), &new).map(drop)
}

/// Sends the wake signal to `thread` (which must not have been joined).
pub(crate) fn wake(thread: &std::thread::JoinHandle<()>) {
    use std::os::unix::thread::JoinHandleExt as _;
    // std hands out a u64 on every libc; musl's pthread_t is a pointer.
    #[allow(clippy::unnecessary_cast, trivial_numeric_casts)]
    let id = thread.as_pthread_t() as libc::pthread_t;
    // SAFETY: a thread that has not been joined keeps its pthread_t valid,
    // even after it returned; the signal's handler does nothing.
    let _ = unsafe { libc::pthread_kill(id, wake_signal()) };
}

/// Sets the action for `sig`; returns the previous one.
fn sigaction(sig: libc::c_int, action: &libc::sigaction) -> io::Result<libc::sigaction> {
    let mut old = MaybeUninit::<libc::sigaction>::uninit();
    // SAFETY: `action` is a valid sigaction whose handler, if any, is
    // `forward_signal` (async-signal-safe) or one the process had before;
    // `old` is writable and filled on success.
    check(unsafe { libc::sigaction(sig, action, old.as_mut_ptr()) })?;
    // SAFETY: sigaction succeeded, so it wrote the previous action.
    Ok(unsafe { old.assume_init() })
}

impl Drop for ForwardSignals {
    fn drop(&mut self) {
        for (old, sig) in self.old.iter().zip(FORWARDED) {
            if let Some(old) = old {
                let _ = sigaction(sig, old);
            }
        }
        FORWARD_PIDFD.store(-1, std::sync::atomic::Ordering::Release);
        FORWARD_TO.store(0, std::sync::atomic::Ordering::Release);
        drop(self.pidfd.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;
    use std::process::Stdio;

    /// The start of the first readable mapping in `maps`.
    fn readable(maps: &TraceeMaps) -> u64 {
        let mut text = Vec::new();
        maps.read_all(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        let line = text
            .lines()
            .find(|l| l.split(' ').nth(1).is_some_and(|p| p.starts_with('r')))
            .expect("a readable mapping");
        u64::from_str_radix(line.split('-').next().unwrap(), 16).unwrap()
    }

    fn wait_for_exec(pid: u32, comm: &str) {
        for _ in 0..500 {
            let now = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if now.trim() == comm {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("{pid} did not exec {comm}");
    }

    #[test]
    fn handles_of_a_process_that_execs_or_dies_are_refused() {
        // A shell that execs `sleep` once told to.
        let mut child = Command::new("sh")
            .args(["-c", "read line; exec sleep 30"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let mem = TraceeMemory::open(pid).unwrap();
        let maps = TraceeMaps::open(pid).unwrap();
        let addr = readable(&maps);
        let mut buf = [0u8; 16];
        assert_eq!(mem.read(addr, &mut buf).unwrap(), 16);
        child.stdin.take().unwrap().write_all(b"go\n").unwrap();
        wait_for_exec(pid, "sleep");
        // The pid now names `sleep`; the handles still mean the shell's
        // address space, which is gone.
        assert!(!matches!(mem.read(addr, &mut buf), Ok(n) if n > 0));
        assert!(!matches!(mem.write(addr, &buf), Ok(n) if n > 0));
        let mut text = Vec::new();
        maps.read_all(&mut text).unwrap();
        assert!(text.is_empty(), "{}", String::from_utf8_lossy(&text));
        // A fresh handle is the new image's; once it dies, that too fails.
        let mem = TraceeMemory::open(pid).unwrap();
        let addr = readable(&TraceeMaps::open(pid).unwrap());
        assert_eq!(mem.read(addr, &mut buf).unwrap(), 16);
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!matches!(mem.read(addr, &mut buf), Ok(n) if n > 0));
        assert!(TraceeMemory::open(pid).is_err());
    }
}
