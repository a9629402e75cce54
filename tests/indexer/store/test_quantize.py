"""int8 codes with a per-dimension scale: fitted ranges, errors within half a step, distances."""

from __future__ import annotations

import doctest
import json

import numpy as np
import pytest

from indexer.errors import ConfigError, IndexStateError
from indexer.store import quantize
from indexer.store.quantize import Int8Scale


def elmo_like(n: int = 20_000, dim: int = 256, seed: int = 0) -> np.ndarray:
    """Normal values, each dimension with its own spread (0.1 .. 3) and centre, as float32."""
    rng = np.random.default_rng(seed)
    spread = np.linspace(0.1, 3.0, dim)
    centre = rng.normal(0.0, 0.5, dim)
    return (rng.standard_normal((n, dim)) * spread + centre).astype(np.float32)


def cosine_distances(x: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    a, b = x[pairs[:, 0]].astype(np.float64), x[pairs[:, 1]].astype(np.float64)
    return 1 - (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_doctests():
    result = doctest.testmod(quantize)
    assert result.attempted > 0 and result.failed == 0


def test_error_is_half_a_step_inside_the_fitted_range():
    x = elmo_like()
    q = Int8Scale.fit(x[:8192])  # as a build does: on its first chunk
    codes = q.quantize(x)
    assert codes.dtype == np.int8 and codes.shape == x.shape
    back = q.dequantize(codes)
    assert back.dtype == np.float32
    scale, offset = np.array(q.scale), np.array(q.offset)
    inside = np.abs(x - offset) <= 127 * scale
    assert 0.999 < inside.mean() < 1  # the margin keeps nearly all of the rest inside
    error = np.abs(back.astype(np.float64) - x)
    rounding = 2 * np.spacing(np.abs(x).max(axis=0))  # float32 arithmetic
    worst = np.where(inside, error, 0).max(axis=0)
    assert (worst <= q.max_error + rounding).all()
    assert (worst > 0.9 * q.max_error).all()  # and the bound is about reached
    # values outside the range are clipped to its ends
    assert set(np.unique(codes[~inside]).tolist()) <= {-127, 127}
    assert np.allclose(back[~inside], (offset + np.sign(x - offset) * 127 * scale)[~inside])


def test_cosine_distances_of_dequantized_vectors():
    x = elmo_like()
    q = Int8Scale.fit(x[:8192])
    rng = np.random.default_rng(1)
    pairs = rng.integers(0, len(x), (200, 2))
    exact = cosine_distances(x, pairs)
    approx = cosine_distances(q.dequantize(q.quantize(x)), pairs)
    assert np.abs(approx - exact).max() <= 0.01  # 0.0034 measured
    # and between near neighbours (distances about 0.03), as a sense query finds them
    noise = 0.3 * rng.standard_normal((200, x.shape[1])) * np.linspace(0.1, 3.0, x.shape[1])
    both = np.concatenate([x[:200], x[:200] + noise.astype(np.float32)])
    pairs = np.stack([np.arange(200), np.arange(200, 400)], axis=1)
    exact = cosine_distances(both, pairs)
    assert exact.max() < 0.1
    approx = cosine_distances(q.dequantize(q.quantize(both)), pairs)
    assert np.abs(approx - exact).max() <= 0.01


def test_codes_are_symmetric_and_the_centre_is_zero():
    sample = np.array([[-2.0, 10.0], [6.0, 30.0]], dtype=np.float32)
    q = Int8Scale.fit(sample, margin=0.0)
    assert q.offset == (2.0, 20.0)
    assert q.quantize(sample).tolist() == [[-127, -127], [127, 127]]
    assert q.quantize(np.array(q.offset)).tolist() == [0, 0]
    assert q.quantize(np.array([[-1e6, 1e6]])).tolist() == [[-127, 127]]  # never -128
    assert q.max_error.tolist() == pytest.approx([4 / 127 / 2, 10 / 127 / 2])


def test_margin_widens_the_range():
    sample = np.array([[0.0], [1.0]], dtype=np.float32)
    q = Int8Scale.fit(sample, margin=0.25)
    assert q.offset == (0.5,) and q.scale[0] == pytest.approx(0.75 / 127)
    codes = q.quantize(np.array([[-0.2], [1.2], [1.3]]))
    assert codes[:, 0].tolist() == [-119, 119, 127]  # -0.7 / (0.75 / 127); 1.3 > 1.25: clipped


def test_a_constant_dimension_gets_a_range_and_is_exact():
    sample = np.array([[3.5, 0.0, 1.0], [3.5, 0.0, 2.0]], dtype=np.float32)
    q = Int8Scale.fit(sample)
    assert q.scale[0] == pytest.approx(3.5 / 127) and q.scale[1] == pytest.approx(1 / 127)
    back = q.dequantize(q.quantize(sample))
    assert back[:, :2].tolist() == [[3.5, 0.0], [3.5, 0.0]]
    near = np.array([5.0, -0.5, 1.5])  # inside 3.5 ± 3.5 and 0 ± 1
    assert (np.abs(q.dequantize(q.quantize(near)) - near) <= q.max_error).all()


def test_one_vector_or_many():
    q = Int8Scale.fit(elmo_like(100, 8))
    x = elmo_like(3, 8, seed=5)
    assert q.quantize(x[1]).tolist() == q.quantize(x)[1].tolist()
    assert q.dequantize(q.quantize(x[1])).tolist() == q.dequantize(q.quantize(x))[1].tolist()


def test_dict_round_trip_is_exact_through_json():
    q = Int8Scale.fit(elmo_like(500, 64))
    data = json.loads(json.dumps(q.to_dict()))
    assert list(data) == ["scale", "offset"]
    back = Int8Scale.from_dict(data)
    assert back == q
    for values in (back.scale, back.offset):
        assert all(float(np.float32(v)) == v for v in values)  # float32 values, exactly
    # values given are rounded to float32 once: an equal scale, whatever was passed
    assert Int8Scale((0.1,), (1 / 3,)) == Int8Scale.from_dict({"scale": [0.1], "offset": [1 / 3]})
    assert Int8Scale((0.1,), (1 / 3,)).scale == (float(np.float32(0.1)),)


def test_bad_input_is_named():
    q = Int8Scale((1.0, 1.0), (0.0, 0.0))
    with pytest.raises(ConfigError, match=r"vectors of shape \(2, 3\); expected \(n, 2\)"):
        q.quantize(np.zeros((2, 3)))
    with pytest.raises(ConfigError, match=r"codes of shape \(4,\)"):
        q.dequantize(np.zeros(4, np.int8))
    with pytest.raises(ConfigError, match="int8 codes must be an int8 array, got int64"):
        q.dequantize(np.zeros((1, 2), np.int64))
    with pytest.raises(IndexStateError, match="vectors: row 1 holds a NaN or infinite value"):
        q.quantize(np.array([[0.0, 1.0], [np.nan, 0.0]]))
    with pytest.raises(IndexStateError, match="sample vectors: row 2 holds a NaN"):
        Int8Scale.fit(np.array([[0.0], [1.0], [np.inf]]))
    with pytest.raises(ConfigError, match=r"fitted on \(n, dim\) vectors; got shape \(5,\)"):
        Int8Scale.fit(np.zeros(5))
    with pytest.raises(ConfigError, match=r"got shape \(0, 4\)"):
        Int8Scale.fit(np.zeros((0, 4)))
    with pytest.raises(ConfigError, match=r"margin must be >= 0, got -0\.1"):
        Int8Scale.fit(np.zeros((2, 2)), margin=-0.1)
    with pytest.raises(ConfigError, match=r"int8 scale of dimension 1 is 0\.0; it must be > 0"):
        Int8Scale((1.0, 0.0), (0.0, 0.0))
    with pytest.raises(ConfigError, match="int8 offset of dimension 0 is nan"):
        Int8Scale((1.0,), (float("nan"),))
    with pytest.raises(ConfigError, match="got 2 scales and 1 offsets"):
        Int8Scale((1.0, 1.0), (0.0,))


def test_from_dict_refuses_what_is_not_a_scale():
    with pytest.raises(IndexStateError, match="int8 scale has 2 scales but 1 offsets"):
        Int8Scale.from_dict({"scale": [1.0, 2.0], "offset": [0.0]})
    with pytest.raises(IndexStateError, match="no list of numbers 'offset': None"):
        Int8Scale.from_dict({"scale": [1.0]})
    with pytest.raises(IndexStateError, match="no list of numbers 'scale': \\['a'\\]"):
        Int8Scale.from_dict({"scale": ["a"], "offset": [0.0]})
    with pytest.raises(IndexStateError, match=r"int8 scale of dimension 0 is -1\.0"):
        Int8Scale.from_dict({"scale": [-1.0], "offset": [0.0]})
    with pytest.raises(IndexStateError, match="int8 scale is not a mapping"):
        Int8Scale.from_dict([1.0])  # type: ignore[arg-type]
