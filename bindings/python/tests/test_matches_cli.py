"""The binding decides what the command line decides: for the example campaign and for randomized
campaigns, the events are byte for byte the lines of ``outreach simulate --events`` and the
summary is the object of ``outreach simulate --json``."""

from __future__ import annotations

import csv
import datetime
import json
import random
from pathlib import Path
from typing import Any, Dict, List

import pytest

import outreach
from conftest import (
    EXAMPLE_CAMPAIGN,
    EXAMPLE_INBOUND,
    cli_simulate,
    first_difference,
    python_simulate,
    quietly,
    run_cli,
    write_json,
)


def assert_same(python: Any, cli: Any) -> None:
    py_summary, py_events = python[0], python[1]
    cli_summary, cli_events = cli[0], cli[1]
    assert py_events == cli_events, first_difference(py_events, cli_events)
    assert py_summary == cli_summary


# ---- the example campaign ---------------------------------------------------------------------


def test_the_example_simulates_as_the_command_line_does(cli: str, tmp_path: Path) -> None:
    python = python_simulate(EXAMPLE_CAMPAIGN)
    reference = cli_simulate(cli, EXAMPLE_CAMPAIGN, tmp_path)
    assert_same(python, reference)
    assert python[1].count(b"\n") > 1000
    # The one warning (the unsubscribe secret) reaches Python as the CLI prints it.
    assert python[2] == [line.removeprefix("outreach: warning: ") for line in reference[2].splitlines()]


def test_the_example_with_its_inbound_script_simulates_as_the_command_line_does(cli: str, tmp_path: Path) -> None:
    python = python_simulate(EXAMPLE_CAMPAIGN, inbound=EXAMPLE_INBOUND)
    reference = cli_simulate(cli, EXAMPLE_CAMPAIGN, tmp_path, "--inbound", EXAMPLE_INBOUND)
    assert_same(python, reference)
    assert b'"type":"replied"' in python[1] and b'"type":"bounced"' in python[1]


def test_an_inbound_script_as_a_list_of_dicts_is_the_same_as_the_file(cli: str, tmp_path: Path) -> None:
    lines = [json.loads(line) for line in EXAMPLE_INBOUND.read_text(encoding="utf-8").splitlines() if line.strip()]
    python = python_simulate(EXAMPLE_CAMPAIGN, inbound=lines)
    reference = cli_simulate(cli, EXAMPLE_CAMPAIGN, tmp_path, "--inbound", EXAMPLE_INBOUND)
    assert_same(python, reference)


def test_a_window_from_and_until_simulates_as_the_command_line_does(cli: str, tmp_path: Path) -> None:
    start, end = "2026-12-03T15:30:00Z", "2026-12-18T12:00:00Z"
    python = python_simulate(EXAMPLE_CAMPAIGN, inbound=EXAMPLE_INBOUND, from_=start, until=end)
    reference = cli_simulate(
        cli, EXAMPLE_CAMPAIGN, tmp_path, "--inbound", EXAMPLE_INBOUND, "--from", start, "--until", end
    )
    assert_same(python, reference)
    assert python[0]["campaigns"][0]["status"] == "running"


def test_a_campaign_given_as_a_dict_with_a_base_dir_is_the_same_as_the_file(cli: str, tmp_path: Path) -> None:
    definition = json.loads(EXAMPLE_CAMPAIGN.read_text(encoding="utf-8"))
    with outreach.Campaign.from_dict(definition, base_dir=EXAMPLE_CAMPAIGN.parent) as campaign:
        python = python_simulate(campaign, inbound=EXAMPLE_INBOUND)
    reference = cli_simulate(cli, EXAMPLE_CAMPAIGN, tmp_path, "--inbound", EXAMPLE_INBOUND)
    assert_same(python, reference)


def test_the_one_call_simulate_writes_the_same_events_file_and_outbox(cli: str, tmp_path: Path) -> None:
    events = tmp_path / "python-events.jsonl"
    outbox = tmp_path / "python-outbox"
    summary = quietly(
        outreach.simulate, EXAMPLE_CAMPAIGN, inbound=EXAMPLE_INBOUND, events=events, outbox=outbox,
        until="2026-12-04T00:00:00Z",
    )
    cli_outbox = tmp_path / "cli-outbox"
    reference = cli_simulate(
        cli, EXAMPLE_CAMPAIGN, tmp_path, "--inbound", EXAMPLE_INBOUND, "--outbox", cli_outbox,
        "--until", "2026-12-04T00:00:00Z",
    )
    assert summary == reference[0]
    assert events.read_bytes() == reference[1]
    python_files = sorted(p.name for p in (outbox / "new").iterdir())
    cli_files = sorted(p.name for p in (cli_outbox / "new").iterdir())
    assert python_files == cli_files and len(python_files) == reference[1].count(b'"type":"sent"')
    for name in python_files[:25]:
        assert (outbox / "new" / name).read_bytes() == (cli_outbox / "new" / name).read_bytes()


# ---- randomized campaigns -----------------------------------------------------------------------

ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney", "America/Los_Angeles"]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
FIRST_NAMES = ["Ana", "Noah", "Zoë", "Søren", "Li", "", "Amélie", "Kwame"]
COMPANIES = ["Tidaldesk", "Quillops", "", "Brightloop", "Nordlicht GmbH", "Café Ñandú"]


def random_variant(rng: random.Random, needs_subject: bool, index: int) -> Dict[str, Any]:
    variant: Dict[str, Any] = {"weight": rng.randint(1, 3)}
    if needs_subject or rng.random() < 0.3:
        variant["subject"] = rng.choice(
            [
                "{Quick|Short} question about {{company | \"your team\"}}",
                "{{first_name | \"Hi\"}}, an idea",
                "Hello from {{sender.name}}",
                "{{company}} + Acme?",
            ]
        )
    variant["text"] = rng.choice(
        [
            "Hi {{first_name | \"there\"}},\n\n{I saw|I noticed} {{company | \"your work\"}}.\n\n{{sender.name}}",
            "Hey {{first_name}}, {one|two|three} quick things.\n",
            "Plan: {{plan | \"none\"}}. Unsubscribe: {{unsubscribe_url}}",
            "Hello,\n\nJust {bumping|checking on} this.\n",
        ]
    )
    if rng.random() < 0.3:
        variant["html"] = "<p>Hi {{first_name | \"there\"}}, <b>{{company | \"friend\"}}</b></p>"
    if rng.random() < 0.5:
        variant["name"] = f"V{index}"
    return variant


def shift(day: str, days: int) -> str:
    """The date ``days`` after ``day`` (both YYYY-MM-DD)."""
    return (datetime.date.fromisoformat(day) + datetime.timedelta(days=days)).isoformat()


def lead_address(index: int) -> str:
    """The address of the lead at ``index``; a few share a domain (for ``domain_reply``)."""
    return f"lead{index}@d{index % 7}.example"


def random_campaign(seed: int, folder: Path) -> Dict[str, Any]:
    rng = random.Random(seed)
    steps: List[Dict[str, Any]] = []
    for number in range(rng.randint(1, 3)):
        step: Dict[str, Any] = {}
        thread = "new" if number == 0 else rng.choice(["reply", "reply", "new"])
        if number > 0:
            step["thread"] = thread
            step["delay"] = rng.choice(
                [{"days": rng.randint(1, 4)}, {"hours": rng.randint(1, 30)}, {"business_days": rng.randint(1, 3)},
                 {"days": 1, "minutes": 30}]
            )
        step["variants"] = [
            random_variant(rng, thread == "new", index) for index in range(rng.randint(1, 3))
        ]
        steps.append(step)
    sequence = {"name": f"random-{seed}", "steps": steps}

    leads: List[Dict[str, str]] = []
    for index in range(rng.randint(10, 60)):
        lead = {"email": lead_address(index)}
        first = rng.choice(FIRST_NAMES)
        if first:
            lead["first_name"] = first
        company = rng.choice(COMPANIES)
        if company:
            lead["company"] = company
        if rng.random() < 0.5:
            lead["timezone"] = rng.choice(ZONES + ["Mars/Olympus_Mons"])
        if rng.random() < 0.3:
            lead["plan"] = rng.choice(["pro", "team"])
        leads.append(lead)

    windows = []
    start_hour = rng.randint(0, 10)
    end_hour = rng.randint(start_hour + 1, min(24, start_hour + 9))
    windows.append(f"{start_hour:02d}:00-{end_hour:02d}:00" if end_hour < 24 else f"{start_hour:02d}:00-24:00")
    if end_hour < 22 and rng.random() < 0.5:
        windows.append(f"{end_hour + 1:02d}:30-{min(24, end_hour + 4):02d}:00")
    day = rng.choice(["2026-12-01", "2027-03-05", "2027-10-28", "2026-06-15"])
    schedule: Dict[str, Any] = {
        "timezone": rng.choice(ZONES),
        "lead_timezone": rng.random() < 0.5,
        "days": sorted(rng.sample(DAYS, rng.randint(2, 7)), key=DAYS.index),
        "hours": windows,
        "start": day if rng.random() < 0.7 else f"{day}T{rng.randint(0, 23):02d}:15:00Z",
    }
    if rng.random() < 0.3:
        schedule["end"] = shift(day, 10)
    if rng.random() < 0.4:
        schedule["skip_dates"] = [shift(day, 2)]

    mailboxes = []
    for index in range(rng.randint(1, 3)):
        mailbox: Dict[str, Any] = {
            "id": f"mb{index}",
            "from": f"Sender {index} <s{index}@acme{index}.example>",
            "daily_limit": rng.randint(3, 25),
        }
        if rng.random() < 0.7:
            mailbox["min_interval"] = {"minutes": rng.randint(1, 20)}
        if rng.random() < 0.5:
            mailbox["jitter"] = {"minutes": rng.randint(1, 5)}
        if rng.random() < 0.4:
            mailbox["ramp"] = {"start": rng.randint(1, 5), "step": rng.randint(1, 5)}
        if rng.random() < 0.3:
            mailbox["timezone"] = rng.choice(ZONES)
        mailboxes.append(mailbox)

    campaign: Dict[str, Any] = {
        "name": f"random-{seed}",
        "seed": rng.randint(0, 10**6),
        "schedule": schedule,
        "mailboxes": mailboxes,
        "stop_on": {
            "reply": True,
            "auto_reply": rng.choice([True, False, "pause_until_return"]),
            "bounce": True,
            "domain_reply": rng.random() < 0.5,
        },
        "unsubscribe": {"url": "https://acme.example/u/{{token}}", "secret_env": "OUTREACH_TEST_UNSET_SECRET"},
    }
    if rng.random() < 0.5:
        campaign["limits"] = {"new_leads_per_day": rng.randint(2, 20), "sends_per_day": rng.randint(5, 40)}
    if rng.random() < 0.3:
        campaign["bounces"] = {"soft_limit": 2, "pause_rate": 0.3, "pause_window": 10}

    # Sequence and leads: inline or in files, as either may come.
    if rng.random() < 0.5:
        campaign["sequence"] = sequence
    else:
        write_json(folder / "sequence.json", sequence)
        campaign["sequence"] = "sequence.json"
    if rng.random() < 0.5:
        campaign["leads"] = leads
    else:
        columns = ["email", "first_name", "company", "timezone", "plan"]
        with open(folder / "leads.csv", "w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=columns)
            writer.writeheader()
            for lead in leads:
                writer.writerow(lead)
            file.write("not-an-address,x,y,,\n")  # reported and left out
        campaign["leads"] = "leads.csv"
    return campaign


def random_inbound(seed: int, campaign: Dict[str, Any], leads: int) -> List[Dict[str, Any]]:
    rng = random.Random(seed * 31 + 1)
    start = campaign["schedule"]["start"][:10]
    events = []
    for _ in range(rng.randint(1, 10)):
        kind = rng.choice(["reply", "auto_reply", "bounce", "unsubscribe", "complaint"])
        event: Dict[str, Any] = {
            "at": f"{shift(start, rng.randint(0, 6))}T{rng.randint(10, 23):02d}:{rng.randint(0, 59):02d}:00Z",
            "lead": lead_address(rng.randint(0, leads + 2)),
            "type": kind,
        }
        if kind == "bounce":
            event["kind"] = rng.choice(["hard", "soft"])
        if kind == "auto_reply" and rng.random() < 0.5:
            event["return_date"] = shift(start, 9)
        events.append(event)
    events.sort(key=lambda e: e["at"])
    return events


SEEDS = [11, 23, 37, 41, 59, 67, 73, 89]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_randomized_campaign_simulates_as_the_command_line_does(cli: str, tmp_path: Path, seed: int) -> None:
    folder = tmp_path / "campaign"
    folder.mkdir()
    definition = random_campaign(seed, folder)
    path = write_json(folder / "campaign.json", definition)
    with outreach.Campaign.load(path) as campaign:
        assert campaign.name == f"random-{seed}"
        lead_total = campaign.lead_count
        assert lead_total >= 10
    inbound = random_inbound(seed, definition, lead_total)
    script = tmp_path / "inbound.jsonl"
    script.write_text("".join(json.dumps(e) + "\n" for e in inbound), encoding="utf-8")

    python = python_simulate(path, inbound=inbound)
    reference = cli_simulate(cli, path, tmp_path, "--inbound", script)
    assert_same(python, reference)
    # The same lines are left out, on both sides.
    left_out_cli = reference[2].count("(line left out)")
    left_out_python = sum("(line left out)" in message for message in python[2])
    assert left_out_python == left_out_cli

    # A dry run and a Python transport that accepts everything decide the same.
    class Accept:
        needs_message_data = False

        def send(self, message: outreach.Message) -> outreach.Accepted:
            return outreach.Accepted()

    through_transport = python_simulate(path, inbound=script, transport=Accept())
    assert_same(through_transport, reference)


def test_simulating_in_parts_gives_the_events_of_one_simulation(tmp_path: Path) -> None:
    folder = tmp_path / "campaign"
    folder.mkdir()
    path = write_json(folder / "campaign.json", random_campaign(SEEDS[0], folder))
    whole = python_simulate(path)
    with outreach.Engine() as engine:
        quietly(engine.add_campaign, path)
        first = quietly(engine.simulate, "2026-12-05T00:00:00Z")
        middle = engine.event_count
        quietly(engine.simulate)
        lines = engine.event_lines()
        assert engine.event_lines(middle) == lines[middle:]
        assert engine.events(middle) == [json.loads(line) for line in lines[middle:]]
    assert "".join(line + "\n" for line in lines).encode() == whole[1]
    assert first["campaigns"][0]["name"] == f"random-{SEEDS[0]}"


def test_the_command_line_reports_the_bad_lines_the_binding_warns_about(cli: str, tmp_path: Path) -> None:
    script = tmp_path / "inbound.jsonl"
    lines = EXAMPLE_INBOUND.read_text(encoding="utf-8").splitlines()
    lines.insert(1, '{"at": "2026-12-02T11:00:00Z", "lead": "nobody@nowhere.example", "type": "reply"}')
    lines.insert(3, '{"at": "2026-12-02T11:00:00Z", "lead": "hello@northly.example.io", "type": "reply", "mood": 1}')
    lines.insert(5, "{not json")
    lines.insert(6, "")
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    python = python_simulate(EXAMPLE_CAMPAIGN, inbound=script)
    reference = cli_simulate(cli, EXAMPLE_CAMPAIGN, tmp_path, "--inbound", script)
    assert_same(python, reference)
    left_out = [m for m in python[2] if "(line left out)" in m]
    assert len(left_out) == 3 == reference[2].count("(line left out)")
    assert f"{script}:2: " in left_out[0] and "nobody@nowhere.example" in left_out[0]
    assert f"{script}:4: mood: unknown key \"mood\"" in left_out[1]
    assert f"{script}:6: " in left_out[2]
    # The command line names the same lines.
    assert f"{script}:4: mood: unknown key \"mood\"" in reference[2]
    assert f"{script}:6: " in reference[2]


def test_the_cli_and_the_binding_agree_on_the_sequence_fingerprint(cli: str) -> None:
    from conftest import EXAMPLE_SEQUENCE

    out = run_cli(cli, "validate", EXAMPLE_SEQUENCE).stdout.decode()
    with outreach.Sequence.load(EXAMPLE_SEQUENCE) as sequence:
        assert f"fingerprint {sequence.fingerprint}" in out
