//! `ucas emulate`: the command line over [`ucas_emulator::Emulator`].

use std::ffi::OsString;
use std::io::Write as _;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitCode};

use ucas::core::Generation;
use ucas_emulator::Emulator;

use super::{Usage, exit};

pub const HELP: &str = "\
Run a program and answer its /dev/kvm s390 ucontrol ioctls from a kernel model.

Usage: ucas emulate [OPTIONS] -- CMD [ARGS...]

Options:
  --kernel VERSION    model this kernel: up to 6.13 = generation A,
                      6.14-6.19 = B, 7.0 and later = C (default: 7.0);
                      7.1 and 7.2 add their capabilities to C
  --trace[=LIST]      print on stderr one line per emulated call (`calls`,
                      the default) and/or per guest instruction executed
                      in KVM_RUN, disassembled (`insn`): --trace=calls,insn
  --trace-limit N     stop the instruction trace after N instructions
  --enomem-after N    fail the segment store after N successful ones with
                      ENOMEM, once
  --state-out FILE    at exit, write every vcpu's address space as JSON
                      (a regular file: a FIFO or a device is refused)
  -h, --help          print this help

CMD runs unmodified; its other system calls run natively. SIGTERM, SIGINT
and SIGHUP sent to ucas emulate are passed on to CMD. The exit status is
CMD's (128+N if a signal N killed it); 2 means bad usage (CMD did not run),
124 that CMD ran but the state file could not be written (the message gives
CMD's status), 125 that ucas emulate itself failed, 126 that CMD could not be
executed, 127 that it was not found.";

/// Exit status when CMD ran but its `--state-out` file could not be written.
pub const EXIT_STATE_WRITE: u8 = 124;

/// Exit status when the emulator itself fails.
pub const EXIT_INTERNAL: u8 = 125;
/// Exit status when CMD exists but cannot be executed.
pub const EXIT_CANNOT_EXECUTE: u8 = 126;
/// Exit status when CMD is not found.
pub const EXIT_NOT_FOUND: u8 = 127;

/// The parsed command line of `ucas emulate`.
#[derive(Debug)]
struct Options {
    generation: Generation,
    /// The release `--kernel` named.
    release: Option<(u32, u32)>,
    trace: super::Trace,
    enomem_after: Option<u64>,
    state_out: Option<OsString>,
    command: Vec<OsString>,
}

/// `None` for `--help`.
fn parse(mut p: lexopt::Parser) -> Result<Option<Options>, Usage> {
    use lexopt::prelude::*;
    let mut o = Options {
        generation: Generation::NEWEST,
        release: None,
        trace: super::Trace::default(),
        enomem_after: None,
        state_out: None,
        command: Vec::new(),
    };
    while let Some(arg) = p.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(None),
            Long("trace") => o.trace.add(p.optional_value())?,
            Long("trace-limit") => o.trace.set_limit(&p.value()?.string()?)?,
            Long("kernel") => {
                let (generation, release) = super::kernel_release(&p.value()?.string()?)?;
                (o.generation, o.release) = (generation, Some(release));
            }
            Long("enomem-after") => {
                let s = p.value()?.string()?;
                o.enomem_after = Some(s.parse().map_err(|_| {
                    format!("--enomem-after: '{s}' is not a number of segment stores")
                })?);
            }
            Long("state-out") => o.state_out = Some(state_out(p.value()?)?),
            Value(cmd) => {
                o.trace = o.trace.check()?;
                o.command.push(cmd);
                o.command.extend(p.raw_args()?);
                return Ok(Some(o));
            }
            other => return Err(other.unexpected().into()),
        }
    }
    Err("no command given: ucas emulate [OPTIONS] -- CMD [ARGS...]".into())
}

/// A `--state-out` path, refused when it exists and is not a regular file:
/// opening a FIFO waits for a reader and a device swallows or refuses the
/// state, either only noticed after the program ran.
fn state_out(path: OsString) -> Result<OsString, Usage> {
    match std::fs::metadata(&path) {
        Ok(m) => match super::not_regular(m.file_type()) {
            Some(what) => Err(format!(
                "--state-out {}: {what}, not a regular file; give the path of a file to create",
                path.to_string_lossy()
            )
            .into()),
            None => Ok(path),
        },
        // A missing file is created; other failures are the emulator's to report.
        Err(_) => Ok(path),
    }
}

/// The exit status `ucas emulate` gives when the emulator fails with `e`.
fn error_code(e: &ucas_emulator::Error) -> u8 {
    match e {
        ucas_emulator::Error::StateWrite { .. } => EXIT_STATE_WRITE,
        _ if e.is_spawn() && e.kind() == std::io::ErrorKind::NotFound => EXIT_NOT_FOUND,
        _ if e.is_spawn() => EXIT_CANNOT_EXECUTE,
        _ => EXIT_INTERNAL,
    }
}

/// The exit status `ucas emulate` gives for a program that ended with
/// `status`: its code, or 128+N for death by signal N.
pub(super) fn status_code(status: std::process::ExitStatus) -> u8 {
    match (status.code(), status.signal()) {
        // Exit codes are 0..=255 by construction; anything else is ours.
        (Some(code), _) => u8::try_from(code & 0xff).unwrap_or(EXIT_INTERNAL),
        (None, Some(sig)) => u8::try_from(128 + sig).unwrap_or(EXIT_INTERNAL),
        (None, None) => EXIT_INTERNAL,
    }
}

/// Runs `ucas emulate` with the arguments after `emulate`.
pub fn run(args: lexopt::Parser) -> Result<ExitCode, Usage> {
    let Some(o) = parse(args)? else {
        return Ok(exit::help(HELP));
    };
    let mut cmd = Command::new(&o.command[0]);
    cmd.args(&o.command[1..]);
    let mut emu = Emulator::new(o.generation);
    if let Some((major, minor)) = o.release {
        emu = emu.release(major, minor);
    }
    let mut emu = o
        .trace
        .apply(emu)
        .enomem_after(o.enomem_after)
        .forward_signals(true);
    if let Some(p) = o.state_out {
        emu = emu.state_out(p);
    }
    let code = match emu.run(cmd) {
        Ok(status) => status_code(status),
        Err(e) => {
            // Dropped if stderr is unwritable: the exit status still tells.
            let _ = writeln!(std::io::stderr(), "ucas emulate: {e}");
            error_code(&e)
        }
    };
    Ok(ExitCode::from(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser(a: &[&str]) -> lexopt::Parser {
        lexopt::Parser::from_args(a.iter().map(OsString::from).collect::<Vec<_>>())
    }

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn parses_flags_and_command() {
        let Ok(Some(o)) = parse(parser(&[
            "--kernel",
            "6.8",
            "--trace",
            "--enomem-after=5",
            "--state-out",
            "/tmp/s",
            "--",
            "prog",
            "--trace",
            "x",
        ])) else {
            panic!()
        };
        assert_eq!(o.generation, Generation::A);
        assert!(o.trace.calls && !o.trace.insn);
        assert_eq!(o.enomem_after, Some(5));
        assert_eq!(o.state_out, Some(OsString::from("/tmp/s")));
        assert_eq!(o.command, args(&["prog", "--trace", "x"]));
    }

    #[test]
    fn kernel_names_the_release() {
        let Ok(Some(o)) = parse(parser(&["--kernel", "7.2", "x"])) else {
            panic!()
        };
        assert_eq!((o.generation, o.release), (Generation::C, Some((7, 2))));
        let Ok(Some(o)) = parse(parser(&["x"])) else {
            panic!()
        };
        assert_eq!(o.release, None);
    }

    #[test]
    fn trace_takes_a_list() {
        let Ok(Some(o)) = parse(parser(&["--trace=insn,calls", "--trace-limit=9", "x"])) else {
            panic!()
        };
        assert!(o.trace.calls && o.trace.insn);
        assert_eq!(o.trace.limit, Some(9));
        let Ok(Some(o)) = parse(parser(&["--trace=insn", "x"])) else {
            panic!()
        };
        assert!(o.trace.insn && !o.trace.calls);
        assert!(parse(parser(&["--trace=calls,", "x"])).is_err());
        assert!(parse(parser(&["--trace-limit", "3", "x"])).is_err());
    }

    #[test]
    fn command_without_double_dash_stops_option_parsing() {
        let Ok(Some(o)) = parse(parser(&["prog", "--kernel", "6.8"])) else {
            panic!()
        };
        assert_eq!(o.generation, Generation::NEWEST);
        assert_eq!(o.command, args(&["prog", "--kernel", "6.8"]));
    }

    #[test]
    fn rejects_bad_usage() {
        assert!(parse(parser(&[])).is_err());
        assert!(parse(parser(&["--kernel", "banana", "--", "x"])).is_err());
        assert!(parse(parser(&["--enomem-after", "-1", "--", "x"])).is_err());
        assert!(parse(parser(&["--bogus", "--", "x"])).is_err());
        assert!(parse(parser(&["--kernel"])).is_err());
        assert!(matches!(parse(parser(&["--help"])), Ok(None)));
    }

    #[test]
    fn state_write_failure_has_its_own_exit_status() {
        let e = ucas_emulator::Error::StateWrite {
            path: "/dev/full".into(),
            source: std::io::Error::from_raw_os_error(28),
            status: std::process::ExitStatus::from_raw(3 << 8),
        };
        assert_eq!(error_code(&e), EXIT_STATE_WRITE);
        assert!(e.to_string().contains("exit status: 3"), "{e}");
        assert_eq!(error_code(&ucas_emulator::Error::NoListener), EXIT_INTERNAL);
    }

    #[test]
    fn state_out_must_be_a_regular_file() {
        assert!(parse(parser(&["--state-out", "/dev/null", "--", "x"])).is_err());
        assert!(parse(parser(&["--state-out", "/", "--", "x"])).is_err());
        assert!(parse(parser(&["--state-out", "/nonexistent/s.json", "--", "x"])).is_ok());
    }

    #[test]
    fn exit_status_of_the_program() {
        assert_eq!(status_code(std::process::ExitStatus::from_raw(7 << 8)), 7);
        assert_eq!(status_code(std::process::ExitStatus::from_raw(9)), 128 + 9);
    }
}
