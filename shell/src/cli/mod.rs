//! The `ucas` command line. The parser is lexopt: about 1 KLoC with no
//! dependencies, against clap's tens of thousands of lines, which matters for
//! a static binary meant for minimal inits and firmware rigs.

use std::ffi::OsString;
use std::fmt;
use std::process::ExitCode;

mod demo;
pub mod json;
mod plan;
mod probe;

/// Exit codes (also in README.md).
pub mod exit {
    use std::process::ExitCode;

    /// The operation failed (e.g. no ucontrol on this host).
    pub const FAILED: u8 = 1;
    /// Bad usage, or a plan with rejected lines.
    pub const USAGE: u8 = 2;

    /// Prints a help text and succeeds.
    pub fn help(text: &str) -> ExitCode {
        println!("{text}");
        ExitCode::SUCCESS
    }
}

const HELP: &str = "\
ucas: s390 KVM ucontrol VMs and their per-vcpu address spaces

Usage: ucas <COMMAND> [ARGS]

Commands:
  demo       run the ucontrol loop once and print each step and exit
  probe      can this host run ucontrol VMs, and if not, why
  plan       validate (check) or apply a mapping plan
  emulate    run a program with /dev/kvm ucontrol served by an emulator
  help       print this help, or a command's: ucas help plan

Options:
  -h, --help     print help
  -V, --version  print the version

Exit status: 0 success, 1 the operation failed, 2 bad usage or rejected input.
Run `ucas COMMAND --help` for a command's options.";

/// A usage error: printed with a hint, exit status 2.
#[derive(Debug)]
pub struct Usage(String);

impl From<lexopt::Error> for Usage {
    fn from(e: lexopt::Error) -> Self {
        Self(e.to_string())
    }
}

impl From<String> for Usage {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for Usage {
    fn from(s: &str) -> Self {
        Self(s.to_string())
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn help_for(command: Option<&str>) -> Result<ExitCode, Usage> {
    let text = match command {
        None => HELP,
        Some("demo") => demo::HELP,
        Some("probe") => probe::HELP,
        Some("plan") => plan::HELP,
        Some("emulate") => {
            let code = ucas::emulator::cli(&["--help".into()]);
            return Ok(ExitCode::from(u8::try_from(code).unwrap_or(exit::FAILED)));
        }
        Some(other) => return Err(format!("no command `{other}`; see `ucas --help`").into()),
    };
    Ok(exit::help(text))
}

/// Runs the command line `args` (without the program name).
pub fn main(args: Vec<OsString>) -> ExitCode {
    match dispatch(args) {
        Ok(code) => code,
        Err(usage) => {
            eprintln!("ucas: {usage}\nTry `ucas --help`.");
            ExitCode::from(exit::USAGE)
        }
    }
}

fn dispatch(args: Vec<OsString>) -> Result<ExitCode, Usage> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args.iter().cloned());
    let command = match parser.next()? {
        None | Some(Short('h') | Long("help")) => return help_for(None),
        Some(Short('V') | Long("version")) => {
            println!("ucas {}", env!("CARGO_PKG_VERSION"));
            return Ok(ExitCode::SUCCESS);
        }
        Some(Value(v)) => v.string()?,
        Some(other) => return Err(other.unexpected().into()),
    };
    match command.as_str() {
        "demo" => demo::run(parser),
        "probe" => probe::run(parser),
        "plan" => plan::run(parser),
        // The emulator parses its own arguments: everything after `--`
        // belongs to the traced program.
        "emulate" => {
            let rest: Vec<OsString> = args.into_iter().skip(1).collect();
            let code = ucas::emulator::cli(&rest);
            Ok(ExitCode::from(u8::try_from(code).unwrap_or(exit::FAILED)))
        }
        "help" => {
            let topic = parser.next()?.map(|a| match a {
                Value(v) => v.string().map_err(Usage::from),
                other => Err(other.unexpected().into()),
            });
            help_for(topic.transpose()?.as_deref())
        }
        other => Err(format!("no command `{other}`").into()),
    }
}
