//! Deciding whether an `open` names `/dev/kvm`.
//!
//! The decision is lexical: the tracee's path is resolved against its
//! working directory or `dirfd` (read from `/proc`), `.`/`..`/`//` are
//! folded, and the result is compared with `/dev/kvm`. Symbolic links to the
//! device are not followed; the host may not even have a `/dev/kvm`.

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
}
