#!/usr/bin/env python3
"""A real Dovecot IMAP server for tests, run from a folder of its own.

Nothing of the system's Dovecot is used: the configuration, the runtime sockets, the log, the
mail and a certificate made for the occasion all live in one folder, and the server listens on
two free loopback ports (IMAP with STARTTLS, and IMAPS). Every user's password also works as an
XOAUTH2 token (Dovecot 2.3's xoauth2 mechanism checks the token against the passdb as a
password).

As a Python module:

    with DovecotServer(users={"sender@acme.example": "secret"}) as server:
        uid = server.deliver("sender@acme.example", b"Subject: hi\\r\\n\\r\\nbody\\r\\n")
        server.flags("sender@acme.example")  # {uid: {"\\\\Seen", ...}}

As a command for tests in other languages (each prints JSON on one line):

    dovecot_server.py start [--dir DIR] --user ADDRESS:PASSWORD ...   # returns once ready
    dovecot_server.py deliver --dir DIR --user ADDRESS [--folder F] < message
    dovecot_server.py flags --dir DIR --user ADDRESS [--folder F]
    dovecot_server.py stop --dir DIR

Dovecot is started as root (it needs to be, to switch to the mail user); mail is read and
written as uid/gid 65534, since Dovecot will not access mail as root.
"""

from __future__ import annotations

import argparse
import atexit
import imaplib
import json
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Set

sys.path.insert(0, str(Path(__file__).resolve().parent))
from certificates import make_certificates  # noqa: E402

DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"
MAIL_UID = MAIL_GID = 65534
# Folders every test user has from the start, each with its special-use flag (RFC 6154).
SPECIAL_FOLDERS = ("Sent", "Drafts", "Trash", "Junk")
HOST = "127.0.0.1"
STATE_FILE = "server.json"
# Unix socket paths are limited to 108 bytes; the longest name Dovecot puts under base_dir is
# about 25 bytes ("token-login/imap-urlauth"), so a folder with a longer path is not used for it.
MAX_SHARED_DIR = 60
START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0


class DovecotNotInstalled(RuntimeError):
    pass


def _server_environment() -> Dict[str, str]:
    """This process's environment without what a sanitizer run preloads into its tests (the ASan
    runtime in LD_PRELOAD): Dovecot's processes, limited in virtual memory, cannot start with it."""
    return {name: value for name, value in os.environ.items()
            if name not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")}


def _require_dovecot() -> None:
    for binary in (DOVECOT, DOVEADM):
        if not os.access(binary, os.X_OK):
            raise DovecotNotInstalled(
                f"dovecot is not installed ({binary} missing): run cmake/install-deps.sh")


def _free_ports(count: int) -> List[int]:
    # All bound at once so they differ; another process may still take one before Dovecot
    # binds it, which start() notices in the log and retries with new ports.
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((HOST, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _system_user(*names: str) -> str:
    for name in names:
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            pass
    return "nobody"


def _proc_stat(pid: int) -> Optional[List[str]]:
    """Fields after the command name of /proc/PID/stat: state, ppid, pgrp, session, ..."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2:].split()


def _alive(pid: int) -> bool:
    stat = _proc_stat(pid)
    # A zombie has exited; in a container nobody may reap it soon.
    return stat is not None and stat[0] != "Z"


def _session_members(session: int) -> List[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _proc_stat(int(entry.name))
            if stat is not None and stat[0] != "Z" and int(stat[3]) == session:
                members.append(int(entry.name))
    return members


def _reachable_by_others(path: Path) -> bool:
    """Whether users other than root can get to files in `path` (every folder searchable)."""
    return all(os.stat(p).st_mode & 0o001 for p in [path, *path.parents])


def _is_our_master(pid: int, config: Path) -> bool:
    # Guards against a reused pid when stopping from a state file.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, ProcessLookupError):
        return False
    return str(config).encode() in cmdline and _alive(pid)


def _wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def stop_master(pid: int, process: Optional[subprocess.Popen] = None) -> None:
    """Stops a Dovecot master started in a session of its own, and every process it left.

    SIGTERM lets Dovecot end its children (about 2.5 s); anything still in the session after
    that, or a master that hangs, gets SIGKILL.
    """
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    if process is not None:
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
    _wait_until(lambda: not _alive(pid), STOP_TIMEOUT if process is None else 0)
    if not _wait_until(lambda: not _session_members(pid), 5.0):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _wait_until(lambda: not _session_members(pid), 5.0)
    if process is not None and process.poll() is None:
        process.kill()
        process.wait()


class DovecotServer:
    """Dovecot serving `users` ({address: password}) from `directory`, or from a new temporary
    folder (removed again by stop()) when none is given."""

    host = HOST

    def __init__(self, users: Mapping[str, str], directory: Optional[os.PathLike | str] = None):
        for address, password in users.items():
            if any(c in address + password for c in ":\r\n") or not address:
                raise ValueError(f"unusable user for a passwd-file: {address!r}")
        self.users: Dict[str, str] = dict(users)
        self._own_dir = directory is None
        self.dir: Optional[Path] = Path(directory).resolve() if directory is not None else None
        self.imap_port = 0
        self.imaps_port = 0
        self.pid: Optional[int] = None
        self._process: Optional[subprocess.Popen] = None
        # What Dovecot's unprivileged processes use (sockets, passwd, mail): self.dir itself
        # when they can reach it and its path is short, else a folder of its own under /tmp.
        self._shared: Optional[Path] = None
        self._own_shared = False

    # --- paths -------------------------------------------------------------------------------
    @property
    def config(self) -> Path:
        return self.dir / "dovecot.conf"

    @property
    def ca_file(self) -> Path:
        return self.dir / "ca.pem"

    @property
    def log_file(self) -> Path:
        return self.dir / "dovecot.log"

    @property
    def ports(self) -> Dict[str, int]:
        return {"imap": self.imap_port, "imaps": self.imaps_port}

    def describe(self) -> Dict[str, object]:
        """What `start` prints: enough for a client to connect and for `stop` to find it."""
        return {"host": self.host, "imap_port": self.imap_port, "imaps_port": self.imaps_port,
                "ca_file": str(self.ca_file), "pid": self.pid, "config": str(self.config),
                "dir": str(self.dir)}

    # --- life cycle --------------------------------------------------------------------------
    def __enter__(self) -> "DovecotServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> "DovecotServer":
        _require_dovecot()
        if self.pid is not None:
            raise RuntimeError("already started")
        if self._own_dir:
            # Short, under /tmp: socket paths inside it must stay under 108 bytes.
            self.dir = Path(tempfile.mkdtemp(prefix="dv"))
        else:
            self.dir.mkdir(parents=True, exist_ok=True)
        try:
            self._prepare()
            for attempt in range(3):
                self.imap_port, self.imaps_port = _free_ports(2)
                self._write_config()
                try:
                    self._spawn()
                    self._wait_ready()
                    break
                except _PortTaken:
                    self._kill_spawned()
                    if attempt == 2:
                        raise RuntimeError("no free ports for Dovecot after 3 tries")
        except BaseException:
            self._kill_spawned()
            self._cleanup()
            raise
        self._save_state()
        return self

    def stop(self) -> None:
        """Stops Dovecot and waits until none of its processes is left. Safe to call twice."""
        if self.pid is not None:
            # A server found through its state file is only signalled if the pid is still its.
            if self._process is not None or _is_our_master(self.pid, self.config):
                stop_master(self.pid, self._process)
            self.pid = None
            self._process = None
            atexit.unregister(self.stop)
        self._cleanup()

    @classmethod
    def attach(cls, directory: os.PathLike | str) -> "DovecotServer":
        """The server a `start` command left running in `directory`."""
        d = Path(directory).resolve()
        try:
            state = json.loads((d / STATE_FILE).read_text())
        except FileNotFoundError:
            raise RuntimeError(f"no Dovecot test server was started in {d}") from None
        server = cls(state["users"], d)
        server._own_dir = state["own_dir"]
        server.imap_port, server.imaps_port = state["imap_port"], state["imaps_port"]
        server.pid = state["pid"]
        server._shared = Path(state["shared_dir"])
        server._own_shared = state["own_shared_dir"]
        return server

    # --- start-up details --------------------------------------------------------------------
    def _prepare(self) -> None:
        d = self.dir
        # Dovecot's unprivileged processes (login, auth, mail as 65534) go through this folder.
        os.chmod(d, 0o755)
        for old_log in ("dovecot.log", "dovecot.out"):  # a folder used before
            (d / old_log).unlink(missing_ok=True)
        make_certificates(d)
        shared = d
        if len(str(d)) > MAX_SHARED_DIR or not _reachable_by_others(d):
            shared = Path(tempfile.mkdtemp(prefix="dv"))
            os.chmod(shared, 0o755)
            self._own_shared = True
        self._shared = shared
        for sub in ("run", "state"):
            (shared / sub).mkdir(mode=0o755, exist_ok=True)
        for sub in ("mail", "home"):
            (shared / sub).mkdir(mode=0o700, exist_ok=True)
            os.chown(shared / sub, MAIL_UID, MAIL_GID)
        # {PLAIN}: the passwords must be readable back for XOAUTH2 and PLAIN alike. The auth
        # process reads the file as the internal user, not as root.
        passwd = shared / "passwd"
        passwd.write_text("".join(f"{a}:{{PLAIN}}{p}::::::\n" for a, p in self.users.items()))
        internal = pwd.getpwnam(_system_user("dovecot"))
        os.chown(passwd, internal.pw_uid, internal.pw_gid)
        os.chmod(passwd, 0o600)

    def _write_config(self) -> None:
        d, shared = self.dir, self._shared
        internal_user = _system_user("dovecot")
        login_user = _system_user("dovenull")
        dh = Path("/usr/share/dovecot/dh.pem")
        if not dh.exists():
            dh = d / "dh.pem"
            if not dh.exists():
                subprocess.run(["openssl", "dhparam", "-dsaparam", "-out", str(dh), "2048"],
                               check=True, capture_output=True)
        special_folders = "".join(
            f"  mailbox {name} {{\n    special_use = \\{name}\n    auto = subscribe\n  }}\n"
            for name in SPECIAL_FOLDERS)
        self.config.write_text(f"""\
# A Dovecot for one test run; see tests/support/dovecot_server.py. Nothing of /etc/dovecot.
base_dir = {shared}/run
state_dir = {shared}/state
instance_name = outreach-test-{d.name}
log_path = {d}/dovecot.log
auth_verbose = yes

protocols = imap
listen = {HOST}
# Dovecot itself runs as root here; these are the users its helpers switch to.
default_internal_user = {internal_user}
default_login_user = {login_user}

# STARTTLS is offered on the plain port but not required, so clients that skip it can be shown.
ssl = yes
ssl_cert = <{d}/server.pem
ssl_key = <{d}/server.key
ssl_dh = <{dh}
disable_plaintext_auth = no

auth_mechanisms = plain login xoauth2
# Tests that try a wrong password should not wait 2 s for each.
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = {shared}/passwd
}}
# Dovecot will not touch mail as root: everyone's mail belongs to 65534.
userdb {{
  driver = static
  args = uid={MAIL_UID} gid={MAIL_GID} home={shared}/home/%u
}}
mail_location = maildir:{shared}/mail/%u

namespace inbox {{
  inbox = yes
  separator = /
{special_folders}}}

protocol imap {{
  # Tests open many connections from one address; the default allows 10 per user.
  mail_max_userip_connections = 1000
}}

# No growing delay after failed logins from one address (up to 15 s): auth cannot reach the
# penalty socket, which it takes as "no penalty".
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}

service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {self.imaps_port}
    ssl = yes
  }}
}}
""")

    def _spawn(self) -> None:
        out = open(self.dir / "dovecot.out", "ab")
        try:
            # A session of its own: the whole process tree can be found and ended by it, and it
            # outlives the `start` command when that is how it was started.
            self._process = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(self.config)], stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True, close_fds=True,
                env=_server_environment())
        finally:
            out.close()
        self.pid = self._process.pid
        atexit.register(self.stop)

    def _kill_spawned(self) -> None:
        if self.pid is not None:
            stop_master(self.pid, self._process)
            atexit.unregister(self.stop)
        self.pid = None
        self._process = None

    def _log_tail(self, lines: int = 30) -> str:
        text = ""
        for name in ("dovecot.out", "dovecot.log"):
            try:
                text += (self.dir / name).read_text(errors="replace")
            except FileNotFoundError:
                pass
        return "\n".join(text.splitlines()[-lines:])

    def _wait_ready(self) -> None:
        """Returns when both ports answer and a user can log in and SELECT INBOX (a login
        alone succeeds even when mail cannot be opened)."""
        deadline = time.monotonic() + START_TIMEOUT
        last_error: object = None
        while time.monotonic() < deadline:
            log = self._log_tail()
            if "Address already in use" in log:
                raise _PortTaken()
            # Errors that waiting will not mend: say so at once, with the log.
            if self._process.poll() is not None:
                raise RuntimeError(f"dovecot exited with {self._process.returncode}:\n{log}")
            if "Permission denied" in log or "Fatal:" in log:
                raise RuntimeError(f"dovecot cannot work from {self.dir}:\n{log}")
            try:
                for port in (self.imap_port, self.imaps_port):
                    socket.create_connection((HOST, port), timeout=1).close()
                if self.users:
                    user = next(iter(self.users))
                    with self.connect(user) as imap:
                        typ, data = imap.select("INBOX")
                        if typ != "OK":
                            raise RuntimeError(f"SELECT INBOX: {typ} {data}")
                return
            except (OSError, imaplib.IMAP4.error, RuntimeError) as e:
                last_error = e
                time.sleep(0.1)
        raise RuntimeError(f"dovecot not ready after {START_TIMEOUT:.0f} s ({last_error}):\n"
                           f"{self._log_tail()}")

    def _save_state(self) -> None:
        state = dict(self.describe(), users=self.users, own_dir=self._own_dir,
                     shared_dir=str(self._shared), own_shared_dir=self._own_shared)
        (self.dir / STATE_FILE).write_text(json.dumps(state))

    def _cleanup(self) -> None:
        if self._own_shared and self._shared is not None:
            shutil.rmtree(self._shared, ignore_errors=True)
            self._own_shared = False
        if self._own_dir and self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
        elif self.dir is not None:
            (self.dir / STATE_FILE).unlink(missing_ok=True)

    # --- clients -----------------------------------------------------------------------------
    def ssl_context(self) -> ssl.SSLContext:
        """Trusts the test CA only, and checks host names."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def connect(self, user: Optional[str] = None, starttls: bool = False,
                timeout: float = 10) -> imaplib.IMAP4:
        """An imaplib connection over IMAPS (or STARTTLS on the plain port), logged in as
        `user` when one is given."""
        if starttls:
            imap = imaplib.IMAP4(HOST, self.imap_port, timeout=timeout)
            imap.starttls(self.ssl_context())
        else:
            imap = imaplib.IMAP4_SSL(HOST, self.imaps_port, ssl_context=self.ssl_context(),
                                     timeout=timeout)
        if user is not None:
            imap.login(user, self.users[user])
        return imap

    # --- mail, through doveadm ---------------------------------------------------------------
    def doveadm(self, *args: str, input: Optional[bytes] = None) -> str:
        result = subprocess.run([DOVEADM, "-c", str(self.config), *args], input=input,
                                capture_output=True, env=_server_environment())
        if result.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)} failed ({result.returncode}): "
                               f"{result.stderr.decode(errors='replace').strip()}")
        return result.stdout.decode(errors="replace")

    def _json(self, *args: str) -> List[Dict[str, str]]:
        return json.loads(self.doveadm("-f", "json", *args) or "[]")

    def deliver(self, user: str, raw: bytes, folder: str = "INBOX") -> Optional[int]:
        """Saves one message into `folder`; returns its UID (the one new UID in the folder,
        so None if something else saved into it at the same moment)."""
        before = set(self.uids(user, folder))
        self.doveadm("save", "-u", user, "-m", folder, input=raw)
        new = set(self.uids(user, folder)) - before
        return new.pop() if len(new) == 1 else None

    def uids(self, user: str, folder: str = "INBOX") -> List[int]:
        return sorted(self.flags(user, folder))

    def flags(self, user: str, folder: str = "INBOX") -> Dict[int, Set[str]]:
        """{uid: flags}. \\Recent is left out: it belongs to IMAP sessions, not to the message."""
        rows = self._json("fetch", "-u", user, "uid flags", "mailbox", folder, "all")
        return {int(r["uid"]): {f for f in r["flags"].split() if f != "\\Recent"} for r in rows}

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        rows = self._json("mailbox", "status", "-u", user, "uidvalidity", folder)
        return int(rows[0]["uidvalidity"])

    def create_folder(self, user: str, name: str) -> None:
        self.doveadm("mailbox", "create", "-u", user, "-s", name)

    def delete_folder(self, user: str, name: str) -> None:
        """Deletes the folder and its messages; a folder created again under the same name
        gets a new UIDVALIDITY."""
        self.doveadm("mailbox", "delete", "-u", user, "-s", name)

    def folders(self, user: str) -> List[str]:
        return self.doveadm("mailbox", "list", "-u", user).split()


class _PortTaken(Exception):
    pass


# --- command line ----------------------------------------------------------------------------
def _parse_user(text: str) -> tuple[str, str]:
    address, sep, password = text.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError("expected ADDRESS:PASSWORD")
    return address, password


def main(argv: Optional[Iterable[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start in the background; print JSON once ready")
    start.add_argument("--dir", help="folder to run from (made if missing; kept by stop). "
                                     "Default: a new one under /tmp, removed by stop")
    start.add_argument("--user", action="append", type=_parse_user, default=[],
                       metavar="ADDRESS:PASSWORD")
    stop = commands.add_parser("stop", help="stop and wait until every process has exited")
    stop.add_argument("--dir", required=True)
    for name in ("deliver", "flags"):
        sub = commands.add_parser(name, help="save a message read from standard input"
                                  if name == "deliver" else "print {uid: [flags]} as JSON")
        sub.add_argument("--dir", required=True)
        sub.add_argument("--user", required=True)
        sub.add_argument("--folder", default="INBOX")
    args = parser.parse_args(argv)

    try:
        if args.command == "start":
            server = DovecotServer(dict(args.user), args.dir).start()
            # Left running on purpose: `stop` ends it.
            atexit.unregister(server.stop)
            print(json.dumps(server.describe()), flush=True)
        elif args.command == "stop":
            if not (Path(args.dir) / STATE_FILE).exists():
                # Nothing running: fine for a test's clean-up after a failed start.
                print(f"dovecot_server.py stop: nothing running in {args.dir}", file=sys.stderr)
                return 0
            DovecotServer.attach(args.dir).stop()
        elif args.command == "deliver":
            uid = DovecotServer.attach(args.dir).deliver(args.user, sys.stdin.buffer.read(),
                                                         args.folder)
            print(json.dumps({"uid": uid}), flush=True)
        elif args.command == "flags":
            flags = DovecotServer.attach(args.dir).flags(args.user, args.folder)
            print(json.dumps({str(uid): sorted(f) for uid, f in sorted(flags.items())}),
                  flush=True)
    except (RuntimeError, ValueError) as e:
        print(f"dovecot_server.py {args.command}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
