"""The Thrift compact protocol: the encoding of Parquet's page headers and footer.

Written, a struct is a sequence of ``(field id, type, value)``; a field whose value is None is
left out. Values: ``I16``/``I32``/``I64`` ints, ``BINARY`` bytes or str, ``BOOL`` bools,
``STRUCT`` a nested struct, ``LIST`` a pair ``(element type, items)``. Read, a struct is a dict
from field id to value (ints, bytes, bools, dicts, lists), whatever its fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

BOOL, I16, I32, I64, BINARY, LIST, STRUCT = 1, 4, 5, 6, 8, 9, 12
_BYTE, _DOUBLE, _SET, _MAP = 3, 7, 10, 11
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


def decode_struct(data: bytes | memoryview, at: int = 0) -> tuple[dict[int, Any], int]:
    """The struct that starts at byte ``at`` of ``data``, and the offset just past it.

    >>> decode_struct(bytes.fromhex("150e180261622100"))
    ({1: 7, 2: b'ab', 4: True}, 8)
    """
    buffer = memoryview(data)
    fields: dict[int, Any] = {}
    last = 0
    while True:
        head = buffer[at]
        at += 1
        if head == 0:
            return fields, at
        kind, delta = head & 0x0F, head >> 4
        if delta:
            field_id = last + delta
        else:
            raw, at = _read_varint(buffer, at)
            field_id = _unzigzag(raw)
        last = field_id
        if kind in (_TRUE, _FALSE):
            fields[field_id] = kind == _TRUE
        else:
            fields[field_id], at = _read_value(buffer, at, kind)


def _read_varint(buffer: memoryview, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buffer[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def _unzigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def _read_value(buffer: memoryview, at: int, kind: int) -> tuple[Any, int]:
    if kind in (I16, I32, I64):
        raw, at = _read_varint(buffer, at)
        return _unzigzag(raw), at
    if kind == _BYTE:
        return int.from_bytes(buffer[at : at + 1], "little", signed=True), at + 1
    if kind == _DOUBLE:
        return bytes(buffer[at : at + 8]), at + 8
    if kind == BINARY:
        size, at = _read_varint(buffer, at)
        return bytes(buffer[at : at + size]), at + size
    if kind == STRUCT:
        return decode_struct(buffer, at)
    if kind in (LIST, _SET):
        head = buffer[at]
        at += 1
        size, element = head >> 4, head & 0x0F
        if size == 15:
            size, at = _read_varint(buffer, at)
        items = []
        for _ in range(size):
            if element in (_TRUE, _FALSE):  # a list of bools holds one byte each
                items.append(buffer[at] == _TRUE)
                at += 1
            else:
                item, at = _read_value(buffer, at, element)
                items.append(item)
        return items, at
    if kind == _MAP:
        size, at = _read_varint(buffer, at)
        if size == 0:
            return {}, at
        types = buffer[at]
        at += 1
        entries = {}
        for _ in range(size):
            key, at = _read_value(buffer, at, types >> 4)
            entries[key], at = _read_value(buffer, at, types & 0x0F)
        return entries, at
    raise ValueError(f"unsupported Thrift type {kind}")
