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
