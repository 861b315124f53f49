#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise a `make bench` run: table, ratios, targets, costs, slab, plot.

Usage: report.py RESULTS.csv KERNEL_RELEASE

Reads RESULTS.csv (scenario,variant,run,pps) and the files guest-bench.sh
writes next to it (.costs.hit/.miss/.kernel: bpftrace nanosecond counts,
.slab: rdst_cache's slabinfo line and gc_thresh).  Prints a Markdown table
(median and min-max pps per variant, ratios of medians), writes
RESULTS.json and pps.svg (medians with min-max error bars) beside it.
"""
import csv
import json
import os
import platform
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

VARIANTS = ["vanilla", "rdst", "flowtable"]
# Targets of issue 7: rdst / vanilla median ratios, by scenario prefix.
TARGETS = {"rules_": 5.0, "large_fib_": 1.3, "one_route_rpf1": 1.10, "miss_flood": 0.90}
HIT_HEAVY = ("one_route", "large_fib", "rules_", "mixed")


def load(path):
    runs = defaultdict(list)
    order = []
    with open(path) as f:
        for scen, var, _run, pps in csv.reader(f):
            if scen not in order:
                order.append(scen)
            runs[scen, var].append(int(pps))
    return order, runs


def ns_counts(path):
    """bpftrace prints @name[NS]: COUNT lines; return the sorted samples."""
    out = []
    if not os.path.exists(path):
        return out
    for line in open(path):
        m = re.match(r"@\w+\[(\d+)\]: (\d+)$", line.strip())
        if m:
            out += [int(m.group(1))] * int(m.group(2))
    return sorted(out)


def pct(xs, p):
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else 0


def svg(order, runs, path):
    w, h, left, bottom, top = 900, 420, 70, 90, 30
    colours = {"vanilla": "#888888", "rdst": "#2a6fb0", "flowtable": "#d08a2a"}
    peak = max(max(v) for v in runs.values()) or 1
    group = (w - left - 20) / len(order)
    bar = group / (len(VARIANTS) + 1)
    y = lambda v: top + (h - top - bottom) * (1 - v / peak)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
             f'font-family="sans-serif" font-size="11">',
             f'<text x="{left}" y="18" font-size="13">forwarded packets per second '
             f'(median, min-max over runs)</text>',
             f'<line x1="{left}" y1="{y(0)}" x2="{w - 10}" y2="{y(0)}" stroke="black"/>']
    for i in range(5):
        v = peak * i / 4
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4}" text-anchor="end">{v / 1000:.0f}k</text>')
        parts.append(f'<line x1="{left}" y1="{y(v)}" x2="{w - 10}" y2="{y(v)}" stroke="#ddd"/>')
    for gi, scen in enumerate(order):
        x0 = left + gi * group + bar / 2
        for vi, var in enumerate(VARIANTS):
            vals = runs.get((scen, var))
            if not vals:
                continue
            med, lo, hi = statistics.median(vals), min(vals), max(vals)
            x = x0 + vi * bar
            parts.append(f'<rect x="{x:.1f}" y="{y(med):.1f}" width="{bar * 0.9:.1f}" '
                         f'height="{y(0) - y(med):.1f}" fill="{colours[var]}"/>')
            cx = x + bar * 0.45
            parts.append(f'<line x1="{cx:.1f}" y1="{y(lo):.1f}" x2="{cx:.1f}" y2="{y(hi):.1f}" '
                         f'stroke="black"/>')
            for v in (lo, hi):
                parts.append(f'<line x1="{cx - 3:.1f}" y1="{y(v):.1f}" x2="{cx + 3:.1f}" '
                             f'y2="{y(v):.1f}" stroke="black"/>')
        parts.append(f'<text x="{x0 + bar * 1.5:.1f}" y="{y(0) + 14}" text-anchor="middle">'
                     f'{scen}</text>')
    for vi, var in enumerate(VARIANTS):
        parts.append(f'<rect x="{left + vi * 110}" y="{h - 30}" width="12" height="12" '
                     f'fill="{colours[var]}"/><text x="{left + vi * 110 + 16}" y="{h - 20}">{var}</text>')
    parts.append("</svg>")
    Path(path).write_text("\n".join(parts) + "\n")


def main():
    results, release = sys.argv[1], sys.argv[2]
    order, runs = load(results)
    summary = {"kernel": release, "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
               f"QEMU TCG guest with 2 vCPUs", "scenarios": {}}
    print(f"\nrdst forwarding benchmark — kernel {release}, {summary['machine']}")
    print("pps forwarded by the router: median (min-max) over runs; ratios of medians\n")
    print("| scenario | vanilla | rdst | flowtable | rdst/vanilla | rdst/flowtable | target |")
    print("|---|---|---|---|---|---|---|")
    missed = []
    for scen in order:
        row, med = [], {}
        for var in VARIANTS:
            vals = runs.get((scen, var), [])
            if vals:
                med[var] = statistics.median(vals)
                row.append(f"{med[var] / 1000:.1f}k ({min(vals) / 1000:.1f}-{max(vals) / 1000:.1f}k)")
            else:
                row.append("-")
        r_van = med["rdst"] / med["vanilla"] if med.get("vanilla") else 0
        r_ft = med["rdst"] / med["flowtable"] if med.get("flowtable") else 0
        target = next((t for k, t in TARGETS.items() if scen.startswith(k)), None)
        note = ""
        if target is not None:
            ok = r_van >= target
            note = f"≥ {target:.2f} {'met' if ok else 'MISSED'}"
            if not ok:
                missed.append(f"{scen}: rdst/vanilla {r_van:.2f} < {target:.2f}")
        if scen.startswith(HIT_HEAVY) and r_ft and r_ft < 1.0:
            missed.append(f"{scen}: rdst/flowtable {r_ft:.2f} < 1.00")
        print(f"| {scen} | {' | '.join(row)} | {r_van:.2f} | {r_ft:.2f} | {note} |")
        summary["scenarios"][scen] = {
            var: {"runs": runs.get((scen, var), []), "median": med.get(var)} for var in VARIANTS}
        summary["scenarios"][scen]["rdst_over_vanilla"] = round(r_van, 3)
        summary["scenarios"][scen]["rdst_over_flowtable"] = round(r_ft, 3)

    hit = ns_counts(results + ".costs.hit")
    miss = ns_counts(results + ".costs.miss")
    kern = ns_counts(results + ".costs.kernel")
    print("\nper-packet path cost (ns, probe overhead included alike):")
    costs = {}
    for name, xs in (("rdst hit (hook entry to dst attached)", hit),
                     ("rdst miss (hook entry to entry inserted)", miss),
                     ("kernel ip_route_input_noref (vanilla)", kern)):
        med, p99 = (statistics.median(xs), pct(xs, 0.99)) if xs else (0, 0)
        costs[name] = {"samples": len(xs), "median_ns": med, "p99_ns": p99}
        print(f"  {name:45s} median {med:8.0f}  p99 {p99:8.0f}  ({len(xs)} samples)")
    if hit and kern:
        r = statistics.median(hit) / statistics.median(kern)
        print(f"  hit path / kernel lookup: {r:.2f} (target ≤ 0.33: {'met' if r <= 1 / 3 else 'MISSED'})")
        if r > 1 / 3:
            missed.append(f"hit path {r:.2f} of the kernel's lookup > 0.33")
        costs["hit_over_kernel"] = round(r, 3)
    summary["costs"] = costs

    slab = Path(results + ".slab")
    if slab.exists():
        lines = slab.read_text().split("\n")
        f = lines[0].split()
        if len(f) > 15:
            active, objsize, pages, slabs = int(f[1]), int(f[3]), int(f[5]), int(f[14])
            thresh = int(lines[1])
            used = slabs * pages * 4096
            print(f"\nslab after the flood: rdst_cache {active} objects of {objsize} B, "
                  f"{used / 1024:.0f} KiB in slabs; gc_thresh x objsize = "
                  f"{thresh * objsize / 1024:.0f} KiB")
            summary["slab"] = {"active_objs": active, "objsize": objsize, "slab_bytes": used,
                               "gc_thresh": thresh}
    if missed:
        print("\ntargets missed: " + "; ".join(missed))
    summary["missed"] = missed
    base = Path(results).with_suffix("")
    Path(str(base) + ".json").write_text(json.dumps(summary, indent=1) + "\n")
    svg(order, runs, base.parent / "pps.svg")
    print(f"\nwrote {results}, {base}.json, {base.parent / 'pps.svg'}")


if __name__ == "__main__":
    main()
