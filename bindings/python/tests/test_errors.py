"""Every failure is an ``outreach.Error`` subclass with the library's code, name, message and
details; misuse (closed handles, wrong types, NUL characters, lone surrogates) is a clear Python
error, never a crash."""

from __future__ import annotations

import gc
import json
import pickle
from pathlib import Path

import pytest

import outreach
from conftest import EXAMPLE_CAMPAIGN, EXAMPLE_SEQUENCE, quietly, small_campaign, small_sequence, write_json


def test_malformed_json_is_a_parse_error_with_its_line() -> None:
    with pytest.raises(outreach.ParseError) as raised:
        outreach.Sequence.from_json('{\n  "steps": [\n    {"variants": [}\n  ]\n}\n')
    error = raised.value
    assert isinstance(error, ValueError) and isinstance(error, outreach.Error)
    assert error.code == -2 and error.name == "parse_error"
    assert error.message == str(error) == "line 3: invalid JSON at column 19: syntax error"
    assert error.details == [
        {
            "code": "parse_error",
            "message": "invalid JSON at column 19: syntax error",
            "line": 3,
            "text": "line 3: invalid JSON at column 19: syntax error",
        }
    ]


def test_a_file_with_malformed_json_names_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{\n  "steps": [\n    {"variants": [}\n  ]\n}\n', encoding="utf-8")
    with pytest.raises(outreach.ParseError, match=rf"^{bad}:3: invalid JSON"):
        outreach.Sequence.load(bad)


def test_an_unknown_key_names_its_json_path() -> None:
    sequence = small_sequence()
    sequence["steps"][0]["variants"][0]["subjct"] = "typo"
    with pytest.raises(outreach.UnknownKey) as raised:
        outreach.Sequence.from_dict(sequence)
    error = raised.value
    assert error.code == -4 and error.name == "unknown_key"
    assert 'steps[0].variants[0].subjct: unknown key "subjct" (did you mean "subject"?)' in error.message
    assert error.details[0]["json_path"] == "steps[0].variants[0].subjct"


def test_every_error_of_a_document_is_in_the_details() -> None:
    sequence = {
        "steps": [
            {"variants": [{"subjct": "Hi", "text": "Hello {{first_name"}]},
            {"thread": "sideways", "variants": [{"text": "x", "weight": 0}]},
        ]
    }
    with pytest.raises(outreach.UnknownKey) as raised:
        outreach.Sequence.from_dict(sequence)
    error = raised.value
    paths = [detail.get("json_path") for detail in error.details]
    assert "steps[0].variants[0].subjct" in paths
    assert "steps[1].thread" in paths
    assert "steps[1].variants[0].weight" in paths
    assert "steps[0].variants[0].text" in paths
    assert len(error.message.splitlines()) == len(error.details)
    template = next(d for d in error.details if d.get("json_path") == "steps[0].variants[0].text")
    assert template["code"] == "parse_error" and template["offset"] == 6


def test_a_rule_broken_is_an_invalid_value() -> None:
    sequence = small_sequence()
    sequence["steps"][1]["thread"] = "sideways"
    with pytest.raises(outreach.InvalidValue, match=r'steps\[1\]\.thread: thread must be "reply" or "new"'):
        outreach.Sequence.from_dict(sequence)


def test_a_campaign_error_names_the_campaign_file(tmp_path: Path) -> None:
    campaign = small_campaign()
    campaign["schedule"]["hours"] = ["17:00-09:00"]
    path = write_json(tmp_path / "campaign.json", campaign)
    with pytest.raises(outreach.InvalidValue) as raised:
        outreach.Campaign.load(path)
    assert raised.value.details[0]["file"] == str(path)
    assert raised.value.details[0]["json_path"] == "schedule.hours[0]"
    assert str(path) in str(raised.value)


def test_a_missing_file_is_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    for load in (outreach.Sequence.load, outreach.Campaign.load):
        with pytest.raises(outreach.NotFound) as raised:
            load(missing)
        assert isinstance(raised.value, LookupError)
        assert raised.value.code == -9 and raised.value.name == "not_found"
        assert str(raised.value) == f"{missing}: no such file"
        assert raised.value.details[0]["file"] == str(missing)


def test_a_folder_is_not_a_readable_file(tmp_path: Path) -> None:
    # (The library reads a folder as an empty document today: a parse error naming it.)
    with pytest.raises((outreach.IoError, outreach.NotFound, outreach.ParseError)) as raised:
        outreach.Sequence.load(tmp_path)
    assert str(tmp_path) in str(raised.value)


def test_a_campaign_naming_a_missing_sequence_says_so(tmp_path: Path) -> None:
    campaign = small_campaign()
    campaign["sequence"] = "missing-sequence.json"
    path = write_json(tmp_path / "campaign.json", campaign)
    with pytest.raises(outreach.NotFound, match="missing-sequence.json"):
        outreach.Campaign.load(path)


def test_lone_surrogates_in_a_str_are_invalid_utf8() -> None:
    sequence = small_sequence()
    sequence["name"] = "bad \udc80 name"
    with pytest.raises(outreach.InvalidUtf8) as raised:
        outreach.Sequence.from_dict(sequence)
    assert isinstance(raised.value, ValueError)
    assert raised.value.code == -6 and raised.value.name == "invalid_utf8"
    assert "surrogates not allowed" in str(raised.value)
    assert isinstance(raised.value.__cause__, UnicodeEncodeError)
    with outreach.Engine() as engine:
        quietly(engine.add_campaign, small_campaign())
        with pytest.raises(outreach.InvalidUtf8):
            engine.start("small\ud800")
        with pytest.raises(outreach.InvalidUtf8):
            engine.apply({"at": "2026-12-01T10:00:00Z", "lead": "ann@one.example\udcff", "type": "reply"})


def test_a_file_that_is_not_utf8_is_refused_by_the_library(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.json"
    bad.write_bytes('{"name": "caf\xe9", "steps": []}'.encode("latin-1"))
    # (The JSON reader reports bytes that are not UTF-8 as a syntax error at their column.)
    with pytest.raises((outreach.InvalidUtf8, outreach.ParseError)) as raised:
        outreach.Sequence.load(bad)
    assert isinstance(raised.value, ValueError)
    assert f"{bad}:1: " in str(raised.value)


def test_a_nul_character_is_refused_rather_than_cut_off() -> None:
    with pytest.raises(outreach.InvalidArgument, match="NUL"):
        outreach.Sequence.from_json('{"steps": []}\0 trailing')
    with pytest.raises(outreach.InvalidArgument, match="NUL"):
        outreach.Sequence.load("sequence.json\0.txt")


def test_wrong_types_are_clear_errors() -> None:
    with pytest.raises(outreach.InvalidArgument, match="expected a str"):
        outreach.Sequence.from_json(42)  # type: ignore[arg-type]
    with pytest.raises(outreach.InvalidArgument, match="expected a path"):
        outreach.Campaign.load(None)  # type: ignore[arg-type]
    with pytest.raises(outreach.InvalidArgument, match="cannot be written as JSON"):
        outreach.Sequence.from_dict({"steps": [object()]})
    with pytest.raises(TypeError, match="no send"):
        outreach.Engine(transport=object())
    with outreach.Engine() as engine:
        with pytest.raises(TypeError, match="not callable"):
            engine.on_event(42)  # type: ignore[arg-type]
        with pytest.raises(outreach.InvalidArgument, match="expected an int"):
            engine.events("0")  # type: ignore[arg-type]
        with pytest.raises(outreach.InvalidArgument, match="negative"):
            engine.event(-1)


def test_closed_handles_raise_instead_of_crashing() -> None:
    sequence = outreach.Sequence.load(EXAMPLE_SEQUENCE)
    sequence.close()
    sequence.close()  # idempotent
    assert sequence.closed
    for use in (lambda: sequence.fingerprint, sequence.to_dict, sequence.to_json):
        with pytest.raises(outreach.InvalidArgument, match="this Sequence is closed"):
            use()
    assert "closed" in repr(sequence)

    with outreach.Campaign.load(EXAMPLE_CAMPAIGN) as campaign:
        assert not campaign.closed
    assert campaign.closed
    for use in (lambda: campaign.name, lambda: campaign.lead_count, lambda: campaign.lead_problems,
                lambda: campaign.sequence):
        with pytest.raises(outreach.InvalidArgument, match="this Campaign is closed"):
            use()
    with pytest.raises(outreach.InvalidArgument, match="closed"):
        with campaign:
            pass

    engine = outreach.Engine()
    with pytest.raises(outreach.InvalidArgument, match="this Campaign is closed"):
        engine.add_campaign(campaign)
    engine.close()
    engine.close()
    for use in (
        lambda: engine.add_campaign(EXAMPLE_CAMPAIGN),
        lambda: engine.start("x"),
        lambda: engine.simulate(),
        lambda: engine.run(),
        engine.summary,
        engine.events,
        engine.warnings,
        lambda: engine.event_count,
        lambda: engine.on_event(print),
        lambda: engine.apply({}),
    ):
        with pytest.raises(outreach.InvalidArgument, match="this Engine is closed"):
            use()
    engine.stop()  # does nothing once closed


def test_handles_left_to_the_garbage_collector_are_freed() -> None:
    import weakref

    for _ in range(20):
        engine = outreach.Engine(transport=type("T", (), {"send": lambda self, m: outreach.Accepted()})())
        quietly(engine.add_campaign, small_campaign())
        engine.on_event(lambda event: None)
        quietly(engine.simulate)
        reference = weakref.ref(engine)
        del engine
        assert reference() is None  # no reference cycle keeps it
        campaign = outreach.Campaign.load(EXAMPLE_CAMPAIGN)
        sequence = campaign.sequence
        del campaign, sequence
    gc.collect()


def test_an_outbox_and_a_transport_together_are_refused(tmp_path: Path) -> None:
    class Accept:
        def send(self, message: outreach.Message) -> outreach.Accepted:
            return outreach.Accepted()

    with pytest.raises(outreach.InvalidArgument, match="not both"):
        outreach.Engine(transport=Accept(), outbox=tmp_path / "outbox")


def test_an_outbox_that_cannot_be_made_is_an_io_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(outreach.IoError) as raised:
        outreach.Engine(outbox=blocker / "outbox")
    assert isinstance(raised.value, OSError) and raised.value.code == -8


def test_engine_errors_have_their_classes() -> None:
    with outreach.Engine() as engine:
        with pytest.raises(outreach.InvalidArgument, match="needs a start"):
            engine.simulate()
        assert quietly(engine.add_campaign, small_campaign()) == "small"
        with pytest.raises(outreach.InvalidArgument, match="already"):
            quietly(engine.add_campaign, small_campaign())
        with pytest.raises(outreach.NotFound, match='no campaign named "other"'):
            engine.start("other")
        with pytest.raises(outreach.NotFound):
            engine.pause("other")
        with pytest.raises(outreach.NotFound):
            engine.resume("other")
        with pytest.raises(outreach.NotFound, match="nobody@else.example"):
            engine.apply({"at": "2026-12-01T10:00:00Z", "lead": "nobody@else.example", "type": "reply"})
        with pytest.raises(outreach.UnknownKey, match="mood"):
            engine.apply({"at": "2026-12-01T10:00:00Z", "lead": "ann@one.example", "type": "reply", "mood": 1})
        with pytest.raises(outreach.ParseError):
            engine.apply('{"at": ')
        with pytest.raises(outreach.Error):
            engine.apply({"at": "2026-12-01T10:00:00Z", "lead": "ann@one.example", "type": "cheer"})
        with pytest.raises(outreach.InvalidArgument, match="RFC 3339"):
            engine.simulate(until="tomorrow")
        with pytest.raises(outreach.InvalidArgument, match="naive datetime"):
            import datetime

            engine.simulate(until=datetime.datetime(2026, 12, 1))
        with pytest.raises(outreach.NotFound, match="no event at index 0"):
            engine.event(0)
        with pytest.raises(outreach.InvalidArgument, match="more than"):
            engine.events(5)
        quietly(engine.simulate, until="2026-12-01T12:00:00Z")
        with pytest.raises(outreach.InvalidArgument, match="before the engine's clock"):
            engine.simulate(from_="2026-11-01T00:00:00Z")
        with pytest.raises(outreach.InvalidArgument, match="cannot also run"):
            engine.run()


def test_an_engine_that_discards_events_says_so() -> None:
    with outreach.Engine(keep_events=False) as engine:
        quietly(engine.add_campaign, small_campaign())
        quietly(engine.simulate)
        assert engine.event_count == 9
        with pytest.raises(outreach.InvalidArgument, match="does not keep its events"):
            engine.events()
        with pytest.raises(outreach.InvalidArgument, match="does not keep its events"):
            engine.event(0)


def test_errors_pickle_and_print_well() -> None:
    try:
        outreach.Sequence.from_json("{")
    except outreach.Error as error:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert (copy.code, copy.name, copy.message, copy.details) == (error.code, error.name, error.message, error.details)
        assert repr(error).startswith("ParseError(")
        assert json.dumps(error.details)
    else:
        pytest.fail("no error")


def test_the_error_classes_derive_from_the_fitting_builtins() -> None:
    assert issubclass(outreach.IoError, OSError)
    assert issubclass(outreach.OutOfMemory, MemoryError)
    assert issubclass(outreach.Unsupported, NotImplementedError)
    assert issubclass(outreach.Busy, RuntimeError)
    assert issubclass(outreach.NotFound, LookupError)
    for cls in (outreach.InvalidArgument, outreach.ParseError, outreach.InvalidValue, outreach.UnknownKey,
                outreach.MissingField, outreach.InvalidUtf8, outreach.LimitExceeded):
        assert issubclass(cls, ValueError)
    error = outreach.IoError("disk on fire")
    assert (error.code, error.name, str(error)) == (-8, "io_error", "disk on fire")
    assert error.details == [{"code": "io_error", "message": "disk on fire", "text": "disk on fire"}]
