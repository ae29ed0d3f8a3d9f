"""The exceptions and warnings of outreach.

Every status code of the C interface has its own subclass of :class:`Error`; each one also
derives from the built-in exception that fits it (``ValueError`` for bad input, ``OSError`` for
files, ...), so that code that knows nothing of outreach still catches them sensibly::

    try:
        outreach.Campaign.load("campaign.json")
    except outreach.UnknownKey as error:      # also a ValueError
        print(error.message)                   # what the library said
        for detail in error.details:           # every error found, with its place
            print(detail.get("json_path"), detail["message"])
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Type

__all__ = [
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
    "error_class",
]


class Error(Exception):
    """A call into the outreach library failed.

    Attributes:
        code: The C status code (a negative number, such as ``-4``).
        name: Its stable name (``"unknown_key"``), as ``outreach_strerror`` gives it.
        message: What went wrong, for people: the library's ``outreach_last_error()`` text, with
            the file, line, JSON path and character of bad input, one error a line when a
            document had several.
        details: Every error found, as dicts with ``code``, ``message``, ``text`` and, when
            known, ``file``, ``line``, ``json_path`` and ``offset`` (the library's
            ``outreach_last_error_details()``).
    """

    #: The status code of this class (overridden by each subclass).
    default_code: int = 0
    #: The stable name of this class's code.
    default_name: str = "unknown"

    code: int
    name: str
    message: str
    details: List[Dict[str, Any]]

    def __init__(
        self,
        message: str,
        *,
        code: Optional[int] = None,
        name: Optional[str] = None,
        details: Optional[List[Dict[str, Any]]] = None,
    ) -> None:
        super().__init__(message)
        self.code = self.default_code if code is None else code
        self.name = self.default_name if name is None else name
        self.message = message
        if details is None:
            details = [{"code": self.name, "message": message, "text": message}]
        self.details = details

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code}, name={self.name!r})"

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self.message, self.code, self.name, self.details))


def _rebuild(cls: Type[Error], message: str, code: int, name: str, details: List[Dict[str, Any]]) -> Error:
    return cls(message, code=code, name=name, details=details)


class InvalidArgument(Error, ValueError):
    """An argument the library does not accept: a closed handle, an unknown option, an instant that
    is not RFC 3339, a campaign name already added, a call out of order (``OUTREACH_EINVAL``)."""

    default_code = -1
    default_name = "invalid_argument"


class ParseError(Error, ValueError):
    """Input is not well-formed: JSON, CSV, a template (``OUTREACH_EPARSE``)."""

    default_code = -2
    default_name = "parse_error"


class InvalidValue(Error, ValueError):
    """Input is well-formed but breaks a rule of the format (``OUTREACH_EVALUE``)."""

    default_code = -3
    default_name = "invalid_value"


class UnknownKey(Error, ValueError):
    """A JSON object has a key the format does not define (``OUTREACH_EUNKNOWNKEY``)."""

    default_code = -4
    default_name = "unknown_key"


class MissingField(Error, ValueError):
    """A template needs a lead field that is missing or empty (``OUTREACH_EMISSINGFIELD``)."""

    default_code = -5
    default_name = "missing_field"


class InvalidUtf8(Error, ValueError):
    """Text is not valid UTF-8: a ``str`` with lone surrogates, or a file's content
    (``OUTREACH_EUTF8``)."""

    default_code = -6
    default_name = "invalid_utf8"


class LimitExceeded(Error, ValueError):
    """Input is larger or deeper than the library accepts (``OUTREACH_ELIMIT``)."""

    default_code = -7
    default_name = "limit_exceeded"


class IoError(Error, OSError):
    """A file or folder could not be read or written (``OUTREACH_EIO``)."""

    default_code = -8
    default_name = "io_error"


class NotFound(Error, LookupError):
    """A named thing does not exist: a file, a campaign, a lead, an event index
    (``OUTREACH_ENOTFOUND``)."""

    default_code = -9
    default_name = "not_found"


class Unavailable(Error):
    """A resource is busy or unreachable; trying again may help (``OUTREACH_EUNAVAILABLE``)."""

    default_code = -10
    default_name = "unavailable"


class TemporaryFailure(Error):
    """A remote peer refused for now; trying again may help (``OUTREACH_ETEMPFAIL``)."""

    default_code = -11
    default_name = "temporary_failure"


class PermanentFailure(Error):
    """A remote peer refused for good (``OUTREACH_EPERMFAIL``)."""

    default_code = -12
    default_name = "permanent_failure"


class InternalError(Error):
    """A bug in the library; please report it with the message (``OUTREACH_EINTERNAL``)."""

    default_code = -13
    default_name = "internal"


class OutOfMemory(Error, MemoryError):
    """Memory ran out (``OUTREACH_ENOMEM``)."""

    default_code = -100
    default_name = "out_of_memory"


class CallbackError(Error):
    """A callback of the host failed (``OUTREACH_ECALLBACK``).

    The binding normally raises the exception your callback raised instead; this class is for a
    failure whose Python exception is not known.
    """

    default_code = -101
    default_name = "callback_failed"


class Unsupported(Error, NotImplementedError):
    """Not supported by this version of the library, such as a store path
    (``OUTREACH_EUNSUPPORTED``)."""

    default_code = -102
    default_name = "unsupported"


class Busy(Error, RuntimeError):
    """The engine is in use: by another thread, or by the call whose callback this is
    (``OUTREACH_EBUSY``)."""

    default_code = -103
    default_name = "busy"


class LibraryError(ImportError):
    """The shared library ``liboutreach_c`` could not be found or loaded, or it is too old (it
    lacks a function this binding needs)."""


class OutreachWarning(UserWarning):
    """Something worth telling a person that is not an error: an inbound line left out, a lead
    row left out, a warning of the engine (such as an unsubscribe secret that is not set)."""


_BY_CODE: Dict[int, Type[Error]] = {
    cls.default_code: cls
    for cls in (
        InvalidArgument,
        ParseError,
        InvalidValue,
        UnknownKey,
        MissingField,
        InvalidUtf8,
        LimitExceeded,
        IoError,
        NotFound,
        Unavailable,
        TemporaryFailure,
        PermanentFailure,
        InternalError,
        OutOfMemory,
        CallbackError,
        Unsupported,
        Busy,
    )
}


def error_class(code: int) -> Type[Error]:
    """The :class:`Error` subclass for a C status code (:class:`Error` itself for a code this
    binding does not know)."""
    return _BY_CODE.get(code, Error)
