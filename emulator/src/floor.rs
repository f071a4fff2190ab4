//! The floor under every emulated call: a seccomp user-notification round
//! trip answered by a supervisor that does nothing else.
//!
//! [`run`] starts a program under the emulator's own filter (the same opens
//! and the same `0xAE` ioctls are notified) and answers with the least the
//! mechanism allows: each notified ioctl gets the value 0 straight after a
//! blocking receive — no `poll`, no fd identity, no memory read, no
//! `ID_VALID` — and each notified open is let through
//! (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`). What an ioctl costs the program
//! under it is what no emulator built on user notification can beat; the
//! benchmarks put every emulated call next to it.
//!
//! The program says goodbye with the ioctl [`END`] (on any fd) when it is
//! done. The serving thread blocks in its receive until then, because the
//! kernel does not wake a receive when the filter's last task exits; a
//! program that ends without the goodbye leaves that thread parked until
//! this process exits. It is a measuring instrument, not a sandbox: run
//! only programs written for it (`ucas-benches` does).

use std::process::{Command, ExitStatus};
use std::thread;

use ucas_core::abi::{KVMIO, io};

use crate::sys::Listener;
use crate::{Error, Result, spawn_filtered};

/// The goodbye: `_IO(KVMIO, 0xFF)`, a KVM-type request number KVM does not
/// use. The floor answers it with 0 and stops serving.
pub const END: u32 = io(KVMIO, 0xFF);

/// How the supervisor is woken when a notification arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WakeUp {
    /// The kernel's default: the supervisor is scheduled like any waker.
    Default,
    /// `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP` (Linux 6.6+): the supervisor
    /// runs on the tracee's CPU, as the emulator asks for.
    Sync,
}

/// Runs `cmd` under the filter and answers its notified calls as described
/// in the [module docs](self); returns its exit status.
///
/// # Errors
/// As [`Emulator::run`](crate::Emulator::run) for starting the program;
/// [`Error::Setup`] when `wake` is [`WakeUp::Sync`] and the kernel refuses
/// the flag (the program is killed), or the serving thread cannot start.
pub fn run(cmd: Command, wake: WakeUp) -> Result<ExitStatus> {
    let (mut child, fd, _killable, first) = spawn_filtered(cmd)?;
    let listener = Listener::new(fd);
    if wake == WakeUp::Sync
        && let Err(e) = listener.set_sync_wake_up()
    {
        let _ = child.kill();
        let _ = child.wait();
        return Err(Error::Setup(e));
    }
    let server = thread::Builder::new()
        .name("ucas-floor".into())
        .spawn(move || {
            if first.is_none_or(|n| !answer(&listener, &n)) {
                serve(&listener);
            }
        });
    if let Err(e) = server {
        let _ = child.kill();
        let _ = child.wait();
        return Err(Error::Setup(e));
    }
    // The thread is not joined: see the module docs.
    child.wait().map_err(Error::Serving)
}

/// Receives and answers until the goodbye or until the listener fails.
fn serve(listener: &Listener) {
    loop {
        let n = match listener.receive() {
            Ok(n) => n,
            // The caller went away between its call and our receive, or a
            // signal interrupted the wait.
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::EINTR)) => continue,
            Err(_) => return,
        };
        if answer(listener, &n) {
            return;
        }
    }
}

/// Answers `n`; true when serving is over (the goodbye, or the listener
/// failed).
fn answer(listener: &Listener, n: &crate::sys::Notification) -> bool {
    let ioctl = i64::from(n.nr) == libc::SYS_ioctl;
    let answered = if ioctl {
        listener.reply_value(n.id, 0)
    } else {
        listener.reply_continue(n.id)
    };
    let end = ioctl && (n.args[1] & u64::from(u32::MAX)) == u64::from(END);
    let failed = matches!(&answered, Err(e) if e.raw_os_error() != Some(libc::ENOENT));
    end || failed
}
