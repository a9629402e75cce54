"""Softmax losses over the word vocabulary: full, and sampled with a log-uniform sampler."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def full_nll(hidden: Tensor, weight: Tensor, bias: Tensor, targets: Tensor) -> Tensor:
    """Per-position negative log-likelihood, (M,), of ``targets`` (M,) given ``hidden`` (M, H)."""
    logits = torch.addmm(bias, hidden, weight.t())
    return torch.nn.functional.cross_entropy(logits, targets, reduction="none")


def full_nll_chunked(
    hidden: Tensor, weight: Tensor, bias: Tensor, targets: Tensor, chunk: int = 1024
) -> Tensor:
    """:func:`full_nll` in chunks of positions, so (chunk, V) logits bound the memory."""
    parts = [
        full_nll(hidden[i : i + chunk], weight, bias, targets[i : i + chunk])
        for i in range(0, hidden.shape[0], chunk)
    ]
    return torch.cat(parts)


class LogUniformSampler:
    """Draws classes ``k`` in ``[0, n_classes)`` with P(k) = log((k+2)/(k+1)) / log(n_classes+1).

    This is TensorFlow's log-uniform (Zipfian) candidate sampler; it fits a vocabulary sorted by
    falling frequency.
    """

    def __init__(self, n_classes: int) -> None:
        self.n_classes = n_classes
        self._log_range = math.log(n_classes + 1)

    def probability(self, classes: Tensor) -> Tensor:
        k = classes.to(torch.float64)
        return (torch.log1p(1.0 / (k + 1.0)) / self._log_range).to(torch.float32)

    def sample(
        self, n_draws: int, device: torch.device, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """``n_draws`` draws with replacement, de-duplicated: (classes, log inclusion probability).

        The inclusion probability of class k in the set is ``1 - (1 - P(k)) ** n_draws``; its
        log is the logQ correction of the sampled softmax.
        """
        u = torch.rand(n_draws, generator=generator, dtype=torch.float64)
        draws = (torch.exp(u * self._log_range).floor().long() - 1).clamp_(0, self.n_classes - 1)
        classes = torch.unique(draws).to(device)
        return classes, self.log_inclusion(classes, n_draws)

    def log_inclusion(self, classes: Tensor, n_draws: int) -> Tensor:
        p = self.probability(classes).to(torch.float64)
        return torch.log(-torch.expm1(n_draws * torch.log1p(-p))).to(torch.float32)


def sampled_nll(
    hidden: Tensor,
    weight: Tensor,
    bias: Tensor,
    targets: Tensor,
    sampler: LogUniformSampler,
    n_draws: int,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Per-position sampled-softmax NLL, (M,): the true class against one shared set of sampled
    classes, every logit corrected by ``- log Q``; a sampled class equal to a position's target
    (an accidental hit) is removed from that position's candidates."""
    classes, log_q = sampler.sample(n_draws, hidden.device, generator)
    log_q = log_q.to(hidden.device)
    true_logit = (hidden * weight[targets]).sum(-1) + bias[targets]
    true_logit = true_logit - sampler.log_inclusion(targets, n_draws).to(hidden.device)
    sampled_logits = torch.addmm(bias[classes], hidden, weight[classes].t()) - log_q
    hits = targets.unsqueeze(1) == classes.unsqueeze(0)
    sampled_logits = sampled_logits.masked_fill(hits, float("-inf"))
    logits = torch.cat([true_logit.unsqueeze(1), sampled_logits], dim=1)
    return torch.logsumexp(logits, dim=1) - true_logit
