"""The Dovecot test server checked with Python's own imaplib and ssl: TLS both ways with the test
CA, XOAUTH2, delivery, special-use folders, read-only fetches, UIDVALIDITY, the command line,
and that nothing is left running after stop."""

from __future__ import annotations

import imaplib
import json
import re
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import dovecot_server  # noqa: E402
from dovecot_server import DovecotServer  # noqa: E402

SENDER = "sender@acme.example"
OTHER = "other@acme.example"
USERS = {SENDER: "secret", OTHER: "other-secret"}


def message(n: int) -> bytes:
    return (f"From: Lead {n} <lead{n}@example.test>\r\nTo: {SENDER}\r\n"
            f"Subject: reply {n}\r\nMessage-ID: <r{n}@example.test>\r\n\r\nbody {n}\r\n").encode()


@pytest.fixture(scope="module")
def server():
    with DovecotServer(USERS) as s:
        yield s


def test_starttls_login_checks_the_certificate(server):
    for host in ("127.0.0.1", "localhost"):  # the certificate names both
        imap = imaplib.IMAP4(host, server.imap_port, timeout=10)
        assert "STARTTLS" in imap.capabilities
        context = ssl.create_default_context(cafile=str(server.ca_file))
        assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
        imap.starttls(context)
        assert imap.login(SENDER, USERS[SENDER])[0] == "OK"
        imap.logout()


def test_implicit_tls_login(server):
    imap = imaplib.IMAP4_SSL(server.host, server.imaps_port, ssl_context=server.ssl_context(),
                             timeout=10)
    assert imap.login(OTHER, USERS[OTHER])[0] == "OK"
    assert imap.select("INBOX")[0] == "OK"
    imap.logout()


def test_the_system_cas_do_not_trust_it(server):
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(server.host, server.imaps_port, ssl_context=ssl.create_default_context(),
                          timeout=10)
    imap = imaplib.IMAP4(server.host, server.imap_port, timeout=10)
    with pytest.raises(ssl.SSLCertVerificationError):
        imap.starttls(ssl.create_default_context())


def test_a_wrong_password_is_refused_quickly(server):
    for _ in range(3):  # no growing delay from Dovecot's penalty for repeated failures
        started = time.monotonic()
        imap = imaplib.IMAP4(server.host, server.imap_port, timeout=10)
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            imap.login(SENDER, "wrong")
        assert time.monotonic() - started < 3


def xoauth2(user: str, token: str):
    return lambda _challenge: f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


def test_xoauth2_takes_the_password_as_token(server):
    imap = server.connect()
    assert "AUTH=XOAUTH2" in imap.capabilities
    assert imap.authenticate("XOAUTH2", xoauth2(SENDER, USERS[SENDER]))[0] == "OK"
    assert imap.select("INBOX")[0] == "OK"
    imap.logout()
    imap = server.connect()
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imap.authenticate("XOAUTH2", xoauth2(SENDER, "not-the-token"))


def test_delivered_messages_are_fetched_by_uid(server):
    server.create_folder(SENDER, "Replies")
    uids = [server.deliver(SENDER, message(n), folder="Replies") for n in (1, 2, 3)]
    assert uids == [1, 2, 3]
    assert server.uids(SENDER, "Replies") == uids
    with server.connect(SENDER) as imap:
        assert imap.select("Replies", readonly=True)[0] == "OK"
        typ, data = imap.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
        assert typ == "OK"
        fetched = {int(re.search(rb"UID (\d+)", part[0]).group(1)): part[1]
                   for part in data if isinstance(part, tuple)}
        assert sorted(fetched) == uids
        for n, uid in enumerate(uids, start=1):
            assert fetched[uid].replace(b"\r\n", b"\n") == message(n).replace(b"\r\n", b"\n")


def test_list_shows_special_use_folders(server):
    with server.connect(SENDER) as imap:
        typ, data = imap.list()
        assert typ == "OK"
        lines = [line.decode() for line in data]
        sent = [line for line in lines if line.endswith(" Sent")]
        assert len(sent) == 1 and "\\Sent" in sent[0]
        for folder, flag in (("Drafts", "\\Drafts"), ("Trash", "\\Trash"), ("Junk", "\\Junk")):
            assert any(line.endswith(" " + folder) and flag in line for line in lines)


def test_examine_and_peek_leave_flags_alone(server):
    uid = server.deliver(OTHER, message(7))
    assert server.flags(OTHER)[uid] == set()
    with server.connect(OTHER) as imap:
        imap.select("INBOX", readonly=True)
        assert imap.uid("FETCH", str(uid), "(BODY.PEEK[])")[0] == "OK"
    assert server.flags(OTHER)[uid] == set()
    # The helper does see flag changes: BODY[] in a read-write SELECT sets \Seen.
    with server.connect(OTHER) as imap:
        imap.select("INBOX")
        assert imap.uid("FETCH", str(uid), "(BODY[])")[0] == "OK"
    assert server.flags(OTHER)[uid] == {"\\Seen"}


def test_recreating_a_folder_changes_its_uidvalidity(server):
    server.create_folder(SENDER, "Archive")
    server.deliver(SENDER, message(1), folder="Archive")
    before = server.uidvalidity(SENDER, "Archive")
    server.delete_folder(SENDER, "Archive")
    assert "Archive" not in server.folders(SENDER)
    server.create_folder(SENDER, "Archive")
    after = server.uidvalidity(SENDER, "Archive")
    assert after != before
    assert server.uids(SENDER, "Archive") == []
    with server.connect(SENDER) as imap:
        imap.select("Archive", readonly=True)
        assert imap.response("UIDVALIDITY")[1] == [str(after).encode()]


def session_processes(pid: int) -> list:
    return dovecot_server._session_members(pid)


def test_stop_leaves_no_process_and_no_folder():
    server = DovecotServer({SENDER: "pw"}).start()
    pid, folder = server.pid, server.dir
    assert len(session_processes(pid)) > 1  # the master and its helpers
    server.connect(SENDER).logout()
    server.stop()
    assert session_processes(pid) == []
    assert not folder.exists()
    server.stop()  # twice is fine


def run_cli(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(HERE / "dovecot_server.py"), *args],
                          input=input, capture_output=True, timeout=60)


def test_command_line_round_trip(tmp_path):
    # A long folder that only root can reach (pytest's tmp_path): Dovecot's sockets, passwd and
    # mail then go to a short folder of their own under /tmp.
    folder = tmp_path / ("d" * 70)
    started = run_cli("start", "--dir", str(folder), "--user", f"{SENDER}:pw")
    assert started.returncode == 0, started.stderr.decode()
    lines = started.stdout.decode().splitlines()
    assert len(lines) == 1
    info = json.loads(lines[0])
    assert set(info) == {"host", "imap_port", "imaps_port", "ca_file", "pid", "config", "dir"}
    assert info["dir"] == str(folder) and Path(info["config"]).exists()
    try:
        # Detached: running although the start command has exited.
        assert session_processes(info["pid"])
        context = ssl.create_default_context(cafile=info["ca_file"])
        imap = imaplib.IMAP4_SSL(info["host"], info["imaps_port"], ssl_context=context)
        imap.login(SENDER, "pw")
        imap.logout()
        imap = imaplib.IMAP4(info["host"], info["imap_port"])
        imap.starttls(context)
        imap.login(SENDER, "pw")
        imap.logout()

        delivered = run_cli("deliver", "--dir", str(folder), "--user", SENDER, input=message(1))
        assert delivered.returncode == 0, delivered.stderr.decode()
        assert json.loads(delivered.stdout) == {"uid": 1}
        run_cli("deliver", "--dir", str(folder), "--user", SENDER, "--folder", "Sent",
                input=message(2))
        flags = run_cli("flags", "--dir", str(folder), "--user", SENDER)
        assert json.loads(flags.stdout) == {"1": []}
        sent = run_cli("flags", "--dir", str(folder), "--user", SENDER, "--folder", "Sent")
        assert json.loads(sent.stdout) == {"1": []}
        shared = Path(json.loads((folder / "server.json").read_text())["shared_dir"])
        assert len(str(shared)) < 60 and (shared / "run").is_dir()
    finally:
        stopped = run_cli("stop", "--dir", str(folder))
    assert stopped.returncode == 0, stopped.stderr.decode()
    assert session_processes(info["pid"]) == []
    assert not shared.exists()
    assert (folder / "dovecot.log").exists()  # a folder given by the caller is the caller's
    again = run_cli("stop", "--dir", str(folder))
    assert again.returncode == 0


def test_a_missing_dovecot_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(dovecot_server, "DOVECOT", "/nonexistent/dovecot")
    with pytest.raises(dovecot_server.DovecotNotInstalled, match="run cmake/install-deps.sh"):
        DovecotServer({SENDER: "pw"}).start()
