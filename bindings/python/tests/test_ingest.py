"""Received mail from Python: ``Engine.ingest`` (replies, bounces, messages taken in twice, bytes
that are not mail) and one-click unsubscribe tokens."""

from __future__ import annotations

import email.message
import email.policy
from pathlib import Path
from typing import Any, Dict, List

import pytest

import outreach

SECRET_VARIABLE = "OUTREACH_PY_TEST_UNSUBSCRIBE_SECRET"
SECRET = "correct horse battery staple"
PARTWAY = "2026-12-02T00:00:00Z"

CAMPAIGN: Dict[str, Any] = {
    "name": "q1",
    "seed": 1,
    "sequence": {"steps": [
        {"variants": [{"subject": "Hello {{first_name}}", "text": "Hi {{first_name}}\n{{unsubscribe_url}}"}]},
        {"delay": {"days": 2}, "variants": [{"text": "Again, {{first_name}}"}]},
    ]},
    "leads": [{"email": "Ann@alpha.example", "first_name": "Ann"}, {"email": "bob@beta.example", "first_name": "Bob"},
              {"email": "cat@gamma.example", "first_name": "Cat"}],
    "schedule": {"timezone": "UTC", "start": "2026-12-01"},
    "mailboxes": [{"id": "m1", "from": "Sam <sam@acme.example>", "daily_limit": 100}],
    "stop_on": {"reply": True},
    "unsubscribe": {"url": "https://acme.example/u/{{token}}", "mailto": "unsubscribe@acme.example",
                    "secret_env": SECRET_VARIABLE},
}


@pytest.fixture(autouse=True)
def unsubscribe_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)


class Keep:
    """A transport that keeps every message."""

    def __init__(self) -> None:
        self.messages: List[outreach.Message] = []

    def send(self, message: outreach.Message) -> outreach.Accepted:
        self.messages.append(message)
        return outreach.Accepted()


def started(engine: outreach.Engine, until: str = PARTWAY) -> outreach.Engine:
    engine.add_campaign(CAMPAIGN)
    engine.simulate(until)
    return engine


def sent_id(engine: outreach.Engine, lead: str, step: int = 1) -> str:
    for event in engine.events():
        if event["type"] == "sent" and event["lead"] == lead and event["step"] == step:
            return str(event["message_id"])
    raise AssertionError(f"no send to {lead} at step {step}")


def reply(sender: str, in_reply_to: str, body: str, message_id: str = "<r1@alpha.example>") -> bytes:
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = "Sam <sam@acme.example>"
    message["Subject"] = "Re: Hello"
    message["Date"] = "Wed, 02 Dec 2026 09:00:00 +0000"
    message["Message-ID"] = message_id
    message["In-Reply-To"] = in_reply_to
    message["References"] = in_reply_to
    message.set_content(body)
    return message.as_bytes()


def dsn(recipient: str, status: str, original_id: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.acme.example (Mail Delivery System)\r\n"
        "To: sam@acme.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Date: Wed, 02 Dec 2026 09:00:00 +0000\r\nMessage-ID: <dsn1@mx.acme.example>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B1\"\r\n\r\n"
        "--B1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.acme.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 {status} mailbox unavailable\r\n\r\n"
        "--B1\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: Sam <sam@acme.example>\r\n"
        f"To: {recipient}\r\nSubject: Hello\r\nMessage-ID: {original_id}\r\n\r\n--B1--\r\n"
    ).encode()


def test_a_reply_stops_the_lead_and_the_same_message_again_changes_nothing() -> None:
    with started(outreach.Engine()) as engine:
        raw = reply("Ann <ann@alpha.example>", sent_id(engine, "Ann@alpha.example"), "Sounds good, call me Friday.")
        count = engine.event_count
        result = engine.ingest(raw)
        assert result["class"] == "reply"
        assert (result["campaign"], result["lead"], result["step"]) == ("q1", "Ann@alpha.example", 1)
        assert result["matched_by"] == "in_reply_to"
        assert result["duplicate"] is False
        assert result["from"] == "ann@alpha.example" and result["evidence"]
        new = engine.events(count)
        assert [(e["type"], e["lead"]) for e in new] == [("replied", "Ann@alpha.example"), ("stopped", "Ann@alpha.example")]
        summary = engine.summary()
        assert summary["campaigns"][0]["leads"]["replied"] == 1

        again = engine.ingest(raw.decode())  # as text this time: the same message
        assert again["duplicate"] is True and again["lead"] == "Ann@alpha.example"
        assert engine.events(count)[2:] == [] and engine.summary() == summary

        engine.simulate()
        assert not [e for e in engine.events() if e["lead"] == "Ann@alpha.example" and e.get("step") == 2]
        assert engine.summary()["campaigns"][0]["leads"]["completed"] == 2


def test_a_dsn_is_a_hard_bounce_that_suppresses_the_lead() -> None:
    with started(outreach.Engine()) as engine:
        result = engine.ingest(dsn("bob@beta.example", "5.1.1", sent_id(engine, "bob@beta.example")))
        assert (result["class"], result["kind"], result["lead"], result["status"]) == (
            "bounce", "hard", "bob@beta.example", "5.1.1")
        assert engine.summary()["campaigns"][0]["leads"]["bounced"] == 1
        assert {"address": "bob@beta.example", "reason": "hard_bounce"} in engine.suppressions()


def test_bytes_that_are_not_mail_are_unknown_and_nul_bytes_are_fine() -> None:
    with started(outreach.Engine()) as engine:
        count, summary = engine.event_count, engine.summary()
        for raw in (b"\x00\x01\x02garbage\x00\xff\xfe\r\n\r\n\x00\x00 more \x7f", b"", bytearray(b"\x00" * 100),
                    memoryview(b"Subject: hi\r\n\r\nnothing to do with us\r\n")):
            result = engine.ingest(raw)
            assert result["class"] == "unknown"
            assert (result["campaign"], result["lead"], result["step"], result["matched_by"]) == (None, None, None, "none")
        assert engine.event_count == count and engine.summary() == summary

        # A NUL in the text: what follows it still counts.
        raw = reply("Cat <cat@gamma.example>", sent_id(engine, "cat@gamma.example"), "Yes please.", "<r2@gamma.example>")
        raw = raw.replace(b"Yes please.", b"Yes\x00 please.\x00")
        result = engine.ingest(raw)
        assert (result["class"], result["lead"]) == ("reply", "cat@gamma.example")

        with pytest.raises(outreach.InvalidArgument, match="bytes or str"):
            engine.ingest(42)  # type: ignore[arg-type]


def test_a_message_taken_in_is_known_to_the_next_engine_on_the_store(tmp_path: Path) -> None:
    store = tmp_path / "state.db"
    with started(outreach.Engine(store)) as engine:
        raw = reply("Ann <ann@alpha.example>", sent_id(engine, "Ann@alpha.example"), "Interested!", "<r3@alpha.example>")
        assert engine.ingest(raw)["duplicate"] is False
        with outreach.StoreReader(store) as reader:
            assert [e["type"] for e in reader.events() if e["lead"] == "Ann@alpha.example"][-2:] == ["replied", "stopped"]
    with started(outreach.Engine(store)) as engine:
        result = engine.ingest(raw)
        assert result["duplicate"] is True and engine.event_count == 0


def test_an_engine_without_a_clock_takes_the_system_clock_for_a_message() -> None:
    with outreach.Engine() as engine:
        assert engine.ingest(b"Subject: hello\r\n\r\nnothing\r\n")["class"] == "unknown"
        with pytest.raises(outreach.InvalidArgument, match="system clock"):
            engine.simulate()


def test_the_engines_links_carry_tokens_the_handler_can_verify_and_apply() -> None:
    transport = Keep()
    with started(outreach.Engine(transport=transport)) as engine:
        token = outreach.make_unsubscribe_token(SECRET, "q1", "ANN@alpha.example")
        assert any(f"<https://acme.example/u/{token}>".encode() in m.data for m in transport.messages)

        target = outreach.verify_unsubscribe_token(SECRET, token)
        assert target == outreach.UnsubscribeTarget(campaign="q1", lead="ann@alpha.example")
        assert outreach.verify_unsubscribe_token(SECRET, token.encode()) == target
        engine.apply({"at": PARTWAY, "type": "unsubscribe", "lead": target.lead, "campaign": target.campaign})
        engine.simulate("2026-12-02T00:00:01Z")
        assert {"address": "ann@alpha.example", "reason": "unsubscribe"} in engine.suppressions()

        # Forgeries are None, whatever they hold.
        tampered = token[:3] + ("B" if token[3] == "A" else "A") + token[4:]
        for forged in (tampered, "", "no-dot-here", "\udcff.x", "a\0b", b"\xff\xfe.\x80"):
            assert outreach.verify_unsubscribe_token(SECRET, forged) is None
        assert outreach.verify_unsubscribe_token("another secret", token) is None

        with pytest.raises(outreach.InvalidArgument, match="secret"):
            outreach.verify_unsubscribe_token("", token)
        with pytest.raises(outreach.InvalidArgument, match="secret"):
            outreach.make_unsubscribe_token("", "q1", "ann@alpha.example")
        with pytest.raises(outreach.InvalidArgument, match="campaign"):
            outreach.make_unsubscribe_token(SECRET, "q\n1", "ann@alpha.example")
        with pytest.raises(outreach.InvalidArgument, match="token"):
            outreach.verify_unsubscribe_token(SECRET, 42)  # type: ignore[arg-type]

