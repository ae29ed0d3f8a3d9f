"""Sends left in doubt are settled through the mailbox's Sent folder on a real Dovecot, while
`outreach run` runs: the SMTP server drops the connection after each lead's first message (the
engine cannot know whether it went), one of those messages is then filed in Sent, and the run
records it as sent; the others are sent again with the same Message-ID only from the mailbox
whose provider files every submission in Sent, `resend_after_seconds` after they were in doubt."""

from __future__ import annotations

import email.utils
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "cli"))
from test_crash import RecordingServer  # noqa: E402
from test_imap_run import CLI, SENDER, Run, dovecot, imap_settings  # noqa: E402,F401 - the fixture is used by name

LEADS = ("ann", "bob", "cat", "dan")
RESEND_AFTER = 60


def write_campaign(folder: Path, dovecot, smtp_port: int) -> Path:
    def mailbox(name: str, files_sends: bool) -> dict:
        imap = imap_settings(dovecot, poll_seconds=10, sent_files_submissions=files_sends,
                             resend_after_seconds=RESEND_AFTER)
        return {"id": name, "from": f"{name.title()} <{name}@acme.example>", "daily_limit": 1000,
                "transport": f"smtp://127.0.0.1:{smtp_port}", "security": "none",
                "imap": imap}

    campaign = {
        "name": "settle", "seed": 3,
        "sequence": {"steps": [{"variants": [{"subject": "Hello {{first_name}}", "text": "Hi {{first_name}}"}]}]},
        "leads": [{"email": f"{name}@{name}.example", "first_name": name.title()} for name in LEADS],
        "schedule": {"timezone": "UTC", "hours": ["00:00-24:00"]},
        # m1's provider files every submission in Sent (as Gmail does); m2's does not.
        "mailboxes": [mailbox("m1", True), mailbox("m2", False)],
    }
    path = folder / "campaign.json"
    path.write_text(json.dumps(campaign), encoding="utf-8")
    return path


def filed_copy(event: dict) -> bytes:
    """The message as a provider files it in Sent: the headers it was sent with."""
    return (f"From: {event['mailbox']}@acme.example\r\nTo: {event['lead']}\r\nSubject: Hello\r\n"
            f"Date: {email.utils.format_datetime(datetime.now(timezone.utc))}\r\n"
            f"Message-ID: {event['message_id']}\r\n\r\nHi\r\n").encode()


def test_sends_in_doubt_are_settled_through_the_sent_folder(dovecot, tmp_path):
    server = RecordingServer(tmp_path, drop_rate=0.0, seed=0, drop_first_to=[f"{n}@{n}.example" for n in LEADS])
    run = Run(tmp_path, write_campaign(tmp_path, dovecot, server.port), until_seconds=150)
    try:
        doubts = {}
        for name in LEADS:
            lead = f"{name}@{name}.example"
            doubts[lead] = run.wait_for(lambda e, lead=lead: e["type"] == "in_doubt" and e["lead"] == lead, 30,
                                        f"{name}'s send in doubt")[0]
        by_mailbox = {m: sorted(lead for lead, e in doubts.items() if e["mailbox"] == m) for m in ("m1", "m2")}
        found = "ann@ann.example"
        resent = [lead for lead in by_mailbox["m1"] if lead != found]
        kept = [lead for lead in by_mailbox["m2"] if lead != found]
        assert resent and kept, f"both mailboxes need a lead not found in Sent: {by_mailbox}"

        dovecot.deliver(SENDER, filed_copy(doubts[found]), "Sent")
        settled = run.wait_for(lambda e: e["type"] == "sent" and e["lead"] == found, 25, "the send found in Sent")[0]
        assert settled["settled"] == "found_in_sent"
        assert settled["message_id"] == doubts[found]["message_id"] and settled["step"] == 1

        for lead in resent:
            again = run.wait_for(lambda e, lead=lead: e["type"] == "sent" and e["lead"] == lead,
                                 RESEND_AFTER + 40, f"{lead} sent again")[0]
            assert again["message_id"] == doubts[lead]["message_id"]
            assert "settled" not in again
    finally:
        code, _, err = run.stop()
        server.stop()
    assert code == 0, err

    events = run.events()
    for lead in resent:
        settling = [e for e in events if e["type"] == "deferred" and e["lead"] == lead]
        assert len(settling) == 1 and settling[0]["settled"] == "not_in_sent", settling
        since = datetime.fromisoformat(doubts[lead]["at"].replace("Z", "+00:00"))
        at = datetime.fromisoformat(settling[0]["at"].replace("Z", "+00:00"))
        assert (at - since).total_seconds() >= RESEND_AFTER
    # The other mailbox's provider does not file its sends: absent from Sent says nothing there.
    for lead in kept:
        assert not [e for e in events if e["lead"] == lead and e["type"] in ("sent", "deferred")]
    accepted = sorted((entry["rcpt"], entry["message_id"]) for entry in server.accepted())
    assert accepted == sorted((lead, doubts[lead]["message_id"]) for lead in resent)

    status = subprocess.run([CLI, "status", "--store", str(run.store), "--json"], capture_output=True, check=True)
    campaign = json.loads(status.stdout)["campaigns"][0]
    assert campaign["in_doubt"] == len(kept)
    assert campaign["leads"]["completed"] == len(LEADS)
