#!/usr/bin/env bash
# Runs every ucas benchmark and writes BENCHMARKS.md and its plots at the
# repo root, from this run only:
#
#   benches/report.sh
#
# 1. builds the static `ucas` binaries (musl x86_64; glibc s390x with
#    crt-static) with the size profile and records their sizes;
# 2. runs `cargo bench -p ucas-benches` (criterion; about 5 minutes) after
#    clearing earlier criterion results;
# 3. runs benches/report.py, which reads the criterion medians
#    (target/criterion/**/new/estimates.json) and the notes the benchmarks
#    left, and writes BENCHMARKS.md, benchmarks-translate.svg and
#    benchmarks-map-range.svg.
#
# Needs python3 (standard library only). Extra arguments go to
# `cargo bench`, e.g. `benches/report.sh -- --measurement-time 1` for a
# quick, rougher run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

target=${CARGO_TARGET_DIR:-target}
# Absolute: cargo runs each benchmark in its package directory.
target=$(mkdir -p "$target" && cd "$target" && pwd)
notes=$target/ucas-bench-notes
rm -rf "$target/criterion" "$notes"
mkdir -p "$notes"

# Built first, so the compilers are done before anything is timed.
sizes=$notes/binaries.txt
: >"$sizes"
record_size() {
    local name=$1 bin=$2
    if [[ -f $bin ]]; then
        echo "$name $(stat -c %s "$bin")" >>"$sizes"
    else
        echo "$name missing" >>"$sizes"
    fi
}
if cargo build -p ucas --profile size --target x86_64-unknown-linux-musl; then
    record_size musl-x86_64 "$target/x86_64-unknown-linux-musl/size/ucas"
else
    echo "WARNING: the musl build failed (rustup target add x86_64-unknown-linux-musl; apt-get install musl-tools)" >&2
    echo "musl-x86_64 missing" >>"$sizes"
fi
if RUSTFLAGS='-C target-feature=+crt-static' \
    cargo build -p ucas --profile size --target s390x-unknown-linux-gnu; then
    record_size s390x-glibc-static "$target/s390x-unknown-linux-gnu/size/ucas"
else
    echo "WARNING: the s390x build failed (rustup target add s390x-unknown-linux-gnu; apt-get install gcc-s390x-linux-gnu libc6-dev-s390x-cross)" >&2
    echo "s390x-glibc-static missing" >>"$sizes"
fi

# A program that uses only the library (no CLI, no emulator): what embedding
# ucas in a minimal init costs.
if cargo build -p ucas --no-default-features --example lib_only --profile size \
    --target x86_64-unknown-linux-musl; then
    record_size lib-only-musl-x86_64 "$target/x86_64-unknown-linux-musl/size/examples/lib_only"
else
    echo "lib-only-musl-x86_64 missing" >>"$sizes"
fi

cargo bench -p ucas-benches --no-run

machine=$notes/machine.txt
{
    echo "cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "cpus $(nproc)"
    echo "memory $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel $(uname -sr)"
    echo "kvm_modules $(ls /sys/module 2>/dev/null | grep -i kvm | tr '\n' ' ')"
    echo "virtualised $(grep -q -m1 -w hypervisor /proc/cpuinfo && echo yes || echo no)"
    echo "hw_virt $(grep -m1 -o -w -E 'vmx|svm' /proc/cpuinfo || echo none)"
    echo "rustc $(rustc -V)"
    echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
    echo "load_before $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$machine"

start=$SECONDS
UCAS_BENCH_NOTES=$notes cargo bench -p ucas-benches "$@"
{
    echo "load_after $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "bench_seconds $((SECONDS - start))"
} >>"$machine"

python3 benches/report.py --criterion "$target/criterion" --notes "$notes" --out .
echo "wrote BENCHMARKS.md, benchmarks-translate.svg, benchmarks-map-range.svg"
