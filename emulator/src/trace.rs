//! `--trace`: one strace-like line per emulated call on a writer (stderr for
//! the command line). Lines are formatted into a fixed buffer and written
//! with one call, so tracing allocates nothing per call.
//!
//! ```text
//! [pid 4242] openat(AT_FDCWD, "/dev/kvm", 0x80002) = 3 (emulated /dev/kvm)
//! [pid 4242] kvm KVM_CREATE_VM(1) = 4 (vm0, ucontrol)
//! [pid 4242] vm0 KVM_CREATE_VCPU(0) = 5 (vm0/vcpu0)
//! [pid 4242] vm0/vcpu0 KVM_S390_UCAS_MAP({user_addr=0x7f3c00000000, vcpu_addr=0x0, length=0x400000}) = 0
//! [pid 4242] vm0/vcpu0 KVM_S390_VCPU_FAULT(0x500000) = -1 EREMOTE (kvm_run: exit_reason=20 trans_exc_code=0x500000 pgm_code=0x10)
//! [pid 4242] vm0/vcpu0 KVM_RUN(0) = 0 (ucontrol exit: trans_exc_code=0x400000 pgm_code=0x10, segment not mapped; psw_addr=0x300008, 2 instructions)
//! [pid 4242] vm0/vcpu0 KVM_RUN(0) = 0 (SIEIC exit: icptcode=0x4 ipa=0x8300 ipb=0x00440000; psw_addr=0x30001c, 4 instructions)
//! ```

use std::fmt::{self, Write as _};
use std::io::Write;
use ucas_core::Errno;

/// Where trace lines go, if anywhere.
pub(crate) struct Tracer {
    out: Option<Box<dyn Write + Send>>,
}

impl fmt::Debug for Tracer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracer")
            .field("enabled", &self.out.is_some())
            .finish()
    }
}

const LINE_MAX: usize = 512;

/// A line under construction; overlong lines are cut, never reallocated.
pub(crate) struct Line {
    buf: [u8; LINE_MAX],
    len: usize,
}

impl fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = LINE_MAX.saturating_sub(self.len).saturating_sub(1);
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

impl Tracer {
    /// A tracer writing to `out`, or a silent one.
    pub(crate) fn new(out: Option<Box<dyn Write + Send>>) -> Self {
        Self { out }
    }

    /// Whether lines are written at all (callers skip formatting if not).
    pub(crate) fn enabled(&self) -> bool {
        self.out.is_some()
    }

    /// Writes one line: `[pid N] ` followed by `args`.
    pub(crate) fn line(&mut self, pid: Option<u32>, args: fmt::Arguments<'_>) {
        let Some(out) = self.out.as_mut() else {
            return;
        };
        let mut line = Line {
            buf: [0; LINE_MAX],
            len: 0,
        };
        let _ = match pid {
            Some(pid) => write!(line, "[pid {pid}] {args}"),
            None => write!(line, "ucas emulate: {args}"),
        };
        line.buf[line.len] = b'\n';
        // A broken trace pipe must not stop the emulation.
        let _ = out.write_all(&line.buf[..=line.len]);
        let _ = out.flush();
    }
}

/// Formats an answer the strace way: `= value` or `= -1 ENAME`.
pub(crate) struct Result(pub core::result::Result<i64, Errno>);

impl fmt::Display for Result {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Ok(v) => write!(f, "= {v}"),
            Err(e) => write!(f, "= -1 {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_are_cut_not_grown() {
        let sink = Sink::default();
        let mut t = Tracer::new(Some(Box::new(sink.clone())));
        t.line(
            Some(7),
            format_args!("kvm X {}", Result(Err(Errno::REMOTE))),
        );
        t.line(None, format_args!("{}", "y".repeat(2000)));
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "[pid 7] kvm X = -1 EREMOTE");
        assert_eq!(lines[1].len(), LINE_MAX - 1);
        assert!(text.ends_with('\n'));
    }
}
