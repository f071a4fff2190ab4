//! The smallest real user of the `ucas` library alone (no CLI, no
//! emulator): open `/dev/kvm`, try a ucontrol VM and say what happened. CI
//! builds it statically to report what embedding the library costs.

use ucas::{Kvm, Vm};

fn main() -> std::process::ExitCode {
    let result = Kvm::open().and_then(|kvm| Vm::create_ucontrol(&kvm).map(drop));
    match result {
        Ok(()) => {
            println!("ucontrol VMs work on this host");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            println!("no ucontrol VM: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
