"""Sequences and campaigns: loading, their properties, JSON round trips, lead problems, sharing
between threads."""

from __future__ import annotations

import json
import os
import threading
import warnings
from pathlib import Path
from typing import Any, Dict, List

import outreach
from conftest import EXAMPLE_CAMPAIGN, EXAMPLE_DIR, EXAMPLE_SEQUENCE, quietly, small_campaign, small_sequence, write_json


def test_a_sequence_loads_with_its_fingerprint_and_name() -> None:
    with outreach.Sequence.load(EXAMPLE_SEQUENCE) as sequence:
        fingerprint = sequence.fingerprint
        assert len(fingerprint) == 64 and int(fingerprint, 16) >= 0 and fingerprint == fingerprint.lower()
        assert sequence.name == "saas-founders-3-step"
        assert repr(sequence).startswith("<outreach.Sequence 'saas-founders-3-step' ")
        as_dict = sequence.to_dict()
        assert [len(step["variants"]) for step in as_dict["steps"]] == [2, 1, 1]
        assert json.loads(sequence.to_json()) == as_dict


def test_a_sequence_round_trips_through_dict_and_json_with_the_same_fingerprint() -> None:
    with outreach.Sequence.load(EXAMPLE_SEQUENCE) as original:
        with outreach.Sequence.from_dict(original.to_dict()) as again:
            assert again.fingerprint == original.fingerprint
        with outreach.Sequence.from_json(original.to_json()) as again:
            assert again.fingerprint == original.fingerprint
        text = EXAMPLE_SEQUENCE.read_text(encoding="utf-8")
        with outreach.Sequence.from_json(text) as again:
            assert again.fingerprint == original.fingerprint


def test_defaults_are_written_out_and_change_nothing() -> None:
    with outreach.Sequence.from_dict(small_sequence()) as sequence:
        written = sequence.to_dict()
        assert written["steps"][0]["variants"][0]["name"] == "A"
        assert written["steps"][0]["variants"][0]["weight"] == 1
        assert written["steps"][1]["thread"] == "reply"
        with outreach.Sequence.from_dict(written) as again:
            assert again.fingerprint == sequence.fingerprint


def test_equal_content_has_equal_fingerprints_and_other_content_another() -> None:
    first = outreach.Sequence.from_dict(small_sequence())
    second = outreach.Sequence.from_json(json.dumps(small_sequence(), indent=4))
    other = outreach.Sequence.from_dict(small_sequence(3))
    assert first.fingerprint == second.fingerprint != other.fingerprint
    for sequence in (first, second, other):
        sequence.close()


def test_unicode_crosses_as_utf8() -> None:
    sequence = small_sequence()
    sequence["name"] = "Grüße — 挨拶 👋"
    sequence["steps"][0]["variants"][0]["subject"] = "Ça va, {{first_name | \"Zoë\"}}?"
    with outreach.Sequence.from_dict(sequence) as loaded:
        assert loaded.name == "Grüße — 挨拶 👋"
        assert loaded.to_dict()["steps"][0]["variants"][0]["subject"] == "Ça va, {{first_name | \"Zoë\"}}?"


def test_a_campaign_loads_with_its_name_leads_and_sequence() -> None:
    with outreach.Campaign.load(EXAMPLE_CAMPAIGN) as campaign:
        assert campaign.name == "q4-saas-founders"
        assert 400 < campaign.lead_count <= 500
        assert isinstance(campaign.lead_problems, list)
        with campaign.sequence as sequence, outreach.Sequence.load(EXAMPLE_SEQUENCE) as from_file:
            assert sequence.fingerprint == from_file.fingerprint
        assert repr(campaign) == f"<outreach.Campaign 'q4-saas-founders', {campaign.lead_count} leads>"


def test_a_sequence_taken_from_a_campaign_outlives_it() -> None:
    campaign = outreach.Campaign.load(EXAMPLE_CAMPAIGN)
    sequence = campaign.sequence
    campaign.close()
    assert sequence.name == "saas-founders-3-step"
    sequence.close()


def test_a_campaign_from_a_dict_with_inline_sequence_and_leads() -> None:
    with outreach.Campaign.from_dict(small_campaign(name="inline")) as campaign:
        assert campaign.name == "inline"
        assert campaign.lead_count == 3
        assert campaign.lead_problems == []


def test_relative_paths_start_from_base_dir_or_the_working_directory(tmp_path: Path, monkeypatch: Any) -> None:
    definition = json.loads(EXAMPLE_CAMPAIGN.read_text(encoding="utf-8"))
    with outreach.Campaign.from_dict(definition, base_dir=EXAMPLE_DIR) as campaign:
        assert campaign.lead_count > 400
    with outreach.Campaign.from_json(json.dumps(definition), base_dir=str(EXAMPLE_DIR)) as campaign:
        assert campaign.name == "q4-saas-founders"
    monkeypatch.chdir(tmp_path)
    try:
        outreach.Campaign.from_dict(definition)
    except outreach.NotFound as error:
        assert "sequence.json" in str(error)
    else:
        raise AssertionError("a relative path found from the wrong folder")
    monkeypatch.chdir(EXAMPLE_DIR)
    with outreach.Campaign.from_dict(definition) as campaign:
        assert campaign.name == "q4-saas-founders"


def test_lead_rows_that_are_not_leads_are_listed_with_their_lines(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text(
        "email,first_name,timezone\n"
        "ann@one.example,Ann,Europe/Berlin\n"
        "not-an-address,Bad,\n"
        "bo@two.example,Bo,Mars/Olympus_Mons\n"
        "ANN@one.example,Again,\n"
        "cy@three.example,Cy\n",
        encoding="utf-8",
    )
    campaign = small_campaign()
    campaign["leads"] = "leads.csv"
    path = write_json(tmp_path / "campaign.json", campaign)
    with outreach.Campaign.load(path) as loaded:
        problems = loaded.lead_problems
        assert loaded.lead_count == 2
    lines = sorted(problem["line"] for problem in problems)
    assert lines == [3, 4, 5, 6]
    for problem in problems:
        assert problem["file"] == str(tmp_path / "leads.csv")
        assert problem["text"].startswith(f"{tmp_path / 'leads.csv'}:{problem['line']}: ")
        assert problem["code"] in ("invalid_value", "parse_error", "not_found")

    # Added from a path, the problems are reported as warnings, as the command line prints them.
    with outreach.Engine() as engine:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            engine.add_campaign(path)
    texts = [str(w.message) for w in caught if issubclass(w.category, outreach.OutreachWarning)]
    assert [p["text"] for p in problems] == [t for t in texts if "leads.csv" in t]
    assert all(w.filename == __file__ for w in caught if issubclass(w.category, outreach.OutreachWarning))


def test_campaigns_and_sequences_are_shared_between_threads() -> None:
    results: List[Dict[str, Any]] = []
    errors: List[BaseException] = []
    with outreach.Campaign.load(EXAMPLE_CAMPAIGN) as campaign, outreach.Sequence.load(EXAMPLE_SEQUENCE) as sequence:
        expected = sequence.fingerprint

        def simulate() -> None:
            try:
                assert sequence.fingerprint == expected
                with outreach.Engine() as engine:
                    quietly(engine.add_campaign, campaign)
                    results.append(quietly(engine.simulate, "2026-12-10T00:00:00Z"))
            except BaseException as error:  # noqa: BLE001
                errors.append(error)

        threads = [threading.Thread(target=simulate) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    assert len(results) == 4 and all(result == results[0] for result in results)


def test_paths_may_be_str_or_pathlike() -> None:
    for path in (EXAMPLE_SEQUENCE, str(EXAMPLE_SEQUENCE), os.fspath(EXAMPLE_SEQUENCE)):
        with outreach.Sequence.load(path) as sequence:
            assert sequence.name == "saas-founders-3-step"
