from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_carries_templates_static_files_and_migrations(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("roundtable-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "app/templates/base.html",
        "app/templates/emails/password_reset.txt",
        "app/static/css/app.css",
        "app/static/js/htmx.min.js",
        "app/db/piccolo_conf.py",
        "jobs/scheduler.py",
    ):
        assert expected in names, expected
    assert any(n.startswith("app/db/migrations/roundtable_") for n in names)
    assert not any(n.startswith("tests/") for n in names)

    # Installed somewhere else, it finds its own templates and static files.
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    probe = subprocess.run(
        [sys.executable, "-c", "import app.paths as p; print(p.TEMPLATES); print(p.STATIC)"],
        env={**os.environ, "PYTHONPATH": str(site)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    templates, static = probe.stdout.split()
    assert templates == str(site / "app" / "templates")
    assert static == str(site / "app" / "static")
