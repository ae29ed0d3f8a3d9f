#!/usr/bin/env python3
"""A real PostgreSQL server for tests, run from a folder of its own.

Nothing of the system's cluster is used: `initdb` makes a cluster in a temporary folder, and the
server listens only on a unix socket in that folder (`listen_addresses=''`), with `fsync=off`
for speed (a test's data need not survive a power cut). `initdb` refuses to run as root, so
as root the folder is given to the `postgres` user and the server runs as it.

As a Python module:

    with PostgresqlServer() as server:
        uri = server.create_database()       # postgresql://postgres@/NAME?host=FOLDER
        server.restart()                     # stop and start again, same data and socket
        server.psql(uri, "SELECT 1")

As a command for tests in other languages (each prints JSON on one line):

    postgresql_server.py start [--dir DIR]   # returns once the server takes connections
    postgresql_server.py stop --dir DIR
"""

from __future__ import annotations

import argparse
import atexit
import itertools
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional

BIN = Path("/usr/lib/postgresql/15/bin")
STATE_FILE = "server.json"
START_TIMEOUT = 60


class PostgresqlNotInstalled(RuntimeError):
    pass


def _server_environment() -> dict:
    """This process's environment without what a sanitizer run preloads into its tests."""
    return {name: value for name, value in os.environ.items()
            if name not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")}


def _as_owner(command: List[str]) -> List[str]:
    """The command, run as `postgres` when this process is root (initdb and postgres refuse root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + command
    return command


class PostgresqlServer:
    """One cluster in a folder of its own; `start` and `stop` may be called again (a restart)."""

    _names = itertools.count(1)

    def __init__(self, folder: Optional[str] = None) -> None:
        if not (BIN / "initdb").exists():
            raise PostgresqlNotInstalled(f"{BIN}/initdb is missing: run cmake/install-deps.sh")
        # A short path: the socket's path must fit in 107 bytes.
        self.folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="opg", dir="/tmp"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.owned = folder is None
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            os.chmod(self.folder, 0o755)
        if not (self.data / "PG_VERSION").exists():
            self._run([str(BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                       "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"])

    # -- running -------------------------------------------------------------------------
    def _run(self, command: List[str], check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(_as_owner(command), capture_output=True, text=True,
                                env=_server_environment(), timeout=START_TIMEOUT)
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n"
                               f"{result.stdout}{result.stderr}\n{self.log_text()}")
        return result

    def start(self) -> "PostgresqlServer":
        options = (f"-c listen_addresses='' -c unix_socket_directories={self.folder} -c fsync=off "
                   "-c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB")
        self._run([str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                   "-w", "-t", str(START_TIMEOUT), "start"])
        return self

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run([str(BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"], check=False)

    def restart(self) -> None:
        self.stop()
        self.start()

    def kill(self) -> None:
        """Ends the server as a crash would: no checkpoint, connections cut."""
        self.stop("immediate")

    def close(self) -> None:
        self.stop()
        if self.owned:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "PostgresqlServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    # -- databases -----------------------------------------------------------------------
    def uri(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.folder}"

    def psql(self, uri: str, sql: str) -> str:
        result = subprocess.run([str(BIN / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                                 "-d", uri, "-c", sql], capture_output=True, text=True,
                                env=_server_environment(), timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr}")
        return result.stdout.strip()

    def create_database(self, name: Optional[str] = None) -> str:
        """A new empty database, and the URI that names it."""
        name = name or f"t{os.getpid()}_{next(self._names)}"
        self.psql(self.uri(), f'CREATE DATABASE "{name}"')
        return self.uri(name)


def _state(folder: str) -> dict:
    return json.loads((Path(folder) / STATE_FILE).read_text())


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start")
    start.add_argument("--dir")
    stop = commands.add_parser("stop")
    stop.add_argument("--dir", required=True)
    arguments = parser.parse_args(argv)

    if arguments.command == "start":
        folder = arguments.dir
        if folder:
            # A server left running there by a run that was cut short is stopped first: removed
            # from under it, it would later take the new server's socket with it.
            if (Path(folder) / "data" / "postmaster.pid").exists():
                PostgresqlServer(folder).stop("immediate")
            shutil.rmtree(folder, ignore_errors=True)
        server = PostgresqlServer(folder)
        server.start()
        state = {"dir": str(server.folder), "uri": server.uri()}
        (server.folder / STATE_FILE).write_text(json.dumps(state))
        print(json.dumps(state), flush=True)
        return 0
    server = PostgresqlServer(arguments.dir)
    server.stop()
    shutil.rmtree(arguments.dir, ignore_errors=True)
    print(json.dumps({"stopped": arguments.dir}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
