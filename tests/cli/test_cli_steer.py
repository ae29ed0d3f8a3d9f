"""Changing a campaign while `outreach run` sends it: pause, resume, stop and suppress from other
processes, checked against what an SMTP server on loopback (recording_smtp_server.py) accepted;
then the same requests while the engine is killed with SIGKILL at random moments.

The server answers each message after a delay, so a run lasts long enough to be steered. The random schedule is seeded (OUTREACH_STEER_SEED) and printed on failure."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Tuple

sys.path.insert(0, str(Path(__file__).parent))
from test_crash import RecordingServer  # noqa: E402

CLI = os.environ["OUTREACH_CLI"]
SEED = int(os.environ.get("OUTREACH_STEER_SEED") or random.SystemRandom().randrange(1, 2**31))
NAME = "steer"


def address(number: int) -> str:
    return f"lead{number:03d}@leads.test"


def write_campaign(directory: Path, port: int, leads: int, steps: int = 1, delay_minutes: int = 0,
                   sends_per_day: int = 100000, seed: int = 0) -> Path:
    sequence = {"name": "steer", "steps": [{"variants": [{"subject": "Step 1 for {{first_name}}", "text": "Hello."}]}]}
    for step in range(2, steps + 1):
        sequence["steps"].append({"delay": {"minutes": delay_minutes}, "thread": "new",
                                  "variants": [{"subject": f"Step {step} for {{{{first_name}}}}", "text": "Again."}]})
    (directory / "sequence.json").write_text(json.dumps(sequence), encoding="utf-8")
    rows = "".join(f"{address(number)},Lead{number}\n" for number in range(leads))
    (directory / "leads.csv").write_text("email,first_name\n" + rows, encoding="utf-8")
    campaign = {
        "name": NAME,
        "sequence": "sequence.json",
        "leads": "leads.csv",
        "schedule": {"timezone": "UTC", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                     "hours": ["00:00-24:00"]},
        "mailboxes": [{"id": "m", "from": "M <m@sender.test>", "daily_limit": 100000, "timezone": "UTC",
                       "transport": f"smtp://127.0.0.1:{port}", "security": "none"}],
        "limits": {"new_leads_per_day": 100000, "sends_per_day": sends_per_day},
        "delivery": "at_most_once",
        "seed": seed,
    }
    path = directory / "campaign.json"
    path.write_text(json.dumps(campaign), encoding="utf-8")
    return path


def cli(*args: object, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *map(str, args)], capture_output=True, timeout=timeout)


def start_run(directory: Path, campaign: Path, store: Path) -> subprocess.Popen:
    log = open(directory / "run.log", "ab")
    return subprocess.Popen([CLI, "run", str(campaign), "--store", str(store)], stdout=log, stderr=log)


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def recipients(server: RecordingServer) -> List[str]:
    return [entry["rcpt"] for entry in server.accepted()]


def stop_run(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@contextmanager
def running_campaign(directory: Path, leads: int) -> Iterator[Tuple[RecordingServer, Path, subprocess.Popen]]:
    """`outreach run` of a campaign of `leads` leads, sending to a server that takes 0.3 s a
    message; stopped (SIGTERM) with the server at the end."""
    server = RecordingServer(directory, drop_rate=0.0, seed=0, reply_delay=0.3)
    campaign = write_campaign(directory, server.port, leads)
    store = directory / "state.db"
    run = start_run(directory, campaign, store)
    try:
        yield server, store, run
    finally:
        stop_run(run)
        server.stop()


def test_pause_holds_every_send_until_resume_and_a_suppressed_address_due_next_gets_nothing(tmp_path):
    leads = 12
    with running_campaign(tmp_path, leads) as (server, store, run):
        wait_for(lambda: len(server.accepted()) >= 2, 30, "the first sends")
        paused = cli("pause", "--store", store, NAME)
        assert paused.returncode == 0, paused.stderr
        assert f'campaign "{NAME}" paused' in paused.stdout.decode()
        # The engine answers between sends: what was handed over is at the server already.
        at_answer = len(server.accepted())
        time.sleep(3)
        assert len(server.accepted()) == at_answer
        status = json.loads(cli("status", "--store", store, "--json").stdout)
        assert status["campaigns"][0]["status"] == "paused"

        # The next lead in line is due a second after the resume: suppressed now, it gets nothing.
        due_next = address(at_answer)
        suppressed = cli("suppress", "add", "--store", store, due_next)
        assert suppressed.returncode == 0, suppressed.stderr
        assert "1 address suppressed" in suppressed.stdout.decode()
        resumed = cli("resume", "--store", store, NAME)
        assert resumed.returncode == 0, resumed.stderr
        assert f'campaign "{NAME}" resumed' in resumed.stdout.decode()
        wait_for(lambda: run.poll() is not None, 60, "the run to end with the campaign")
        assert run.returncode == 0
    sent_to = recipients(server)
    assert due_next not in sent_to
    assert sorted(sent_to) == sorted(address(n) for n in range(leads) if address(n) != due_next)
    events = [json.loads(line) for line in cli("events", "--store", store).stdout.splitlines()]
    assert [e["type"] for e in events if "lead" not in e] == ["campaign_paused", "campaign_resumed"]
    assert any(e["type"] == "skipped" and e["lead"] == due_next and e["reason"] == "suppressed" for e in events)


def test_leads_added_to_a_running_campaign_each_get_every_step_once(tmp_path):
    server = RecordingServer(tmp_path, drop_rate=0.0, seed=0)
    # The second step waits a minute, so the run is still going when the leads come.
    campaign = write_campaign(tmp_path, server.port, 10, steps=2, delay_minutes=1)
    store = tmp_path / "state.db"
    added = [f"added{number:03d}@leads.test" for number in range(500)]
    rows = [f"{email},Added{number}" for number, email in enumerate(added)]
    rows[100:100] = ["not an address,Bad", f"{address(3)},Again", "blocked@leads.test,Blocked"]
    more = tmp_path / "more.csv"
    more.write_text("email,first_name\n" + "\n".join(rows) + "\n", encoding="utf-8")
    run = start_run(tmp_path, campaign, store)
    try:
        wait_for(lambda: len(server.accepted()) >= 10, 30, "the first steps")
        assert cli("suppress", "add", "--store", store, "blocked@leads.test").returncode == 0
        result = cli("leads", "add", "--store", store, NAME, more)
        assert result.returncode == 2, result.stderr  # a row was left out
        assert "more.csv:102" in result.stderr.decode()
        assert (f'500 leads added to campaign "{NAME}" (1 already in it, 1 suppressed, left out)'
                in result.stdout.decode())
        wait_for(lambda: run.poll() is not None, 240, "the run to end with the campaign")
        assert run.returncode == 0, (tmp_path / "run.log").read_text()
    finally:
        stop_run(run)
        server.stop()
    sent = [(entry["rcpt"], entry["step"]) for entry in server.accepted()]
    assert len(sent) == len(set(sent)), "a message went twice"
    expected = {(email, step) for email in added + [address(n) for n in range(10)] for step in (1, 2)}
    assert set(sent) == expected
    # In file order, after the leads before them.
    first_steps = [rcpt for rcpt, step in sent if step == 1]
    assert first_steps[10:] == added
    status = json.loads(cli("status", "--store", store, "--json").stdout)
    assert status["campaigns"][0]["leads"]["completed"] == 510


def test_a_lowered_daily_limit_is_honoured_the_same_day_and_a_change_of_seed_is_refused(tmp_path):
    with running_campaign(tmp_path, 30) as (server, store, run):
        wait_for(lambda: len(server.accepted()) >= 2, 30, "the first sends")
        lowered = write_campaign(tmp_path, server.port, 30, sends_per_day=6)
        result = cli("update", "--store", store, lowered)
        assert result.returncode == 0, result.stderr
        out = result.stdout.decode()
        assert f'campaign "{NAME}": 1 setting changed' in out
        assert "limits.sends_per_day: 100000 -> 6" in out
        time.sleep(4)  # time for a dozen sends at the server's pace
        assert run.poll() is None  # the rest wait for tomorrow
        reseeded = write_campaign(tmp_path, server.port, 30, sends_per_day=6, seed=9)
        refused = cli("update", "--store", store, reseeded)
        assert refused.returncode == 1
        assert "seed: a campaign's seed cannot change" in refused.stderr.decode()
    assert len(server.accepted()) == 6
    events = [json.loads(line) for line in cli("events", "--store", store).stdout.splitlines()]
    changed = [e for e in events if e["type"] == "campaign_changed"]
    assert [(e["setting"], e["before"], e["after"]) for e in changed] == [("limits.sends_per_day", 100000, 6)]
    # The store keeps the new settings: a run from the store alone goes on with them.
    definition = sqlite3.connect(store).execute("SELECT definition FROM campaigns").fetchone()[0]
    assert json.loads(definition)["limits"]["sends_per_day"] == 6


def test_step_three_edited_while_step_one_goes_out_reaches_every_lead(tmp_path):
    server = RecordingServer(tmp_path, drop_rate=0.0, seed=0, reply_delay=0.2)
    leads = 15
    campaign = write_campaign(tmp_path, server.port, leads, steps=3, delay_minutes=1)
    sequence_file = tmp_path / "sequence.json"
    sequence = json.loads(sequence_file.read_text(encoding="utf-8"))
    sequence["steps"][1]["delay"] = {"minutes": 0}  # step 3 alone waits, a minute
    sequence["steps"][2]["variants"][0]["text"] = "Step three, with a typo: teh end."
    sequence_file.write_text(json.dumps(sequence), encoding="utf-8")
    store = tmp_path / "state.db"
    run = start_run(tmp_path, campaign, store)
    try:
        wait_for(lambda: len(server.accepted()) >= 2, 30, "the first sends")
        sequence["steps"][2]["variants"][0]["text"] = "Step three, fixed: the end."
        sequence_file.write_text(json.dumps(sequence), encoding="utf-8")
        # Shown and refused without the flag; applied with it.
        refused = cli("update", "--store", store, campaign)
        assert refused.returncode == 1
        assert "step 3: reworded (variant A: text)" in refused.stderr.decode()
        assert "--edit-steps" in refused.stderr.decode()
        edited = cli("update", "--store", store, "--edit-steps", campaign)
        assert edited.returncode == 0, edited.stderr
        out = edited.stdout.decode()
        assert "sequence: version 1 -> 2" in out and "step 3: reworded (variant A: text)" in out
        at_edit = len(server.accepted())
        assert at_edit < leads, "step 1 was still going out"
        wait_for(lambda: run.poll() is not None, 180, "the run to end with the campaign")
        assert run.returncode == 0, (tmp_path / "run.log").read_text()
    finally:
        stop_run(run)
        server.stop()
    accepted = server.accepted()
    sent = [(entry["rcpt"], entry["step"]) for entry in accepted]
    assert len(sent) == len(set(sent)) == 3 * leads, "each lead gets each step once"
    assert {entry["text"] for entry in accepted if entry["step"] == 3} == {"Step three, fixed: the end."}
    events = [json.loads(line) for line in cli("events", "--store", store).stdout.splitlines()]
    versions = {(e["lead"], e["step"]): e["sequence_version"] for e in events if e["type"] == "sent"}
    assert all(versions[(lead, 3)] == 2 for lead in (address(n) for n in range(leads)))
    assert 1 in {versions[(address(n), 1)] for n in range(leads)}, "the first sends came from version 1"
    versions_kept = sqlite3.connect(store).execute("SELECT version FROM sequence_versions ORDER BY version").fetchall()
    assert versions_kept == [(1,), (2,)]


def test_a_mailbox_out_of_reach_is_disabled_and_the_campaign_goes_on_with_the_other(tmp_path):
    server = RecordingServer(tmp_path, drop_rate=0.0, seed=0, reply_delay=0.05)
    campaign = write_campaign(tmp_path, server.port, 12)
    settings = json.loads(campaign.read_text(encoding="utf-8"))
    # Nothing listens on port 1 of loopback: every connection of "broken" is refused.
    settings["mailboxes"].insert(0, {"id": "broken", "from": "B <b@sender.test>", "daily_limit": 100000,
                                     "timezone": "UTC", "transport": "smtp://127.0.0.1:1", "security": "none",
                                     "disable_after_failures": 2})
    campaign.write_text(json.dumps(settings), encoding="utf-8")
    store = tmp_path / "state.db"
    run = start_run(tmp_path, campaign, store)
    try:
        # The leads tried with "broken" are retried in ten minutes; every other lead goes from "m".
        wait_for(lambda: len(server.accepted()) >= 10, 60, "the sends from the working mailbox")
        status = json.loads(cli("status", "--store", store, "--json").stdout)
        trouble = status["campaigns"][0]["mailbox_trouble"]
        assert [(t["mailbox"], t["state"], t["waiting"]) for t in trouble] == [("broken", "disabled", 0)]
        assert trouble[0]["reason"].startswith("2 sends in a row failed on the mailbox's side; the last: ")
        text = cli("status", "--store", store).stdout.decode()
        assert "mailbox broken: disabled (2 sends in a row failed" in text
        # A person enables it again, through the running engine.
        enabled = cli("mailbox", "enable", "--store", store, "broken")
        assert enabled.returncode == 0, enabled.stderr
        assert 'mailbox "broken" enabled' in enabled.stdout.decode()
        again = cli("mailbox", "disable", "--store", store, "broken")
        assert 'mailbox "broken" disabled' in again.stdout.decode()
        unknown = cli("mailbox", "enable", "--store", store, "nobody")
        assert unknown.returncode == 2 and "no campaign has a mailbox" in unknown.stderr.decode()
    finally:
        stop_run(run)
        server.stop()
    assert {entry["mail_from"] for entry in server.accepted()} == {"m@sender.test"}
    events = [json.loads(line) for line in cli("events", "--store", store).stdout.splitlines()]
    changes = [(e["type"], e["reason"] if e["type"] != "mailbox_disabled" or e["reason"] == "request" else "failures")
               for e in events if e["type"] in ("mailbox_disabled", "mailbox_enabled")]
    assert changes == [("mailbox_disabled", "failures"), ("mailbox_enabled", "request"), ("mailbox_disabled", "request")]
    deferred = [e for e in events if e["type"] == "deferred"]
    assert len(deferred) == 2 and all(e["mailbox"] == "broken" for e in deferred)


def test_a_run_whose_every_mailbox_is_disabled_waits_for_one_to_be_enabled(tmp_path):
    campaign = write_campaign(tmp_path, 1, 8)  # port 1 of loopback: nothing listens
    settings = json.loads(campaign.read_text(encoding="utf-8"))
    settings["mailboxes"][0]["disable_after_failures"] = 2
    campaign.write_text(json.dumps(settings), encoding="utf-8")
    store = tmp_path / "state.db"
    run = start_run(tmp_path, campaign, store)
    try:
        def disabled() -> bool:
            status = cli("status", "--store", store, "--json")  # fails until the run made the store
            if status.returncode != 0:
                return False
            trouble = json.loads(status.stdout)["campaigns"][0]["mailbox_trouble"]
            return [t["state"] for t in trouble] == ["disabled"]
        wait_for(disabled, 30, "the mailbox to be disabled")
        time.sleep(2)
        assert run.poll() is None, "the run ended while its leads wait for a mailbox"
        enabled = cli("mailbox", "enable", "--store", store, "m")
        assert enabled.returncode == 0, enabled.stderr
        wait_for(disabled, 30, "the mailbox, still out of reach, to be disabled again")
        assert run.poll() is None
    finally:
        stop_run(run)
    assert run.returncode == 0
    events = [json.loads(line) for line in cli("events", "--store", store).stdout.splitlines()]
    assert [e["type"] for e in events if e["type"].startswith("mailbox_")] == [
        "mailbox_disabled", "mailbox_enabled", "mailbox_disabled"]


def test_stop_ends_the_campaign_for_good_and_the_run_with_it(tmp_path):
    with running_campaign(tmp_path, 30) as (server, store, run):
        wait_for(lambda: len(server.accepted()) >= 2, 30, "the first sends")
        stopped = cli("stop", "--store", store, NAME)
        assert stopped.returncode == 0, stopped.stderr
        assert f'campaign "{NAME}" stopped' in stopped.stdout.decode()
        at_answer = len(server.accepted())
        wait_for(lambda: run.poll() is not None, 30, "the run to end")
        assert run.returncode == 0
    assert len(server.accepted()) == at_answer
    refused = cli("resume", "--store", store, NAME)
    assert refused.returncode == 1
    assert b"stopped for good" in refused.stderr
    status = json.loads(cli("status", "--store", store, "--json").stdout)
    assert status["campaigns"][0]["status"] == "stopped"


def test_a_request_nobody_answers_in_time_is_queued_not_lost(tmp_path):
    server = RecordingServer(tmp_path, drop_rate=0.0, seed=0, reply_delay=0.3)
    campaign = write_campaign(tmp_path, server.port, 30)
    store = tmp_path / "state.db"
    run = start_run(tmp_path, campaign, store)
    try:
        wait_for(lambda: len(server.accepted()) >= 1, 30, "the first send")
        # Stopped, the engine holds the store but answers nothing.
        run.send_signal(signal.SIGSTOP)
        waited = cli("pause", "--store", store, NAME, "--wait", "1")
        assert waited.returncode == 3, waited.stderr
        assert b"queued" in waited.stderr and b"not lost" in waited.stderr
        queued = cli("suppress", "add", "--store", store, address(29), "--no-wait")
        assert queued.returncode == 0, queued.stderr
        assert b"queued for the running engine" in queued.stdout
        run.send_signal(signal.SIGCONT)
        wait_for(lambda: json.loads(cli("status", "--store", store, "--json").stdout)["campaigns"][0]["status"]
                 == "paused", 10, "the queued pause to be applied")
    finally:
        run.send_signal(signal.SIGCONT)
        stop_run(run)
        server.stop()
    suppressions = cli("suppress", "list", "--store", store).stdout.decode().splitlines()
    assert suppressions == [f"{address(29)}\tmanual"]


def test_requests_are_applied_exactly_once_across_kills_of_the_engine(tmp_path):
    """Pauses and resumes alternate, so each one applied changes the campaign's state and leaves
    one event: as many events as requests means each was applied once. Suppressions of leads
    not yet sent to must keep them from ever getting a message; leads added must each be kept
    once and get every step once; each update, a change of the daily limit, is one event; the
    mailbox disabled, then enabled, is one event each."""
    dice = random.Random(SEED)
    server = RecordingServer(tmp_path, drop_rate=0.0, seed=SEED, reply_delay=0.05)
    leads = 60
    campaign = write_campaign(tmp_path, server.port, leads, steps=2)
    store = tmp_path / "state.db"
    schedule: List[str] = []
    toggles = 0
    suppressed: List[str] = []
    added: List[str] = []
    updates = 0
    mailbox_toggles = 0
    run = start_run(tmp_path, campaign, store)
    try:
        wait_for(lambda: len(server.accepted()) >= 1, 30, "the first send")
        for round_number in range(12):
            action = "pause" if toggles % 2 == 0 else "resume"
            arguments: List[object] = [action, "--store", store, NAME, "--no-wait"]
            # A suppression of a lead far enough ahead that it has not been reached.
            target = address(leads - 1 - round_number)
            if round_number % 3 == 0:
                arguments = ["suppress", "add", "--store", store, target, "--no-wait"]
            elif round_number % 4 == 1:
                more = [f"added{round_number:02d}-{n}@leads.test" for n in range(3)]
                lead_file = tmp_path / f"more{round_number}.csv"
                lead_file.write_text("email,first_name\n" + "".join(f"{email},Added\n" for email in more),
                                     encoding="utf-8")
                arguments = ["leads", "add", "--store", store, NAME, lead_file, "--no-wait"]
            elif round_number in (4, 10):
                arguments = ["mailbox", "disable" if round_number == 4 else "enable", "--store", store, "m",
                             "--no-wait"]
            elif round_number % 4 == 3:
                # Each update sets a limit not set before (a restart goes back to the file's):
                # applied twice, the second would change nothing.
                folder = tmp_path / f"update{round_number}"
                folder.mkdir()
                changed = write_campaign(folder, server.port, leads, steps=2, sends_per_day=99999 - updates)
                arguments = ["update", "--store", store, changed, "--no-wait"]
            asked = cli(*arguments)
            assert asked.returncode == 0, asked.stderr
            if arguments[0] == "suppress":
                suppressed.append(target)
            elif arguments[0] == "leads":
                added.extend(more)
            elif arguments[0] == "update":
                updates += 1
            elif arguments[0] == "mailbox":
                mailbox_toggles += 1
            else:
                toggles += 1
            pause_for = dice.uniform(0.0, 0.4)
            schedule.append(f"{arguments[0]} then kill after {pause_for:.2f} s")
            time.sleep(pause_for)
            run.kill()
            run.wait()
            run = start_run(tmp_path, campaign, store)
        if toggles % 2 == 1:  # end resumed, so the campaign finishes
            assert cli("resume", "--store", store, NAME, "--no-wait").returncode == 0
            toggles += 1
        wait_for(lambda: run.poll() is not None, 120, "the campaign to finish")
    except AssertionError as error:
        raise AssertionError(f"seed {SEED}; schedule: {schedule}") from error
    finally:
        stop_run(run)
        server.stop()
    with sqlite3.connect(store) as db:
        waiting = db.execute("SELECT count(*) FROM requests WHERE answered IS NULL").fetchone()[0]
        asked = db.execute("SELECT count(*) FROM requests").fetchone()[0]
        kept = [row[0] for row in db.execute("SELECT address FROM added_leads ORDER BY id")]
    assert waiting == 0, f"seed {SEED}"
    assert asked == toggles + len(suppressed) + len(added) // 3 + updates + mailbox_toggles, f"seed {SEED}"
    assert kept == added, f"seed {SEED}: added leads kept other than once each"
    events = [json.loads(line) for line in cli("events", "--store", store).stdout.splitlines()]
    toggled = [e["type"] for e in events if e["type"] in ("campaign_paused", "campaign_resumed")]
    assert len(toggled) == toggles, f"seed {SEED}; schedule: {schedule}"
    assert toggled == ["campaign_paused", "campaign_resumed"] * (toggles // 2)
    mailbox_events = [(e["type"], e["reason"]) for e in events if e["type"] in ("mailbox_disabled", "mailbox_enabled")]
    assert mailbox_events == [("mailbox_disabled", "request"), ("mailbox_enabled", "request")], f"seed {SEED}"
    changes = [e["after"] for e in events if e["type"] == "campaign_changed"]
    assert changes == [99999 - n for n in range(updates)], f"seed {SEED}; schedule: {schedule}"
    received = [(entry["rcpt"], entry["step"]) for entry in server.accepted()]
    assert len(received) == len(set(received)), f"seed {SEED}: a message arrived twice"
    assert not set(suppressed) & {rcpt for rcpt, _ in received}, f"seed {SEED}"
    assert {(email, step) for email in added for step in (1, 2)} <= set(received), f"seed {SEED}"
