"""Sequences: the steps of email a campaign sends (docs/formats.md, "Sequences")."""

from __future__ import annotations

import os
from ctypes import byref, c_char_p, c_void_p
from typing import Any, Dict, Union

from ._handle import Handle
from ._library import SequencePointer, check, encode, encode_path, lib, take_json, take_string, to_json_text

__all__ = ["Sequence"]


class Sequence(Handle):
    """An immutable, checked sequence (``outreach_sequence``).

    Make one with :meth:`load`, :meth:`from_dict` or :meth:`from_json` (or take a campaign's with
    :attr:`Campaign.sequence <outreach.Campaign.sequence>`). Any number of threads may read one
    at once. Free it with :meth:`close` or a ``with`` block (or leave it to the garbage
    collector)::

        with outreach.Sequence.load("sequence.json") as sequence:
            print(sequence.name, sequence.fingerprint)
    """

    _free_function = "outreach_sequence_free"
    _pointer_type = SequencePointer

    @classmethod
    def load(cls, path: Union[str, "os.PathLike[str]"]) -> "Sequence":
        """Loads and checks a ``sequence.json`` file.

        Raises:
            NotFound: There is no such file.
            IoError: The file cannot be read.
            ParseError, InvalidValue, UnknownKey, LimitExceeded, InvalidUtf8: The file is not a
                valid sequence; ``details`` lists every error found, with its JSON path.
        """
        out = SequencePointer()
        check(lib().outreach_sequence_load(byref(out), encode_path(path, "path")))
        return cls(out)

    @classmethod
    def from_json(cls, text: str) -> "Sequence":
        """Parses and checks a sequence from JSON text (raises as :meth:`load`)."""
        out = SequencePointer()
        check(lib().outreach_sequence_from_json(byref(out), encode(text, "json")))
        return cls(out)

    @classmethod
    def from_dict(cls, sequence: Dict[str, Any]) -> "Sequence":
        """Checks a sequence given as a dict of the JSON format (raises as :meth:`load`)."""
        return cls.from_json(to_json_text(sequence, "sequence"))

    @property
    def fingerprint(self) -> str:
        """The lower-case hexadecimal SHA-256 of the sequence's canonical form: equal content,
        equal fingerprint, on every machine."""
        out = c_char_p()
        check(lib().outreach_sequence_fingerprint(self._handle(), byref(out)))
        return (out.value or b"").decode("ascii")

    def to_json(self) -> str:
        """The sequence as JSON text in the format it is loaded from, every default written out;
        :meth:`from_json` of it gives an equal sequence (the same fingerprint)."""
        out = c_void_p()
        check(lib().outreach_sequence_to_json(self._handle(), byref(out)))
        return take_string(out)

    def to_dict(self) -> Dict[str, Any]:
        """The sequence as a dict of the JSON format, every default written out."""
        out = c_void_p()
        check(lib().outreach_sequence_to_json(self._handle(), byref(out)))
        result: Dict[str, Any] = take_json(out)
        return result

    @property
    def name(self) -> str:
        """The sequence's ``name`` (``""`` when it has none)."""
        return str(self.to_dict().get("name", ""))

    def __repr__(self) -> str:
        if self.closed:
            return "<outreach.Sequence (closed)>"
        return f"<outreach.Sequence {self.name!r} {self.fingerprint[:12]}>"
