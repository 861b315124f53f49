#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise a `make bench` run: tables, ratios, targets, microbenchmark, slab, plot.

Usage: report.py RESULTS.csv KERNEL_RELEASE

Reads RESULTS.csv (a header line, then one line a run: mode, scenario,
variant, run, pps forwarded, pps offered by pktgen, window seconds, CPU 0's
and CPU 1's idle, softirq and system shares in %, CPU 1's share of the
low-priority poll loop that stands in for idle, softnet drops per second
of CPU 0 and 1, forwarded packets rcv0 refused per second, bound = 1 if the
run was router-bound, 0 if not, na in single mode; an old headerless
scenario,variant,run,pps file reads as single mode), RESULTS.csv.meta and
the files guest-bench.sh writes next to it (.kbench: rdst_kbench.ko's
per-lookup medians, .slab: rdst_cache's slabinfo line and gc_thresh).  Prints one Markdown table per mode: median and min-max pps per
variant over the router-bound runs only (every run in single mode), ratios
of those medians, how many runs counted, median CPU shares and offered
over forwarded.  Writes RESULTS.json and pps.svg (one panel per mode,
medians with min-max error bars) beside it.
"""
import csv
import json
import os
import platform
import statistics
import sys
from collections import defaultdict
from pathlib import Path

VARIANTS = ["vanilla", "vanilla_nodemux", "rdst", "flowtable"]
SHORT = {"vanilla_nodemux": "nodemux"}
# Targets (issue 19), in backlog mode: rdst / vanilla median ratios by scenario, and rdst at
# least FLOWTABLE_MIN x the flowtable where rdst serves most packets from its cache.
TARGETS = {"one_route_rpf0": 1.15, "one_route_rpf1": 1.35, "large_fib_rpf1": 1.4, "miss_flood": 0.95}
TARGET_MODE = "backlog"
FLOWTABLE_MIN = 0.9
HIT_HEAVY = ("one_route", "large_fib", "rules_", "mixed")
# Microbenchmark targets: rdst's hit over the kernel's lookup, at most.
KBENCH_TARGETS = {"one_route_rpf1": 1 / 3, "large_fib_rpf1": 1 / 4}
NUM = ("pps", "offered", "secs", "cpu0_idle", "cpu0_sirq", "cpu0_sys", "cpu1_idle",
       "cpu1_sirq", "cpu1_sys", "cpu1_poll", "drops0", "drops1", "fwd_drop")


def load(path):
    """Runs as dicts, in file order; the modes and scenarios in order."""
    rows = []
    with open(path) as f:
        first = f.readline()
        f.seek(0)
        if first.startswith("mode,"):
            for r in csv.DictReader(f):
                for k in NUM:
                    r[k] = float(r[k]) if r.get(k) not in (None, "") else None
                rows.append(r)
        else:
            for scen, var, run, pps in csv.reader(f):
                rows.append({"mode": "single", "scenario": scen, "variant": var, "run": run,
                             "pps": float(pps), "bound": "na"})
    modes = list(dict.fromkeys(r["mode"] for r in rows))
    order = list(dict.fromkeys(r["scenario"] for r in rows))
    return rows, modes, order


def counted(r):
    """Whether a run enters the medians: router-bound, or single mode."""
    return r["bound"] in ("1", "na")


def kfmt(vals):
    if not vals:
        return "-"
    return (f"{statistics.median(vals) / 1000:.1f}k "
            f"({min(vals) / 1000:.1f}-{max(vals) / 1000:.1f}k)")


def mshare(rs, *keys):
    """Median over runs of the sum of shares KEYS."""
    xs = [sum(r[k] or 0 for k in keys) for r in rs if r.get(keys[0]) is not None]
    return f"{statistics.median(xs):.0f}" if xs else "-"


def kbench_load(path):
    """{scenario: {(variant, measure): (median, min, max, dst_attached)}} from .kbench lines."""
    out = defaultdict(dict)
    p = Path(path)
    if p.exists():
        for line in p.read_text().split("\n"):
            f = line.split(",")
            if len(f) == 7:
                out[f[0]][f[1], f[2]] = (float(f[3]), float(f[4]), float(f[5]), f[6])
    return dict(out)


def svg(modes, order, meds, path):
    """meds[mode, scen, var] = (median, min, max) of the counted runs."""
    w, ph, left, bottom, top = 960, 330, 70, 60, 40
    h = ph * len(modes) + 40
    colours = {"vanilla": "#888888", "vanilla_nodemux": "#bbbbbb", "rdst": "#2a6fb0",
               "flowtable": "#d08a2a"}
    peak = max([v[2] for v in meds.values()] or [1]) or 1
    group = (w - left - 20) / max(1, len(order))
    bar = group / (len(VARIANTS) + 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
             f'font-family="sans-serif" font-size="10">',
             f'<text x="{left}" y="18" font-size="13">forwarded packets per second '
             f'(median, min-max over router-bound runs; every run in single mode)</text>']
    for mi, mode in enumerate(modes):
        base = mi * ph
        y = lambda v: base + top + (ph - top - bottom) * (1 - v / peak)
        parts.append(f'<text x="{left}" y="{base + top - 6}" font-size="12">mode {mode}</text>')
        parts.append(f'<line x1="{left}" y1="{y(0)}" x2="{w - 10}" y2="{y(0)}" stroke="black"/>')
        for i in range(5):
            v = peak * i / 4
            parts.append(f'<text x="{left - 6}" y="{y(v) + 4}" text-anchor="end">{v / 1000:.0f}k</text>')
            parts.append(f'<line x1="{left}" y1="{y(v)}" x2="{w - 10}" y2="{y(v)}" stroke="#ddd"/>')
        for gi, scen in enumerate(order):
            x0 = left + gi * group + bar / 2
            for vi, var in enumerate(VARIANTS):
                m = meds.get((mode, scen, var))
                if not m:
                    continue
                med, lo, hi = m
                x = x0 + vi * bar
                parts.append(f'<rect x="{x:.1f}" y="{y(med):.1f}" width="{bar * 0.9:.1f}" '
                             f'height="{y(0) - y(med):.1f}" fill="{colours[var]}"/>')
                cx = x + bar * 0.45
                parts.append(f'<line x1="{cx:.1f}" y1="{y(lo):.1f}" x2="{cx:.1f}" y2="{y(hi):.1f}" '
                             f'stroke="black"/>')
                for v in (lo, hi):
                    parts.append(f'<line x1="{cx - 3:.1f}" y1="{y(v):.1f}" x2="{cx + 3:.1f}" '
                                 f'y2="{y(v):.1f}" stroke="black"/>')
            parts.append(f'<text x="{x0 + bar * 2:.1f}" y="{y(0) + 14}" text-anchor="middle">'
                         f'{scen}</text>')
    for vi, var in enumerate(VARIANTS):
        parts.append(f'<rect x="{left + vi * 130}" y="{h - 24}" width="12" height="12" '
                     f'fill="{colours[var]}"/><text x="{left + vi * 130 + 16}" y="{h - 14}">{var}</text>')
    parts.append("</svg>")
    Path(path).write_text("\n".join(parts) + "\n")


def ratio(med, a, b):
    return med[a] / med[b] if med.get(a) and med.get(b) else 0


def main():
    results, release = sys.argv[1], sys.argv[2]
    rows, modes, order = load(results)
    meta = Path(results + ".meta")
    summary = {"kernel": release, "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
               f"QEMU TCG guest with 2 vCPUs", "meta": meta.read_text().strip() if meta.exists() else "",
               "modes": {}}
    print(f"\nrdst forwarding benchmark — kernel {release}, {summary['machine']}")
    if summary["meta"]:
        print(summary["meta"])
    print("pps forwarded by the router: median (min-max) over the router-bound runs (every run in "
          "single mode); ratios of medians; bound = runs counted / runs; CPU shares are medians "
          "over all runs, in %; offered = pktgen's rate / forwarded, median over all runs")
    missed, meds = [], {}
    for mode in modes:
        print(f"\n### mode {mode}\n")
        print("| scenario | " + " | ".join(VARIANTS) + " | rdst/vanilla | rdst/nodemux | rdst/flowtable "
              "| bound | cpu0 idle | cpu1 idle+poll/softirq/sys | offered | target |")
        print("|---" * (len(VARIANTS) + 9) + "|")
        excluded = 0
        summary["modes"][mode] = {}
        for scen in order:
            rs = [r for r in rows if r["mode"] == mode and r["scenario"] == scen]
            if not rs:
                continue
            cells, med, js = [], {}, {}
            for var in VARIANTS:
                vals = [r["pps"] for r in rs if r["variant"] == var and counted(r)]
                allv = [r["pps"] for r in rs if r["variant"] == var]
                if vals:
                    med[var] = statistics.median(vals)
                    meds[mode, scen, var] = (med[var], min(vals), max(vals))
                cells.append(kfmt(vals))
                js[var] = {"runs": allv, "counted": vals, "median": med.get(var)}
            n_in = sum(counted(r) for r in rs)
            excluded += len(rs) - n_in
            r_van, r_nd, r_ft = (ratio(med, "rdst", v) for v in ("vanilla", "vanilla_nodemux", "flowtable"))
            offs = [r["offered"] / r["pps"] for r in rs if r.get("offered") and r["pps"]]
            off = f"{statistics.median(offs):.2f}" if offs else "-"
            target = TARGETS.get(scen) if mode == TARGET_MODE else None
            note = ""
            if target is not None and r_van:
                ok = r_van >= target
                note = f"≥ {target:.2f} {'met' if ok else 'MISSED'}"
                if not ok:
                    missed.append(f"{mode} {scen}: rdst/vanilla {r_van:.2f} < {target:.2f}")
            if mode == TARGET_MODE and scen.startswith(HIT_HEAVY) and r_ft and r_ft < FLOWTABLE_MIN:
                missed.append(f"{mode} {scen}: rdst/flowtable {r_ft:.2f} < {FLOWTABLE_MIN:.2f}")
            cpu1 = "/".join((mshare(rs, "cpu1_idle", "cpu1_poll"), mshare(rs, "cpu1_sirq"),
                             mshare(rs, "cpu1_sys")))
            print(f"| {scen} | {' | '.join(cells)} | {r_van:.2f} | {r_nd:.2f} | {r_ft:.2f} "
                  f"| {n_in}/{len(rs)} | {mshare(rs, 'cpu0_idle')} | {cpu1} | {off} | {note} |")
            js.update({"rdst_over_vanilla": round(r_van, 3), "rdst_over_vanilla_nodemux": round(r_nd, 3),
                       "rdst_over_flowtable": round(r_ft, 3), "bound_runs": n_in, "runs": len(rs),
                       "per_run": [{k: r.get(k) for k in ("variant", "run", *NUM, "bound")} for r in rs]})
            summary["modes"][mode][scen] = js
        if mode != "single":
            print(f"\n{excluded} run(s) excluded as not router-bound (CPU 1 idle+poll ≥ 5 % or offered < 1.1 x "
                  f"forwarded); see the CSV's per-run shares")

    kb = kbench_load(results + ".kbench")
    if kb:
        print("\n### microbenchmark (rdst_kbench.ko, ns per lookup, median of 11 rounds of 1/11 of "
              "10^6 lookups, min-max of the rounds)\n")
        print("| scenario | kernel ip_route_input_noref | PRE_ROUTING, no hook | PRE_ROUTING, a counting "
              "Rust hook (rust_nf_count) | rdst hit, PRE_ROUTING (direct_hook=N) | its hook called "
              "without netfilter (hookfns) | rdst hit, input route hook (default) | rdst hit / kernel "
              "| PRE_ROUTING hit / kernel | target |")
        print("|---|---|---|---|---|---|---|---|---|---|")
    summary["kbench"] = {}
    for scen, m in kb.items():
        kern, empty = m.get(("vanilla", "kernel")), m.get(("vanilla", "prerouting"))
        count = m.get(("nf_count", "prerouting"))
        # rdst as loaded by default: its hit from the kernel's input route hook
        # (ip_rcv_route(), as ip_rcv_finish_core() calls it).
        hit = m.get(("rdst", "direct"))
        # With direct_hook=N: through netfilter, and its hook functions
        # called without netfilter's dispatch (rdst_kbench.c's hookfns).
        nf_hit, nf_fns = m.get(("rdst_nf", "prerouting")), m.get(("rdst_nf", "hookfns"))
        r = hit[0] / kern[0] if kern and hit and kern[0] else None
        rn = nf_hit[0] / kern[0] if kern and nf_hit and kern[0] else None
        served = hit is not None and hit[3] == "1"
        target = KBENCH_TARGETS.get(scen)
        note = ""
        if target is not None and r is not None:
            ok = r <= target and served
            note = f"≤ {target:.2f} {'met' if ok else 'MISSED'}"
            if not ok:
                missed.append(f"microbenchmark {scen}: rdst hit / kernel {r:.2f} > {target:.2f}")
        for name, v in (("input route hook", hit), ("PRE_ROUTING", nf_hit)):
            if v is not None and v[3] != "1":
                note += f" (rdst attached no dst from its {name}: not a hit)"
        fmt = lambda v: f"{v[0]:.1f} ({v[1]:.1f}-{v[2]:.1f})" if v else "-"
        print(f"| {scen} | {fmt(kern)} | {fmt(empty)} | {fmt(count)} | {fmt(nf_hit)} | {fmt(nf_fns)} "
              f"| {fmt(hit)} | {f'{r:.2f}' if r else '-'} | {f'{rn:.2f}' if rn else '-'} | {note} |")
        summary["kbench"][scen] = {"kernel": kern, "prerouting_without_rdst": empty,
                                   "prerouting_counting_hook": count, "rdst_hit": hit,
                                   "rdst_hit_prerouting": nf_hit,
                                   "rdst_prerouting_hook_called_directly": nf_fns,
                                   "hit_over_kernel": round(r, 3) if r else None,
                                   "prerouting_hit_over_kernel": round(rn, 3) if rn else None}

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
    svg(modes, order, meds, base.parent / "pps.svg")
    print(f"\nwrote {results}, {base}.json, {base.parent / 'pps.svg'}")


if __name__ == "__main__":
    main()
