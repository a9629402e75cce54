"""The Thrift compact protocol, write side only: the encoding of Parquet's page headers and footer.

A struct is a sequence of ``(field id, type, value)``; a field whose value is None is left out.
Values: ``I16``/``I32``/``I64`` ints, ``BINARY`` bytes or str, ``BOOL`` bools, ``STRUCT`` a
nested struct, ``LIST`` a pair ``(element type, items)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

BOOL, I16, I32, I64, BINARY, LIST, STRUCT = 1, 4, 5, 6, 8, 9, 12
_TRUE, _FALSE = 1, 2

Field = tuple[int, int, Any]


def varint(value: int) -> bytes:
    """Unsigned LEB128.

    >>> varint(1).hex(), varint(300).hex()
    ('01', 'ac02')
    """
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def zigzag(value: int) -> int:
    """Signed to unsigned, small magnitudes to small numbers.

    >>> [zigzag(v) for v in (0, -1, 1, -2)]
    [0, 1, 2, 3]
    """
    return (value << 1) ^ (value >> 63)


def encode_struct(fields: Sequence[Field]) -> bytes:
    """A struct's bytes, ending with the stop field.

    >>> encode_struct([(1, I32, 7), (2, BINARY, "ab"), (4, BOOL, True)]).hex()
    '150e180261622100'
    """
    out = bytearray()
    last = 0
    for field_id, kind, value in fields:
        if value is None:
            continue
        header = (_TRUE if value else _FALSE) if kind == BOOL else kind
        delta = field_id - last
        if 0 < delta <= 15:
            out.append(delta << 4 | header)
        else:
            out.append(header)
            out += varint(zigzag(field_id))
        last = field_id
        if kind != BOOL:
            out += _value(kind, value)
    out.append(0)
    return bytes(out)


def _value(kind: int, value: Any) -> bytes:
    if kind in (I16, I32, I64):
        return varint(zigzag(int(value)))
    if kind == BINARY:
        data = value.encode() if isinstance(value, str) else bytes(value)
        return varint(len(data)) + data
    if kind == STRUCT:
        return encode_struct(value)
    if kind == LIST:
        element, items = value
        size = len(items)
        short = size < 15  # the size fits the header's high nibble
        head = bytes([size << 4 | element]) if short else bytes([0xF0 | element]) + varint(size)
        return head + b"".join(_value(element, item) for item in items)
    raise ValueError(f"unsupported Thrift type {kind}")
