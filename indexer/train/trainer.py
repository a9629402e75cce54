"""The training loop: windows in; checkpoints, held-out perplexity and an allennlp model out."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from indexer.corpus import ReaderConfig
from indexer.encoder.encoder import resolve_device
from indexer.encoder.model import LstmState
from indexer.errors import ConfigError
from indexer.train.checkpoint import save_checkpoint
from indexer.train.config import DEFAULT_PRESET, Preset, get_preset
from indexer.train.data import (
    epoch_order,
    rows_per_epoch,
    stream_rows,
    window_bounds,
    window_frames,
)
from indexer.train.evaluate import Perplexity, heldout_perplexity
from indexer.train.lm import LanguageModel
from indexer.train.outputs import (
    EvalRecord,
    append_log,
    export_model,
    format_record,
    open_model_dir,
    truncate_log,
)
from indexer.train.prepare import TrainingData, prepare_data
from indexer.train.resume import check_resumable, restore_rng, rng_state
from indexer.train.softmax import LogUniformSampler
from indexer.train.tensors import window_tensors

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class TrainResult:
    """What a training run did; ``tokens_per_second`` counts this run's steps only; ``model``
    is the trained model as it is in memory (in eval mode)."""

    model_dir: Path
    steps: int
    tokens: int
    epochs: float
    perplexity: Perplexity | None
    tokens_per_second: float
    resumed_from: int | None
    vocab_size: int
    sampled_softmax: bool
    model: LanguageModel


def train(
    corpus: str | Path,
    model_dir: str | Path,
    preset: Preset | str = DEFAULT_PRESET,
    *,
    heldout: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = False,
    on_eval: Callable[[EvalRecord], None] | None = None,
    reader_config: ReaderConfig | None = None,
) -> TrainResult:
    """Train a biLM on ``corpus`` and write it to ``model_dir`` (options.json + weights.hdf5).

    ``resume`` continues from the newest checkpoint in ``model_dir/checkpoints``: the same
    corpus and the same model and data settings are required, while the stopping point
    (``max_steps``/``epochs``) and the reporting intervals may change.
    """
    preset = get_preset(preset) if isinstance(preset, str) else preset
    out = Path(model_dir)
    checkpoint = open_model_dir(out, resume, overwrite)
    if checkpoint is not None:
        check_resumable(checkpoint, preset)
    data = prepare_data(
        Path(corpus), None if heldout is None else Path(heldout), preset.train, reader_config
    )
    if checkpoint is not None and checkpoint["source"] != data.source_id:
        raise ConfigError(
            "the corpus (or held-out file) differs from the one the checkpoint was trained on",
            path=corpus,
        )
    run = _Run(preset, data, out, resolve_device(preset.train.device), checkpoint)
    return run.loop(progress, on_eval)


class _Run:
    """The state of one training run, from a fresh start or from a checkpoint."""

    def __init__(
        self,
        preset: Preset,
        data: TrainingData,
        out: Path,
        device: torch.device,
        checkpoint: dict[str, Any] | None,
    ) -> None:
        self.preset, self.data, self.out, self.device = preset, data, out, device
        self.config = config = preset.train
        torch.manual_seed(config.seed)
        self.model = LanguageModel.create(preset.model, data.vocab, config.dropout, config.seed)
        self.model.to(device).train()
        if config.optimizer == "adagrad":
            self.optimizer: torch.optim.Optimizer = torch.optim.Adagrad(
                self.model.parameters(), lr=config.learning_rate, initial_accumulator_value=1.0
            )
        else:
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.learning_rate)
        self.sampler = (
            LogUniformSampler(len(data.vocab))
            if len(data.vocab) > config.sampled_softmax_threshold
            else None
        )
        self.generator = torch.Generator().manual_seed(config.seed + 2)
        self.row_length, self.windows_per_epoch = rows_per_epoch(
            data.train.n_positions, config.batch_size, config.window
        )
        self.total_steps = config.max_steps or (config.epochs or 1) * self.windows_per_epoch
        self.step = self.epoch = self.window = self.tokens = 0
        self.state: LstmState | None = None
        self.resumed_from: int | None = None
        self._rows: tuple[int, Any, Any] | None = None
        if checkpoint is not None:
            self._restore(checkpoint)

    # -- one step ------------------------------------------------------------------------

    def _epoch_rows(self) -> tuple[Any, Any]:
        if self._rows is None or self._rows[0] != self.epoch:
            train = self.data.train
            order = epoch_order(train.n_sentences, self.config.seed, self.epoch)
            rows_in, rows_target = stream_rows(train.subset(order), self.config.batch_size)
            self._rows = (self.epoch, rows_in, rows_target)
        return self._rows[1], self._rows[2]

    def _train_step(self) -> float:
        if self.window == self.windows_per_epoch:
            self.epoch, self.window = self.epoch + 1, 0
        rows_in, rows_target = self._epoch_rows()
        start, end = window_bounds(self.row_length, self.config.window, self.window)
        inputs, targets = window_frames(rows_in, rows_target, start, end)
        t = window_tensors(inputs, targets, self.data.char_table, self.data.classes, self.device)
        out = self.model(
            t.chars,
            t.index,
            t.targets,
            self.state,
            self.sampler,
            self.config.n_samples,
            self.generator,
        )
        loss = out.nll.mean()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        self.state = LstmState(out.state.h.detach(), out.state.c.detach())
        self.step += 1
        self.window += 1
        self.tokens += t.n_positions
        return float(loss.item())

    # -- the loop ------------------------------------------------------------------------

    def loop(self, progress: bool, on_eval: Callable[[EvalRecord], None] | None) -> TrainResult:
        config = self.config
        bar = tqdm(
            total=self.total_steps,
            initial=min(self.step, self.total_steps),
            unit="step",
            disable=not progress,
            dynamic_ncols=True,
        )
        losses: list[float] = []
        seconds, tokens_at_start = 0.0, self.tokens
        perplexity: Perplexity | None = None
        with bar:
            while self.step < self.total_steps:
                began = time.perf_counter()
                losses.append(self._train_step())
                seconds += time.perf_counter() - began
                bar.update(1)
                speed = (self.tokens - tokens_at_start) / max(seconds, 1e-9)
                bar.set_postfix(loss=f"{losses[-1]:.3f}", tok_s=f"{speed:,.0f}", refresh=False)
                last = self.step == self.total_steps
                if self.step % config.eval_every == 0 or last:
                    perplexity = self._evaluate()
                    self._report(losses, perplexity, speed, on_eval)
                    losses = []
                if self.step % config.checkpoint_every == 0 or last:
                    self._save()
        speed = (self.tokens - tokens_at_start) / max(seconds, 1e-9)
        if perplexity is None and self.data.heldout is not None:
            perplexity = self._evaluate()
        self._export()
        return TrainResult(
            model_dir=self.out,
            steps=self.step,
            tokens=self.tokens,
            epochs=self.step / self.windows_per_epoch,
            perplexity=perplexity,
            tokens_per_second=speed,
            resumed_from=self.resumed_from,
            vocab_size=len(self.data.vocab),
            sampled_softmax=self.sampler is not None,
            model=self.model.eval(),
        )

    def _evaluate(self) -> Perplexity | None:
        if self.data.heldout is None:
            return None
        return heldout_perplexity(
            self.model,
            self.data.heldout,
            self.data.char_table,
            self.data.classes,
            batch_size=self.config.batch_size,
            window=self.config.window,
            device=self.device,
        )

    def _report(
        self,
        losses: list[float],
        ppl: Perplexity | None,
        speed: float,
        on_eval: Callable[[EvalRecord], None] | None,
    ) -> None:
        record = EvalRecord(
            step=self.step,
            total_steps=self.total_steps,
            epoch=self.step / self.windows_per_epoch,
            tokens=self.tokens,
            train_loss=sum(losses) / max(len(losses), 1),
            perplexity=None if ppl is None else ppl.mean,
            forward_perplexity=None if ppl is None else ppl.forward,
            backward_perplexity=None if ppl is None else ppl.backward,
            tokens_per_second=speed,
        )
        logger.debug("%s", format_record(record))
        append_log(self.out, record)
        if on_eval is not None:
            on_eval(record)

    # -- persistence ---------------------------------------------------------------------

    def _save(self) -> None:
        state = None
        if self.state is not None:
            state = {"h": self.state.h.cpu(), "c": self.state.c.cpu()}
        payload = {
            "step": self.step,
            "epoch": self.epoch,
            "window": self.window,
            "tokens": self.tokens,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "lstm_state": state,
            "rng": rng_state(self.generator, self.device),
            "spec": asdict(self.preset.model),
            "train": asdict(self.config),
            "preset": self.preset.name,
            "vocab_words": list(self.data.vocab.words),
            "vocab_counts": list(self.data.vocab.counts),
            "source": self.data.source_id,
        }
        save_checkpoint(self.out, self.step, payload, self.config.keep_checkpoints)

    def _restore(self, checkpoint: dict[str, Any]) -> None:
        if tuple(checkpoint["vocab_words"]) != self.data.vocab.words:
            raise ConfigError("the vocabulary differs from the checkpoint's", path=self.out)
        self.model.load_state_dict(checkpoint["model"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        for group in self.optimizer.param_groups:  # a resumed run may change the rate
            group["lr"] = self.config.learning_rate
        self.step, self.epoch = int(checkpoint["step"]), int(checkpoint["epoch"])
        self.window, self.tokens = int(checkpoint["window"]), int(checkpoint["tokens"])
        state = checkpoint["lstm_state"]
        if state is not None:
            self.state = LstmState(state["h"].to(self.device), state["c"].to(self.device))
        restore_rng(checkpoint["rng"], self.generator, self.device)
        self.resumed_from = self.step
        truncate_log(self.out, self.step)

    def _export(self) -> None:
        export_model(self.model.bilm, self.data.vocab, self.out)
