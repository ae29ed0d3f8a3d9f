"""What the tests of `outreach serve` share: a campaign with unsubscribe links, a store made by
simulating it (with every message built, so that each lead's real link can be read back), and
`outreach serve` started on a free loopback port and stopped with SIGTERM."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import json
import os
import select
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence
from urllib.parse import urlsplit

CLI = os.environ["OUTREACH_CLI"]
NAME = "web"
SECRET_ENV = "OUTREACH_TEST_UNSUBSCRIBE_SECRET"
SECRET = "a-secret-of-forty-bytes-for-the-tests!!!"


def address(number: int) -> str:
    return f"lead{number:05d}@leads.test"


def write_campaign(directory: Path, leads: int, *, steps: int = 2, port: Optional[int] = None,
                   secret_env: str = SECRET_ENV, previous: Sequence[str] = (), name: str = NAME,
                   url: str = "https://acme.test/u/{{token}}", tracking: Optional[dict] = None) -> Path:
    """A campaign of `leads` leads: sent to an SMTP server on `port` when given (for `run`),
    else only simulated. With `tracking`, its messages have an html body with two links."""
    sequence = {"name": "web", "steps": [{"variants": [
        {"name": "A", "subject": "Step 1 for {{first_name}}", "text": "Hello {{first_name}}."},
        {"name": "B", "subject": "Step 1, {{first_name}}", "text": "Hi {{first_name}}."}]}]}
    if tracking is not None:
        for variant in sequence["steps"][0]["variants"]:
            variant["html"] = ('<html><body><p>Hello {{first_name}}: see <a href="https://acme.test/pricing?a=1&amp;b=2">'
                               'pricing</a> and <a href="https://acme.test/blog">the blog</a>. '
                               '<a href="{{unsubscribe_url}}">Unsubscribe</a></p></body></html>')
    for step in range(2, steps + 1):
        sequence["steps"].append({"delay": {"days": 1}, "variants": [{"text": f"Step {step}: again."}]})
    (directory / "sequence.json").write_text(json.dumps(sequence), encoding="utf-8")
    rows = "".join(f"{address(n)},Lead{n}\n" for n in range(leads))
    (directory / "leads.csv").write_text("email,first_name\n" + rows, encoding="utf-8")

    def mailbox(identifier: str) -> dict:
        box = {"id": identifier, "from": f"{identifier} <{identifier}@sender.test>", "daily_limit": 1000000,
               "timezone": "UTC"}
        if port is not None:
            box.update({"transport": f"smtp://127.0.0.1:{port}", "security": "none"})
        return box

    unsubscribe = {"url": url, "mailto": "unsubscribe@acme.test", "secret_env": secret_env}
    if previous:
        unsubscribe["previous_secret_envs"] = list(previous)
    campaign = {
        "name": name,
        "sequence": "sequence.json",
        "leads": "leads.csv",
        "schedule": {"timezone": "UTC", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                     "hours": ["00:00-24:00"], "start": "2026-12-01"},
        "mailboxes": [mailbox("alice"), mailbox("bob")],
        "limits": {"new_leads_per_day": 1000000, "sends_per_day": 1000000},
        "unsubscribe": unsubscribe,
    }
    if tracking is not None:
        campaign["tracking"] = tracking
    path = directory / f"{name}.json"
    path.write_text(json.dumps(campaign), encoding="utf-8")
    return path


def environment(**extra: str) -> Dict[str, str]:
    env = dict(os.environ)
    env[SECRET_ENV] = SECRET
    env.pop("OUTREACH_SERVE_TOKEN", None)
    env.update(extra)
    return env


def cli(*args: object, env: Optional[Dict[str, str]] = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env=env or environment())


def simulate(campaign: Path, store: Path, outbox: Path, env: Optional[Dict[str, str]] = None,
             days: int = 5) -> None:
    result = cli("simulate", campaign, "--store", store, "--outbox", outbox, "--days", days, env=env)
    assert result.returncode == 0, result.stderr


def links(outbox: Path) -> Dict[str, str]:
    """Each lead's one-click link, from List-Unsubscribe of the messages built."""
    found: Dict[str, str] = {}
    for path in (outbox / "new").iterdir():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        header = str(message["List-Unsubscribe"])
        url = header.split("<", 1)[1].split(">", 1)[0]
        found[str(message["To"].addresses[0].addr_spec).lower()] = url
    return found


def html_bodies(outbox: Path) -> Dict[str, str]:
    """Each lead's html body, decoded, from the messages built."""
    found: Dict[str, str] = {}
    for path in (outbox / "new").iterdir():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found[str(message["To"].addresses[0].addr_spec).lower()] = message.get_body(("html",)).get_content()
    return found


def path_of(url: str) -> str:
    return urlsplit(url).path


def signed_token(secret: str, campaign: str, lead: str) -> str:
    """A token of the signed format version 0.1 wrote: base64url(campaign "\\n" lead) "." MAC."""
    payload = f"{campaign}\n{lead}".encode()
    mac = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    encode = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()  # noqa: E731
    return encode(payload) + "." + encode(mac)


def suppressed(store: Path) -> List[str]:
    result = cli("suppress", "list", "--store", store)
    assert result.returncode == 0, result.stderr
    return [line.split("\t")[0] for line in result.stdout.splitlines() if line]


class Server:
    """`outreach serve` on a free loopback port (or `listen`), stopped with SIGTERM."""

    def __init__(self, store: Path, *args: str, env: Optional[Dict[str, str]] = None, listen: str = "127.0.0.1:0",
                 log: Optional[Path] = None) -> None:
        self.log_path = log or store.with_suffix(".serve.log")
        self.log = open(self.log_path, "ab")
        # Unbuffered, so that a line read leaves the next in the pipe, where select sees it.
        self.process = subprocess.Popen([CLI, "serve", "--store", str(store), "--listen", listen, *args],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env or environment(),
                                        bufsize=0)
        assert self.process.stderr is not None
        deadline = time.monotonic() + 20
        line = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stderr], [], [], 0.2)
            if ready:
                line = self.process.stderr.readline()
                self.log.write(line)
                if b"listening on port" in line or not line:
                    break
        if b"listening on port" not in line:
            self.stop()
            raise RuntimeError("outreach serve did not start: " + self.log_path.read_text(errors="replace"))
        self.port = int(line.split(b"port ")[1].split()[0])

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        assert self.process.stderr is not None
        self.log.write(self.process.stderr.read())
        self.log.close()
        return self.process.returncode

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def raw_request(port: int, data: bytes, timeout: float = 10) -> bytes:
    """Sends bytes as they are and reads the answer until the server closes or stops talking."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(data)
        answer = b""
        try:
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                answer += chunk
                if b"\r\n\r\n" in answer and b"Connection: close" not in answer and _complete(answer):
                    break
        except socket.timeout:
            pass
        return answer


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False
