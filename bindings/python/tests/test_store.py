"""The engine on a SQLite store file: resuming, the engine lock, files refused, a store that
cannot write, and reading the file afterwards."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import outreach
from conftest import EXAMPLE_CAMPAIGN, quietly, run_cli

NAME = "q4-saas-founders"
PARTWAY = "2026-12-08T00:00:00Z"


def simulate(store: Any = None, until: Any = None, **options: Any) -> Tuple[List[str], Dict[str, Any]]:
    """The example campaign simulated in a new engine: its event lines and the summary."""
    with outreach.Engine(store, **options) as engine:
        quietly(engine.add_campaign, EXAMPLE_CAMPAIGN)
        summary = quietly(engine.simulate, until)
        return engine.event_lines(), summary


def stored_lines(path: Path) -> List[str]:
    """The event lines in the file, read as `outreach events` does (no lock: read only)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [row[0] for row in connection.execute("SELECT line FROM events ORDER BY id")]
    finally:
        connection.close()


def test_a_new_engine_goes_on_where_the_stored_campaign_was(tmp_path: Path) -> None:
    whole_lines, whole_summary = simulate()
    store = tmp_path / "state.db"

    first, partway = simulate(store, PARTWAY)
    assert first and partway["campaigns"][0]["status"] == "running"
    second, summary = simulate(str(store), durability="power")

    assert first + second == whole_lines  # nothing repeated, nothing missing
    assert summary == whole_summary
    assert stored_lines(store) == whole_lines

    # A finished store: a new engine has nothing to do and gives the same summary.
    again, summary = simulate(store)
    assert again == [] and summary == whole_summary


def test_the_simulate_function_takes_a_store(tmp_path: Path) -> None:
    store = tmp_path / "state.db"
    summary = quietly(outreach.simulate, EXAMPLE_CAMPAIGN, store=store)
    assert summary == simulate()[1]
    assert len(stored_lines(store)) > 0


def test_the_command_line_reads_what_the_binding_stored(tmp_path: Path, cli: str) -> None:
    store = tmp_path / "state.db"
    lines, summary = simulate(store, PARTWAY)
    status = run_cli(cli, "status", "--store", store, "--json")
    assert json.loads(status.stdout) == summary
    events = run_cli(cli, "events", "--store", store)
    assert events.stdout.decode().splitlines() == lines


def test_a_second_engine_on_a_store_is_refused(tmp_path: Path) -> None:
    store = tmp_path / "state.db"
    with outreach.Engine(store):
        with pytest.raises(outreach.Unavailable) as raised:
            outreach.Engine(store)
        assert raised.value.code == -10
        assert str(store) in str(raised.value) and "in use by another engine" in str(raised.value)
    with outreach.Engine(store):
        pass


def test_files_that_are_not_a_usable_store_are_refused_and_left_alone(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_bytes(b"not a database\n")
    other = tmp_path / "other.db"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    connection.commit()
    connection.close()
    newer = tmp_path / "newer.db"
    with outreach.Engine(newer):
        pass
    connection = sqlite3.connect(newer)
    connection.execute("PRAGMA user_version = 99")
    connection.close()

    for path, why in ((text, "not a SQLite database"), (other, "outreach"), (newer, "newer")):
        before = path.read_bytes()
        with pytest.raises(outreach.InvalidValue) as raised:
            outreach.Engine(path)
        assert str(path) in str(raised.value) and why in str(raised.value), str(raised.value)
        assert path.read_bytes() == before

    with pytest.raises(outreach.NotFound):
        outreach.Engine(tmp_path / "no-such-folder" / "state.db")
    with pytest.raises(outreach.InvalidArgument, match="store_path"):
        outreach.Engine(durability="power")
    with pytest.raises(outreach.InvalidArgument, match="durability"):
        outreach.Engine(tmp_path / "state.db", durability="disk")


def test_a_store_that_cannot_write_stops_the_engine_with_its_error(tmp_path: Path) -> None:
    store = tmp_path / "state.db"
    whole_summary = simulate()[1]
    with outreach.Engine(store) as engine:
        quietly(engine.add_campaign, EXAMPLE_CAMPAIGN)
        quietly(engine.simulate, PARTWAY)
        # Another connection holds the write lock past the store's busy timeout (5 s).
        blocker = sqlite3.connect(store, timeout=0)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(outreach.Error) as raised:
                quietly(engine.simulate)
        finally:
            blocker.rollback()
            blocker.close()
        assert str(store) in str(raised.value)
        with pytest.raises(type(raised.value)):
            quietly(engine.simulate)  # stopped for good
    # The file is whole: a new engine finishes the campaign.
    assert simulate(store)[1] == whole_summary


def test_a_reader_explains_a_lead_as_the_command_line_does(tmp_path: Path, cli: str) -> None:
    store = tmp_path / "state.db"
    simulate(store, PARTWAY)
    with outreach.StoreReader(store) as reader:
        lead = next(event["lead"] for event in reader.events(NAME) if event["type"] == "sent")
        explained = reader.explain(NAME, lead)
        later = reader.explain(NAME, lead, at="2027-01-05T12:00:00Z")
        with pytest.raises(outreach.NotFound):
            reader.explain(NAME, "nobody@example.com")
        with pytest.raises(outreach.InvalidArgument):
            reader.explain(NAME, lead, at="2026-11-01T00:00:00Z")
    assert set(explained) >= {"status", "next_step", "earliest", "held_by", "history"}
    assert explained["history"] and explained["history"][0]["lead"] == lead
    assert later["at"] == "2027-01-05T12:00:00Z"
    printed = run_cli(cli, "explain", "--store", store, NAME, lead, "--json")
    assert json.loads(printed.stdout) == explained


def test_a_reader_forecasts_a_campaign_as_the_command_line_does(tmp_path: Path, cli: str) -> None:
    store = tmp_path / "state.db"
    _, partway = simulate(store, PARTWAY)
    with outreach.StoreReader(store) as reader:
        forecast = reader.forecast(NAME)
        answered = reader.forecast(NAME, reply_rate=1.0)
        with pytest.raises(outreach.NotFound):
            reader.forecast("nope")
        with pytest.raises(outreach.InvalidArgument):
            reader.forecast(NAME, reply_rate=2.0)
    assert forecast["sends"] == sum(day["sent"] for day in forecast["days"]) > 0
    assert forecast["ends"] is not None and forecast["from"] <= forecast["ends"]
    # Every lead answering its next step: at most one more send each.
    assert answered["sends"] < forecast["sends"]
    printed = run_cli(cli, "forecast", "--store", store, NAME, "--json")
    assert json.loads(printed.stdout) == forecast
    # The simulation going on from the store sends what was forecast.
    _, whole = simulate(store)
    sent_before = {(d["date"], d["mailbox"]): d["sent"] for d in partway["campaigns"][0]["days"]}
    came = {}
    for day in whole["campaigns"][0]["days"]:
        more = day["sent"] - sent_before.get((day["date"], day["mailbox"]), 0)
        if more:
            came[(day["date"], day["mailbox"])] = more
    assert came == {(d["date"], d["mailbox"]): d["sent"] for d in forecast["days"]}
