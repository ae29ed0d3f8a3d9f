"""The commands that keep state in a store: run, simulate --store, status, events, pause,
resume, suppress and forget, driven as a user would, on a SQLite file and on a PostgreSQL
database alike (a real server, started for these tests)."""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
from postgresql_server import PostgresqlServer  # noqa: E402

CLI = os.environ["OUTREACH_CLI"]
SOURCE = Path(os.environ["OUTREACH_SOURCE_DIR"])
EXAMPLE = SOURCE / "docs" / "examples" / "saas-founders"


def run(*args, check=None, timeout=120):
    result = subprocess.run([CLI, *map(str, args)], capture_output=True, timeout=timeout)
    if check is not None:
        assert result.returncode == check, result.stderr.decode(errors="replace")
    return result


@pytest.fixture(scope="module")
def postgresql():
    with PostgresqlServer() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def store_at(request, tmp_path):
    """Makes a new store's location: a file in the test's folder, or a new database."""
    def make(name="state.db"):
        if request.param == "sqlite":
            return tmp_path / name
        return request.getfixturevalue("postgresql").create_database()
    return make


def events_of(store):
    out = run("events", "--store", store, check=0).stdout.decode()
    return [json.loads(line) for line in out.splitlines()]


def write_campaign(folder: Path, leads: int, outbox: Path, name="now"):
    """A campaign that may send at once: open every hour of every day, started in the past."""
    sequence = {"steps": [
        {"variants": [{"subject": "Hello {{first_name}}", "text": "Hi {{first_name}}"}]},
        {"delay": {"minutes": 0}, "variants": [{"text": "Again, {{first_name}}"}]},
    ]}
    (folder / "sequence.json").write_text(json.dumps(sequence), encoding="utf-8")
    lines = ["email,first_name"] + [f"lead{i}@example.com,L{i}" for i in range(leads)]
    (folder / "leads.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    campaign = {
        "name": name, "sequence": "sequence.json", "leads": "leads.csv", "seed": 1,
        "schedule": {"timezone": "UTC", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                     "hours": ["00:00-23:59"], "start": "2026-01-01"},
        "mailboxes": [{"id": "m1", "from": "M <m1@acme.example>", "daily_limit": 100000,
                       "transport": f"outbox:{outbox}"}],
    }
    path = folder / "campaign.json"
    path.write_text(json.dumps(campaign), encoding="utf-8")
    return path


def test_simulate_keeps_its_state_in_the_store_for_status_and_events(tmp_path, store_at):
    store = store_at()
    result = run("simulate", EXAMPLE / "campaign.json", "--inbound", EXAMPLE / "inbound.jsonl",
                 "--store", store, "--json", "--events", tmp_path / "events.jsonl", check=0)
    simulated = json.loads(result.stdout)
    status = json.loads(run("status", "--store", store, "--json", check=0).stdout)
    assert status == simulated
    logged = (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in logged] == events_of(store)
    since = events_of(store)[-1]["at"]
    tail = run("events", "--store", store, "--since", since, check=0).stdout.decode().splitlines()
    assert tail and all(json.loads(line)["at"] >= since for line in tail)


def test_run_sends_every_step_once_and_a_second_run_sends_nothing_more(tmp_path, store_at):
    outbox = tmp_path / "outbox"
    campaign = write_campaign(tmp_path, 20, outbox)
    store = store_at()
    first = run("run", campaign, "--store", store, "--events", tmp_path / "events.jsonl", check=0)
    assert "campaign now: finished" in first.stdout.decode()
    messages = sorted(os.listdir(outbox / "new"))
    assert len(messages) == 40
    sent = [e for e in events_of(store) if e["type"] == "sent"]
    assert len(sent) == 40
    assert len({(e["lead"], e["step"]) for e in sent}) == 40
    # Started again, it resumes a finished campaign: nothing is sent twice.
    run("run", campaign, "--store", store, "--events", tmp_path / "events.jsonl", check=0)
    assert sorted(os.listdir(outbox / "new")) == messages
    assert len([e for e in events_of(store) if e["type"] == "sent"]) == 40
    # --events appends: one line per event of both runs.
    assert len((tmp_path / "events.jsonl").read_text().splitlines()) == len(events_of(store))


def test_a_run_stopped_early_goes_on_where_it_was(tmp_path, store_at):
    outbox = tmp_path / "outbox"
    campaign = write_campaign(tmp_path, 10, outbox)
    store = store_at()
    # Until an instant before the campaign's start: nothing can be sent yet.
    run("run", campaign, "--store", store, "--until", "2025-06-01T00:00:00Z", check=0)
    status = json.loads(run("status", "--store", store, "--json", check=0).stdout)
    assert status["campaigns"][0]["status"] == "running"
    run("run", campaign, "--store", store, check=0)
    assert len(os.listdir(outbox / "new")) == 20


def test_a_changed_sequence_is_refused_and_a_second_engine_is_kept_out(tmp_path, store_at):
    outbox = tmp_path / "outbox"
    campaign = write_campaign(tmp_path, 3, outbox)
    store = store_at()
    run("run", campaign, "--store", store, check=0)
    sequence = json.loads((tmp_path / "sequence.json").read_text())
    sequence["steps"][0]["variants"][0]["subject"] = "Changed"
    (tmp_path / "sequence.json").write_text(json.dumps(sequence))
    refused = run("run", campaign, "--store", store)
    assert refused.returncode == 2
    assert b"was started with another sequence" in refused.stderr


def test_pause_and_resume_are_kept_in_the_store(tmp_path, store_at):
    outbox = tmp_path / "outbox"
    campaign = write_campaign(tmp_path, 5, outbox)
    store = store_at()
    run("run", campaign, "--store", store, "--until", "2025-06-01T00:00:00Z", check=0)
    run("pause", "--store", store, "now", check=0)
    assert json.loads(run("status", "--store", store, "--json", check=0).stdout)["campaigns"][0]["status"] == "paused"
    # A paused campaign waits for a resume: the run goes on until --until, sending nothing.
    soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    run("run", campaign, "--store", store, "--until", soon, check=0)
    assert not os.path.exists(outbox / "new") or not os.listdir(outbox / "new")
    run("resume", "--store", store, "now", check=0)
    run("run", campaign, "--store", store, check=0)
    assert len(os.listdir(outbox / "new")) == 10
    types = [e["type"] for e in events_of(store)]
    assert "campaign_paused" in types and "campaign_resumed" in types
    missing = run("pause", "--store", store, "other")
    assert missing.returncode == 2
    assert b"no campaign named \"other\"" in missing.stderr


def test_run_with_only_the_store_runs_the_campaigns_it_has(tmp_path, store_at):
    outbox = tmp_path / "outbox"
    campaign = write_campaign(tmp_path, 5, outbox)
    store = store_at()
    # Entered with its file (nothing sent: --until is past), then run from the store alone, the
    # files gone: the store keeps the settings and the leads.
    run("run", campaign, "--store", store, "--until", "2025-06-01T00:00:00Z", check=0)
    for name in ("campaign.json", "sequence.json", "leads.csv"):
        (tmp_path / name).unlink(missing_ok=True)
    finished = run("run", "--store", store, check=0)
    assert b"completed 5" in finished.stdout
    assert len(os.listdir(outbox / "new")) == 10
    # Once more: nothing is left to send.
    run("run", "--store", store, check=0)
    assert len(os.listdir(outbox / "new")) == 10

    missing = run("run", "--store", tmp_path / "typo.db")
    assert missing.returncode == 2 and b"no such store" in missing.stderr
    assert not (tmp_path / "typo.db").exists()
    empty = store_at("empty.db")
    run("suppress", "add", "--store", empty, "ann@example.com", check=0)
    nothing = run("run", "--store", empty)
    assert nothing.returncode == 2 and b"has no campaign yet" in nothing.stderr


def test_run_logs_every_event_on_standard_error_as_text_or_json(tmp_path, store_at):
    outbox = tmp_path / "outbox"
    campaign = write_campaign(tmp_path, 2, outbox)
    text = run("run", campaign, "--store", store_at("text.db"), check=0).stderr.decode().splitlines()
    sent = [line for line in text if " sent " in line]
    assert len(sent) == 4
    assert all(line.startswith("outreach: 20") for line in text)
    assert "sent campaign=now lead=lead0@example.com step=1 variant=A mailbox=m1" in sent[0]

    json_store = store_at("json.db")
    logged = run("run", campaign, "--store", json_store, "--log-format", "json", check=0)
    lines = [json.loads(line) for line in logged.stderr.decode().splitlines()]
    assert lines == events_of(json_store)

    wrong = run("run", campaign, "--store", json_store, "--log-format", "xml")
    assert wrong.returncode == 2 and b"neither text nor json" in wrong.stderr


def test_suppressed_addresses_are_skipped_and_the_list_is_kept(tmp_path, store_at):
    outbox = tmp_path / "outbox"
    campaign = write_campaign(tmp_path, 4, outbox)
    store = store_at()
    run("suppress", "add", "--store", store, "LEAD0@example.com", check=0)
    addresses = tmp_path / "suppress.txt"
    addresses.write_text("# from the old tool\nlead1@example.com\n\nnot an address\n", encoding="utf-8")
    imported = run("suppress", "import", "--store", store, addresses)
    assert imported.returncode == 2
    assert b"suppress.txt:4:" in imported.stderr
    listed = run("suppress", "list", "--store", store, check=0).stdout.decode().splitlines()
    assert listed == ["lead0@example.com\tmanual", "lead1@example.com\tmanual"]
    run("run", campaign, "--store", store, check=0)
    skipped = [e for e in events_of(store) if e["type"] == "skipped"]
    assert sorted(e["lead"] for e in skipped) == ["lead0@example.com", "lead1@example.com"]
    run("suppress", "remove", "--store", store, "lead1@example.com", check=0)
    assert run("suppress", "list", "--store", store, check=0).stdout.decode().splitlines() == [
        "lead0@example.com\tmanual"]


def test_forget_erases_an_address_but_keeps_its_suppression(tmp_path, store_at):
    outbox = tmp_path / "outbox"
    campaign = write_campaign(tmp_path, 3, outbox)
    store = store_at()
    run("run", campaign, "--store", store, check=0)
    run("suppress", "add", "--store", store, "lead2@example.com", check=0)
    erased = run("forget", "--store", store, "Lead2@Example.com", check=0).stdout.decode()
    assert int(erased.split()[0]) > 0
    assert all(e.get("lead", "").lower() != "lead2@example.com" for e in events_of(store))
    assert any(e.get("lead") == "lead1@example.com" for e in events_of(store))
    assert "lead2@example.com\tmanual" in run("suppress", "list", "--store", store, check=0).stdout.decode()


def test_a_file_that_is_not_a_store_is_refused_and_left_alone(tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_bytes(b"these are my notes, not a database\n" * 100)
    before = bogus.read_bytes()
    result = run("status", "--store", bogus)
    assert result.returncode != 0
    assert str(bogus).encode() in result.stderr
    assert bogus.read_bytes() == before


def test_sigint_and_sigterm_stop_a_run_cleanly_after_the_send_in_flight(tmp_path, store_at):
    import signal
    import time
    for number in (signal.SIGINT, signal.SIGTERM):
        folder = tmp_path / number.name
        folder.mkdir()
        outbox = folder / "outbox"
        campaign = write_campaign(folder, 5, outbox)
        # One send a minute: the run waits between sends, as real campaigns do.
        settings = json.loads(campaign.read_text())
        settings["mailboxes"][0]["min_interval"] = {"minutes": 1}
        campaign.write_text(json.dumps(settings))
        store = store_at(f"{number.name}.db")
        process = subprocess.Popen([CLI, "run", str(campaign), "--store", str(store)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while not ((outbox / "new").exists() and os.listdir(outbox / "new")):
            assert time.monotonic() < deadline, "nothing was sent"
            time.sleep(0.05)
        process.send_signal(number)
        out, err = process.communicate(timeout=10)
        assert process.returncode == 0, err.decode(errors="replace")
        assert "campaign now: running" in out.decode()
        sent = [e for e in events_of(store) if e["type"] == "sent"]
        assert len(sent) == len(os.listdir(outbox / "new")) == 1
        # Nothing was left in doubt, and the next run goes on from there.
        assert not [e for e in events_of(store) if e["type"] == "in_doubt"]


def test_run_refuses_unsubscribe_links_anyone_could_forge_and_simulate_warns(tmp_path, store_at):
    outbox = tmp_path / "outbox"
    campaign = write_campaign(tmp_path, 2, outbox)
    settings = json.loads(campaign.read_text(encoding="utf-8"))
    settings["unsubscribe"] = {"url": "https://acme.example/u/{{token}}", "secret_env": "TEST_UNSUBSCRIBE_SECRET"}
    campaign.write_text(json.dumps(settings), encoding="utf-8")
    store = store_at()

    def run_with(secret):
        environment = {key: value for key, value in os.environ.items() if key != "TEST_UNSUBSCRIBE_SECRET"}
        if secret is not None:
            environment["TEST_UNSUBSCRIBE_SECRET"] = secret
        return subprocess.run([CLI, "run", str(campaign), "--store", str(store)],
                              capture_output=True, timeout=120, env=environment)

    for secret, says in ((None, "which is not set"), ("", "which is not set"),
                         ("fifteen bytes!!", "shorter than 16 bytes")):
        refused = run_with(secret)
        assert refused.returncode != 0
        message = refused.stderr.decode()
        assert "TEST_UNSUBSCRIBE_SECRET" in message and says in message and "forge" in message
        assert not (outbox / "new").exists() or not os.listdir(outbox / "new"), "nothing was sent"
    ran = run_with("a long enough secret, 32 bytes..")
    assert ran.returncode == 0, ran.stderr.decode()
    assert len(os.listdir(outbox / "new")) == 4
    # A simulation sends nothing real: it warns and goes on.
    simulated = subprocess.run([CLI, "simulate", str(campaign), "--days", "1"], capture_output=True, timeout=120,
                               env={key: value for key, value in os.environ.items() if key != "TEST_UNSUBSCRIBE_SECRET"})
    assert simulated.returncode == 0, simulated.stderr.decode()
    assert "sealed with an empty secret" in simulated.stderr.decode()


def test_a_simulation_keeps_the_same_events_and_summary_on_sqlite_and_on_postgresql(tmp_path, postgresql):
    logs = {}
    for kind, store in (("sqlite", tmp_path / "state.db"), ("postgresql", postgresql.create_database())):
        summary = run("simulate", EXAMPLE / "campaign.json", "--inbound", EXAMPLE / "inbound.jsonl",
                      "--store", store, "--json", check=0).stdout
        logs[kind] = (json.loads(summary), events_of(store),
                      run("status", "--store", store, check=0).stdout.decode())
    assert len(logs["sqlite"][1]) > 100
    assert logs["postgresql"] == logs["sqlite"]


def test_a_password_in_a_postgresql_location_never_shows(postgresql):
    uri = postgresql.create_database().replace("postgres@", "postgres:hunter2@")
    missing = uri.replace("/t", "/no_such_t", 1)
    for args in (("status", "--store", missing), ("run", "--store", uri),
                 ("pause", "--store", missing, "q4", "--no-wait")):
        result = run(*args)
        assert result.returncode != 0
        assert b"hunter2" not in result.stderr + result.stdout, result.stderr
        assert b"postgres@" in result.stderr, result.stderr


def test_explain_says_what_holds_a_lead_and_when_it_goes_then_simulate_sends_it_then(tmp_path, store_at):
    store = store_at()
    run("simulate", EXAMPLE / "campaign.json", "--store", store, "--days", "3", check=0)
    lead = "ana@tidaldesk.example.com"
    explained = json.loads(run("explain", "--store", store, "q4-saas-founders", lead, "--json", check=0).stdout)
    assert set(explained) >= {"status", "next_step", "earliest", "held_by", "history"}
    assert explained["at"] == events_of(store)[-1]["at"]
    assert explained["status"] in ("pending", "active")
    assert explained["earliest"] is not None
    assert all(set(hold) == {"reason", "until"} for hold in explained["held_by"])
    step = explained["next_step"]
    text = run("explain", "--store", store, "q4-saas-founders", lead, check=0).stdout.decode()
    assert f"next step {step}" in text and "earliest: " + explained["earliest"] in text
    # Nothing was written: the store's log is the simulation's.
    before = events_of(store)
    run("explain", "--store", store, "q4-saas-founders", lead, "--at", "2027-01-05T12:00:00Z", check=0)
    assert events_of(store) == before
    # The simulation goes on from the store, and sends the step at the explained instant.
    run("simulate", EXAMPLE / "campaign.json", "--store", store, "--days", "40", check=0)
    sent = [e for e in events_of(store) if e["type"] == "sent" and e.get("lead") == lead and e["step"] == step]
    assert sent and sent[0]["at"] == explained["earliest"]
    # Bad questions are status 2, with a message.
    missing = run("explain", "--store", store, "q4-saas-founders", "nobody@example.com")
    assert missing.returncode == 2 and b"has no lead nobody@example.com" in missing.stderr
    early = run("explain", "--store", store, "q4-saas-founders", lead, "--at", "2026-11-01T00:00:00Z")
    assert early.returncode == 2 and b"cannot be before it" in early.stderr


def test_forecast_gives_the_days_a_simulation_then_sends(tmp_path, store_at):
    store = store_at()
    partway = json.loads(run("simulate", EXAMPLE / "campaign.json", "--store", store, "--days", "4", "--json",
                             check=0).stdout)
    forecast = json.loads(run("forecast", "--store", store, "q4-saas-founders", "--json", check=0).stdout)
    assert set(forecast) == {"campaign", "from", "ends", "sends", "days"}
    assert forecast["sends"] == sum(day["sent"] for day in forecast["days"]) > 0
    fewer = json.loads(run("forecast", "--store", store, "q4-saas-founders", "--reply-rate", "0.5", "--json",
                           check=0).stdout)
    assert fewer["sends"] < forecast["sends"]
    text = run("forecast", "--store", store, "q4-saas-founders", check=0).stdout.decode()
    assert f"{forecast['sends']} sends to come, the last at {forecast['ends']}" in text
    assert "sends per day and mailbox" in text
    whole = json.loads(run("simulate", EXAMPLE / "campaign.json", "--store", store, "--days", "60", "--json",
                           check=0).stdout)
    before = {(d["date"], d["mailbox"]): d["sent"] for d in partway["campaigns"][0]["days"]}
    came = {}
    for day in whole["campaigns"][0]["days"]:
        more = day["sent"] - before.get((day["date"], day["mailbox"]), 0)
        if more:
            came[(day["date"], day["mailbox"])] = more
    assert came == {(d["date"], d["mailbox"]): d["sent"] for d in forecast["days"]}
    for bad in (["--reply-rate", "2"], ["--reply-rate", "x"], ["--from", "yesterday"]):
        assert run("forecast", "--store", store, "q4-saas-founders", *bad).returncode == 2
    assert run("forecast", "--store", store, "nope").returncode == 2
