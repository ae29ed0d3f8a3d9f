"""Transports written in Python: the messages they get (read back with the email package), the
outcomes they return, and what happens when they fail."""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

import outreach
from conftest import EXAMPLE_CAMPAIGN, EXAMPLE_INBOUND, python_simulate, quietly, small_campaign


class Recorder:
    """Accepts every message and keeps it."""

    def __init__(self) -> None:
        self.messages: List[outreach.Message] = []

    def send(self, message: outreach.Message) -> outreach.SendResult:
        self.messages.append(message)
        return outreach.Accepted(queue_id=f"q{len(self.messages)}")


def parse(message: outreach.Message) -> Any:
    return email.message_from_bytes(message.data, policy=email.policy.default)


def test_a_recording_transport_gets_every_message_complete() -> None:
    recorder = Recorder()
    with outreach.Engine(transport=recorder) as engine:
        quietly(engine.add_campaign, EXAMPLE_CAMPAIGN)
        summary = quietly(engine.simulate, inbound=EXAMPLE_INBOUND)
        events = engine.events()
    sent = [event for event in events if event["type"] == "sent"]
    assert len(recorder.messages) == len(sent) > 1000
    by_id = {event["message_id"]: event for event in sent}
    first_subject: Dict[str, str] = {}
    for message in recorder.messages[:400]:
        event = by_id[message.message_id]
        assert message.mailbox == event["mailbox"] in ("alice", "bob", "carol")
        assert not message.smtputf8
        assert b"\r\n" in message.data and b"\n" not in message.data.replace(b"\r\n", b"")
        parsed = parse(message)
        assert parsed["Message-ID"] == message.message_id
        assert parsed["To"].addresses[0].addr_spec == message.envelope_to == event["lead"]
        assert parsed["From"].addresses[0].addr_spec == message.envelope_from
        assert message.envelope_from.endswith(("@acme.example", "@acme-mail.example"))
        assert parsed["Subject"] == event["subject"]
        assert email.utils.parsedate_to_datetime(parsed["Date"]).isoformat().startswith(event["at"][:16])
        assert "https://acme.example/u/" in parsed["List-Unsubscribe"]
        assert "mailto:unsubscribe@acme.example" in parsed["List-Unsubscribe"]
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        body = parsed.get_body(preferencelist=("plain",)).get_content()
        assert "{{" not in body and body.strip()
        if event["step"] == 1:
            first_subject[event["lead"]] = event["subject"]
        if "in_reply_to" in event:
            assert parsed["In-Reply-To"] == event["in_reply_to"]
            assert event["in_reply_to"] in parsed["References"]
    # Accepting everything decides what a dry run decides.
    dry = python_simulate(EXAMPLE_CAMPAIGN, inbound=EXAMPLE_INBOUND)
    assert summary == dry[0]


def test_a_non_ascii_local_part_needs_smtputf8() -> None:
    recorder = Recorder()
    with outreach.Engine(transport=recorder) as engine:
        engine.add_campaign(small_campaign(leads=["jörg@bücher.example", "ann@one.example"], steps=1))
        engine.simulate()
    jorg, ann = recorder.messages
    assert jorg.smtputf8 and not ann.smtputf8
    assert jorg.envelope_to == "jörg@xn--bcher-kva.example"
    assert parse(jorg)["Subject"] == "Hello Jörg"


def test_a_transport_that_only_decides_outcomes_gets_no_data() -> None:
    class Decider(Recorder):
        needs_message_data = False

    decider = Decider()
    with outreach.Engine(transport=decider) as engine:
        engine.add_campaign(small_campaign())
        engine.simulate()
    assert len(decider.messages) == 6
    assert all(message.data == b"" and message.message_id.startswith("<") for message in decider.messages)


def test_temporary_and_permanent_outcomes_become_deferred_and_failed_events() -> None:
    class Picky:
        def __init__(self) -> None:
            self.attempts: Dict[str, int] = {}

        def send(self, message: outreach.Message) -> outreach.SendResult:
            count = self.attempts[message.envelope_to] = self.attempts.get(message.envelope_to, 0) + 1
            if message.envelope_to.startswith("ann@"):
                return outreach.Temporary("mailbox busy", code=451, status="4.3.0") if count == 1 else outreach.Accepted()
            if message.envelope_to.startswith("bo@"):
                return outreach.Permanent("no such user", code=550, status="5.1.1")
            return {"kind": "permanent", "reason": "policy", "code": 554, "status": "5.7.1"}

    picky = Picky()
    with outreach.Engine(transport=picky) as engine:
        engine.add_campaign(small_campaign(steps=1))
        summary = engine.simulate()
        events = engine.events()
    deferred = [e for e in events if e["type"] == "deferred"]
    assert len(deferred) == 1
    assert deferred[0]["lead"] == "ann@one.example"
    assert (deferred[0]["reason"], deferred[0]["code"], deferred[0]["status"]) == ("mailbox busy", 451, "4.3.0")
    assert deferred[0]["retry_at"] > deferred[0]["at"]
    failed = {e["lead"]: e for e in events if e["type"] == "failed"}
    assert (failed["bo@two.example"]["code"], failed["bo@two.example"]["status"]) == (550, "5.1.1")
    assert failed["cy@three.example"]["reason"] == "policy"
    assert any(e["type"] == "bounced" and e["lead"] == "bo@two.example" and e["kind"] == "hard" for e in events)
    assert any(e["type"] == "sent" and e["lead"] == "ann@one.example" for e in events)
    leads = summary["campaigns"][0]["leads"]
    assert leads["completed"] == 1 and leads["failed"] + leads["bounced"] >= 2
    assert picky.attempts["ann@one.example"] == 2


def test_outcomes_may_be_dicts() -> None:
    outcomes = iter([{"kind": "accepted", "queue_id": "abc"}, {"kind": "temporary", "reason": "later"},
                     {"kind": "accepted"}, {"kind": "accepted"}])

    class FromDicts:
        def send(self, message: outreach.Message) -> Any:
            return next(outcomes)

    with outreach.Engine(transport=FromDicts()) as engine:
        engine.add_campaign(small_campaign(steps=1))
        engine.simulate()
        types = [e["type"] for e in engine.events()]
    assert types.count("sent") == 3 and types.count("deferred") == 1


@pytest.mark.parametrize(
    "result, error, text",
    [
        (None, TypeError, "must return outreach.Accepted"),
        ("ok", TypeError, "not str"),
        ({"kind": "maybe"}, ValueError, "kind must be"),
        ({"kind": "accepted", "colour": "red"}, ValueError, "unknown keys"),
        (outreach.Temporary("x", code="451"), ValueError, "code must be"),
        (outreach.Temporary("bad \udc80 reason"), outreach.InvalidUtf8, "surrogates not allowed"),
        (outreach.Permanent("nul\0inside"), outreach.InvalidArgument, "NUL"),
    ],
)
def test_a_result_that_is_not_an_outcome_is_raised_from_simulate(result: Any, error: type, text: str) -> None:
    class Wrong:
        calls = 0

        def send(self, message: outreach.Message) -> Any:
            self.calls += 1
            return result

    wrong = Wrong()
    with outreach.Engine(transport=wrong) as engine:
        engine.add_campaign(small_campaign())
        with pytest.raises(error, match=text):
            engine.simulate()
        assert wrong.calls == 1


def test_a_transport_that_raises_surfaces_its_exception_without_a_crash() -> None:
    class Broken:
        calls = 0

        def send(self, message: outreach.Message) -> outreach.SendResult:
            self.calls += 1
            if self.calls == 2:
                raise RuntimeError("the mail API is down")
            return outreach.Accepted()

    broken = Broken()
    with outreach.Engine(transport=broken) as engine:
        engine.add_campaign(small_campaign())
        with pytest.raises(RuntimeError, match="the mail API is down") as raised:
            engine.simulate()
        assert any("the transport's send()" in note and "stopped" in note
                   for note in getattr(raised.value, "__notes__", []))
        assert broken.calls == 2
        events = engine.events()
        # The failed call counts as a temporary failure (as the C interface says); the rest of
        # that instant's sends are not handed to the broken transport.
        assert [e["type"] for e in events][:2] == ["sent", "deferred"]
        assert events[1]["reason"] == "transport callback failed"
        # The engine stopped for good; it stays readable.
        count = engine.event_count
        engine.simulate()
        assert engine.event_count == count and broken.calls == 2
        assert engine.summary()["campaigns"][0]["status"] == "running"


def test_a_keyboard_interrupt_in_the_transport_comes_out_of_simulate() -> None:
    class Interrupted:
        def send(self, message: outreach.Message) -> outreach.SendResult:
            raise KeyboardInterrupt

    with outreach.Engine(transport=Interrupted()) as engine:
        engine.add_campaign(small_campaign())
        with pytest.raises(KeyboardInterrupt):
            engine.simulate()


def test_a_transport_may_read_the_engine_but_not_change_it() -> None:
    seen: List[int] = []

    class Curious:
        engine: Any = None

        def send(self, message: outreach.Message) -> outreach.SendResult:
            seen.append(self.engine.event_count)
            if len(seen) == 3:
                self.engine.pause("small")
            return outreach.Accepted()

    curious = Curious()
    with outreach.Engine(transport=curious) as engine:
        curious.engine = engine
        engine.add_campaign(small_campaign())
        with pytest.raises(outreach.Busy):
            engine.simulate()
    assert seen == [0, 1, 2]


def test_the_one_call_simulate_takes_a_transport(tmp_path: Path) -> None:
    recorder = Recorder()
    events = tmp_path / "events.jsonl"
    summary = quietly(outreach.simulate, small_campaign(), transport=recorder, events=events)
    lines = events.read_text(encoding="utf-8").splitlines()
    assert len(recorder.messages) == 6 == sum(json.loads(line)["type"] == "sent" for line in lines)
    assert summary["campaigns"][0]["status"] == "finished"
    with pytest.raises(outreach.InvalidArgument, match="not both"):
        outreach.simulate(small_campaign(), transport=recorder, outbox=tmp_path / "outbox")


def test_the_message_and_outcome_types_are_plain_dataclasses() -> None:
    message = outreach.Message("m", "a@x.example", "b@y.example", "<1@x.example>", b"", False)
    assert message.mailbox == "m" and message.data == b""
    assert outreach.Accepted().queue_id is None
    assert outreach.Temporary("busy").code is None
    assert outreach.Permanent("gone", 550, "5.1.1").status == "5.1.1"
    assert isinstance(Recorder(), outreach.Transport)
    with pytest.raises(AttributeError):
        message.mailbox = "other"  # type: ignore[misc]
