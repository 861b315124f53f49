#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count the results of one `make check` run and judge the guest kernel log.

Usage: summarize.py SUITE_OUTPUT GUEST_DMESG GUEST_EXIT_STATUS [PART=SECONDS...]

SUITE_OUTPUT holds the TAP the suites printed ("ok N name", "not ok N
name", "# SKIP" directives).  GUEST_DMESG is the guest's kernel log: its
KUnit results are counted as cases too, and anything in it that a healthy
kernel never prints after the suites start fails the run (a report from the
boot before that, when no rdst code has run, is printed but not counted).

Prints a table of times: the host's parts given as PART=SECONDS (the builds,
the guest run, the total) and the guest's from SUITE_OUTPUT (the boot and
each suite, "# NAME took N s"), each also as a multiple of the same part on
the reference host, so that a slow host shows.  Then each failure by name,
and "N passed, N failed, N skipped"; exits 1 when anything failed.
"""
import os
import re
import sys

TAP = re.compile(r"^(\s*)(not ok|ok) \d+ (?:- )?(.*)$")
SUITE = re.compile(r"^# suite: (.*)$")
PLAN = re.compile(r"^1\.\.(\d+)")
EXITED = re.compile(r"^# (.*) exited with status (\d+)$")
# guest-check.sh's times: the boot, each suite, the mutants, the docs.
TOOK = re.compile(r"^# (boot|mutants|docs|\S+/\S+) took (\d+) s$")
# Seconds each part took on the reference host: the README's run of
# 2026-12-06 (2 cores, TCG; a clean clone from an empty cache, the debug
# kernel walking stacks by frame pointers).
REFERENCE = {
    "debug kernel build": 682, "guest run": 785, "boot": 28,
    "rdst/rdst_module.sh": 34, "rdst/rdst_forwarding.sh": 214,
    # These three run with both of rdst's hooks since the input route hook.
    "rdst/rdst_bridge.sh": 50, "rdst/rdst_differential.sh": 71,
    "rdst/rdst_fuzz.sh": 48, "rdst/rdst_tracing.sh": 130,
    "rdst/rdst_kernel_peers.sh": 131, "mutants": 43, "docs": 13,
}
# What a healthy kernel never logs.  Each pattern names the class of report.
SPLATS = [
    (r"WARNING: .* at ", "WARN"),
    (r"\bBUG: ", "BUG"),
    (r"kernel BUG at", "BUG"),
    (r"Oops: ", "oops"),
    (r"KASAN: ", "KASAN"),
    (r"unreferenced object 0x", "kmemleak"),
    (r"possible recursive locking|possible circular locking|inconsistent lock state"
     r"|suspicious RCU usage|lockdep is turned off|possible irq lock inversion"
     r"|bad unlock balance|held lock freed", "lockdep"),
    (r"refcount_t: ", "refcount"),
    (r"waiting for \S+ to become free", "netdev refcount leak"),
    (r"Kernel panic", "panic"),
    (r"rcu: INFO: rcu_\w+ (self-)?detected stall", "RCU stall"),
    (r"hung_task|blocked for more than", "hung task"),
]


def tap_results(lines, leaf_only):
    """Yield (ok, name, skipped) for TAP lines; KUnit nests cases under suites."""
    for line in lines:
        m = TAP.match(line)
        if not m:
            continue
        indent, verdict, rest = m.groups()
        if leaf_only and not indent:
            continue
        name, _, directive = rest.partition("#")
        yield verdict == "ok", name.strip(), directive.strip().upper().startswith("SKIP")


def suite_problems(lines):
    """Yield a failure name for each suite that ended early without saying why.

    A suite whose script dies half-way (a syntax error, a killed shell)
    prints fewer results than its plan, or none, and guest-check.sh notes
    its exit status; a failing case of its own already says "not ok".
    """
    sections, name = {}, None
    for line in lines:
        m = SUITE.match(line)
        if m:
            name = m.group(1)
            sections[name] = []
        elif name is not None:
            sections[name].append(line)
    for name, body in sections.items():
        results = list(tap_results(body, leaf_only=False))
        if any(not ok for ok, _, _ in results):
            continue
        plan = next((int(m.group(1)) for m in map(PLAN.match, body) if m), None)
        if plan is None:
            yield f"{name}: no TAP plan"
        elif len(results) < plan:
            yield f"{name}: {len(results)} of {plan} planned results"
        for m in filter(None, map(EXITED.match, body)):
            yield f"{name}: exited with status {m.group(2)}"


def minutes(seconds):
    return f"{seconds // 60}m{seconds % 60:02d}s"


def print_times(suite_lines, host_parts):
    """The table of times: the host's parts, the guest run's below its line."""
    guest = [(m.group(1), int(m.group(2))) for m in map(TOOK.match, suite_lines) if m]
    host = []
    for arg in host_parts:
        name, _, secs = arg.rpartition("=")
        host.append((name, int(secs)))
    if not any(name == "guest run" for name, _ in host):
        host.append(("guest run", sum(secs for _, secs in guest)))
    print("time by part (x: against the reference host):")
    for name, secs in host:
        print_time(name, secs)
        if name == "guest run":
            for gname, gsecs in guest:
                print_time("  " + gname, gsecs)


def print_time(name, secs):
    ref = REFERENCE.get(name.strip())
    # (a build that was up to date is no measure of the host)
    ratio = f"x{secs / ref:.1f}" if ref and secs >= 30 else ""
    print(f"  {name:<32} {minutes(secs):>8} {ratio:>6}")


def main() -> int:
    suite_out, dmesg_path, guest_rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(suite_out, errors="replace") as f:
        suite_lines = f.read().splitlines()
    with open(dmesg_path, errors="replace") as f:
        dmesg = [re.sub(r"^\[\s*\d+\.\d+\]\s?", "", l) for l in f.read().splitlines()]

    passed = failed = skipped = 0
    failures = []

    def count(ok, name, skip):
        nonlocal passed, failed, skipped
        if skip:
            skipped += 1
        elif ok:
            passed += 1
        else:
            failed += 1
            failures.append(name)

    for r in tap_results(suite_lines, leaf_only=False):
        count(*r)
    for problem in suite_problems(suite_lines):
        count(False, problem, False)
    kunit = [l.split("] ", 1)[-1] for l in dmesg]
    kunit_cases = list(tap_results(kunit, leaf_only=True))
    for ok, name, skip in kunit_cases:
        count(ok, "kunit: " + name, skip)
    # (make soak boots without KUnit: RDST_KUNIT=0)
    if not kunit_cases and os.environ.get("RDST_KUNIT", "1") != "0":
        count(False, "kunit: no KUnit results in the guest log", False)

    start = next((i for i, l in enumerate(dmesg) if "rdst-check: suites start" in l), None)
    if start is None:
        count(False, "guest kernel log: the suites never started", False)
        start = 0
    splats = []
    for i, line in enumerate(dmesg):
        for pattern, what in SPLATS:
            if re.search(pattern, line):
                splats.append((what, i))
                break
    during = [(w, i) for w, i in splats if i >= start]
    count(not during, "guest kernel log is clean while the suites run", False)
    for what, i in splats[:5]:
        when = "during the suites" if i >= start else "during boot, before any suite (not counted)"
        print(f"--- {what} in the guest kernel log, {when}:")
        print("\n".join(dmesg[max(0, i - 2):i + 25]))

    if guest_rc != 0:
        count(False, f"guest run exited with status {guest_rc}", False)

    print_times(suite_lines, sys.argv[4:])
    for name in failures:
        print(f"FAILED: {name}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
