//! Which file a tracee's fd number names, without asking `/proc` each time.
//!
//! The supervisor knows an emulated fd by the file behind it (`stat` of
//! `/proc/TID/fd/N`), never by its number. That `stat` is the dearest step
//! of an emulated ioctl (a path walk through procfs with two access
//! checks), so each serving thread remembers the answer per (task id, fd
//! number) and uses it again while nothing can have changed it.
//!
//! What can change it: a number names another file only after the task's
//! fd table changes an occupied slot — `close`, `close_range`, `dup2`,
//! `dup3`, the close-on-exec of `execve`/`execveat` — and a task id names
//! another task only after a `clone`/`clone3`/`fork`/`vfork` (a reused id).
//! Slots that are free can be taken by any call (`open`, `dup`, `accept`,
//! a received fd) without notice, but a remembered slot is never free. The
//! filter notifies each of those calls; the supervisor [notes](FdNumbers::changing)
//! it before letting it through, and from then until the call has
//! [finished](FdNumbers::settle) nothing remembered is used (the kernel
//! carries the call out after the answer, at a moment the supervisor does
//! not see). A call has finished when its task makes its next notified
//! call, when the task is gone, or when `/proc/TID/syscall` shows the task
//! blocked elsewhere; the watching thread looks every tick. Every note and
//! every finish moves an epoch, and a remembered answer counts only in the
//! epoch it was learnt in.
//!
//! The one change the filter cannot see is a `close` submitted through
//! io_uring: a number closed that way is still answered as the emulated
//! file until the next change above (the kernel would answer EBADF). While
//! a task that changed its table stays unsettled (it spins in user space
//! without a notified call, or its `/proc/TID/syscall` is unreadable after
//! a set-uid exec), every lookup pays the `stat` again: slower, never
//! wrong.

use std::collections::HashMap;
use std::io::Read as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::locked;

/// Remembered answers per serving thread at most; the table is cleared
/// when full.
const REMEMBERED_MAX: usize = 512;

/// Tasks whose `/proc/TID/syscall` one [`FdNumbers::settle`] reads at
/// most: a program with thousands of threads in flight costs the watching
/// thread a bounded time per tick.
const SETTLE_CHECKS: usize = 64;

/// What all serving threads share: the epoch and the calls in flight.
#[derive(Debug, Default)]
pub(crate) struct FdNumbers {
    epoch: AtomicU64,
    /// How many entries `unsettled` has (read without its lock).
    count: AtomicUsize,
    /// (task id, system call number) of each table change let through and
    /// not yet known to have finished.
    unsettled: Mutex<Vec<(u32, u32)>>,
}

/// One serving thread's remembered answers: (task id, fd) → (file, epoch).
#[derive(Debug, Default)]
pub(crate) struct Remembered {
    files: HashMap<(u32, u32), ((u64, u64), u64)>,
}

/// A file found for a number, and whether it may be remembered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) file: (u64, u64),
    /// The epoch to remember it in; `None` if it came from memory already
    /// or may not be remembered (a change was in flight).
    learnt_in: Option<u64>,
}

impl FdNumbers {
    /// The file behind `fd` of task `tid`: remembered, or looked up with
    /// `stat` (`None`: no such fd, or the task is gone).
    pub(crate) fn find(&self, mine: &Remembered, tid: u32, fd: u32) -> Option<Found> {
        // Epoch first, then the count: a change counts itself in before it
        // moves the epoch (both before it is let through), so an epoch read
        // before the move is followed by a count that sees it.
        let epoch = self.epoch.load(Ordering::SeqCst);
        let quiet = self.count.load(Ordering::SeqCst) == 0;
        if quiet
            && let Some(&(file, learnt)) = mine.files.get(&(tid, fd))
            && learnt == epoch
        {
            return Some(Found {
                file,
                learnt_in: None,
            });
        }
        let file = file_identity(tid, fd)?;
        Some(Found {
            file,
            learnt_in: quiet.then_some(epoch),
        })
    }

    /// Remembers `found` for `fd` of `tid`, once it has turned out to be an
    /// emulated file (only those are worth remembering).
    pub(crate) fn remember(mine: &mut Remembered, tid: u32, fd: u32, found: Found) {
        let Some(epoch) = found.learnt_in else {
            return;
        };
        if mine.files.len() >= REMEMBERED_MAX {
            mine.files.clear();
        }
        mine.files.insert((tid, fd), (found.file, epoch));
    }

    /// Notes that task `tid` is about to make table change `nr`; call it
    /// before letting the call through.
    pub(crate) fn changing(&self, tid: u32, nr: u32) {
        let mut unsettled = locked(&self.unsettled);
        unsettled.push((tid, nr));
        self.count.store(unsettled.len(), Ordering::SeqCst);
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Task `tid` makes another notified call: its earlier ones have
    /// finished.
    pub(crate) fn called(&self, tid: u32) {
        if self.count.load(Ordering::SeqCst) == 0 {
            return;
        }
        self.settle_where(|&(t, _)| t == tid);
    }

    /// Settles every change whose task is gone or blocked in another call
    /// (the watching thread, each tick).
    /// At most [`SETTLE_CHECKS`] tasks are looked at per call, the oldest
    /// changes first.
    pub(crate) fn settle(&self) {
        if self.count.load(Ordering::SeqCst) == 0 {
            return;
        }
        let checked = std::cell::Cell::new(0usize);
        self.settle_where(|&(tid, nr)| {
            checked.set(checked.get() + 1);
            checked.get() <= SETTLE_CHECKS && !in_call(tid, nr)
        });
    }

    fn settle_where(&self, done: impl Fn(&(u32, u32)) -> bool) {
        let mut unsettled = locked(&self.unsettled);
        let before = unsettled.len();
        unsettled.retain(|c| !done(c));
        if unsettled.len() != before {
            // What was learnt while the change was in flight is stale now.
            self.epoch.fetch_add(1, Ordering::SeqCst);
            self.count.store(unsettled.len(), Ordering::SeqCst);
        }
    }
}

/// Whether task `tid` may still be in system call `nr`: it is blocked in
/// it, running (the kernel does not say where), or cannot be looked at.
fn in_call(tid: u32, nr: u32) -> bool {
    let mut buf = [0u8; 64];
    let Some(path) = crate::supervisor::proc_path(&mut buf, tid, "syscall", None) else {
        return true;
    };
    let mut text = [0u8; 32];
    let read =
        std::fs::File::open(path.to_str().unwrap_or_default()).and_then(|mut f| f.read(&mut text));
    match read {
        // Gone: whatever it was doing has ended.
        Err(e) if matches!(e.raw_os_error(), Some(libc::ESRCH | libc::ENOENT)) => false,
        Err(_) => true,
        Ok(len) => {
            let first = text[..len]
                .split(|&b| b == b' ' || b == b'\n')
                .next()
                .unwrap_or_default();
            // "running", or the number of the call it is blocked in ("-1"
            // outside any).
            first == b"running" || first == nr.to_string().as_bytes()
        }
    }
}

/// The identity (device, inode) of the file behind the tracee's `fd`.
fn file_identity(tid: u32, fd: u32) -> Option<(u64, u64)> {
    let mut buf = [0u8; 64];
    let path = crate::supervisor::proc_path(&mut buf, tid, "fd", Some(u64::from(fd)))?;
    let st = rustix::fs::stat(path).ok()?;
    Some((st.st_dev, st.st_ino))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own_tid() -> u32 {
        rustix::thread::gettid()
            .as_raw_nonzero()
            .get()
            .unsigned_abs()
    }

    #[test]
    fn an_answer_is_used_again_only_in_its_epoch_and_with_no_change_in_flight() {
        let numbers = FdNumbers::default();
        let mut mine = Remembered::default();
        let tid = own_tid();
        let fd = std::fs::File::open("/proc/self/status").unwrap();
        let n = u32::try_from(std::os::fd::AsRawFd::as_raw_fd(&fd)).unwrap();
        let found = numbers.find(&mine, tid, n).expect("an open fd");
        assert!(found.learnt_in.is_some());
        FdNumbers::remember(&mut mine, tid, n, found);
        let again = numbers.find(&mine, tid, n).unwrap();
        assert_eq!(again.learnt_in, None, "answered from memory");
        assert_eq!(again.file, found.file);
        // A change in flight: looked up again, not to be remembered.
        numbers.changing(tid + 1, 3);
        let during = numbers.find(&mine, tid, n).unwrap();
        assert_eq!(during.learnt_in, None);
        FdNumbers::remember(&mut mine, tid, n, during);
        // Its task's next call settles it; the old answer is stale.
        numbers.called(tid + 1);
        let after = numbers.find(&mine, tid, n).unwrap();
        assert!(after.learnt_in.is_some(), "looked up afresh");
        // A closed number is not found.
        drop(fd);
        FdNumbers::remember(&mut mine, tid, n, after);
        numbers.changing(tid, libc::SYS_close as u32);
        numbers.called(tid);
        assert_eq!(numbers.find(&mine, tid, n), None);
    }

    #[test]
    fn a_change_settles_when_its_task_is_elsewhere_or_gone() {
        // A thread that is running (spinning in user space): the kernel
        // does not say where it is, so it is not settled.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let spinning = {
            let stop = std::sync::Arc::clone(&stop);
            std::thread::spawn(move || {
                tid_tx.send(own_tid()).unwrap();
                while !stop.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
        };
        let numbers = FdNumbers::default();
        numbers.changing(tid_rx.recv().unwrap(), libc::SYS_close as u32);
        numbers.settle();
        assert_eq!(numbers.count.load(Ordering::SeqCst), 1);
        stop.store(true, Ordering::Relaxed);
        spinning.join().unwrap();
        // A thread blocked in another call is settled.
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let t = std::thread::spawn(move || {
            tid_tx.send(own_tid()).unwrap();
            let _ = rx.recv();
        });
        let other = tid_rx.recv().unwrap();
        let numbers = FdNumbers::default();
        numbers.changing(other, libc::SYS_close as u32);
        settles(&numbers);
        drop(tx);
        t.join().unwrap();
        // A task that is gone (once its exit, which shows as running, is
        // over) is settled.
        numbers.changing(other, libc::SYS_close as u32);
        settles(&numbers);
    }

    /// Settles `numbers` until nothing is in flight (within 10 s).
    fn settles(numbers: &FdNumbers) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while numbers.count.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
            numbers.settle();
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(numbers.count.load(Ordering::SeqCst), 0);
    }
}
