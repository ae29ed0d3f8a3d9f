"""Several `outreach run` processes on one PostgreSQL store, sending through SMTP to a server whose
record is the truth (tests/cli/recording_smtp_server.py fsyncs a line per message before its 250).

Each scenario enters six campaigns sharing four mailboxes into a new database, then runs three
engines at once with `outreach run --store` alone, and checks against the server's record: no
(lead, step) arrived twice, every lead completed, and every engine sent. The scenarios: the
engines left alone; engines killed with SIGKILL at random moments and started again (a seeded
schedule, printed); one engine stopped with SIGSTOP past its claims' lease and then continued
(its late writes are refused and it stops, saying so); the PostgreSQL server restarted while
they send (they connect again and go on). A last scenario saturates two mailboxes from three
engines: each mailbox's daily limit and spacing hold across them.

Environment overrides: OUTREACH_ENGINES_SEED, OUTREACH_ENGINES_LEADS (5000), OUTREACH_ENGINES_KILLS
(30), OUTREACH_ENGINES_DEADLINE (seconds per scenario, 600).
"""

from __future__ import annotations

import collections
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "support"))
sys.path.insert(0, str(HERE.parent / "cli"))
from postgresql_server import PostgresqlServer  # noqa: E402
from test_crash import LineCounter, RecordingServer  # noqa: E402

CLI = os.environ["OUTREACH_CLI"]
SEED = int(os.environ.get("OUTREACH_ENGINES_SEED") or random.SystemRandom().randrange(1, 2**31))
LEADS = int(os.environ.get("OUTREACH_ENGINES_LEADS", "5000"))
KILLS = int(os.environ.get("OUTREACH_ENGINES_KILLS", "30"))
DEADLINE = float(os.environ.get("OUTREACH_ENGINES_DEADLINE", "600"))
CAMPAIGNS = 6
ENGINES = 3
STEPS = 3
MAILBOXES = ("ma", "mb", "mc", "md")
# Entered with an --until long past: the campaigns are kept, nothing is sent.
LONG_AGO = "2000-01-01T00:00:00Z"


def lead_address(number: int) -> str:
    return f"lead{number:05d}@leads.test"


def mailbox(name: str, port: int, daily_limit: int = 1000000, min_interval: Optional[dict] = None) -> dict:
    settings = {"id": name, "from": f"{name} <{name}@sender.test>", "daily_limit": daily_limit, "timezone": "UTC",
                "transport": f"smtp://127.0.0.1:{port}", "security": "none"}
    if min_interval:
        settings["min_interval"] = min_interval
    return settings


def write_campaigns(folder: Path, port: int, leads: int, steps: int = STEPS, mailboxes: Optional[List[dict]] = None,
                    campaigns: int = CAMPAIGNS) -> List[Path]:
    """`campaigns` campaigns with the leads split between them, sharing the mailboxes. Step 2 is
    due at once, step 3 a minute later, so engines both send back to back and wait."""
    sequence = {"steps": [{"variants": [{"subject": "Step 1 for {{first_name}}", "text": "Hello, step 1."}]}]}
    if steps >= 2:
        sequence["steps"].append({"delay": {"minutes": 0}, "variants": [{"subject": "Step 2", "text": "Step 2."}]})
    if steps >= 3:
        sequence["steps"].append({"delay": {"minutes": 1}, "thread": "new",
                                  "variants": [{"subject": "Step 3", "text": "Step 3."}]})
    (folder / "sequence.json").write_text(json.dumps(sequence), encoding="utf-8")
    paths = []
    for index in range(campaigns):
        numbers = range(index, leads, campaigns)
        rows = "".join(f"{lead_address(number)},Lead{number}\n" for number in numbers)
        (folder / f"leads{index}.csv").write_text("email,first_name\n" + rows, encoding="utf-8")
        campaign = {
            "name": f"campaign{index}", "sequence": "sequence.json", "leads": f"leads{index}.csv", "seed": index + 1,
            "schedule": {"timezone": "UTC", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                         "hours": ["00:00-24:00"]},
            "mailboxes": mailboxes or [mailbox(name, port) for name in MAILBOXES],
            "limits": {"new_leads_per_day": 1000000, "sends_per_day": 1000000},
            "delivery": "at_most_once",
        }
        path = folder / f"campaign{index}.json"
        path.write_text(json.dumps(campaign), encoding="utf-8")
        paths.append(path)
    return paths


def cli(*args: object, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *map(str, args)], capture_output=True, timeout=timeout)


class Engines:
    """`outreach run --store` processes, each started again in its slot when asked."""

    def __init__(self, folder: Path, store: str, lease: int, count: int = ENGINES, until: Optional[str] = None) -> None:
        self.folder = folder
        self.store = store
        self.lease = lease
        self.until = until
        self.runs = 0
        self.logs: List[Path] = []
        self.processes: List[subprocess.Popen] = [self.start() for _ in range(count)]

    def start(self) -> subprocess.Popen:
        self.runs += 1
        log = self.folder / f"engine-{self.runs:03d}.log"
        self.logs.append(log)
        command = [CLI, "run", "--store", self.store, "--claim-lease", str(self.lease), "--log-format", "json"]
        if self.until:
            command += ["--until", self.until]
        with open(log, "wb") as output:
            return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)

    def restart(self, slot: int) -> None:
        self.processes[slot] = self.start()

    def wait(self, deadline: float) -> List[int]:
        for process in self.processes:
            left = max(1.0, deadline - time.monotonic())
            try:
                process.wait(timeout=left)
            except subprocess.TimeoutExpired:
                self.stop_all()
                pytest.fail(f"the engines did not finish in time (seed {SEED}); logs in {self.folder}:\n{self.tails()}")
        return [process.returncode for process in self.processes]

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()

    def tails(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}" for log in self.logs[-ENGINES:])

    def sent_by_run(self) -> List[int]:
        counts = []
        for log in self.logs:
            lines = log.read_text(errors="replace").splitlines()
            counts.append(sum(1 for line in lines if line.startswith("{") and json.loads(line).get("type") == "sent"))
        return counts


@pytest.fixture(scope="module")
def postgresql() -> Iterator[PostgresqlServer]:
    with PostgresqlServer() as server:
        yield server


@pytest.fixture()
def smtp(tmp_path: Path) -> Iterator[RecordingServer]:
    server = RecordingServer(tmp_path, 0.0, SEED)
    yield server
    server.stop()


def enter(store: str, campaigns: List[Path]) -> None:
    entered = cli("run", *campaigns, "--store", store, "--until", LONG_AGO)
    assert entered.returncode == 0, entered.stderr.decode(errors="replace")


def check_complete(store: str, server: RecordingServer, leads: int, steps: int = STEPS) -> Dict[str, int]:
    """No (lead, step) twice at the server, every lead completed, and every send the server took
    is one the store has as sent or in doubt. The event counts, by type."""
    accepted = server.accepted()
    keys = collections.Counter((entry["rcpt"].lower(), entry["message_id"]) for entry in accepted)
    twice = [key for key, count in keys.items() if count > 1]
    assert not twice, f"delivered twice (seed {SEED}): {twice[:5]}"
    per_step = collections.Counter(entry["rcpt"].lower() for entry in accepted)
    assert max(per_step.values()) <= steps, f"a lead got more than {steps} messages (seed {SEED})"
    status = json.loads(cli("status", "--store", store, "--json").stdout)
    completed = sum(campaign["leads"]["completed"] for campaign in status["campaigns"])
    assert completed == leads, f"{completed} of {leads} leads completed (seed {SEED}): {status['campaigns']}"
    assert all(campaign["status"] == "finished" for campaign in status["campaigns"])
    events = [json.loads(line) for line in cli("events", "--store", store).stdout.decode().splitlines()]
    went = {event["message_id"] for event in events if event["type"] in ("sent", "in_doubt")}
    unrecorded = [entry for entry in accepted if entry["message_id"] not in went]
    assert not unrecorded, f"arrived without a sent or in_doubt event (seed {SEED}): {unrecorded[:3]}"
    sent = {event["message_id"] for event in events if event["type"] == "sent"}
    arrived = {entry["message_id"] for entry in accepted}
    assert sent <= arrived, f"recorded sent but never arrived (seed {SEED}): {list(sent - arrived)[:3]}"
    return collections.Counter(event["type"] for event in events)


def test_three_engines_share_the_campaigns_and_send_each_step_once(tmp_path: Path, postgresql, smtp) -> None:
    store = postgresql.create_database()
    enter(store, write_campaigns(tmp_path, smtp.port, LEADS))
    started = time.monotonic()
    engines = Engines(tmp_path, store, lease=10)
    statuses = engines.wait(time.monotonic() + DEADLINE)
    elapsed = time.monotonic() - started
    assert statuses == [0] * ENGINES, engines.tails()
    counts = check_complete(store, smtp, LEADS)
    assert counts["sent"] == LEADS * STEPS
    assert counts["in_doubt"] == 0
    sent = engines.sent_by_run()
    print(f"\n{LEADS} leads x {STEPS} steps on {ENGINES} engines in {elapsed:.1f} s; sends per engine: {sent}")
    assert all(count > 0 for count in sent), f"an engine sent nothing: {sent}"


def test_engines_killed_at_random_and_started_again_send_nothing_twice(tmp_path: Path, postgresql, smtp) -> None:
    store = postgresql.create_database()
    enter(store, write_campaigns(tmp_path, smtp.port, LEADS))
    dice = random.Random(SEED)
    schedule = [(dice.uniform(0.1, 1.2), dice.randrange(ENGINES)) for _ in range(KILLS)]
    print(f"\nseed {SEED}: {KILLS} kills, " + ", ".join(f"engine {slot} after {delay:.2f} s" for delay, slot in schedule))
    engines = Engines(tmp_path, store, lease=2)
    deadline = time.monotonic() + DEADLINE
    for delay, slot in schedule:
        time.sleep(delay)
        engines.processes[slot].kill()
        engines.processes[slot].wait()
        engines.restart(slot)
    engines.wait(deadline)
    counts = check_complete(store, smtp, LEADS)
    # At most the sends in flight when each engine was killed are in doubt: never sent twice.
    print(f"runs {engines.runs}, sent {counts['sent']}, in doubt {counts['in_doubt']}")
    assert counts["sent"] + counts["in_doubt"] == LEADS * STEPS


def test_an_engine_stopped_past_its_lease_is_taken_over_and_its_late_writes_refused(tmp_path: Path, postgresql,
                                                                                    smtp) -> None:
    store = postgresql.create_database()
    enter(store, write_campaigns(tmp_path, smtp.port, LEADS))
    lease = 2
    engines = Engines(tmp_path, store, lease=lease)
    accepted = LineCounter(smtp.record)
    while accepted.update() < 300:
        time.sleep(0.05)
    stalled = engines.processes[0]
    stalled.send_signal(signal.SIGSTOP)
    time.sleep(3 * lease + 2)  # past the lease: the others take its campaigns
    stalled.send_signal(signal.SIGCONT)
    statuses = engines.wait(time.monotonic() + DEADLINE)
    log = engines.logs[0].read_text(errors="replace")
    assert statuses[0] == 1, log[-2000:]
    assert "taken over by another engine" in log
    assert statuses[1:] == [0] * (ENGINES - 1), engines.tails()
    check_complete(store, smtp, LEADS)


def test_the_engines_connect_again_after_the_server_restarts_and_lose_nothing(tmp_path: Path, postgresql,
                                                                              smtp) -> None:
    store = postgresql.create_database()
    enter(store, write_campaigns(tmp_path, smtp.port, LEADS))
    engines = Engines(tmp_path, store, lease=30)
    accepted = LineCounter(smtp.record)
    while accepted.update() < 2000:
        time.sleep(0.05)
    postgresql.restart()
    statuses = engines.wait(time.monotonic() + DEADLINE)
    assert statuses == [0] * ENGINES, engines.tails()
    counts = check_complete(store, smtp, LEADS)
    assert counts["in_doubt"] == 0
    assert counts["sent"] == LEADS * STEPS
    restarted = sum("the connection was lost" in log.read_text(errors="replace") for log in engines.logs)
    assert restarted == 0  # nothing failed: each engine connected again


def test_a_mailbox_daily_limit_and_spacing_hold_across_engines(tmp_path: Path, postgresql, smtp) -> None:
    """Two mailboxes that cannot send every lead today, saturated by three engines: each sends
    its limit and no more, its sends spaced by its interval, whoever sent them."""
    store = postgresql.create_database()
    limits = {"ma": 40, "mb": 2}
    boxes = [mailbox("ma", smtp.port, limits["ma"]), mailbox("mb", smtp.port, limits["mb"], {"minutes": 1})]
    enter(store, write_campaigns(tmp_path, smtp.port, 300, steps=1, mailboxes=boxes))
    engines = Engines(tmp_path, store, lease=10,
                      until=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 80)))
    statuses = engines.wait(time.monotonic() + DEADLINE)
    assert statuses == [0] * ENGINES, engines.tails()
    accepted = smtp.accepted()
    by_mailbox = collections.Counter(entry["mail_from"].split("@")[0] for entry in accepted)
    print(f"\nsent per mailbox: {dict(by_mailbox)}; by engine run: {engines.sent_by_run()}")
    assert by_mailbox == collections.Counter(limits)
    spaced = sorted(entry["received"] for entry in accepted if entry["mail_from"].startswith("mb@"))
    gaps = [later - earlier for earlier, later in zip(spaced, spaced[1:])]
    assert min(gaps) >= 59.5, f"two sends of mb {min(gaps):.3f} s apart"
    assert sum(1 for count in engines.sent_by_run() if count > 0) >= 2, "one engine did all the work"
