"""What pyproject.toml cannot say: every wheel carries its release manifest, `services/BUILD_INFO.json`.

The manifest is written over the files going into the wheel, after they are copied to the build
directory, so an install from a wheel on a plain machine checks itself exactly as an image does. An
editable install gets none: a checkout computes the same facts live from git. The revision comes
from git, or from GLANCE_REVISION when the tree is built without .git (deploy/build's export).
"""

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def _load_digests() -> ModuleType:
    """services/runtime/digests.py of the tree being built, by its path: importing the `services`
    package would need Glance installed, and an isolated build has none of its dependencies."""
    spec = importlib.util.spec_from_file_location("glance_build_digests", ROOT / "services" / "runtime" / "digests.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and annotations look their module up by name
    spec.loader.exec_module(module)
    return module


digests = _load_digests()


class BuildPyWithManifest(build_py):
    """`build_py`, then the manifest of what it built."""

    def run(self) -> None:
        if not self.editable_mode:
            # An in-tree build directory keeps modules deleted since the last build; start it afresh.
            for package in digests.SOURCE_PACKAGES:
                shutil.rmtree(Path(self.build_lib) / package, ignore_errors=True)
        super().run()
        if not self.editable_mode:
            digests.write_manifest(
                Path(self.build_lib),
                version=self.distribution.get_version(),
                revision=os.environ.get("GLANCE_REVISION") or None,
                git_root=ROOT,
            )


setup(cmdclass={"build_py": BuildPyWithManifest})
