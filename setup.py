"""Ship the policy packs in ``policies/`` inside the package as ``finpolicy/packs``.

The packs live at the top of the repository, where compliance edits them; a wheel must still
carry them so that ``fp.load_bundle()`` works from any directory of a normal install.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithPacks(build_py):
    def run(self) -> None:
        super().run()
        source = Path(__file__).parent / "policies"
        target = Path(self.build_lib) / "finpolicy" / "packs"
        shutil.rmtree(target, ignore_errors=True)  # never ship files deleted since a last build
        shutil.copytree(source, target)


setup(cmdclass={"build_py": BuildPyWithPacks})
