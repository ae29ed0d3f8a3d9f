"""outreach: cold-email outreach campaigns, from Python.

A binding over the C interface of the outreach library (``liboutreach_c.so``), through ctypes.
It mirrors the ``outreach`` command line — simulating and running campaigns, taking in received
mail (:meth:`Engine.ingest`), keeping the suppression list, reading a store another process runs
(:class:`StoreReader`) — sends over SMTP (:class:`SmtpTransport`,
``Engine(transport="mailbox")``) and reads mailboxes over IMAP (``Engine.run``,
:class:`ImapReader`)::

    import outreach

    with outreach.Engine() as engine:
        engine.add_campaign("campaign.json")                 # adds and starts it
        summary = engine.simulate(inbound="inbound.jsonl")   # = outreach simulate --json
        events = engine.events()                              # = the --events lines, as dicts

The shared library is loaded on first use: from ``$OUTREACH_LIBRARY`` (a file path), else from
the package's ``_lib/`` folder or the package folder, else by the system's loader. See
``docs/python.md``.
"""

from __future__ import annotations

from ._library import Library, lib, use_library
from .campaign import Campaign
from .engine import Engine, simulate
from .errors import (
    Busy,
    CallbackError,
    Error,
    InternalError,
    InvalidArgument,
    InvalidUtf8,
    InvalidValue,
    IoError,
    LibraryError,
    LimitExceeded,
    MissingField,
    NotFound,
    OutOfMemory,
    OutreachWarning,
    ParseError,
    PermanentFailure,
    TemporaryFailure,
    Unavailable,
    UnknownKey,
    Unsupported,
)
from .sequence import Sequence
from .imap import FolderListing, ImapReader, ListedMessage
from .smtp import SendOutcome, SmtpTransport
from .steering import RequestResult
from .store import StoreReader, SuppressionImport
from . import steering
from .transport import Accepted, Message, Permanent, SendResult, Temporary, Transport
from .unsubscribe import UnsubscribeTarget, make_unsubscribe_token, verify_unsubscribe_token

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "version",
    "version_number",
    "library_path",
    "use_library",
    "Sequence",
    "Campaign",
    "Engine",
    "simulate",
    "Message",
    "Accepted",
    "Temporary",
    "Permanent",
    "SendResult",
    "Transport",
    "SmtpTransport",
    "SendOutcome",
    "ImapReader",
    "FolderListing",
    "ListedMessage",
    "StoreReader",
    "RequestResult",
    "steering",
    "SuppressionImport",
    "UnsubscribeTarget",
    "make_unsubscribe_token",
    "verify_unsubscribe_token",
    "Error",
    "InvalidArgument",
    "ParseError",
    "InvalidValue",
    "UnknownKey",
    "MissingField",
    "InvalidUtf8",
    "LimitExceeded",
    "IoError",
    "NotFound",
    "Unavailable",
    "TemporaryFailure",
    "PermanentFailure",
    "InternalError",
    "OutOfMemory",
    "CallbackError",
    "Unsupported",
    "Busy",
    "LibraryError",
    "OutreachWarning",
    "Library",
]


def version() -> str:
    """The version of the loaded library, such as ``"0.1.0"``."""
    return lib().version


def version_number() -> int:
    """The version of the loaded library as ``major * 10000 + minor * 100 + patch``."""
    return lib().version_number


def library_path() -> str:
    """Where the loaded library was found (a path, or the name the system's loader was given)."""
    return lib().path
