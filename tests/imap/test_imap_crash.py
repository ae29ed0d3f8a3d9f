"""`outreach run` killed with SIGKILL at random moments while mail arrives in a real Dovecot: after
a last run, every reply delivered was applied exactly once (nothing lost, nothing doubled), and
the folder's recorded place is past the last message. Messages no campaign knows arrive between
the replies, so that kills also land while the reader passes over mail that changes nothing."""

from __future__ import annotations

import email.utils
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from test_imap_run import CLI, PASSWORD, SENDER, dovecot, first_messages, imap_settings, reply_to  # noqa: E402,F401

LEADS = [f"lead{number:02d}" for number in range(12)]
ROUNDS = 12
NOISE_PER_ROUND = 3


def write_campaign(folder: Path, imap: dict) -> Path:
    campaign = {
        "name": "killed", "seed": 11,
        "sequence": {"steps": [
            {"variants": [{"subject": "Hello {{first_name}}", "text": "Hi {{first_name}}"}]},
            {"delay": {"days": 1}, "variants": [{"text": "Again, {{first_name}}"}]},
        ]},
        "leads": [{"email": f"{name}@leads.example", "first_name": name.title()} for name in LEADS],
        "schedule": {"timezone": "UTC", "hours": ["00:00-24:00"]},
        "mailboxes": [{"id": "m1", "from": f"Sam <{SENDER}>", "daily_limit": 1000,
                       "transport": f"outbox:{folder / 'outbox'}", "imap": imap}],
        "stop_on": {"reply": True},
    }
    path = folder / "campaign.json"
    path.write_text(json.dumps(campaign), encoding="utf-8")
    return path


def start_run(folder: Path, campaign: Path) -> subprocess.Popen:
    until = (datetime.now(timezone.utc) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(folder / "runs.log", "ab") as log:
        return subprocess.Popen([CLI, "run", "--store", str(folder / "store.db"), "--until", until, str(campaign)],
                                stdout=log, stderr=log, env=dict(os.environ, TEST_IMAP_PASSWORD=PASSWORD))


def kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait()


def stored_events(folder: Path) -> list:
    if not (folder / "store.db").exists():
        return []
    shown = subprocess.run([CLI, "events", "--store", str(folder / "store.db")], capture_output=True)
    assert shown.returncode == 0, shown.stderr.decode(errors="replace")
    return [json.loads(line) for line in shown.stdout.decode().splitlines() if line.strip()]


def noise(number: int) -> bytes:
    return (f"From: news{number}@elsewhere.example\r\nTo: {SENDER}\r\nSubject: News {number}\r\n"
            f"Date: {email.utils.format_datetime(datetime.now(timezone.utc))}\r\n"
            f"Message-ID: {email.utils.make_msgid(domain='elsewhere.example')}\r\n\r\nNothing to do with you.\r\n"
            ).encode()


def wait_until(predicate, timeout: float, what: str, folder: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"no {what} within {timeout} s; runs: {(folder / 'runs.log').read_text(errors='replace')}")


def test_kills_while_mail_arrives_lose_and_double_nothing(dovecot, tmp_path):
    dice = random.Random(int(os.environ.get("OUTREACH_CRASH_SEED", "5")))
    user = SENDER  # this module's own server: its inbox starts empty
    campaign = write_campaign(tmp_path, imap_settings(dovecot, poll_seconds=10))

    process = start_run(tmp_path, campaign)
    try:
        wait_until(lambda: len([e for e in stored_events(tmp_path) if e["type"] == "sent"]) == len(LEADS), 30,
                   "first step to every lead", tmp_path)
        firsts = first_messages(tmp_path / "outbox")
        kills = 0
        for round_number, lead in enumerate(LEADS[:ROUNDS]):
            if process.poll() is not None:
                process = start_run(tmp_path, campaign)
            # Kills land before the reader connects, while it logs in, reads, or waits in IDLE.
            time.sleep(dice.uniform(0.0, 0.6))
            for number in range(NOISE_PER_ROUND):
                dovecot.deliver(user, noise(round_number * NOISE_PER_ROUND + number))
                if number == 1:
                    address = f"{lead}@leads.example"
                    dovecot.deliver(user, reply_to(firsts[address], f"{lead.title()} <{address}>", "Tell me more"))
            time.sleep(dice.uniform(0.0, 0.4))
            kill(process)
            kills += 1
        applied_by_killed_runs = len([e for e in stored_events(tmp_path) if e["type"] == "replied"])
        process = start_run(tmp_path, campaign)
        wait_until(lambda: len([e for e in stored_events(tmp_path) if e["type"] == "replied"]) >= ROUNDS, 60,
                   "every reply applied", tmp_path)
        time.sleep(1)  # anything applied twice would show by now
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                kill(process)

    events = stored_events(tmp_path)
    replied = sorted(e["lead"] for e in events if e["type"] == "replied")
    assert replied == sorted(f"{lead}@leads.example" for lead in LEADS[:ROUNDS]), "each reply applied once"
    stopped = sorted(e["lead"] for e in events if e["type"] == "stopped")
    assert stopped == replied
    assert not [e for e in events if e["type"] == "sent" and e["step"] == 2]
    with sqlite3.connect(f"file:{tmp_path / 'store.db'}?mode=ro", uri=True) as db:
        (last_uid,) = db.execute("SELECT last_uid FROM folder_positions WHERE mailbox = 'm1' AND folder = 'INBOX'"
                                 ).fetchone()
    assert last_uid == max(dovecot.uids(user))
    print(f"{kills} kills, {len(dovecot.uids(user))} messages, {len(replied)} replies applied once each, "
          f"{applied_by_killed_runs} of them by runs that were killed")
