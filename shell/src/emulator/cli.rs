//! The `ucas emulate` command line.

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;

use super::{CommandFailed, Emulator};
use ucas_core::Generation;
use ucas_core::request::VersionError;

const HELP: &str = "\
Run a program and answer its /dev/kvm s390 ucontrol ioctls from a kernel model.

Usage: ucas emulate [OPTIONS] -- CMD [ARGS...]

Options:
  --kernel VERSION    model this kernel: up to 6.13 = generation A,
                      6.14-6.19 = B, 7.0 and later = C (default: newest)
  --trace             print one line per emulated call on stderr
  --enomem-after N    fail the segment store after N successful ones with
                      ENOMEM, once
  --state-out FILE    at exit, write every vcpu's address space as JSON
  -h, --help          print this help

CMD runs unmodified; its other system calls run natively. The exit status is
CMD's (128+N if a signal N killed it); 125 means ucas emulate itself failed,
126 that CMD could not be executed, 127 that it was not found.";

/// Exit status when the emulator itself fails.
const EXIT_INTERNAL: i32 = 125;
/// Exit status for bad usage.
const EXIT_USAGE: i32 = 2;

#[derive(Debug)]
struct Options {
    generation: Generation,
    trace: bool,
    enomem_after: Option<u64>,
    state_out: Option<OsString>,
    command: Vec<OsString>,
}

enum Parsed {
    Run(Options),
    Help,
}

fn parse(args: &[OsString]) -> Result<Parsed, String> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_args(args.iter().cloned());
    let mut o = Options {
        generation: Generation::NEWEST,
        trace: false,
        enomem_after: None,
        state_out: None,
        command: Vec::new(),
    };
    while let Some(arg) = p.next().map_err(|e| e.to_string())? {
        match arg {
            Short('h') | Long("help") => return Ok(Parsed::Help),
            Long("trace") => o.trace = true,
            Long("kernel") => {
                let v = p.value().map_err(|e| e.to_string())?;
                o.generation = kernel_option(&v.to_string_lossy())?;
            }
            Long("enomem-after") => {
                let v = p.value().map_err(|e| e.to_string())?;
                let s = v.to_string_lossy();
                o.enomem_after = Some(s.parse().map_err(|_| {
                    format!("--enomem-after: '{s}' is not a number of segment stores")
                })?);
            }
            Long("state-out") => o.state_out = Some(p.value().map_err(|e| e.to_string())?),
            Value(cmd) => {
                o.command.push(cmd);
                o.command.extend(p.raw_args().map_err(|e| e.to_string())?);
                return Ok(Parsed::Run(o));
            }
            other => return Err(other.unexpected().to_string()),
        }
    }
    Err("no command given: ucas emulate [OPTIONS] -- CMD [ARGS...]".into())
}

/// The generation a `--kernel VERSION` option selects, or the message for
/// a bad version (naming the option and what to give instead).
///
/// # Errors
/// A message when `version` is not MAJOR.MINOR or predates ucontrol.
pub fn kernel_option(version: &str) -> Result<Generation, String> {
    Generation::from_kernel_version(version).map_err(|e| match e {
        // Core's wording also offers `strict`, which is no kernel.
        VersionError::Malformed => format!(
            "--kernel '{version}': not a kernel version: give MAJOR.MINOR such as 6.8, 6.14 or 7.0"
        ),
        e => format!("--kernel '{version}': {e}"),
    })
}

/// Runs `ucas emulate` with `args`, the arguments after `emulate`, and
/// returns the process exit status: CMD's own, 128+N if signal N killed it,
/// 2 for bad usage, 125 if the emulator failed, 126/127 if CMD could not be
/// executed/found.
#[must_use]
pub fn cli(args: &[OsString]) -> i32 {
    let o = match parse(args) {
        Ok(Parsed::Help) => {
            println!("{HELP}");
            return 0;
        }
        Ok(Parsed::Run(o)) => o,
        Err(msg) => {
            eprintln!("ucas emulate: {msg}\nTry 'ucas emulate --help'.");
            return EXIT_USAGE;
        }
    };
    let mut cmd = Command::new(&o.command[0]);
    cmd.args(&o.command[1..]);
    let mut emu = Emulator::new(o.generation)
        .trace(o.trace)
        .enomem_after(o.enomem_after);
    if let Some(p) = o.state_out {
        emu = emu.state_out(p);
    }
    match emu.run(cmd) {
        Ok(status) => match (status.code(), status.signal()) {
            (Some(code), _) => code,
            (None, Some(sig)) => 128 + sig,
            (None, None) => EXIT_INTERNAL,
        },
        Err(e) => {
            eprintln!("ucas emulate: {e}");
            // 126/127 only when CMD itself could not be executed; a missing
            // state directory is the emulator's failure.
            let exec_failed = e.get_ref().is_some_and(|r| r.is::<CommandFailed>());
            match e.kind() {
                std::io::ErrorKind::NotFound if exec_failed => 127,
                _ if exec_failed => 126,
                _ => EXIT_INTERNAL,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn parses_flags_and_command() {
        let Ok(Parsed::Run(o)) = parse(&args(&[
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
        assert!(o.trace);
        assert_eq!(o.enomem_after, Some(5));
        assert_eq!(o.state_out, Some(OsString::from("/tmp/s")));
        assert_eq!(o.command, args(&["prog", "--trace", "x"]));
    }

    #[test]
    fn command_without_double_dash_stops_option_parsing() {
        let Ok(Parsed::Run(o)) = parse(&args(&["prog", "--kernel", "6.8"])) else {
            panic!()
        };
        assert_eq!(o.generation, Generation::NEWEST);
        assert_eq!(o.command, args(&["prog", "--kernel", "6.8"]));
    }

    #[test]
    fn rejects_bad_usage() {
        assert!(parse(&args(&[])).is_err());
        assert!(parse(&args(&["--kernel", "banana", "--", "x"])).is_err());
        assert!(parse(&args(&["--enomem-after", "-1", "--", "x"])).is_err());
        assert!(parse(&args(&["--bogus", "--", "x"])).is_err());
        assert!(parse(&args(&["--kernel"])).is_err());
        assert!(matches!(parse(&args(&["--help"])), Ok(Parsed::Help)));
        assert_eq!(cli(&args(&["--bogus"])), EXIT_USAGE);
        assert_eq!(cli(&args(&["--help"])), 0);
    }
}
