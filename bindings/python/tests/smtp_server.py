"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, in a thread, on a free port, keeping
every message it accepts with its envelope, and every AUTH attempt.

It speaks plain SMTP, STARTTLS (required) or implicit TLS with a certificate the tests make, AUTH
PLAIN and LOGIN against a table of logins, and XOAUTH2 (RFC 7628 style, as Gmail answers it: a
refused token gets a 334 with a JSON error, then 535 once the client has answered). aiosmtpd reads
commands line by line, so it can also offer PIPELINING (it does not by itself), and it can be told
to drop the connection once a message's data has arrived, before its reply.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, AuthResult, LoginPassword


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: List[str]
    data: bytes
    smtputf8: bool
    mail_options: List[str]
    tls: bool
    login: Optional[str]


@dataclass
class AuthAttempt:
    """One AUTH the server answered."""

    mechanism: str
    login: str
    secret: str
    accepted: bool


@dataclass
class Mailroom:
    """The server's handler: what arrived, and who tried to log in."""

    logins: Dict[str, str] = field(default_factory=dict)
    tokens: Set[str] = field(default_factory=set)
    pipelining: bool = False
    drop_after_data: int = 0  # how many of the next messages lose their connection before the reply
    messages: List[Received] = field(default_factory=list)
    attempts: List[AuthAttempt] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        login = getattr(session.auth_data, "login", None)
        with self.lock:
            self.messages.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    data=bytes(envelope.original_content or b""),
                    smtputf8=bool(envelope.smtp_utf8),
                    mail_options=[option.upper() for option in envelope.mail_options],
                    tls=server.transport.get_extra_info("ssl_object") is not None,
                    login=login.decode("utf-8") if isinstance(login, bytes) else login,
                )
            )
            number = len(self.messages)
            drop = self.drop_after_data > 0
            self.drop_after_data -= 1 if drop else 0
        if drop:
            server.transport.abort()
        return f"250 2.0.0 Ok: queued as Q{number}"

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,  # noqa: N802
                          responses: List[str]) -> List[str]:
        session.host_name = hostname
        if self.pipelining:
            responses.insert(len(responses) - 1, "250-PIPELINING")
        return responses

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        """PLAIN and LOGIN: the login must be in the table."""
        assert isinstance(auth_data, LoginPassword)
        login = auth_data.login.decode("utf-8")
        secret = auth_data.password.decode("utf-8")
        accepted = self.logins.get(login) == secret
        with self.lock:
            self.attempts.append(AuthAttempt(mechanism, login, secret, accepted))
        # handled=False: aiosmtpd answers a refusal with 535 itself.
        return AuthResult(success=accepted, handled=False, auth_data=auth_data)

    async def auth_XOAUTH2(self, server: Any, args: List[str]) -> AuthResult:  # noqa: N802 - aiosmtpd's name
        """XOAUTH2: `user=U^Aauth=Bearer T^A^A`, base64, as the initial response or after a 334."""
        if len(args) == 2:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except ValueError:
                await server.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        else:
            answer = await server.challenge_auth("", encode_to_b64=False)
            if answer is MISSING:
                return AuthResult(success=False, handled=True)
            blob = answer
        fields = dict(part.split("=", 1) for part in blob.decode("utf-8").split("\x01") if "=" in part)
        login = fields.get("user", "")
        token = fields.get("auth", "").removeprefix("Bearer ")
        accepted = token in self.tokens
        with self.lock:
            self.attempts.append(AuthAttempt("XOAUTH2", login, token, accepted))
        if accepted:
            return AuthResult(success=True, auth_data=LoginPassword(login.encode(), b""))
        error = json.dumps({"status": "401", "schemes": "bearer", "scope": "https://mail.example/"})
        answer = await server.challenge_auth(error)  # the client answers with an empty line
        if answer is MISSING:
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False, message="535 5.7.8 Username and Password not accepted")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_context(certificate: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate), str(key))
    return context


class SmtpServer:
    """A running server. `security` is "none", "starttls" (required) or "tls" (implicit)."""

    def __init__(
        self,
        security: str = "none",
        certificate: Optional[Path] = None,
        key: Optional[Path] = None,
        logins: Optional[Dict[str, str]] = None,
        tokens: Optional[Set[str]] = None,
        smtputf8: bool = True,
        pipelining: bool = False,
        data_size_limit: Optional[int] = None,
    ) -> None:
        self.security = security
        self.mailroom = Mailroom(logins=dict(logins or {}), tokens=set(tokens or ()), pipelining=pipelining)
        options: Dict[str, Any] = {"decode_data": False, "enable_SMTPUTF8": smtputf8}
        if data_size_limit is not None:
            options["data_size_limit"] = data_size_limit
        if logins is not None or tokens is not None:
            options["authenticator"] = self.mailroom.authenticate
            # Over plain text too, as the client allows it to a loopback address.
            options["auth_require_tls"] = security != "none"
        if security != "none":
            assert certificate is not None and key is not None
            context = server_context(certificate, key)
            if security == "starttls":
                options.update(tls_context=context, require_starttls=True)
            else:
                options["ssl_context"] = context
        last_error: Optional[BaseException] = None
        for _ in range(10):  # another process may take the port between probing and binding
            self.port = free_port()
            self.controller = Controller(self.mailroom, hostname="127.0.0.1", port=self.port, **options)
            try:
                self.controller.start()
                return
            except (OSError, RuntimeError) as error:
                last_error = error
        raise RuntimeError(f"no port for the test SMTP server: {last_error}")

    @property
    def messages(self) -> List[Received]:
        with self.mailroom.lock:
            return list(self.mailroom.messages)

    @property
    def attempts(self) -> List[AuthAttempt]:
        with self.mailroom.lock:
            return list(self.mailroom.attempts)

    def url(self) -> str:
        scheme = "smtps" if self.security == "tls" else "smtp"
        return f"{scheme}://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.controller.stop()
