"""IMAP from Python, against a real Dovecot: an engine reads its mailbox while it runs (a reply
stops the lead's follow-up; the login comes from the credentials callback), and ImapReader lists
what is new in a folder and fetches a message."""

from __future__ import annotations

import email.utils
import shutil
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List

import pytest

import outreach
from conftest import SOURCE_DIR

sys.path.insert(0, str(SOURCE_DIR / "tests" / "support"))
from dovecot_server import DovecotServer  # noqa: E402

SENDER = "sam@acme.example"
PASSWORD = "imap-secret"

pytestmark = pytest.mark.skipif(shutil.which("dovecot") is None, reason="needs dovecot-imapd")


@pytest.fixture(scope="module")
def dovecot():
    with DovecotServer({SENDER: PASSWORD}) as server:
        yield server


def imap_settings(server: DovecotServer) -> Dict[str, Any]:
    # No password_env: the login comes from the credentials callback.
    return {"url": f"imap://{server.host}:{server.imap_port}", "security": "starttls", "username": SENDER,
            "ca_file": str(server.ca_file), "poll_seconds": 10}


def message(sender: str, subject: str, in_reply_to: str = "") -> bytes:
    headers = [f"From: {sender}", f"To: {SENDER}", f"Subject: {subject}",
               f"Date: {email.utils.format_datetime(datetime.now(timezone.utc))}",
               f"Message-ID: {email.utils.make_msgid(domain='example.net')}"]
    if in_reply_to:
        headers += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    return ("\r\n".join(headers) + "\r\n\r\nYes, tell me more.\r\n").encode()


def test_an_engine_reads_its_mailbox_while_it_runs(dovecot, tmp_path: Path) -> None:
    campaign = {
        "name": "python-imap", "seed": 2,
        "sequence": {"steps": [
            {"variants": [{"subject": "Hello {{first_name}}", "text": "Hi {{first_name}}"}]},
            {"delay": {"minutes": 1}, "variants": [{"text": "Again"}]},
        ]},
        "leads": [{"email": "ann@ann.example", "first_name": "Ann"}, {"email": "bob@bob.example", "first_name": "Bob"}],
        "schedule": {"timezone": "UTC", "hours": ["00:00-24:00"]},
        "mailboxes": [{"id": "m1", "from": f"Sam <{SENDER}>", "daily_limit": 100, "imap": imap_settings(dovecot)}],
        "stop_on": {"reply": True},
    }
    logins: List[str] = []

    def credentials(mailbox_id: str, mechanism: str, refresh: bool):
        logins.append(f"{mailbox_id} {mechanism} {refresh}")
        return SENDER, PASSWORD

    events: List[Dict[str, Any]] = []
    with outreach.Engine(tmp_path / "store.db", outbox=tmp_path / "outbox", imap_credentials=credentials) as engine:
        engine.add_campaign(campaign)
        engine.on_event(events.append)
        until = datetime.now(timezone.utc) + timedelta(seconds=120)
        runner = threading.Thread(target=lambda: engine.run(until=until.strftime("%Y-%m-%dT%H:%M:%SZ")))
        runner.start()
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and len([e for e in events if e["type"] == "sent"]) < 2:
                time.sleep(0.05)
            sent = {e["lead"]: e for e in events if e["type"] == "sent"}
            assert set(sent) == {"ann@ann.example", "bob@bob.example"}, events
            dovecot.deliver(SENDER, message("Ann <ann@ann.example>", "Re: Hello Ann", sent["ann@ann.example"]["message_id"]))
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not any(e["type"] == "replied" for e in events):
                time.sleep(0.05)
            # Bob's follow-up, a minute after his first step, goes; Ann's does not.
            deadline = time.monotonic() + 75
            while time.monotonic() < deadline and not any(e["type"] == "sent" and e["step"] == 2 for e in events):
                time.sleep(0.2)
        finally:
            engine.stop()
            runner.join(60)
        assert not runner.is_alive()
        summary = engine.summary()
    replied = [e for e in events if e["type"] == "replied"]
    assert [e["lead"] for e in replied] == ["ann@ann.example"]
    assert [e["lead"] for e in events if e["type"] == "sent" and e["step"] == 2] == ["bob@bob.example"]
    assert logins and logins[0].startswith("m1 ") and logins[0].endswith(" False")
    checks = summary["mail_checks"]
    assert checks[0]["mailbox"] == "m1" and checks[0]["checked"] and checks[0]["error"] is None


def test_a_reader_lists_what_is_new_and_fetches_a_message(dovecot) -> None:
    mailbox = {"id": "m1", "from": SENDER, "imap": dict(imap_settings(dovecot), folders=["Reader"])}
    dovecot.create_folder(SENDER, "Reader")
    first = message("Cy <cy@cy.example>", "First")
    dovecot.deliver(SENDER, first, "Reader")
    dovecot.deliver(SENDER, message("Di <di@di.example>", "Second"), "Reader")
    trace: List[str] = []
    with outreach.ImapReader(mailbox, credentials=lambda *_: PASSWORD, trace=trace.append) as reader:
        listing = reader.list_new("Reader")
        assert listing.uidvalidity == dovecot.uidvalidity(SENDER, "Reader")
        assert [m.uid for m in listing.messages] == dovecot.uids(SENDER, "Reader")
        assert all(m.size > 0 for m in listing.messages)
        raw = reader.fetch("Reader", listing.messages[0].uid)
        assert raw.replace(b"\r\n", b"\n") == first.replace(b"\r\n", b"\n")
        last = listing.messages[-1].uid
        assert reader.list_new("Reader", listing.uidvalidity, last).messages == []
        # Another validity: every message again.
        assert len(reader.list_new("Reader", listing.uidvalidity + 1, last).messages) == 2
        with pytest.raises(outreach.NotFound):
            reader.fetch("Reader", last + 100)
    assert trace and all(PASSWORD not in line for line in trace)
    assert not any(" SELECT " in line or "BODY[" in line for line in trace if line.startswith("C: "))

    with outreach.ImapReader(mailbox, credentials=lambda *_: "wrong") as reader:
        with pytest.raises(outreach.PermanentFailure, match="refused"):
            reader.list_new("Reader")
    with pytest.raises(outreach.InvalidValue, match="no imap settings"):
        outreach.ImapReader({"id": "m1", "from": SENDER})
