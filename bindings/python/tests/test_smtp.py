"""SMTP sending through the binding, against a real server (aiosmtpd, in this process) and a real
DKIM verifier (dkimpy): the standalone SmtpTransport and Engine(transport="mailbox").

Certificates and DKIM keys are made by the openssl command line for each test session; the
servers listen on free ports of 127.0.0.1 and are stopped by their fixtures.
"""

from __future__ import annotations

import base64
import email
import email.policy
import email.utils
import json
import os
import subprocess
import threading
import weakref
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

pytest.importorskip("aiosmtpd")

import outreach  # noqa: E402
from conftest import EXAMPLE_DIR, EXAMPLE_INBOUND, quietly, write_json  # noqa: E402
from smtp_server import Received, SmtpServer  # noqa: E402

SECRET = "pa55-Word-never-shown"
WRONG_SECRET = "wrong-Pa55-never-shown"

# ---- fixtures: certificates, keys, servers ------------------------------------------------------


def openssl(*args: Any, cwd: Path) -> bytes:
    result = subprocess.run(["openssl", *map(str, args)], capture_output=True, cwd=cwd, timeout=120)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    """Self-signed certificates (each its own CA): `server` for 127.0.0.1 and localhost, `other`
    for another name only."""
    folder = tmp_path_factory.mktemp("certificates")
    for name, names in (("server", "IP:127.0.0.1,DNS:localhost"), ("other", "DNS:other.example")):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", f"/CN={name} test",
                "-addext", f"subjectAltName={names}", cwd=folder)
    return {name: folder / name for name in ("server", "other")}


@pytest.fixture(scope="session")
def dkim_keys(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Tuple[Path, bytes]]:
    """An RSA and an Ed25519 private key, each with the DNS TXT record of its public key."""
    folder = tmp_path_factory.mktemp("dkim")
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem", cwd=folder)
    openssl("genpkey", "-algorithm", "ed25519", "-out", "ed25519.pem", cwd=folder)
    keys = {}
    for name in ("rsa", "ed25519"):
        public = openssl("pkey", "-in", f"{name}.pem", "-pubout", "-outform", "DER", cwd=folder)
        # RSA records hold the SubjectPublicKeyInfo; Ed25519 ones the raw 32-byte key (RFC 8463).
        key = public if name == "rsa" else public[-32:]
        keys[name] = (folder / f"{name}.pem", b"v=DKIM1; k=" + name.encode() + b"; p=" + base64.b64encode(key))
    return keys


@pytest.fixture
def start_server(certificates: Dict[str, Path]) -> Iterator[Callable[..., SmtpServer]]:
    """Starts servers (`security`, `certificate` = "server" or "other", logins, tokens,
    smtputf8); every one is stopped at the end of the test."""
    servers: List[SmtpServer] = []

    def start(security: str = "none", certificate: str = "server", **options: Any) -> SmtpServer:
        base = certificates[certificate]
        server = SmtpServer(security, base.with_suffix(".pem"), base.with_suffix(".key"), **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def trace() -> List[str]:
    return []


def mailbox(server: SmtpServer, **settings: Any) -> Dict[str, Any]:
    """A mailbox object of the campaign format whose transport is `server`."""
    result: Dict[str, Any] = {
        "id": "mo",
        "from": "Mo Sender <mo@sender.example>",
        "transport": server.url(),
        "security": server.security,
    }
    result.update(settings)
    return {key: value for key, value in result.items() if value is not None}


def compose(subject: str = "Grüße from the test", to: str = "Ann Lee <ann@one.example>", html: bool = True,
            body: str = "Hi Ann,\n\n.a line that starts with a dot\n.\nand one that is only a dot, above.\n\nMo\n",
            message_id: str = "<test-1@sender.example>") -> bytes:
    """A message as a host composes it, with CRLF line ends (the SMTP policy)."""
    message = EmailMessage()
    message["From"] = "Mo Sender <mo@sender.example>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = email.utils.format_datetime(email.utils.localtime())
    message["Message-ID"] = message_id
    message.set_content(body)
    if html:
        message.add_alternative("<p>Hi Ann,</p><p>Ünïcödé and a long line " + "word " * 40 + "</p>", subtype="html")
    return message.as_bytes(policy=email.policy.SMTP)


def parse(data: bytes) -> Any:
    return email.message_from_bytes(data, policy=email.policy.default)


def assert_same_message(received: bytes, sent: bytes) -> None:
    """Byte for byte (SMTP only adds the dot-stuffing, which the server undoes), and as parsed."""
    assert received == sent
    a, b = parse(received), parse(sent)
    assert a.items() == b.items()
    for kind in ("plain", "html"):
        part_a, part_b = a.get_body(preferencelist=(kind,)), b.get_body(preferencelist=(kind,))
        assert (part_a is None) == (part_b is None)
        if part_a is not None:
            assert part_a.get_content() == part_b.get_content()


# ---- sending and what arrives ------------------------------------------------------------------------


def test_a_message_arrives_intact_with_its_envelope(start_server: Callable[..., SmtpServer], trace: List[str]) -> None:
    server = start_server()
    data = compose()
    with outreach.SmtpTransport(helo_name="client.sender.example", trace=trace.append) as smtp:
        outcome = smtp.send(mailbox(server), "mo@sender.example", "ann@one.example", data)
        assert outcome == outreach.SendOutcome("accepted", 250, "2.0.0", outcome.reason, "Q1", False)
        assert outcome.accepted and not outcome.temporary and not outcome.permanent
        assert smtp.connections_opened == 1
    (received,) = server.messages
    assert received.mail_from == "mo@sender.example"
    assert received.rcpt_tos == ["ann@one.example"]
    assert not received.tls and received.login is None
    assert_same_message(received.data, data)
    assert "C: EHLO client.sender.example" in trace
    assert any(line.startswith("S: 250") for line in trace)
    assert "C: QUIT" in trace
    assert not any("Hi Ann" in line for line in trace)  # message data is never traced


def test_starttls_with_the_tests_certificate(start_server: Callable[..., SmtpServer], certificates: Dict[str, Path],
                                             trace: List[str]) -> None:
    server = start_server("starttls")
    data = compose()
    with outreach.SmtpTransport(trace=trace.append) as smtp:
        box = mailbox(server, ca_file=str(certificates["server"].with_suffix(".pem")))
        assert smtp.send(box, "mo@sender.example", "ann@one.example", data).accepted
    (received,) = server.messages
    assert received.tls
    assert_same_message(received.data, data)
    assert "C: STARTTLS" in trace


def test_implicit_tls_with_the_tests_certificate(start_server: Callable[..., SmtpServer],
                                                 certificates: Dict[str, Path]) -> None:
    server = start_server("tls")
    data = compose()
    with outreach.SmtpTransport() as smtp:
        box = mailbox(server, ca_file=str(certificates["server"].with_suffix(".pem")))
        assert box["transport"].startswith("smtps://")
        outcome = smtp.send(box, "mo@sender.example", "bo@two.example", data)
    assert outcome.accepted, outcome
    (received,) = server.messages
    assert received.tls and received.rcpt_tos == ["bo@two.example"]
    assert_same_message(received.data, data)


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_certificate_that_is_not_trusted_or_not_for_the_host_is_a_temporary_failure(
    start_server: Callable[..., SmtpServer], certificates: Dict[str, Path], security: str
) -> None:
    trusted = start_server(security)
    wrong_name = start_server(security, certificate="other")
    with outreach.SmtpTransport(timeouts={"connect": 10, "tls": 10, "command": 10}) as smtp:
        # The system's CAs do not know the test's certificate.
        untrusted = smtp.send(mailbox(trusted), "mo@sender.example", "ann@one.example", compose())
        # Trusted, but made out for another name than 127.0.0.1.
        other = mailbox(wrong_name, ca_file=str(certificates["other"].with_suffix(".pem")))
        mismatched = smtp.send(other, "mo@sender.example", "ann@one.example", compose())
    for outcome in (untrusted, mismatched):
        assert outcome.temporary and outcome.code == 0 and outcome.reason, outcome
    assert trusted.messages == [] and wrong_name.messages == []


def test_starttls_that_the_server_does_not_offer_is_never_skipped(start_server: Callable[..., SmtpServer],
                                                                   certificates: Dict[str, Path]) -> None:
    server = start_server("none")
    box = mailbox(server, security="starttls", ca_file=str(certificates["server"].with_suffix(".pem")))
    with outreach.SmtpTransport() as smtp:
        outcome = smtp.send(box, "mo@sender.example", "ann@one.example", compose())
    assert not outcome.accepted and "STARTTLS" in (outcome.reason or ""), outcome
    assert server.messages == []


def test_smtputf8_and_8bitmime_when_the_server_offers_them(start_server: Callable[..., SmtpServer]) -> None:
    server = start_server()
    data = (
        "From: Mo <mo@sender.example>\r\nTo: Jörg <jörg@bücher.example>\r\nSubject: Grüße\r\n"
        "Message-ID: <utf8@sender.example>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Schöne Grüße, Jörg — ☕\r\n"
    ).encode("utf-8")
    with outreach.SmtpTransport() as smtp:
        # The envelope's non-ASCII local part needs SMTPUTF8 without being told.
        outcome = smtp.send(mailbox(server), "mo@sender.example", "jörg@bücher.example", data)
        assert outcome.accepted, outcome
        # 8-bit data with ASCII addresses: 8BITMIME only.
        eight_bit = data.replace("jörg@bücher".encode(), b"joerg@buecher")
        assert smtp.send(mailbox(server), "mo@sender.example", "joerg@buecher.example", eight_bit).accepted
    utf8, plain = server.messages
    assert utf8.rcpt_tos == ["jörg@xn--bcher-kva.example"]
    assert utf8.smtputf8 and "SMTPUTF8" in utf8.mail_options
    assert utf8.data == data
    assert parse(utf8.data).get_content().splitlines() == ["Schöne Grüße, Jörg — ☕"]
    assert "BODY=8BITMIME" in plain.mail_options and not plain.smtputf8
    assert plain.data == eight_bit


def test_a_message_that_needs_smtputf8_is_not_sent_to_a_server_without_it(
    start_server: Callable[..., SmtpServer]
) -> None:
    server = start_server(smtputf8=False)
    with outreach.SmtpTransport() as smtp:
        outcome = smtp.send(mailbox(server), "mo@sender.example", "jörg@bücher.example", compose(), smtputf8=True)
        ascii_outcome = smtp.send(mailbox(server), "mo@sender.example", "ann@one.example", compose())
    assert not outcome.accepted and "SMTPUTF8" in (outcome.reason or ""), outcome
    assert ascii_outcome.accepted
    assert [message.rcpt_tos for message in server.messages] == [["ann@one.example"]]


def test_submit_and_flush_send_many_messages_over_few_connections(
    start_server: Callable[..., SmtpServer], trace: List[str]
) -> None:
    first, second = start_server(), start_server()
    done: List[outreach.SendOutcome] = []
    sent: Dict[str, bytes] = {}
    with outreach.SmtpTransport(connections_per_mailbox=2, trace=trace.append) as smtp:
        for index in range(24):
            server = first if index % 3 else second
            box = mailbox(server, id="first" if server is first else "second")
            data = compose(message_id=f"<pipelined-{index}@sender.example>", html=index % 2 == 0)
            sent[f"<pipelined-{index}@sender.example>"] = data
            smtp.submit(box, "mo@sender.example", f"lead{index}@leads.example", data, done=done.append)
        assert done == []  # nothing is sent before flush
        outcomes = smtp.flush()
        assert smtp.flush() == []
        assert len(outcomes) == 24 and all(outcome.accepted for outcome in outcomes), outcomes
        assert sorted(done, key=id) == sorted(outcomes, key=id)
        assert 2 <= smtp.connections_opened <= 4
    received = first.messages + second.messages
    assert len(first.messages) == 16 and len(second.messages) == 8
    for message in received:
        message_id = parse(message.data)["Message-ID"]
        assert_same_message(message.data, sent.pop(message_id))
        index = int(message_id.split("-")[1].split("@")[0])
        assert message.rcpt_tos == [f"lead{index}@leads.example"]
    assert sent == {}


@pytest.mark.parametrize("pipelining", [True, False])
def test_pipelining_when_the_server_offers_it_and_the_settings_want_it(
    start_server: Callable[..., SmtpServer], trace: List[str], pipelining: bool
) -> None:
    server = start_server(pipelining=True)
    sent = [compose(message_id=f"<p{index}@sender.example>", html=False) for index in range(5)]
    with outreach.SmtpTransport(connections_per_mailbox=1, pipelining=pipelining, trace=trace.append) as smtp:
        for index, data in enumerate(sent):
            smtp.submit(mailbox(server), "mo@sender.example", f"lead{index}@leads.example", data)
        assert all(outcome.accepted for outcome in smtp.flush())
        assert smtp.connections_opened == 1
    assert "S: 250-PIPELINING" in trace
    # Pipelined, MAIL, RCPT and DATA go out together, before any reply; otherwise one by one.
    together = [index for index, line in enumerate(trace) if line.startswith("C: MAIL FROM:")
                and trace[index + 1].startswith("C: RCPT TO:") and trace[index + 2] == "C: DATA"]
    assert (len(together) == 5) == pipelining and (together == []) == (not pipelining), trace
    assert [message.data for message in server.messages] == sent
    assert [message.rcpt_tos for message in server.messages] == [[f"lead{index}@leads.example"] for index in range(5)]


def test_a_message_larger_than_the_servers_size_is_refused_before_it_is_sent(
    start_server: Callable[..., SmtpServer], trace: List[str]
) -> None:
    server = start_server(data_size_limit=4000)
    large = compose(body="Hi Ann,\n" + "a line of text that makes the message large\n" * 200)
    with outreach.SmtpTransport(trace=trace.append) as smtp:
        outcome = smtp.send(mailbox(server), "mo@sender.example", "ann@one.example", large)
        assert not outcome.accepted, outcome
        assert smtp.send(mailbox(server), "mo@sender.example", "ann@one.example", compose(html=False)).accepted
    assert len(server.messages) == 1 and len(server.messages[0].data) < 4000
    assert sum(line.startswith("C: MAIL FROM:") for line in trace) == 1  # the large one never got to MAIL


def test_a_connection_lost_after_the_data_may_have_delivered(start_server: Callable[..., SmtpServer]) -> None:
    server = start_server()
    server.mailroom.drop_after_data = 1
    with outreach.SmtpTransport() as smtp:
        lost = smtp.send(mailbox(server), "mo@sender.example", "ann@one.example", compose())
        again = smtp.send(mailbox(server), "mo@sender.example", "bo@two.example", compose())
    assert lost.temporary and lost.maybe_delivered, lost
    assert again.accepted and not again.maybe_delivered
    assert [message.rcpt_tos for message in server.messages] == [["ann@one.example"], ["bo@two.example"]]


def test_the_engine_does_not_send_again_a_message_that_may_have_arrived(
    start_server: Callable[..., SmtpServer]
) -> None:
    server = start_server()
    server.mailroom.drop_after_data = 1
    box = {"id": "mo", "from": "Mo <mo@sender.example>", "daily_limit": 50, "transport": server.url(),
           "security": "none"}
    with outreach.Engine(transport="mailbox") as engine:
        quietly(engine.add_campaign, campaign_with_mailboxes([box], ["ann@one.example", "bo@two.example"]))
        quietly(engine.simulate)
        events = engine.events()
    in_doubt = [event for event in events if event["type"] == "in_doubt"]
    sent = [event for event in events if event["type"] == "sent"]
    assert len(in_doubt) == 1 and len(sent) == 3, [event["type"] for event in events]
    # Each message arrived once: what was sent, and the one in doubt, which was not sent again.
    arrived = sorted(parse(message.data)["Message-ID"] for message in server.messages)
    assert arrived == sorted(event["message_id"] for event in sent + in_doubt)


def test_connections_are_reused_and_closed(start_server: Callable[..., SmtpServer], trace: List[str]) -> None:
    server = start_server()
    smtp = outreach.SmtpTransport(trace=trace.append)
    for index in range(3):
        assert smtp.send(mailbox(server), "mo@sender.example", "ann@one.example", compose()).accepted
    assert smtp.connections_opened == 1
    assert trace.count("C: QUIT") == 0
    smtp.close()
    assert trace.count("C: QUIT") == 1
    assert smtp.closed
    smtp.close()  # again: nothing
    with pytest.raises(outreach.InvalidArgument, match="closed"):
        smtp.send(mailbox(server), "mo@sender.example", "ann@one.example", compose())
    assert len(server.messages) == 3


def test_dropping_the_last_reference_frees_the_transport() -> None:
    smtp = outreach.SmtpTransport(credentials=lambda *args: None, trace=lambda line: None)
    reference = weakref.ref(smtp)
    del smtp
    assert reference() is None


def test_an_unreachable_server_is_a_temporary_failure() -> None:
    unused = {"id": "mo", "from": "mo@sender.example", "transport": "smtp://127.0.0.1:9", "security": "none"}
    with outreach.SmtpTransport(timeouts={"connect": 5}) as smtp:
        outcome = smtp.send(unused, "mo@sender.example", "ann@one.example", compose())
        queued: List[outreach.SendOutcome] = []
        smtp.submit(unused, "mo@sender.example", "ann@one.example", compose(), done=queued.append)
    # Closing gave the queued message its outcome.
    assert outcome.temporary and outcome.code == 0 and not outcome.maybe_delivered, outcome
    assert len(queued) == 1 and queued[0].temporary


# ---- logging in ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["plain", "login", None])
def test_auth_with_the_password_in_the_environment(
    start_server: Callable[..., SmtpServer], certificates: Dict[str, Path], monkeypatch: pytest.MonkeyPatch,
    trace: List[str], auth: Optional[str]
) -> None:
    server = start_server("starttls", logins={"mo@sender.example": SECRET})
    monkeypatch.setenv("OUTREACH_TEST_SMTP_PASSWORD", SECRET)
    box = mailbox(server, username="mo@sender.example", auth=auth, password_env="OUTREACH_TEST_SMTP_PASSWORD",
                  ca_file=str(certificates["server"].with_suffix(".pem")))
    with outreach.SmtpTransport(trace=trace.append) as smtp:
        assert smtp.send(box, "mo@sender.example", "ann@one.example", compose()).accepted
    (attempt,) = server.attempts
    assert attempt.accepted and attempt.login == "mo@sender.example"
    assert attempt.mechanism == (auth or attempt.mechanism).upper()
    (received,) = server.messages
    assert received.login == "mo@sender.example" and received.tls
    assert not any(SECRET in line for line in trace)
    assert any(line.startswith("C: AUTH") for line in trace) and any("<redacted>" in line for line in trace)


def test_auth_through_the_credentials_callback(start_server: Callable[..., SmtpServer], trace: List[str]) -> None:
    server = start_server(logins={"mo@sender.example": SECRET})
    asked: List[Tuple[str, str, bool]] = []

    def credentials(mailbox_id: str, mechanism: str, refresh: bool) -> Tuple[Optional[str], str]:
        asked.append((mailbox_id, mechanism, refresh))
        return ("mo@sender.example", SECRET) if mechanism == "plain" else (None, SECRET)

    with outreach.SmtpTransport(credentials=credentials, trace=trace.append) as smtp:
        assert smtp.send(mailbox(server, username="x", auth="plain"), "mo@sender.example", "a@one.example",
                         compose()).accepted
        smtp.close()
    with outreach.SmtpTransport(credentials=credentials) as smtp:
        # No username from the callback: the mailbox's.
        box = mailbox(server, username="mo@sender.example", auth="login")
        assert smtp.send(box, "mo@sender.example", "b@one.example", compose()).accepted
    assert asked == [("mo", "plain", False), ("mo", "login", False)]
    assert [attempt.mechanism for attempt in server.attempts] == ["PLAIN", "LOGIN"]
    assert all(attempt.accepted for attempt in server.attempts)
    assert len(server.messages) == 2
    assert not any(SECRET in line for line in trace)


def test_xoauth2_a_refused_token_is_refreshed_once(start_server: Callable[..., SmtpServer], trace: List[str]) -> None:
    server = start_server(tokens={"fresh-token"})
    asked: List[Tuple[str, str, bool]] = []

    def tokens(mailbox_id: str, mechanism: str, refresh: bool) -> Tuple[str, str]:
        asked.append((mailbox_id, mechanism, refresh))
        return "mo@sender.example", "fresh-token" if refresh else "stale-token"

    box = mailbox(server, username="mo@sender.example", auth="xoauth2", token_env="OUTREACH_TEST_UNUSED_TOKEN")
    with outreach.SmtpTransport(credentials=tokens, trace=trace.append) as smtp:
        outcome = smtp.send(box, "mo@sender.example", "ann@one.example", compose())
    assert outcome.accepted, outcome
    assert asked == [("mo", "xoauth2", False), ("mo", "xoauth2", True)]
    assert [(attempt.login, attempt.secret, attempt.accepted) for attempt in server.attempts] == [
        ("mo@sender.example", "stale-token", False), ("mo@sender.example", "fresh-token", True)]
    assert len(server.messages) == 1
    assert not any("stale-token" in line or "fresh-token" in line for line in trace)

    # A token refused twice: given up, temporarily, after asking twice.
    asked.clear()
    with outreach.SmtpTransport(credentials=lambda *args: (asked.append(args), "stale-token")[1]) as smtp:
        outcome = smtp.send(box, "mo@sender.example", "ann@one.example", compose())
    assert outcome.temporary and "stale-token" not in (outcome.reason or ""), outcome
    assert [refresh for _, _, refresh in asked] == [False, True]
    assert len(server.messages) == 1


def test_a_wrong_password_is_temporary_and_never_shown(start_server: Callable[..., SmtpServer],
                                                       trace: List[str]) -> None:
    server = start_server(logins={"mo@sender.example": SECRET})
    with outreach.SmtpTransport(credentials=lambda *args: ("mo@sender.example", WRONG_SECRET),
                                trace=trace.append) as smtp:
        outcome = smtp.send(mailbox(server, username="mo@sender.example", auth="plain"), "mo@sender.example",
                            "ann@one.example", compose())
    assert outcome.temporary and outcome.code == 535, outcome
    assert WRONG_SECRET not in repr(outcome)
    assert not any(WRONG_SECRET in line for line in trace)
    assert server.messages == []
    assert [attempt.secret for attempt in server.attempts] == [WRONG_SECRET]  # it was sent, once


def test_a_credentials_callback_without_a_login_or_that_raises(start_server: Callable[..., SmtpServer]) -> None:
    server = start_server(logins={"mo@sender.example": SECRET})
    box = mailbox(server, username="mo@sender.example", auth="plain")
    with outreach.SmtpTransport(credentials=lambda *args: None) as smtp:
        outcome = smtp.send(box, "mo@sender.example", "ann@one.example", compose())
    assert outcome.temporary and "credentials callback" in (outcome.reason or ""), outcome

    def broken(*args: Any) -> Any:
        raise LookupError("no vault today")

    with outreach.SmtpTransport(credentials=broken) as smtp:
        with pytest.raises(LookupError, match="no vault today"):
            smtp.send(box, "mo@sender.example", "ann@one.example", compose())
        # The transport is still usable afterwards.
        assert smtp.send(mailbox(server), "mo@sender.example", "ann@one.example", compose()).accepted
    with outreach.SmtpTransport(credentials=lambda *args: 42) as smtp:  # type: ignore[arg-type,return-value]
        with pytest.raises(TypeError, match="credentials callback returns"):
            smtp.send(box, "mo@sender.example", "ann@one.example", compose())
    assert len(server.messages) == 1


# ---- callbacks and errors --------------------------------------------------------------------------------


def test_a_done_callback_that_raises_is_raised_by_flush_after_every_outcome(
    start_server: Callable[..., SmtpServer]
) -> None:
    server = start_server()
    got: List[str] = []

    def fussy(outcome: outreach.SendOutcome) -> None:
        got.append(outcome.kind)
        raise RuntimeError("fussy callback")

    with outreach.SmtpTransport() as smtp:
        smtp.submit(mailbox(server), "mo@sender.example", "a@one.example", compose(), done=fussy)
        smtp.submit(mailbox(server), "mo@sender.example", "b@one.example", compose(), done=got.append)
        with pytest.raises(RuntimeError, match="fussy callback"):
            smtp.flush()
        assert len(got) == 2
        # From a callback, the transport cannot be used.
        smtp.submit(mailbox(server), "mo@sender.example", "c@one.example", compose(),
                    done=lambda outcome: smtp.send(mailbox(server), "", "d@one.example", compose()))
        with pytest.raises(outreach.Busy):
            smtp.flush()
    assert len(server.messages) == 3


def test_settings_and_arguments_the_library_refuses() -> None:
    with pytest.raises(outreach.InvalidValue, match="timeouts.connect"):
        outreach.SmtpTransport(timeouts={"connect": 0})
    with pytest.raises(outreach.UnknownKey, match="timeouts.conect"):
        outreach.SmtpTransport(timeouts={"conect": 5})
    with pytest.raises(outreach.InvalidValue, match="helo_name"):
        outreach.SmtpTransport(helo_name="not a host")
    with pytest.raises(outreach.InvalidValue, match="connections_per_mailbox"):
        outreach.SmtpTransport(connections_per_mailbox=0)
    with pytest.raises(outreach.InvalidArgument, match="timeouts.idle"):
        outreach.SmtpTransport(timeouts={"idle": "soon"})
    with pytest.raises(TypeError):
        outreach.SmtpTransport(credentials="vault")  # type: ignore[arg-type]
    with pytest.raises(outreach.UnknownKey, match="colour"):
        outreach.Engine(transport="mailbox", smtp={"colour": "red"})
    with pytest.raises(outreach.InvalidArgument, match="mailbox"):
        outreach.Engine(transport="pigeon")
    with pytest.raises(outreach.InvalidArgument, match="transport=\"mailbox\""):
        outreach.Engine(smtp={"pipelining": False})

    box = {"id": "mo", "from": "mo@sender.example", "transport": "smtp://127.0.0.1:9", "security": "none"}
    with outreach.SmtpTransport(timeouts={"connect": {"seconds": 5}, "data": 30.5}) as smtp:
        with pytest.raises(outreach.InvalidArgument, match="bytes"):
            smtp.send(box, "mo@sender.example", "ann@one.example", "Subject: x\r\n\r\nhi\r\n")  # type: ignore[arg-type]
        with pytest.raises(outreach.InvalidValue, match="bare LF"):
            smtp.send(box, "mo@sender.example", "ann@one.example", b"Subject: x\n\nhi\n")
        with pytest.raises(outreach.InvalidValue, match="envelope_to"):
            smtp.send(box, "mo@sender.example", "ann at one.example", compose())
        with pytest.raises(outreach.UnknownKey, match="colour"):
            smtp.send(dict(box, colour="red"), "mo@sender.example", "ann@one.example", compose())
        with pytest.raises(outreach.InvalidValue, match="transport"):
            smtp.send(dict(box, transport="outbox:sent"), "mo@sender.example", "ann@one.example", compose())
        with pytest.raises(outreach.InvalidValue, match="password_env"):
            smtp.send(dict(box, password="hunter2"), "mo@sender.example", "ann@one.example", compose())
        with pytest.raises(outreach.NotFound):
            smtp.send(dict(box, dkim={"domain": "sender.example", "selector": "s", "key_file": "/nonexistent.pem"}),
                      "mo@sender.example", "ann@one.example", compose())
        assert smtp.connections_opened == 0


def test_send_outcomes_can_be_a_custom_transports_result() -> None:
    class Relay:
        def send(self, message: outreach.Message) -> outreach.SendOutcome:
            return outreach.SendOutcome("permanent", 550, "5.1.1", "no such user")

    from conftest import small_campaign

    with outreach.Engine(transport=Relay()) as engine:
        engine.add_campaign(small_campaign(leads=["ann@one.example"], steps=1))
        engine.simulate()
        failed = [event for event in engine.events() if event["type"] == "failed"]
    assert failed and failed[0]["code"] == 550 and failed[0]["status"] == "5.1.1"


# ---- DKIM: signed, sent, and verified by dkimpy after the server -----------------------------------------


def dkim_verifier(keys: Dict[str, Tuple[Path, bytes]]) -> Callable[[bytes], bool]:
    dkim = pytest.importorskip("dkim")
    records = {f"{name}2026".encode(): record for name, (_, record) in keys.items()}

    def lookup(name: bytes, timeout: int = 5) -> Optional[bytes]:
        return records.get(name.split(b"._domainkey.")[0])

    return lambda data: bool(dkim.verify(data, dnsfunc=lookup))


def dkim_settings(keys: Dict[str, Tuple[Path, bytes]], name: str) -> Dict[str, str]:
    return {"domain": "sender.example", "selector": f"{name}2026", "key_file": str(keys[name][0])}


def test_the_smtp_transport_signs_for_a_mailbox_with_dkim(start_server: Callable[..., SmtpServer],
                                                          dkim_keys: Dict[str, Tuple[Path, bytes]]) -> None:
    verify = dkim_verifier(dkim_keys)
    server = start_server()
    data = compose()
    with outreach.SmtpTransport() as smtp:
        for name in ("rsa", "ed25519"):
            box = mailbox(server, dkim=dkim_settings(dkim_keys, name))
            assert smtp.send(box, "mo@sender.example", "ann@one.example", data).accepted
    for message, algorithm in zip(server.messages, ("rsa-sha256", "ed25519-sha256")):
        assert message.data.startswith(b"DKIM-Signature:") and message.data.endswith(data)
        assert f"a={algorithm}" in parse(message.data)["DKIM-Signature"]
        assert verify(message.data)
        assert not verify(message.data.replace(b"Hi Ann", b"Hi Bob"))


def test_messages_the_engine_signs_verify_after_the_smtp_server(
    start_server: Callable[..., SmtpServer], dkim_keys: Dict[str, Tuple[Path, bytes]]
) -> None:
    verify = dkim_verifier(dkim_keys)
    server = start_server()
    campaign = campaign_with_mailboxes(
        [
            {"id": "rsa", "from": "Rae Sender <rae@sender.example>", "daily_limit": 50, "transport": server.url(),
             "security": "none", "dkim": dkim_settings(dkim_keys, "rsa")},
            {"id": "ed", "from": "Ed Sender <ed@sender.example>", "daily_limit": 50, "transport": server.url(),
             "security": "none", "dkim": dkim_settings(dkim_keys, "ed25519")},
        ],
        leads=["ann@one.example", "bo@two.example", "cy@three.example", "di@four.example", "jörg@bücher.example"],
    )
    with outreach.Engine(transport="mailbox") as engine:
        quietly(engine.add_campaign, campaign)
        quietly(engine.simulate)
        sent = [event for event in engine.events() if event["type"] == "sent"]
    assert len(sent) == 10 == len(server.messages)
    algorithms = set()
    for message in server.messages:
        parsed = parse(message.data)
        signature = parsed["DKIM-Signature"]
        algorithms.add("ed25519" if "a=ed25519-sha256" in signature else "rsa")
        assert verify(message.data), parsed["Message-ID"]
        assert not verify(message.data.replace(b"Subject:", b"Subject: Re:", 1))
    assert algorithms == {"rsa", "ed25519"}


# ---- the engine, end to end ----------------------------------------------------------------------------------


def campaign_with_mailboxes(mailboxes: List[Dict[str, Any]], leads: List[str], name: str = "smtp-test",
                            steps: int = 2) -> Dict[str, Any]:
    sequence = {
        "name": "two",
        "steps": [{"variants": [{"subject": "Hello {{first_name}}", "text": "Hi {{first_name}},\n.a dot line\n"}]}],
    }
    for _ in range(steps - 1):
        sequence["steps"].append({"delay": {"days": 1}, "thread": "reply", "variants": [{"text": "Bumping this."}]})
    return {
        "name": name,
        "sequence": sequence,
        "leads": [{"email": lead, "first_name": lead.split("@")[0].title()} for lead in leads],
        "schedule": {"timezone": "UTC", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                     "hours": ["00:00-24:00"], "start": "2026-12-01T00:00:00Z"},
        "mailboxes": mailboxes,
    }


def check_matches_events(events: List[Dict[str, Any]], arrived: Dict[str, List[Received]],
                         senders: Dict[str, str]) -> None:
    """Every message that arrived is one `sent` event (same Message-ID, the lead as envelope
    recipient, the mailbox's From as envelope sender), and every such event arrived once."""
    by_id: Dict[str, Tuple[str, Received]] = {}
    for mailbox_id, messages in arrived.items():
        for message in messages:
            message_id = parse(message.data)["Message-ID"]
            assert message_id not in by_id, f"{message_id} arrived twice"
            by_id[message_id] = (mailbox_id, message)
    sent = [event for event in events if event["type"] == "sent"]
    assert len(sent) == len(by_id)
    for event in sent:
        mailbox_id, message = by_id.pop(event["message_id"])
        assert mailbox_id == event["mailbox"]
        assert message.rcpt_tos == [event["lead"]]
        assert message.mail_from == senders[event["mailbox"]]
        parsed = parse(message.data)
        assert parsed["Subject"] == event["subject"]
        assert parsed["To"].addresses[0].addr_spec == event["lead"]
        if "in_reply_to" in event:
            assert parsed["In-Reply-To"] == event["in_reply_to"]
    assert by_id == {}


def test_a_campaign_sent_through_smtp_servers_matches_its_event_log(
    start_server: Callable[..., SmtpServer], certificates: Dict[str, Path], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example campaign (500 leads, 3 steps, its inbound script) on the manual clock, with
    alice on a STARTTLS server with AUTH, bob on a plain-text one, and carol into an outbox."""
    secure = start_server("starttls", logins={"alice@acme.example": SECRET})
    plain = start_server("none")
    monkeypatch.setenv("OUTREACH_TEST_ALICE_PASSWORD", SECRET)
    campaign = json.loads((EXAMPLE_DIR / "campaign.json").read_text(encoding="utf-8"))
    campaign["sequence"] = str(EXAMPLE_DIR / "sequence.json")
    campaign["leads"] = str(EXAMPLE_DIR / "leads.csv")
    alice, bob, carol = campaign["mailboxes"]
    alice.update(transport=secure.url(), security="starttls", username="alice@acme.example", auth="plain",
                 password_env="OUTREACH_TEST_ALICE_PASSWORD", ca_file=str(certificates["server"].with_suffix(".pem")))
    bob.update(transport=plain.url(), security="none")
    carol.update(transport=f"outbox:{tmp_path / 'carol-outbox'}")
    campaign_path = write_json(tmp_path / "campaign.json", campaign)

    trace: List[str] = []
    with outreach.Engine(transport="mailbox", smtp={"helo_name": "outreach.test", "timeouts": {"command": 30}},
                         smtp_trace=trace.append) as engine:
        quietly(engine.add_campaign, campaign_path)
        summary = quietly(engine.simulate, inbound=EXAMPLE_INBOUND)
        events = engine.events()
        warnings = engine.warnings()

    types = {event["type"] for event in events}
    assert "deferred" not in types and "failed" not in types, [e for e in events if e["type"] in ("deferred", "failed")]
    outbox = [parse((tmp_path / "carol-outbox" / "new" / name).read_bytes())
              for name in os.listdir(tmp_path / "carol-outbox" / "new")]
    carol_sent = [event for event in events if event["type"] == "sent" and event["mailbox"] == "carol"]
    assert sorted(message["Message-ID"] for message in outbox) == sorted(event["message_id"] for event in carol_sent)
    check_matches_events([event for event in events if event.get("mailbox") != "carol"],
                         {"alice": secure.messages, "bob": plain.messages},
                         {"alice": "alice@acme.example", "bob": "bob@acme.example"})
    assert secure.messages and plain.messages and carol_sent
    assert all(message.tls and message.login == "alice@acme.example" for message in secure.messages)
    assert not any(message.tls for message in plain.messages)
    # The same decisions as a dry run: every send was accepted.
    dry = quietly(outreach.simulate, campaign_path, inbound=EXAMPLE_INBOUND)
    assert summary == dry
    assert "C: EHLO outreach.test" in trace
    assert not any(SECRET in text for text in trace + warnings + [json.dumps(events)])


def test_a_wrong_password_defers_the_sends_and_the_secret_shows_nowhere(
    start_server: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_server(logins={"mo@sender.example": SECRET})
    monkeypatch.setenv("OUTREACH_TEST_WRONG_PASSWORD", WRONG_SECRET)
    campaign = campaign_with_mailboxes(
        [{"id": "mo", "from": "Mo <mo@sender.example>", "daily_limit": 50, "transport": server.url(),
          "security": "none", "username": "mo@sender.example", "auth": "login",
          "password_env": "OUTREACH_TEST_WRONG_PASSWORD"}],
        leads=["ann@one.example", "bo@two.example"],
    )
    trace: List[str] = []
    logged: List[str] = []
    with outreach.Engine(transport="mailbox", smtp_trace=trace.append) as engine:
        engine.on_event(logged.append, raw=True)
        quietly(engine.add_campaign, campaign)
        quietly(engine.simulate, "2026-12-02T00:00:00Z")
        events = engine.events()
        warnings = engine.warnings()
        summary = engine.summary()
    deferred = [event for event in events if event["type"] == "deferred"]
    failed = [event for event in events if event["type"] == "failed"]
    assert deferred and not [event for event in events if event["type"] == "sent"]
    assert all(event["code"] == 535 and event["mailbox"] == "mo" for event in deferred + failed), deferred[0]
    # Given up only after the engine's attempts (docs/engine.md: 8), never at once.
    for event in failed:
        assert len([other for other in deferred if other["lead"] == event["lead"]]) == 7
    assert server.messages == []
    assert server.attempts and not any(attempt.accepted for attempt in server.attempts)
    everything = "\n".join(trace + logged + warnings) + json.dumps(summary)
    assert WRONG_SECRET not in everything and SECRET not in everything


def test_the_engine_asks_the_credentials_callback_and_raises_what_it_raises(
    start_server: Callable[..., SmtpServer]
) -> None:
    server = start_server(logins={"mo@sender.example": SECRET})
    box = {"id": "mo", "from": "Mo <mo@sender.example>", "daily_limit": 50, "transport": server.url(),
           "security": "none", "username": "mo@sender.example", "auth": "plain"}
    asked: List[str] = []

    def credentials(mailbox_id: str, mechanism: str, refresh: bool) -> str:
        asked.append(mailbox_id)
        return SECRET

    with outreach.Engine(transport="mailbox", credentials=credentials) as engine:
        quietly(engine.add_campaign, campaign_with_mailboxes([box], ["ann@one.example", "bo@two.example"]))
        quietly(engine.simulate)
        sent = [event for event in engine.events() if event["type"] == "sent"]
    assert len(sent) == 4 == len(server.messages)
    assert asked and set(asked) == {"mo"}

    def broken(*args: Any) -> str:
        raise KeyError("the vault is locked")

    with outreach.Engine(transport="mailbox", credentials=broken) as engine:
        quietly(engine.add_campaign, campaign_with_mailboxes([box], ["cy@three.example"], name="broken"))
        with pytest.raises(KeyError, match="vault is locked"):
            quietly(engine.simulate)
        assert [event["type"] for event in engine.events() if event["type"] in ("sent", "deferred")] == ["deferred"]
    assert len(server.messages) == 4


def test_mailboxes_the_mailbox_transport_cannot_serve_are_refused_when_added(tmp_path: Path) -> None:
    campaign = campaign_with_mailboxes([{"id": "mo", "from": "mo@sender.example", "daily_limit": 5}], ["a@b.example"])
    with outreach.Engine(transport="mailbox") as engine:
        with pytest.raises(outreach.InvalidValue, match="transport"):
            engine.add_campaign(campaign)
        unset = dict(campaign, name="unset-password")
        unset["mailboxes"] = [{"id": "mo", "from": "mo@sender.example", "daily_limit": 5,
                               "transport": "smtp://127.0.0.1:9", "security": "none", "username": "mo",
                               "auth": "plain", "password_env": "OUTREACH_TEST_NOT_SET_ANYWHERE"}]
        os.environ.pop("OUTREACH_TEST_NOT_SET_ANYWHERE", None)
        with pytest.raises((outreach.InvalidValue, outreach.NotFound), match="OUTREACH_TEST_NOT_SET_ANYWHERE"):
            engine.add_campaign(unset)
        outboxed = dict(campaign, name="outboxed")
        outboxed["mailboxes"] = [{"id": "mo", "from": "mo@sender.example", "daily_limit": 5,
                                  "transport": f"outbox:{tmp_path / 'sent'}"}]
        engine.add_campaign(outboxed)
        engine.simulate()
    assert len(os.listdir(tmp_path / "sent" / "new")) == 2


def test_another_thread_gets_busy_while_the_engine_talks_smtp(start_server: Callable[..., SmtpServer]) -> None:
    server = start_server()
    box = {"id": "mo", "from": "Mo <mo@sender.example>", "daily_limit": 50, "transport": server.url(),
           "security": "none"}
    engines: List[outreach.Engine] = []
    seen: List[BaseException] = []

    def poke(line: str) -> None:
        # In the middle of a session, another thread tries the engine.
        if line.startswith("C: MAIL") and not seen:
            worker = threading.Thread(target=lambda: seen.append(_error_of(engines[0].summary)))
            worker.start()
            worker.join()

    with outreach.Engine(transport="mailbox", smtp_trace=poke) as engine:
        engines.append(engine)
        quietly(engine.add_campaign, campaign_with_mailboxes([box], ["ann@one.example"], steps=1))
        quietly(engine.simulate)
    assert len(seen) == 1 and isinstance(seen[0], outreach.Busy), seen
    assert len(server.messages) == 1


def _error_of(function: Callable[[], Any]) -> BaseException:
    try:
        function()
    except BaseException as error:  # noqa: BLE001 - the test looks at it
        return error
    return AssertionError("no error")
