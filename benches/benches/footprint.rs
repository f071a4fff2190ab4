//! Memory footprint: the size of the extent table for several capacities,
//! of one extent, and of a shell `Vcpu` with its default mirror. Not a
//! timing; it runs with the other benchmarks so the report has it. The
//! static binary sizes are measured by `benches/report.sh`, which builds
//! them.

use ucas::Vcpu;
use ucas_benches::notes;
use ucas_core::{AddressSpace, Extent};

fn main() {
    let pairs = [
        ("AddressSpace<1>", size_of::<AddressSpace<1>>()),
        ("AddressSpace<16>", size_of::<AddressSpace<16>>()),
        ("AddressSpace<64>", size_of::<AddressSpace<64>>()),
        ("AddressSpace<256>", size_of::<AddressSpace<256>>()),
        ("AddressSpace<1024>", size_of::<AddressSpace<1024>>()),
        ("AddressSpace<4096>", size_of::<AddressSpace<4096>>()),
        ("Extent", size_of::<Extent>()),
        ("Vcpu", size_of::<Vcpu>()),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_string()));
    if let Err(e) = notes::write("footprint", &pairs) {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
