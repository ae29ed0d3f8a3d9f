"""What every object that owns a C handle shares: the pointer, ``close()``, ``__del__`` and the
context-manager protocol."""

from __future__ import annotations

from ctypes import c_void_p
from typing import Any, Callable, ClassVar, Optional, Type, TypeVar

from .errors import InvalidArgument

H = TypeVar("H", bound="Handle")


class Handle:
    """Owns one C handle, freed by :meth:`close` (idempotent), by ``__del__``, or at the end of a
    ``with`` block. After ``close()`` every use raises :class:`~outreach.InvalidArgument`."""

    #: The C function that frees this kind of handle (its name in the function table).
    _free_function: ClassVar[str] = ""
    #: The pointer type of this kind of handle.
    _pointer_type: ClassVar[Type[c_void_p]] = c_void_p

    _pointer: Optional[c_void_p] = None

    def __init__(self, pointer: c_void_p) -> None:
        if not pointer:
            raise InvalidArgument(f"{type(self).__name__}: NULL handle")
        self._pointer = pointer

    @property
    def _as_parameter_(self) -> c_void_p:
        """The C pointer, for ctypes; raises :class:`~outreach.InvalidArgument` once closed."""
        return self._handle()

    def _handle(self) -> c_void_p:
        pointer = self._pointer
        if pointer is None:
            raise InvalidArgument(f"this {type(self).__name__} is closed")
        return pointer

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._pointer is None

    def close(self) -> None:
        """Frees the C handle. Calling it again does nothing."""
        pointer, self._pointer = self._pointer, None
        if pointer is not None:
            from ._library import lib

            free: Callable[[Any], None] = getattr(lib(), self._free_function)
            free(pointer)

    def __enter__(self: H) -> H:
        self._handle()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - nothing can be reported from a finalizer at shutdown
            pass
