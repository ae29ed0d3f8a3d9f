"""The package's type hints are what type checkers see (it ships ``py.typed``): mypy in strict
mode finds nothing to say about the package itself, accepts the README's example, and refuses a
program that passes the wrong types to the public API."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BINDING_DIR, SOURCE_DIR

pytestmark = pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed (python3-mypy)")


def mypy(*targets: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MYPYPATH=str(BINDING_DIR))
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull,
                           *targets], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def test_the_package_type_checks_in_strict_mode() -> None:
    assert (BINDING_DIR / "outreach" / "py.typed").is_file()
    result = mypy("-p", "outreach", cwd=BINDING_DIR)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_readme_example_type_checks_and_wrong_types_are_found(tmp_path: Path) -> None:
    readme = (SOURCE_DIR / "README.md").read_text(encoding="utf-8")
    example = re.search(r"From Python .*?```python\n(.*?)```", readme, re.DOTALL)
    assert example
    (tmp_path / "example.py").write_text(example.group(1), encoding="utf-8")
    result = mypy("example.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr

    (tmp_path / "wrong.py").write_text(
        "import outreach\n"
        "with outreach.Engine() as engine:\n"
        "    name: int = engine.add_campaign('campaign.json')\n"
        "    engine.events(since='first')\n",
        encoding="utf-8",
    )
    result = mypy("wrong.py", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'wrong.py:3: error: Incompatible types in assignment (expression has type "str", variable has type "int")' \
        in result.stdout, result.stdout
    assert 'wrong.py:4: error: Argument "since" to "events" of "Engine" has incompatible type "str"' in result.stdout, \
        result.stdout
