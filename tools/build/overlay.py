#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Lay rdst's overlay onto a kernel source tree, touching only what changed.

The overlay is the repository's rust/ and tools/testing/selftests/rdst/
directories (mirrored into the same paths of the tree) and patches/*.patch (small edits to existing kernel files).
A file is rewritten only when its content differs, so Kbuild's timestamps
rebuild exactly what depends on a change.  The first time a tree file is
replaced its original is saved under .rdst-pristine/, which lets a later run
undo files the overlay no longer carries and re-apply edited patches to the
original text.

Usage: overlay.py REPO_TOP KERNEL_SRC
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ABSENT = b"\0rdst-absent\0"
# Directories of the repository that mirror the same paths in the kernel tree.
MIRRORED = ["include", "rust", "tools/testing/selftests/rdst"]


def main() -> int:
    repo, src = Path(sys.argv[1]), Path(sys.argv[2])
    store = src / ".rdst-pristine"
    listing = src / ".rdst-overlay-files"
    previous = set(listing.read_text().split()) if listing.exists() else set()

    def pristine(rel: str) -> bytes:
        saved = store / rel
        if saved.exists():
            return saved.read_bytes()
        cur = src / rel
        assert rel not in previous, f"{rel}: modified but no pristine copy"
        return cur.read_bytes() if cur.exists() else ABSENT

    desired: dict[str, bytes] = {}
    modes: dict[str, int] = {}
    for root in MIRRORED:
        for path in sorted((repo / root).rglob("*")):
            # Python's byte code (a test imported by hand) is not overlay.
            if path.is_file() and "__pycache__" not in path.parts:
                desired[str(path.relative_to(repo))] = path.read_bytes()
                modes[str(path.relative_to(repo))] = path.stat().st_mode & 0o777

    patches = sorted((repo / "patches").glob("*.patch"))
    if patches:
        targets = set()
        for p in patches:
            for line in p.read_text().splitlines():
                if line.startswith("+++ b/"):
                    targets.add(line[6:].split("\t")[0])
        with tempfile.TemporaryDirectory() as tmp:
            for t in targets:
                base = desired.get(t, pristine(t))
                if base != ABSENT:
                    (Path(tmp) / t).parent.mkdir(parents=True, exist_ok=True)
                    (Path(tmp) / t).write_bytes(base)
            for p in patches:
                r = subprocess.run(["patch", "-p1", "-s", "-d", tmp, "-i", str(p),
                                    "--no-backup-if-mismatch", "-r", "-"],
                                   capture_output=True, text=True)
                if r.returncode:
                    sys.stderr.write(f"overlay: {p.name} does not apply:\n{r.stdout}{r.stderr}")
                    return 1
            for t in targets:
                desired[t] = (Path(tmp) / t).read_bytes()

    changed = 0
    for rel in sorted(previous - desired.keys()):
        orig = pristine(rel)
        if orig == ABSENT:
            (src / rel).unlink(missing_ok=True)
        else:
            (src / rel).write_bytes(orig)
        (store / rel).unlink(missing_ok=True)
        changed += 1
    for rel, data in desired.items():
        cur = src / rel
        if rel in modes and cur.exists() and cur.stat().st_mode & 0o777 != modes[rel]:
            cur.chmod(modes[rel])
        if cur.exists() and cur.read_bytes() == data:
            continue
        saved = store / rel
        if not saved.exists():
            saved.parent.mkdir(parents=True, exist_ok=True)
            saved.write_bytes(cur.read_bytes() if cur.exists() else ABSENT)
        cur.parent.mkdir(parents=True, exist_ok=True)
        cur.write_bytes(data)
        if rel in modes:
            cur.chmod(modes[rel])
        changed += 1
    listing.write_text("\n".join(sorted(desired)) + "\n")
    print(f">>> overlay: {len(desired)} files, {changed} changed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
