"""The hostile IMAP server's scenarios checked from the outside: `normal` with Python's imaplib
(plain, STARTTLS and implicit TLS), the others with raw sockets, reading exactly what they send."""

from __future__ import annotations

import imaplib
import json
import re
import signal
import socket
import ssl
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import hostile_imap_server as hostile  # noqa: E402

SCRIPT = HERE / "hostile_imap_server.py"


@contextmanager
def hostile_server(scenario: str, *args: str):
    process = subprocess.Popen([sys.executable, str(SCRIPT), "--scenario", scenario, *args],
                               stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(process.stdout.readline())
        assert info["pid"] == process.pid
        yield info
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0


def context(info) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=info["ca_file"])


class Raw:
    """A socket with a line reader, to see exactly what the server sends."""

    def __init__(self, port: int, timeout: float = 5):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError(self.buffer)
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line + b"\r\n"

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode() + b"\r\n")

    def login(self) -> None:
        assert self.line().startswith(b"* OK [CAPABILITY IMAP4rev1")
        self.send(f"a1 LOGIN {hostile.USER} {hostile.PASSWORD}")
        assert self.line().startswith(b"a1 OK")


def fetch_all(imap: imaplib.IMAP4) -> dict:
    typ, data = imap.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[])")
    assert typ == "OK"
    return {int(re.search(rb"UID (\d+)", part[0]).group(1)): part[1]
            for part in data if isinstance(part, tuple)}


def check_normal_session(imap: imaplib.IMAP4) -> None:
    assert imap.login(hostile.USER, hostile.PASSWORD)[0] == "OK"
    typ, folders = imap.list()
    assert typ == "OK" and any(b"\\Sent" in f and f.endswith(b" Sent") for f in folders)
    assert imap.select("INBOX", readonly=True)[0] == "OK"
    assert imap.response("UIDVALIDITY")[1] == [b"7"]
    assert imap.uid("SEARCH", "ALL") == ("OK", [b"1 2"])
    assert fetch_all(imap) == hostile.MESSAGES
    imap.logout()


def test_normal_over_plain_starttls_and_implicit_tls():
    with hostile_server("normal") as info:
        imap = imaplib.IMAP4("127.0.0.1", info["port"], timeout=5)
        assert {"IMAP4REV1", "IDLE", "AUTH=PLAIN", "STARTTLS"} <= set(imap.capabilities)
        check_normal_session(imap)
        imap = imaplib.IMAP4("localhost", info["port"], timeout=5)
        imap.starttls(context(info))
        check_normal_session(imap)
    with hostile_server("normal", "--tls") as info:
        imap = imaplib.IMAP4_SSL("127.0.0.1", info["port"], ssl_context=context(info), timeout=5)
        assert "STARTTLS" not in imap.capabilities
        check_normal_session(imap)
        with pytest.raises(ssl.SSLCertVerificationError):
            imaplib.IMAP4_SSL("127.0.0.1", info["port"], ssl_context=ssl.create_default_context())


def test_normal_authenticate_plain_literals_and_idle(tmp_path):
    transcript = tmp_path / "transcript"
    with hostile_server("normal", "--transcript", str(transcript)) as info:
        imap = imaplib.IMAP4("127.0.0.1", info["port"], timeout=5)
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            imap.authenticate("PLAIN", lambda _: f"\0{hostile.USER}\0wrong".encode())
        plain = f"\0{hostile.USER}\0{hostile.PASSWORD}".encode()
        assert imap.authenticate("PLAIN", lambda _: plain)[0] == "OK"
        imap.logout()

        raw = Raw(info["port"])
        raw.line()
        raw.send(f"a1 LOGIN {{{len(hostile.USER)}}}")  # a synchronizing literal
        assert raw.line().startswith(b"+ ")
        raw.sock.sendall(hostile.USER.encode() + f' "{hostile.PASSWORD}"\r\n'.encode())
        assert raw.line().startswith(b"a1 OK")
        raw.send("a2 IDLE")
        assert raw.line().startswith(b"+ ")
        raw.send("DONE")
        assert raw.line().startswith(b"a2 OK")
        raw.send("a3 UID FETCH 2 (UID BODY.PEEK[HEADER])")
        header = hostile.MESSAGES[2].split(b"\r\n\r\n")[0] + b"\r\n\r\n"
        assert raw.line() == f"* 2 FETCH (UID 2 BODY[HEADER] {{{len(header)}}}\r\n".encode()
    text = transcript.read_text()
    assert re.search(r"^1 C: \S+ AUTHENTICATE PLAIN$", text, re.M)
    assert "2 C: a3 UID FETCH 2 (UID BODY.PEEK[HEADER])\n2 S: * 2 FETCH" in text


def test_stall_greets_then_says_nothing():
    with hostile_server("stall") as info:
        raw = Raw(info["port"], timeout=1)
        assert raw.line().startswith(b"* OK")
        raw.send("a1 CAPABILITY")
        with pytest.raises(TimeoutError):
            raw.line()
        # imaplib asks for CAPABILITY as it connects, so it times out there.
        with pytest.raises(TimeoutError):
            imaplib.IMAP4("127.0.0.1", info["port"], timeout=1)


def test_starttls_injection_puts_plaintext_after_the_ok():
    with hostile_server("starttls_injection") as info:
        raw = Raw(info["port"])
        assert b"STARTTLS" in raw.line()
        raw.send("a1 STARTTLS")
        # Both lines arrive before any handshake, in the clear.
        assert raw.line() == b"a1 OK Begin TLS negotiation now\r\n"
        assert raw.line() == b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n"
        # A client that does go on gets TLS and a normal server.
        tls = context(info).wrap_socket(raw.sock, server_hostname="localhost")
        tls.sendall(b"a2 NOOP\r\n")
        assert tls.recv(100) == b"a2 OK NOOP completed\r\n"


def test_bye_closes_after_the_greeting():
    with hostile_server("bye") as info:
        raw = Raw(info["port"])
        assert raw.line().startswith(b"* OK")
        assert raw.line() == b"* BYE shutting down\r\n"
        assert raw.sock.recv(10) == b""


def test_endless_line_never_ends():
    with hostile_server("endless_line") as info:
        raw = Raw(info["port"])
        received = b""
        while len(received) < 4 << 20:
            received += raw.sock.recv(1 << 20)
        assert received.startswith(b"* OK AAAA") and b"\n" not in received
        raw.sock.close()


def test_huge_literal_is_announced_then_trickled():
    with hostile_server("huge_literal") as info:
        raw = Raw(info["port"])
        raw.login()
        raw.send("a2 UID FETCH 1 (UID BODY.PEEK[])")
        assert raw.line() == b"* 1 FETCH (UID 1 BODY[] {2147483648}\r\n"
        received = raw.buffer
        while len(received) < 8192:
            received += raw.sock.recv(65536)
        assert set(received) == {ord("x")}
        raw.sock.close()


@pytest.mark.parametrize("scenario,lines", [
    ("malformed_parens", [b"* 1 FETCH (UID 1 FLAGS (\\Seen)\r\n"]),
    ("malformed_literal", [b"* 1 FETCH (UID 1 BODY[] {12a}\r\n"]),
    ("unknown_tag", [b"zz999 OK FETCH completed\r\n"]),
    ("malformed", [b"* 1 FETCH (UID 1 FLAGS (\\Seen)\r\n", b"* 1 FETCH (UID 1 BODY[] {12a}\r\n",
                   b"zz999 OK FETCH completed\r\n"]),
])
def test_malformed_fetch_replies(scenario, lines):
    with hostile_server(scenario) as info:
        raw = Raw(info["port"])
        raw.login()
        raw.send("a2 UID FETCH 1:* (UID FLAGS)")
        assert [raw.line() for _ in lines] == lines
        assert raw.line() == b"a2 OK FETCH completed\r\n"


def test_out_of_order_and_wrong_tags():
    with hostile_server("out_of_order") as info:
        raw = Raw(info["port"])
        raw.login()
        raw.send("a2 UID FETCH 1 (UID FLAGS)")
        assert raw.line() == b"a2 OK FETCH completed\r\n"
        assert raw.line() == b"* 1 FETCH (UID 1 FLAGS ())\r\n"
    with hostile_server("wrong_tag") as info:
        raw = Raw(info["port"])
        raw.login()
        raw.send("a2 EXAMINE INBOX")
        assert raw.line().startswith(b"a1 OK")
