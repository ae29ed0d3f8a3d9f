"""Store administration from Python, on real SQLite files: the suppression list (add, list, remove,
import with bad lines reported), forgetting an address, and reading a store with
``outreach.StoreReader`` while an engine holds it — what ``outreach status``, ``events``,
``suppress`` and ``forget`` do."""

from __future__ import annotations

import datetime
import json
import threading
import warnings
from pathlib import Path
from typing import Any, Dict, List

import pytest

import outreach
from conftest import run_cli, small_campaign

PARTWAY = "2026-12-02T00:00:00Z"


def simulate_small(engine: outreach.Engine, until: Any = None) -> Dict[str, Any]:
    engine.add_campaign(small_campaign())
    return engine.simulate(until)


def leads_of(events: List[Dict[str, Any]]) -> List[str]:
    return [event.get("lead", "") for event in events]


# ---- the suppression list ---------------------------------------------------------------------


def listed(entries: list) -> list:
    """The entries without their `added` instant, which a store file keeps (RFC 3339, UTC)."""
    for entry in entries:
        assert "added" not in entry or entry["added"].endswith("Z")
    return [{key: value for key, value in entry.items() if key != "added"} for entry in entries]




def test_addresses_are_checked_kept_in_lower_case_listed_and_removed(tmp_path: Path) -> None:
    store = tmp_path / "state.db"
    with outreach.Engine(store) as engine:
        engine.suppress("  Ann@One.Example ")
        engine.suppress("bo@two.example", reason="request")
        engine.suppress("ANN@one.example", reason="again")  # on the list already: kept as it was
        assert listed(engine.suppressions()) == [
            {"address": "ann@one.example", "reason": "manual"},
            {"address": "bo@two.example", "reason": "request"},
        ]

        with pytest.raises(outreach.InvalidValue) as raised:
            engine.suppress("not an address")
        assert '"not an address"' in str(raised.value) and isinstance(raised.value, ValueError)
        with pytest.raises(outreach.InvalidValue):
            engine.suppress("Ann <ann@one.example>")
        with pytest.raises(outreach.InvalidArgument, match="reason"):
            engine.suppress("cy@three.example", reason="")
        with pytest.raises(outreach.InvalidUtf8):
            engine.suppress("\udcff@three.example")

        engine.unsuppress("ANN@ONE.EXAMPLE")
        engine.unsuppress("nobody@nowhere.example")  # not on the list: no error
        assert listed(engine.suppressions()) == [{"address": "bo@two.example", "reason": "request"}]

    # Kept in the file: the next engine and a reader find it.
    with outreach.Engine(store) as engine:
        assert listed(engine.suppressions()) == [{"address": "bo@two.example", "reason": "request"}]
    with outreach.StoreReader(store) as reader:
        assert listed(reader.suppressions()) == [{"address": "bo@two.example", "reason": "request"}]


def test_a_suppressed_lead_is_skipped() -> None:
    with outreach.Engine() as engine:
        engine.suppress("bo@two.example")
        simulate_small(engine)
        skipped = [event for event in engine.events() if event["type"] == "skipped"]
        assert [(event["lead"], event["reason"]) for event in skipped] == [("bo@two.example", "suppressed")]
        assert "bo@two.example" not in [event["lead"] for event in engine.events() if event["type"] == "sent"]


def test_the_command_line_lists_what_the_binding_suppressed(tmp_path: Path, cli: str) -> None:
    store = tmp_path / "state.db"
    with outreach.Engine(store) as engine:
        engine.suppress("ann@one.example", reason="request")
    listed = run_cli(cli, "suppress", "list", "--store", store).stdout.decode().splitlines()
    assert listed == ["ann@one.example\trequest"]


def test_an_import_adds_every_address_and_reports_the_lines_left_out(tmp_path: Path) -> None:
    addresses = tmp_path / "old-tool.txt"
    addresses.write_text("# from the old tool, one a line\nlead1@example.com\n\nnot an address\n  Lead2@Example.COM  \n")
    with outreach.Engine(tmp_path / "state.db") as engine:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", outreach.OutreachWarning)
            result = engine.import_suppressions(addresses)
        assert result.suppressed == 2
        assert [(problem["line"], problem["file"], problem["code"]) for problem in result.problems] == [
            (4, str(addresses), "invalid_value")
        ]
        messages = [str(warning.message) for warning in caught]
        assert messages == [f"{addresses}:4: {result.problems[0]['message']} (line left out)"]
        assert listed(engine.suppressions()) == [
            {"address": "lead1@example.com", "reason": "manual"},
            {"address": "lead2@example.com", "reason": "manual"},
        ]

        # A CSV list with an email column, read as a lead list; a reason for every entry.
        export = tmp_path / "export.csv"
        export.write_text('name,email\r\nAnn,ann@one.example\r\n"Doe, Bo",Bo@Two.example\r\nCy,cy at three\r\n')
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", outreach.OutreachWarning)
            result = engine.import_suppressions(export, reason="import 2026-11")
        assert result.suppressed == 2
        assert [problem["line"] for problem in result.problems] == [4]
        assert {"address": "bo@two.example", "reason": "import 2026-11"} in listed(engine.suppressions())

        # Files that cannot be imported: named, and nothing changes.
        no_email = tmp_path / "no-email.csv"
        no_email.write_text("name,mail\nAnn,ann@four.example\n")
        with pytest.raises(outreach.InvalidValue, match="email"):
            engine.import_suppressions(no_email)
        with pytest.raises(outreach.NotFound) as missing:
            engine.import_suppressions(tmp_path / "missing.txt")
        assert str(tmp_path / "missing.txt") in str(missing.value) and isinstance(missing.value, LookupError)
        with pytest.raises(outreach.IoError):
            engine.import_suppressions(tmp_path)
        assert len(engine.suppressions()) == 4


# ---- forgetting -------------------------------------------------------------------------------


def test_forget_erases_an_address_but_keeps_its_suppression(tmp_path: Path) -> None:
    store = tmp_path / "state.db"
    with outreach.Engine(store) as engine:
        simulate_small(engine)
        engine.suppress("bo@two.example")
        erased = engine.forget(" Bo@TWO.example")
        assert erased >= 3  # two sends and the completion, at least
        with outreach.StoreReader(store) as reader:  # while the engine holds the store
            events = reader.events()
            assert "bo@two.example" not in leads_of(events)
            assert "ann@one.example" in leads_of(events) and "cy@three.example" in leads_of(events)
            assert listed(reader.suppressions()) == [{"address": "bo@two.example", "reason": "manual"}]
        assert engine.forget("bo@two.example") == 0
        with pytest.raises(outreach.InvalidValue, match="bo at two"):
            engine.forget("bo at two")


# ---- reading a store an engine holds ------------------------------------------------------------


def test_a_reader_reads_what_the_engine_commits_without_its_lock(tmp_path: Path, cli: str) -> None:
    store = tmp_path / "state.db"
    with outreach.Engine(store) as engine:
        partway = simulate_small(engine, PARTWAY)
        with outreach.StoreReader(store) as reader, outreach.StoreReader(str(store)) as other:
            with pytest.raises(outreach.Unavailable):
                outreach.Engine(store)  # the engine's lock holds; the readers took none
            assert reader.status() == partway == engine.summary()
            assert reader.status() == json.loads(run_cli(cli, "status", "--store", store, "--json").stdout)
            assert reader.events() == engine.events() == other.events(campaign="small")
            cli_lines = run_cli(cli, "events", "--store", store).stdout.decode().splitlines()
            assert reader.events() == [json.loads(line) for line in cli_lines]

            since = datetime.datetime(2026, 12, 1, 23, 59, tzinfo=datetime.timezone.utc)
            assert reader.events(since=since) == [e for e in engine.events() if e["at"] >= "2026-12-01T23:59:00Z"]
            assert reader.events(since="2026-12-01T00:00:00Z") == engine.events()

            # The engine goes on; the reader sees it.
            finished = engine.simulate()
            assert reader.status() == finished
            assert finished["campaigns"][0]["status"] == "finished"
            assert len([e for e in reader.events() if e["type"] == "sent"]) == 6

            with pytest.raises(outreach.NotFound, match="autumn"):
                reader.events(campaign="autumn")
            with pytest.raises(outreach.InvalidArgument, match="since"):
                reader.events(since="yesterday")

    # A reader open does not keep the next engine out.
    with outreach.StoreReader(store) as reader:
        with outreach.Engine(store) as engine:
            simulate_small(engine)
            assert engine.event_count == 0
        assert reader.status()["campaigns"][0]["status"] == "finished"


def test_a_reader_is_shared_by_threads_and_closes_once(tmp_path: Path) -> None:
    store = tmp_path / "state.db"
    with outreach.Engine(store) as engine:
        simulate_small(engine)
    reader = outreach.StoreReader(store)
    results: List[int] = []

    def read() -> None:
        for _ in range(20):
            results.append(len(reader.events()))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and len(results) == 80
    reader.close()
    reader.close()
    assert reader.closed and "closed" in repr(reader)
    with pytest.raises(outreach.InvalidArgument, match="closed"):
        reader.status()


def test_files_a_reader_cannot_use_are_refused_and_left_alone(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    with pytest.raises(outreach.NotFound) as raised:
        outreach.StoreReader(missing)
    assert str(missing) in str(raised.value)
    assert not missing.exists()

    notes = tmp_path / "notes.db"
    notes.write_bytes(b"these are my notes, not a database\n" * 10)
    before = notes.read_bytes()
    with pytest.raises(outreach.InvalidValue) as raised:
        outreach.StoreReader(notes)
    assert str(notes) in str(raised.value)
    assert notes.read_bytes() == before

    # A store an engine made, with nothing in it yet.
    new = tmp_path / "new.db"
    outreach.Engine(new).close()
    with outreach.StoreReader(new) as reader:
        assert reader.status() == {"campaigns": []}
        assert reader.events() == []
        assert listed(reader.suppressions()) == []


def test_changes_are_refused_from_the_engines_callbacks() -> None:
    seen: Dict[str, Any] = {}
    with outreach.Engine() as engine:

        def listener(event: Dict[str, Any]) -> None:
            if seen:
                return
            seen["list"] = engine.suppressions()
            with pytest.raises(outreach.Busy):
                engine.suppress("a@b.example")
            with pytest.raises(outreach.Busy):
                engine.forget("a@b.example")
            seen["done"] = True

        engine.on_event(listener)
        simulate_small(engine)
        assert seen == {"list": [], "done": True}
        assert listed(engine.suppressions()) == []
