#!/usr/bin/env python3
"""A scripted IMAP server that misbehaves on purpose, for testing an IMAP client's defences.

    hostile_imap_server.py --scenario NAME [--tls] [--tls-cert C --tls-key K]
                           [--user U --password P] [--transcript FILE] [--lifetime SECONDS]

Listens on a free loopback port and prints one JSON line on standard output once it accepts
connections: {"port": N, "pid": P, "ca_file": "..."} (ca_file is the CA of the certificate it
made itself, or null when --tls-cert was given). Every connection plays the scenario from the
start. --tls serves implicit TLS; without it, STARTTLS is offered. The server runs until
SIGTERM, or for --lifetime seconds (600 by default, 0 for ever) so a test that dies cannot leave
it behind.

Scenarios (SCENARIOS below): normal, starttls_injection, huge_literal, endless_line, malformed,
malformed_parens, malformed_literal, unknown_tag, wrong_tag, out_of_order, stall, bye.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import shutil
import signal
import ssl
import sys
import tempfile
from pathlib import Path
from typing import Awaitable, Callable, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from certificates import make_certificates  # noqa: E402

USER = "user@example.test"
PASSWORD = "secret"
UIDVALIDITY = 7
# The mailbox `normal` serves: UID -> message.
MESSAGES = {
    1: (b"From: Lead One <one@example.test>\r\nTo: user@example.test\r\n"
        b"Subject: Re: hello\r\nMessage-ID: <m1@example.test>\r\n\r\nSounds good.\r\n"),
    2: (b"From: Mailer-Daemon <mailer-daemon@example.test>\r\nTo: user@example.test\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <m2@example.test>\r\n"
        b"\r\nThe message could not be delivered.\r\n"),
}


class Closed(Exception):
    """The scenario is over for this connection."""


class Session:
    """One connection: reading commands (with their literals), writing replies, the transcript."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 config: argparse.Namespace, number: int, tls: bool):
        self.reader, self.writer, self.config = reader, writer, config
        self.number = number
        self.tls = tls
        self.authenticated = False
        self.previous_tag = "*"

    # --- wire ---------------------------------------------------------------------------------
    def log(self, direction: str, data: bytes) -> None:
        if self.config.transcript is None:
            return
        text = data.decode("latin-1")
        if len(text) > 300:  # huge_literal and endless_line send megabytes
            text = f"{text[:200]}... ({len(data)} bytes)"
        with open(self.config.transcript, "a") as f:
            for line in text.rstrip("\r\n").split("\r\n"):
                f.write(f"{self.number} {direction}: {line}\n")

    async def send(self, data: bytes) -> None:
        self.log("S", data)
        self.writer.write(data)
        await self.writer.drain()

    async def reply(self, *lines: str) -> None:
        await self.send("".join(line + "\r\n" for line in lines).encode())

    async def read_command(self):
        """(tag, NAME, arguments) of the next command; literals are read into the arguments.
        NAME is upper case, and two words for UID commands ("UID FETCH")."""
        line = await self.reader.readline()
        if not line:
            raise Closed()
        # A literal ({n} or the non-synchronizing {n+}) continues the command after n bytes.
        while (m := re.search(rb"\{(\d+)(\+?)\}\r\n$", line)):
            if not m.group(2):
                await self.send(b"+ Ready for literal data\r\n")
            line += await self.reader.readexactly(int(m.group(1)))
            line += await self.reader.readline()
        self.log("C", line)
        text = line.decode("latin-1").rstrip("\r\n")
        tag, _, rest = text.partition(" ")
        name, _, arguments = rest.partition(" ")
        name = name.upper()
        if name == "UID":
            sub, _, arguments = arguments.partition(" ")
            name = f"UID {sub.upper()}"
        return tag, name, arguments

    async def until_closed(self) -> None:
        """Reads and ignores whatever the client sends, until it goes."""
        while await self.reader.read(65536):
            pass

    async def start_tls(self) -> None:
        # StreamWriter.start_tls (Python 3.11) upgrades the connection in place.
        await self.writer.start_tls(self.config.ssl_context)
        self.tls = True

    # --- a well-behaved server, with hooks ----------------------------------------------------
    def capabilities(self) -> str:
        words = ["IMAP4rev1", "IDLE", "AUTH=PLAIN"]
        if not self.tls:
            words.append("STARTTLS")
        return " ".join(words)

    async def greet(self) -> None:
        await self.reply(f"* OK [CAPABILITY {self.capabilities()}] hostile test server ready")

    async def serve(self, overrides: Optional[Dict[str, "Handler"]] = None) -> None:
        """Answers commands as `normal` does, except those named in `overrides`."""
        handlers = dict(NORMAL_HANDLERS, **(overrides or {}))
        while True:
            tag, name, arguments = await self.read_command()
            handler = handlers.get(name)
            if handler is None:
                await self.reply(f"{tag} BAD unknown command")
            elif name not in PRE_AUTH and not self.authenticated:
                await self.reply(f"{tag} NO not logged in")
            else:
                await handler(self, tag, arguments)
            self.previous_tag = tag

    def check_login(self, user: str, password: str) -> bool:
        self.authenticated = user == self.config.user and password == self.config.password
        return self.authenticated


Handler = Callable[[Session, str, str], Awaitable[None]]


def astrings(text: str) -> List[str]:
    """Command arguments: atoms, "quoted strings" and literals (already read in)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == " ":
            i += 1
        elif text[i] == '"':
            j, value = i + 1, ""
            while j < len(text) and text[j] != '"':
                if text[j] == "\\":
                    j += 1
                value += text[j]
                j += 1
            out.append(value)
            i = j + 1
        elif (m := re.match(r"\{(\d+)\+?\}\r\n", text[i:])):
            start = i + m.end()
            out.append(text[start:start + int(m.group(1))])
            i = start + int(m.group(1))
        else:
            j = text.find(" ", i)
            j = len(text) if j < 0 else j
            out.append(text[i:j])
            i = j
    return out


def uid_set(text: str) -> List[int]:
    """The UIDs of MESSAGES in a sequence set such as 1:*, 2 or 1,2."""
    top = max(MESSAGES)
    chosen = set()
    for part in text.split(","):
        low, _, high = part.partition(":")
        low_n = top if low == "*" else int(low)
        high_n = low_n if not high else (top if high == "*" else int(high))
        chosen.update(range(min(low_n, high_n), max(low_n, high_n) + 1))
    return sorted(uid for uid in chosen if uid in MESSAGES)


# --- normal commands ------------------------------------------------------------------------
async def on_capability(s: Session, tag: str, _: str) -> None:
    await s.reply(f"* CAPABILITY {s.capabilities()}", f"{tag} OK CAPABILITY completed")


async def on_noop(s: Session, tag: str, _: str) -> None:
    await s.reply(f"{tag} OK NOOP completed")


async def on_logout(s: Session, tag: str, _: str) -> None:
    await s.reply("* BYE logging out", f"{tag} OK LOGOUT completed")
    raise Closed()


async def on_starttls(s: Session, tag: str, _: str) -> None:
    if s.tls:
        await s.reply(f"{tag} BAD TLS already active")
        return
    await s.reply(f"{tag} OK Begin TLS negotiation now")
    await s.start_tls()


async def on_login(s: Session, tag: str, arguments: str) -> None:
    words = astrings(arguments)
    if len(words) == 2 and s.check_login(*words):
        await s.reply(f"{tag} OK [CAPABILITY {s.capabilities()}] Logged in")
    else:
        await s.reply(f"{tag} NO [AUTHENTICATIONFAILED] Authentication failed.")


async def on_authenticate(s: Session, tag: str, arguments: str) -> None:
    words = arguments.split()
    if not words or words[0].upper() != "PLAIN":
        await s.reply(f"{tag} NO unsupported mechanism")
        return
    if len(words) > 1:  # SASL-IR
        response = words[1]
    else:
        await s.send(b"+ \r\n")
        response = (await s.reader.readline()).decode("latin-1").strip()
        s.log("C", response.encode())
    try:
        _authzid, user, password = base64.b64decode(response, validate=True).decode().split("\0")
    except ValueError:
        await s.reply(f"{tag} BAD invalid PLAIN response")
        return
    if s.check_login(user, password):
        await s.reply(f"{tag} OK [CAPABILITY {s.capabilities()}] Logged in")
    else:
        await s.reply(f"{tag} NO [AUTHENTICATIONFAILED] Authentication failed.")


async def on_list(s: Session, tag: str, _: str) -> None:
    await s.reply('* LIST (\\HasNoChildren) "/" INBOX',
                  '* LIST (\\HasNoChildren \\Sent) "/" Sent',
                  f"{tag} OK LIST completed")


async def on_select(s: Session, tag: str, arguments: str, read_only: bool = False) -> None:
    if astrings(arguments)[:1] != ["INBOX"]:
        await s.reply(f"{tag} NO [NONEXISTENT] Mailbox doesn't exist")
        return
    await s.reply("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
                  f"* {len(MESSAGES)} EXISTS", "* 0 RECENT",
                  f"* OK [UIDVALIDITY {UIDVALIDITY}] UIDs valid",
                  f"* OK [UIDNEXT {max(MESSAGES) + 1}] Predicted next UID",
                  f"{tag} OK [{'READ-ONLY' if read_only else 'READ-WRITE'}] done")


async def on_examine(s: Session, tag: str, arguments: str) -> None:
    await on_select(s, tag, arguments, read_only=True)


async def on_uid_search(s: Session, tag: str, _: str) -> None:
    await s.reply("* SEARCH " + " ".join(str(uid) for uid in MESSAGES),
                  f"{tag} OK SEARCH completed")


def fetch_response(uid: int, items: str) -> bytes:
    """`* N FETCH (...)` for the requested items of MESSAGES[uid] (sequence number = UID)."""
    raw = MESSAGES[uid]
    items = items.upper()
    parts = [f"UID {uid}".encode()]
    if "FLAGS" in items:
        parts.append(b"FLAGS ()")
    if "RFC822.SIZE" in items:
        parts.append(f"RFC822.SIZE {len(raw)}".encode())
    if "INTERNALDATE" in items:
        parts.append(b'INTERNALDATE "05-Dec-2025 10:00:00 +0000"')
    if "BODY" in items and "[HEADER]" in items:
        header = raw[:raw.index(b"\r\n\r\n") + 4]
        parts.append(f"BODY[HEADER] {{{len(header)}}}\r\n".encode() + header)
    elif "BODY" in items or "RFC822" in items.replace("RFC822.SIZE", ""):
        parts.append(f"BODY[] {{{len(raw)}}}\r\n".encode() + raw)
    return f"* {uid} FETCH (".encode() + b" ".join(parts) + b")\r\n"


async def on_uid_fetch(s: Session, tag: str, arguments: str) -> None:
    uids, _, items = arguments.partition(" ")
    for uid in uid_set(uids):
        await s.send(fetch_response(uid, items))
    await s.reply(f"{tag} OK FETCH completed")


async def on_idle(s: Session, tag: str, _: str) -> None:
    await s.reply("+ idling")
    while (line := await s.reader.readline()) and line.strip().upper() != b"DONE":
        pass
    if not line:
        raise Closed()
    s.log("C", line)
    await s.reply(f"{tag} OK IDLE terminated")


NORMAL_HANDLERS: Dict[str, Handler] = {
    "CAPABILITY": on_capability, "NOOP": on_noop, "LOGOUT": on_logout,
    "STARTTLS": on_starttls, "LOGIN": on_login, "AUTHENTICATE": on_authenticate,
    "LIST": on_list, "SELECT": on_select, "EXAMINE": on_examine,
    "UID SEARCH": on_uid_search, "UID FETCH": on_uid_fetch, "IDLE": on_idle,
}
PRE_AUTH = {"CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "LOGIN", "AUTHENTICATE"}


# --- the scenarios --------------------------------------------------------------------------
async def normal(s: Session) -> None:
    await s.greet()
    await s.serve()


async def starttls_injection(s: Session) -> None:
    """Plaintext smuggled after the STARTTLS reply, in the same write, before the handshake: a
    client that reads it as coming from inside TLS can be made to believe anything."""
    async def injected(s: Session, tag: str, _: str) -> None:
        await s.send(f"{tag} OK Begin TLS negotiation now\r\n"
                     "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n".encode())
        await s.start_tls()
    await s.greet()
    await s.serve({"STARTTLS": injected})  # a client that goes on is served normally


async def huge_literal(s: Session) -> None:
    """A 2 GiB literal announced, then trickled a kilobyte at a time."""
    async def trickle(s: Session, tag: str, _: str) -> None:
        await s.send(b"* 1 FETCH (UID 1 BODY[] {2147483648}\r\n")
        while True:
            s.writer.write(b"x" * 1024)
            await s.writer.drain()
            await asyncio.sleep(0.01)
    await s.greet()
    await s.serve({"UID FETCH": trickle})


async def endless_line(s: Session) -> None:
    """A greeting line that never ends: only the client's line limit stops it."""
    s.log("S", b"* OK AAAA... (no end)")
    s.writer.write(b"* OK ")
    chunk = b"A" * 65536
    while True:
        s.writer.write(chunk)
        await s.writer.drain()


MALFORMED = {
    "parens": "* 1 FETCH (UID 1 FLAGS (\\Seen)",               # one ")" missing
    "literal": "* 1 FETCH (UID 1 BODY[] {12a}",                # not a length
    "unknown_tag": "zz999 OK FETCH completed",                 # no command had that tag
}


def malformed_fetch(*which: str) -> Handler:
    async def handler(s: Session, tag: str, _: str) -> None:
        # The real tagged reply follows, so a client that shrugs the bad line off is noticed
        # as having succeeded.
        await s.reply(*(MALFORMED[w] for w in which), f"{tag} OK FETCH completed")
    return handler


def malformed_scenario(*which: str) -> Callable[[Session], Awaitable[None]]:
    async def scenario(s: Session) -> None:
        await s.greet()
        await s.serve({"UID FETCH": malformed_fetch(*which)})
    scenario.__doc__ = f"UID FETCH answered with: {', '.join(which)}."
    return scenario


async def wrong_tag(s: Session) -> None:
    """After login, the tagged reply to each command carries the previous command's tag."""
    async def replay(s: Session, tag: str, arguments: str) -> None:
        await s.reply(f"{s.previous_tag} OK done (for another command)")
    await s.greet()
    await s.serve({name: replay for name in NORMAL_HANDLERS if name not in PRE_AUTH})


async def out_of_order(s: Session) -> None:
    """UID FETCH's tagged OK comes before its untagged FETCH data."""
    async def early_ok(s: Session, tag: str, arguments: str) -> None:
        uids, _, items = arguments.partition(" ")
        await s.reply(f"{tag} OK FETCH completed")
        for uid in uid_set(uids):
            await s.send(fetch_response(uid, items))
    await s.greet()
    await s.serve({"UID FETCH": early_ok})


async def stall(s: Session) -> None:
    """A greeting, then silence, whatever the client says."""
    await s.greet()
    await s.until_closed()


async def bye(s: Session) -> None:
    """A greeting, then BYE and the connection closed."""
    await s.greet()
    await s.reply("* BYE shutting down")


SCENARIOS: Dict[str, Callable[[Session], Awaitable[None]]] = {
    "normal": normal,
    "starttls_injection": starttls_injection,
    "huge_literal": huge_literal,
    "endless_line": endless_line,
    "malformed": malformed_scenario("parens", "literal", "unknown_tag"),
    "malformed_parens": malformed_scenario("parens"),
    "malformed_literal": malformed_scenario("literal"),
    "unknown_tag": malformed_scenario("unknown_tag"),
    "wrong_tag": wrong_tag,
    "out_of_order": out_of_order,
    "stall": stall,
    "bye": bye,
}


# --- serving --------------------------------------------------------------------------------
async def run(config: argparse.Namespace) -> None:
    scenario = SCENARIOS[config.scenario]
    connections = 0

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        session = Session(reader, writer, config, connections, tls=config.tls)
        try:
            await scenario(session)
        except (Closed, ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, OSError):
            pass  # the client went, or refused: that is what the scenarios provoke
        finally:
            writer.close()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # Clients that reject the certificate end the handshake: expected, not worth a traceback.
    loop.set_exception_handler(lambda _loop, _context: None)
    server = await asyncio.start_server(on_connection, config.host, config.port,
                                        ssl=config.ssl_context if config.tls else None,
                                        limit=1 << 20)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port, "pid": os.getpid(), "ca_file": config.ca_file}), flush=True)
    try:
        if config.lifetime > 0:
            await asyncio.wait_for(stop.wait(), config.lifetime)
        else:
            await stop.wait()
    except asyncio.TimeoutError:
        pass
    server.close()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    parser.add_argument("--tls", action="store_true", help="implicit TLS (IMAPS)")
    parser.add_argument("--tls-cert", help="server certificate (PEM); default: one made now")
    parser.add_argument("--tls-key", help="its private key (PEM)")
    parser.add_argument("--user", default=USER)
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--transcript", help="append every line sent and received to FILE")
    parser.add_argument("--lifetime", type=float, default=600,
                        help="seconds before exiting on its own (0: never)")
    config = parser.parse_args(argv)
    if bool(config.tls_cert) != bool(config.tls_key):
        parser.error("--tls-cert and --tls-key go together")

    made = None
    if config.tls_cert:
        cert, key, config.ca_file = config.tls_cert, config.tls_key, None
    else:
        made = tempfile.mkdtemp(prefix="hostile-imap-")
        files = make_certificates(made)
        cert, key, config.ca_file = files.cert_file, files.key_file, str(files.ca_file)
    config.ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    config.ssl_context.load_cert_chain(cert, key)
    try:
        asyncio.run(run(config))
    finally:
        if made:
            shutil.rmtree(made, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
