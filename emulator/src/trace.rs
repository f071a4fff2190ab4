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
//!
//! `--trace=insn` adds a line per guest instruction, before it executes:
//! the caller of `KVM_RUN`, the instruction's address, its bytes and its
//! disassembly ([`crate::cpu::disasm`]):
//!
//! ```text
//! [pid 4242] insn 0x10006 a7fbff60     aghi %r15,-160
//! ```
//!
//! With a limit, instruction lines stop after that many (one line says
//! so); the call lines go on.

use std::fmt::{self, Write as _};
use std::io::Write;
use std::sync::{Mutex, MutexGuard};
use ucas_core::Errno;

/// Where trace lines go, if anywhere, and which.
pub(crate) struct Tracer {
    out: Option<Box<dyn Write + Send>>,
    /// Whether the emulated calls are traced.
    calls: bool,
    /// Instruction lines still to write: 0 when instructions are not (or
    /// no longer) traced, `u64::MAX` without a limit.
    instructions_left: u64,
    /// The limit, for the line that says it was reached.
    limit: Option<u64>,
}

impl fmt::Debug for Tracer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracer")
            .field("calls", &self.enabled())
            .field("instructions", &self.instructions())
            .finish()
    }
}

/// What to trace (`--trace=calls,insn`, `--trace-limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Selection {
    /// One line per emulated call.
    pub calls: bool,
    /// One line per guest instruction.
    pub instructions: bool,
    /// At most this many instruction lines.
    pub limit: Option<u64>,
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

/// The [`Tracer`] every serving thread writes to: each line is written
/// whole under its lock.
pub(crate) struct SharedTracer {
    inner: Mutex<Tracer>,
    /// Whether call lines are written: fixed when tracing starts.
    calls: bool,
}

impl fmt::Debug for SharedTracer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedTracer")
            .field("calls", &self.calls)
            .finish_non_exhaustive()
    }
}

impl SharedTracer {
    pub(crate) fn new(tracer: Tracer) -> Self {
        Self {
            calls: tracer.enabled(),
            inner: Mutex::new(tracer),
        }
    }

    /// Whether call lines are written (callers skip formatting if not).
    pub(crate) fn enabled(&self) -> bool {
        self.calls
    }

    /// Whether instruction lines are still being written.
    pub(crate) fn instructions(&self) -> bool {
        self.lock().instructions()
    }

    /// Writes a call line (see [`Tracer::line`]).
    pub(crate) fn line(&self, pid: Option<u32>, args: fmt::Arguments<'_>) {
        if self.calls {
            self.lock().line(pid, args);
        }
    }

    /// The tracer itself, for a run that writes a line per instruction (a
    /// panic while it was held leaves at worst a cut line).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Tracer> {
        crate::locked(&self.inner)
    }
}

impl Tracer {
    /// A tracer writing what `what` selects to `out` (nothing without
    /// `out`).
    pub(crate) fn new(out: Option<Box<dyn Write + Send>>, what: Selection) -> Self {
        let on = out.is_some();
        Self {
            out,
            calls: on && what.calls,
            instructions_left: if on && what.instructions {
                what.limit.unwrap_or(u64::MAX)
            } else {
                0
            },
            limit: what.limit,
        }
    }

    /// Whether call lines are written (callers skip formatting if not).
    pub(crate) fn enabled(&self) -> bool {
        self.calls
    }

    /// Whether instruction lines are still written.
    pub(crate) fn instructions(&self) -> bool {
        self.instructions_left != 0
    }

    /// Writes one call line: `[pid N] ` followed by `args`.
    pub(crate) fn line(&mut self, pid: Option<u32>, args: fmt::Arguments<'_>) {
        if self.calls {
            self.write(pid, args);
        }
    }

    /// Writes the line of the guest instruction `text` at `addr`, run by
    /// thread `pid`, until the limit is reached.
    pub(crate) fn instruction(&mut self, pid: u32, addr: u64, text: &[u8; 6]) {
        if self.instructions_left == 0 {
            return;
        }
        self.instructions_left = self.instructions_left.saturating_sub(1);
        let (len, insn) = crate::cpu::disasm::disassemble(text);
        let hex = Hex(&text[..usize::from(len)]);
        self.write(
            Some(pid),
            format_args!("insn {addr:#x} {hex:<12} {}", insn.at(addr)),
        );
        if self.instructions_left == 0
            && let Some(n) = self.limit
        {
            self.write(
                Some(pid),
                format_args!(
                    "insn trace limit of {n} instructions reached; the guest runs on untraced"
                ),
            );
        }
    }

    /// Formats and writes one line.
    fn write(&mut self, pid: Option<u32>, args: fmt::Arguments<'_>) {
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

/// Bytes as one run of hex digits; honours width and alignment.
struct Hex<'a>(&'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // At most 6 bytes: 12 digits in a fixed buffer, then padded.
        let mut digits = [0u8; 12];
        let mut n = 0;
        for b in self.0.iter().take(6) {
            for nibble in [b >> 4, b & 0xF] {
                digits[n] = b"0123456789abcdef"[usize::from(nibble)];
                n += 1;
            }
        }
        f.pad(core::str::from_utf8(&digits[..n]).unwrap_or(""))
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
        let calls = Selection {
            calls: true,
            ..Selection::default()
        };
        let mut t = Tracer::new(Some(Box::new(sink.clone())), calls);
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

    #[test]
    fn instruction_lines_stop_at_the_limit_and_calls_go_on() {
        let sink = Sink::default();
        let what = Selection {
            calls: false,
            instructions: true,
            limit: Some(2),
        };
        let mut t = Tracer::new(Some(Box::new(sink.clone())), what);
        assert!(!t.enabled() && t.instructions());
        t.line(Some(1), format_args!("not traced"));
        t.instruction(5, 0x1000, &[0xa7, 0xfb, 0xff, 0x60, 0xee, 0xee]);
        t.instruction(5, 0x1004, &[0xc0, 0xe5, 0x00, 0x00, 0x00, 0x10]);
        assert!(!t.instructions());
        t.instruction(5, 0x100a, &[0x07, 0xfe, 0, 0, 0, 0]);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            "[pid 5] insn 0x1000 a7fbff60     aghi %r15,-160\n\
             [pid 5] insn 0x1004 c0e500000010 brasl %r14,0x1024\n\
             [pid 5] insn trace limit of 2 instructions reached; the guest runs on untraced\n"
        );
    }

    #[test]
    fn nothing_is_traced_without_a_writer() {
        let all = Selection {
            calls: true,
            instructions: true,
            limit: None,
        };
        let t = Tracer::new(None, all);
        assert!(!t.enabled() && !t.instructions());
        let t = Tracer::new(Some(Box::new(Sink::default())), all);
        assert!(t.enabled() && t.instructions());
    }
}
