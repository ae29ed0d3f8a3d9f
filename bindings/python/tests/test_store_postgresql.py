"""The engine and the reader on a PostgreSQL store (a real server, started for these tests): the
same location the command line takes, `postgresql://...`, from Python."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

import outreach
from conftest import EXAMPLE_CAMPAIGN, SOURCE_DIR, quietly, run_cli
from test_store import PARTWAY, simulate

sys.path.insert(0, str(SOURCE_DIR / "tests" / "support"))
from postgresql_server import PostgresqlServer  # noqa: E402


@pytest.fixture(scope="module")
def postgresql() -> Iterator[PostgresqlServer]:
    with PostgresqlServer() as server:
        yield server


def test_an_engine_on_postgresql_goes_on_where_it_was_and_the_cli_reads_it(postgresql: Any, cli: str) -> None:
    whole_lines, whole_summary = simulate()
    store = postgresql.create_database()
    first, partway = simulate(store, PARTWAY)
    assert first and partway["campaigns"][0]["status"] == "running"
    assert json.loads(run_cli(cli, "status", "--store", store, "--json").stdout) == partway
    second, summary = simulate(store, durability="power")
    assert first + second == whole_lines
    assert summary == whole_summary
    with outreach.StoreReader(store) as reader:
        assert reader.status() == whole_summary
        assert reader.events() == [json.loads(line) for line in whole_lines]


def test_two_engines_share_a_postgresql_store_and_a_campaign_runs_in_one_of_them(postgresql: Any) -> None:
    whole_lines, whole_summary = simulate()
    store = postgresql.create_database()
    with outreach.Engine(store) as first:
        quietly(first.add_campaign, EXAMPLE_CAMPAIGN)
        quietly(first.simulate, PARTWAY)  # started: it holds the campaign's claim
        with outreach.Engine(store) as second:
            quietly(second.add_campaign, EXAMPLE_CAMPAIGN)
            assert quietly(second.simulate)["campaigns"] == []  # set aside: the first one runs it
            assert any("runs in another engine" in warning for warning in second.warnings())
            assert second.event_lines() == []
        assert quietly(first.simulate) == whole_summary
    with outreach.StoreReader(store) as reader:
        assert len(reader.events()) == len(whole_lines)


def test_the_simulate_function_takes_a_postgresql_store(postgresql: Any) -> None:
    store = postgresql.create_database()
    summary = quietly(outreach.simulate, EXAMPLE_CAMPAIGN, store=store)
    assert summary == simulate()[1]


def test_a_database_that_does_not_exist_is_not_found_and_no_password_shows(postgresql: Any) -> None:
    store = postgresql.uri("no_such_database").replace("postgres@", "postgres:hunter2@")
    with pytest.raises(outreach.NotFound) as raised:
        outreach.StoreReader(store)
    assert "does not exist" in str(raised.value)
    assert "hunter2" not in str(raised.value)
