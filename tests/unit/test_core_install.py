"""The command line of a core install (`pip install .`, no extras): the README's first
command runs `finpolicy demo` on it. The site's search module imported Sphinx when the command
line loaded, so every command failed with ModuleNotFoundError: sphinx."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# what the extras bring (docs, audit, postgres, serve, spark, arrow): unimportable here
_EXTRAS = ("sphinx", "docutils", "furo", "weasyprint", "cryptography", "orjson", "psycopg",
           "fastapi", "uvicorn", "starlette", "pyspark", "pyarrow", "pandas")


def test_the_command_line_runs_without_any_extra() -> None:
    script = textwrap.dedent(f"""
        import sys
        for name in {_EXTRAS!r}:
            sys.modules[name] = None  # an import of it fails, as where it is not installed
        from finpolicy.cli import main
        sys.exit(main(["demo"]))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert "classification" in done.stdout
