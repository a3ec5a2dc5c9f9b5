"""Sweeps and their reports: ``run_sweep`` runs ``stylectl sweep`` (the natural unit of a grid: its
manifest, contact sheets and index page), ``load_report`` reads a report folder back."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from .errors import StylectlError


@dataclass
class Report:
    """A sweep's report folder: ``manifest`` (``manifest.json`` as a dict), ``cells`` (one row per
    stylization: its inputs, controls, output, seconds and losses; a pandas DataFrame when pandas
    is installed, else a list of dicts) and ``sheets`` (the contact sheets, in page order)."""

    folder: Path
    manifest: Dict[str, Any]
    cells: Any
    sheets: List[Path]


def load_report(path: Union[str, os.PathLike]) -> Report:
    """Reads a report folder written by ``stylectl sweep`` (or its ``manifest.json``)."""
    folder = Path(path)
    if folder.name == "manifest.json":
        folder = folder.parent
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise StylectlError(f"{folder}: no manifest.json; give a report folder written by `stylectl sweep`")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (ValueError, UnicodeDecodeError) as error:
        raise StylectlError(f"{manifest_path}: not a JSON manifest ({error})") from None
    rows = manifest.get("cells", []) if isinstance(manifest, dict) else []
    try:
        import pandas
    except ImportError:
        cells: Any = rows
    else:
        cells = pandas.json_normalize(rows) if rows else pandas.DataFrame()
    sheets = sorted(folder.glob("sheet-*.png"), key=lambda sheet: int(re.findall(r"\d+", sheet.name)[0]))
    return Report(folder=folder, manifest=manifest, cells=cells, sheets=sheets)


def stylectl_binary() -> Path:
    """The ``stylectl`` executable: ``$STYLECTL``, else the repository's ``.build/release`` or
    ``.build/debug`` build (the repository the library was built in), else ``stylectl`` on the PATH."""
    if os.environ.get("STYLECTL"):
        return Path(os.environ["STYLECTL"])
    try:
        from ._build import REPOSITORY
    except ImportError:
        REPOSITORY = None
    if REPOSITORY:
        for configuration in ("release", "debug"):
            candidate = Path(REPOSITORY) / ".build" / configuration / "stylectl"
            if candidate.is_file():
                return candidate
    found = shutil.which("stylectl")
    if found:
        return Path(found)
    raise StylectlError("no stylectl binary: set STYLECTL, or run `swift build -c release` in the repository")


def run_sweep(spec: Union[str, os.PathLike, Mapping[str, Any]], *, report: Optional[str] = None,
              reports_dir: Union[str, os.PathLike] = "Reports", overwrite: bool = False,
              vgg: Optional[Union[str, os.PathLike]] = None, decoder: Optional[Union[str, os.PathLike]] = None,
              arguments: Sequence[str] = ()) -> Report:
    """Runs ``stylectl sweep --spec SPEC`` and returns its report (:func:`load_report`).

    ``spec`` is a spec file (``.json``, ``.yaml``; relative paths in it are relative to the file)
    or a mapping of the same keys (``{"content": [...], "style": [...], "alpha": [0, 0.5, 1]}``;
    give absolute paths: it is written to a temporary file). ``report`` names the report folder
    inside ``reports_dir`` (default: the spec's ``report`` key, which a file spec must then be
    given here). ``arguments`` are further flags (``["--content-size", "256"]``). Raises
    :class:`StylectlError` with stylectl's message when the sweep fails.
    """
    if isinstance(spec, Mapping):
        report = report or spec.get("report")
    if not report:
        raise StylectlError("run_sweep: name the report (report=NAME), so that its folder can be read back")
    with tempfile.TemporaryDirectory(prefix="stylectl-spec-") as scratch:
        if isinstance(spec, Mapping):
            spec_path = Path(scratch) / "spec.json"
            spec_path.write_text(json.dumps(dict(spec)))
        else:
            spec_path = Path(spec)
        command = [str(stylectl_binary()), "sweep", "--spec", str(spec_path), "--report", report,
                   "--reports-dir", os.fspath(reports_dir), *(["--overwrite"] if overwrite else []),
                   *(["--vgg", os.fspath(vgg)] if vgg else []), *(["--decoder", os.fspath(decoder)] if decoder else []),
                   *map(str, arguments)]
        finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        lines = [line for line in finished.stderr.strip().splitlines() if line.strip()]
        message = lines[-1] if lines else f"stylectl sweep failed with exit code {finished.returncode}"
        raise StylectlError(message[len("Error: "):] if message.startswith("Error: ") else message, finished.returncode)
    return load_report(Path(reports_dir) / report)
