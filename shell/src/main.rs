//! The `ucas` command: probe a host, check or apply mapping plans, emulate
//! ucontrol KVM for unmodified programs.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main(std::env::args_os().skip(1).collect())
}
