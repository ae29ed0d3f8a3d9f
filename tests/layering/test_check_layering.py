"""The layering check passes on the tree and fails, naming file and line, on each kind of include
the module map forbids (a test of the test)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CHECKER = HERE / "check_layering.py"
SOURCE = Path(os.environ.get("OUTREACH_SOURCE_DIR", HERE.parents[1]))
MODULES = Path(os.environ["OUTREACH_MODULES_JSON"])


def check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CHECKER), "--modules", str(MODULES), "--root", str(root)],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of what the check reads, to break on purpose."""
    root = tmp_path_factory.mktemp("tree")
    for folder in ("src", "include", "capi", "bindings/python/outreach"):
        shutil.copytree(SOURCE / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_the_tree_keeps_the_map() -> None:
    result = check(SOURCE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every include allowed" in result.stdout


# (file, line added at its end, words the breach must say)
BREACHES = [
    ("src/mail/mime.cpp", '#include "outreach/engine.hpp"', "module engine's, and module mail does not depend on engine"),
    ("src/campaign/lead.cpp", "#include <sqlite3.h>", "needs sqlite, which module campaign does not USE"),
    ("src/inbound/classify.cpp", "#include <boost/asio/io_context.hpp>", "needs asio, which module inbound does not USE"),
    ("src/transport/smtp/smtp_transport.cpp", '#include "engine/consumer_domains.hpp"',
     "module engine's, and module transport_smtp does not depend on engine"),
    ("src/store/store.cpp", '#include "store/sqlite/sqlite.hpp"',
     "module store_sqlite's, and module store does not depend on store_sqlite"),
    ("src/engine/engine.cpp", '#include "outreach/outreach.hpp"', "umbrella header"),
    ("capi/src/abi.cpp", '#include "mail/charset.hpp"', "private to module mail"),
    ("src/cli/run.cpp", '#include "campaign/lead_json.hpp"', "private to module campaign"),
    ("include/outreach/lead.hpp", "#include <boost/json.hpp>", "in a public header"),
    ("src/util/hash.hpp", "#include <zlib.h>", "outside library no capability names"),
    ("src/engine/engine.cpp", "#include <CLI/CLI.hpp>", "needs cli11, which module engine does not USE"),
    ("capi/src/abi.cpp", "#include <CLI/CLI.hpp>", "needs cli11, which module capi does not USE"),
    ("bindings/python/outreach/engine.py", "import subprocess", "starts no program"),
    ("bindings/python/outreach/store.py", "handle = ctypes.CDLL('liboutreach_c.so.0')", "in _library.py only"),
]


@pytest.mark.parametrize(("file", "added", "words"), BREACHES, ids=[b[0] + ":" + b[1] for b in BREACHES])
def test_a_forbidden_include_fails_naming_file_and_line(tree: Path, file: str, added: str, words: str) -> None:
    path = tree / file
    original = path.read_text(encoding="utf-8")
    line = len(original.splitlines()) + 1
    path.write_text(original.rstrip("\n") + "\n" + added + "\n", encoding="utf-8")
    try:
        result = check(tree)
    finally:
        path.write_text(original, encoding="utf-8")
    assert result.returncode == 1, result.stdout
    breaches = [text for text in result.stdout.splitlines() if text.startswith(f"{file}:{line}: ")]
    assert len(breaches) == 1, result.stdout
    assert words in breaches[0], breaches[0]


def test_a_file_outside_every_module_fails(tree: Path) -> None:
    stray = tree / "src" / "stray.cpp"
    stray.write_text("int stray;\n", encoding="utf-8")
    try:
        result = check(tree)
    finally:
        stray.unlink()
    assert result.returncode == 1
    assert "src/stray.cpp:1: this file is in no module's folder" in result.stdout


def test_a_public_header_no_module_declares_fails(tree: Path) -> None:
    header = tree / "include" / "outreach" / "undeclared.hpp"
    header.write_text("#pragma once\n", encoding="utf-8")
    try:
        result = check(tree)
    finally:
        header.unlink()
    assert result.returncode == 1
    assert "include/outreach/undeclared.hpp:1: include/outreach/undeclared.hpp belongs to no module" in result.stdout
