//! When an emulated VM dies: the kernel destroys a VM, its vcpus and its
//! devices once the last reference goes — the VM fd, every vcpu fd, every
//! device fd, and every mapping of a vcpu's `kvm_run` (a vcpu fd closing
//! alone destroys nothing: the vcpu lives as long as its VM).
//!
//! The supervisor learns this without a system call per close. Each fd it
//! hands a tracee for a VM, vcpu or device is a description it opened
//! itself through `/proc/self/fd` on the object's memfd, and inotify
//! watches that memfd for opens and final closes: the kernel reports
//! `IN_CLOSE_*` when a description's last reference (fd, dup, inherited
//! copy, fd passed to another process, mapping) goes, and `IN_OPEN` when
//! anyone opens another description of the same file. The memfd's own
//! description, which the supervisor keeps mapped, is not reported (the
//! kernel does not notify for memfd files), so the count per file is
//! exactly the tracees' open descriptions.
//!
//! A VM whose files all reach zero is dead. When the count cannot be
//! trusted — no inotify, a watch refused, a queue overflow — the VMs
//! concerned are never destroyed: memory is held longer, but nothing a
//! tracee still uses goes away.

use std::collections::HashMap;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};
use rustix::fs::{Mode, OFlags};

/// The open descriptions of every watched file, and the VM each belongs to.
#[derive(Debug)]
pub(crate) struct Lifetimes {
    /// `None` when inotify is unavailable: nothing is ever destroyed.
    inotify: Option<OwnedFd>,
    /// Watch descriptor → (VM, open descriptions of that file).
    watches: HashMap<i32, (u32, i64)>,
    /// VMs that can never be destroyed (a watch was refused).
    pinned: Vec<u32>,
    /// False after a queue overflow: counts are lost, nothing is destroyed.
    reliable: bool,
}

impl Lifetimes {
    pub(crate) fn new() -> Self {
        Self {
            inotify: inotify::init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK).ok(),
            watches: HashMap::new(),
            pinned: Vec::new(),
            reliable: true,
        }
    }

    /// The fd to poll: readable when there are events to [`drain`](Self::drain).
    pub(crate) fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.inotify.as_ref().map(AsFd::as_fd)
    }

    /// Opens the description a tracee gets for `memfd`, an object of VM
    /// `vm`, and starts counting its file's descriptions. Returns it with
    /// the watch to [`forget`](Self::forget) if the object is rolled back.
    pub(crate) fn tracee_description(
        &mut self,
        memfd: &OwnedFd,
        vm: u32,
    ) -> io::Result<(OwnedFd, Option<i32>)> {
        let path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(memfd));
        let wd = self.inotify.as_ref().and_then(|ino| {
            let flags = WatchFlags::OPEN | WatchFlags::CLOSE;
            inotify::add_watch(ino, path.as_str(), flags).ok()
        });
        match wd {
            // Counted from zero: the open below is reported like any other.
            Some(wd) => {
                self.watches.insert(wd, (vm, 0));
            }
            None => self.pinned.push(vm),
        }
        let opened = rustix::fs::open(path.as_str(), OFlags::RDWR | OFlags::CLOEXEC, Mode::empty());
        match opened {
            Ok(fd) => Ok((fd, wd)),
            Err(e) => {
                self.forget(wd);
                Err(e.into())
            }
        }
    }

    /// Stops counting a file whose object was rolled back; its pending
    /// events are ignored.
    pub(crate) fn forget(&mut self, wd: Option<i32>) {
        if let Some(wd) = wd
            && self.watches.remove(&wd).is_some()
            && let Some(ino) = &self.inotify
        {
            let _ = inotify::remove_watch(ino, wd);
        }
    }

    /// Reads every pending event and appends to `dead` each VM whose files
    /// have no open description left. The dead VMs' watches are removed.
    pub(crate) fn drain(&mut self, dead: &mut Vec<u32>) {
        let Some(ino) = &self.inotify else {
            return;
        };
        let mut buf = [MaybeUninit::<u8>::uninit(); 4096];
        let mut reader = inotify::Reader::new(ino, &mut buf);
        let mut touched: Vec<u32> = Vec::new();
        while let Ok(event) = reader.next() {
            let flags = event.events();
            if flags.contains(ReadFlags::QUEUE_OVERFLOW) {
                self.reliable = false;
                continue;
            }
            let Some((vm, count)) = self.watches.get_mut(&event.wd()) else {
                continue;
            };
            if flags.contains(ReadFlags::OPEN) {
                *count += 1;
            }
            if flags.intersects(ReadFlags::CLOSE_WRITE | ReadFlags::CLOSE_NOWRITE) {
                *count -= 1;
                if !touched.contains(vm) {
                    touched.push(*vm);
                }
            }
        }
        if !self.reliable {
            return;
        }
        for vm in touched {
            let alive =
                self.pinned.contains(&vm) || self.watches.values().any(|&(v, n)| v == vm && n > 0);
            if !alive {
                let wds: Vec<i32> = self
                    .watches
                    .iter()
                    .filter(|&(_, &(v, _))| v == vm)
                    .map(|(&wd, _)| wd)
                    .collect();
                for wd in wds {
                    self.forget(Some(wd));
                }
                dead.push(vm);
            }
        }
    }
}
