"""Shared fixtures of the binding's tests.

Environment (ctest sets it): ``OUTREACH_LIBRARY`` (the built liboutreach_c), ``OUTREACH_CLI``
(the built ``outreach`` tool, to compare with), ``OUTREACH_SOURCE_DIR`` (the source tree). The
package is imported from this source tree, not from an installed copy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pytest

BINDING_DIR = Path(__file__).resolve().parent.parent
SOURCE_DIR = Path(os.environ.get("OUTREACH_SOURCE_DIR") or BINDING_DIR.parent.parent)
EXAMPLE_DIR = SOURCE_DIR / "docs" / "examples" / "saas-founders"
EXAMPLE_CAMPAIGN = EXAMPLE_DIR / "campaign.json"
EXAMPLE_SEQUENCE = EXAMPLE_DIR / "sequence.json"
EXAMPLE_INBOUND = EXAMPLE_DIR / "inbound.jsonl"
HEADER = SOURCE_DIR / "capi" / "include" / "outreach.h"

sys.path.insert(0, str(BINDING_DIR))

# The example's unsubscribe secret stays unset, for the command line and for Python alike.
os.environ.pop("ACME_UNSUBSCRIBE_SECRET", None)

import outreach  # noqa: E402


def pytest_report_header(config: Any) -> List[str]:
    return [
        f"outreach package: {Path(outreach.__file__).parent}",
        f"OUTREACH_LIBRARY: {os.environ.get('OUTREACH_LIBRARY', '(not set)')}",
        f"OUTREACH_CLI: {os.environ.get('OUTREACH_CLI', '(not set)')}",
    ]


@pytest.fixture(scope="session")
def cli() -> str:
    """The path of the ``outreach`` command-line tool."""
    path = os.environ.get("OUTREACH_CLI")
    if not path:
        pytest.skip("OUTREACH_CLI is not set (the command line to compare with)")
    return path


def run_cli(cli: str, *args: Any, check: Optional[int] = 0, cwd: Optional[Path] = None) -> "subprocess.CompletedProcess[bytes]":
    """Runs the command line; checks its exit status unless ``check`` is None."""
    result = subprocess.run([cli, *map(str, args)], capture_output=True, timeout=300, cwd=cwd)
    if check is not None:
        assert result.returncode == check, result.stderr.decode(errors="replace")
    return result


def cli_simulate(
    cli: str, campaign: Path, tmp_path: Path, *extra: Any, name: str = "cli"
) -> Tuple[Dict[str, Any], bytes, str]:
    """``outreach simulate CAMPAIGN --json --events FILE EXTRA...``: the summary, the event log's
    bytes and what it wrote on standard error."""
    events = tmp_path / f"{name}-events.jsonl"
    result = run_cli(cli, "simulate", campaign, "--json", "--events", events, *extra)
    return json.loads(result.stdout), events.read_bytes(), result.stderr.decode()


def quietly(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Calls ``function`` with outreach's warnings silenced (the example campaign warns that its
    unsubscribe secret is not set)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", outreach.OutreachWarning)
        return function(*args, **kwargs)


def python_simulate(
    campaign: Any, inbound: Any = None, from_: Optional[str] = None, until: Optional[str] = None, **engine_options: Any
) -> Tuple[Dict[str, Any], bytes, List[str]]:
    """Simulates through the binding: the summary, the event lines as the ``--events`` file's
    bytes (pulled from the engine, and checked against what the listener got) and the warnings."""
    received: List[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", outreach.OutreachWarning)
        with outreach.Engine(**engine_options) as engine:
            engine.on_event(received.append, raw=True)
            engine.add_campaign(campaign)
            summary = engine.simulate(until, inbound, from_=from_)
            lines = engine.event_lines()
            assert lines == received
            assert [json.loads(line) for line in lines] == engine.events()
            assert engine.summary() == summary == engine.status()
    messages = [str(w.message) for w in caught if issubclass(w.category, outreach.OutreachWarning)]
    return summary, "".join(line + "\n" for line in lines).encode("utf-8"), messages


def first_difference(left: bytes, right: bytes) -> str:
    """Says where two event logs first differ, for assertion messages."""
    a = left.decode().splitlines()
    b = right.decode().splitlines()
    for index, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"line {index + 1}:\n  python: {x}\n  cli:    {y}"
    return f"python has {len(a)} lines, the cli {len(b)}"


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def small_sequence(steps: int = 2) -> Dict[str, Any]:
    """A sequence of ``steps`` steps, a day apart, that needs only ``first_name``."""
    result: Dict[str, Any] = {
        "name": "small",
        "steps": [{"variants": [{"subject": "Hello {{first_name | \"there\"}}", "text": "Hi {{first_name | \"there\"}},\n\nA note.\n\n{{sender.name}}"}]}],
    }
    for _ in range(steps - 1):
        result["steps"].append({"delay": {"days": 1}, "variants": [{"text": "Following up."}]})
    return result


def small_campaign(
    name: str = "small",
    leads: Sequence[str] = ("ann@one.example", "bo@two.example", "cy@three.example"),
    start: str = "2026-12-01T00:00:00Z",
    steps: int = 2,
    hours: Sequence[str] = ("00:00-24:00",),
    **extra: Any,
) -> Dict[str, Any]:
    """A campaign with inline sequence and leads: every day, all day, one mailbox."""
    campaign: Dict[str, Any] = {
        "name": name,
        "sequence": small_sequence(steps),
        "leads": [{"email": email, "first_name": email.split("@")[0].title()} for email in leads],
        "seed": 7,
        "schedule": {
            "timezone": "UTC",
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "hours": list(hours),
            "start": start,
        },
        "mailboxes": [{"id": "m", "from": "Mo Sender <mo@sender.example>", "daily_limit": 100}],
    }
    campaign.update(extra)
    return campaign
