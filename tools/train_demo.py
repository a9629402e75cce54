"""Seeded training of the bundled demonstration model: ``python -m tools.train_demo``.

Run from the checkout: trains the preset of ``configs/train/demo.toml`` in
``build/demo-train/`` (resumable with ``--resume``) on the sample corpus
(``configs/sample/corpus.txt``, written by ``python -m tools.sample_corpus``) and the everyday
corpus (:mod:`tools.everyday_corpus`, generated here), their lines shuffled together with a
fixed seed; then copies options.json + weights.hdf5 into ``indexer/models/demo/`` with a
metadata.json and a README.md saying what the model is.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from indexer.train.config import load_preset_file
from indexer.train.outputs import format_record
from indexer.train.trainer import TrainResult, train
from tools import CHECKOUT
from tools.everyday_corpus import DEFAULT_SENTENCES, everyday_lines
from tools.sample_corpus import SAMPLE_DIR, write_lines

COMMAND = "python -m tools.train_demo"
"""How the shipped model was made (metadata.json's ``trained_with``)."""
DEMO_DIR = CHECKOUT / "indexer" / "models" / "demo"
DESCRIPTION = (
    "A demonstration model: a tiny ELMo biLM trained on two generated corpora, the sample "
    "corpus (configs/sample/corpus.txt), in which bank, bat, spring, plant, bark, crane, mouse "
    "and match occur in clearly different senses, and the everyday corpus "
    "(tools/everyday_corpus.py), which puts them in broad ordinary sentences (about 1,800 word "
    "types). Not a general English model."
)
SHUFFLE_SEED = 0
"""The seed that shuffles the two corpora's lines together."""


def training_text(corpus: Path, everyday: int, out: Path) -> Path:
    """Write the lines of ``corpus`` and ``everyday`` sentences of the everyday corpus,
    shuffled together (seeded), to ``out``."""
    lines = corpus.read_text(encoding="utf-8").splitlines()
    lines += everyday_lines(everyday) if everyday else []
    random.Random(SHUFFLE_SEED).shuffle(lines)
    write_lines(out, lines)
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def metadata(
    result: TrainResult, corpus: Path, config: Path, text: Path, everyday: int
) -> dict[str, Any]:
    """What metadata.json says about the shipped model."""
    options = json.loads((result.model_dir / "options.json").read_text(encoding="utf-8"))
    ppl = result.perplexity
    shown = (
        config.relative_to(CHECKOUT).as_posix() if config.is_relative_to(CHECKOUT) else str(config)
    )
    return {
        "name": "demo",
        "description": DESCRIPTION,
        "dim": 2 * int(options["lstm"]["projection_dim"]),
        "trained_with": COMMAND,
        "torch_threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "config": shown,
        "corpus": corpus.name,
        "corpus_sha256": _sha256(corpus),
        "everyday_sentences": everyday,
        "training_text_sha256": _sha256(text),
        "steps": result.steps,
        "epochs": round(result.epochs, 3),
        "tokens": result.tokens,
        "vocab_size": result.vocab_size,
        "heldout_perplexity": None if ppl is None else round(ppl.mean, 3),
    }


def readme(info: dict[str, Any]) -> str:
    """The README.md of the shipped model folder."""
    return (
        "# demo: a demonstration ELMo model\n\n"
        f"{DESCRIPTION}\n\n"
        "Official allennlp layout (options.json + weights.hdf5), so any ELMo reader loads it; "
        f"vectors of {info['dim']} dimensions, 3 layers. Trained by `{info['trained_with']}` "
        f"with {info['config']} for {info['steps']} steps ({info['epochs']} epochs, "
        f"{info['tokens']} tokens); held-out perplexity {info['heldout_perplexity']}. "
        "metadata.json holds the details.\n\n"
        "Use it to try the tools offline (`indexer build configs/sample/corpus.txt --model demo "
        "...`), not to embed real text: it knows only the words of its two generated "
        "corpora.\n"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=SAMPLE_DIR / "corpus.txt")
    parser.add_argument("--heldout", type=Path, default=SAMPLE_DIR / "heldout.txt")
    parser.add_argument("--config", type=Path, default=CHECKOUT / "configs/train/demo.toml")
    parser.add_argument("--work", type=Path, default=CHECKOUT / "build/demo-train")
    parser.add_argument("--out", type=Path, default=DEMO_DIR)
    parser.add_argument("--resume", action="store_true", help="continue a killed training")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    parser.add_argument(
        "--everyday",
        type=int,
        default=DEFAULT_SENTENCES,
        help="sentences of the everyday corpus trained on beside --corpus (0: none)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    preset = load_preset_file(args.config)
    text = training_text(args.corpus, args.everyday, args.work.with_name(f"{args.work.name}.txt"))
    result = train(
        text,
        args.work,
        preset,
        heldout=args.heldout,
        resume=args.resume,
        overwrite=not args.resume,
        progress=sys.stderr.isatty(),
        on_eval=lambda record: tqdm.write(format_record(record)),
    )
    args.out.mkdir(parents=True, exist_ok=True)
    for name in ("options.json", "weights.hdf5"):
        shutil.copyfile(result.model_dir / name, args.out / name)
    info = metadata(result, args.corpus, args.config, text, args.everyday)
    (args.out / "metadata.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    (args.out / "README.md").write_text(readme(info), encoding="utf-8")
    print(f"wrote {args.out}: {info}")


if __name__ == "__main__":
    main()
