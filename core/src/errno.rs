//! [`Errno`]: the one errno vocabulary of ucas. Core's rules, the shell's
//! errors and the emulator's kernel model all speak it; the system-call
//! modules convert to and from rustix's or libc's spelling at the edge.

use core::fmt;

use linux_raw_sys::errno;

/// A Linux error number, as the kernel returns it (negated) from a system
/// call. The numbers are the same on every architecture ucas supports
/// (x86_64, s390x and the asm-generic set).
///
/// The constant names follow rustix's `Errno` (`Errno::INVAL` is `EINVAL`),
/// so code reads the same on both sides of a conversion.
#[doc(alias = "errno")]
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct Errno(u16);

impl Errno {
    /// The errno of that number (its absolute value: `-22` is `EINVAL` too,
    /// as a raw system call returns it). Linux errnos are below 4096; a
    /// number past `u16::MAX`, which no kernel returns, becomes `u16::MAX`.
    #[must_use]
    pub const fn from_raw_os_error(raw: i32) -> Self {
        Self::new(raw.unsigned_abs())
    }

    /// The positive number (`EINVAL` is 22).
    #[must_use]
    pub fn raw_os_error(self) -> i32 {
        i32::from(self.0)
    }

    /// The C name (`"EINVAL"`), or `None` for a number Linux does not define.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::PERM => "EPERM",
            Self::NOENT => "ENOENT",
            Self::SRCH => "ESRCH",
            Self::INTR => "EINTR",
            Self::IO => "EIO",
            Self::NXIO => "ENXIO",
            Self::TOOBIG => "E2BIG",
            Self::NOEXEC => "ENOEXEC",
            Self::BADF => "EBADF",
            Self::CHILD => "ECHILD",
            Self::AGAIN => "EAGAIN",
            Self::NOMEM => "ENOMEM",
            Self::ACCESS => "EACCES",
            Self::FAULT => "EFAULT",
            Self::NOTBLK => "ENOTBLK",
            Self::BUSY => "EBUSY",
            Self::EXIST => "EEXIST",
            Self::XDEV => "EXDEV",
            Self::NODEV => "ENODEV",
            Self::NOTDIR => "ENOTDIR",
            Self::ISDIR => "EISDIR",
            Self::INVAL => "EINVAL",
            Self::NFILE => "ENFILE",
            Self::MFILE => "EMFILE",
            Self::NOTTY => "ENOTTY",
            Self::TXTBSY => "ETXTBSY",
            Self::FBIG => "EFBIG",
            Self::NOSPC => "ENOSPC",
            Self::SPIPE => "ESPIPE",
            Self::ROFS => "EROFS",
            Self::MLINK => "EMLINK",
            Self::PIPE => "EPIPE",
            Self::DOM => "EDOM",
            Self::RANGE => "ERANGE",
            Self::DEADLK => "EDEADLK",
            Self::NAMETOOLONG => "ENAMETOOLONG",
            Self::NOLCK => "ENOLCK",
            Self::NOSYS => "ENOSYS",
            Self::NOTEMPTY => "ENOTEMPTY",
            Self::LOOP => "ELOOP",
            Self::NOMSG => "ENOMSG",
            Self::IDRM => "EIDRM",
            Self::CHRNG => "ECHRNG",
            Self::L2NSYNC => "EL2NSYNC",
            Self::L3HLT => "EL3HLT",
            Self::L3RST => "EL3RST",
            Self::LNRNG => "ELNRNG",
            Self::UNATCH => "EUNATCH",
            Self::NOCSI => "ENOCSI",
            Self::L2HLT => "EL2HLT",
            Self::BADE => "EBADE",
            Self::BADR => "EBADR",
            Self::XFULL => "EXFULL",
            Self::NOANO => "ENOANO",
            Self::BADRQC => "EBADRQC",
            Self::BADSLT => "EBADSLT",
            Self::BFONT => "EBFONT",
            Self::NOSTR => "ENOSTR",
            Self::NODATA => "ENODATA",
            Self::TIME => "ETIME",
            Self::NOSR => "ENOSR",
            Self::NONET => "ENONET",
            Self::NOPKG => "ENOPKG",
            Self::REMOTE => "EREMOTE",
            Self::NOLINK => "ENOLINK",
            Self::ADV => "EADV",
            Self::SRMNT => "ESRMNT",
            Self::COMM => "ECOMM",
            Self::PROTO => "EPROTO",
            Self::MULTIHOP => "EMULTIHOP",
            Self::DOTDOT => "EDOTDOT",
            Self::BADMSG => "EBADMSG",
            Self::OVERFLOW => "EOVERFLOW",
            Self::NOTUNIQ => "ENOTUNIQ",
            Self::BADFD => "EBADFD",
            Self::REMCHG => "EREMCHG",
            Self::LIBACC => "ELIBACC",
            Self::LIBBAD => "ELIBBAD",
            Self::LIBSCN => "ELIBSCN",
            Self::LIBMAX => "ELIBMAX",
            Self::LIBEXEC => "ELIBEXEC",
            Self::ILSEQ => "EILSEQ",
            Self::RESTART => "ERESTART",
            Self::STRPIPE => "ESTRPIPE",
            Self::USERS => "EUSERS",
            Self::NOTSOCK => "ENOTSOCK",
            Self::DESTADDRREQ => "EDESTADDRREQ",
            Self::MSGSIZE => "EMSGSIZE",
            Self::PROTOTYPE => "EPROTOTYPE",
            Self::NOPROTOOPT => "ENOPROTOOPT",
            Self::PROTONOSUPPORT => "EPROTONOSUPPORT",
            Self::SOCKTNOSUPPORT => "ESOCKTNOSUPPORT",
            Self::OPNOTSUPP => "EOPNOTSUPP",
            Self::PFNOSUPPORT => "EPFNOSUPPORT",
            Self::AFNOSUPPORT => "EAFNOSUPPORT",
            Self::ADDRINUSE => "EADDRINUSE",
            Self::ADDRNOTAVAIL => "EADDRNOTAVAIL",
            Self::NETDOWN => "ENETDOWN",
            Self::NETUNREACH => "ENETUNREACH",
            Self::NETRESET => "ENETRESET",
            Self::CONNABORTED => "ECONNABORTED",
            Self::CONNRESET => "ECONNRESET",
            Self::NOBUFS => "ENOBUFS",
            Self::ISCONN => "EISCONN",
            Self::NOTCONN => "ENOTCONN",
            Self::SHUTDOWN => "ESHUTDOWN",
            Self::TOOMANYREFS => "ETOOMANYREFS",
            Self::TIMEDOUT => "ETIMEDOUT",
            Self::CONNREFUSED => "ECONNREFUSED",
            Self::HOSTDOWN => "EHOSTDOWN",
            Self::HOSTUNREACH => "EHOSTUNREACH",
            Self::ALREADY => "EALREADY",
            Self::INPROGRESS => "EINPROGRESS",
            Self::STALE => "ESTALE",
            Self::UCLEAN => "EUCLEAN",
            Self::NOTNAM => "ENOTNAM",
            Self::NAVAIL => "ENAVAIL",
            Self::ISNAM => "EISNAM",
            Self::REMOTEIO => "EREMOTEIO",
            Self::DQUOT => "EDQUOT",
            Self::NOMEDIUM => "ENOMEDIUM",
            Self::MEDIUMTYPE => "EMEDIUMTYPE",
            Self::CANCELED => "ECANCELED",
            Self::NOKEY => "ENOKEY",
            Self::KEYEXPIRED => "EKEYEXPIRED",
            Self::KEYREVOKED => "EKEYREVOKED",
            Self::KEYREJECTED => "EKEYREJECTED",
            Self::OWNERDEAD => "EOWNERDEAD",
            Self::NOTRECOVERABLE => "ENOTRECOVERABLE",
            Self::RFKILL => "ERFKILL",
            Self::HWPOISON => "EHWPOISON",
            _ => return None,
        })
    }

    const fn new(raw: u32) -> Self {
        if raw > 0xffff {
            return Self(u16::MAX);
        }
        let [lo, hi, ..] = raw.to_le_bytes();
        Self(u16::from_le_bytes([lo, hi]))
    }
}

#[allow(missing_docs)]
impl Errno {
    /// `EPERM`.
    pub const PERM: Self = Self::new(errno::EPERM);
    /// `ENOENT`.
    pub const NOENT: Self = Self::new(errno::ENOENT);
    /// `ESRCH`.
    pub const SRCH: Self = Self::new(errno::ESRCH);
    /// `EINTR`.
    pub const INTR: Self = Self::new(errno::EINTR);
    /// `EIO`.
    pub const IO: Self = Self::new(errno::EIO);
    /// `ENXIO`.
    pub const NXIO: Self = Self::new(errno::ENXIO);
    /// `E2BIG`.
    pub const TOOBIG: Self = Self::new(errno::E2BIG);
    /// `ENOEXEC`.
    pub const NOEXEC: Self = Self::new(errno::ENOEXEC);
    /// `EBADF`.
    pub const BADF: Self = Self::new(errno::EBADF);
    /// `ECHILD`.
    pub const CHILD: Self = Self::new(errno::ECHILD);
    /// `EAGAIN`.
    pub const AGAIN: Self = Self::new(errno::EAGAIN);
    /// `ENOMEM`.
    pub const NOMEM: Self = Self::new(errno::ENOMEM);
    /// `EACCES`.
    pub const ACCESS: Self = Self::new(errno::EACCES);
    /// `EFAULT`.
    pub const FAULT: Self = Self::new(errno::EFAULT);
    /// `ENOTBLK`.
    pub const NOTBLK: Self = Self::new(errno::ENOTBLK);
    /// `EBUSY`.
    pub const BUSY: Self = Self::new(errno::EBUSY);
    /// `EEXIST`.
    pub const EXIST: Self = Self::new(errno::EEXIST);
    /// `EXDEV`.
    pub const XDEV: Self = Self::new(errno::EXDEV);
    /// `ENODEV`.
    pub const NODEV: Self = Self::new(errno::ENODEV);
    /// `ENOTDIR`.
    pub const NOTDIR: Self = Self::new(errno::ENOTDIR);
    /// `EISDIR`.
    pub const ISDIR: Self = Self::new(errno::EISDIR);
    /// `EINVAL`.
    pub const INVAL: Self = Self::new(errno::EINVAL);
    /// `ENFILE`.
    pub const NFILE: Self = Self::new(errno::ENFILE);
    /// `EMFILE`.
    pub const MFILE: Self = Self::new(errno::EMFILE);
    /// `ENOTTY`.
    pub const NOTTY: Self = Self::new(errno::ENOTTY);
    /// `ETXTBSY`.
    pub const TXTBSY: Self = Self::new(errno::ETXTBSY);
    /// `EFBIG`.
    pub const FBIG: Self = Self::new(errno::EFBIG);
    /// `ENOSPC`.
    pub const NOSPC: Self = Self::new(errno::ENOSPC);
    /// `ESPIPE`.
    pub const SPIPE: Self = Self::new(errno::ESPIPE);
    /// `EROFS`.
    pub const ROFS: Self = Self::new(errno::EROFS);
    /// `EMLINK`.
    pub const MLINK: Self = Self::new(errno::EMLINK);
    /// `EPIPE`.
    pub const PIPE: Self = Self::new(errno::EPIPE);
    /// `EDOM`.
    pub const DOM: Self = Self::new(errno::EDOM);
    /// `ERANGE`.
    pub const RANGE: Self = Self::new(errno::ERANGE);
    /// `EDEADLK`.
    pub const DEADLK: Self = Self::new(errno::EDEADLK);
    /// `ENAMETOOLONG`.
    pub const NAMETOOLONG: Self = Self::new(errno::ENAMETOOLONG);
    /// `ENOLCK`.
    pub const NOLCK: Self = Self::new(errno::ENOLCK);
    /// `ENOSYS`.
    pub const NOSYS: Self = Self::new(errno::ENOSYS);
    /// `ENOTEMPTY`.
    pub const NOTEMPTY: Self = Self::new(errno::ENOTEMPTY);
    /// `ELOOP`.
    pub const LOOP: Self = Self::new(errno::ELOOP);
    /// `EWOULDBLOCK`.
    pub const WOULDBLOCK: Self = Self::new(errno::EWOULDBLOCK);
    /// `ENOMSG`.
    pub const NOMSG: Self = Self::new(errno::ENOMSG);
    /// `EIDRM`.
    pub const IDRM: Self = Self::new(errno::EIDRM);
    /// `ECHRNG`.
    pub const CHRNG: Self = Self::new(errno::ECHRNG);
    /// `EL2NSYNC`.
    pub const L2NSYNC: Self = Self::new(errno::EL2NSYNC);
    /// `EL3HLT`.
    pub const L3HLT: Self = Self::new(errno::EL3HLT);
    /// `EL3RST`.
    pub const L3RST: Self = Self::new(errno::EL3RST);
    /// `ELNRNG`.
    pub const LNRNG: Self = Self::new(errno::ELNRNG);
    /// `EUNATCH`.
    pub const UNATCH: Self = Self::new(errno::EUNATCH);
    /// `ENOCSI`.
    pub const NOCSI: Self = Self::new(errno::ENOCSI);
    /// `EL2HLT`.
    pub const L2HLT: Self = Self::new(errno::EL2HLT);
    /// `EBADE`.
    pub const BADE: Self = Self::new(errno::EBADE);
    /// `EBADR`.
    pub const BADR: Self = Self::new(errno::EBADR);
    /// `EXFULL`.
    pub const XFULL: Self = Self::new(errno::EXFULL);
    /// `ENOANO`.
    pub const NOANO: Self = Self::new(errno::ENOANO);
    /// `EBADRQC`.
    pub const BADRQC: Self = Self::new(errno::EBADRQC);
    /// `EBADSLT`.
    pub const BADSLT: Self = Self::new(errno::EBADSLT);
    /// `EDEADLOCK`.
    pub const DEADLOCK: Self = Self::new(errno::EDEADLOCK);
    /// `EBFONT`.
    pub const BFONT: Self = Self::new(errno::EBFONT);
    /// `ENOSTR`.
    pub const NOSTR: Self = Self::new(errno::ENOSTR);
    /// `ENODATA`.
    pub const NODATA: Self = Self::new(errno::ENODATA);
    /// `ETIME`.
    pub const TIME: Self = Self::new(errno::ETIME);
    /// `ENOSR`.
    pub const NOSR: Self = Self::new(errno::ENOSR);
    /// `ENONET`.
    pub const NONET: Self = Self::new(errno::ENONET);
    /// `ENOPKG`.
    pub const NOPKG: Self = Self::new(errno::ENOPKG);
    /// `EREMOTE`.
    pub const REMOTE: Self = Self::new(errno::EREMOTE);
    /// `ENOLINK`.
    pub const NOLINK: Self = Self::new(errno::ENOLINK);
    /// `EADV`.
    pub const ADV: Self = Self::new(errno::EADV);
    /// `ESRMNT`.
    pub const SRMNT: Self = Self::new(errno::ESRMNT);
    /// `ECOMM`.
    pub const COMM: Self = Self::new(errno::ECOMM);
    /// `EPROTO`.
    pub const PROTO: Self = Self::new(errno::EPROTO);
    /// `EMULTIHOP`.
    pub const MULTIHOP: Self = Self::new(errno::EMULTIHOP);
    /// `EDOTDOT`.
    pub const DOTDOT: Self = Self::new(errno::EDOTDOT);
    /// `EBADMSG`.
    pub const BADMSG: Self = Self::new(errno::EBADMSG);
    /// `EOVERFLOW`.
    pub const OVERFLOW: Self = Self::new(errno::EOVERFLOW);
    /// `ENOTUNIQ`.
    pub const NOTUNIQ: Self = Self::new(errno::ENOTUNIQ);
    /// `EBADFD`.
    pub const BADFD: Self = Self::new(errno::EBADFD);
    /// `EREMCHG`.
    pub const REMCHG: Self = Self::new(errno::EREMCHG);
    /// `ELIBACC`.
    pub const LIBACC: Self = Self::new(errno::ELIBACC);
    /// `ELIBBAD`.
    pub const LIBBAD: Self = Self::new(errno::ELIBBAD);
    /// `ELIBSCN`.
    pub const LIBSCN: Self = Self::new(errno::ELIBSCN);
    /// `ELIBMAX`.
    pub const LIBMAX: Self = Self::new(errno::ELIBMAX);
    /// `ELIBEXEC`.
    pub const LIBEXEC: Self = Self::new(errno::ELIBEXEC);
    /// `EILSEQ`.
    pub const ILSEQ: Self = Self::new(errno::EILSEQ);
    /// `ERESTART`.
    pub const RESTART: Self = Self::new(errno::ERESTART);
    /// `ESTRPIPE`.
    pub const STRPIPE: Self = Self::new(errno::ESTRPIPE);
    /// `EUSERS`.
    pub const USERS: Self = Self::new(errno::EUSERS);
    /// `ENOTSOCK`.
    pub const NOTSOCK: Self = Self::new(errno::ENOTSOCK);
    /// `EDESTADDRREQ`.
    pub const DESTADDRREQ: Self = Self::new(errno::EDESTADDRREQ);
    /// `EMSGSIZE`.
    pub const MSGSIZE: Self = Self::new(errno::EMSGSIZE);
    /// `EPROTOTYPE`.
    pub const PROTOTYPE: Self = Self::new(errno::EPROTOTYPE);
    /// `ENOPROTOOPT`.
    pub const NOPROTOOPT: Self = Self::new(errno::ENOPROTOOPT);
    /// `EPROTONOSUPPORT`.
    pub const PROTONOSUPPORT: Self = Self::new(errno::EPROTONOSUPPORT);
    /// `ESOCKTNOSUPPORT`.
    pub const SOCKTNOSUPPORT: Self = Self::new(errno::ESOCKTNOSUPPORT);
    /// `EOPNOTSUPP`.
    pub const OPNOTSUPP: Self = Self::new(errno::EOPNOTSUPP);
    /// `EPFNOSUPPORT`.
    pub const PFNOSUPPORT: Self = Self::new(errno::EPFNOSUPPORT);
    /// `EAFNOSUPPORT`.
    pub const AFNOSUPPORT: Self = Self::new(errno::EAFNOSUPPORT);
    /// `EADDRINUSE`.
    pub const ADDRINUSE: Self = Self::new(errno::EADDRINUSE);
    /// `EADDRNOTAVAIL`.
    pub const ADDRNOTAVAIL: Self = Self::new(errno::EADDRNOTAVAIL);
    /// `ENETDOWN`.
    pub const NETDOWN: Self = Self::new(errno::ENETDOWN);
    /// `ENETUNREACH`.
    pub const NETUNREACH: Self = Self::new(errno::ENETUNREACH);
    /// `ENETRESET`.
    pub const NETRESET: Self = Self::new(errno::ENETRESET);
    /// `ECONNABORTED`.
    pub const CONNABORTED: Self = Self::new(errno::ECONNABORTED);
    /// `ECONNRESET`.
    pub const CONNRESET: Self = Self::new(errno::ECONNRESET);
    /// `ENOBUFS`.
    pub const NOBUFS: Self = Self::new(errno::ENOBUFS);
    /// `EISCONN`.
    pub const ISCONN: Self = Self::new(errno::EISCONN);
    /// `ENOTCONN`.
    pub const NOTCONN: Self = Self::new(errno::ENOTCONN);
    /// `ESHUTDOWN`.
    pub const SHUTDOWN: Self = Self::new(errno::ESHUTDOWN);
    /// `ETOOMANYREFS`.
    pub const TOOMANYREFS: Self = Self::new(errno::ETOOMANYREFS);
    /// `ETIMEDOUT`.
    pub const TIMEDOUT: Self = Self::new(errno::ETIMEDOUT);
    /// `ECONNREFUSED`.
    pub const CONNREFUSED: Self = Self::new(errno::ECONNREFUSED);
    /// `EHOSTDOWN`.
    pub const HOSTDOWN: Self = Self::new(errno::EHOSTDOWN);
    /// `EHOSTUNREACH`.
    pub const HOSTUNREACH: Self = Self::new(errno::EHOSTUNREACH);
    /// `EALREADY`.
    pub const ALREADY: Self = Self::new(errno::EALREADY);
    /// `EINPROGRESS`.
    pub const INPROGRESS: Self = Self::new(errno::EINPROGRESS);
    /// `ESTALE`.
    pub const STALE: Self = Self::new(errno::ESTALE);
    /// `EUCLEAN`.
    pub const UCLEAN: Self = Self::new(errno::EUCLEAN);
    /// `ENOTNAM`.
    pub const NOTNAM: Self = Self::new(errno::ENOTNAM);
    /// `ENAVAIL`.
    pub const NAVAIL: Self = Self::new(errno::ENAVAIL);
    /// `EISNAM`.
    pub const ISNAM: Self = Self::new(errno::EISNAM);
    /// `EREMOTEIO`.
    pub const REMOTEIO: Self = Self::new(errno::EREMOTEIO);
    /// `EDQUOT`.
    pub const DQUOT: Self = Self::new(errno::EDQUOT);
    /// `ENOMEDIUM`.
    pub const NOMEDIUM: Self = Self::new(errno::ENOMEDIUM);
    /// `EMEDIUMTYPE`.
    pub const MEDIUMTYPE: Self = Self::new(errno::EMEDIUMTYPE);
    /// `ECANCELED`.
    pub const CANCELED: Self = Self::new(errno::ECANCELED);
    /// `ENOKEY`.
    pub const NOKEY: Self = Self::new(errno::ENOKEY);
    /// `EKEYEXPIRED`.
    pub const KEYEXPIRED: Self = Self::new(errno::EKEYEXPIRED);
    /// `EKEYREVOKED`.
    pub const KEYREVOKED: Self = Self::new(errno::EKEYREVOKED);
    /// `EKEYREJECTED`.
    pub const KEYREJECTED: Self = Self::new(errno::EKEYREJECTED);
    /// `EOWNERDEAD`.
    pub const OWNERDEAD: Self = Self::new(errno::EOWNERDEAD);
    /// `ENOTRECOVERABLE`.
    pub const NOTRECOVERABLE: Self = Self::new(errno::ENOTRECOVERABLE);
    /// `ERFKILL`.
    pub const RFKILL: Self = Self::new(errno::ERFKILL);
    /// `EHWPOISON`.
    pub const HWPOISON: Self = Self::new(errno::EHWPOISON);
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Errno({})", self.0),
        }
    }
}

/// The C name (`EINVAL`), or `errno N` for a number Linux does not define.
impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "errno {}", self.0),
        }
    }
}

impl core::error::Error for Errno {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names() {
        assert_eq!(Errno::INVAL.raw_os_error(), 22);
        assert_eq!(Errno::from_raw_os_error(22), Errno::INVAL);
        assert_eq!(Errno::from_raw_os_error(-22), Errno::INVAL);
        assert_eq!(Errno::INVAL.name(), Some("EINVAL"));
        assert_eq!(Errno::REMOTE.name(), Some("EREMOTE"));
        assert_eq!(Errno::WOULDBLOCK, Errno::AGAIN);
        assert_eq!(Errno::WOULDBLOCK.name(), Some("EAGAIN"));
        assert_eq!(Errno::from_raw_os_error(4000).name(), None);
        assert_eq!(format!("{}", Errno::NOTTY), "ENOTTY");
        assert_eq!(
            format!("{:?}", Errno::from_raw_os_error(4000)),
            "Errno(4000)"
        );
    }

    /// Every number Linux defines has a name: traces never say `E?`. (41
    /// and 58 are the two holes in Linux's numbering.)
    #[test]
    fn every_defined_number_is_named() {
        for n in (1..=133).filter(|n| ![41, 58].contains(n)) {
            assert!(Errno::from_raw_os_error(n).name().is_some(), "errno {n}");
        }
    }
}
