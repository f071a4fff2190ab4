//! `KVM_IRQFD` and `KVM_IOEVENTFD` on a VM fd: eventfds attached to an
//! interrupt route or to an I/O address (table V1 of `KERNEL-INTERFACE.md`;
//! generic `virt/kvm/eventfd.c`, which s390 builds without arch hooks).
//!
//! Neither has a ucontrol check, so both VM kinds answer alike. What they
//! attach never fires on a ucontrol VM: its GSI routes cannot be adapter
//! routes (the only kind s390 accepts, refused on ucontrol since 6.13), and
//! every `DIAG 0x500` (the only in-kernel writer of the virtio-ccw
//! notification bus) is an intercept for userspace. The model keeps the
//! attachments for their errnos only.
//!
//! `KVM_IRQFD`, in the kernel's order: flags other than `DEASSIGN` and
//! `RESAMPLE` → EINVAL. Detach: fd not open → EBADF, not an eventfd →
//! EINVAL; every irqfd of this VM with that eventfd and gsi goes; 0 even
//! when none matched. Attach: fd EBADF / EINVAL, then (with `RESAMPLE`) the
//! same for `resamplefd`, then an eventfd already attached → EBUSY: by an
//! irqfd of this VM in generations A and B (6.8, 6.14: the list scan),
//! of any VM in C (6.17 on: the eventfd's exclusive priority waiter). No
//! gsi check; `pad` is not looked at.
//!
//! `KVM_IOEVENTFD`: detach checks nothing but the eventfd (EBADF, EINVAL),
//! then removes the registration on the flags' bus with the same eventfd,
//! address, length and datamatch (or wildcard), ENOENT if none. Attach:
//! length not 0/1/2/4/8, address + length wrapping, flags outside the
//! kernel's valid mask (0x1f: bit 4, fast MMIO, has no macro and is
//! accepted), length 0 with `DATAMATCH` — all EINVAL; then the eventfd;
//! then a registration on the same bus at the same address that
//! collides (either length 0, or equal lengths with either a wildcard or
//! equal datamatch) → EEXIST. The bus is PIO if that flag is set, else
//! virtio-ccw if that one is, else MMIO: all three exist on s390.
//!
//! Differences: an eventfd is known by its `eventfd-id` (fdinfo) and the
//! supervisor keeps the file open while it is attached (so the id cannot
//! pass to a new eventfd); the kernel drops an irqfd when the eventfd's
//! last reference goes, the model only on detach or with its VM. A
//! signalled eventfd keeps its count (generations B and C consume it in
//! the irqfd's wake-up). At most [`ATTACHED_MAX`] attachments per VM
//! (the next: ENOMEM, as from a kernel out of memory).

use ucas_core::abi::{
    Ioeventfd, Irqfd, KVM_IOEVENTFD_FLAG_DATAMATCH, KVM_IOEVENTFD_FLAG_DEASSIGN,
    KVM_IOEVENTFD_FLAG_PIO, KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY, KVM_IRQFD_FLAG_DEASSIGN,
    KVM_IRQFD_FLAG_RESAMPLE,
};
use ucas_core::{Errno, Generation};

/// The most irqfds plus ioeventfds one VM keeps.
pub const ATTACHED_MAX: usize = 1024;

/// `KVM_IOEVENTFD_VALID_FLAG_MASK`: five flag bits.
const IOEVENTFD_VALID: u32 = (1 << 5) - 1;

/// What a file descriptor of the caller is, as the kernel's
/// `eventfd_ctx_fdget` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventfdRef {
    /// Not open: EBADF.
    NotOpen,
    /// Open, but not an eventfd: EINVAL.
    NotEventfd,
    /// The eventfd with this id.
    Eventfd(u64),
}

impl EventfdRef {
    fn id(self) -> Result<u64, Errno> {
        match self {
            Self::NotOpen => Err(Errno::BADF),
            Self::NotEventfd => Err(Errno::INVAL),
            Self::Eventfd(id) => Ok(id),
        }
    }
}

/// The three I/O buses an ioeventfd can be on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bus {
    Mmio,
    Pio,
    CcwNotify,
}

impl Bus {
    fn of(flags: u32) -> Self {
        if flags & KVM_IOEVENTFD_FLAG_PIO != 0 {
            Self::Pio
        } else if flags & KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY != 0 {
            Self::CcwNotify
        } else {
            Self::Mmio
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Attached {
    eventfd: u64,
    gsi: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Registered {
    bus: Bus,
    addr: u64,
    len: u32,
    /// `None`: any value (no `DATAMATCH`).
    datamatch: Option<u64>,
    eventfd: u64,
}

impl Registered {
    /// Whether a new registration `other` on the same bus collides with
    /// this one (the kernel's `ioeventfd_check_collision`).
    fn collides(&self, other: &Self) -> bool {
        self.bus == other.bus
            && self.addr == other.addr
            && (self.len == 0
                || other.len == 0
                || (self.len == other.len
                    && (self.datamatch.is_none()
                        || other.datamatch.is_none()
                        || self.datamatch == other.datamatch)))
    }
}

/// The eventfds attached to one VM.
#[derive(Debug, Default, Clone)]
pub struct Eventfds {
    irqfds: Vec<Attached>,
    ioeventfds: Vec<Registered>,
}

impl Eventfds {
    /// Whether eventfd `id` is attached here.
    #[must_use]
    pub fn uses(&self, id: u64) -> bool {
        self.irqfds.iter().any(|a| a.eventfd == id)
            || self.ioeventfds.iter().any(|r| r.eventfd == id)
    }

    /// Whether eventfd `id` is attached here as an irqfd.
    #[must_use]
    pub fn has_irqfd(&self, id: u64) -> bool {
        self.irqfds.iter().any(|a| a.eventfd == id)
    }

    fn full(&self) -> bool {
        self.irqfds.len() + self.ioeventfds.len() >= ATTACHED_MAX
    }

    /// `KVM_IRQFD` with `args`, its `fd` and `resamplefd` as found;
    /// `elsewhere` tells whether another VM has the eventfd as an irqfd.
    pub fn irqfd(
        &mut self,
        generation: Generation,
        args: &Irqfd,
        fd: EventfdRef,
        resample: EventfdRef,
        elsewhere: impl Fn(u64) -> bool,
    ) -> Result<i64, Errno> {
        if args.flags & !(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE) != 0 {
            return Err(Errno::INVAL);
        }
        if args.flags & KVM_IRQFD_FLAG_DEASSIGN != 0 {
            let id = fd.id()?;
            self.irqfds
                .retain(|a| !(a.eventfd == id && a.gsi == args.gsi));
            return Ok(0);
        }
        if self.full() {
            return Err(Errno::NOMEM);
        }
        let id = fd.id()?;
        if args.flags & KVM_IRQFD_FLAG_RESAMPLE != 0 {
            resample.id()?;
        }
        let busy = match generation {
            Generation::A | Generation::B => self.has_irqfd(id),
            Generation::C => self.has_irqfd(id) || elsewhere(id),
        };
        if busy {
            return Err(Errno::BUSY);
        }
        self.irqfds.push(Attached {
            eventfd: id,
            gsi: args.gsi,
        });
        Ok(0)
    }

    /// `KVM_IOEVENTFD` with `args` and its `fd` as found.
    pub fn ioeventfd(&mut self, args: &Ioeventfd, fd: EventfdRef) -> Result<i64, Errno> {
        let bus = Bus::of(args.flags);
        let datamatch = (args.flags & KVM_IOEVENTFD_FLAG_DATAMATCH != 0).then_some(args.datamatch);
        if args.flags & KVM_IOEVENTFD_FLAG_DEASSIGN != 0 {
            let id = fd.id()?;
            let wanted = Registered {
                bus,
                addr: args.addr,
                len: args.len,
                datamatch,
                eventfd: id,
            };
            let at = self
                .ioeventfds
                .iter()
                .position(|r| *r == wanted)
                .ok_or(Errno::NOENT)?;
            self.ioeventfds.remove(at);
            return Ok(0);
        }
        if !matches!(args.len, 0 | 1 | 2 | 4 | 8)
            || args.addr.checked_add(u64::from(args.len)).is_none()
            || args.flags & !IOEVENTFD_VALID != 0
            || (args.len == 0 && datamatch.is_some())
        {
            return Err(Errno::INVAL);
        }
        let id = fd.id()?;
        if self.full() {
            return Err(Errno::NOMEM);
        }
        let new = Registered {
            bus,
            addr: args.addr,
            len: args.len,
            datamatch,
            eventfd: id,
        };
        if self.ioeventfds.iter().any(|r| r.collides(&new)) {
            return Err(Errno::EXIST);
        }
        self.ioeventfds.push(new);
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn irqfd(fd: u32, gsi: u32, flags: u32) -> Irqfd {
        Irqfd {
            fd,
            gsi,
            flags,
            ..Irqfd::default()
        }
    }

    fn io(addr: u64, len: u32, flags: u32, datamatch: u64) -> Ioeventfd {
        Ioeventfd {
            datamatch,
            addr,
            len,
            flags,
            ..Ioeventfd::default()
        }
    }

    const E1: EventfdRef = EventfdRef::Eventfd(1);
    const E2: EventfdRef = EventfdRef::Eventfd(2);
    const NONE: EventfdRef = EventfdRef::NotOpen;
    const DEASSIGN: u32 = KVM_IRQFD_FLAG_DEASSIGN;
    const RESAMPLE: u32 = KVM_IRQFD_FLAG_RESAMPLE;

    #[test]
    fn irqfd_checks_in_the_kernels_order() {
        let mut e = Eventfds::default();
        let g = Generation::C;
        let no = |_| false;
        // Flags first, whatever the fds.
        assert_eq!(
            e.irqfd(g, &irqfd(0, 0, 4), NONE, NONE, no),
            Err(Errno::INVAL)
        );
        assert_eq!(
            e.irqfd(g, &irqfd(0, 0, 0), NONE, NONE, no),
            Err(Errno::BADF)
        );
        let not = EventfdRef::NotEventfd;
        assert_eq!(
            e.irqfd(g, &irqfd(0, 0, 0), not, NONE, no),
            Err(Errno::INVAL)
        );
        // The resample fd counts only with RESAMPLE.
        assert_eq!(
            e.irqfd(g, &irqfd(0, 0, RESAMPLE), E1, NONE, no),
            Err(Errno::BADF)
        );
        assert_eq!(e.irqfd(g, &irqfd(0, 0, 0), E1, NONE, no), Ok(0));
        // Once attached (any gsi): EBUSY, after the fd checks.
        assert_eq!(e.irqfd(g, &irqfd(0, 9, 0), E1, NONE, no), Err(Errno::BUSY));
        assert_eq!(
            e.irqfd(g, &irqfd(0, 9, RESAMPLE), E1, NONE, no),
            Err(Errno::BADF)
        );
        // Detach: another gsi matches nothing and is still 0.
        assert_eq!(e.irqfd(g, &irqfd(0, 9, DEASSIGN), E1, NONE, no), Ok(0));
        assert!(e.has_irqfd(1));
        assert_eq!(
            e.irqfd(g, &irqfd(0, 0, DEASSIGN | RESAMPLE), E1, NONE, no),
            Ok(0)
        );
        assert!(!e.has_irqfd(1));
        assert_eq!(
            e.irqfd(g, &irqfd(0, 0, DEASSIGN), NONE, NONE, no),
            Err(Errno::BADF)
        );
        assert_eq!(e.irqfd(g, &irqfd(0, 0, 0), E1, E2, no), Ok(0));
    }

    #[test]
    fn irqfd_of_another_vm_is_busy_only_in_c() {
        let other = |id| id == 1;
        for (g, want) in [
            (Generation::A, Ok(0)),
            (Generation::B, Ok(0)),
            (Generation::C, Err(Errno::BUSY)),
        ] {
            let mut e = Eventfds::default();
            assert_eq!(e.irqfd(g, &irqfd(0, 0, 0), E1, NONE, other), want, "{g:?}");
        }
    }

    #[test]
    fn ioeventfd_checks_collisions_and_detaches() {
        let mut e = Eventfds::default();
        let dm = KVM_IOEVENTFD_FLAG_DATAMATCH;
        let ccw = KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY;
        let pio = KVM_IOEVENTFD_FLAG_PIO;
        let de = KVM_IOEVENTFD_FLAG_DEASSIGN;
        // Length, wrap, flags, length 0 with datamatch: before the fd.
        assert_eq!(e.ioeventfd(&io(0, 3, 0, 0), NONE), Err(Errno::INVAL));
        assert_eq!(e.ioeventfd(&io(u64::MAX, 2, 0, 0), NONE), Err(Errno::INVAL));
        assert_eq!(e.ioeventfd(&io(0, 8, 0x20, 0), NONE), Err(Errno::INVAL));
        assert_eq!(e.ioeventfd(&io(0, 0, dm, 0), NONE), Err(Errno::INVAL));
        assert_eq!(e.ioeventfd(&io(0, 8, 0x10, 0), NONE), Err(Errno::BADF));
        // Datamatch 1 and 2 coexist; a wildcard collides with both.
        assert_eq!(e.ioeventfd(&io(0x40, 8, ccw | dm, 1), E1), Ok(0));
        assert_eq!(e.ioeventfd(&io(0x40, 8, ccw | dm, 2), E1), Ok(0));
        assert_eq!(e.ioeventfd(&io(0x40, 8, ccw, 0), E2), Err(Errno::EXIST));
        assert_eq!(e.ioeventfd(&io(0x40, 0, ccw, 0), E2), Err(Errno::EXIST));
        // Another length, another bus: no collision.
        assert_eq!(e.ioeventfd(&io(0x40, 4, ccw, 0), E2), Ok(0));
        assert_eq!(e.ioeventfd(&io(0x40, 0, pio | ccw, 0), E2), Ok(0));
        assert_eq!(e.ioeventfd(&io(0x40, 8, 0, 0), E2), Ok(0));
        // Detach needs the same eventfd and everything else; it checks
        // nothing else (a bad length just matches nothing).
        assert_eq!(
            e.ioeventfd(&io(0x40, 8, ccw | dm | de, 1), E2),
            Err(Errno::NOENT)
        );
        assert_eq!(
            e.ioeventfd(&io(0x40, 3, de | 0x100, 1), E1),
            Err(Errno::NOENT)
        );
        assert_eq!(
            e.ioeventfd(&io(0x40, 8, ccw | dm | de, 1), NONE),
            Err(Errno::BADF)
        );
        assert_eq!(e.ioeventfd(&io(0x40, 8, ccw | dm | de, 1), E1), Ok(0));
        assert_eq!(
            e.ioeventfd(&io(0x40, 8, ccw | dm | de, 1), E1),
            Err(Errno::NOENT)
        );
        assert!(e.uses(1) && e.uses(2));
    }

    #[test]
    fn attachments_are_bounded() {
        let mut e = Eventfds::default();
        for i in 0..ATTACHED_MAX as u64 {
            let r = e.ioeventfd(&io(i * 8, 8, 0, 0), E1);
            assert_eq!(r, Ok(0));
        }
        assert_eq!(
            e.ioeventfd(&io(u64::MAX - 8, 8, 0, 0), E1),
            Err(Errno::NOMEM)
        );
        assert_eq!(
            e.irqfd(Generation::C, &irqfd(0, 0, 0), E2, NONE, |_| false),
            Err(Errno::NOMEM)
        );
    }
}
