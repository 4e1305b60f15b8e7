"""The README's walkthrough runs end to end, Spark cell included, and the
ledger it computes on Spark has the lines it computes in Python."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import REPO


def test_the_walkthrough_runs_and_spark_agrees_with_python():
    done = subprocess.run(
        [sys.executable, str(REPO / "python/examples/walkthrough.py")],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    m = re.search(r"(\d+) ledger lines on Spark; (\d+) in Python", done.stdout)
    assert m, done.stdout[-3000:]
    assert int(m.group(1)) == int(m.group(2)) > 100
    assert "scores.fit: decimal128(38, 18)" in done.stdout
