"""Composed messages read back by an independent parser: Python's own `email` package.

Each draft goes through the `compose_message` tool (its path is in OUTREACH_COMPOSE); the bytes
it writes are parsed with `email.message_from_bytes(data, policy=email.policy.default)`, and what
the parser decodes must be what the draft said.
"""

import datetime
import email
import email.header
import email.policy
import json
import os
import pathlib
import re
import subprocess

import pytest

ALICE = "Alice Doe <alice@acme.example>"
BOB = "Bob <bob@example.com>"
DATE = 1796133792  # 2026-12-01T14:03:12Z

FIELD_ORDER = [
    "Date", "From", "To", "Subject", "Message-ID", "In-Reply-To", "References",
    "List-Unsubscribe", "List-Unsubscribe-Post", "MIME-Version", "Content-Type",
    "Content-Transfer-Encoding",
]


def compose_tool():
    path = os.environ.get("OUTREACH_COMPOSE")
    if not path and os.environ.get("OUTREACH_CLI"):
        # Run by hand with only OUTREACH_CLI set: the tool sits in the build's tests/ folder.
        path = str(pathlib.Path(os.environ["OUTREACH_CLI"]).parent / "tests" / "compose_message")
    if not path or not pathlib.Path(path).is_file():
        pytest.fail("set OUTREACH_COMPOSE to the compose_message tool (got %r)" % path)
    return path


def draft(**fields):
    """A complete draft; keyword arguments replace or add fields (`sender` stands for `from`)."""
    result = {
        "from": fields.pop("sender", ALICE),
        "to": BOB,
        "subject": "Quick question",
        "text": "Hi Bob,\n\nA short note.\n\nAlice\n",
        "message_id": "<0123456789abcdef@acme.example>",
        "date": DATE,
    }
    result.update(fields)
    return result


def run(value):
    """Runs the tool on a draft (a dict, or raw text); returns the completed process."""
    data = value if isinstance(value, (bytes, str)) else json.dumps(value)
    if isinstance(data, str):
        data = data.encode("utf-8")
    return subprocess.run([compose_tool()], input=data, capture_output=True, timeout=30)


def compose(value):
    process = run(value)
    assert process.returncode == 0, process.stderr.decode("utf-8", "replace")
    assert process.stderr == b""
    return process.stdout


def parse(data):
    return email.message_from_bytes(data, policy=email.policy.default)


def split_address(text):
    """(display name, local part, domain) of the simple `Name <a@b>` forms the drafts use."""
    match = re.fullmatch(r'\s*(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*<([^>]*)>\s*|\s*([^<>\s]+)\s*', text)
    assert match, text
    if match.group(4):
        name, addr = "", match.group(4)
    else:
        name = re.sub(r"\\(.)", r"\1", match.group(1)) if match.group(1) is not None else match.group(2)
        addr = match.group(3).strip()
    local, _, domain = addr.rpartition("@")
    return name, local, domain


def ascii_domain(domain):
    """IDNA form by Python's own RFC 3492 codec: ASCII labels lower-cased, others xn--."""
    return ".".join(
        label.lower() if label.isascii() else "xn--" + label.lower().encode("punycode").decode("ascii")
        for label in domain.split("."))


def normalise(text):
    return text.replace("\r\n", "\n").replace("\r", "\n")


def header_section(data):
    return data[: data.index(b"\r\n\r\n") + 2]


def check_lines(data, header_limit=78):
    """CRLF only, every line at most 998 octets, header lines at most `header_limit`."""
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    for line in lines:
        assert b"\r" not in line and b"\n" not in line, line
        assert len(line) <= 998
    for line in header_section(data).split(b"\r\n")[:-1]:
        assert len(line) <= header_limit, line


def check_address(header, raw, text):
    name, local, domain = split_address(text)
    assert len(header.addresses) == 1
    address = header.addresses[0]
    phrase = re.sub(r"\r\n(?=[ \t])", "", raw).rpartition("<")[0]
    if phrase.count("=?") > 1:
        # policy.default keeps the space between adjacent encoded-words of a display name
        # (python/cpython#128110); RFC 2047 section 6.2 drops it, and so does the legacy decoder.
        assert str(email.header.make_header(email.header.decode_header(phrase))).strip() == name
        assert address.display_name.replace(" ", "") == name.replace(" ", "")
    else:
        assert address.display_name == name
    # A UTF-8 local part reaches the parser as undecodable bytes (surrogate escapes).
    assert address.username.encode("utf-8", "surrogateescape").decode("utf-8") == local
    assert address.domain == ascii_domain(domain)


def check_message(value, data):
    """Everything a draft says, read back from the composed bytes."""
    check_lines(data)
    message = parse(data)
    assert message.defects == []
    utf8_local = any(not split_address(value[key])[1].isascii() for key in ("from", "to"))
    for key in message.keys():
        defects = [type(defect).__name__ for defect in message[key].defects]
        if utf8_local and key in ("From", "To"):
            defects = [d for d in defects if d not in ("NonASCIILocalPartDefect", "UndecodableBytesDefect")]
        assert defects == [], key

    expected_fields = ["Date", "From", "To", "Subject", "Message-ID"]
    expected_fields += ["In-Reply-To"] if value.get("in_reply_to") else []
    expected_fields += ["References"] if value.get("references") else []
    has_url = bool(value.get("list_unsubscribe_url"))
    if has_url or value.get("list_unsubscribe_mailto"):
        expected_fields += ["List-Unsubscribe"] + (["List-Unsubscribe-Post"] if has_url else [])
    expected_fields += ["MIME-Version", "Content-Type"]
    expected_fields += [] if value.get("html") is not None else ["Content-Transfer-Encoding"]
    assert message.keys() == expected_fields

    assert message["Date"].datetime == datetime.datetime.fromtimestamp(value["date"], datetime.timezone.utc)
    assert str(message["Subject"]) == value["subject"]
    raw = dict(message.raw_items())
    check_address(message["From"], raw["From"], value["from"])
    check_address(message["To"], raw["To"], value["to"])
    assert str(message["Message-ID"]) == value["message_id"]
    # Unstructured values keep the white space of a fold right after the colon.
    if value.get("in_reply_to"):
        assert str(message["In-Reply-To"]).strip() == value["in_reply_to"]
    if value.get("references"):
        assert str(message["References"]).split() == value["references"]
    entries = []
    if has_url:
        entries.append("<%s>" % value["list_unsubscribe_url"])
    if value.get("list_unsubscribe_mailto"):
        local, _, domain = value["list_unsubscribe_mailto"].rpartition("@")
        safe = "-._~!$'*+"
        quoted = "".join(c if (c.isascii() and c.isalnum()) or c in safe else
                         "".join("%%%02X" % b for b in c.encode("utf-8")) for c in local)
        entries.append("<mailto:%s@%s>" % (quoted, ascii_domain(domain)))
    if entries:
        assert str(message["List-Unsubscribe"]).strip() == ", ".join(entries)
    if has_url:
        assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert str(message["MIME-Version"]) == "1.0"

    text = value.get("text", "")
    if value.get("html") is None:
        assert message.get_content_type() == "text/plain"
        assert message.get_content_charset() == "utf-8"
        assert message["Content-Transfer-Encoding"] == "quoted-printable"
        expected = normalise(text)
        if expected and not expected.endswith("\n"):
            expected += "\n"
        assert normalise(message.get_content()) == expected
    else:
        assert message.is_multipart()
        assert message.get_content_type() == "multipart/alternative"
        boundary = message.get_boundary()
        assert boundary.startswith("=_")
        parts = list(message.iter_parts())
        assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
        for part, body in zip(parts, [text, value["html"]]):
            assert part.get_content_charset() == "utf-8"
            assert part["Content-Transfer-Encoding"] == "quoted-printable"
            assert part.defects == []
            assert normalise(part.get_content()) == normalise(body)
    return message


LONG_MIXED = "Überraschung für Sie – 特別なオファー 🎁 " * 8
MANY_REFERENCES = ["<%032x@acme.example>" % (i * 7919) for i in range(30)]

DRAFTS = {
    "ascii": draft(),
    "german name and subject": draft(sender="Jürgen Groß <juergen@bücher.example>",
                                     subject="Grüße aus München – Ihr Angebot",
                                     text="Sehr geehrte Frau Müller,\n\nvielen Dank für Ihre Anfrage.\n"),
    "japanese name and domain": draft(to="山田太郎 <taro@例え.テスト>", subject="日本語の件名：ご提案について",
                                      text="山田様\n\nお世話になっております。\n"),
    "emoji": draft(sender="😀 Emoji Fan <fan@acme.example>", subject="Quick question 🎉🚀 about 😀",
                   text="Party time 🎉🎉🎉\n"),
    "cyrillic greek arabic": draft(to="Иван Петров <ivan@пример.рф>", subject="Ωμέγα, Кириллица и مرحبا"),
    "long subject in several encoded-words": draft(subject=LONG_MIXED.strip()),
    "long ascii subject folded": draft(subject=" ".join("word%d" % i for i in range(40))),
    "subject with leading trailing and double spaces": draft(subject="  spaced  out  "),
    "subject that looks like an encoded-word": draft(subject="=?UTF-8?B?SGVsbG8=?= literal"),
    "empty subject and text": draft(subject="", text=""),
    "quoted display names": draft(sender='"Doe, Jane \\"JD\\"" <jane@acme.example>',
                                  to='"Back\\\\slash (Ltd.)" <bob@example.com>'),
    "long display name": draft(sender="Very Long Name With Many Words That Goes On And On Beyond "
                                      "Any Sensible Length Ltd. <alice@acme.example>"),
    "long non-ascii display name": draft(to="Ünïcödé " * 20 + "<bob@example.com>"),
    "html alternative": draft(html="<html><body><p style=\"color:#333\">Hi Bob,</p>\n<p>A short "
                                   "note with ümlauts and 🎉.</p></body></html>\n"),
    "html with long lines": draft(text="x" * 500, html="<p>" + "y = z " * 200 + "</p>"),
    "threading headers": draft(subject="Re: Quick question", in_reply_to="<parent@acme.example>",
                               references=["<root@acme.example>", "<parent@acme.example>"]),
    "many references": draft(in_reply_to=MANY_REFERENCES[-1], references=MANY_REFERENCES),
    "unsubscribe url and mailto": draft(list_unsubscribe_url="https://acme.example/u/abc?x=1&y=2",
                                        list_unsubscribe_mailto="unsubscribe@acme.example"),
    "unsubscribe url only": draft(list_unsubscribe_url="https://acme.example/u/" + "t" * 40),
    "unsubscribe mailto only": draft(list_unsubscribe_mailto="abmelden+ü@bücher.example"),
    "utf-8 local part": draft(to="Jörg Müller <jörg@müller.example>", subject="Für Jörg"),
    "mixed line endings": draft(text="one\r\ntwo\nthree\rfour\r\n\r\nsix  \ttrailing \nend"),
    "text with equals tabs and long lines": draft(text="a=b\tc " * 40 + "\n" + "=" * 100 + "\n"),
    "text without final newline": draft(text="no newline at the end"),
    "dots and From at line starts": draft(text=".\n..\nFrom here\n.leading dot\n"),
    "uppercase domains": draft(sender="Alice <Alice@ACME.Example>", to="bob@Example.COM"),
    "bare addresses": draft(sender="alice@acme.example", to="<bob@example.com>"),
}


@pytest.mark.parametrize("value", DRAFTS.values(), ids=DRAFTS.keys())
def test_composed_message_reads_back_as_drafted(value):
    check_message(value, compose(value))


@pytest.mark.parametrize("domain,expected", [
    ("bücher.example", "xn--bcher-kva.example"),
    ("münchen.de", "xn--mnchen-3ya.de"),
    ("例え.テスト", "xn--r8jz45g.xn--zckzah"),
    ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
    ("ACME.Example", "acme.example"),
])
def test_address_domains_are_written_as_a_labels(domain, expected):
    message = parse(compose(draft(to="Bob <bob@%s>" % domain)))
    assert message["To"].addresses[0].domain == expected
    assert expected.encode("ascii") in header_section(compose(draft(to="bob@%s" % domain)))


def test_utf8_local_part_is_written_as_utf8():
    data = compose(draft(to="Jörg <jörg@müller.example>"))
    assert "<jörg@xn--mller-kva.example>".encode("utf-8") in data
    # Read as RFC 6532 text, the address is exact.
    message = email.message_from_string(data.decode("utf-8"), policy=email.policy.default)
    assert message["To"].addresses[0].username == "jörg"


def test_same_draft_gives_same_bytes_and_boundary_follows_message_id():
    value = draft(html="<p>Hi</p>")
    first = compose(value)
    assert compose(value) == first
    other = compose(dict(value, message_id="<other@acme.example>"))
    assert parse(first).get_boundary() != parse(other).get_boundary()


def test_tokens_too_long_to_fold_stay_whole_within_998_octets():
    url = "https://acme.example/u/" + "t" * 850
    message_id = "<" + "m" * 850 + "@acme.example>"
    value = draft(list_unsubscribe_url=url, message_id=message_id, in_reply_to=message_id,
                  references=[message_id, "<short@acme.example>"])
    data = compose(value)
    check_lines(data, header_limit=998)
    message = parse(data)
    assert str(message["List-Unsubscribe"]).strip() == "<%s>" % url
    assert str(message["Message-ID"]) == message_id
    assert str(message["References"]).split() == [message_id, "<short@acme.example>"]
    # A line longer than 78 holds a single token: it could not have been folded.
    for line in header_section(data).split(b"\r\n")[:-1]:
        token = line[1:] if line.startswith(b" ") else line.partition(b": ")[2]
        assert len(line) <= 78 or b" " not in token, line


def test_subject_encoded_words_are_at_most_75_characters():
    data = compose(draft(subject=LONG_MIXED * 2))
    words = re.findall(rb"=\?[^?]+\?[BbQq]\?[^?]*\?=", header_section(data))
    assert len(words) > 5
    assert all(len(word) <= 75 for word in words)
    assert str(parse(data)["Subject"]) == LONG_MIXED * 2


HOSTILE = {
    "subject CRLF Bcc": draft(subject="Hello\r\nBcc: victim@example.com"),
    "subject LF Bcc": draft(subject="Hello\nBcc: victim@example.com"),
    "subject CR Bcc": draft(subject="Hello\rBcc: victim@example.com"),
    "subject blank line then body": draft(subject="Hi\r\n\r\nInjected body"),
    "subject folded continuation": draft(subject="Hello\r\n Bcc: folded@example.com"),
    "subject control characters": draft(subject="nul\x00 tab\t esc\x1b del\x7f nel\x85 ls\u2028"),
    "from name CRLF Bcc": draft(sender="Alice\r\nBcc: victim@example.com <alice@acme.example>"),
    "quoted from name CRLF Bcc": draft(sender='"Alice\r\nBcc: victim@example.com" <alice@acme.example>'),
    "to address CRLF Bcc": draft(to="bob@example.com\r\nBcc: victim@example.com"),
    "to address with space": draft(to="Bob <bob smith@example.com>"),
    "to address without at": draft(to="Bob <bob.example.com>"),
    "unbalanced angle bracket": draft(to="Bob <bob@example.com"),
    "domain label with hyphen": draft(to="bob@-example.com"),
    "message id CRLF Bcc": draft(message_id="<id@acme.example>\r\nBcc: victim@example.com"),
    "message id without brackets": draft(message_id="id@acme.example"),
    "in-reply-to CRLF": draft(in_reply_to="<p@acme.example>\nBcc: victim@example.com"),
    "references with space": draft(references=["<ok@acme.example>", "<bad id@acme.example>"]),
    "unsubscribe url CRLF": draft(list_unsubscribe_url="https://acme.example/u\r\nBcc: victim@example.com"),
    "unsubscribe url with space": draft(list_unsubscribe_url="https://acme.example/u x"),
    "unsubscribe url with angle bracket": draft(list_unsubscribe_url="https://acme.example/u>, <https://evil"),
    "unsubscribe mailto CRLF": draft(list_unsubscribe_mailto="u@acme.example\r\nBcc: victim@example.com"),
    "body with boundary lookalikes": draft(text="--=_0000\r\n--=_0000--\r\n", html="--=_x\n.\n"),
    "body with CRLF dot CRLF": draft(text="line\r\n.\r\nQUIT\r\n"),
}


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_values_error_or_inject_nothing(value):
    process = run(value)
    if process.returncode != 0:
        assert process.returncode == 2
        assert process.stdout == b""
        stderr = process.stderr.decode("utf-8")
        assert stderr.startswith("error: ") and stderr.endswith("\n")
        assert stderr.count("\n") == 1  # one line: no value was echoed with its line breaks
        assert len(stderr) > len("error: \n")
        return
    data = process.stdout
    check_lines(data)
    message = parse(data)
    assert message["Bcc"] is None
    assert all(key in FIELD_ORDER for key in message.keys())
    assert b"\r\nBcc:" not in header_section(data)
    check_message(value, data)


@pytest.mark.parametrize("value,words", [
    (draft(sender="Alice\r\nBcc: victim@example.com <alice@acme.example>"), ["from", "control character"]),
    (draft(to="bob@example.com\r\nBcc: victim@example.com"), ["to", "control character"]),
    (draft(to="Bob <bob.example.com>"), ["to", "no '@'"]),
    (draft(message_id="<id@acme.example>\r\nBcc: x@y"), ["Message-ID"]),
    (draft(in_reply_to="no-brackets@acme.example"), ["In-Reply-To", "<left@right>"]),
    (draft(references=["<a b@acme.example>"]), ["References", "space"]),
    (draft(list_unsubscribe_url="https://acme.example/u x"), ["List-Unsubscribe", "space"]),
    (draft(list_unsubscribe_url="http://acme.example/u"), ["List-Unsubscribe", "https://"]),
    (draft(date=-2500000000), ["Date"]),
    ('{"from": ', ["JSON"]),
    (dict(draft(), bcc="x@y"), ["bcc", "unknown key"]),
    ({"to": BOB}, ["from", "missing"]),
])
def test_bad_drafts_exit_2_with_a_clear_message(value, words):
    process = run(value)
    assert process.returncode == 2
    assert process.stdout == b""
    stderr = process.stderr.decode("utf-8")
    assert stderr.startswith("error: ")
    for word in words:
        assert word in stderr
