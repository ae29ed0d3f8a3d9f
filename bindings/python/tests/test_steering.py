"""Changing a store's campaigns with or without an engine running them (outreach.steering), on a
real SQLite store, the running engine an Engine of this process in another thread."""

from __future__ import annotations

import datetime
import threading
from pathlib import Path
from typing import Any, Dict, List

import pytest

import outreach
from conftest import small_campaign


def utc_now_text(offset: datetime.timedelta = datetime.timedelta(0)) -> str:
    return (datetime.datetime.now(datetime.timezone.utc) + offset).strftime("%Y-%m-%dT%H:%M:%SZ")


def waiting_campaign() -> Dict[str, Any]:
    """A campaign whose first send is a day away: nothing is sent while the tests steer it."""
    return small_campaign(steps=1, start=utc_now_text(datetime.timedelta(days=1)))


def campaign_status(store: Path) -> str:
    with outreach.StoreReader(store) as reader:
        return str(reader.status()["campaigns"][0]["status"])


def campaign_event_types(store: Path) -> List[str]:
    with outreach.StoreReader(store) as reader:
        return [event["type"] for event in reader.events() if "lead" not in event]


def test_with_no_engine_running_a_request_is_applied_at_once(tmp_path: Path) -> None:
    store = tmp_path / "state.db"
    with outreach.Engine(store=store) as engine:
        engine.add_campaign(waiting_campaign())
        engine.run(until=utc_now_text())  # started, and nothing due yet
    paused = outreach.steering.pause(store, "small")
    assert paused.applied_here and paused.applied
    assert paused.answer is not None and paused.answer["message"] == 'campaign "small" paused'
    assert campaign_status(store) == "paused"
    assert outreach.steering.resume(store, "small").applied
    assert outreach.steering.stop(store, "small").answer["message"] == 'campaign "small" stopped'
    refused = outreach.steering.resume(store, "small")
    assert not refused.applied
    assert refused.answer is not None and refused.answer["error"] == "invalid_argument"
    assert "stopped for good" in refused.answer["message"]
    assert campaign_event_types(store) == ["campaign_paused", "campaign_resumed", "campaign_stopped"]

    disabled = outreach.steering.disable_mailbox(store, "m")
    assert disabled.applied and disabled.answer is not None and disabled.answer["message"] == 'mailbox "m" disabled'
    with outreach.StoreReader(store) as reader:
        trouble = reader.status()["campaigns"][0]["mailbox_trouble"]
        assert [(t["mailbox"], t["state"], t["reason"]) for t in trouble] == [("m", "disabled", "request")]
    assert outreach.steering.enable_mailbox(store, "m").applied
    with pytest.raises(outreach.NotFound, match='no campaign has a mailbox "nobody"'):
        outreach.steering.enable_mailbox(store, "nobody")
    assert campaign_event_types(store)[-2:] == ["mailbox_disabled", "mailbox_enabled"]

    with pytest.raises(outreach.NotFound, match='no campaign named "other"'):
        outreach.steering.pause(store, "other")
    with pytest.raises(outreach.InvalidValue, match=r"addresses\[0\]"):
        outreach.steering.suppress(store, ["Ann <ann@example.com>"])
    suppressed = outreach.steering.suppress(store, ["ann@one.example", "new@example.com"])
    assert suppressed.answer is not None and suppressed.answer["changed"] == 2
    one = outreach.steering.suppress(store, "solo@example.com")
    assert one.answer is not None and one.answer["changed"] == 1
    assert outreach.steering.unsuppress(store, "solo@example.com").answer["changed"] == 1
    with outreach.StoreReader(store) as reader:
        assert [entry["address"] for entry in reader.suppressions()] == ["ann@one.example", "new@example.com"]


def test_an_engine_running_in_this_process_applies_requests_without_a_call_of_its_own(tmp_path: Path) -> None:
    store = tmp_path / "state.db"
    with outreach.Engine(store=store) as engine:
        engine.add_campaign(waiting_campaign())
        # Until after the first send is due: the run waits for it, and stops when told.
        runner = threading.Thread(target=engine.run, kwargs={"until": utc_now_text(datetime.timedelta(days=2))})
        runner.start()
        try:
            # The engine holds the store: the request goes through it, and the engine answers.
            paused = outreach.steering.pause(store, "small", wait=10)
            assert not paused.applied_here
            assert paused.applied, paused
            assert paused.answer is not None and paused.answer["sends_before"] == 0
            forgotten = outreach.steering.forget(store, "bo@two.example", wait=10)
            assert forgotten.applied, forgotten
            queued = outreach.steering.resume(store, "small", wait=0)
            assert queued.answer is None and not queued.applied_here
        finally:
            engine.stop()
            runner.join(timeout=30)
        assert not runner.is_alive()
    with outreach.StoreReader(store) as reader:
        assert {entry["address"]: entry["reason"] for entry in reader.suppressions()} == {"bo@two.example": "forget"}
    # The resume asked without waiting was applied by the engine, or waits for the next one.
    assert campaign_event_types(store)[0] == "campaign_paused"


def test_leads_are_added_from_a_file_or_dicts_and_settings_are_updated(tmp_path: Path) -> None:
    store = tmp_path / "state.db"
    campaign = waiting_campaign()
    with outreach.Engine(store=store) as engine:
        engine.add_campaign(campaign)
        engine.run(until=utc_now_text())
    more = tmp_path / "more.csv"
    more.write_text("email,first_name\nnew@four.example,New\nnot an address,Bad\nann@one.example,Ann\n",
                    encoding="utf-8")
    read = outreach.steering.read_leads(more)
    assert [lead["email"] for lead in read["leads"]] == ["new@four.example", "ann@one.example"]
    assert read["problems"][0]["line"] == 3
    added = outreach.steering.add_leads(store, "small", more)
    assert added.applied_here and added.answer is not None
    assert added.answer["changed"] == 1 and added.answer["already_in"] == 1
    outreach.steering.suppress(store, "held@five.example")
    dicts = outreach.steering.add_leads(store, "small", [{"email": "held@five.example"}, {"email": "dee@six.example"}])
    assert dicts.answer is not None and dicts.answer["changed"] == 1 and dicts.answer["suppressed"] == 1
    with outreach.StoreReader(store) as reader:
        assert reader.status()["campaigns"][0]["leads"]["pending"] == 5

    campaign["limits"] = {"sends_per_day": 3}
    updated = outreach.steering.update(store, outreach.Campaign.from_dict(campaign))
    assert updated.answer is not None and updated.applied
    assert updated.answer["changes"] == ["limits.sends_per_day: null -> 3"]
    campaign["seed"] = 8
    refused = outreach.steering.update(store, outreach.Campaign.from_dict(campaign))
    assert not refused.applied and refused.answer is not None
    assert "seed" in refused.answer["message"]
    assert campaign_event_types(store)[-1] == "campaign_changed"

    # Steps change only when asked, as the sequence's next version.
    campaign["seed"] = 7
    campaign["sequence"]["steps"][0]["variants"][0]["text"] = "Reworded."
    shown = outreach.steering.update(store, outreach.Campaign.from_dict(campaign))
    assert not shown.applied and shown.answer is not None
    assert "step 1: reworded (variant A: text)" in shown.answer["message"]
    edited = outreach.steering.update(store, outreach.Campaign.from_dict(campaign), edit_steps=True)
    assert edited.applied and edited.answer is not None
    assert edited.answer["changes"] == ["sequence: version 1 -> 2", "step 1: reworded (variant A: text)"]
