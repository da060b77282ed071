"""The toy plug-in domain (``tests/plugins/finpolicy_limits``) installed the way pip installs
a package — its folder on the path and a ``.dist-info`` naming its ``finpolicy.domains`` entry
point — and Python run with that folder on its path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
LIMITS_ENTRY = "limits = finpolicy_limits:DOMAIN"


def install(root: Path, name: str = "finpolicy-limits", entry: str = LIMITS_ENTRY) -> Path:
    """``root`` holding the toy plug-in's package and the distribution ``name`` declaring
    ``entry`` (another module of ``root`` may be the one it names)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(PLUGINS / "finpolicy_limits", root / "finpolicy_limits")
    info = root / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[finpolicy.domains]\n{entry}\n", encoding="utf-8")
    return root


def run_python(site: Path, *args: str, cwd: Path | None = None,
               ) -> subprocess.CompletedProcess[str]:
    """``python *args`` with ``site`` first on its path."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site),
                                                        os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=600, check=False)
