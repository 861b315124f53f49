#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Render the project's reStructuredText with docutils; fail on any warning.

Prints TAP, one case per document under Documentation/.  Kernel-only Sphinx
roles and directives are not used in these documents, so plain docutils
renders them as the kernel's Sphinx build would parse them.
"""
import io
import sys
from pathlib import Path

from docutils.core import publish_string

top = Path(__file__).resolve().parents[2]
docs = sorted((top / "Documentation").rglob("*.rst"))
print("TAP version 13")
print(f"1..{len(docs)}")
failed = 0
for i, doc in enumerate(docs, 1):
    errors = io.StringIO()
    try:
        publish_string(doc.read_text(), source_path=str(doc), writer_name="html",
                       settings_overrides={"halt_level": 2, "report_level": 2,
                                           "warning_stream": errors})
        ok = not errors.getvalue()
    except Exception as e:  # docutils raises SystemMessage at halt_level
        errors.write(str(e))
        ok = False
    name = f"docs: {doc.relative_to(top)} renders without warnings"
    if ok:
        print(f"ok {i} {name}")
    else:
        failed += 1
        for line in errors.getvalue().splitlines():
            print(f"# {line}")
        print(f"not ok {i} {name}")
sys.exit(1 if failed else 0)
