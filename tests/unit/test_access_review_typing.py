"""``engine.review_access`` is typed as it reads its ``as_of``: a date (its midnight UTC) or
ISO text type-checks, as the method and the access guide say it may be given."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="the typing test needs mypy (in the test extra)")

SCRIPT = textwrap.dedent("""
    import datetime as dt

    import finpolicy as fp

    engine = fp.PolicyEngine(fp.load_bundle())
    by_day = engine.review_access([], [], as_of=dt.date(2026, 3, 2))
    by_text = engine.review_access([], [], as_of="2026-03-02T10:00:00+08:00")
    print(by_day.as_of == by_text.as_of)
""")


@pytest.mark.slow
def test_review_access_accepts_a_date_or_iso_text_under_mypy_strict(tmp_path: Path) -> None:
    # as_of was typed `datetime | None`: a date, which review_access reads as its midnight
    # UTC, was an arg-type error for a user checking their code with mypy --strict
    script = tmp_path / "user.py"
    script.write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
         "--cache-dir", str(tmp_path / "cache"), "--no-error-summary", str(script)],
        capture_output=True, text=True, cwd=tmp_path, timeout=600, check=False)
    assert done.returncode == 0, done.stdout
