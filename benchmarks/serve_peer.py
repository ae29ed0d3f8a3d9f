"""The peer of bench_serve: a one-click unsubscribe endpoint in Python's standard library and
the cryptography package, doing the work `outreach serve` does for each POST: the token opened
(AES-256-GCM, its key derived with HMAC-SHA256 as outreach derives it), the body checked for
List-Unsubscribe=One-Click, and the address suppressed with its request queued in one SQLite
transaction (WAL, synchronous FULL: on disk before the answer), then 200 and a short page.

    serve_peer.py STORE SECRET   (prints its port, serves until killed)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sqlite3
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

STORE, SECRET = sys.argv[1], sys.argv[2].encode()
SEAL = AESGCM(hmac.new(SECRET, b"outreach unsubscribe token: seal", hashlib.sha256).digest())
LOCK = threading.Lock()
DB = sqlite3.connect(STORE, check_same_thread=False, isolation_level=None)
DB.execute("PRAGMA journal_mode = WAL")
DB.execute("PRAGMA synchronous = FULL")
DB.execute("CREATE TABLE IF NOT EXISTS suppressions (address TEXT PRIMARY KEY, reason TEXT, added INTEGER)")
DB.execute("CREATE TABLE IF NOT EXISTS requests (id INTEGER PRIMARY KEY, queued INTEGER, body TEXT)")
PAGE = b"<!DOCTYPE html><html><body><h1>Unsubscribed</h1></body></html>\n"


def open_token(token: str):
    try:
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        plain = SEAL.decrypt(sealed[1:13], sealed[13:], sealed[:1]).decode()
    except Exception:
        return None
    campaign, _, lead = plain.partition("\n")
    return campaign, lead


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The answer in one write, flushed after each request, and no Nagle: otherwise every answer
    # waits for the client's delayed acknowledgement (40 ms), which would measure TCP, not the peer.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def log_message(self, *args) -> None:
        pass

    def answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        target = open_token(self.path.rsplit("/", 1)[-1]) if self.path.startswith("/u/") else None
        fields = parse_qs(body.decode(errors="replace"))
        if target is None:
            return self.answer(404, b"not found\n")
        if [value.strip() for value in fields.get("List-Unsubscribe", [])] != ["One-Click"]:
            return self.answer(400, b"not a one-click unsubscribe\n")
        campaign, lead = target
        request = json.dumps({"action": "unsubscribe", "campaign": campaign, "addresses": [lead]})
        now = int(time.time() * 1000)
        with LOCK:
            DB.execute("BEGIN IMMEDIATE")
            DB.execute("INSERT INTO suppressions VALUES (?, 'unsubscribe', ?) ON CONFLICT DO NOTHING", (lead, now))
            DB.execute("INSERT INTO requests (queued, body) VALUES (?, ?)", (now, request))
            DB.execute("COMMIT")
        self.answer(200, PAGE)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
