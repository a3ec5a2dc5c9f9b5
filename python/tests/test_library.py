"""The package's view of the library: the ctypes structures match stylectl.h, and a missing
library is a clear error."""

import ctypes
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO
from stylectl import _capi


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_ctypes_structures_match_the_header(tmp_path):
    """sizeof and offsetof of every structure in stylectl.h, as a C compiler lays them out."""
    structures = {"stylectl_sizing": _capi.Sizing, "stylectl_controls": _capi.Controls, "stylectl_tensor": _capi.Tensor,
                  "stylectl_result": _capi.Result}
    lines = []
    for name, structure in structures.items():
        lines.append(f'printf("{name} %zu\\n", sizeof({name}));')
        for field, _ in structure._fields_:
            lines.append(f'printf("{name}.{field} %zu\\n", offsetof({name}, {field}));')
    source = tmp_path / "layout.c"
    source.write_text("#include <stddef.h>\n#include <stdio.h>\n#include \"stylectl.h\"\nint main(void) {\n"
                      + textwrap.indent("\n".join(lines), "    ") + "\n    return 0;\n}\n")
    subprocess.run(["cc", "-std=c11", "-I", str(REPO / "Sources" / "CStylectl"), str(source), "-o", str(tmp_path / "layout")],
                   check=True)
    measured = dict(line.rsplit(" ", 1) for line in subprocess.run([str(tmp_path / "layout")], capture_output=True, text=True,
                                                                    check=True).stdout.splitlines())
    for name, structure in structures.items():
        assert int(measured[name]) == ctypes.sizeof(structure), name
        for field, _ in structure._fields_:
            assert int(measured[f"{name}.{field}"]) == getattr(structure, field).offset, f"{name}.{field}"


def test_a_missing_library_is_a_clear_error(tmp_path):
    missing = tmp_path / "libStyleCAPI.so"
    script = "import stylectl\ntry:\n    stylectl.Stylizer()\nexcept OSError as error:\n    print(error)\n"
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              env={**os.environ, "STYLECTL_LIBRARY": str(missing)})
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == (f"stylectl: no library at {missing}: install the package with the library built "
                                       "(`swift build -c release --product StyleCAPI`, then `pip install ./python`), "
                                       "or set STYLECTL_LIBRARY to a libStyleCAPI.so")
