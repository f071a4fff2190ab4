//! Timing requests under the emulator: the benchmark binary starts itself
//! again under [`Emulator`] with [`CHILD_ENV`] set, the child builds a
//! ucontrol [`Rig`] and times loops of requests when asked, and the parent
//! feeds those times to criterion (`iter_custom`).
//!
//! The two talk over a socket pair that is the child's stdin and stdout,
//! one line per message. Reads and writes are not emulated calls, so the
//! channel costs nothing inside the timed loops.
//!
//! - child → parent, once: `ready map=ok unmap=ok …` (how one request of
//!   each [`Op`] ended) and `exit EXIT` (what one more `KVM_RUN` returned),
//!   or `error MESSAGE`;
//! - parent → child: `OP ITERS`, answered with the nanoseconds the loop
//!   took (or `error MESSAGE`); `quit` ends the child.

use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::process::{Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use ucas_emulator::{Emulator, Generation};

use crate::rig::{Op, Outcome, Rig};

/// Set in the environment of the child that runs under the emulator.
pub const CHILD_ENV: &str = "UCAS_BENCH_EMULATED_CHILD";

/// Whether this process is the child started by [`EmulatedChild::spawn`].
#[must_use]
pub fn is_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

/// The child's side: builds the rig and serves timing requests on
/// stdin/stdout until `quit` or end of input.
///
/// # Errors
/// When stdin or stdout fail.
pub fn serve() -> io::Result<()> {
    let mut out = io::stdout().lock();
    let mut rig = match Rig::ucontrol() {
        Ok(rig) => rig,
        Err(e) => {
            writeln!(out, "error {e}")?;
            return out.flush();
        }
    };
    let outcomes: Vec<String> = Op::ALL
        .iter()
        .map(|&op| format!("{}={}", op.name(), rig.once(op)))
        .collect();
    writeln!(out, "ready {}", outcomes.join(" "))?;
    writeln!(out, "exit {}", rig.run_exit())?;
    out.flush()?;
    for line in io::stdin().lock().lines() {
        let line = line?;
        if line == "quit" {
            break;
        }
        let request = line
            .split_once(' ')
            .and_then(|(op, n)| Some((Op::from_name(op)?, n.parse::<u64>().ok()?)));
        match request {
            Some((op, iters)) => writeln!(out, "{}", rig.time(op, iters).as_nanos())?,
            None => writeln!(out, "error bad request {line:?}; expected OP ITERS or quit")?,
        }
        out.flush()?;
    }
    Ok(())
}

/// The parent's handle on the child under the emulator.
#[derive(Debug)]
pub struct EmulatedChild {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    worker: Option<JoinHandle<ucas_emulator::Result<ExitStatus>>>,
    outcomes: Vec<(Op, Outcome)>,
    run_exit: String,
}

impl EmulatedChild {
    /// Starts this executable again under an emulator of `generation` and
    /// waits until its rig is ready.
    ///
    /// # Errors
    /// When the emulator cannot start the child, or the child cannot build
    /// its rig (the message says why).
    pub fn spawn(generation: Generation) -> io::Result<Self> {
        let (ours, theirs) = UnixStream::pair()?;
        let mut cmd = Command::new(std::env::current_exe()?);
        cmd.env(CHILD_ENV, "1")
            .stdin(Stdio::from(OwnedFd::from(theirs.try_clone()?)))
            .stdout(Stdio::from(OwnedFd::from(theirs)));
        let worker = std::thread::Builder::new()
            .name("emulator".into())
            .spawn(move || Emulator::new(generation).run(cmd))?;
        let mut child = Self {
            writer: ours.try_clone()?,
            reader: BufReader::new(ours),
            worker: Some(worker),
            outcomes: Vec::new(),
            run_exit: String::new(),
        };
        let line = child.read_line()?;
        let Some(rest) = line.strip_prefix("ready ") else {
            return Err(child.failed(&line));
        };
        for pair in rest.split(' ') {
            let parsed = pair
                .split_once('=')
                .and_then(|(op, o)| Some((Op::from_name(op)?, Outcome::parse(o)?)));
            match parsed {
                Some(p) => child.outcomes.push(p),
                None => return Err(child.failed(&line)),
            }
        }
        let line = child.read_line()?;
        match line.strip_prefix("exit ") {
            Some(exit) => child.run_exit = exit.to_owned(),
            None => return Err(child.failed(&line)),
        }
        Ok(child)
    }

    /// What one `KVM_RUN` in the child returned, as [`Rig::run_exit`]
    /// describes it.
    #[must_use]
    pub fn run_exit(&self) -> &str {
        &self.run_exit
    }

    /// How the child's first request of `op` ended.
    #[must_use]
    pub fn outcome(&self, op: Op) -> Option<Outcome> {
        self.outcomes
            .iter()
            .find(|(o, _)| *o == op)
            .map(|&(_, outcome)| outcome)
    }

    /// Has the child issue `op` `iters` times and returns how long the loop
    /// took inside the child.
    ///
    /// # Errors
    /// When the child is gone or answers something else.
    pub fn time(&mut self, op: Op, iters: u64) -> io::Result<Duration> {
        writeln!(self.writer, "{} {iters}", op.name())?;
        let line = self.read_line()?;
        match line.parse::<u64>() {
            Ok(ns) => Ok(Duration::from_nanos(ns)),
            Err(_) => Err(self.failed(&line)),
        }
    }

    /// Ends the child and checks that it exited successfully.
    ///
    /// # Errors
    /// When the emulator failed or the child exited with a failure.
    pub fn finish(mut self) -> io::Result<()> {
        let _ = writeln!(self.writer, "quit");
        let status = self.join()?;
        if status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "the benchmark child under the emulator ended with {status}"
            )))
        }
    }

    /// Reads one line; end of input means the child is gone.
    fn read_line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(self.failed("(end of input)"));
        }
        Ok(line.trim_end().to_owned())
    }

    /// An error for an unexpected answer, with the emulator's account of
    /// the child if it has ended.
    fn failed(&mut self, line: &str) -> io::Error {
        let how = match self.worker.as_ref().map(JoinHandle::is_finished) {
            Some(true) => match self.join() {
                Ok(status) => format!("; the child ended with {status}"),
                Err(e) => format!("; the emulator failed: {e}"),
            },
            _ => String::new(),
        };
        io::Error::other(format!(
            "the benchmark child under the emulator answered {line:?}{how}"
        ))
    }

    fn join(&mut self) -> io::Result<ExitStatus> {
        let worker = self
            .worker
            .take()
            .ok_or_else(|| io::Error::other("the emulator was already waited for"))?;
        worker
            .join()
            .map_err(|_| io::Error::other("the emulator thread panicked"))?
            .map_err(io::Error::from)
    }
}

impl Drop for EmulatedChild {
    fn drop(&mut self) {
        if self.worker.is_some() {
            let _ = writeln!(self.writer, "quit");
            let _ = self.writer.shutdown(std::net::Shutdown::Both);
            let _ = self.join();
        }
    }
}
