"""The benchmark runs end to end: ``python -m bench --quick``, its four sections, exact counts.

Only counts are checked, never a time: the figures depend on the machine.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
SECTIONS = (
    "1. Cached lookups against the floor",
    "2. Fresh lookups",
    "3. Limits under concurrency",
    "4. Growth",
)


def requests_reached(check: str, text: str) -> int:
    """The request count the limits section reports for one check."""
    found = re.search(rf"^{check}: (\d+) requests? reached the API", text, re.MULTILINE)
    assert found is not None, f"no line for {check!r} in:\n{text}"
    return int(found.group(1))


def test_quick_run_reports_every_section_and_exact_limit_counts(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(output)],
        cwd=REPOSITORY,
        env=os.environ | {"PYTHONPATH": str(REPOSITORY)},
        capture_output=True,
        text=True,
        # A bound so that a stuck run fails the test instead of hanging it; not a timing check.
        timeout=300,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr[-4000:]
    report, markdown = completed.stdout, output.read_text(encoding="utf-8")
    for title in SECTIONS:
        assert title in report
        assert f"## {title}" in markdown
    assert requests_reached("distinct VINs", report) == 100
    assert requests_reached("one VIN", report) == 1
    assert "FAIL" not in report
    assert requests_reached("distinct VINs", markdown) == 100
    assert requests_reached("one VIN", markdown) == 1
