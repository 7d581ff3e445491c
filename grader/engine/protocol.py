"""The data-only value encoding spoken between the trusted runner and the sandboxed agent.

Imported on both sides, so it depends on the standard library alone. A value crosses as JSON:

    None, bool, int, str, finite float    themselves
    list                                  a JSON array
    tuple / set / frozenset / dict        {"t": "tuple" | "set" | "frozenset", "v": [...]},
                                          {"t": "dict", "v": [[key, value], ...]}
    bytes                                 {"t": "bytes", "v": "<base64>"}
    nan, inf, -inf                        {"t": "float", "v": "nan" | "inf" | "-inf"}
    anything else                         {"t": "ref", "id": n, ...description}: a remote
                                          reference; the object stays where it lives

Only values whose type is *exactly* one of the builtin types above are encoded as data (a
subclass of `list` with a lying `__eq__` becomes a reference), so decoding builds plain
builtins and never runs code from the other side. Decoding rejects anything else with
`ProtocolError`.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from typing import Any

MAX_ANSWER_BYTES = 2 * 2**20  # one answer frame; bounds what decoding can cost the grader
MAX_DEPTH = 18  # each level may take 3 JSON levels; the channel refuses over 64
MAX_ITEMS = 100_000
MAX_TEXT = 64 * 1024  # reprs and messages are cut to this many characters

_SPECIAL_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


class ProtocolError(Exception):
    """A frame or a value does not follow the protocol; the waiting test must fail."""


class NotData(Exception):
    """Raised by an encoder's `on_other` when a value cannot cross as data."""


def clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


class _TooLarge(Exception):
    pass


def encode(value: Any, on_other: Callable[[Any], dict[str, Any]]) -> Any:
    """Encode `value`; `on_other` turns a non-data object into a reference (or raises).

    A value with more than `MAX_ITEMS` items crosses whole as one reference.
    """
    try:
        return _encode(value, on_other, 0, [MAX_ITEMS])
    except _TooLarge:
        return on_other(value)


def _encode(value: Any, on_other: Callable[[Any], dict[str, Any]], depth: int, budget: list[int]):
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooLarge
    if depth > MAX_DEPTH:
        return on_other(value)
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is str:
        return value
    if kind is float:
        if math.isfinite(value):
            return value
        return {"t": "float", "v": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if kind is list:
        return [_encode(item, on_other, depth + 1, budget) for item in value]
    if kind is tuple:
        return {"t": "tuple", "v": [_encode(item, on_other, depth + 1, budget) for item in value]}
    if kind is set or kind is frozenset:
        name = "set" if kind is set else "frozenset"
        return {"t": name, "v": [_encode(item, on_other, depth + 1, budget) for item in value]}
    if kind is dict:
        return {
            "t": "dict",
            "v": [
                [_encode(k, on_other, depth + 1, budget), _encode(v, on_other, depth + 1, budget)]
                for k, v in value.items()
            ],
        }
    if kind is bytes:
        return {"t": "bytes", "v": base64.b64encode(value).decode("ascii")}
    return on_other(value)


def decode(data: Any, on_ref: Callable[[dict[str, Any]], Any]) -> Any:
    """Decode `data` into builtins; `on_ref` turns a reference description into an object."""
    budget = [MAX_ITEMS]
    try:
        return _decode(data, on_ref, 0, budget)
    except ProtocolError:
        raise
    except (TypeError, ValueError, KeyError, RecursionError) as error:
        raise ProtocolError(f"malformed value: {type(error).__name__}") from None


def _decode(data: Any, on_ref: Callable[[dict[str, Any]], Any], depth: int, budget: list[int]):
    budget[0] -= 1
    if depth > MAX_DEPTH + 1 or budget[0] < 0:
        raise ProtocolError("value too deep or too large")
    kind = type(data)
    if data is None or kind is bool or kind is int or kind is str or kind is float:
        return data
    if kind is list:
        return [_decode(item, on_ref, depth + 1, budget) for item in data]
    if kind is not dict:
        raise ProtocolError(f"unexpected JSON type {kind.__name__}")
    tag = data.get("t")
    if tag == "ref":
        return on_ref(data)
    items = data.get("v")
    if tag == "float":
        if items not in _SPECIAL_FLOATS:
            raise ProtocolError("bad special float")
        return _SPECIAL_FLOATS[items]
    if tag == "bytes":
        if type(items) is not str:
            raise ProtocolError("bytes must be base64 text")
        return base64.b64decode(items, validate=True)
    if type(items) is not list:
        raise ProtocolError(f"tag {tag!r} needs a list")
    if tag == "tuple":
        return tuple(_decode(item, on_ref, depth + 1, budget) for item in items)
    if tag == "set":
        return {_decode(item, on_ref, depth + 1, budget) for item in items}
    if tag == "frozenset":
        return frozenset(_decode(item, on_ref, depth + 1, budget) for item in items)
    if tag == "dict":
        result = {}
        for pair in items:
            if type(pair) is not list or len(pair) != 2:
                raise ProtocolError("dict items must be [key, value] pairs")
            result[_decode(pair[0], on_ref, depth + 1, budget)] = _decode(
                pair[1], on_ref, depth + 1, budget
            )
        return result
    raise ProtocolError(f"unknown tag {tag!r}")
