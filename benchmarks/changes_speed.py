"""Benchmark: ``word_changes`` (every word ranked by change) and ``compare`` (one word's groups).

    python -m benchmarks.changes_speed --tokens 10000000 --workdir /data/changes --json run.json
    python -m benchmarks.changes_speed --report run.json

The corpus is the two-period sample corpus of ``tools.period_corpus`` (documents of the 1990s and
the 2010s with a ``period``, ``year`` and ``genre`` field, sentences of the demo model's
grammar), written as JSONL until it holds ``--tokens`` tokens. One call of ``generate_periods``
runs out of distinct sentences for a single-sense word somewhere above 30,000 sentences per
word and period, so a large corpus is several calls of at most ``CHUNK_PER_WORD`` with their own
seeds, their document ids prefixed to keep them apart (a sentence may repeat across calls).
It is built with the demo model, layer 2 only, int8 vectors. In a fresh process each:
``word_changes(index, "period", "1990s", "2010s", layer=2, score=S)`` for S in prt, apd and jsd
(targets: under 10 minutes for every word of a 10M-occurrence index on 2 cores), then
``compare`` of the word with the fewest occurrences at or above ``--word-occurrences``
(else the one closest to it), first call (senses induced: the kept senses of an earlier run are
deleted first) and second (kept senses read back); target under 5 s at 100,000 occurrences.
Memory is the process's peak resident size (file pages of the memory-mapped vectors count),
beside its size once the index is open. The page cache is not dropped: the vectors are
likely in it after the build, so "cold" means no kept senses, not a cold disk.

With ``--workdir`` the corpus and the index are kept; a rerun with the same ``--tokens`` and
``--seed`` reuses them and only measures.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.machine import describe_machine

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
REPO = Path(__file__).resolve().parents[1]
LAYER = 2
FIELD, SOURCE, TARGET = "period", "1990s", "2010s"
SCORES = ("prt", "apd", "jsd")
CHANGES_TARGET_S = 600.0
COMPARE_TARGET_S = 5.0
#: Sense sentences per word and period asked of one ``generate_periods`` call, at most.
CHUNK_PER_WORD = 10_000
#: Tokens per unit of ``n_per_word`` before the first call has measured it (8 words, 2 periods,
#: 20% filler, about 12.7 tokens a sentence).
TOKENS_PER_UNIT = 250.0
PREPARED = "prepared.json"


def write_corpus(path: Path, tokens: int, seed: int) -> dict[str, Any]:
    """Write a period corpus of at least ``tokens`` tokens to ``path`` (JSONL); its figures."""
    from tools.period_corpus import generate_periods, records, write_jsonl

    started = time.perf_counter()
    produced = sentences = documents = units = 0
    per_call: list[int] = []
    parts: list[Path] = []
    while produced < tokens:
        rate = produced / units if units else TOKENS_PER_UNIT
        n_per_word = min(CHUNK_PER_WORD, max(1, math.ceil((tokens - produced) / rate)))
        chunk = generate_periods(n_per_word=n_per_word, seed=seed + len(per_call))
        rows = records(chunk)
        prefix = f"c{len(per_call)}-"
        for row in rows:
            row["doc_id"] = prefix + str(row["doc_id"])
            row["id"] = prefix + str(row["id"])
        parts.append(path.with_name(f"{path.stem}.part{len(per_call)}.jsonl"))
        write_jsonl(parts[-1], rows)
        produced += sum(len(s.tokens) for s in chunk)
        sentences += len(chunk)
        documents += len({s.doc_id for s in chunk})
        units += n_per_word
        per_call.append(n_per_word)
        logger.info("corpus: %d of %d tokens (n_per_word %d)", produced, tokens, n_per_word)
    with path.open("wb") as out:
        for part in parts:
            with part.open("rb") as source:
                shutil.copyfileobj(source, out)
            part.unlink()
    return {
        "path": str(path),
        "tokens": produced,
        "sentences": sentences,
        "documents": documents,
        "n_per_word": per_call,
        "bytes": path.stat().st_size,
        "seconds": time.perf_counter() - started,
    }


def build_index(corpus: Path, root: Path) -> dict[str, Any]:
    """Build ``corpus`` into ``root`` with the demo model (layer 2, int8); its figures."""
    from indexer.builder import build

    started = time.perf_counter()
    report = build(
        corpus,
        model="demo",
        out=root,
        layers=(LAYER,),
        dtype="int8",
        overwrite=True,
        progress=True,
        progress_interval=60.0,
    )
    seconds = time.perf_counter() - started
    return {
        "path": str(root),
        "seconds": seconds,
        "occurrences": report.tokens,
        "sentences": report.sentences,
        "documents": report.documents,
        "types": report.types,
        "tokens_per_s": report.tokens / seconds,
        "bytes_written": report.bytes_written,
    }


def prepare(work: Path, tokens: int, seed: int) -> dict[str, Any]:
    """The corpus and index of ``tokens`` tokens in ``work``: reused when an earlier run left
    them with the same settings, else written and built."""
    root = work / "index"
    marker = work / PREPARED
    if marker.exists() and (root / "manifest.json").exists():
        saved = json.loads(marker.read_text())
        if saved.get("requested_tokens") == tokens and saved.get("seed") == seed:
            logger.info("reusing the index in %s (built %s)", root, saved.get("built_at"))
            return dict(saved, reused=True)
    marker.unlink(missing_ok=True)
    corpus = write_corpus(work / "periods.jsonl", tokens, seed)
    logger.info("building %s (%d tokens)", root, corpus["tokens"])
    built = build_index(Path(corpus["path"]), root)
    prepared = {
        "requested_tokens": tokens,
        "seed": seed,
        "built_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "corpus": corpus,
        "build": built,
    }
    marker.write_text(json.dumps(prepared, indent=2))
    return dict(prepared, reused=False)


def _status_mib(field: str) -> float:
    """A ``/proc/self/status`` memory field in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _rss_mib() -> float:
    return _status_mib("VmRSS")


def _peak_mib() -> float:
    """The process's peak resident size: ``VmHWM``, which starts again at ``exec`` (Linux's
    ``ru_maxrss`` keeps the peak of the forking parent)."""
    return _status_mib("VmHWM")


def _changes_figures(root: str, score: str) -> dict[str, Any]:
    """In this (fresh) process: open the index, time one ``word_changes``."""
    from query.changes.vocabulary import word_changes
    from query.index import SenseIndex

    index = SenseIndex.open(root)
    before = _rss_mib()
    started = time.perf_counter()
    result = word_changes(index, FIELD, SOURCE, TARGET, layer=LAYER, score=score)
    seconds = time.perf_counter() - started
    return {
        "score": score,
        "seconds": seconds,
        "eligible": result.eligible,
        "min_count": result.min_count,
        "sample": result.sample,
        "rss_open_mib": before,
        "peak_mib": _peak_mib(),
        "top": [[w.word, round(w.score, 4), w.count_from, w.count_to] for w in result.words[:8]],
    }


def _compare_figures(root: str, word: str | None, occurrences: int) -> dict[str, Any]:
    """In this (fresh) process: choose the word, delete its kept senses, time ``compare`` twice."""
    from query.changes.compare import compare
    from query.index import SenseIndex
    from query.selection import Selection

    index = SenseIndex.open(root)
    counts = index.reader.lexicon.tokens
    if word is None:
        above = [w for w, c in counts.items() if c >= occurrences]
        if above:
            word = min(above, key=lambda w: (counts[w], w))
        else:
            word = min(counts, key=lambda w: (abs(counts[w] - occurrences), w))
    shutil.rmtree(Path(root) / "senses", ignore_errors=True)
    before = _rss_mib()
    times = []
    for _ in range(2):
        started = time.perf_counter()
        result = compare(index, Selection(word), FIELD, layer=LAYER)
        times.append(time.perf_counter() - started)
    pair = result.pairs[0] if result.pairs else None
    return {
        "word": word,
        "count": counts[word],
        "cold_s": times[0],
        "warm_s": times[1],
        "senses": len(result.senses),
        "groups": {g.group: g.count for g in result.groups},
        "pair": None if pair is None else pair.to_record(),
        "rss_open_mib": before,
        "peak_mib": _peak_mib(),
    }


def fresh(function: str, *args: Any) -> dict[str, Any]:
    """Run ``function`` of this module on ``args`` in a fresh interpreter; what it returns, or
    ``{"error": ...}`` with the end of its traceback."""
    code = (
        "import json, logging; logging.basicConfig(level=logging.WARNING); "
        "import benchmarks.changes_speed as bench; "
        f"print(); print(json.dumps(bench.{function}(*{args!r})))"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    if done.returncode:
        sys.stderr.write(done.stderr)
        return {"error": done.stderr.strip()[-4000:], "wall_s": time.perf_counter() - started}
    figures = dict(json.loads(done.stdout.strip().splitlines()[-1]))
    figures["wall_s"] = time.perf_counter() - started
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=10_000_000, help="corpus size")
    parser.add_argument("--seed", type=int, default=1, help="of the first generate_periods")
    parser.add_argument("--scores", default=",".join(SCORES), help="of word_changes")
    parser.add_argument("--word", default=None, help="compare this word (default: by count)")
    parser.add_argument("--word-occurrences", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=None, help="kept; reused if it fits")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument(
        "--report", type=Path, default=None, help="print the report of a saved --json run"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if args.report is not None:
        report(json.loads(args.report.read_text()))
        return
    work = args.workdir or Path(tempfile.mkdtemp(prefix="elmo-changes-"))
    work.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {"machine": describe_machine(), "command": sys.argv[1:]}
    figures.update(prepare(work, args.tokens, args.seed))
    root = str(work / "index")
    figures["changes"] = {}
    for score in args.scores.split(","):
        logger.info("word_changes, score %s", score)
        figures["changes"][score] = fresh("_changes_figures", root, score)
    logger.info("compare")
    figures["compare"] = fresh("_compare_figures", root, args.word, args.word_occurrences)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    report(figures)


def report(figures: dict[str, Any]) -> None:
    m, corpus, built = figures["machine"], figures["corpus"], figures["build"]
    print(
        f"\n{m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, matrix products "
        f"{m['gemm_gflops']:.0f} GFLOP/s\ncorpus: {corpus['tokens']:,} tokens, "
        f"{corpus['sentences']:,} sentences, {corpus['documents']:,} documents "
        f"(n_per_word {'+'.join(map(str, corpus['n_per_word']))}); index: "
        f"{built['occurrences']:,} occurrences, {built['types']:,} words, built in "
        f"{built['seconds']:.0f} s ({built['tokens_per_s']:,.0f} tokens/s)"
        + (" [reused]" if figures.get("reused") else "")
    )
    print("| measurement | seconds | target | words / occurrences | RSS open | peak RSS |")
    print("| --- | --- | --- | --- | --- | --- |")
    for score, c in figures["changes"].items():
        if "error" in c:
            print(f"| word_changes {score} | failed | {CHANGES_TARGET_S:.0f} s | | | |")
            continue
        print(
            f"| word_changes {score} | {c['seconds']:.1f} | {CHANGES_TARGET_S:.0f} s | "
            f"{c['eligible']:,} eligible words | {c['rss_open_mib']:.0f} MiB | "
            f"{c['peak_mib']:.0f} MiB |"
        )
    c = figures["compare"]
    if "error" in c:
        print(f"| compare | failed | {COMPARE_TARGET_S:.0f} s | | | |")
    else:
        for label, key in (("cold", "cold_s"), ("warm", "warm_s")):
            print(
                f"| compare '{c['word']}' {label} | {c[key]:.2f} | {COMPARE_TARGET_S:.0f} s | "
                f"{c['count']:,} occurrences | {c['rss_open_mib']:.0f} MiB | "
                f"{c['peak_mib']:.0f} MiB |"
            )
        groups = ", ".join(f"{g} {n:,}" for g, n in c["groups"].items())
        print(f"compare '{c['word']}': {c['senses']} senses; {groups}; {c['pair']}")
    for score, c in figures["changes"].items():
        if "error" in c:
            print(f"word_changes {score} failed:\n{c['error']}")
        else:
            top = ", ".join(f"{w} {s:.3f}" for w, s, _, _ in c["top"][:5])
            print(f"top by {score}: {top}")
    if "error" in figures["compare"]:
        print(f"compare failed:\n{figures['compare']['error']}")


if __name__ == "__main__":
    main()
