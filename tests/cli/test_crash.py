"""`outreach run` killed with SIGKILL at random moments, and sending to a server that drops
connections at random moments, checked against what the server really accepted.

An SMTP server in its own process (recording_smtp_server.py) fsyncs a line for each message
before its 250 reply, so its record is the truth. After the campaign is done, whatever the kills
and drops: every lead completed; no (lead, step) arrived twice; every one arrived or is reported
`in_doubt`; the in doubt sends are at most one group per kill (the engine hands the SMTP
transport groups of two messages per connection: the one being answered and the next, pipelined)
plus the messages the server dropped after their final "."; every `sent`
message arrived; and nothing arrived without a `sent` or `in_doubt` event.

Environment overrides for stress runs: OUTREACH_CRASH_SEED, OUTREACH_CRASH_LEADS,
OUTREACH_CRASH_KILLS, OUTREACH_CRASH_DROP_KILLS, OUTREACH_CRASH_DROP_RATE and
OUTREACH_CRASH_DEADLINE (seconds for each variant). A failure prints the seed and the kill
schedule; the same seed gives the same schedule (where a kill lands still depends on timing).
"""

from __future__ import annotations

import collections
import json
import os
import random
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import pytest

CLI = os.environ["OUTREACH_CLI"]
SERVER_SCRIPT = Path(__file__).with_name("recording_smtp_server.py")

SEED = int(os.environ.get("OUTREACH_CRASH_SEED") or random.SystemRandom().randrange(1, 2**31))
LEADS = int(os.environ.get("OUTREACH_CRASH_LEADS", "2000"))
KILLS = int(os.environ.get("OUTREACH_CRASH_KILLS", "100"))
DROP_KILLS = int(os.environ.get("OUTREACH_CRASH_DROP_KILLS", "5"))
DROP_RATE = float(os.environ.get("OUTREACH_CRASH_DROP_RATE", "0.02"))
DEADLINE = float(os.environ.get("OUTREACH_CRASH_DEADLINE", "420"))
STEPS = 3
# Sends handed to the transport at once: 2 connections per mailbox x 2 pipelined (SmtpOptions).
SEND_GROUP = 4
# The longest wait for the clock is step 3's minute; a run this long without a message is stuck
# (a deferred send would wait 10 minutes).
STALL = 150.0
# A share of the kills lands while a run starts: opening the store, replaying, the first sends.
STARTUP_KILL_SHARE = 0.2

Key = Tuple[str, int]  # (lead, step)


def lead_address(number: int) -> str:
    return f"lead{number:05d}@leads.test"


def write_campaign(directory: Path, port: int) -> Path:
    # The step goes in each subject, so the server can record it. Step 2 is due at once, so
    # sends follow each other without a pause; step 3 a minute later, so runs also wait for the
    # clock and are killed while waiting.
    sequence = {
        "name": "crash-3-step",
        "steps": [
            {"variants": [{"subject": "Step 1 for {{first_name}}", "text": "Hello {{first_name}}, step 1."}]},
            {"delay": {"minutes": 0}, "variants": [{"subject": "Step 2 for {{first_name}}", "text": "Step 2."}]},
            {"delay": {"minutes": 1}, "thread": "new",
             "variants": [{"subject": "Step 3 for {{first_name}}", "text": "Step 3."}]},
        ],
    }
    assert len(sequence["steps"]) == STEPS
    (directory / "sequence.json").write_text(json.dumps(sequence, indent=1), encoding="utf-8")
    rows = "".join(f"{lead_address(number)},Lead{number}\n" for number in range(LEADS))
    (directory / "leads.csv").write_text("email,first_name\n" + rows, encoding="utf-8")

    def mailbox(name: str) -> dict:
        return {"id": name, "from": f"{name} <{name}@sender.test>", "daily_limit": 1000000, "timezone": "UTC",
                "transport": f"smtp://127.0.0.1:{port}", "security": "none"}

    campaign = {
        "name": "crash",
        "sequence": "sequence.json",
        "leads": "leads.csv",
        "seed": 7,
        # Open all day every day: no send waits for a window.
        "schedule": {"timezone": "UTC", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                     "hours": ["00:00-24:00"]},
        "mailboxes": [mailbox("first"), mailbox("second")],
        "limits": {"new_leads_per_day": 1000000, "sends_per_day": 1000000},
        "delivery": "at_most_once",
    }
    path = directory / "campaign.json"
    path.write_text(json.dumps(campaign, indent=1), encoding="utf-8")
    return path


class RecordingServer:
    """recording_smtp_server.py, started on a free loopback port and stopped with SIGTERM."""

    def __init__(self, directory: Path, drop_rate: float, seed: int, drop_first_to: Sequence[str] = (),
                 reply_delay: float = 0.0) -> None:
        self.record = directory / "accepted.jsonl"
        self.drops = directory / "drops.jsonl"
        self.log = directory / "server.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(SERVER_SCRIPT), "--record", str(self.record), "--drops", str(self.drops),
                 "--drop-rate", str(drop_rate), "--seed", str(seed), "--reply-delay", str(reply_delay)]
                + [argument for address in drop_first_to for argument in ("--drop-first-to", address)],
                stdout=subprocess.PIPE, stderr=log)
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], 20)
        line = self.process.stdout.readline() if ready else b""
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError(f"the SMTP server did not start: {self.log.read_text(errors='replace')}")
        self.port = int(line)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        assert self.process.stdout is not None
        self.process.stdout.close()

    def accepted(self) -> List[dict]:
        return read_json_lines(self.record)

    def dropped(self) -> List[dict]:
        return read_json_lines(self.drops)


class LineCounter:
    """Counts the lines of a file that only grows, reading only what is new."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.count = 0

    def update(self) -> int:
        try:
            with open(self.path, "rb") as file:
                file.seek(self.offset)
                chunk = file.read()
        except FileNotFoundError:
            return self.count
        self.offset += len(chunk)
        self.count += chunk.count(b"\n")
        return self.count


def read_json_lines(path: Path) -> List[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def cli(*args: object, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *map(str, args)], capture_output=True, timeout=timeout)


@dataclass
class Kill:
    """Kill a run `delay` seconds after it starts (`after` None), or `delay` seconds after the
    server has accepted `after` messages in all."""

    after: Optional[int]
    delay: float

    def describe(self) -> str:
        if self.after is None:
            return f"{self.delay * 1000:.1f} ms after start"
        return f"{self.delay * 1000:.1f} ms after acceptance #{self.after}"


def kill_schedule(dice: random.Random, kills: int, messages: int) -> List[Kill]:
    # Progress points spread over the campaign and ending well before it, so that every kill
    # hits a campaign still sending; the delays put the kill anywhere in a send (a few ms each).
    points = sorted(dice.randrange(0, max(1, messages * 9 // 10)) for _ in range(kills))
    schedule = []
    for point in points:
        if dice.random() < STARTUP_KILL_SHARE:
            schedule.append(Kill(after=None, delay=dice.uniform(0.0, 0.15)))
        else:
            schedule.append(Kill(after=point, delay=dice.uniform(0.0, 0.02)))
    return schedule


@dataclass
class Driving:
    """What the runs did."""

    kills: List[str] = field(default_factory=list)
    runs: int = 0


def fail_with_run(reason: str, process: subprocess.Popen, output: Path) -> None:
    pytest.fail(f"{reason} (exit status {process.returncode}); its output:\n{output.read_text(errors='replace')}")


def drive(directory: Path, campaign: Path, store: Path, server: RecordingServer, schedule: List[Kill],
          deadline: float) -> Driving:
    """Runs the campaign, killing each run as scheduled, then lets the last one finish."""
    driving = Driving()
    accepted = LineCounter(server.record)
    pending = list(schedule)

    while True:
        driving.runs += 1
        output = directory / f"run-{driving.runs:03d}.log"
        kill = pending.pop(0) if pending else None
        with open(output, "wb") as log:
            process = subprocess.Popen([CLI, "run", str(campaign), "--store", str(store)],
                                       stdout=log, stderr=subprocess.STDOUT)
        started = time.monotonic()
        kill_at = started + kill.delay if kill and kill.after is None else None
        last_count, last_progress = accepted.update(), started
        killed = False
        try:
            while process.poll() is None:
                now = time.monotonic()
                count = accepted.update()
                if count != last_count:
                    last_count, last_progress = count, now
                if kill_at is None and kill is not None and kill.after is not None and count >= kill.after:
                    kill_at = now + kill.delay
                if kill_at is not None and now >= kill_at:
                    process.kill()
                    process.wait()
                    killed = True
                    break
                if now > deadline:
                    fail_with_run(f"the campaign was not done within {DEADLINE:.0f} s", process, output)
                if now - last_progress > STALL:
                    status = cli("status", "--store", store).stdout.decode(errors="replace")
                    fail_with_run(f"run {driving.runs} accepted nothing for {STALL:.0f} s; status: {status}",
                                  process, output)
                time.sleep(0.002)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()

        if killed and process.returncode == -signal.SIGKILL:
            assert kill is not None
            note = f"run {driving.runs}: killed {kill.describe()}, at {accepted.update()} accepted"
            driving.kills.append(note)
            print(note, flush=True)
            continue
        if process.returncode != 0:
            fail_with_run(f"run {driving.runs} failed", process, output)
        if kill is not None:
            print(f"run {driving.runs}: ended by itself before its kill ({kill.describe()})", flush=True)
        print(f"run {driving.runs}: done, at {accepted.update()} accepted", flush=True)
        return driving


def check(directory: Path, store: Path, server: RecordingServer, kills: int) -> None:
    status = cli("status", "--store", store, "--json")
    assert status.returncode == 0, status.stderr.decode(errors="replace")
    events_run = cli("events", "--store", store)
    assert events_run.returncode == 0, events_run.stderr.decode(errors="replace")
    events = [json.loads(line) for line in events_run.stdout.decode().splitlines() if line.strip()]
    accepted = server.accepted()
    dropped_after_data = {drop["message_id"] for drop in server.dropped() if drop["stage"] == "after_data"}
    problems: List[str] = []

    summary = status.stdout.decode()
    campaign = json.loads(summary)["campaigns"][0]
    ended_badly = {name: count for name, count in campaign["leads"].items() if name != "completed" and count}
    if campaign["status"] != "finished" or campaign["leads"]["completed"] != LEADS or ended_badly:
        problems.append(f"not every lead completed: {summary}")

    types = collections.Counter(event["type"] for event in events)
    expected_types = ("sent", "in_doubt", "completed")
    unexpected = {name: count for name, count in types.items() if name not in expected_types}
    if unexpected:
        examples = [event for event in events if event["type"] not in expected_types][:3]
        problems.append(f"events of unexpected types (the server refuses nothing and a message cut off before "
                        f"its data goes again at once): {unexpected}, such as {examples}")
    if types["completed"] != LEADS:
        problems.append(f"{types['completed']} completed events for {LEADS} leads")

    by_message_id: Dict[str, dict] = {}
    outcomes: Dict[Key, List[dict]] = collections.defaultdict(list)
    for event in events:
        if event["type"] in ("sent", "in_doubt"):
            outcomes[(event["lead"], event["step"])].append(event)
            by_message_id[event["message_id"]] = event
    for key, found in outcomes.items():
        if len(found) > 1:
            problems.append(f"{key} has {len(found)} send events: {found}")

    received: Dict[Key, List[dict]] = collections.defaultdict(list)
    for message in accepted:
        received[(message["rcpt"], message["step"])].append(message)
    for key, copies in received.items():
        if len(copies) > 1:
            problems.append(f"{key} was received {len(copies)} times: {copies}")

    in_doubt = {key for key, found in outcomes.items() if any(event["type"] == "in_doubt" for event in found)}
    for number in range(LEADS):
        for step in range(1, STEPS + 1):
            key = (lead_address(number), step)
            if key not in received and key not in in_doubt:
                problems.append(f"{key} was never received and is not reported in doubt: {outcomes.get(key)}")

    received_ids = {message["message_id"]: message for message in accepted}
    for event in events:
        if event["type"] != "sent":
            continue
        message = received_ids.get(event["message_id"])
        if message is None:
            problems.append(f"sent but never received: {event}")
        elif (message["rcpt"], message["step"]) != (event["lead"], event["step"]):
            problems.append(f"the sent event {event} does not match the message received: {message}")
    for message in accepted:
        if message["message_id"] not in by_message_id:
            problems.append(f"received without a sent or in_doubt event: {message}")

    # A message the server dropped after its final "." is in doubt whatever else happens; the
    # other in-doubt sends are those cut off by a kill, at most one group each: two per
    # connection (the transport's default of two connections per mailbox, pipelined).
    in_doubt_ids = {event["message_id"] for event in events if event["type"] == "in_doubt"}
    for message_id in sorted(dropped_after_data - in_doubt_ids):
        problems.append(f"dropped after its data but not reported in doubt: {message_id}")
    cut_by_kills = in_doubt_ids - dropped_after_data
    if len(cut_by_kills) > kills * SEND_GROUP:
        problems.append(f"{len(cut_by_kills)} sends in doubt for {kills} kills: {sorted(cut_by_kills)}")
    if campaign["in_doubt"] != len(in_doubt_ids):
        problems.append(f"the summary counts {campaign['in_doubt']} in doubt, the events {len(in_doubt_ids)}")

    print(f"{len(accepted)} accepted, {types['sent']} sent, {len(in_doubt_ids)} in doubt "
          f"({len(dropped_after_data)} dropped after the data), {kills} kills", flush=True)
    shown = problems[:40]
    more = f"\n... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
    assert not problems, f"seed {SEED}, files in {directory}:\n" + "\n".join(shown) + more


def crash_campaign(directory: Path, kills: int, drop_rate: float) -> None:
    # Each variant its own stream of the seed, so that one's schedule does not depend on the other's.
    dice = random.Random(f"{SEED}:{kills}:{drop_rate}")
    schedule = kill_schedule(dice, kills, LEADS * STEPS)
    print(f"seed {SEED} (OUTREACH_CRASH_SEED), {LEADS} leads x {STEPS} steps, drop rate {drop_rate}, "
          f"files in {directory}", flush=True)
    print("kill schedule: " + ("; ".join(kill.describe() for kill in schedule) or "none"), flush=True)
    server = RecordingServer(directory, drop_rate, dice.randrange(2**31))
    try:
        campaign = write_campaign(directory, server.port)
        store = directory / "state.db"
        started = time.monotonic()
        driving = drive(directory, campaign, store, server, schedule, started + DEADLINE)
        print(f"{driving.runs} runs, {len(driving.kills)} kills, {time.monotonic() - started:.1f} s", flush=True)
        # Every kill lands in a campaign still sending (the schedule ends before nine tenths of it),
        # so a run that ended before its kill means the kills did not happen as planned.
        assert len(driving.kills) == len(schedule), f"seed {SEED}: {len(driving.kills)} of {len(schedule)} kills made"
        if drop_rate > 0:
            drops = collections.Counter(drop["stage"] for drop in server.dropped())
            print(f"connections dropped, by stage: {dict(drops)}", flush=True)
        server_log = server.log.read_text(errors="replace")
        assert "Traceback" not in server_log, f"the SMTP server failed:\n{server_log}"
        check(directory, store, server, len(driving.kills))
    finally:
        server.stop()


def test_every_send_is_recorded_once_across_kills_at_random_moments(tmp_path):
    crash_campaign(tmp_path, KILLS, drop_rate=0.0)


def test_every_send_is_recorded_once_across_dropped_connections_and_kills(tmp_path):
    crash_campaign(tmp_path, DROP_KILLS, drop_rate=DROP_RATE)
