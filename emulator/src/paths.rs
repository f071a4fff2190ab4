//! Deciding whether an `open` names `/dev/kvm`, and what the kernel would
//! answer if it does.
//!
//! The decision is lexical: the tracee's path is resolved against its
//! working directory or `dirfd` (read from `/proc`), `.`/`..`/`//` are
//! folded, and the result is compared with `/dev/kvm`. Symbolic links to the
//! device are not followed; the host may not even have a `/dev/kvm`. The
//! supervisor then walks the directory part for real (the kernel answers
//! for the directories, which exist on every host), so only the last
//! component, the modelled character device, is emulated.
//!
//! The flag checks are the kernel's `build_open_how` (`open`, `openat`) and
//! `build_open_flags` (`fs/open.c`), which run before any lookup: a call they
//! refuse fails the same whatever the path names.

use ucas_core::Errno;

/// `RESOLVE_*` of `<linux/openat2.h>`.
pub(crate) const RESOLVE_NO_XDEV: u64 = 0x01;
pub(crate) const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
pub(crate) const RESOLVE_NO_SYMLINKS: u64 = 0x04;
pub(crate) const RESOLVE_BENEATH: u64 = 0x08;
pub(crate) const RESOLVE_IN_ROOT: u64 = 0x10;
pub(crate) const RESOLVE_CACHED: u64 = 0x20;
const VALID_RESOLVE_FLAGS: u64 = RESOLVE_NO_XDEV
    | RESOLVE_NO_MAGICLINKS
    | RESOLVE_NO_SYMLINKS
    | RESOLVE_BENEATH
    | RESOLVE_IN_ROOT
    | RESOLVE_CACHED;

/// `OPEN_HOW_SIZE_VER0`: the smallest `struct open_how` `openat2` takes.
pub(crate) const OPEN_HOW_SIZE_VER0: u64 = 24;
/// `openat2` refuses a larger `struct open_how` than a page (E2BIG).
pub(crate) const OPEN_HOW_SIZE_MAX: u64 = 4096;

/// The kernel's (not libc's) `O_LARGEFILE`: libc's reads 0 on 64-bit.
#[cfg(target_arch = "aarch64")]
const O_LARGEFILE: u64 = 0o400_000;
#[cfg(not(target_arch = "aarch64"))]
const O_LARGEFILE: u64 = 0o100_000;
/// `__O_SYNC`, `__O_TMPFILE`: the bits of `O_SYNC`, `O_TMPFILE` beyond
/// `O_DSYNC`, `O_DIRECTORY`.
const O_SYNC_BIT: u64 = (libc::O_SYNC & !libc::O_DSYNC) as u64;
const O_TMPFILE_BIT: u64 = (libc::O_TMPFILE & !libc::O_DIRECTORY) as u64;
const fn bits(f: libc::c_int) -> u64 {
    f as u32 as u64
}
pub(crate) const O_CREAT: u64 = bits(libc::O_CREAT);
pub(crate) const O_EXCL: u64 = bits(libc::O_EXCL);
pub(crate) const O_DIRECTORY: u64 = bits(libc::O_DIRECTORY);
pub(crate) const O_PATH: u64 = bits(libc::O_PATH);
pub(crate) const O_CLOEXEC: u64 = bits(libc::O_CLOEXEC);
const O_TRUNC: u64 = bits(libc::O_TRUNC);
/// `VALID_OPEN_FLAGS` of `include/linux/fcntl.h`.
const VALID_OPEN_FLAGS: u64 = bits(libc::O_ACCMODE)
    | O_CREAT
    | O_EXCL
    | bits(libc::O_NOCTTY)
    | O_TRUNC
    | bits(libc::O_APPEND)
    | bits(libc::O_NONBLOCK)
    | O_SYNC_BIT
    | bits(libc::O_DSYNC)
    | bits(libc::O_ASYNC)
    | bits(libc::O_DIRECT)
    | O_LARGEFILE
    | O_DIRECTORY
    | bits(libc::O_NOFOLLOW)
    | bits(libc::O_NOATIME)
    | O_CLOEXEC
    | O_PATH
    | O_TMPFILE_BIT;
/// `O_PATH_FLAGS`: what `O_PATH` may come with.
const O_PATH_FLAGS: u64 = O_DIRECTORY | bits(libc::O_NOFOLLOW) | O_PATH | O_CLOEXEC;
/// `S_IALLUGO`: the mode bits a creating open may pass.
const S_IALLUGO: u64 = 0o7777;

/// `struct open_how`, as `openat2` reads it or `build_open_how` makes it
/// for `open`/`openat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OpenHow {
    pub flags: u64,
    pub mode: u64,
    pub resolve: u64,
}

impl OpenHow {
    /// `build_open_how`: the older calls drop unknown flag bits (and
    /// `O_PATH`'s companions) instead of refusing them. `flags` is an
    /// `int` there.
    #[must_use]
    pub(crate) fn legacy(flags: u64, mode: u64) -> Self {
        let mut flags = u64::from(flags as u32) & VALID_OPEN_FLAGS;
        if flags & O_PATH != 0 {
            flags &= O_PATH_FLAGS;
        }
        let mode = if will_create(flags) {
            mode & S_IALLUGO
        } else {
            0
        };
        Self {
            flags,
            mode,
            resolve: 0,
        }
    }

    /// `build_open_flags`' refusals, in its order.
    pub(crate) fn check(&self) -> Result<(), Errno> {
        let flags = self.flags & !O_CLOEXEC;
        if flags & !VALID_OPEN_FLAGS != 0 || self.resolve & !VALID_RESOLVE_FLAGS != 0 {
            return Err(Errno::INVAL);
        }
        if self.resolve & RESOLVE_BENEATH != 0 && self.resolve & RESOLVE_IN_ROOT != 0 {
            return Err(Errno::INVAL);
        }
        let allowed_mode = if will_create(flags) { S_IALLUGO } else { 0 };
        if self.mode & !allowed_mode != 0 {
            return Err(Errno::INVAL);
        }
        if flags & (O_DIRECTORY | O_CREAT) == O_DIRECTORY | O_CREAT {
            return Err(Errno::INVAL);
        }
        if flags & O_TMPFILE_BIT != 0
            && (flags & O_DIRECTORY == 0 || flags & bits(libc::O_ACCMODE) == 0)
        {
            // O_TMPFILE needs O_DIRECTORY and write access (ACC_MODE: 1 and
            // 2 write, 3 reads as both).
            return Err(Errno::INVAL);
        }
        if flags & O_PATH != 0 && flags & !O_PATH_FLAGS != 0 {
            return Err(Errno::INVAL);
        }
        if self.resolve & RESOLVE_CACHED != 0 && flags & (O_TRUNC | O_CREAT | O_TMPFILE_BIT) != 0 {
            return Err(Errno::AGAIN);
        }
        Ok(())
    }
}

/// `WILL_CREATE`: `O_CREAT` or `O_TMPFILE`.
fn will_create(flags: u64) -> bool {
    flags & (O_CREAT | O_TMPFILE_BIT) != 0
}

/// Cheap first test: does the last component of `path` read `kvm`? Only such
/// paths are resolved further, so ordinary opens cost one memory read.
#[must_use]
pub(crate) fn may_be_kvm(path: &[u8]) -> bool {
    path.strip_suffix(b"kvm")
        .is_some_and(|head| head.is_empty() || head.ends_with(b"/"))
}

/// Whether `path`, relative to the absolute directory `base` (ignored when
/// `path` is absolute), is `/dev/kvm` after folding `.`, `..` and repeated
/// slashes.
#[must_use]
pub(crate) fn is_dev_kvm(base: &[u8], path: &[u8]) -> bool {
    let mut parts: Vec<&[u8]> = Vec::with_capacity(8);
    let full: [&[u8]; 2] = if path.starts_with(b"/") {
        [b"", path]
    } else {
        [base, path]
    };
    for piece in full {
        for c in piece.split(|&b| b == b'/') {
            match c {
                b"" | b"." => {}
                b".." => {
                    parts.pop();
                }
                c => parts.push(c),
            }
        }
    }
    parts == [b"dev".as_slice(), b"kvm".as_slice()]
}

/// Like [`is_dev_kvm`] under `RESOLVE_IN_ROOT`: `base` is the root, an
/// absolute `path` starts there too, and `..` stops there.
#[must_use]
pub(crate) fn is_dev_kvm_in_root(base: &[u8], path: &[u8]) -> bool {
    let mut parts: Vec<&[u8]> = base
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .collect();
    let root = parts.len();
    for c in path.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                if parts.len() > root {
                    parts.pop();
                }
            }
            c => parts.push(c),
        }
    }
    parts == [b"dev".as_slice(), b"kvm".as_slice()]
}

/// `path` without its last component, as a directory to walk (`"."` for a
/// bare name).
#[must_use]
pub(crate) fn parent(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(0) => b"/",
        Some(i) => &path[..i],
        None => b".",
    }
}

/// Trailing slashes of `path` removed (all but a leading one).
#[must_use]
pub(crate) fn strip_trailing_slashes(path: &[u8]) -> &[u8] {
    let mut p = path;
    while p.len() > 1 && p.ends_with(b"/") {
        p = &p[..p.len() - 1];
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefilter() {
        for p in [&b"/dev/kvm"[..], b"kvm", b"./kvm", b"/x/../dev//kvm"] {
            assert!(may_be_kvm(p), "{p:?}");
        }
        for p in [
            &b"/dev/kvm/"[..],
            b"/dev/xkvm",
            b"/etc/hostname",
            b"",
            b"kv",
        ] {
            assert!(!may_be_kvm(p), "{p:?}");
        }
    }

    #[test]
    fn resolution() {
        assert!(is_dev_kvm(b"/", b"/dev/kvm"));
        assert!(is_dev_kvm(b"/home/u", b"/dev/kvm"));
        assert!(is_dev_kvm(b"/dev", b"kvm"));
        assert!(is_dev_kvm(b"/dev", b"./kvm"));
        assert!(is_dev_kvm(b"/tmp", b"../dev/kvm"));
        assert!(is_dev_kvm(b"/", b"//dev/./kvm"));
        assert!(is_dev_kvm(b"/", b"/../../dev/kvm"));
        assert!(!is_dev_kvm(b"/tmp", b"kvm"));
        assert!(!is_dev_kvm(b"/", b"/dev/kvm/../kvm2"));
        assert!(!is_dev_kvm(b"/", b"/dev/dev/kvm"));
    }

    #[test]
    fn resolution_in_root() {
        assert!(is_dev_kvm_in_root(b"/", b"/dev/kvm"));
        assert!(is_dev_kvm_in_root(b"/", b"../dev/kvm"));
        assert!(is_dev_kvm_in_root(b"/dev", b"/kvm"));
        assert!(is_dev_kvm_in_root(b"/dev", b"../../kvm"));
        assert!(!is_dev_kvm_in_root(b"/tmp", b"/dev/kvm"));
        assert!(!is_dev_kvm_in_root(b"/tmp", b"../dev/kvm"));
    }

    #[test]
    fn parents() {
        assert_eq!(parent(b"kvm"), b".");
        assert_eq!(parent(b"/kvm"), b"/");
        assert_eq!(parent(b"/dev/kvm"), b"/dev");
        assert_eq!(parent(b"a//kvm"), b"a/");
        assert_eq!(strip_trailing_slashes(b"/dev/kvm//"), b"/dev/kvm");
        assert_eq!(strip_trailing_slashes(b"/"), b"/");
    }

    /// The refusals of `build_open_flags` (Linux 6.18 `fs/open.c`).
    #[test]
    fn open_how_checks() {
        let how = |flags: i32, mode, resolve| OpenHow {
            flags: u64::from(flags as u32),
            mode,
            resolve,
        };
        let rw = libc::O_RDWR;
        assert_eq!(how(rw, 0, 0).check(), Ok(()));
        assert_eq!(how(rw | libc::O_CLOEXEC, 0, 0).check(), Ok(()));
        let large = OpenHow {
            flags: bits(rw) | O_LARGEFILE,
            mode: 0,
            resolve: 0,
        };
        assert_eq!(large.check(), Ok(()));
        assert_eq!(how(rw | 1 << 23, 0, 0).check(), Err(Errno::INVAL));
        let high = OpenHow {
            flags: bits(rw) | 1 << 40,
            mode: 0,
            resolve: 0,
        };
        assert_eq!(high.check(), Err(Errno::INVAL));
        assert_eq!(how(rw, 0, 1 << 10).check(), Err(Errno::INVAL));
        let both = RESOLVE_BENEATH | RESOLVE_IN_ROOT;
        assert_eq!(how(rw, 0, both).check(), Err(Errno::INVAL));
        assert_eq!(how(rw, 0o600, 0).check(), Err(Errno::INVAL));
        assert_eq!(how(rw | libc::O_CREAT, 0o600, 0).check(), Ok(()));
        assert_eq!(
            how(rw | libc::O_CREAT, 0o10000, 0).check(),
            Err(Errno::INVAL)
        );
        let creat_dir = rw | libc::O_CREAT | libc::O_DIRECTORY;
        assert_eq!(how(creat_dir, 0, 0).check(), Err(Errno::INVAL));
        assert_eq!(how(libc::O_TMPFILE, 0, 0).check(), Err(Errno::INVAL));
        assert_eq!(how(rw | libc::O_TMPFILE, 0o600, 0).check(), Ok(()));
        assert_eq!(how(libc::O_PATH | rw, 0, 0).check(), Err(Errno::INVAL));
        assert_eq!(how(libc::O_PATH | libc::O_CLOEXEC, 0, 0).check(), Ok(()));
        let trunc = rw | libc::O_TRUNC;
        assert_eq!(how(trunc, 0, RESOLVE_CACHED).check(), Err(Errno::AGAIN));
        assert_eq!(how(rw, 0, RESOLVE_CACHED).check(), Ok(()));
        // The older calls drop what openat2 refuses.
        assert_eq!(OpenHow::legacy(bits(rw | 1 << 23), 0o600).check(), Ok(()));
        let path = OpenHow::legacy(bits(libc::O_PATH | libc::O_CREAT), 0o600);
        assert_eq!(path.flags, O_PATH);
        assert_eq!(path.check(), Ok(()));
    }
}
