#!/usr/bin/env python3
"""Run Roundtable or its tests from a fresh clone with nothing but Python 3.11+.

The first run makes `.venv` and installs the project into it; later runs reuse it and
reinstall only when pyproject.toml changes.

    python3 dev.py serve    # the demo on http://127.0.0.1:8000 (SQLite, console mail)
    python3 dev.py test     # the whole test suite (TEST_DATABASE_URL selects PostgreSQL)
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".roundtable-installed"


def ensure_environment() -> None:
    if sys.version_info < (3, 11):
        sys.exit("Roundtable needs Python 3.11 or later.")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("Installing Roundtable and its test tools into .venv ...", flush=True)
    subprocess.run(
        [str(BIN / "python"), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"],
        check=True,
    )
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"serve", "test"}:
        print(__doc__)
        return 2
    ensure_environment()
    command, rest = argv[0], argv[1:]
    os.chdir(ROOT)
    if command == "serve":
        args = [str(BIN / "roundtable"), "serve", "--demo", *rest]
    else:
        args = [str(BIN / "python"), "-m", "pytest", *rest]
    return subprocess.call(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
