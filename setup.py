"""What pyproject.toml cannot say: every wheel carries its release manifest, `services/BUILD_INFO.json`.

The manifest is written over the files going into the wheel, after they are copied to the build
directory, so an install from a wheel on a plain machine checks itself exactly as an image does. An
editable install gets none: a checkout computes the same facts live from git. The revision comes
from git, or from GLANCE_REVISION when the tree is built without .git (deploy/build's export).
"""

import os
import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # the tree being built, not an installed Glance

from services.build_manifest import SOURCE_PACKAGES, write_manifest  # noqa: E402


class BuildPyWithManifest(build_py):
    """`build_py`, then the manifest of what it built."""

    def run(self) -> None:
        if not self.editable_mode:
            # An in-tree build directory keeps modules deleted since the last build; start it afresh.
            for package in SOURCE_PACKAGES:
                shutil.rmtree(Path(self.build_lib) / package, ignore_errors=True)
        super().run()
        if not self.editable_mode:
            write_manifest(
                Path(self.build_lib),
                version=self.distribution.get_version(),
                revision=os.environ.get("GLANCE_REVISION") or None,
                git_root=ROOT,
            )


setup(cmdclass={"build_py": BuildPyWithManifest})
