"""Loading the library: versions, the function table against the header, where the library is
found, and what happens when it is missing or too old."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

import outreach
from outreach import _library
from conftest import BINDING_DIR, EXAMPLE_CAMPAIGN, HEADER, run_cli

LIBRARY = os.environ.get("OUTREACH_LIBRARY", "")


def header_text() -> str:
    return HEADER.read_text(encoding="utf-8")


def header_defines() -> Dict[str, int]:
    values = {}
    for name, value in re.findall(r"^#define (OUTREACH_\w+) \(?(-?\d+)u?\)?", header_text(), re.MULTILINE):
        values[name] = int(value)
    return values


def test_version_and_version_number_are_the_librarys() -> None:
    assert outreach.version() == "0.1.0"
    assert outreach.version_number() == 100
    assert outreach.version_number() == header_defines()["OUTREACH_VERSION_NUMBER"]
    assert outreach.__version__ == outreach.version()


def test_version_is_the_command_lines(cli: str) -> None:
    assert outreach.version() in run_cli(cli, "--version").stdout.decode()


def test_the_function_table_has_every_function_of_the_header_and_no_other() -> None:
    declared = set(re.findall(r"OUTREACH_API\s+[\w\s\*]+?\b(outreach_\w+)\s*\(", header_text()))
    table = [name for name, _, _ in _library.FUNCTIONS]
    assert len(table) == len(set(table))
    assert set(table) == declared
    library = outreach.lib()
    for name, argtypes, restype in _library.FUNCTIONS:
        function = getattr(library, name)
        assert function.argtypes == argtypes, name
        assert function.restype == restype, name


def test_the_argument_counts_match_the_header() -> None:
    text = re.sub(r"/\*.*?\*/", "", header_text(), flags=re.DOTALL)
    for name, argtypes, _ in _library.FUNCTIONS:
        match = re.search(rf"\b{name}\s*\(([^)]*)\)", text)
        assert match, name
        parameters = match.group(1).strip()
        count = 0 if parameters in ("", "void") else parameters.count(",") + 1
        assert len(argtypes) == count, name


def test_the_constants_are_the_headers() -> None:
    defines = header_defines()
    for name, value in defines.items():
        if name in ("OUTREACH_VERSION_NUMBER",):
            continue
        attribute = name[len("OUTREACH_"):]
        assert getattr(_library, attribute) == value, name
    for attribute in ("OK", "EINVAL", "EBUSY", "SEND_PERMANENT", "TRANSPORT_CUSTOM", "ENGINE_DISCARD_EVENTS"):
        assert f"OUTREACH_{attribute}" in defines


def test_the_structs_have_the_headers_fields() -> None:
    text = header_text()
    for struct, cls in (
        ("outreach_send_outcome", _library.SendOutcome),
        ("outreach_transport", _library.TransportStruct),
        ("outreach_engine_options", _library.EngineOptions),
    ):
        body = re.search(rf"typedef struct {struct} \{{(.*?)\}} {struct};", text, re.DOTALL)
        assert body, struct
        code = re.sub(r"/\*.*?\*/", "", body.group(1), flags=re.DOTALL)
        fields = re.findall(r"(\w+);", code)
        assert fields == [name for name, _ in cls._fields_], struct


def test_every_status_code_has_its_exception_class_and_name() -> None:
    library = outreach.lib()
    for name, value in header_defines().items():
        if not re.fullmatch(r"OUTREACH_E[A-Z0-9]+", name):
            continue
        cls = outreach.errors.error_class(value)
        assert cls is not outreach.Error, name
        assert cls.default_code == value
        assert cls.default_name == library.outreach_strerror(value).decode()
    assert outreach.errors.error_class(-999) is outreach.Error


def test_the_library_is_where_outreach_library_points() -> None:
    assert LIBRARY, "the tests run with OUTREACH_LIBRARY set"
    assert outreach.library_path() == LIBRARY


def test_handle_pointer_types_are_not_interchangeable() -> None:
    library = outreach.lib()
    with outreach.Campaign.load(EXAMPLE_CAMPAIGN) as campaign:
        name = ctypes.c_char_p()
        # A handle object is its own ctypes parameter (_as_parameter_)...
        assert library.outreach_campaign_name(campaign, ctypes.byref(name)) == 0
        assert name.value == b"q4-saas-founders"
        # ...and one kind of handle cannot be passed for another.
        fingerprint = ctypes.c_char_p()
        with pytest.raises(ctypes.ArgumentError):
            library.outreach_sequence_fingerprint(campaign._handle(), ctypes.byref(fingerprint))
    with pytest.raises(outreach.InvalidArgument, match="closed"):
        campaign._as_parameter_


def test_a_library_without_the_functions_says_which_version_is_needed() -> None:
    libc = ctypes.util.find_library("c")
    assert libc
    with pytest.raises(outreach.LibraryError) as raised:
        _library.load(libc)
    message = str(raised.value)
    assert "has no function outreach_version_number" in message
    assert "needs liboutreach_c 0.1.0 or later" in message
    assert isinstance(raised.value, ImportError)


def test_a_library_that_is_not_there_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(outreach.LibraryError, match="no such file"):
        _library.load(tmp_path / "nope" / "liboutreach_c.so")


def python_with(env_changes: Dict[str, str], code: str, cwd: Path, path: Path = BINDING_DIR) -> "subprocess.CompletedProcess[str]":
    env = dict(os.environ)
    env.pop("OUTREACH_LIBRARY", None)
    env.update(env_changes)
    env["PYTHONPATH"] = str(path)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=cwd, timeout=60)


def test_outreach_library_naming_a_missing_file_fails_on_first_use(tmp_path: Path) -> None:
    missing = tmp_path / "liboutreach_c.so"
    result = python_with(
        {"OUTREACH_LIBRARY": str(missing)},
        "import outreach\ntry:\n    outreach.version()\nexcept outreach.LibraryError as e:\n    print('LibraryError:', e)\n",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert f"{missing}: no such file" in result.stdout
    assert "OUTREACH_LIBRARY must name the library file" in result.stdout


def test_importing_needs_no_library(tmp_path: Path) -> None:
    result = python_with({"OUTREACH_LIBRARY": str(tmp_path / "none.so")}, "import outreach; print(outreach.Engine)", tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("folder", ["_lib", "."])
def test_a_library_next_to_the_package_is_found(tmp_path: Path, folder: str) -> None:
    copy = tmp_path / "site"
    shutil.copytree(BINDING_DIR / "outreach", copy / "outreach", ignore=shutil.ignore_patterns("__pycache__", "_lib"))
    target = copy / "outreach" / folder
    target.mkdir(exist_ok=True)
    shutil.copy2(LIBRARY, target / "liboutreach_c.so.0")
    result = python_with(
        {}, "import outreach; print(outreach.library_path()); print(outreach.version())", tmp_path, path=copy
    )
    assert result.returncode == 0, result.stderr
    found, version = result.stdout.split()
    assert Path(found) == (target / "liboutreach_c.so.0").resolve()
    assert version == "0.1.0"


def test_use_library_switches_to_another_copy(tmp_path: Path) -> None:
    copy = tmp_path / "liboutreach_c.so.0"
    shutil.copy2(LIBRARY, copy)
    previous = outreach.lib()
    try:
        assert outreach.use_library(copy).path == str(copy)
        assert outreach.library_path() == str(copy)
        with outreach.Sequence.load(EXAMPLE_CAMPAIGN.parent / "sequence.json") as sequence:
            assert len(sequence.fingerprint) == 64
    finally:
        _library._loaded = previous
