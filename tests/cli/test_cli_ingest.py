"""`outreach ingest`: messages received for a campaign that `outreach run` sent for real (to a
Maildir outbox), built here with Python's own email package as a lead's mail client and a mail
system would, then taken in, checked in the store, and taken in again to no effect."""

import email
import email.policy
import email.utils
import json
import os
import subprocess
import time
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

CLI = os.environ["OUTREACH_CLI"]


def run(*args, check=None, timeout=120):
    result = subprocess.run([CLI, *map(str, args)], capture_output=True, timeout=timeout)
    if check is not None:
        assert result.returncode == check, result.stderr.decode(errors="replace")
    return result


def write_campaign(folder: Path, outbox: Path) -> Path:
    """Four leads, a follow-up three days later (so the leads stay active), an unsubscribe address."""
    campaign = {
        "name": "inbox", "seed": 1,
        "sequence": {"steps": [
            {"variants": [{"subject": "Hello {{first_name}}", "text": "Hi {{first_name}}"}]},
            {"delay": {"days": 3}, "variants": [{"text": "Again, {{first_name}}"}]},
        ]},
        "leads": [{"email": f"{name}@{name}.example", "first_name": name.title()} for name in ("ann", "bob", "cat", "dan")],
        "schedule": {"timezone": "UTC", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                     "hours": ["00:00-24:00"], "start": "2026-01-01"},
        "mailboxes": [{"id": "m1", "from": "Sam <sam@acme.example>", "daily_limit": 1000,
                       "transport": f"outbox:{outbox}"}],
        "stop_on": {"reply": True, "auto_reply": "pause_until_return"},
        "unsubscribe": {"mailto": "unsubscribe@acme.example"},
    }
    path = folder / "campaign.json"
    path.write_text(json.dumps(campaign), encoding="utf-8")
    return path


def sent_messages(outbox: Path) -> dict:
    """Each lead's first message, as the outbox holds it."""
    out = {}
    for path in (outbox / "new").iterdir():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        out[str(message["To"].addresses[0].addr_spec)] = message
    return out


def reply_to(original, sender: str, body: str, **headers) -> bytes:
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = str(original["From"])
    reply["Subject"] = "Re: " + str(original["Subject"])
    reply["Date"] = email.utils.format_datetime(datetime.now(timezone.utc))
    reply["Message-ID"] = email.utils.make_msgid(domain=sender.split("@")[-1].rstrip(">"))
    reply["In-Reply-To"] = original["Message-ID"]
    reply["References"] = original["Message-ID"]
    for name, value in headers.items():
        reply[name.replace("_", "-")] = value
    quoted = "\n".join("> " + line for line in original.get_content().splitlines())
    reply.set_content(f"{body}\n\nOn a day, Sam wrote:\n{quoted}\n")
    return reply.as_bytes()


def bounce_of(original, recipient: str) -> bytes:
    """A DSN (RFC 3464) with the original message enclosed, as Postfix writes one."""
    return (
        "From: MAILER-DAEMON@mx.acme.example (Mail Delivery System)\r\n"
        "To: sam@acme.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {email.utils.make_msgid(domain='mx.acme.example')}\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn-1"\r\n\r\n'
        "--dsn-1\r\nContent-Type: text/plain\r\n\r\n"
        "This is the mail system at host mx.acme.example. Your message could not be delivered.\r\n"
        "--dsn-1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.acme.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        "--dsn-1\r\nContent-Type: message/rfc822\r\n\r\n"
    ).encode() + original.as_bytes(policy=email.policy.SMTP) + b"\r\n--dsn-1--\r\n"


def test_ingest_applies_each_class_to_the_lead_it_answers_and_only_once(tmp_path):
    outbox = tmp_path / "outbox"
    store = tmp_path / "state.db"
    campaign = write_campaign(tmp_path, outbox)
    until = (datetime.now(timezone.utc) + timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    run("run", campaign, "--store", store, "--until", until, check=0)
    sent = sent_messages(outbox)
    assert sorted(sent) == ["ann@ann.example", "bob@bob.example", "cat@cat.example", "dan@dan.example"]

    back = (datetime.now(timezone.utc) + timedelta(days=20)).date()
    files = {
        "reply.eml": reply_to(sent["ann@ann.example"], "Ann <ann@ann.example>", "Sounds interesting, send me more."),
        "bounce.eml": bounce_of(sent["bob@bob.example"], "bob@bob.example"),
        "ooo.eml": reply_to(sent["cat@cat.example"], "cat@cat.example",
                            f"I am out of the office until {back.strftime('%B')} {back.day}, {back.year}.",
                            Auto_Submitted="auto-replied"),
        "unsubscribe.eml": (b"From: dan@dan.example\r\nTo: unsubscribe@acme.example\r\nSubject: unsubscribe\r\n"
                            b"Message-ID: <u-1@dan.example>\r\n\r\n"),
        "stranger.eml": (b"From: zed@zed.example\r\nTo: sam@acme.example\r\nSubject: Hi\r\n"
                         b"Message-ID: <z-1@zed.example>\r\n\r\nDo you sell widgets?\r\n"),
    }
    for name, raw in files.items():
        (tmp_path / name).write_bytes(raw)
    paths = [tmp_path / name for name in files]

    result = run("ingest", "--store", store, *paths, check=0)
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [line["file"] for line in lines] == [str(path) for path in paths]
    by_file = {Path(line["file"]).name: line for line in lines}
    assert (by_file["reply.eml"]["class"], by_file["reply.eml"]["lead"], by_file["reply.eml"]["step"],
            by_file["reply.eml"]["matched_by"]) == ("reply", "ann@ann.example", 1, "in_reply_to")
    assert (by_file["bounce.eml"]["class"], by_file["bounce.eml"]["kind"], by_file["bounce.eml"]["lead"],
            by_file["bounce.eml"]["matched_by"]) == ("bounce", "hard", "bob@bob.example", "original_message_id")
    assert (by_file["ooo.eml"]["class"], by_file["ooo.eml"]["lead"]) == ("auto_reply", "cat@cat.example")
    assert by_file["ooo.eml"]["return_date"] == back.isoformat()
    assert (by_file["unsubscribe.eml"]["class"], by_file["unsubscribe.eml"]["lead"]) == ("unsubscribe", "dan@dan.example")
    assert by_file["stranger.eml"]["class"] == "unknown"
    assert by_file["stranger.eml"]["campaign"] is None and by_file["stranger.eml"]["lead"] is None
    assert not any(line["duplicate"] for line in lines)

    events = [json.loads(line) for line in run("events", "--store", store, check=0).stdout.decode().splitlines()]
    stops = {e["lead"]: e["reason"] for e in events if e["type"] == "stopped"}
    assert stops == {"ann@ann.example": "reply", "bob@bob.example": "bounce", "dan@dan.example": "unsubscribe"}
    assert any(e["type"] == "paused" and e["lead"] == "cat@cat.example" for e in events)
    suppressed = run("suppress", "list", "--store", store, check=0).stdout.decode()
    assert "bob@bob.example\thard_bounce" in suppressed and "dan@dan.example\tunsubscribe" in suppressed
    status = json.loads(run("status", "--store", store, "--json", check=0).stdout)["campaigns"][0]["leads"]
    assert (status["replied"], status["bounced"], status["unsubscribed"], status["paused"]) == (1, 1, 1, 1)

    # The same messages again, with one file missing: nothing changes, the rest go on, exit 2.
    again = run("ingest", "--store", store, tmp_path / "missing.eml", *paths)
    assert again.returncode == 2
    assert b"missing.eml" in again.stderr
    repeated = [json.loads(line) for line in again.stdout.decode().splitlines()]
    assert [line["duplicate"] for line in repeated] == [True, True, True, True, False]
    assert [json.loads(line) for line in run("events", "--store", store, check=0).stdout.decode().splitlines()] == events


def test_ingest_needs_a_store_and_messages(tmp_path):
    assert run("ingest", tmp_path / "x.eml").returncode == 2
    assert run("ingest", "--store", tmp_path / "state.db").returncode == 2


def test_ingest_beside_a_running_engine_hands_the_messages_to_it(tmp_path):
    outbox = tmp_path / "outbox"
    store = tmp_path / "state.db"
    campaign = write_campaign(tmp_path, outbox)
    # Far enough that the engine still waits for the follow-ups when the test ends it.
    until = (datetime.now(timezone.utc) + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    engine = subprocess.Popen([CLI, "run", campaign, "--store", store, "--until", until],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not (outbox / "new").is_dir() or len(os.listdir(outbox / "new")) < 4:
            assert time.monotonic() < deadline and engine.poll() is None, "the first steps did not go out"
            time.sleep(0.1)
        sent = sent_messages(outbox)
        (tmp_path / "reply.eml").write_bytes(reply_to(sent["bob@bob.example"], "bob@bob.example", "Yes, let's talk."))
        handed = run("ingest", "--store", store, tmp_path / "reply.eml", check=0)
        line = json.loads(handed.stdout)
        assert (line["class"], line["lead"], line["queued"]) == ("reply", "bob@bob.example", True)
        # The running engine takes it in within a few seconds.
        deadline = time.monotonic() + 30
        while True:
            events = [json.loads(e) for e in run("events", "--store", store, check=0).stdout.decode().splitlines()]
            if any(e["type"] == "stopped" and e["lead"] == "bob@bob.example" for e in events):
                break
            assert time.monotonic() < deadline, "the running engine did not take the message in"
            time.sleep(0.2)
        assert [e["type"] for e in events if e["lead"] == "bob@bob.example"][-2:] == ["replied", "stopped"]
    finally:
        engine.terminate()
        engine.wait(timeout=30)
    assert engine.returncode == 0, engine.stderr.read().decode(errors="replace")
    # Handed in again after the engine stopped: taken in at once, and known as a duplicate.
    again = json.loads(run("ingest", "--store", store, tmp_path / "reply.eml", check=0).stdout)
    assert again["duplicate"] is True and "queued" not in again
