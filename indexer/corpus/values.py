"""Metadata values: what a field of a sentence or a document may hold, from text or from JSON."""

from __future__ import annotations

import json
import math
import re
from typing import TypeAlias

FieldValue: TypeAlias = str | int | float | bool
"""The value of one metadata field; dates stay strings here (the store recognizes them)."""

_INTEGER = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[+-]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_value(text: str) -> FieldValue:
    """The value that ``text`` spells, stripped: a bool, an int, a float, or else the string.

    Integers have no leading zeros (except ``0`` itself), so ids and zip codes stay strings;
    ``nan``, ``inf`` and floats too large to hold stay strings too.

    >>> [parse_value(t) for t in [" 42 ", "-7", "0", "007", "+3"]]
    [42, -7, 0, '007', 3]
    >>> [parse_value(t) for t in ["3.5", "-0.25", "1e3", ".5", "nan", "inf", "1e999"]]
    [3.5, -0.25, 1000.0, 0.5, 'nan', 'inf', '1e999']
    >>> [parse_value(t) for t in ["True", "false", "yes", "2024-01-31", "", " a b "]]
    [True, False, 'yes', '2024-01-31', '', 'a b']
    """
    text = text.strip()
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if _INTEGER.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        number = float(text)
        if math.isfinite(number):
            return number
    return text


def json_value(value: object) -> FieldValue | None:
    """A value parsed from JSON as a field value: None for null (the field is left out), a list
    or an object as its compact JSON text with sorted keys, anything else as it is.

    >>> [json_value(v) for v in [None, True, 3, 2.5, "007", "2024-01-31"]]
    [None, True, 3, 2.5, '007', '2024-01-31']
    >>> json_value({"b": [1, "é"], "a": None})
    '{"a":null,"b":[1,"é"]}'
    >>> json_value(b"x")
    Traceback (most recent call last):
    ...
    TypeError: not a value parsed from JSON: b'x'
    """
    if value is None or isinstance(value, str | int | float):  # bool is an int
        return value
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    raise TypeError(f"not a value parsed from JSON: {value!r}")
