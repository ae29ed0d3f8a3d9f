"""The package installs with pip into a fresh virtual environment of Debian's Python (offline,
with the system's setuptools) and works from there: with ``OUTREACH_LIBRARY``, and with the
library bundled into the package's ``_lib/`` folder."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import pytest

from conftest import BINDING_DIR, EXAMPLE_CAMPAIGN

HAVE_VENV = importlib.util.find_spec("venv") is not None and importlib.util.find_spec("ensurepip") is not None

pytestmark = pytest.mark.skipif(not HAVE_VENV, reason="this Python has no venv/ensurepip module (python3-venv)")

SCRIPT = f"""
import outreach, sys, warnings
warnings.simplefilter("ignore", outreach.OutreachWarning)
print(outreach.__file__)
print(outreach.library_path())
with outreach.Engine() as engine:
    engine.add_campaign({str(EXAMPLE_CAMPAIGN)!r})
    summary = engine.simulate(until="2026-12-02T00:00:00Z")
print(summary["campaigns"][0]["name"], sum(day["sent"] for day in summary["campaigns"][0]["days"]))
"""


def copy_project(tmp_path: Path) -> Path:
    """A copy of the package's project: pip builds in the folder it is given, and the source tree
    is not written to."""
    copy = tmp_path / "src"
    shutil.copytree(
        BINDING_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info", "_lib", "tests")
    )
    return copy


def make_venv(tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=300)
    return venv / "bin" / "python"


def pip_install(python: Path, project: Path) -> None:
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    result = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-build-isolation", "--no-index", str(project)],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def run_installed(python: Path, cwd: Path, library: Optional[str]) -> str:
    env: Dict[str, str] = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OUTREACH_LIBRARY")}
    if library is not None:
        env["OUTREACH_LIBRARY"] = library
    result = subprocess.run([str(python), "-c", SCRIPT], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_pip_installs_the_package_into_a_venv_and_it_finds_the_library(tmp_path: Path) -> None:
    library = os.environ["OUTREACH_LIBRARY"]
    python = make_venv(tmp_path)
    pip_install(python, copy_project(tmp_path))
    out = run_installed(python, tmp_path, library).splitlines()
    assert out[0].startswith(str(tmp_path / "venv")) and out[0].endswith("outreach/__init__.py")
    assert out[1] == library
    name, sent = out[2].split()
    assert name == "q4-saas-founders" and int(sent) > 0


def test_a_library_bundled_into_the_package_is_installed_with_it(tmp_path: Path) -> None:
    library = os.environ["OUTREACH_LIBRARY"]
    project = copy_project(tmp_path)
    (project / "outreach" / "_lib").mkdir()
    shutil.copy2(library, project / "outreach" / "_lib" / "liboutreach_c.so.0")
    python = make_venv(tmp_path)
    pip_install(python, project)
    out = run_installed(python, tmp_path, None).splitlines()
    assert out[1].startswith(str(tmp_path / "venv")) and out[1].endswith("outreach/_lib/liboutreach_c.so.0")
    assert out[2].startswith("q4-saas-founders ")
