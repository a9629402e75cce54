"""Full and sampled softmax losses, and the log-uniform sampler."""

from __future__ import annotations

import math

import torch

from indexer.train.softmax import LogUniformSampler, full_nll, full_nll_chunked, sampled_nll


def setup(n_classes=20, n_positions=6, hidden=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(n_positions, hidden, generator=g)
    w = torch.randn(n_classes, hidden, generator=g)
    b = torch.randn(n_classes, generator=g)
    y = torch.randint(0, n_classes, (n_positions,), generator=g)
    return h, w, b, y


def test_full_nll_is_cross_entropy_and_chunking_changes_nothing():
    h, w, b, y = setup()
    logits = h @ w.T + b
    expected = -torch.log_softmax(logits, dim=1)[torch.arange(6), y]
    assert torch.allclose(full_nll(h, w, b, y), expected, atol=1e-6)
    assert torch.allclose(full_nll_chunked(h, w, b, y, chunk=4), expected, atol=1e-6)


def test_log_uniform_probabilities_sum_to_one_and_fall_with_rank():
    sampler = LogUniformSampler(1000)
    p = sampler.probability(torch.arange(1000))
    assert math.isclose(float(p.double().sum()), 1.0, rel_tol=1e-5)
    assert bool((p[1:] < p[:-1]).all())
    assert math.isclose(float(p[0]), math.log(2) / math.log(1001), rel_tol=1e-6)


def test_sampler_draws_follow_the_distribution():
    sampler = LogUniformSampler(10)
    g = torch.Generator().manual_seed(0)
    u = torch.rand(200_000, generator=g, dtype=torch.float64)
    draws = (torch.exp(u * math.log(11)).floor().long() - 1).clamp(0, 9)
    freq = torch.bincount(draws, minlength=10).double() / len(draws)
    assert torch.allclose(freq, sampler.probability(torch.arange(10)).double(), atol=4e-3)
    classes, log_q = sampler.sample(5, torch.device("cpu"), torch.Generator().manual_seed(1))
    assert classes.unique().numel() == classes.numel() <= 5
    assert bool((log_q <= 0).all())


def test_sampled_loss_equals_full_loss_when_every_class_is_surely_drawn():
    h, w, b, y = setup()
    sampler = LogUniformSampler(20)
    g = torch.Generator().manual_seed(0)
    sampled = sampled_nll(h, w, b, y, sampler, n_draws=200_000, generator=g)
    assert torch.allclose(sampled, full_nll(h, w, b, y), atol=1e-4)


def test_sampled_loss_is_differentiable_and_ignores_accidental_hits():
    h, w, b, y = setup(n_classes=3)
    w.requires_grad_(True)
    sampler = LogUniformSampler(3)
    loss = sampled_nll(h, w, b, y, sampler, n_draws=4, generator=torch.Generator().manual_seed(2))
    assert bool(torch.isfinite(loss).all()) and bool((loss >= 0).all())
    loss.sum().backward()
    assert w.grad is not None and bool(torch.isfinite(w.grad).all())
