"""The package installs with pip into a fresh virtual environment of Debian's Python, offline
(its build backend needs nothing but the standard library), as a wheel that carries the library:
the README's example then runs with no ``OUTREACH_LIBRARY``, which still wins when set; the
versions of the package and of the library it carries must agree; uninstalling leaves nothing."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict, Optional

import pytest

from conftest import BINDING_DIR, EXAMPLE_CAMPAIGN, SOURCE_DIR

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


def make_venv(tmp_path: Path, system_site_packages: bool = True) -> Path:
    venv = tmp_path / "venv"
    options = ["--system-site-packages"] if system_site_packages else []
    subprocess.run([sys.executable, "-m", "venv", *options, str(venv)], check=True, timeout=300)
    return venv / "bin" / "python"


def pip(python: Path, *arguments: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    return subprocess.run([str(python), "-m", "pip", *arguments], capture_output=True, text=True, env=env, timeout=900)


def pip_install(python: Path, project: Path, *options: str) -> None:
    # No --no-build-isolation: the backend asks for nothing, so the isolated build needs no index.
    result = pip(python, "install", "--no-index", *options, str(project))
    assert result.returncode == 0, result.stdout + result.stderr


def run_installed(python: Path, cwd: Path, library: Optional[str], script: str = SCRIPT) -> str:
    env: Dict[str, str] = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OUTREACH_LIBRARY")}
    if library is not None:
        env["OUTREACH_LIBRARY"] = library
    result = subprocess.run([str(python), "-c", script], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def site_packages(python: Path) -> Path:
    found = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                           capture_output=True, text=True, check=True)
    return Path(found.stdout.strip())


def readme_python_example() -> str:
    readme = (SOURCE_DIR / "README.md").read_text(encoding="utf-8")
    found = re.search(r"From Python .*?```python\n(.*?)```", readme, re.DOTALL)
    assert found, "README.md has no Python example"
    return found.group(1)


def test_pip_install_from_the_source_tree_gives_a_wheel_with_the_library_and_the_readme_example_runs(
    tmp_path: Path,
) -> None:
    # The build folder of this test run: the backend builds the outreach_c target there (up to
    # date, so nothing is compiled) and takes the library from it.
    build_dir = Path(os.environ["OUTREACH_LIBRARY"]).resolve().parent.parent
    python = make_venv(tmp_path, system_site_packages=False)
    wheels = tmp_path / "wheels"
    built = pip(python, "wheel", "--no-index", "--no-deps", "--config-settings", f"build-dir={build_dir}",
                "--wheel-dir", str(wheels), str(BINDING_DIR))
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = list(wheels.glob("*.whl"))
    assert re.fullmatch(r"outreach-(\d+\.\d+\.\d+)-py3-none-linux_[a-z0-9_]+\.whl", wheel.name), wheel.name
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "outreach/_lib/liboutreach_c.so.0" in names and "outreach/py.typed" in names, sorted(names)

    pip_install(python, wheel)
    out = run_installed(python, SOURCE_DIR, None, readme_python_example()).splitlines()
    assert re.fullmatch(r"q4-saas-founders \w+ \{.*'completed': \d+.*\}", out[0]), out
    assert re.fullmatch(r"\d+ replies, [1-9]\d* messages sent", out[1]), out
    carried = run_installed(python, tmp_path, None, "import outreach; print(outreach.library_path())").strip()
    assert carried == str(site_packages(python) / "outreach" / "_lib" / "liboutreach_c.so.0")

    removed = pip(python, "uninstall", "--yes", "outreach")
    assert removed.returncode == 0, removed.stdout + removed.stderr
    left = sorted(path.name for path in site_packages(python).iterdir() if "outreach" in path.name.lower())
    assert left == [], f"left behind after uninstalling: {left}"


def test_outreach_library_wins_over_the_library_the_package_carries(tmp_path: Path) -> None:
    library = os.environ["OUTREACH_LIBRARY"]
    python = make_venv(tmp_path)
    pip_install(python, copy_project(tmp_path), "--config-settings", f"library={library}")
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


def test_a_package_and_library_of_different_versions_are_refused(tmp_path: Path) -> None:
    library = os.environ["OUTREACH_LIBRARY"]
    # At build time: the package's version and the binding's must agree.
    project = copy_project(tmp_path)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(re.sub(r'(?m)^version = ".*"$', 'version = "0.0.1"', pyproject.read_text()))
    python = make_venv(tmp_path)
    refused = pip(python, "install", "--no-index", "--config-settings", f"library={library}", str(project))
    assert refused.returncode != 0 and "make them agree" in refused.stdout + refused.stderr, refused.stderr

    # At load time: a package whose carried library is of another version says so.
    pip_install(python, copy_project(tmp_path / "second"), "--config-settings", f"library={library}")
    init = site_packages(python) / "outreach" / "__init__.py"
    init.write_text(re.sub(r'(?m)^__version__ = ".*"$', '__version__ = "9.9.9"', init.read_text()))
    # pip compiled the package on install: a .pyc of the same second and size would still be used.
    shutil.rmtree(init.parent / "__pycache__", ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OUTREACH_LIBRARY")}
    result = subprocess.run([str(python), "-c", "import outreach; outreach.version()"], capture_output=True,
                            text=True, env=env, cwd=tmp_path, timeout=300)
    assert result.returncode != 0
    assert "the package is outreach 9.9.9" in result.stderr and "LibraryError" in result.stderr, result.stderr
