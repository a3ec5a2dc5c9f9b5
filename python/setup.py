"""Builds the wheel with the Swift library copied in as ``stylectl/libstylectl.so``.

The library is the one named by ``$STYLECTL_LIBRARY``, else the repository's
``.build/release/libStyleCAPI.so``, else ``.build/debug/libStyleCAPI.so`` (made by
``swift build -c release --product StyleCAPI``). The repository's root is recorded in
``stylectl/_build.py``, so that the package finds ``Models/`` and the ``stylectl`` binary there as
the CLI does. The wheel is platform-specific (it holds a shared library).
"""

import os
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent


def library() -> Path:
    if os.environ.get("STYLECTL_LIBRARY"):
        candidates = [Path(os.environ["STYLECTL_LIBRARY"])]
    else:
        candidates = [REPOSITORY / ".build" / configuration / "libStyleCAPI.so" for configuration in ("release", "debug")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise SystemExit("stylectl: no Swift library at " + " or ".join(map(str, candidates))
                     + ": run `swift build -c release --product StyleCAPI` in the repository first, "
                     + "or set STYLECTL_LIBRARY to a libStyleCAPI.so")


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        package = Path(self.build_lib) / "stylectl"
        package.mkdir(parents=True, exist_ok=True)
        self.copy_file(str(library()), str(package / "libstylectl.so"))
        (package / "_build.py").write_text(
            '"""Written by setup.py: the repository the library was built in."""\n'
            f"REPOSITORY = {str(REPOSITORY)!r}\n")


class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
