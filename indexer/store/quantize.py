"""int8 vectors: one signed byte per dimension, with a per-dimension scale and offset.

A vector is stored as codes ``c`` in ``-127 .. 127`` and read back as ``c * scale + offset``
(float32). Each dimension's range is fitted once, on a sample (:meth:`Int8Scale.fit`), and kept
with the index (its manifest, and each int8 vector file's key-value metadata), so that the same
codes always mean the same values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from indexer.errors import ConfigError, IndexStateError

#: The largest code; codes are symmetric (``-CODE_MAX .. CODE_MAX``), so ``offset`` is code 0.
CODE_MAX = 127


@dataclass(frozen=True)
class Int8Scale:
    """Per dimension ``d``: ``value ≈ code * scale[d] + offset[d]``.

    ``offset`` is the centre of the representable range and ``scale`` one step of it; both are
    float32 values (given values are rounded to float32), every scale positive and finite.

    >>> q = Int8Scale(scale=(0.5, 2.0), offset=(0.0, 10.0))
    >>> codes = q.quantize(np.array([[1.0, 14.0], [-100.0, 9.5]]))
    >>> codes.tolist()
    [[2, 2], [-127, 0]]
    >>> q.dequantize(codes).tolist()
    [[1.0, 14.0], [-63.5, 10.0]]
    >>> q.max_error.tolist()
    [0.25, 1.0]
    """

    scale: tuple[float, ...]
    offset: tuple[float, ...]

    def __post_init__(self) -> None:
        scale = _float32_tuple(self.scale, "scale")
        offset = _float32_tuple(self.offset, "offset")
        if len(scale) != len(offset) or not scale:
            raise ConfigError(
                f"an int8 scale needs as many offsets as scales (at least one); "
                f"got {len(scale)} scales and {len(offset)} offsets"
            )
        bad = next((d for d, s in enumerate(scale) if not 0 < s < np.inf), None)
        if bad is not None:
            raise ConfigError(f"int8 scale of dimension {bad} is {scale[bad]}; it must be > 0")
        bad = next((d for d, o in enumerate(offset) if not np.isfinite(o)), None)
        if bad is not None:
            raise ConfigError(f"int8 offset of dimension {bad} is {offset[bad]}")
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "offset", offset)

    @classmethod
    def fit(cls, sample: np.ndarray, margin: float = 0.1) -> Int8Scale:
        """The scale covering each dimension's range in ``sample`` (``(n, dim)``, n >= 1),
        widened by ``margin`` times that range on each side, so that later values a little
        outside the sample's are still represented rather than clipped.

        The range's centre is code 0 and its ends are codes -127 and 127. A dimension constant in
        the sample (value ``v``) gets the range ``v ± max(|v|, 1)``: ``v`` itself is exact.

        >>> q = Int8Scale.fit(np.array([[0.0, 5.0], [254.0, 5.0]]), margin=0.0)
        >>> q.scale, q.offset
        ((1.0, 0.03937007859349251), (127.0, 5.0))
        """
        if not 0 <= margin < np.inf:
            raise ConfigError(f"the int8 range margin must be >= 0, got {margin}")
        x = np.asarray(sample)
        if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
            raise ConfigError(f"an int8 scale is fitted on (n, dim) vectors; got shape {x.shape}")
        _check_finite(x, "sample vectors")
        low = x.min(axis=0).astype(np.float64)
        high = x.max(axis=0).astype(np.float64)
        centre = (low + high) / 2
        half = (high - low) * (0.5 + margin)
        half = np.where(half > 0, half, np.maximum(np.abs(centre), 1.0))
        return cls(tuple((half / CODE_MAX).tolist()), tuple(centre.tolist()))

    @property
    def dim(self) -> int:
        """The number of dimensions."""
        return len(self.scale)

    @property
    def max_error(self) -> np.ndarray:
        """Per dimension, the largest ``|value - dequantize(quantize(value))|`` of a value inside
        the range: half a step (up to float32 rounding). Values outside it are clipped to its
        ends, and are off by their distance to the range as well."""
        return self._scale / 2

    def quantize(self, vectors: np.ndarray) -> np.ndarray:
        """The int8 codes of ``vectors`` (``(n, dim)`` or ``(dim,)``): each value's nearest code
        (halves to even), values outside the range clipped to -127 or 127. A NaN or infinite
        value raises :class:`IndexStateError` naming its row."""
        x = self._checked(vectors, "vectors")
        _check_finite(x, "vectors")
        steps = np.subtract(x, self._offset, dtype=np.float32)
        np.divide(steps, self._scale, out=steps)
        np.rint(steps, out=steps)
        np.clip(steps, -CODE_MAX, CODE_MAX, out=steps)
        return steps.astype(np.int8)

    def dequantize(self, codes: np.ndarray) -> np.ndarray:
        """The float32 values ``codes * scale + offset`` of int8 ``codes`` (``(n, dim)`` or
        ``(dim,)``)."""
        array = self._checked(codes, "codes")
        if array.dtype != np.int8:
            raise ConfigError(f"int8 codes must be an int8 array, got {array.dtype}")
        values = array.astype(np.float32)
        values *= self._scale
        values += self._offset
        return values

    def to_dict(self) -> dict[str, list[float]]:
        """``{"scale": [...], "offset": [...]}``, ready for JSON; :meth:`from_dict` reads it back
        to an equal scale (the floats are the float32 values, exactly)."""
        return {"scale": list(self.scale), "offset": list(self.offset)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Int8Scale:
        """The scale that :meth:`to_dict` gave ``data``; :class:`IndexStateError` naming what is
        wrong if ``data`` is not one (it comes from a manifest or a file).

        >>> Int8Scale.from_dict({"scale": [0.5], "offset": [1.0, 2.0]})
        Traceback (most recent call last):
        ...
        indexer.errors.IndexStateError: int8 scale has 1 scales but 2 offsets
        """
        if not isinstance(data, Mapping):
            raise IndexStateError(f"int8 scale is not a mapping: {data!r:.60}")
        parts = []
        for key in ("scale", "offset"):
            values = data.get(key)
            if not isinstance(values, list | tuple) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in values
            ):
                raise IndexStateError(f"int8 scale has no list of numbers {key!r}: {values!r:.60}")
            parts.append(tuple(float(v) for v in values))
        scale, offset = parts
        if len(scale) != len(offset):
            raise IndexStateError(f"int8 scale has {len(scale)} scales but {len(offset)} offsets")
        try:
            return cls(scale, offset)
        except ConfigError as err:
            raise IndexStateError(err.message) from err

    @cached_property
    def _scale(self) -> np.ndarray:
        return _readonly(self.scale)

    @cached_property
    def _offset(self) -> np.ndarray:
        return _readonly(self.offset)

    def _checked(self, vectors: np.ndarray, what: str) -> np.ndarray:
        array = np.asarray(vectors)
        if array.ndim not in (1, 2) or array.shape[-1] != self.dim:
            raise ConfigError(f"{what} of shape {array.shape}; expected (n, {self.dim})")
        return array


def _float32_tuple(values: Any, name: str) -> tuple[float, ...]:
    try:
        array = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"int8 {name} must be numbers: {err}") from err
    if array.ndim != 1:
        raise ConfigError(f"int8 {name} must be one number per dimension, got shape {array.shape}")
    return tuple(array.astype(np.float64).tolist())


def _readonly(values: tuple[float, ...]) -> np.ndarray:
    array = np.array(values, dtype=np.float32)
    array.flags.writeable = False
    return array


def _check_finite(x: np.ndarray, what: str) -> None:
    finite = np.isfinite(x)
    if not finite.all():
        rows = finite.reshape(-1, x.shape[-1]).all(axis=1)
        raise IndexStateError(f"{what}: row {int(np.argmin(rows))} holds a NaN or infinite value")
