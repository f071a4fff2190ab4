#!/usr/bin/env python3
"""Writes BENCHMARKS.md and its SVG plots from one benchmark run.

Reads the criterion medians (<criterion>/**/new/estimates.json, named by the
benchmark.json beside them) and the notes the benchmarks and report.sh left
(<notes>/*.txt, one "key value" pair per line). Standard library only.

    python3 benches/report.py --criterion target/criterion \
        --notes target/ucas-bench-notes --out .

benches/report.sh runs the benchmarks and then this script.
"""

import argparse
import json
import math
import os
import sys

EXTENTS = [1, 16, 256, 1024]
RANGES = ["1MiB", "1GiB", "1TiB"]
SIDES = [("ucas", "ucas (extent table)"), ("btreemap", "BTreeMap per segment"),
         ("linear_vec", "linear-scan Vec")]
EMULATED_OPS = [("ucas_map", "KVM_S390_UCAS_MAP"), ("ucas_unmap", "KVM_S390_UCAS_UNMAP"),
                ("vcpu_fault", "KVM_S390_VCPU_FAULT"), ("kvm_run", "KVM_RUN → exit"),
                ("check_extension", "KVM_CHECK_EXTENSION")]
SHELL_PAIRS = [("check_extension", "`Kvm::check_extension` / `KVM_CHECK_EXTENSION`"),
               ("api_version", "`Kvm::api_version` / `KVM_GET_API_VERSION`"),
               ("ucas_map_einval", "`Vcpu::map` / `KVM_S390_UCAS_MAP` (EINVAL path)")]
ERRNO_NAMES = {14: "EFAULT", 22: "EINVAL", 25: "ENOTTY", 28: "ENOSPC", 38: "ENOSYS",
               66: "EREMOTE"}

# Targets from the benchmark issue.
SHELL_RATIO = 1.03
MAP_UNMAP_NS = 150.0
FLOOR_RATIO = 1.5
MUSL_KIB = 640.0
PATTERN_COUNTS = [256, 1024, 4096]
GUEST_RATIO = 0.25
PARALLEL_RATIO = 1.7
GUEST_LOOPS = [("reg", "register-only loop"), ("mem", "load/store loop over 64 KiB"),
               ("branch", "branchy loop")]


def load_medians(root):
    """{ "group/function/value": (median, lower, upper) } in nanoseconds."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        if os.path.basename(dirpath) != "new" or "estimates.json" not in files:
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            bench = json.load(f)
        with open(os.path.join(dirpath, "estimates.json")) as f:
            est = json.load(f)["median"]
        ci = est["confidence_interval"]
        out[bench["full_id"]] = (est["point_estimate"], ci["lower_bound"], ci["upper_bound"])
    return out


def load_notes(root):
    notes = {}
    if not os.path.isdir(root):
        return notes
    for name in sorted(os.listdir(root)):
        if not name.endswith(".txt"):
            continue
        pairs = {}
        with open(os.path.join(root, name)) as f:
            for line in f:
                key, _, value = line.rstrip("\n").partition(" ")
                if key:
                    pairs[key] = value
        notes[name[:-4]] = pairs
    return notes


def fmt_ns(ns):
    if ns is None:
        return "n/a"
    if ns < 1e3:
        return f"{ns:.3g} ns" if ns < 100 else f"{ns:.0f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.3g} µs"
    if ns < 1e9:
        return f"{ns / 1e6:.3g} ms"
    return f"{ns / 1e9:.3g} s"


def fmt_ratio(r):
    if r is None:
        return "n/a"
    if r >= 100:
        return f"{r:,.0f}×"
    if r >= 10:
        return f"{r:.1f}×"
    return f"{r:.2f}×"


def fmt_outcome(text):
    if text is None:
        return "n/a"
    if text.startswith("errno:"):
        n = int(text[6:])
        return ERRNO_NAMES.get(n, f"errno {n}")
    return text


class Run:
    def __init__(self, medians, notes):
        self.m = medians
        self.notes = notes

    def get(self, bench_id):
        v = self.m.get(bench_id)
        return v[0] if v else None

    def paired(self, pair, baseline):
        """The paired median ratio ucas / baseline from the shell notes."""
        v = self.notes.get("shell_paired", {}).get(f"{pair}.ucas_over_{baseline}")
        return float(v) if v else None

    def ratio(self, slower, faster):
        a, b = self.get(slower), self.get(faster)
        if a is None or b is None or b == 0:
            return None
        return a / b


# ---------------------------------------------------------------- SVG plots

COLORS = {"ucas": "#1f77b4", "btreemap": "#d62728", "linear_vec": "#7f7f7f"}


def svg_plot(title, xlabel, ylabel, xs, xlabels, series, hline=None):
    """A log-log line chart. series: [(label, color, dashed, [y or None])]."""
    w, h = 760, 460
    left, right, top, bottom = 80, 230, 44, 60
    pw, ph = w - left - right, h - top - bottom
    ys = [y for _l, _c, _d, vals in series for y in vals if y]
    if hline:
        ys.append(hline[0])
    if not ys:
        ys = [1.0]
    lo = 10 ** math.floor(math.log10(min(ys)))
    hi = 10 ** math.ceil(math.log10(max(ys)))
    if hi <= lo:
        hi = lo * 10
    lx = [math.log2(x) for x in xs]
    x0, x1 = min(lx), max(lx)

    def px(i):
        return left + (0.5 if x1 == x0 else (lx[i] - x0) / (x1 - x0)) * pw

    def py(y):
        return top + ph - (math.log10(y) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
           f'viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{left + pw / 2}" y="24" text-anchor="middle" font-size="15">{title}</text>']
    decade = lo
    while decade <= hi * 1.0001:
        y = py(decade)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{fmt_ns(decade)}</text>')
        decade *= 10
    for i, label in enumerate(xlabels):
        x = px(i)
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ph}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{top + ph + 18}" text-anchor="middle">{label}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    out.append(f'<text x="{left + pw / 2}" y="{h - 16}" text-anchor="middle">{xlabel}</text>')
    out.append(f'<text transform="translate(18 {top + ph / 2}) rotate(-90)" '
               f'text-anchor="middle">{ylabel}</text>')
    if hline:
        y = py(hline[0])
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" '
                   f'stroke="#2ca02c" stroke-dasharray="2 3"/>')
        out.append(f'<text x="{left + 4}" y="{y - 4:.1f}" fill="#2ca02c">{hline[1]}</text>')
    for n, (label, color, dashed, vals) in enumerate(series):
        pts = [(px(i), py(v)) for i, v in enumerate(vals) if v]
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        if len(pts) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" '
                       f'stroke-width="2"{dash}/>')
        for x, y in pts:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>')
        ly = top + 10 + n * 20
        lx0 = left + pw + 14
        out.append(f'<line x1="{lx0}" y1="{ly}" x2="{lx0 + 28}" y2="{ly}" stroke="{color}" '
                   f'stroke-width="2"{dash}/>')
        out.append(f'<text x="{lx0 + 34}" y="{ly + 4}">{label}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def translate_plot(run):
    series = []
    for group, suffix, dashed in [("translate", "1 MiB extents", False),
                                  ("translate_64mib", "64 MiB extents", True)]:
        for side, label in SIDES:
            vals = [run.get(f"{group}/{side}/{k}") for k in EXTENTS]
            series.append((f"{side}, {suffix}", COLORS[side], dashed, vals))
    return svg_plot("translate: one lookup vs. extents in the table", "extents in the table",
                    "median time per lookup", EXTENTS, [str(k) for k in EXTENTS], series,
                    hline=None)


def range_plot(run):
    series = []
    for group, dashed in [("map_range", False), ("unmap_range", True)]:
        for side, _label in SIDES:
            vals = [run.get(f"{group}/{side}/{r}") for r in RANGES]
            series.append((f"{group.split('_')[0]} {side}", COLORS[side], dashed, vals))
    return svg_plot("map a range into an empty table; unmap it again", "range length",
                    "median time per call", [1 << 20, 1 << 30, 1 << 40], RANGES, series)


# ---------------------------------------------------------------- Markdown


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(ok, margin):
    if ok is None:
        return "not measured"
    return f"**met** ({margin})" if ok else f"**missed** ({margin})"


def share(ours, theirs):
    """Our time as a fraction of theirs, for a goal 'at most `limit` of theirs'."""
    return None if ours is None or theirs is None or theirs == 0 else ours / theirs


def at_most(rows, misses, key, label, goal_text, value, limit, shown):
    ok = None if value is None else value <= limit
    margin = "" if value is None else (
        f"{limit / value:.2f}× better than the goal" if ok else
        f"{value / limit:.2f}× over the goal")
    rows.append([label, goal_text, shown if value is not None else "n/a", verdict(ok, margin)])
    if ok is False:
        misses.append(key)


def targets(run, sizes):
    rows, misses = [], []

    # Issue 13, item 4: translate ahead of every peer.
    for pattern in ["random", "chain"]:
        for k in PATTERN_COUNTS:
            ours = run.get(f"translate_{pattern}/ucas/{k}")
            for peer, limit, key in [("btreemap", 1 / 3, "t1"), ("rangemap", 1 / 2, "t1")]:
                r = share(ours, run.get(f"translate_{pattern}/{peer}/{k}"))
                at_most(rows, misses, key,
                        f"translate, {pattern} lookups, {k} extents: ucas / {peer}",
                        f"≤ {'1/3' if limit < 0.4 else '1/2'}", r, limit,
                        "" if r is None else f"{r:.2f} ({fmt_ns(ours)})")

    t = run.get("map_unmap/ucas/1024")
    at_most(rows, misses, "t2", "map + unmap of one segment, 1024 extents", f"≤ {MAP_UNMAP_NS:g} ns",
            t, MAP_UNMAP_NS, fmt_ns(t))

    # Issue 13, item 1: emulated ioctls at the floor.
    floor = run.get("emulator/floor/sync")
    for op, label in EMULATED_OPS:
        if op == "kvm_run":
            continue
        e = run.get(f"emulator/{op}/emulated")
        r = share(e, floor)
        at_most(rows, misses, "t5", f"emulated {label} / the floor (sync wake-up)",
                f"≤ {FLOOR_RATIO:g}×", r, FLOOR_RATIO,
                "" if r is None else f"{r:.2f}× ({fmt_ns(e)} / {fmt_ns(floor)})")

    r = run.ratio("emulator_parallel/threads/1", "emulator_parallel/threads/2")
    ok = None if r is None else r >= PARALLEL_RATIO
    margin = "" if r is None else (
        f"{r / PARALLEL_RATIO:.2f}× the goal" if ok else f"{PARALLEL_RATIO / r:.2f}× short")
    rows.append(["two vcpus on two threads: aggregate guest instructions/s vs one",
                 f"≥ {PARALLEL_RATIO:g}×", "n/a" if r is None else f"{r:.2f}×",
                 verdict(ok, margin)])
    if ok is False:
        misses.append("t8")

    # Issue 13, item 3: guest code against QEMU's TCG.
    guest = run.notes.get("guest", {})
    for name, label in GUEST_LOOPS:
        ours, theirs = guest.get(f"{name}.interpreter_insns_per_s"), guest.get(
            f"{name}.qemu_insns_per_s")
        r = float(ours) / float(theirs) if ours and theirs else None
        ok = None if r is None else r >= GUEST_RATIO
        margin = "" if r is None else (
            f"{r / GUEST_RATIO:.2f}× the goal" if ok else f"{GUEST_RATIO / r:.0f}× short")
        shown = "n/a" if r is None else (
            f"{r:.3f} ({float(ours) / 1e6:.0f} M/s vs {float(theirs) / 1e6:.0f} M/s)")
        rows.append([f"guest code, {label}: interpreter / `qemu-s390x-static`",
                     f"≥ {GUEST_RATIO:g}×", shown, verdict(ok, margin)])
        if ok is False:
            misses.append("t7")

    for pair, label in SHELL_PAIRS:
        r = run.paired(pair, "raw_libc")
        at_most(rows, misses, "t4", f"shell/raw libc (paired): {label}", f"≤ {SHELL_RATIO:g}",
                r, SHELL_RATIO, "" if r is None else f"{r:.3f}")

    musl = sizes.get("musl-x86_64")
    kib = int(musl) / 1024 if musl and musl.isdigit() else None
    at_most(rows, misses, "t6", "static musl `ucas` (x86_64, size profile)", f"≤ {MUSL_KIB:g} KiB",
            kib, MUSL_KIB, "" if kib is None else f"{kib:.1f} KiB")
    return rows, misses


CLOSERS = {
    "t1": "**translate against BTreeMap and rangemap.** The extent table keeps a radix "
          "index beside the extents: 1024 buckets over the span of the extents' starts, each "
          "holding how many extents start below it (a base per group of 32 buckets and a u32 "
          "within), so a lookup loads one pair of ranks and searches only the extents that "
          "start in its bucket, one four-way round for 4096 evenly spread extents, O(log n) "
          "however uneven. Measured on a quiet machine (2e85dcb): random lookups 3.8 / 3.8 / "
          "8.5 ns at 256 / 1024 / 4096 extents (0.13 / 0.10 / 0.18 of BTreeMap, 0.12 / 0.09 / "
          "0.17 of rangemap), dependent chains 14.9 / 17.1 / 23.1 ns (0.49 / 0.43 / 0.48 of "
          "BTreeMap, 0.43 / 0.39 / 0.44 of rangemap), the loop itself 4.6 ns of that. A chain "
          "still waits on three dependent loads (ranks, the extent's start, its end and user "
          "segment). What should close the rest (not built): store the translation in the "
          "bucket itself when one extent covers the whole bucket, so most chained lookups are "
          "one load.",
    "t2": "**map + unmap at 1024 extents.** Each update shifts the tail of the sorted "
          "extent array: about 12 KiB of 24-byte extents each way at 1024 extents; the radix "
          "index adds little (the buckets the change spans are recounted, the 32 group bases "
          "above it shifted): 216 ns on a quiet machine at 2e85dcb, as before the index. A gap "
          "buffer or a B-tree-shaped table would make the move O(log n), at the cost of "
          "`extents()` no longer being one slice (an API change, not made).",
    "t4": "**shell vs raw ioctl.** The shell's extra work per call is request validation, "
          "the mirror's capacity check and building the typed result: tens of nanoseconds. "
          "A paired ratio above the goal means either that work grew or the machine was "
          "too loaded for even paired rounds; rerun on a quiet machine first.",
    "t5": "**emulated ioctl against the floor.** The floor is one thread receiving and "
          "answering on the caller's CPU; the emulator serves the same way (one thread "
          "receives at a time and serves its own calls: with two receivers the kernel "
          "alternated calls between them, across CPUs). The fd's identity (a `stat` of "
          "`/proc/PID/fd/N`, the dearest step: 4.0 µs alone on the machine of the run "
          "of 2026-12-03, where a bare `getppid` costs 0.26 µs) is now remembered per "
          "(task, fd number) until a notified `close`/`dup2`/`dup3`/`close_range`/exec/"
          "clone has finished; measured side by side in one quick run before and after: "
          "`UCAS_MAP` 19.6 → 15.8 µs, `CHECK_EXTENSION` 1.3× the floor. What remains "
          "beyond the floor's receive and reply: the argument read (`process_vm_readv` "
          "of 24 bytes, 2.1 µs alone on that machine; `VCPU_FAULT` reads one byte of the "
          "target page the same way, as the kernel faults it in), `ID_VALID` before a "
          "call changes anything, the non-blocking read of queued fd and mapping "
          "events, the model's work and its lock. A `pread` of a remembered "
          "`/proc/PID/mem` would cost about 1.7 µs there instead of 2.1: not enough to "
          "reach 1.5× for the calls that read an argument; not built.",
    "t7": "**guest code against QEMU.** Built: each guest page's instructions are decoded "
          "once into a cached array of pre-decoded instructions (`cpu/decoded.rs`, 16 pages, "
          "keyed by the bus's name for the memory behind the page, the user page in the "
          "emulator), dispatched from without a bus call; every store drops the decoded page "
          "it wrote under every alias, so self-modifying code sees its store at the next fetch. "
          "The common instructions of compiled code are decoded into their operands, the rest "
          "keep their bytes and run through the old `execute`. Measured in one run: 148 / 137 / "
          "164 M instr/s (register / load-store / branchy loop; 46 / 41 / 50 before) against "
          "QEMU's 2946 / 2462 / 2616, ratios 0.050 / 0.056 / 0.063 (0.016 / 0.017 / 0.019 "
          "before). What is left (not built): the dispatch itself (a 16-byte enum copied per "
          "instruction, a second `match` on the ALU operation, the condition code kept in the "
          "PSW mask), which an interpreter cannot take to 0.25x of a translator; closer would "
          "need block-level translation.",
    "t8": "**vcpus in parallel.** One supervisor thread serves every notification in turn, "
          "so while one vcpu's `KVM_RUN` interprets its guest the other thread's call waits "
          "in the kernel: two vcpus share one vcpu's rate. Closing it needs a serving thread "
          "per running vcpu with the model behind a lock taken only for the model's own "
          "updates (not built).",
    "t6": "**musl binary size.** Measured while shrinking it (packed disassembler table, "
          "packed relative relocations): a static musl program using std's threads, "
          "processes and file reads is already about 437 KiB, of which about 170 KiB is "
          "std's panic and backtrace machinery that stable Rust always links; the "
          "interpreter, supervisor, kernel model, `run` and the disassembler are about "
          "128 KiB of code and 22 KiB of strings. `opt-level = \"z\"` (for `ucas` or the "
          "emulator), `lto = \"thin\"` and opt-level 1 or 2 all made it larger. What "
          "would close it: `-Z build-std` with `panic = \"immediate-abort\"` (nightly "
          "only; about 410 KiB measured), or leaving commands out.",
}


def write_markdown(run, out_dir):
    machine = run.notes.get("machine", {})
    sizes = run.notes.get("binaries", {})
    footprint = run.notes.get("footprint", {})
    emu = run.notes.get("emulator_outcomes", {})
    shell_notes = run.notes.get("shell_outcomes", {})
    md = []
    md.append("# Benchmarks\n")
    md.append("Generated by `benches/report.sh` from one run of `cargo bench -p ucas-benches` "
              "on the machine below; every comparison is against a baseline measured in the "
              "same run, so the **ratios** carry over to other machines better than the "
              "absolute times. Do not edit by hand: rerun the script.\n")
    md.append("## Machine\n")
    rows = [["CPU", machine.get("cpu", "?")], ["CPUs", machine.get("cpus", "?")],
            ["memory", machine.get("memory", "?")], ["kernel", machine.get("kernel", "?")],
            ["compiler", machine.get("rustc", "?")], ["run", machine.get("date", "?")],
            ["commit", machine.get("commit", "?")],
            ["load average (1, 5, 15 min) before / after",
             f"{machine.get('load_before', '?')} / {machine.get('load_after', '?')}"],
            ["benchmark time", f"{machine.get('bench_seconds', '?')} s"]]
    md.append(table(["", ""], rows) + "\n")
    guest = machine.get("virtualised") == "yes"
    md.append(f"The machine{' (a virtual machine)' if guest else ''} is shared with "
              "other builds, so absolute times carry noise. KVM here is x86 "
              f"(KVM parts in /sys/module: {machine.get('kvm_modules', '?').strip() or 'none'}; hardware "
              f"virtualisation visible to it: {machine.get('hw_virt', '?')}), with no s390: "
              "the s390 requests are refused after the kernel's vcpu ioctl path, and every "
              "vcpu ioctl costs microseconds here (loading and putting the vcpu).\n")

    rows, misses = targets(run, sizes)
    md.append("## Targets\n")
    md.append(table(["target", "goal", "measured (median)", "verdict"], rows) + "\n")
    if misses:
        md.append("### Misses, and what would close them\n")
        for key in dict.fromkeys(misses):
            md.append(CLOSERS[key] + "\n")
    else:
        md.append("Every target is met.\n")

    md.append("## Mirror (`ucas_core::AddressSpace`)\n")
    md.append("Baselines: **BTreeMap per segment** (`BTreeMap<u64, u64>`, one entry per "
              "mapped 1 MiB segment, the shape of the kernel's per-segment table) and a "
              "**linear-scan `Vec`** of extents (unsorted, not coalesced). Both skip the "
              "request validation the extent table performs on every call, and both are "
              "checked against the extent table by unit tests (`benches/src/baseline.rs`).\n")
    md.append("### translate\n")
    md.append("One lookup, cycling through 4096 mapped addresses scattered over the table. "
              "With **1 MiB extents** the BTreeMap holds one entry per extent (its best "
              "case); with **64 MiB extents** it holds 64 per extent.\n")
    md.append("![translate latency vs extents](benchmarks-translate.svg)\n")
    rows = []
    for group, label in [("translate", "1 MiB"), ("translate_64mib", "64 MiB")]:
        for k in EXTENTS:
            u = run.get(f"{group}/ucas/{k}")
            rows.append([label, k, fmt_ns(u), fmt_ns(run.get(f"{group}/btreemap/{k}")),
                         fmt_ns(run.get(f"{group}/linear_vec/{k}")),
                         fmt_ratio(run.ratio(f"{group}/btreemap/{k}", f"{group}/ucas/{k}")),
                         fmt_ratio(run.ratio(f"{group}/linear_vec/{k}", f"{group}/ucas/{k}"))])
    md.append(table(["extent size", "extents", "ucas", "BTreeMap", "linear Vec",
                     "BTreeMap / ucas", "linear / ucas"], rows) + "\n")
    md.append("### map + unmap of one segment in a table of K extents\n")
    md.append("Map one segment into a gap in the middle of the table (a new extent: the "
              "extent table shifts its tail), then unmap it again, so every iteration starts "
              "from the same table. Time for the pair.\n")
    rows = []
    for k in EXTENTS:
        rows.append([k, fmt_ns(run.get(f"map_unmap/ucas/{k}")),
                     fmt_ns(run.get(f"map_unmap/btreemap/{k}")),
                     fmt_ns(run.get(f"map_unmap/linear_vec/{k}")),
                     fmt_ratio(run.ratio(f"map_unmap/btreemap/{k}", f"map_unmap/ucas/{k}")),
                     fmt_ratio(run.ratio(f"map_unmap/linear_vec/{k}", f"map_unmap/ucas/{k}"))])
    md.append(table(["extents", "ucas", "BTreeMap", "linear Vec", "BTreeMap / ucas",
                     "linear / ucas"], rows) + "\n")
    md.append("A ratio below 1× means the baseline is faster. For one segment the BTreeMap "
              "inserts and removes one entry; the extent table validates the request, plans "
              "the splice and moves the tail of a sorted array, which grows with K.\n")
    md.append("### map / unmap of a whole range\n")
    md.append("Map a range into an empty table; unmap it from a table holding just that "
              "range. Per-segment bookkeeping does one insert or remove per 1 MiB: 1, 1024 "
              "and 1 048 576 of them.\n")
    md.append("![map and unmap vs range length](benchmarks-map-range.svg)\n")
    rows = []
    for group in ["map_range", "unmap_range"]:
        for r in RANGES:
            rows.append([group.split("_")[0], r, fmt_ns(run.get(f"{group}/ucas/{r}")),
                         fmt_ns(run.get(f"{group}/btreemap/{r}")),
                         fmt_ns(run.get(f"{group}/linear_vec/{r}")),
                         fmt_ratio(run.ratio(f"{group}/btreemap/{r}", f"{group}/ucas/{r}"))])
    md.append(table(["call", "length", "ucas", "BTreeMap", "linear Vec", "BTreeMap / ucas"],
                    rows) + "\n")

    md.append("## Shell vs. a bare ioctl\n")
    md.append("The same request on the same fd of this host's real `/dev/kvm`: through the "
              "shell's handles, through `libc::ioctl` (**raw libc**, the baseline of the "
              "target) and through rustix's ready-made ioctl patterns (**raw rustix**: the "
              "`syscall` instruction inline, as the shell issues it, without the shell's "
              "checks and typed results), all in `benches/src/raw.rs`. The "
              "map rows use the vcpu of a regular VM: outside s390x the kernel answers "
              f"EINVAL (here: ucas {fmt_outcome(shell_notes.get('ucas_map'))}, raw "
              f"{fmt_outcome(shell_notes.get('raw_libc_map'))}) after the full vcpu ioctl "
              "dispatch; the shell adds its validation, the mirror's capacity check and the "
              "typed error.\n")
    md.append("Two measurements per request. **criterion medians**: each side benchmarked "
              "on its own, one after the other. **paired**: rounds of one timed block of 64 "
              "calls per side (the first side rotating), the ratio taken within each round "
              "and the median over rounds; the blocks of a round lie a fraction of a "
              "millisecond apart, so load from other processes hits all sides alike. On a "
              "shared machine the separate medians can drift apart by tens of percent as the "
              "load changes between benchmarks, so the target is judged on the paired "
              "ratio.\n")
    paired = run.notes.get("shell_paired", {})
    rows = []
    libc_slower = False
    for pair, label in SHELL_PAIRS:
        u, r, x = (run.get(f"shell/{pair}/{side}") for side in ("ucas", "raw_libc", "raw_rustix"))
        if r is not None and x is not None and r > 1.1 * x:
            libc_slower = True
        crit = run.ratio(f"shell/{pair}/ucas", f"shell/{pair}/raw_libc")
        rows.append([label, fmt_ns(u), fmt_ns(r), fmt_ns(x), f"{crit:.3f}" if crit else "n/a"])
    md.append("criterion medians:\n")
    md.append(table(["request", "ucas", "raw libc", "raw rustix", "ucas / raw libc"], rows)
              + "\n")
    rows = []
    for pair, label in SHELL_PAIRS:
        per_call = [paired.get(f"{pair}.{side}.ns") for side in ("ucas", "raw_libc", "raw_rustix")]
        pl, px = run.paired(pair, "raw_libc"), run.paired(pair, "raw_rustix")
        extra = None
        if per_call[0] and per_call[2]:
            extra = float(per_call[0]) - float(per_call[2])
        rows.append([label, paired.get(f"{pair}.rounds", "n/a")]
                    + [fmt_ns(float(v)) if v else "n/a" for v in per_call]
                    + [f"{pl:.3f}" if pl else "n/a", f"{px:.3f}" if px else "n/a",
                       f"{extra:+.0f} ns" if extra is not None else "n/a"])
    md.append("paired (medians over rounds):\n")
    md.append(table(["request", "rounds", "ucas", "raw libc", "raw rustix", "ucas / raw libc",
                     "ucas / raw rustix", "ucas − raw rustix"], rows) + "\n")
    if libc_slower:
        md.append("Here the libc call itself is slower than the same system call issued "
                  "inline (raw rustix), so the shell beats the libc baseline; the shell's own "
                  "overhead is the **ucas / raw rustix** column.\n")
    u_map = paired.get("ucas_map_einval.ucas.ns")
    x_map = paired.get("ucas_map_einval.raw_rustix.ns")
    own = run.get("map_range/ucas/1MiB")
    if u_map and x_map and own and float(u_map) - float(x_map) > 2 * own:
        md.append(f"For `Vcpu::map` the difference to raw rustix "
                  f"({float(u_map) - float(x_map):.0f} ns) is larger than the user-space work "
                  "the shell adds (request validation and the mirror's capacity check cost "
                  f"less than a whole map into the table, `map_range/ucas/1MiB` = {fmt_ns(own)}); "
                  "when this report was first written, a `perf` profile of the map path showed "
                  "no user-space hot spot besides the system call's return, so the rest is "
                  "not yet explained.\n")

    md.append("## Emulator vs. native\n")
    md.append("**emulated**: the request from a program running under `ucas_emulator::"
              f"Emulator` modelling kernel generation {emu.get('generation', '?')} "
              "(the benchmark binary re-executes itself under it and times the loop "
              "inside), answered by the supervisor's kernel model. **native**: the same "
              "`Vcpu` call on a regular VM's vcpu of this host's real KVM; the s390 requests "
              "end in an errno there after the kernel's full vcpu ioctl path, `KVM_RUN` "
              "enters a real x86 guest that exits on port I/O at once.\n")
    rows = []
    for op, label in EMULATED_OPS:
        e, n = run.get(f"emulator/{op}/emulated"), run.get(f"emulator/{op}/native")
        rows.append([label, fmt_ns(e), fmt_outcome(emu.get(f"{op}.emulated")), fmt_ns(n),
                     fmt_outcome(emu.get(f"{op}.native")),
                     fmt_ratio(run.ratio(f"emulator/{op}/emulated", f"emulator/{op}/native"))])
    md.append(table(["request", "emulated", "emulated outcome", "native", "native outcome",
                     "emulated / native"], rows) + "\n")
    fs, fd = run.get("emulator/floor/sync"), run.get("emulator/floor/default")
    md.append("**The floor**, in the same run: a `KVM_CHECK_EXTENSION` from a program under "
              "`ucas_emulator::floor`, whose supervisor receives (blocking, no `poll`) and "
              "answers 0 and does nothing else: "
              f"{fmt_ns(fs)} with synchronous wake-up, {fmt_ns(fd)} with the default wake-up. "
              "No emulator built on seccomp user notification can answer faster.\n")
    if emu.get("kvm_run.emulated") == "errno:38":
        md.append("`KVM_RUN` is not emulated in this build (ENOSYS): nothing was measured "
                  "for it.\n")
    else:
        e_exit = emu.get("kvm_run_exit.emulated", "?")
        n_exit = emu.get("kvm_run_exit.native", "?")
        e_why = (" (the selftest gprs program's `diag 0,0,0x44` instruction intercept after "
                 "`ahi`, `j`)" if e_exit == "Sieic{icptcode:4,ipa:33536,ipb:4456448}" else "")
        n_why = " (exit reason 2, `KVM_EXIT_IO`)" if n_exit == "Other(2)" else ""
        md.append(f"`KVM_RUN` exits: emulated `{e_exit}`{e_why}, native `{n_exit}`{n_why}.\n")

    md.append("## Footprint\n")
    rows = [[f"`{k}`", f"{int(v):,} bytes"] for k, v in footprint.items()]
    md.append(table(["type", "size_of"], rows) + "\n")
    md.append("The table costs 24 bytes per extent of capacity plus its length; a shell "
              "`Vcpu` embeds one with the default capacity of 256.\n")
    rows = []
    for key, label in [("musl-x86_64", "x86_64, musl, static (`--profile size --target "
                        "x86_64-unknown-linux-musl`)"),
                       ("s390x-glibc-static", "s390x, glibc, static (`RUSTFLAGS='-C "
                        "target-feature=+crt-static'`, `--profile size --target "
                        "s390x-unknown-linux-gnu`)"),
                       ("lib-only-musl-x86_64", "a program using only the library "
                        "(`examples/lib_only.rs`, `--no-default-features`), x86_64, musl, "
                        "static, size profile")]:
        v = sizes.get(key, "missing")
        rows.append([label, f"{int(v):,} bytes ({int(v) / 1024:.1f} KiB)" if v.isdigit()
                     else "not built"])
    md.append(table(["binary", "size"], rows) + "\n")

    md.append("## How to regenerate\n")
    md.append("```sh\nbenches/report.sh            # builds, benchmarks (~5 min), writes this "
              "file and the SVGs\ncargo bench -p ucas-benches  # the benchmarks alone\n"
              "cargo bench -p ucas-benches --bench mirror -- translate   # one group\n```\n")
    md.append("Medians are criterion's (100 samples; 10 flat samples for the 1 TiB ranges). "
              "No test asserts a timing; CI only builds the benchmarks "
              "(`cargo build --workspace --benches`).\n")
    with open(os.path.join(out_dir, "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(md))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--criterion", required=True, help="criterion's output directory")
    ap.add_argument("--notes", required=True, help="the benchmarks' notes directory")
    ap.add_argument("--out", required=True, help="where BENCHMARKS.md and the SVGs go")
    args = ap.parse_args()
    medians = load_medians(args.criterion)
    if not medians:
        sys.exit(f"no criterion results under {args.criterion}: run "
                 "`cargo bench -p ucas-benches` first (benches/report.sh does)")
    run = Run(medians, load_notes(args.notes))
    with open(os.path.join(args.out, "benchmarks-translate.svg"), "w") as f:
        f.write(translate_plot(run))
    with open(os.path.join(args.out, "benchmarks-map-range.svg"), "w") as f:
        f.write(range_plot(run))
    write_markdown(run, args.out)


if __name__ == "__main__":
    main()
