//! The `ucas` command line. The parser is lexopt: about 1 KLoC with no
//! dependencies, against clap's tens of thousands of lines, which matters for
//! a static binary meant for minimal inits and firmware rigs.

use std::ffi::OsString;
use std::fmt;
use std::process::ExitCode;

use ucas::core::{Generation, Rules};

mod demo;
mod emulate;
pub mod json;
mod plan;
mod probe;
mod run;

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
  run        run a static s390x ELF as a ucontrol guest
  help       print this help, or a command's: ucas help plan

Options:
  -h, --help     print help
  -V, --version  print the version

Exit status: 0 success, 1 the operation failed, 2 bad usage or rejected input.
Run `ucas COMMAND --help` for a command's options.";

/// A usage error: printed with the synopsis of the command it concerns
/// and a pointer to the help, exit status 2.
#[derive(Debug)]
pub struct Usage {
    message: String,
    /// The help text whose `Usage:` lines are printed with the message.
    help: &'static str,
}

impl Usage {
    /// The same error, about the command whose help is `help`.
    fn of(self, help: &'static str) -> Self {
        Self { help, ..self }
    }
}

impl From<lexopt::Error> for Usage {
    fn from(e: lexopt::Error) -> Self {
        e.to_string().into()
    }
}

impl From<String> for Usage {
    fn from(message: String) -> Self {
        Self {
            message,
            help: HELP,
        }
    }
}

impl From<&str> for Usage {
    fn from(s: &str) -> Self {
        s.to_string().into()
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The generation a `--kernel VERSION` option selects (the one parser of
/// that option; `plan` also takes `strict`, see [`kernel_rules`]).
fn kernel_generation(text: &str) -> Result<Generation, Usage> {
    kernel_release(text).map(|(generation, _)| generation)
}

/// The generation and `(major, minor)` release a `--kernel VERSION` names.
fn kernel_release(text: &str) -> Result<(Generation, (u32, u32)), Usage> {
    Generation::release_of(text).map_err(|e| format!("--kernel '{text}': {e}").into())
}

/// What `--trace[=LIST]` and `--trace-limit N` select (`ucas emulate` and
/// `ucas run`): the emulated calls, the guest's instructions, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Trace {
    calls: bool,
    insn: bool,
    limit: Option<u64>,
}

impl Trace {
    /// One `--trace` option: without a value the calls, else a
    /// comma-separated list of `calls` and `insn`.
    fn add(&mut self, list: Option<OsString>) -> Result<(), Usage> {
        let Some(list) = list else {
            self.calls = true;
            return Ok(());
        };
        let list = list
            .into_string()
            .map_err(|v| format!("--trace={}: not UTF-8", v.to_string_lossy()))?;
        for item in list.split(',') {
            match item {
                "calls" => self.calls = true,
                "insn" => self.insn = true,
                _ => {
                    return Err(
                        format!("--trace={list}: '{item}' is neither `calls` nor `insn`").into(),
                    );
                }
            }
        }
        Ok(())
    }

    /// `--trace-limit N`.
    fn set_limit(&mut self, text: &str) -> Result<(), Usage> {
        let n = text
            .parse()
            .map_err(|_| format!("--trace-limit: '{text}' is not a number of instructions"))?;
        self.limit = Some(n);
        Ok(())
    }

    /// The whole selection, checked once every option is read.
    fn check(self) -> Result<Self, Usage> {
        if self.limit.is_some() && !self.insn {
            return Err("--trace-limit counts instructions: it needs --trace=insn".into());
        }
        Ok(self)
    }

    /// `emu` tracing what this selects.
    fn apply(self, emu: ucas_emulator::Emulator) -> ucas_emulator::Emulator {
        emu.trace(self.calls)
            .trace_instructions(self.insn)
            .trace_limit(self.limit)
    }
}

/// `--kernel VERSION|strict`: the rules of a kernel generation, or the
/// strict rules every kernel accepts.
fn kernel_rules(text: &str) -> Result<Rules, Usage> {
    if text == "strict" {
        return Ok(Rules::Strict);
    }
    kernel_generation(text)
        .map(Rules::Kernel)
        .map_err(|u| format!("{u}, or `strict`").into())
}

/// What a file that is not a regular file is, for the message refusing it:
/// a FIFO or a device would block or never end, a directory has no text
/// and a socket cannot be opened.
fn not_regular(file_type: std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_file() {
        None
    } else if file_type.is_dir() {
        Some("a directory")
    } else if file_type.is_fifo() {
        Some("a FIFO")
    } else if file_type.is_char_device() {
        Some("a character device")
    } else if file_type.is_block_device() {
        Some("a block device")
    } else if file_type.is_socket() {
        Some("a socket")
    } else {
        Some("an unknown kind of file")
    }
}

/// The `Usage:` lines of a help text: from `Usage:` to the first blank line.
fn synopsis(help: &str) -> String {
    help.lines()
        .skip_while(|l| !l.starts_with("Usage:"))
        .take_while(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn help_for(command: Option<&str>) -> Result<ExitCode, Usage> {
    let text = match command {
        None => HELP,
        Some("demo") => demo::HELP,
        Some("probe") => probe::HELP,
        Some("plan") => plan::HELP,
        Some("emulate") => emulate::HELP,
        Some("run") => run::HELP,
        Some(other) => return Err(format!("no command `{other}`; see `ucas --help`").into()),
    };
    Ok(exit::help(text))
}

/// Runs the command line `args` (without the program name).
pub fn main(args: Vec<OsString>) -> ExitCode {
    match dispatch(args) {
        Ok(code) => code,
        Err(usage) => {
            // A command's own help starts with its synopsis `ucas CMD …`.
            let command = synopsis(usage.help)
                .strip_prefix("Usage: ucas ")
                .and_then(|rest| rest.split_whitespace().next())
                .filter(|c| c.chars().all(|ch| ch.is_ascii_lowercase()))
                .map(str::to_owned);
            let pointer = match command {
                Some(c) => format!("Try `ucas --help`, or `ucas {c} --help` for its options."),
                None => "Try `ucas --help`.".to_owned(),
            };
            eprintln!("ucas: {usage}\n{}\n{pointer}", synopsis(usage.help));
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
        "demo" => demo::run(parser).map_err(|u| u.of(demo::HELP)),
        "probe" => probe::run(parser).map_err(|u| u.of(probe::HELP)),
        "plan" => plan::run(parser).map_err(|u| u.of(plan::HELP)),
        // The emulator parses its own arguments: everything after `--`
        // belongs to the traced program.
        "emulate" => emulate::run(parser).map_err(|u| u.of(emulate::HELP)),
        "run" => run::run(parser).map_err(|u| u.of(run::HELP)),
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
