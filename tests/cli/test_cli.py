"""The outreach command line, driven as a user would, its output read by Python's email package."""

import email
import email.policy
import json
import os
import subprocess
from pathlib import Path

import pytest

CLI = os.environ["OUTREACH_CLI"]
SOURCE = Path(os.environ["OUTREACH_SOURCE_DIR"])
EXAMPLE = SOURCE / "docs" / "examples" / "saas-founders"
SEQUENCE = EXAMPLE / "sequence.json"
LEAD = EXAMPLE / "lead.json"
AT = "2026-12-01T14:03:12Z"


def run(*args, check=None):
    result = subprocess.run([CLI, *map(str, args)], capture_output=True, timeout=60)
    if check is not None:
        assert result.returncode == check, result.stderr.decode(errors="replace")
    return result


def render(tmp_path, lead, *extra, sequence=SEQUENCE):
    lead_file = tmp_path / "lead.json"
    lead_file.write_text(json.dumps(lead), encoding="utf-8")
    return run("render", sequence, "--lead", lead_file, "--at", AT, *extra)


def parse(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def body_text(message):
    part = message.get_body(preferencelist=("plain",))
    return part.get_content().replace("\r\n", "\n")


def test_validate_prints_a_summary_of_the_example_sequence():
    result = run("validate", SEQUENCE, check=0)
    out = result.stdout.decode()
    assert "a valid sequence \"saas-founders-3-step\"" in out
    assert "fingerprint " in out
    assert "step 1: new thread, right away; variants A (weight 1), B (weight 1)" in out
    assert "step 2: reply in the thread, 3 days later" in out
    assert "step 3: new thread, 4 business days later" in out
    assert "company" in out and "sender.name" in out


def test_validate_gives_the_same_fingerprint_every_run():
    first = run("validate", SEQUENCE, check=0).stdout
    second = run("validate", SEQUENCE, check=0).stdout
    assert first == second


def test_validate_reports_every_error_with_its_json_path(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({
        "steps": [
            {"variants": [{"subjct": "Hi", "text": "Hello {{first_name"}]},
            {"thread": "sideways", "variants": [{"text": "x", "weight": 0}]},
        ]
    }), encoding="utf-8")
    result = run("validate", bad, check=2)
    err = result.stderr.decode()
    assert f"{bad}: steps[0].variants[0].subjct: unknown key \"subjct\" (did you mean \"subject\"?)" in err
    assert "steps[0].variants[0].text: step 1, variant \"A\", text: unterminated {{" in err
    assert "steps[1].thread: thread must be \"reply\" or \"new\"" in err
    assert "steps[1].variants[0].weight: must be from 1" in err
    assert "errors" in err
    assert result.stdout == b""


def test_validate_names_the_line_of_malformed_json(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{\n  "steps": [\n    {"variants": [}\n  ]\n}\n', encoding="utf-8")
    err = run("validate", bad, check=2).stderr.decode()
    assert f"{bad}:3: invalid JSON" in err


def test_validate_a_missing_file_is_bad_input(tmp_path):
    err = run("validate", tmp_path / "nope.json", check=2).stderr.decode()
    assert "nope.json" in err and "no such file" in err


def test_unknown_commands_and_options_are_refused():
    assert run("frobnicate").returncode == 2
    assert run("render", SEQUENCE, "--lead", LEAD, "--colour", "blue").returncode == 2
    assert run("render", SEQUENCE).returncode == 2


def test_render_prints_the_complete_first_message(tmp_path):
    lead = json.loads(LEAD.read_text(encoding="utf-8"))
    result = render(tmp_path, lead)
    assert result.returncode == 0, result.stderr
    data = result.stdout
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    message = parse(data)
    assert message["To"].addresses[0].addr_spec == "maria.garcia@brightloop.example"
    assert message["To"].addresses[0].display_name == "María García"
    assert message["From"].addresses[0].addr_spec == "sender@example.com"
    assert "Brightloop" in message["Subject"]
    assert message["Date"] == "Tue, 01 Dec 2026 14:03:12 +0000"
    assert message["Message-ID"].endswith("@example.com>")
    text = body_text(message)
    assert "María" in text and "Brightloop" in text
    assert "{{" not in text and "{{" not in message["Subject"]


def test_render_is_deterministic_for_the_same_lead_and_seed(tmp_path):
    lead = json.loads(LEAD.read_text(encoding="utf-8"))
    assert render(tmp_path, lead).stdout == render(tmp_path, lead).stdout
    assert render(tmp_path, lead, "--seed", "1").stdout != b""


def test_a_reply_step_threads_under_the_first_message(tmp_path):
    lead = json.loads(LEAD.read_text(encoding="utf-8"))
    first = parse(render(tmp_path, lead, "--step", "1").stdout)
    second = parse(render(tmp_path, lead, "--step", "2").stdout)
    third = parse(render(tmp_path, lead, "--step", "3").stdout)
    assert second["In-Reply-To"] == first["Message-ID"]
    assert second["References"] == first["Message-ID"]
    assert second["Subject"] == "Re: " + first["Subject"]
    assert second["Message-ID"] != first["Message-ID"]
    assert third["Subject"] == "Closing the loop"
    assert third["In-Reply-To"] is None
    assert "bumping this up" in body_text(second)


def test_a_missing_field_without_fallback_says_the_lead_would_be_skipped(tmp_path):
    result = render(tmp_path, {"email": "x@example.com", "first_name": "X"})
    assert result.returncode == 2
    assert "missing_field:company" in result.stderr.decode()
    assert result.stdout == b""


def test_fallbacks_fill_missing_fields(tmp_path):
    message = parse(render(tmp_path, {"email": "x@example.com", "company": "Umbra"}, "--step", "3").stdout)
    assert body_text(message).startswith("Hi there,")


def test_hostile_lead_values_never_inject_headers(tmp_path):
    lead = {
        "email": "victim@example.com",
        "first_name": "Eve\r\nBcc: everyone@example.com",
        "company": "Evil\r\nBcc: all@example.com\r\n\r\n<script>",
        "title": "{{company}} {a|b} \\{",
    }
    result = render(tmp_path, lead)
    if result.returncode != 0:
        assert result.returncode == 2 and b"outreach:" in result.stderr
        return
    data = result.stdout
    header_block = data.split(b"\r\n\r\n", 1)[0]
    for line in header_block.split(b"\r\n"):
        assert not line.lower().startswith(b"bcc:")
    message = parse(data)
    assert message["Bcc"] is None
    assert "Evil" in message["Subject"]


def test_render_with_html_variant_is_multipart_alternative(tmp_path):
    # Find a lead that gets variant B (the one with html) under seed 0.
    for i in range(50):
        lead = {"email": f"p{i}@example.com", "first_name": "Ann", "company": "Ünïcode & Co <b>"}
        message = parse(render(tmp_path, lead).stdout)
        if message.get_content_type() == "multipart/alternative":
            html = message.get_body(preferencelist=("html",)).get_content()
            assert "Ünïcode &amp; Co &lt;b&gt;" in html
            assert "Ünïcode & Co <b>" in body_text(message)
            return
    pytest.fail("no lead of 50 got the html variant")


CAMPAIGN = EXAMPLE / "campaign.json"
INBOUND = EXAMPLE / "inbound.jsonl"


def simulate(*extra, campaign=CAMPAIGN):
    return run("simulate", campaign, "--inbound", INBOUND, *extra)


def test_validate_a_campaign_prints_its_summary():
    result = run("validate", CAMPAIGN, check=0)
    out = result.stdout.decode()
    assert "a valid campaign \"q4-saas-founders\"" in out
    assert "leads 500" in out
    assert "alice (40 a day, warm-up)" in out


def test_simulate_the_example_prints_the_tables(tmp_path):
    result = simulate()
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    assert "campaign q4-saas-founders: finished" in out
    assert "sends per day and mailbox" in out
    assert "step variant" in out
    assert "leads:" in out and "completed" in out


def test_simulate_gives_byte_identical_event_logs(tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert simulate("--events", first).returncode == 0
    assert simulate("--events", second).returncode == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.stat().st_size > 0


def test_simulate_json_summary_matches_the_event_log(tmp_path):
    events_path = tmp_path / "events.jsonl"
    result = simulate("--json", "--events", events_path)
    assert result.returncode == 0, result.stderr.decode()
    summary = json.loads(result.stdout)
    campaign = summary["campaigns"][0]
    events = [json.loads(line) for line in events_path.read_text(encoding="utf-8").splitlines()]
    sent = [e for e in events if e["type"] == "sent"]
    assert sum(v["sent"] for s in campaign["steps"] for v in s["variants"]) == len(sent)
    assert sum(d["sent"] for d in campaign["days"]) == len(sent)
    assert sum(campaign["leads"].values()) == 500
    # Each lead that entered ends with exactly one terminal event.
    terminal = {}
    for e in events:
        if e["type"] in ("completed", "stopped", "skipped", "failed"):
            assert e["lead"] not in terminal, e
            terminal[e["lead"]] = e["type"]
    assert len(terminal) == 500
    # No lead got a step twice, and every event is in time order.
    seen = set()
    for e in sent:
        key = (e["lead"], e["step"])
        assert key not in seen
        seen.add(key)
    instants = [e["at"] for e in events]
    assert instants == sorted(instants)


def test_simulate_with_an_outbox_writes_every_message(tmp_path):
    outbox = tmp_path / "outbox"
    events_path = tmp_path / "events.jsonl"
    result = simulate("--outbox", outbox, "--events", events_path, "--days", "3")
    assert result.returncode == 0, result.stderr.decode()
    files = sorted((outbox / "new").glob("*.eml"))
    sent = [json.loads(l) for l in events_path.read_text(encoding="utf-8").splitlines() if '"type":"sent"' in l]
    assert len(files) == len(sent) > 0
    by_id = {e["message_id"]: e for e in sent}
    for path in files[:50]:
        message = parse(path.read_bytes())
        event = by_id[message["Message-ID"]]
        assert message["To"].addresses[0].addr_spec.lower() == event["lead"].lower()
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "https://acme.example/u/" in message["List-Unsubscribe"]


def test_simulate_until_stops_early(tmp_path):
    events_path = tmp_path / "events.jsonl"
    assert simulate("--until", "2026-12-02T00:00:00Z", "--events", events_path).returncode == 0
    for line in events_path.read_text(encoding="utf-8").splitlines():
        assert json.loads(line)["at"] <= "2026-12-02T00:00:00Z"


def test_simulate_reports_bad_inbound_lines_and_goes_on(tmp_path):
    inbound = tmp_path / "inbound.jsonl"
    inbound.write_text(
        '{"at": "2026-12-02T10:00:00Z", "lead": "nobody@nowhere.example", "type": "reply"}\n'
        '{"at": "not a time", "lead": "x@y.example", "type": "reply"}\n'
        'not json\n'
        '{"at": "2026-12-02T10:00:00Z", "lead": "x@y.example", "type": "teleport"}\n', encoding="utf-8")
    result = run("simulate", CAMPAIGN, "--inbound", inbound, "--days", "1")
    assert result.returncode == 0, result.stderr.decode()
    err = result.stderr.decode()
    assert "nobody@nowhere.example" in err
    assert f"{inbound}:2: at:" in err
    assert f"{inbound}:3:" in err
    assert f"{inbound}:4: type:" in err


def test_simulate_a_malformed_campaign_is_bad_input(tmp_path):
    bad = tmp_path / "campaign.json"
    bad.write_text(json.dumps({"name": "x", "sequence": str(SEQUENCE), "leads": [{"email": "a@b.example"}],
                               "schedule": {"timezone": "Mars/Olympus"}, "mailboxes": [], "colour": 1}),
                   encoding="utf-8")
    result = run("simulate", bad)
    assert result.returncode == 2
    err = result.stderr.decode()
    assert "schedule.timezone" in err and "colour" in err and "mailboxes" in err


def test_a_thousand_hostile_leads_simulate_without_injection(tmp_path):
    import random
    rng = random.Random(1000)
    hostile = ["\r\nBcc: x@evil.example", "{{company}}", "{a|b}", "\\{", "\u202e" * 5, "x" * 5000, "Zoë \"quoted\"",
               "<script>alert(1)</script>", "=?UTF-8?B?SGk=?="]
    rows = ["email,first_name,last_name,company,title"]
    for i in range(1000):
        values = [rng.choice(hostile) for _ in range(4)]
        fields = ['"' + v.replace('"', '""') + '"' for v in values]
        rows.append(f"lead{i}@hostile.example," + ",".join(fields))
    (tmp_path / "leads.csv").write_bytes(("\r\n".join(rows) + "\r\n").encode("utf-8") + b"bad\xff@x.example,a,b,c,d\r\n")
    campaign = json.loads(CAMPAIGN.read_text(encoding="utf-8"))
    campaign["sequence"] = str(SEQUENCE)
    campaign["leads"] = "leads.csv"
    campaign["limits"] = {}
    for m in campaign["mailboxes"]:
        m["daily_limit"] = 1000
        m.pop("ramp", None)
        m["transport"] = "outbox:out"
    (tmp_path / "campaign.json").write_text(json.dumps(campaign), encoding="utf-8")
    outbox = tmp_path / "outbox"
    result = run("simulate", tmp_path / "campaign.json", "--outbox", outbox, "--days", "2")
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    files = list((outbox / "new").glob("*.eml"))
    assert len(files) > 100
    for path in files:
        data = path.read_bytes()
        header_block = data.split(b"\r\n\r\n", 1)[0]
        for line in header_block.split(b"\r\n"):
            assert not line.lower().startswith(b"bcc:"), path
            assert len(line) <= 998
        assert b"\n" not in data.replace(b"\r\n", b"")
        assert parse(data)["Bcc"] is None


def test_an_unusable_lead_list_is_bad_input_naming_the_file(tmp_path):
    (tmp_path / "leads.csv").write_text("name,company\nAnn,Acme\n", encoding="utf-8")
    campaign = json.loads(CAMPAIGN.read_text(encoding="utf-8"))
    campaign["sequence"] = str(SEQUENCE)
    campaign["leads"] = "leads.csv"
    (tmp_path / "campaign.json").write_text(json.dumps(campaign), encoding="utf-8")
    for command in ("validate", "simulate"):
        result = run(command, tmp_path / "campaign.json")
        assert result.returncode == 2
        err = result.stderr.decode()
        assert "leads.csv" in err and "email" in err


def test_bad_lead_rows_are_reported_with_their_lines_and_left_out(tmp_path):
    (tmp_path / "leads.csv").write_text(
        "email,first_name,company\n"
        "good@x.example,Ann,Acme\n"
        "not-an-address,Bob,Acme\n"
        "GOOD@x.example,Ann again,Acme\n"
        "short@x.example\n"
        "fine@y.example,Cy,Cee\n", encoding="utf-8")
    campaign = json.loads(CAMPAIGN.read_text(encoding="utf-8"))
    campaign["sequence"] = str(SEQUENCE)
    campaign["leads"] = "leads.csv"
    (tmp_path / "campaign.json").write_text(json.dumps(campaign), encoding="utf-8")
    result = run("validate", tmp_path / "campaign.json", check=0)
    err = result.stderr.decode()
    assert "leads.csv:3:" in err and "leads.csv:4:" in err and "leads.csv:5:" in err
    assert "leads 2" in result.stdout.decode()
