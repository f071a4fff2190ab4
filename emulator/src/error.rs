//! What can go wrong when running a program under the emulator, as a typed
//! enum: each variant says which step failed and what to do about it.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::PathBuf;

use ucas_core::Errno;

/// A failed [`Emulator::run`](crate::Emulator::run). The traced program's
/// own failures are not errors: they are its exit status.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The program could not be started: not found, not executable, …
    Spawn {
        /// The program as given.
        program: OsString,
        /// Why `execve` (or the fork before it) failed.
        source: io::Error,
    },
    /// The kernel refused the seccomp user-notification filter.
    Seccomp(Errno),
    /// The kernel refused `PR_SET_NO_NEW_PRIVS`, which an unprivileged
    /// seccomp filter needs.
    NoNewPrivs(Errno),
    /// The child started but did not hand over its listener (a bug).
    NoListener,
    /// The emulator's own set-up failed: a socket pair or the supervisor
    /// thread could not be made (out of fds or memory).
    Setup(io::Error),
    /// The state file could not be created; the program did not run.
    StateCreate {
        /// The file.
        path: PathBuf,
        /// What the file system answered.
        source: io::Error,
    },
    /// The state file could not be written after the program ended; the
    /// program's own status is in `status`.
    StateWrite {
        /// The file.
        path: PathBuf,
        /// What the file system answered.
        source: io::Error,
        /// How the program ended.
        status: std::process::ExitStatus,
    },
    /// Waiting for the program's system calls failed; the program was
    /// killed.
    Serving(io::Error),
    /// The supervisor thread panicked (a bug); the program was killed.
    SupervisorPanicked,
}

/// The errno of an I/O error from a system call, in ucas's vocabulary.
pub(crate) fn errno_of(e: &io::Error) -> Option<Errno> {
    e.raw_os_error().map(Errno::from_raw_os_error)
}

/// The result of running under the emulator.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Whether the program itself could not be executed, as opposed to the
    /// emulator failing (`ucas emulate` exits 126/127 for the former, 125 for
    /// the latter).
    #[must_use]
    pub fn is_spawn(&self) -> bool {
        matches!(self, Self::Spawn { .. })
    }

    /// The I/O error behind the failure, where there is one.
    fn io_source(&self) -> Option<&io::Error> {
        match self {
            Self::Spawn { source, .. }
            | Self::Setup(source)
            | Self::StateCreate { source, .. }
            | Self::StateWrite { source, .. }
            | Self::Serving(source) => Some(source),
            Self::Seccomp(_)
            | Self::NoNewPrivs(_)
            | Self::NoListener
            | Self::SupervisorPanicked => None,
        }
    }

    /// The errno behind the failure, if the system gave one.
    #[must_use]
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Self::Seccomp(e) | Self::NoNewPrivs(e) => Some(*e),
            _ => self.io_source().and_then(errno_of),
        }
    }

    /// [`errno`](Self::errno) as the number.
    #[must_use]
    pub fn raw_os_error(&self) -> Option<i32> {
        self.errno().map(Errno::raw_os_error)
    }

    /// The kind of the underlying I/O error, for callers that sort by it.
    #[must_use]
    pub fn kind(&self) -> io::ErrorKind {
        match (self.io_source(), self.errno()) {
            (Some(source), _) => source.kind(),
            (None, Some(e)) => io::Error::from_raw_os_error(e.raw_os_error()).kind(),
            (None, None) => io::ErrorKind::Other,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Spawn { program, source } => {
                write!(f, "cannot run {}: {source}", program.to_string_lossy())
            }
            Self::Seccomp(e) => {
                let advice = match *e {
                    Errno::BUSY => {
                        "another seccomp supervisor already watches this process (is it running \
                         under `ucas emulate` or a similar tool already?); run it outside that tool"
                    }
                    Errno::ACCESS | Errno::PERM => {
                        "the process may not install seccomp filters; outside a container this \
                         should not happen, inside one allow seccomp(2) (e.g. docker \
                         --security-opt seccomp=unconfined)"
                    }
                    _ => {
                        "ucas emulate needs seccomp user notification: Linux 5.0 or later built \
                         with CONFIG_SECCOMP_FILTER; inside a container, allow seccomp(2) (e.g. \
                         docker --security-opt seccomp=unconfined)"
                    }
                };
                write!(
                    f,
                    "the kernel refused the seccomp listener ({}): {advice}",
                    io::Error::from_raw_os_error(e.raw_os_error())
                )
            }
            Self::NoNewPrivs(e) => write!(
                f,
                "cannot set no_new_privs ({}), which an unprivileged seccomp filter needs: run \
                 ucas emulate as root or without the restriction that refuses it",
                io::Error::from_raw_os_error(e.raw_os_error())
            ),
            Self::NoListener => f.write_str(
                "the child started but did not hand over its seccomp listener; this is a bug in \
                 ucas emulate, please report it with the kernel version (uname -r)",
            ),
            Self::Setup(e) => write!(
                f,
                "cannot set up the emulator ({e}); free some file descriptors or memory and retry"
            ),
            Self::StateCreate { path, source } => write!(
                f,
                "cannot create the state file {}: {source}; the program was not started",
                path.display()
            ),
            Self::StateWrite {
                path,
                source,
                status,
            } => write!(
                f,
                "cannot write the state file {}: {source}; the program itself ended with {status}",
                path.display()
            ),
            Self::Serving(e) => write!(
                f,
                "waiting for the program's system calls failed ({e}); the program was killed. \
                 This is unexpected: please report it with the kernel version"
            ),
            Self::SupervisorPanicked => f.write_str(
                "the emulator's supervisor thread panicked; the program was killed. This is a \
                 bug in ucas emulate, please report it",
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Seccomp(e) | Self::NoNewPrivs(e) => Some(e),
            _ => self.io_source().map(|e| e as _),
        }
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        match e.raw_os_error() {
            Some(code) => io::Error::new(io::Error::from_raw_os_error(code).kind(), e),
            None => io::Error::other(e),
        }
    }
}
