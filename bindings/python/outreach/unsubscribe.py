"""One-click unsubscribe tokens: the sealed ``{{token}}`` of a campaign's ``unsubscribe.url``,
made and checked for the host's web handler.

A handler receives the click (or the ``List-Unsubscribe-Post`` request), checks the token, and
applies the unsubscribe through the engine::

    target = outreach.verify_unsubscribe_token(os.environ["ACME_UNSUBSCRIBE_SECRET"], token)
    if target is None:
        return 400                                   # not a token of ours: change nothing
    engine.apply({"at": now, "type": "unsubscribe", "lead": target.lead, "campaign": target.campaign})
"""

from __future__ import annotations

from ctypes import byref, c_void_p
from dataclasses import dataclass
from typing import Optional, Union

from ._library import EVALUE, check, encode, lib, take_json, take_string
from .errors import InvalidArgument

__all__ = ["UnsubscribeTarget", "make_unsubscribe_token", "verify_unsubscribe_token"]


@dataclass(frozen=True)
class UnsubscribeTarget:
    """Whom a valid unsubscribe token names.

    Attributes:
        campaign: The campaign's name.
        lead: The lead's address, in lower case.
    """

    campaign: str
    lead: str


def make_unsubscribe_token(secret: str, campaign: str, lead: str) -> str:
    """The token ``{{token}}`` becomes in a lead's unsubscribe link (the engine makes the same
    for each message): URL-safe and opaque, the campaign and the lead sealed with AES-256-GCM
    under a key derived from the secret.

    Args:
        secret: The campaign's secret (the value of the variable its ``unsubscribe.secret_env``
            names); not empty.
        campaign: The campaign's name.
        lead: The lead's address (any case: the token names it in lower case).

    Raises:
        InvalidArgument: An empty secret, or a campaign name with a line break.
    """
    out = c_void_p()
    check(
        lib().outreach_unsubscribe_token(
            byref(out), encode(secret, "secret"), encode(campaign, "campaign"), encode(lead, "lead")
        )
    )
    return take_string(out)


def verify_unsubscribe_token(secret: str, token: Union[str, bytes]) -> Optional[UnsubscribeTarget]:
    """Checks the token of an unsubscribe link (sealed, or signed as version 0.1 made them) and
    says whom it names.

    Args:
        secret: The campaign's secret; not empty.
        token: The token as taken from the URL, ``str`` or ``bytes``: anything at all.

    Returns:
        The campaign and lead, or ``None`` when the token is not one signed with this secret
        (malformed, altered, made with another secret): answer the request with an error then,
        and change nothing.

    Raises:
        InvalidArgument: An empty secret, or a token that is neither ``str`` nor ``bytes``.
    """
    secret_bytes = encode(secret, "secret")
    if isinstance(token, str):
        try:
            token_bytes = token.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return None  # lone surrogates: no token of ours
    elif isinstance(token, (bytes, bytearray, memoryview)):
        token_bytes = bytes(token)
    else:
        raise InvalidArgument(f"token: expected str or bytes, not {type(token).__name__}")
    if b"\0" in token_bytes:
        return None
    out = c_void_p()
    status = lib().outreach_unsubscribe_verify(byref(out), secret_bytes, token_bytes)
    if status == EVALUE:
        return None
    check(status)
    named = take_json(out)
    return UnsubscribeTarget(campaign=named["campaign"], lead=named["lead"])
