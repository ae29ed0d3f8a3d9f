"""The example at the top of docs/python.md runs from the source tree and prints what the
command line computes for the example campaign."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import BINDING_DIR, EXAMPLE_CAMPAIGN, EXAMPLE_INBOUND, SOURCE_DIR, cli_simulate

GUIDE = SOURCE_DIR / "docs" / "python.md"


def first_python_block() -> str:
    match = re.search(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.DOTALL)
    assert match, "docs/python.md has no python example"
    return match.group(1)


def test_the_guides_first_example_is_ten_lines_and_runs(cli: str, tmp_path: Path) -> None:
    code = first_python_block()
    assert len(code.strip().splitlines()) == 10
    env = dict(os.environ, PYTHONPATH=str(BINDING_DIR))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=SOURCE_DIR, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    summary = cli_simulate(cli, EXAMPLE_CAMPAIGN, tmp_path, "--inbound", EXAMPLE_INBOUND)[0]["campaigns"][0]
    first, second = result.stdout.splitlines()
    assert first == f"{summary['name']} {summary['status']} {summary['leads']}"
    assert second.endswith(f" replies, {sum(day['sent'] for day in summary['days'])} messages sent")
    assert "OutreachWarning" in result.stderr and "ACME_UNSUBSCRIBE_SECRET" in result.stderr
