"""The inference products: oneDNN and PyTorch paths agree, and rows do not depend on each other."""

from __future__ import annotations

import pytest
import torch

from indexer.encoder import kernels
from indexer.encoder.kernels import (
    ROW_FLOORS,
    ROW_STEP,
    SIZES_PER_DOUBLING,
    fast_path,
    linear,
    min_rows,
    pad_rows,
    product_rows,
    row_floor,
)


@pytest.fixture
def operands() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(300, 96, generator=gen)
    w = torch.randn(160, 96, generator=gen) * 0.2
    b = torch.randn(160, generator=gen)
    return x, w, b


@pytest.mark.parametrize(
    ("activation", "clip"), [("none", None), ("sigmoid", None), ("tanh", None), ("none", 1.5)]
)
def test_linear_agrees_with_pytorch(
    operands: tuple[torch.Tensor, torch.Tensor, torch.Tensor], activation: str, clip: float | None
) -> None:
    x, w, b = operands
    expected = kernels.ACTIVATIONS[activation](x @ w.T + b)
    if clip is not None:
        expected = expected.clamp(-clip, clip)
    with torch.inference_mode():
        got = linear(x, w, b, activation=activation, clip=clip)
    torch.testing.assert_close(got, expected, atol=2e-5, rtol=1e-5)
    if clip is not None:
        assert float(got.abs().max()) == clip


def test_rows_do_not_depend_on_the_others(
    operands: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
) -> None:
    x, w, b = operands
    with torch.inference_mode():
        full = linear(x, w, b, activation="sigmoid")
        floor = min_rows(96, 160)
        for start, rows in [(0, floor), (5, floor + 9), (17, 128), (100, 200)]:
            part = linear(x[start : start + rows], w, b, activation="sigmoid")
            assert torch.equal(part, full[start : start + rows])


def test_fast_path_only_without_autograd(
    operands: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
) -> None:
    x, w, b = operands
    weight = w.clone().requires_grad_(True)
    assert not fast_path(x)
    linear(x, weight, b, activation="tanh").sum().backward()
    assert weight.grad is not None and weight.grad.shape == w.shape
    with torch.inference_mode():
        assert fast_path(x) == (kernels._ONEDNN_LINEAR is not None)
        assert not fast_path(x.double())


def test_bad_activation(operands: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> None:
    x, w, b = operands
    with pytest.raises(ValueError, match="relu6"):
        linear(x, w, b, activation="relu6")
    with pytest.raises(ValueError, match="clip"):
        linear(x, w, b, activation="tanh", clip=1.0)


def test_pad_rows() -> None:
    t = torch.ones(3, 2)
    padded = pad_rows(t, 5)
    assert padded.shape == (5, 2)
    assert torch.equal(padded[:3], t)
    assert float(padded[3:].abs().sum()) == 0.0
    assert pad_rows(t, 2) is t
    assert pad_rows(t, 4, dim=1).shape == (3, 4)


def test_product_rows() -> None:
    floor = row_floor((96, 160), (160, 32))
    assert floor == max(min_rows(96, 160), min_rows(160, 32))
    assert floor in ROW_FLOORS
    assert [product_rows(n, floor) for n in (1, floor - 1, floor)] == [floor] * 3
    assert row_floor() == ROW_FLOORS[0]
    sizes = (1, 8, 33, 64, 65, 128, 129, 300, 513, 1000, 2049)
    expected = [16, 16, 40, 64, 72, 128, 144, 320, 576, 1024, 2304]
    assert [product_rows(n, 16) for n in sizes] == expected


def test_product_rows_are_few_and_pad_little() -> None:
    """Every row count of a batch up to 3,000 sentences goes to one of ~50 sizes, each a
    multiple of ROW_STEP, at most 12.5% above the rows it holds beyond 64."""
    padded = {n: product_rows(n, 32) for n in range(1, 3001)}
    assert all(rows >= max(n, 32) and rows % ROW_STEP == 0 for n, rows in padded.items())
    assert all(rows <= n * (1 + 1 / SIZES_PER_DOUBLING) for n, rows in padded.items() if n > 64)
    assert len(set(padded.values())) == 5 + SIZES_PER_DOUBLING * 5 + 4


@pytest.mark.parametrize(("inputs", "outputs"), [(640, 1536), (1024, 128), (256, 1024)])
def test_rows_from_the_floor_up_give_the_bits_of_larger_products(inputs: int, outputs: int) -> None:
    """Every row count from the measured floor up, not only the ones measured."""
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(400, inputs, generator=gen)
    w = torch.randn(outputs, inputs, generator=gen) * 0.05
    with torch.inference_mode():
        full = linear(x, w, activation="sigmoid")
        for rows in range(min_rows(inputs, outputs), 400, 5):
            assert torch.equal(linear(x[:rows], w, activation="sigmoid"), full[:rows])
