//! A ucontrol client built on the shell's `Vcpu`, for the fault-injection
//! tests: it runs a scenario under `ucas emulate` and prints `key=value`
//! lines, ending with its vcpu's mirror, so a test can hold the mirror
//! against the emulator's `--state-out`.
//!
//! ```text
//! ucas-mirror-client enomem      two one-segment maps, then one 8-segment map
//! ucas-mirror-client vm-closed   map, fault and unmap after the VM fd is closed
//! ```
//!
//! Mirror format: `mirror=VCPU:USER:LENGTH,...` (decimal, user addresses
//! absolute), the extents in vcpu order; `mirror=` when empty.

use std::process::ExitCode;

use ucas::core::abi::UcasMapping;
use ucas::{GuestMemory, Kvm, Vcpu, Vm};

const MIB: u64 = 1 << 20;

fn main() -> ExitCode {
    let scenario = std::env::args().nth(1).unwrap_or_default();
    let result = match scenario.as_str() {
        "enomem" => enomem(),
        "vm-closed" => vm_closed(),
        _ => {
            eprintln!("usage: ucas-mirror-client enomem|vm-closed");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            println!("fatal={e}");
            ExitCode::from(99)
        }
    }
}

fn setup() -> ucas::Result<(Vm, Vcpu, GuestMemory)> {
    let kvm = Kvm::open()?;
    let vm = Vm::create_ucontrol(&kvm)?;
    let vcpu = Vcpu::create(&vm, 0)?;
    let mem = GuestMemory::new(16 * MIB)?;
    Ok((vm, vcpu, mem))
}

fn show(key: &str, r: ucas::Result<()>) {
    match r {
        Ok(()) => println!("{key}=ok"),
        Err(e) => println!("{key}=err:{}:{e}", e.raw_errno().unwrap_or(-1)),
    }
}

fn mirror(vcpu: &Vcpu) {
    let extents: Vec<String> = vcpu
        .mappings()
        .iter()
        .map(|e| format!("{}:{}:{}", e.vcpu_addr(), e.user_addr(), e.length()))
        .collect();
    println!("mirror={}", extents.join(","));
}

/// 10 segment stores: vcpu 2M and 8M (one each), then vcpu 0..8M. With
/// `--enomem-after N` the store after the N-th fails.
fn enomem() -> ucas::Result<()> {
    let (_vm, mut vcpu, mem) = setup()?;
    let base = mem.addr();
    println!("base={base}");
    let maps = [
        (12 * MIB, 2 * MIB, MIB),
        (13 * MIB, 8 * MIB, MIB),
        (0, 0, 8 * MIB),
    ];
    for (i, (user, v, len)) in maps.into_iter().enumerate() {
        let m = UcasMapping {
            user_addr: base + user,
            vcpu_addr: v,
            length: len,
        };
        show(&format!("map{i}"), vcpu.map(m));
    }
    mirror(&vcpu);
    Ok(())
}

/// The vcpu keeps its VM alive, as in KVM: its ioctls work after the VM fd
/// (and /dev/kvm's) are closed.
fn vm_closed() -> ucas::Result<()> {
    let (vm, mut vcpu, mem) = setup()?;
    drop(vm);
    let base = mem.addr();
    println!("base={base}");
    let m = UcasMapping {
        user_addr: base,
        vcpu_addr: 0,
        length: 4 * MIB,
    };
    show("map", vcpu.map(m));
    show("fault", vcpu.fault(0x1000));
    show("unmap", vcpu.unmap(MIB, MIB));
    show("fault_unmapped", vcpu.fault(MIB));
    mirror(&vcpu);
    Ok(())
}
