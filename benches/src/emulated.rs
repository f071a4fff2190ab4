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
//!
//! The same child runs under [`ucas_emulator::floor`] instead of
//! the emulator when started with [`Supervisor::Floor`]: it then builds no
//! rig (the floor answers every KVM ioctl with 0, so there is no VM) and
//! times only [`FLOOR_OP`], a `KVM_CHECK_EXTENSION` on `/dev/null` that the
//! floor answers without the kernel's ioctl path, and says goodbye
//! ([`floor::END`]) before it exits.

use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::process::{Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use std::fs::File;
use std::os::fd::AsFd;
use std::time::Instant;

use ucas::core::abi::{self, Ioctl};
use ucas_emulator::floor::{self, WakeUp};
use ucas_emulator::{Emulator, Generation};

use crate::raw;
use crate::rig::{Op, Outcome, Rig};

/// Set in the environment of the child that runs under the emulator (value
/// `emulator`) or under the floor (value `floor`).
pub const CHILD_ENV: &str = "UCAS_BENCH_EMULATED_CHILD";

/// The one request a child under the floor times.
pub const FLOOR_OP: &str = "floor";

/// What serves the child's notified calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Supervisor {
    /// The emulator, modelling this generation.
    Emulator(Generation),
    /// The floor, woken this way.
    Floor(WakeUp),
}

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
    if std::env::var_os(CHILD_ENV).is_some_and(|v| v == "floor") {
        return serve_floor();
    }
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
        if let Some(rest) = line.strip_prefix(PARALLEL_OP) {
            match parse_parallel(rest) {
                Some((threads, runs)) => match parallel_runs(threads, runs) {
                    Ok(ns) => writeln!(out, "{ns}")?,
                    Err(e) => writeln!(out, "error {e}")?,
                },
                None => writeln!(
                    out,
                    "error bad request {line:?}; expected parallel THREADS RUNS"
                )?,
            }
            out.flush()?;
            continue;
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

/// `parallel THREADS RUNS`: each of THREADS threads builds a
/// [`Rig::spinning`] vcpu (its own VM) and issues RUNS `KVM_RUN`s; the
/// answer is the wall-clock nanoseconds from the start signal to the last
/// run's end. Each run is [`ucas_emulator::RUN_BUDGET`] guest instructions.
pub const PARALLEL_OP: &str = "parallel ";

fn parse_parallel(rest: &str) -> Option<(usize, u64)> {
    let (t, r) = rest.split_once(' ')?;
    Some((
        t.parse().ok().filter(|&t| (1..=64).contains(&t))?,
        r.parse().ok()?,
    ))
}

fn parallel_runs(threads: usize, runs: u64) -> io::Result<u128> {
    let barrier = std::sync::Barrier::new(threads + 1);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let rig = Rig::spinning().map_err(io::Error::other);
                    barrier.wait();
                    let mut rig = rig?;
                    for _ in 0..runs {
                        let r = rig.vcpu().run();
                        if !matches!(r, Ok(ucas::Exit::Interrupted)) {
                            return Err(io::Error::other(format!(
                                "a spinning KVM_RUN ended with {r:?}, not EINTR"
                            )));
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        for w in workers {
            w.join()
                .map_err(|_| io::Error::other("a run thread panicked"))??;
        }
        Ok(start.elapsed().as_nanos())
    })
}

/// The child's side under the floor.
fn serve_floor() -> io::Result<()> {
    let mut out = io::stdout().lock();
    let null = File::open("/dev/null")?;
    let cap = u64::from(abi::KVM_CAP_S390_UCONTROL);
    let once = || raw::value_ioctl(null.as_fd(), Ioctl::CheckExtension, cap);
    let first = match once() {
        Ok(_) => Outcome::Ok,
        Err(errno) => Outcome::Errno(errno),
    };
    writeln!(out, "ready {FLOOR_OP}={first}")?;
    writeln!(out, "exit none")?;
    out.flush()?;
    for line in io::stdin().lock().lines() {
        let line = line?;
        if line == "quit" {
            break;
        }
        match line
            .strip_prefix("floor ")
            .and_then(|n| n.parse::<u64>().ok())
        {
            Some(iters) => {
                let start = Instant::now();
                for _ in 0..iters {
                    let _ = std::hint::black_box(once());
                }
                writeln!(out, "{}", start.elapsed().as_nanos())?;
            }
            None => writeln!(
                out,
                "error bad request {line:?}; expected floor ITERS or quit"
            )?,
        }
        out.flush()?;
    }
    let _ = raw::no_pointer_ioctl(null.as_fd(), floor::END, 0);
    Ok(())
}

/// The parent's handle on the child under the emulator.
#[derive(Debug)]
pub struct EmulatedChild {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    worker: Option<JoinHandle<ucas_emulator::Result<ExitStatus>>>,
    outcomes: Vec<(String, Outcome)>,
    run_exit: String,
}

impl EmulatedChild {
    /// Starts this executable again under `supervisor` and waits until it
    /// is ready.
    ///
    /// # Errors
    /// When the emulator cannot start the child, or the child cannot build
    /// its rig (the message says why).
    pub fn spawn(supervisor: Supervisor) -> io::Result<Self> {
        let (ours, theirs) = UnixStream::pair()?;
        let mut cmd = Command::new(std::env::current_exe()?);
        let mode = match supervisor {
            Supervisor::Emulator(_) => "emulator",
            Supervisor::Floor(_) => "floor",
        };
        cmd.env(CHILD_ENV, mode)
            .stdin(Stdio::from(OwnedFd::from(theirs.try_clone()?)))
            .stdout(Stdio::from(OwnedFd::from(theirs)));
        let worker = std::thread::Builder::new()
            .name("emulator".into())
            .spawn(move || match supervisor {
                Supervisor::Emulator(generation) => Emulator::new(generation).run(cmd),
                Supervisor::Floor(wake) => floor::run(cmd, wake),
            })?;
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
                .and_then(|(op, o)| Some((op.to_owned(), Outcome::parse(o)?)));
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
        self.outcome_of(op.name())
    }

    /// How the child's first request called `name` ([`Op::name`] or
    /// [`FLOOR_OP`]) ended.
    #[must_use]
    pub fn outcome_of(&self, name: &str) -> Option<Outcome> {
        self.outcomes
            .iter()
            .find(|(o, _)| o == name)
            .map(|&(_, outcome)| outcome)
    }

    /// Has the child issue `op` `iters` times and returns how long the loop
    /// took inside the child.
    ///
    /// # Errors
    /// When the child is gone or answers something else.
    pub fn time(&mut self, op: Op, iters: u64) -> io::Result<Duration> {
        self.time_named(op.name(), iters)
    }

    /// Has the child run `threads` spinning vcpus on as many threads,
    /// `runs` `KVM_RUN`s each, and returns the wall-clock time.
    ///
    /// # Errors
    /// When the child is gone or answers something else.
    pub fn parallel(&mut self, threads: usize, runs: u64) -> io::Result<Duration> {
        self.ask(&format!("{PARALLEL_OP}{threads} {runs}"))
    }

    /// As [`time`](Self::time), for the request called `name`.
    ///
    /// # Errors
    /// When the child is gone or answers something else.
    pub fn time_named(&mut self, name: &str, iters: u64) -> io::Result<Duration> {
        self.ask(&format!("{name} {iters}"))
    }

    /// Sends one request and reads the nanoseconds it answers.
    fn ask(&mut self, request: &str) -> io::Result<Duration> {
        writeln!(self.writer, "{request}")?;
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
