"""The C interface as ctypes sees it: constants, structs, callback types, one table of every
function with its argument and result types, finding and loading ``liboutreach_c``, and
:func:`check`, which turns a status code into an exception.

Nothing here is public API; the classes of :mod:`outreach` are.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import sys
import threading
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char_p,
    c_double,
    c_int,
    c_size_t,
    c_uint,
    c_uint32,
    c_void_p,
)
from pathlib import Path
from typing import Any, List, Optional, Tuple, Union

from .errors import Error, InvalidArgument, InvalidUtf8, LibraryError, error_class

# ---- constants of outreach.h ---------------------------------------------------------------

#: The version of outreach.h this binding was written against (``major*10000+minor*100+patch``).
HEADER_VERSION_NUMBER = 100
#: The oldest library this binding works with, as text for messages.
MINIMUM_LIBRARY_VERSION = "0.1.0"

OK = 0
EINVAL = -1
EPARSE = -2
EVALUE = -3
EUNKNOWNKEY = -4
EMISSINGFIELD = -5
EUTF8 = -6
ELIMIT = -7
EIO = -8
ENOTFOUND = -9
EUNAVAILABLE = -10
ETEMPFAIL = -11
EPERMFAIL = -12
EINTERNAL = -13
ENOMEM = -100
ECALLBACK = -101
EUNSUPPORTED = -102
EBUSY = -103

SEND_ACCEPTED = 0
SEND_TEMPORARY = 1
SEND_PERMANENT = 2

TRANSPORT_VERSION = 1

LOG_ERROR = 1
LOG_WARNING = 2
LOG_INFO = 3

TRANSPORT_DRY_RUN = 0
TRANSPORT_OUTBOX = 1
TRANSPORT_CUSTOM = 2
TRANSPORT_MAILBOX = 3

ENGINE_DISCARD_EVENTS = 1
ENGINE_DURABLE_POWER = 2
ENGINE_NO_MAIL_READING = 4

ENGINE_OPTIONS_VERSION = 3

SMTP_CALLBACKS_VERSION = 1
IMAP_CALLBACKS_VERSION = 1

# ---- handles: one pointer type each, so that one cannot be passed for another --------------


class SequencePointer(c_void_p):
    """An ``outreach_sequence *``."""


class CampaignPointer(c_void_p):
    """An ``outreach_campaign *``."""


class EnginePointer(c_void_p):
    """An ``outreach_engine *``."""


class SmtpPointer(c_void_p):
    """An ``outreach_smtp *``."""


class ImapPointer(c_void_p):
    """An ``outreach_imap *``."""


class StoreReaderPointer(c_void_p):
    """An ``outreach_store_reader *``."""


# ---- structs and callbacks -----------------------------------------------------------------


class SendOutcome(Structure):
    """``outreach_send_outcome``: how a send ended, filled in by a custom transport."""

    _fields_ = [
        ("kind", c_int),
        ("code", c_int),
        ("status", c_char_p),
        ("reason", c_char_p),
        ("queue_id", c_char_p),
    ]


#: ``outreach_send_fn``. ``data`` is a ``c_void_p`` so that its ``size`` bytes are read as they are.
SEND_FN = CFUNCTYPE(
    c_int, c_char_p, c_char_p, c_char_p, c_char_p, c_void_p, c_size_t, c_int, POINTER(SendOutcome), c_void_p
)


class TransportStruct(Structure):
    """``outreach_transport``: a transport of the host, as callbacks."""

    _fields_ = [
        ("version", c_int),
        ("needs_message_data", c_int),
        ("send", SEND_FN),
        ("user_data", c_void_p),
    ]


#: ``outreach_log_fn``.
LOG_FN = CFUNCTYPE(None, c_int, c_char_p, c_void_p)
#: ``outreach_event_fn``.
EVENT_FN = CFUNCTYPE(c_int, c_char_p, c_void_p)


class SmtpCredentials(Structure):
    """``outreach_smtp_credentials``: a login, filled in by the credentials callback."""

    _fields_ = [
        ("username", c_char_p),
        ("secret", c_char_p),
    ]


#: ``outreach_smtp_credentials_fn``.
SMTP_CREDENTIALS_FN = CFUNCTYPE(c_int, c_char_p, c_char_p, c_int, POINTER(SmtpCredentials), c_void_p)
#: ``outreach_smtp_trace_fn``.
SMTP_TRACE_FN = CFUNCTYPE(None, c_char_p, c_void_p)
#: ``outreach_smtp_done_fn``.
SMTP_DONE_FN = CFUNCTYPE(c_int, c_char_p, c_void_p)


class SmtpCallbacks(Structure):
    """``outreach_smtp_callbacks``: the host's credentials and trace callbacks for SMTP."""

    _fields_ = [
        ("version", c_int),
        ("credentials", SMTP_CREDENTIALS_FN),
        ("trace", SMTP_TRACE_FN),
        ("user_data", c_void_p),
    ]


class ImapCallbacks(Structure):
    """``outreach_imap_callbacks``: the host's credentials and trace callbacks for IMAP (the
    layout of the SMTP ones)."""

    _fields_ = SmtpCallbacks._fields_


class EngineOptions(Structure):
    """``outreach_engine_options``: how to open an engine."""

    _fields_ = [
        ("version", c_int),
        ("transport", c_int),
        ("outbox_dir", c_char_p),
        ("custom_transport", POINTER(TransportStruct)),
        ("flags", c_uint),
        ("log", LOG_FN),
        ("log_user_data", c_void_p),
        ("smtp_settings", c_char_p),
        ("smtp_callbacks", POINTER(SmtpCallbacks)),
        ("imap_callbacks", POINTER(ImapCallbacks)),
    ]


# ---- every function of outreach.h ----------------------------------------------------------

_c_char_pp = POINTER(c_char_p)  # const char **: the library's string
_c_owned_pp = POINTER(c_void_p)  # char **: the caller's string, freed with outreach_string_free

#: Every function of the C interface: (name, argtypes, restype). Applied when the library loads.
FUNCTIONS: List[Tuple[str, List[Any], Any]] = [
    # versions, status codes, strings
    ("outreach_version_number", [], c_int),
    ("outreach_version", [], c_char_p),
    ("outreach_strerror", [c_int], c_char_p),
    ("outreach_last_error", [], c_char_p),
    ("outreach_last_error_details", [], c_char_p),
    ("outreach_string_free", [c_void_p], None),
    # sequences
    ("outreach_sequence_from_json", [POINTER(SequencePointer), c_char_p], c_int),
    ("outreach_sequence_load", [POINTER(SequencePointer), c_char_p], c_int),
    ("outreach_sequence_fingerprint", [SequencePointer, _c_char_pp], c_int),
    ("outreach_sequence_to_json", [SequencePointer, _c_owned_pp], c_int),
    ("outreach_sequence_free", [SequencePointer], None),
    # campaigns
    ("outreach_campaign_from_json", [POINTER(CampaignPointer), c_char_p, c_char_p], c_int),
    ("outreach_campaign_load", [POINTER(CampaignPointer), c_char_p], c_int),
    ("outreach_campaign_name", [CampaignPointer, _c_char_pp], c_int),
    ("outreach_campaign_lead_count", [CampaignPointer, POINTER(c_size_t)], c_int),
    ("outreach_campaign_lead_problems", [CampaignPointer, _c_owned_pp], c_int),
    ("outreach_campaign_to_json", [CampaignPointer, _c_owned_pp], c_int),
    ("outreach_leads_load", [c_char_p, _c_owned_pp], c_int),
    ("outreach_campaign_sequence", [POINTER(SequencePointer), CampaignPointer], c_int),
    ("outreach_campaign_free", [CampaignPointer], None),
    # engines
    ("outreach_engine_open", [POINTER(EnginePointer), c_char_p, POINTER(EngineOptions)], c_int),
    ("outreach_engine_free", [EnginePointer], None),
    ("outreach_engine_set_event_callback", [EnginePointer, EVENT_FN, c_void_p], c_int),
    ("outreach_engine_add_campaign", [EnginePointer, CampaignPointer], c_int),
    ("outreach_engine_start", [EnginePointer, c_char_p], c_int),
    ("outreach_engine_pause", [EnginePointer, c_char_p], c_int),
    ("outreach_engine_resume", [EnginePointer, c_char_p], c_int),
    ("outreach_engine_queue_inbound", [EnginePointer, c_char_p], c_int),
    ("outreach_engine_simulate", [EnginePointer, c_char_p, c_char_p], c_int),
    ("outreach_engine_run", [EnginePointer, c_char_p], c_int),
    ("outreach_engine_request_stop", [EnginePointer], c_int),
    ("outreach_engine_event_count", [EnginePointer, POINTER(c_size_t)], c_int),
    ("outreach_engine_events", [EnginePointer, c_size_t, _c_owned_pp], c_int),
    ("outreach_engine_event", [EnginePointer, c_size_t, _c_owned_pp], c_int),
    ("outreach_engine_summary", [EnginePointer, _c_owned_pp], c_int),
    ("outreach_engine_warnings", [EnginePointer, _c_owned_pp], c_int),
    # received mail. The message is a c_void_p so that its length bytes (NULs too) are passed as they are.
    ("outreach_engine_ingest", [EnginePointer, c_void_p, c_size_t, _c_owned_pp], c_int),
    # the engine's store
    ("outreach_engine_suppress", [EnginePointer, c_char_p, c_char_p], c_int),
    ("outreach_engine_unsuppress", [EnginePointer, c_char_p], c_int),
    ("outreach_engine_suppressions", [EnginePointer, _c_owned_pp], c_int),
    ("outreach_engine_import_suppressions", [EnginePointer, c_char_p, c_char_p, _c_owned_pp], c_int),
    ("outreach_engine_forget", [EnginePointer, c_char_p, POINTER(c_size_t)], c_int),
    # reading a store file
    ("outreach_store_reader_open", [POINTER(StoreReaderPointer), c_char_p], c_int),
    ("outreach_store_reader_status", [StoreReaderPointer, _c_owned_pp], c_int),
    ("outreach_store_reader_events", [StoreReaderPointer, c_char_p, c_char_p, _c_owned_pp], c_int),
    ("outreach_store_reader_explain", [StoreReaderPointer, c_char_p, c_char_p, c_char_p, _c_owned_pp], c_int),
    ("outreach_store_reader_forecast", [StoreReaderPointer, c_char_p, c_char_p, c_double, _c_owned_pp], c_int),
    ("outreach_store_reader_suppressions", [StoreReaderPointer, _c_owned_pp], c_int),
    ("outreach_store_reader_free", [StoreReaderPointer], None),
    # requests of a store's campaigns, whether or not an engine runs them
    ("outreach_store_request", [c_char_p, c_char_p, c_uint32, _c_owned_pp], c_int),
    # one-click unsubscribe tokens
    ("outreach_unsubscribe_token", [_c_owned_pp, c_char_p, c_char_p, c_char_p], c_int),
    ("outreach_unsubscribe_verify", [_c_owned_pp, c_char_p, c_char_p], c_int),
    # SMTP without an engine. Message data is a c_void_p so that its size bytes are passed as they are.
    ("outreach_smtp_open", [POINTER(SmtpPointer), c_char_p, POINTER(SmtpCallbacks)], c_int),
    ("outreach_smtp_send", [SmtpPointer, c_char_p, c_char_p, c_char_p, c_void_p, c_size_t, c_int, _c_owned_pp], c_int),
    (
        "outreach_smtp_submit",
        [SmtpPointer, c_char_p, c_char_p, c_char_p, c_void_p, c_size_t, c_int, SMTP_DONE_FN, c_void_p],
        c_int,
    ),
    ("outreach_smtp_flush", [SmtpPointer], c_int),
    ("outreach_smtp_close", [SmtpPointer], c_int),
    ("outreach_smtp_connections_opened", [SmtpPointer, POINTER(c_size_t)], c_int),
    ("outreach_smtp_free", [SmtpPointer], None),
    # reading a mailbox over IMAP. The message comes back as a c_void_p with its length (it may hold NULs).
    ("outreach_imap_open", [POINTER(ImapPointer), c_char_p, POINTER(ImapCallbacks)], c_int),
    ("outreach_imap_list_new", [ImapPointer, c_char_p, c_uint32, c_uint32, _c_owned_pp], c_int),
    ("outreach_imap_fetch", [ImapPointer, c_char_p, c_uint32, _c_owned_pp, POINTER(c_size_t)], c_int),
    ("outreach_imap_free", [ImapPointer], None),
]

# ---- finding and loading the library -------------------------------------------------------

#: The file names the library may have, most specific first.
if sys.platform == "darwin":  # pragma: no cover - the project builds on Linux
    LIBRARY_NAMES: Tuple[str, ...] = ("liboutreach_c.0.dylib", "liboutreach_c.dylib")
elif sys.platform == "win32":  # pragma: no cover
    LIBRARY_NAMES = ("outreach_c.dll",)
else:
    LIBRARY_NAMES = ("liboutreach_c.so.0", "liboutreach_c.so")

PACKAGE_DIR = Path(__file__).resolve().parent


def candidate_paths() -> List[str]:
    """Where the library is looked for, in order: ``$OUTREACH_LIBRARY`` (a file), then the
    package's ``_lib/`` folder and the package folder, then the loader's own search by name."""
    candidates: List[str] = []
    override = os.environ.get("OUTREACH_LIBRARY")
    if override:
        return [override]
    for folder in (PACKAGE_DIR / "_lib", PACKAGE_DIR):
        for name in LIBRARY_NAMES:
            path = folder / name
            if path.is_file():
                candidates.append(str(path))
    candidates.extend(LIBRARY_NAMES)
    found = ctypes.util.find_library("outreach_c")
    if found and found not in candidates:
        candidates.append(found)
    return candidates


def is_carried_by_package(path: str) -> bool:
    """Whether ``path`` is a library that came with the package (in ``_lib/`` or beside it)."""
    return Path(path).resolve().parent in (PACKAGE_DIR / "_lib", PACKAGE_DIR)


def check_carried_version(library: "Library") -> None:
    """A library the package carries must be of the package's own version: a wheel is built with
    the library of its build, and a different one means a package put together by hand wrongly."""
    from . import __version__  # the package's __init__ has run by the first load

    if library.version != __version__:
        raise LibraryError(
            f"{library.path} is outreach {library.version} but the package is outreach {__version__}: "
            "the library the package carries must be of its own version; reinstall the package, or set "
            "OUTREACH_LIBRARY to a library to use instead"
        )


class Library:
    """The loaded ``liboutreach_c``: its functions as attributes, typed from :data:`FUNCTIONS`."""

    path: str
    version: str
    version_number: int

    def __init__(self, handle: ctypes.CDLL, path: str) -> None:
        self._handle = handle
        self.path = path
        version = "unknown"
        try:
            version_function = handle.outreach_version
            version_function.argtypes = []
            version_function.restype = c_char_p
            version = (version_function() or b"").decode("utf-8", "replace")
        except AttributeError:
            pass
        for name, argtypes, restype in FUNCTIONS:
            try:
                function = getattr(handle, name)
            except AttributeError:
                raise LibraryError(
                    f"{path} (outreach {version}) has no function {name}: this binding needs "
                    f"liboutreach_c {MINIMUM_LIBRARY_VERSION} or later"
                ) from None
            function.argtypes = argtypes
            function.restype = restype
            setattr(self, name, function)
        self.version = version
        self.version_number = int(self.outreach_version_number())
        if self.version_number < HEADER_VERSION_NUMBER:
            raise LibraryError(
                f"{path} is outreach {version}: this binding needs liboutreach_c {MINIMUM_LIBRARY_VERSION} or later"
            )

    def __getattr__(self, name: str) -> Any:  # only reached for a name not in the table
        raise AttributeError(f"outreach: the C function {name} is not in the binding's function table")


def load(path: Optional[Union[str, "os.PathLike[str]"]] = None) -> Library:
    """Loads the library from ``path``, or from the first place of :func:`candidate_paths` that
    has it, and applies the function table.

    Raises:
        LibraryError: No library could be loaded, or it lacks a function of the table.
    """
    candidates = [os.fspath(path)] if path is not None else candidate_paths()
    reasons: List[str] = []
    for candidate in candidates:
        explicit = os.sep in candidate
        if explicit and not os.path.isfile(candidate):
            reasons.append(f"{candidate}: no such file")
            continue
        try:
            handle = ctypes.CDLL(candidate)
        except OSError as error:
            reasons.append(str(error))
            continue
        library = Library(handle, candidate)
        if path is None and explicit and is_carried_by_package(candidate):
            check_carried_version(library)
        return library
    where = "; ".join(reasons) if reasons else "nowhere to look"
    hint = (
        "set OUTREACH_LIBRARY to the path of liboutreach_c.so (such as build/capi/liboutreach_c.so), "
        "or copy it into the package's _lib/ folder"
    )
    if os.environ.get("OUTREACH_LIBRARY") and path is None:
        hint = "OUTREACH_LIBRARY must name the library file itself (such as build/capi/liboutreach_c.so)"
    raise LibraryError(f"cannot load liboutreach_c ({where}): {hint}")


_loaded: Optional[Library] = None
_load_lock = threading.Lock()


def lib() -> Library:
    """The library, loaded on first use (see :func:`load`)."""
    global _loaded
    library = _loaded
    if library is not None:
        return library
    with _load_lock:
        if _loaded is None:
            _loaded = load()
        return _loaded


def use_library(path: Union[str, "os.PathLike[str]"]) -> Library:
    """Loads the library at ``path`` and makes it the one every later call uses."""
    global _loaded
    library = load(path)
    with _load_lock:
        _loaded = library
    return library


# ---- status codes to exceptions ------------------------------------------------------------


def make_error(status: int, message: str, details: Optional[List[Any]] = None) -> Error:
    """The exception for a status code, with a message and (optionally) the details array."""
    name = lib().outreach_strerror(status).decode("utf-8", "replace")
    return error_class(status)(message, code=status, name=name, details=details)


def check(status: int) -> int:
    """Returns ``status`` when it is ``OUTREACH_OK`` (or another non-negative value); otherwise
    raises the :class:`~outreach.Error` subclass of the code, with this thread's
    ``outreach_last_error()`` as its message and ``outreach_last_error_details()`` as its
    details. Call it right after the C function, on the same thread."""
    if status >= 0:
        return status
    library = lib()
    message = (library.outreach_last_error() or b"").decode("utf-8", "replace")
    raw_details = library.outreach_last_error_details() or b"[]"
    try:
        details = json.loads(raw_details.decode("utf-8", "replace"))
        if not isinstance(details, list):
            details = None
    except ValueError:
        details = None
    if not message:
        message = library.outreach_strerror(status).decode("utf-8", "replace")
    raise make_error(status, message, details)


# ---- strings across the interface ----------------------------------------------------------


def encode(text: Optional[str], what: str) -> Optional[bytes]:
    """A ``str`` as the NUL-terminated UTF-8 the library takes (``None`` stays ``None``).

    Raises:
        InvalidUtf8: The text has lone surrogates, which UTF-8 cannot encode.
        InvalidArgument: The text has a NUL character (C would cut it there), or is not a str.
    """
    if text is None:
        return None
    if not isinstance(text, str):
        raise InvalidArgument(f"{what}: expected a str, not {type(text).__name__}")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidUtf8(
            f"{what}: not valid UTF-8: {error.reason} at character {error.start}"
        ) from error
    if b"\0" in data:
        raise InvalidArgument(f"{what}: contains a NUL character at character {text.index(chr(0))}")
    return data


def encode_path(path: Union[str, "os.PathLike[str]"], what: str) -> bytes:
    """A file path as the library takes it: the file system's bytes (UTF-8 on Linux)."""
    try:
        raw = os.fspath(path)
    except TypeError:
        raise InvalidArgument(f"{what}: expected a path (str or os.PathLike), not {type(path).__name__}") from None
    data = os.fsencode(raw)
    if b"\0" in data:
        raise InvalidArgument(f"{what}: contains a NUL character")
    return data


def take_string(pointer: c_void_p) -> str:
    """Reads a string the library returned through a ``char **`` and frees it."""
    if not pointer.value:
        return ""
    try:
        return ctypes.string_at(pointer.value).decode("utf-8")
    finally:
        lib().outreach_string_free(pointer)


def take_json(pointer: c_void_p) -> Any:
    """Reads JSON text the library returned through a ``char **``, frees it, and parses it."""
    return json.loads(take_string(pointer))


def to_json_text(value: Any, what: str) -> str:
    """A dict (or list) as compact JSON text; a str is taken as JSON text already."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidArgument(f"{what}: cannot be written as JSON: {error}") from error
