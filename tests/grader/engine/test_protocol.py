"""The data-only value encoding: what crosses as data, what becomes a reference."""

from __future__ import annotations

import math

import pytest

from grader.engine.protocol import ProtocolError, decode, encode


def as_ref(value):
    return {"t": "ref", "id": id(value)}


def roundtrip(value):
    return decode(encode(value, as_ref), lambda ref: ("REF", ref["id"]))


@pytest.mark.parametrize(
    "value",
    [None, True, 0, -3, 2**80, 1.5, "text", b"\x00\xff", [1, [2, "x"]], (1, (2,)),
     {"a": 1, (1, 2): [3]}, {1, 2}, frozenset({"x"}), [], ()],
)
def test_plain_data_crosses_unchanged(value):
    assert roundtrip(value) == value
    assert type(roundtrip(value)) is type(value)


def test_non_finite_floats_cross_as_tagged_values():
    assert math.isnan(roundtrip(math.nan))
    assert roundtrip([math.inf, -math.inf]) == [math.inf, -math.inf]


def test_subclasses_of_builtins_become_references_not_data():
    class LyingList(list):
        def __eq__(self, other):
            return True

    lying = LyingList([1])
    assert roundtrip(lying) == ("REF", id(lying))
    assert roundtrip([True, lying])[1] == ("REF", id(lying))


def test_values_nested_too_deep_become_references():
    deep: list = []
    cursor = deep
    for _ in range(50):
        cursor.append([])
        cursor = cursor[0]
    encoded = encode(deep, as_ref)
    depth = 0
    while isinstance(encoded, list):
        encoded, depth = encoded[0], depth + 1
    assert encoded["t"] == "ref" and depth < 50


@pytest.mark.parametrize(
    "data",
    [{"t": "nope", "v": []}, {"t": "tuple", "v": 3}, {"t": "dict", "v": [[1]]},
     {"t": "bytes", "v": "!!"}, {"t": "float", "v": "big"}, {"t": "set", "v": [[1]]},
     {"no": "tag"}],
)
def test_malformed_values_are_protocol_errors(data):
    with pytest.raises(ProtocolError):
        decode(data, lambda ref: ref)


def test_a_value_with_too_many_items_crosses_whole_as_one_reference():
    huge = list(range(200_000))
    assert encode(huge, as_ref) == {"t": "ref", "id": id(huge)}
