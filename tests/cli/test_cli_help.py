"""The command line's own help: every command's usage, options and example on `--help` and
`help COMMAND`, and the refusal of a command line that breaks the grammar."""

import os
import subprocess

import pytest

CLI = os.environ["OUTREACH_CLI"]

# Each command (with its action, for suppress) and the options its help must name.
COMMANDS = {
    ("validate",): [],
    ("render",): ["--lead", "--step", "--seed", "--from", "--at", "--campaign"],
    ("simulate",): ["--from", "--until", "--days", "--inbound", "--events", "--outbox", "--store", "--json"],
    ("run",): ["--store", "--events", "--until", "--log-format"],
    ("status",): ["--store", "--json"],
    ("pause",): ["--store", "--wait", "--no-wait"],
    ("resume",): ["--store", "--wait", "--no-wait"],
    ("stop",): ["--store", "--wait", "--no-wait"],
    ("events",): ["--store", "--campaign", "--since"],
    ("ingest",): ["--store"],
    ("suppress",): [],
    ("suppress", "add"): ["--store", "--wait", "--no-wait"],
    ("suppress", "remove"): ["--store", "--wait", "--no-wait"],
    ("suppress", "list"): ["--store"],
    ("suppress", "import"): ["--store", "--wait", "--no-wait"],
    ("forget",): ["--store", "--wait", "--no-wait"],
}
IDS = [" ".join(command) for command in COMMANDS]


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60)


def refused(result, command_path):
    """A wrong command line: status 2, nothing on standard output, the reason, then the hint."""
    assert result.returncode == 2, result
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("outreach: ")
    assert lines[1] == f'run "{command_path} --help" for its usage'
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
def test_every_command_has_help_with_its_options_and_an_example(command):
    result = run(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert f"Usage: outreach {' '.join(command)}" in out
    assert "--help" in out
    for option in COMMANDS[command]:
        assert option in out, option
    assert "Example:\n  outreach " + " ".join(command) in out


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
def test_help_command_prints_the_same_help(command):
    result = run("help", *command)
    assert result.returncode == 0, result.stderr
    assert result.stdout == run(*command, "--help").stdout


def test_short_help_is_the_same():
    assert run("pause", "-h").stdout == run("pause", "--help").stdout


def test_the_program_lists_its_commands():
    for args in (["--help"], ["help"]):
        result = run(*args)
        assert result.returncode == 0, result.stderr
        for command in {command[0] for command in COMMANDS}:
            assert f"\n  {command} " in result.stdout, command
        assert "outreach COMMAND --help" in result.stdout
    assert run("help").stdout == run("--help").stdout


def test_the_version_is_unchanged():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("outreach ") and result.stdout.count("\n") == 1


def test_an_unknown_option_is_refused_with_the_hint():
    message = refused(run("pause", "--colour", "blue", "--store", "x.db", "c"), "outreach pause")
    assert "--colour" in message


def test_an_option_without_its_value_is_refused():
    message = refused(run("render", "sequence.json", "--lead"), "outreach render")
    assert "--lead" in message


def test_a_missing_option_or_argument_is_refused():
    assert "--store" in refused(run("status"), "outreach status")
    assert "CAMPAIGN" in refused(run("resume", "--store", "x.db"), "outreach resume")
    assert "--store" in refused(run("suppress", "list"), "outreach suppress list")
    refused(run("suppress", "--store", "x.db"), "outreach suppress")


def test_too_many_arguments_are_refused():
    refused(run("forget", "--store", "x.db", "a@example.com", "b@example.com"), "outreach forget")


def test_an_unknown_command_is_refused():
    assert refused(run("frobnicate"), "outreach") == 'outreach: unknown command "frobnicate"'
    assert refused(run("help", "frobnicate"), "outreach") == 'outreach: unknown command "frobnicate"'
    assert refused(run("help", "suppress", "drop"), "outreach suppress") == 'outreach: unknown command "drop"'
    refused(run(), "outreach")
    refused(run("--colour"), "outreach")


def test_options_may_come_before_the_action_of_suppress(tmp_path):
    store = str(tmp_path / "state.db")
    assert run("suppress", "--store", store, "add", "ann@example.com").returncode == 0
    assert run("suppress", "list", "--store", store).stdout == "ann@example.com\tmanual\n"


# ---- bash completion ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def script(tmp_path_factory):
    result = run("completion", "bash")
    assert result.returncode == 0, result.stderr
    path = tmp_path_factory.mktemp("completion") / "outreach.bash"
    path.write_text(result.stdout, encoding="utf-8")
    return path


def complete(script, *words, cwd=None):
    """What the script offers for the last of `words` (the command line typed so far)."""
    array = " ".join("'" + word.replace("'", "'\\''") + "'" for word in ("outreach", *words))
    program = (f"source '{script}'\n"
               f"COMP_WORDS=({array}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); COMP_LINE=\"${{COMP_WORDS[*]}}\"\n"
               "_outreach\n"
               "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    result = subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=60, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line]


def test_the_completion_script_is_valid_bash(script):
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "complete -F _outreach outreach" in script.read_text(encoding="utf-8")


def test_only_bash_is_offered():
    assert "zsh" in refused(run("completion", "zsh"), "outreach completion")


def test_commands_complete(script):
    assert complete(script, "pa") == ["pause"]
    assert complete(script, "su") == ["suppress"]
    assert set(complete(script, "")) >= {command[0] for command in COMMANDS}


def test_options_complete_after_their_command(script):
    assert complete(script, "run", "--st") == ["--store"]
    assert complete(script, "run", "campaign.json", "--st") == ["--store"]
    assert complete(script, "status", "--store", "state.db", "--j") == ["--json"]
    assert "--lead" in complete(script, "render", "--")
    assert complete(script, "events", "--c") == ["--campaign"]


def test_actions_of_suppress_complete(script):
    assert complete(script, "suppress", "a") == ["add"]
    assert complete(script, "suppress", "--store", "state.db", "i") == ["import"]
    assert complete(script, "suppress", "add", "--s") == ["--store"]


def test_files_complete_for_arguments_and_option_values(script, tmp_path):
    (tmp_path / "campaign.json").write_text("{}", encoding="utf-8")
    (tmp_path / "state.db").write_text("", encoding="utf-8")
    assert complete(script, "validate", "camp", cwd=tmp_path) == ["campaign.json"]
    assert complete(script, "status", "--store", "st", cwd=tmp_path) == ["state.db"]
    # A command that takes no argument offers no file.
    assert complete(script, "status", "camp", cwd=tmp_path) == []


def test_the_script_follows_the_command_line(script):
    """Every command and option the help names is in the script, so it cannot fall behind."""
    text = script.read_text(encoding="utf-8")
    for command, options in COMMANDS.items():
        assert "/" + "/".join(command) in text
        for option in options:
            assert option in text


# ---- manual pages ------------------------------------------------------------------------------

import re  # noqa: E402
import shutil  # noqa: E402


def listed(help_text, section):
    """The names a help lists under `section:` ("Commands", "Actions")."""
    names = []
    in_section = False
    for line in help_text.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            in_section = line == section + ":"
        elif in_section and line.startswith("  "):
            names.append(line.split()[0])
    return names


def every_command():
    """Each command and action the help lists, as the words that name it."""
    commands = []
    for name in listed(run("--help").stdout, "Commands"):
        commands.append((name,))
        for action in listed(run(name, "--help").stdout, "Actions"):
            commands.append((name, action))
    return commands


@pytest.fixture(scope="module")
def manual(tmp_path_factory):
    folder = tmp_path_factory.mktemp("man") / "man1"
    result = run("manual", str(folder))
    assert result.returncode == 0, result.stderr
    return folder


def rendered(page):
    """The page as man shows it, in plain text (groff's ASCII output, overstriking removed)."""
    result = subprocess.run(["groff", "-man", "-Tascii", "-P-cbou", "-ww", str(page)], capture_output=True,
                            text=True, timeout=60, env=dict(os.environ, MANWIDTH="200"))
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return result.stdout


needs_groff = pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")


def test_there_is_a_manual_page_for_the_program_and_every_command_and_action(manual):
    pages = sorted(path.name for path in manual.iterdir())
    wanted = sorted(["outreach.1"] + ["-".join(("outreach",) + command) + ".1" for command in every_command()])
    assert pages == wanted
    assert len(wanted) > 20


@needs_groff
@pytest.mark.parametrize("command", [()] + every_command(), ids=lambda command: " ".join(command) or "outreach")
def test_each_manual_page_says_what_the_help_says(manual, command):
    """Usage, description, every option and argument, and the example: nothing the help says is
    missing from the page, so the two cannot drift apart."""
    help_text = run(*command, "--help").stdout
    page = rendered(manual / ("-".join(("outreach",) + command) + ".1"))
    flat = " ".join(page.split())
    name = " ".join(("outreach",) + command)
    assert "NAME" in page and "SYNOPSIS" in page and "DESCRIPTION" in page and "EXIT STATUS" in page
    usage = re.search(r"^Usage: (.*)$", help_text, re.MULTILINE).group(1)
    assert " ".join(usage.split()) in flat, usage
    description = help_text.splitlines()[0].removeprefix("outreach: ").rstrip(".")
    assert " ".join(description.split()).lower() in flat.lower(), description
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", help_text.split("Example:")[0]))
    for option in options:
        assert option in flat, option
    for argument in re.findall(r"^  ([A-Z][A-Z.]*[A-Za-z]*)\s", help_text, re.MULTILINE):
        assert argument in flat, argument
    for example in re.findall(r"^Example:\n  (.*)$", help_text, re.MULTILINE):
        assert " ".join(example.split()) in flat, example
    for below in listed(help_text, "Commands") + listed(help_text, "Actions"):
        assert f"{name.replace(' ', '-')}-{below}(1)" in flat, below


@needs_groff
def test_dashes_in_manual_pages_stay_ascii_so_options_can_be_copied(manual):
    result = subprocess.run(["groff", "-man", "-Tutf8", "-P-cbou", str(manual / "outreach-run.1")], capture_output=True,
                            text=True, timeout=60)
    assert "--store" in result.stdout and "\u2010" not in result.stdout and "\u2212" not in result.stdout


def test_a_manual_page_keeps_text_that_looks_like_roff_as_text(manual):
    """A line of the page that starts with a period or quote would be a roff request: none does
    unless it is one of the page's own macros."""
    macros = {".TH", ".nh", ".ad", ".SH", ".B", ".BR", ".TP", ".PP", ".nf", ".fi", ".RS", ".RE"}
    for page in manual.iterdir():
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.startswith((".", "'")):
                assert line.split()[0] in macros, f"{page.name}: {line}"
