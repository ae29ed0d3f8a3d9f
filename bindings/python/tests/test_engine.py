"""The engine: campaigns added, started, paused and resumed; inbound events; the event listener;
warnings; running on the system clock with stops, Ctrl-C and threads."""

from __future__ import annotations

import datetime
import json
import signal
import threading
import time
import warnings
from typing import Any, Dict, List

import pytest

import outreach
from conftest import EXAMPLE_CAMPAIGN, EXAMPLE_INBOUND, quietly, small_campaign


def utc_now_text(offset: datetime.timedelta = datetime.timedelta(0)) -> str:
    moment = datetime.datetime.now(datetime.timezone.utc) + offset
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def types_of(events: List[Dict[str, Any]]) -> List[str]:
    return [event["type"] for event in events]


# ---- campaigns -----------------------------------------------------------------------------------


def test_add_campaign_starts_it_like_the_command_line_or_leaves_a_draft() -> None:
    with outreach.Engine() as engine:
        assert engine.add_campaign(small_campaign(), start=False) == "small"
        assert engine.status()["campaigns"][0]["status"] == "draft"
        summary = engine.simulate()
        assert summary["campaigns"][0]["status"] == "draft"
        assert engine.event_count == 0
        engine.start("small")
        summary = engine.simulate()
        assert summary["campaigns"][0]["status"] == "finished"
        assert types_of(engine.events()).count("sent") == 6


def test_add_campaign_takes_a_campaign_a_path_or_a_dict() -> None:
    with outreach.Engine() as engine:
        with outreach.Campaign.from_dict(small_campaign(name="one")) as campaign:
            assert engine.add_campaign(campaign) == "one"
        assert quietly(engine.add_campaign, EXAMPLE_CAMPAIGN) == "q4-saas-founders"
        assert engine.add_campaign(small_campaign(name="two")) == "two"
        names = [c["name"] for c in quietly(engine.simulate, "2026-12-02T00:00:00Z")["campaigns"]]
        assert names == ["one", "q4-saas-founders", "two"]


def test_pause_and_resume_hold_a_campaign_and_go_on() -> None:
    with outreach.Engine() as engine:
        engine.add_campaign(small_campaign(steps=3))
        engine.simulate(until="2026-12-01T12:00:00Z")
        before = engine.event_count
        engine.pause("small")
        assert engine.summary()["campaigns"][0]["status"] == "paused"
        engine.simulate(until="2026-12-05T00:00:00Z")
        new = engine.events(before)
        assert types_of(new) == ["campaign_paused"]
        assert new[0]["reason"] == "request" and "lead" not in new[0]
        engine.resume("small")
        summary = engine.simulate()
        assert summary["campaigns"][0]["status"] == "finished"
        after = engine.events(before)
        assert types_of(after)[:2] == ["campaign_paused", "campaign_resumed"]
        assert types_of(after).count("sent") == 6


def test_inbound_events_applied_by_hand_stop_their_leads() -> None:
    with outreach.Engine() as engine:
        engine.add_campaign(small_campaign())
        engine.apply({"at": "2026-12-01T10:00:00Z", "lead": "ann@one.example", "type": "reply"})
        engine.apply('{"at": "2026-12-01T11:00:00Z", "lead": "BO@two.example", "type": "bounce", "kind": "hard"}')
        summary = engine.simulate()
        leads = summary["campaigns"][0]["leads"]
        assert leads["replied"] == 1 and leads["bounced"] == 1 and leads["completed"] == 1
        events = engine.events()
        replied = next(e for e in events if e["type"] == "replied")
        assert replied == {"type": "replied", "at": "2026-12-01T10:00:00Z", "campaign": "small",
                           "lead": "ann@one.example", "step": 1}
        assert {"type": "stopped", "at": "2026-12-01T10:00:00Z", "campaign": "small",
                "lead": "ann@one.example", "reason": "reply"} in events


def test_an_inbound_script_may_be_dicts_or_json_lines_and_bad_ones_are_left_out() -> None:
    script: List[Any] = [
        {"at": "2026-12-01T10:00:00Z", "lead": "ann@one.example", "type": "reply"},
        '{"at": "2026-12-01T10:00:00Z", "lead": "bo@two.example", "type": "unsubscribe"}',
        {"at": "2026-12-01T10:00:00Z", "lead": "zed@nowhere.example", "type": "reply"},
        {"at": "2026-12-01T10:00:00Z", "lead": "cy@three.example", "type": "reply", "mood": "happy"},
        {"at": object()},
        42,
    ]
    with outreach.Engine() as engine:
        engine.add_campaign(small_campaign())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            summary = engine.simulate(inbound=iter(script))
    messages = [str(w.message) for w in caught]
    assert len(messages) == 4
    assert messages[0].startswith("inbound[2]: ") and "zed@nowhere.example" in messages[0]
    assert messages[1] == 'inbound[3]: mood: unknown key "mood" (line left out)'
    assert messages[2].startswith("inbound[4]: ") and "JSON" in messages[2]
    assert messages[3].startswith("inbound[5]: expected a dict or a JSON line")
    assert all(w.category is outreach.OutreachWarning and w.filename == __file__ for w in caught)
    leads = summary["campaigns"][0]["leads"]
    assert leads["replied"] == 1 and leads["unsubscribed"] == 1 and leads["completed"] == 1


def test_an_inbound_file_that_cannot_be_read_is_an_error(tmp_path: Any) -> None:
    with outreach.Engine() as engine:
        engine.add_campaign(small_campaign())
        with pytest.raises(outreach.NotFound, match="no such file"):
            engine.simulate(inbound=tmp_path / "missing.jsonl")
        bad = tmp_path / "latin1.jsonl"
        bad.write_bytes(b'{"lead": "caf\xe9"}\n')
        with pytest.raises(outreach.InvalidUtf8, match="not valid UTF-8"):
            engine.simulate(inbound=bad)
        with pytest.raises(outreach.InvalidArgument, match="expected a path or an iterable"):
            engine.simulate(inbound={"at": "2026-12-01T10:00:00Z"})


def test_instants_may_be_aware_datetimes() -> None:
    berlin = datetime.timezone(datetime.timedelta(hours=1))
    with outreach.Engine() as engine:
        engine.add_campaign(small_campaign())
        engine.simulate(from_=datetime.datetime(2026, 12, 1, 1, 0, tzinfo=berlin),
                        until=datetime.datetime(2026, 12, 1, 12, 0, 0, 250000, tzinfo=datetime.timezone.utc))
        assert {e["at"] for e in engine.events()} == {"2026-12-01T00:00:00Z"}
    from outreach.engine import instant_text

    assert instant_text(datetime.datetime(2026, 12, 1, 15, 3, 12, 250999, tzinfo=berlin), "x") == "2026-12-01T14:03:12.250Z"
    assert instant_text("2026-12-01T14:03:12Z", "x") == "2026-12-01T14:03:12Z"


# ---- events --------------------------------------------------------------------------------------


def test_the_listener_gets_every_event_as_a_dict_or_a_line() -> None:
    got: List[Dict[str, Any]] = []
    lines: List[str] = []
    with outreach.Engine() as engine:

        @engine.on_event
        def listen(event: Dict[str, Any]) -> None:
            got.append(event)

        engine.add_campaign(small_campaign(steps=3))
        engine.simulate(until="2026-12-01T12:00:00Z")
        engine.on_event(lines.append, raw=True)
        engine.simulate(until="2026-12-02T12:00:00Z")
        engine.on_event(None)
        engine.simulate()
        assert got == engine.events()[:3]
        assert lines == engine.event_lines(3)[:3] and len(lines) == 3
        assert engine.event_count == 12
        assert engine.event(0) == got[0]
        assert engine.event_line(0) == json.dumps(got[0], separators=(",", ":"), ensure_ascii=False)


def test_the_listener_may_read_the_engine_while_it_runs() -> None:
    seen: List[Any] = []
    with outreach.Engine() as engine:
        def listen(event: Dict[str, Any]) -> None:
            seen.append((engine.event_count, len(engine.events()), engine.summary()["campaigns"][0]["name"],
                         engine.warnings()))

        engine.on_event(listen)
        engine.add_campaign(small_campaign())
        engine.simulate()
    assert [count for count, _, _, _ in seen] == list(range(1, 10))
    assert all(count == pulled for count, pulled, _, _ in seen)


def test_an_exception_in_the_listener_stops_the_engine_and_is_raised() -> None:
    class Boom(Exception):
        pass

    calls = []
    with outreach.Engine() as engine:
        def listen(event: Dict[str, Any]) -> None:
            calls.append(event)
            if len(calls) == 2:
                raise Boom("listener failed")

        engine.on_event(listen)
        engine.add_campaign(small_campaign())
        with pytest.raises(Boom, match="listener failed") as raised:
            engine.simulate()
        assert any("the event listener" in note for note in getattr(raised.value, "__notes__", []))
        assert len(calls) == 2
        count = engine.event_count
        # The engine stopped for good: later simulations do nothing.
        engine.simulate()
        assert engine.event_count == count
        assert engine.summary()["campaigns"][0]["status"] == "running"


def test_changing_the_engine_from_its_listener_is_busy_and_closing_it_is_refused() -> None:
    for change in ("pause", "close"):
        with outreach.Engine() as engine:
            def listen(event: Dict[str, Any]) -> None:
                if change == "pause":
                    engine.pause("small")
                else:
                    engine.close()

            engine.on_event(listen)
            engine.add_campaign(small_campaign())
            with pytest.raises(outreach.Busy) as raised:
                engine.simulate()
            if change == "pause":
                assert "callbacks" in str(raised.value)
            else:
                assert "cannot be closed from its own callbacks" in str(raised.value)
            assert not engine.closed


def test_a_keyboard_interrupt_in_the_listener_comes_out_of_simulate() -> None:
    with outreach.Engine() as engine:
        def listen(event: Dict[str, Any]) -> None:
            raise KeyboardInterrupt

        engine.on_event(listen)
        engine.add_campaign(small_campaign())
        with pytest.raises(KeyboardInterrupt):
            engine.simulate()
        assert engine.event_count >= 1


def test_warnings_are_listed_and_given_to_the_warnings_module_once() -> None:
    with outreach.Engine() as engine:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            engine.add_campaign(EXAMPLE_CAMPAIGN)
            engine.simulate(inbound=EXAMPLE_INBOUND)
            engine.simulate()
        listed = engine.warnings()
    assert len(listed) == 1 and "ACME_UNSUBSCRIBE_SECRET is not set" in listed[0]
    assert [str(w.message) for w in caught] == listed
    assert caught[0].category is outreach.OutreachWarning and caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error", outreach.OutreachWarning)
        with outreach.Engine() as engine:
            with pytest.raises(outreach.OutreachWarning, match="ACME_UNSUBSCRIBE_SECRET"):
                engine.add_campaign(EXAMPLE_CAMPAIGN)


# ---- the system clock ----------------------------------------------------------------------------


def test_run_sends_what_is_due_now_and_returns_when_done() -> None:
    threads: List[str] = []

    class Recorder:
        def send(self, message: outreach.Message) -> outreach.Accepted:
            threads.append(threading.current_thread().name)
            return outreach.Accepted(queue_id="q")

    with outreach.Engine(transport=Recorder()) as engine:
        engine.add_campaign(small_campaign(steps=1, start=utc_now_text(-datetime.timedelta(days=1))))
        began = time.monotonic()
        summary = engine.run()
        assert time.monotonic() - began < 30
        assert summary["campaigns"][0]["status"] == "finished"
        assert summary == engine.summary()
        assert types_of(engine.events()).count("sent") == 3
        assert threads == ["outreach-engine-run"] * 3
        with pytest.raises(outreach.InvalidArgument, match="cannot also"):
            engine.simulate()


def future_campaign() -> Dict[str, Any]:
    """A campaign whose first send is a day away: run() waits."""
    return small_campaign(steps=1, start=utc_now_text(datetime.timedelta(days=1)))


def test_stop_from_another_thread_ends_a_run() -> None:
    with outreach.Engine() as engine:
        engine.add_campaign(future_campaign())
        timer = threading.Timer(0.3, engine.stop)
        timer.start()
        began = time.monotonic()
        summary = engine.run()
        assert time.monotonic() - began < 10
        timer.join()
        assert summary["campaigns"][0]["status"] == "running"
        assert engine.event_count == 0
        # A stop is final.
        assert engine.run()["campaigns"][0]["status"] == "running"


def test_ctrl_c_stops_a_run_and_is_raised_again() -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals go to the main thread")
    main = threading.main_thread().ident
    assert main is not None
    with outreach.Engine() as engine:
        engine.add_campaign(future_campaign())
        timer = threading.Timer(0.3, signal.pthread_kill, (main, signal.SIGINT))
        timer.start()
        began = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            engine.run()
        timer.join()
        assert time.monotonic() - began < 10
        # The engine is usable (for reading) and stopped.
        assert engine.summary()["campaigns"][0]["status"] == "running"
        assert engine.run()["campaigns"][0]["status"] == "running"


def test_another_thread_is_refused_while_a_run_is_inside_and_close_waits_for_it() -> None:
    engine = outreach.Engine()
    engine.add_campaign(future_campaign())
    results: List[Any] = []

    def run() -> None:
        # The polling below may hold the engine for a moment just as the run begins: that run is
        # refused (Busy, as this test checks the other way round) and tried again.
        while True:
            try:
                results.append(engine.run())
                return
            except outreach.Busy:
                time.sleep(0.001)

    runner = threading.Thread(target=run)
    runner.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            engine.summary()
        except outreach.Busy as error:
            assert "another thread" in str(error)
            break
        time.sleep(0.02)
    else:
        pytest.fail("the run never held the engine")
    with pytest.raises(outreach.Busy):
        engine.pause("small")
    engine.close()  # asks the run to stop and waits for it
    runner.join(10)
    assert not runner.is_alive()
    assert engine.closed
    assert results and results[0]["campaigns"][0]["name"] == "small"


def test_an_exception_in_the_transport_comes_out_of_run() -> None:
    class Broken:
        calls = 0

        def send(self, message: outreach.Message) -> outreach.Accepted:
            self.calls += 1
            raise ConnectionRefusedError("smtp is down")

    broken = Broken()
    with outreach.Engine(transport=broken) as engine:
        engine.add_campaign(small_campaign(steps=1, start=utc_now_text(-datetime.timedelta(days=1))))
        with pytest.raises(ConnectionRefusedError, match="smtp is down"):
            engine.run()
        # The sends due at that instant were attempted; the transport was not called again.
        assert broken.calls == 1
        deferred = [e for e in engine.events() if e["type"] == "deferred"]
        assert deferred and all(e["reason"] == "transport callback failed" for e in deferred)
        assert "sent" not in types_of(engine.events())
