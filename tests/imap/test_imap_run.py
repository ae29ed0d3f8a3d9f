"""`outreach run` reads its mailboxes over IMAP from a real Dovecot: a reply delivered while the
campaign runs stops that lead's follow-ups (through IDLE, within seconds), a bounce, an
auto-reply, an unsubscribe and a complaint are taken in, nothing in the mailbox changes, a
re-created folder (new UIDVALIDITY) applies nothing twice, STARTTLS and implicit TLS work with
the test's CA, and an untrusted certificate or a wrong password is refused, reported and retried
while the campaign goes on."""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "support"))
sys.path.insert(0, str(HERE.parent / "cli"))
from dovecot_server import DovecotServer  # noqa: E402
from test_cli_ingest import bounce_of, reply_to  # noqa: E402

CLI = os.environ["OUTREACH_CLI"]
SENDER = "sam@acme.example"
PASSWORD = "imap-secret"
LEADS = ("ann", "bob", "cat", "dan", "eve", "fay")


@pytest.fixture(scope="module")
def dovecot():
    with DovecotServer({SENDER: PASSWORD}) as server:
        yield server


def write_campaign(folder: Path, imap: dict, follow_up_minutes: int = 1) -> Path:
    outbox = folder / "outbox"
    campaign = {
        "name": folder.name, "seed": 1,  # each test's own Message-IDs, so no test answers another's
        "sequence": {"steps": [
            {"variants": [{"subject": "Hello {{first_name}}", "text": "Hi {{first_name}}"}]},
            {"delay": {"minutes": follow_up_minutes}, "variants": [{"text": "Again, {{first_name}}"}]},
        ]},
        "leads": [{"email": f"{name}@{name}.example", "first_name": name.title()} for name in LEADS],
        "schedule": {"timezone": "UTC", "hours": ["00:00-24:00"]},
        "mailboxes": [{"id": "m1", "from": f"Sam <{SENDER}>", "daily_limit": 1000,
                       "transport": f"outbox:{outbox}", "imap": imap}],
        "stop_on": {"reply": True, "auto_reply": True},
        "unsubscribe": {"mailto": "unsubscribe@acme.example"},
    }
    path = folder / "campaign.json"
    path.write_text(json.dumps(campaign), encoding="utf-8")
    return path


def imap_settings(server: DovecotServer, **overrides) -> dict:
    settings = {"url": f"imap://{server.host}:{server.imap_port}", "security": "starttls",
                "username": SENDER, "password_env": "TEST_IMAP_PASSWORD", "ca_file": str(server.ca_file)}
    settings.update(overrides)
    return settings


class Run:
    """`outreach run` in the background, its event log read as it grows."""

    def __init__(self, folder: Path, campaign: Path, until_seconds: int, password: str = PASSWORD):
        self.events_path = folder / "events.jsonl"
        self.store = folder / "store.db"
        until = (datetime.now(timezone.utc) + timedelta(seconds=until_seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
        env = dict(os.environ, TEST_IMAP_PASSWORD=password)
        self.process = subprocess.Popen(
            [CLI, "run", "--store", str(self.store), "--events", str(self.events_path), "--until", until, str(campaign)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)

    def events(self) -> list:
        if not self.events_path.exists():
            return []
        return [json.loads(line) for line in self.events_path.read_text().splitlines() if line.strip()]

    def wait_for(self, predicate, timeout: float, what: str) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.events() if predicate(e)]
            if found:
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no {what} within {timeout} s; events: {self.events()}; "
                             f"stderr: {self.stderr_so_far()}")

    def stderr_so_far(self) -> str:
        if self.process.poll() is None:
            return "(still running)"
        return self.process.stderr.read().decode(errors="replace")

    def finish(self, timeout: float = 120) -> tuple[int, str, str]:
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, out.decode(errors="replace"), err.decode(errors="replace")

    def stop(self) -> tuple[int, str, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.finish(30)


def first_messages(outbox: Path) -> dict:
    out = {}
    for path in sorted((outbox / "new").iterdir()):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        out.setdefault(str(message["To"].addresses[0].addr_spec), message)
    return out


def auto_reply_to(original, sender: str) -> bytes:
    return reply_to(original, sender, "I am out of the office until Monday.", Auto_Submitted="auto-replied",
                    X_Autoreply="yes")


def unsubscribe_from(sender: str) -> bytes:
    return (f"From: {sender}\r\nTo: unsubscribe@acme.example\r\nSubject: unsubscribe\r\n"
            f"Date: {email.utils.format_datetime(datetime.now(timezone.utc))}\r\n"
            f"Message-ID: {email.utils.make_msgid(domain='example')}\r\n\r\nunsubscribe\r\n").encode()


def complaint_of(original) -> bytes:
    enclosed = original.as_bytes().replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")
    return (b"From: abuse@isp.example\r\nTo: " + SENDER.encode() + b"\r\nSubject: complaint\r\n"
            b"Message-ID: " + email.utils.make_msgid(domain="isp.example").encode() + b"\r\n"
            b"MIME-Version: 1.0\r\n"
            b'Content-Type: multipart/report; report-type=feedback-report; boundary="arf"\r\n\r\n'
            b"--arf\r\nContent-Type: text/plain\r\n\r\nA complaint.\r\n"
            b"--arf\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nVersion: 1\r\n\r\n"
            b"--arf\r\nContent-Type: message/rfc822\r\n\r\n" + enclosed + b"\r\n--arf--\r\n")


def test_replies_bounces_and_reports_are_read_while_the_campaign_runs(dovecot, tmp_path):
    campaign = write_campaign(tmp_path, imap_settings(dovecot))
    run = Run(tmp_path, campaign, until_seconds=75)
    try:
        run.wait_for(lambda e: e["type"] == "sent" and e["step"] == 1 and e["lead"] == "fay@fay.example", 20,
                     "first step to every lead")
        firsts = first_messages(tmp_path / "outbox")
        flags_before = dovecot.flags(SENDER)

        delivered = time.monotonic()
        dovecot.deliver(SENDER, reply_to(firsts["ann@ann.example"], "Ann <ann@ann.example>", "Yes, tell me more"))
        run.wait_for(lambda e: e["type"] == "stopped" and e["lead"] == "ann@ann.example", 5, "stop after a reply")
        latency = time.monotonic() - delivered
        print(f"reply delivered to stopped event: {latency * 1000:.0f} ms")

        dovecot.deliver(SENDER, bounce_of(firsts["bob@bob.example"], "bob@bob.example"))
        dovecot.deliver(SENDER, auto_reply_to(firsts["cat@cat.example"], "Cat <cat@cat.example>"))
        dovecot.deliver(SENDER, unsubscribe_from("dan@dan.example"))
        dovecot.deliver(SENDER, complaint_of(firsts["eve@eve.example"]))
        for kind, lead in (("bounced", "bob"), ("auto_replied", "cat"), ("unsubscribed", "dan"), ("complained", "eve")):
            run.wait_for(lambda e, kind=kind, lead=lead: e["type"] == kind and e["lead"] == f"{lead}@{lead}.example",
                         10, f"{kind} of {lead}")

        code, _, err = run.finish()
        assert code == 0, err
    finally:
        run.stop()

    events = run.events()
    second_steps = sorted(e["lead"] for e in events if e["type"] == "sent" and e["step"] == 2)
    assert second_steps == ["fay@fay.example"], "only the lead who sent nothing back gets the follow-up"
    for lead in ("ann", "bob", "cat", "dan", "eve"):
        assert not any(e["type"] == "sent" and e["step"] == 2 and e["lead"].startswith(lead) for e in events)
    # Each message was taken in once.
    assert len([e for e in events if e["type"] == "replied"]) == 1
    # Read-only: the mailbox's flags are what they were, and every message is still there.
    flags_after = dovecot.flags(SENDER)
    assert all(flags_after[uid] == flags for uid, flags in flags_before.items())
    assert all("\\Seen" not in flags for flags in flags_after.values())
    assert len(flags_after) == len(flags_before) + 5

    status = subprocess.run([CLI, "status", "--store", str(run.store), "--json"], capture_output=True, check=True)
    checks = json.loads(status.stdout)["mail_checks"]
    assert checks[0]["mailbox"] == "m1" and checks[0]["checked"] and checks[0]["error"] is None


def test_a_new_uidvalidity_applies_nothing_twice(dovecot, tmp_path):
    folder = "Replies"
    dovecot.create_folder(SENDER, folder)
    # Deleting the folder is noticed at the next look, at most poll_seconds later.
    campaign = write_campaign(tmp_path, imap_settings(dovecot, folders=[folder], poll_seconds=10), follow_up_minutes=60)
    run = Run(tmp_path, campaign, until_seconds=40)
    try:
        run.wait_for(lambda e: e["type"] == "sent" and e["lead"] == "fay@fay.example", 20, "first steps")
        firsts = first_messages(tmp_path / "outbox")
        reply = reply_to(firsts["ann@ann.example"], "Ann <ann@ann.example>", "Interested")
        dovecot.deliver(SENDER, reply, folder)
        run.wait_for(lambda e: e["type"] == "replied", 10, "the reply")
        # The folder is deleted and made again with the same message: a new UIDVALIDITY.
        dovecot.delete_folder(SENDER, folder)
        dovecot.create_folder(SENDER, folder)
        dovecot.deliver(SENDER, reply, folder)
        dovecot.deliver(SENDER, reply_to(firsts["bob@bob.example"], "Bob <bob@bob.example>", "Call me"), folder)
        run.wait_for(lambda e: e["type"] == "replied" and e["lead"] == "bob@bob.example", 90, "the second reply")
    finally:
        code, _, err = run.stop()
    assert code == 0, err
    replies = [e["lead"] for e in run.events() if e["type"] == "replied"]
    assert sorted(replies) == ["ann@ann.example", "bob@bob.example"]
    assert "new UIDVALIDITY" in err


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_both_tls_modes_with_the_test_ca(dovecot, tmp_path, mode):
    if mode == "tls":
        settings = imap_settings(dovecot, url=f"imaps://{dovecot.host}:{dovecot.imaps_port}")
        del settings["security"]
    else:
        settings = imap_settings(dovecot)
    campaign = write_campaign(tmp_path, settings, follow_up_minutes=60)
    run = Run(tmp_path, campaign, until_seconds=30)
    try:
        run.wait_for(lambda e: e["type"] == "sent" and e["lead"] == "fay@fay.example", 20, "first steps")
        firsts = first_messages(tmp_path / "outbox")
        dovecot.deliver(SENDER, reply_to(firsts["dan@dan.example"], "Dan <dan@dan.example>", "Sure"))
        run.wait_for(lambda e: e["type"] == "replied" and e["lead"] == "dan@dan.example", 10, "the reply")
    finally:
        code, _, err = run.stop()
    assert code == 0, err


@pytest.mark.parametrize("problem", ["untrusted", "password"])
def test_a_mailbox_that_cannot_be_read_is_reported_and_the_campaign_goes_on(dovecot, tmp_path, problem):
    if problem == "untrusted":
        settings = imap_settings(dovecot)
        del settings["ca_file"]  # the system's CAs do not know the test's
        password = PASSWORD
    else:
        settings = imap_settings(dovecot)
        password = "wrong"
    campaign = write_campaign(tmp_path, settings, follow_up_minutes=60)
    run = Run(tmp_path, campaign, until_seconds=6, password=password)
    try:
        code, _, err = run.finish()
    finally:
        if run.process.poll() is None:
            run.process.kill()
            run.process.wait()
    assert code == 0, err
    assert len([e for e in run.events() if e["type"] == "sent"]) == len(LEADS)
    expected = "certificate" if problem == "untrusted" else "refused"
    assert f'mailbox "m1"' in err and expected in err, err
    assert password not in err or password == PASSWORD
    # Once in the campaign's log, however often it was retried.
    unreadable = [e for e in run.events() if e["type"] == "mailbox_unreadable"]
    assert len(unreadable) == 1 and unreadable[0]["mailbox"] == "m1" and expected in unreadable[0]["reason"]
    status = subprocess.run([CLI, "status", "--store", str(run.store), "--json"], capture_output=True, check=True)
    check = json.loads(status.stdout)["mail_checks"][0]
    assert check["checked"] is None and check["failed"] and expected in check["error"]
    text = subprocess.run([CLI, "status", "--store", str(run.store)], capture_output=True, check=True).stdout.decode()
    assert "m1: last read never; failing since" in text
