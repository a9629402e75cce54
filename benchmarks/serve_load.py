"""Benchmark: the HTTP service ``query serve`` under concurrent load over loopback.

The index holds about ``--occurrences`` occurrences of the sample corpus
(``tools/sample_corpus.py``, seed 11) built with the bundled demo model, so that the server
can embed context sentences; an index of the same corpus in ``--dir`` is reused. The server
runs as a subprocess on a free port of 127.0.0.1. ``--clients`` concurrent asyncio clients
(one keep-alive connection each, ``benchmarks.loopback_http``; seeded choices) loop until the
time is up:

- a warm-up of the mixed load for ``--warmup-seconds``, not counted, so that every server
  process has read what the load needs (a process starts with nothing read);
- mixed load for ``--seconds``: 70 % same-word neighbors of a random stored occurrence of
  ``bank``, 20 % neighbors of ``bank`` in one of 200 unseen context sentences, 5 % the word's
  occurrences, 5 % the index summary;
- context sentences only for ``--batch-seconds``, on that server (context sentences
  micro-batched) and then on a second one started with ``--batch-window-ms 0`` (each sentence
  embedded alone);
- same-word neighbors only for ``--batch-seconds``, on the first server: the most such requests
  it answers (figures only, no target).

The server's resident memory (with its worker processes, from ``/proc``) is read once it
answers, after the warm-up (the start), after the mixed load and at the end, and sampled
during the load. Per kind of request: count, errors (non-2xx, or no answer within 30 s),
requests/s and latency percentiles of the answered ones; the load generator's own CPU use (it
shares the machine); and the targets: no errors, same-word p95 under 50 ms in the mixed load,
batching at least 5 times the throughput of one at a time, memory flat from start to end (the
memory not backed by files; see :data:`MEMORY_SLACK`).

    python -m benchmarks.serve_load                       # temporary index, removed after
    python -m benchmarks.serve_load --dir /data/serve-1m  # built once, reused by later runs
    python -m benchmarks.serve_load --occurrences 200000 --seconds 5 --batch-seconds 5
    python -m benchmarks.serve_load --dir /data/serve-1m --workers 2  # a process per core
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import quote

import httpx
import numpy as np

from benchmarks.loopback_http import Connection, HttpError
from benchmarks.scale import MIB, process_tree, rss_tree
from indexer.builder.pipeline import build
from indexer.errors import IndexStateError
from indexer.store.manifest import read_complete_manifest
from query import SenseIndex
from tools.sample_corpus import generate, generate_heldout, write_lines

HOST = "127.0.0.1"
WORD, LAYER, K = "bank", 2, 10
TOKENS_PER_SENTENCE = 11.7  # of the sample corpus, on average
CORPUS_SEED, CONTEXT_SEED, N_CONTEXTS = 11, 3, 200
#: Each kind of request and its share of the mixed load.
MIXED = {"same-word": 0.70, "context": 0.20, "occurrences": 0.05, "info": 0.05}
CONTEXT_ONLY = {"context": 1.0}
SAME_WORD_ONLY = {"same-word": 1.0}
MAX_REQUESTS = 10_000_000  # a bound on each phase, never reached
REQUEST_TIMEOUT_S, HEALTH_TIMEOUT_S, WARMUP_PER_KIND = 30.0, 60.0, 3
SAME_WORD_P95_MS, BATCHING_RATIO = 50.0, 5.0
#: "flat": the memory not backed by files (the heap: what a leak grows) at the end within this
#: fraction of the start (after the warm-up). Resident pages of the memory-mapped index files
#: are the system's page cache, bounded by the index's size; they are reported, not judged.
MEMORY_SLACK = 0.10


@dataclass(frozen=True)
class Workload:
    """What the clients ask of the index served as ``index``."""

    index: str
    occurrence_ids: Sequence[int]
    contexts: Sequence[str]

    def request(self, kind: str, rng: random.Random) -> tuple[str, dict[str, str | int]]:
        """The path and query parameters of one request of ``kind``."""
        base = f"/api/{quote(self.index, safe='')}"
        query: dict[str, str | int] = {"word": WORD, "layer": LAYER, "k": K}
        if kind == "same-word":
            return f"{base}/neighbors", {**query, "occurrence": rng.choice(self.occurrence_ids)}
        if kind == "context":
            return f"{base}/neighbors", {**query, "context": rng.choice(self.contexts)}
        if kind == "occurrences":
            return f"{base}/occurrences", {"word": WORD, "limit": 20}
        if kind == "info":
            return f"{base}/info", {}
        raise ValueError(f"unknown kind of request {kind!r}")


@dataclass(frozen=True)
class Phase:
    """One run of load: its name, its mix of kinds, how long, the clients' seed."""

    name: str
    mix: dict[str, float]
    seconds: float
    seed: int


@dataclass(frozen=True)
class KindFigures:
    """One kind of request in one phase; latencies (ms) of the answered requests."""

    kind: str
    requests: int
    errors: int
    per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass(frozen=True)
class PhaseFigures:
    name: str
    clients: int
    seconds: float  # the time requests were sent; requests/s count the answers within it
    drain_s: float  # from its end to the last answer of the requests then in flight
    kinds: tuple[KindFigures, ...]
    total: KindFigures
    error_samples: tuple[str, ...]  # the first few distinct ones
    peak_rss_mib: float  # of the server, sampled every half second
    client_cpu: float  # CPU seconds of this process per second: 1.0 is one core busy
    # the clients' connections held by each server process (most first), averaged over the
    # phase's samples
    connections: tuple[float, ...]


@dataclass
class Recorder:
    """Latencies (ms) of the answered requests and the failures, by kind; how many of each
    kind ended before ``deadline`` (the phase's requests/s)."""

    deadline: float
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    in_time: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)
    count: int = 0

    def take(self) -> bool:
        """Count one more request; False once :data:`MAX_REQUESTS` were made."""
        self.count += 1
        return self.count <= MAX_REQUESTS

    def add(self, kind: str, ms: float, error: str | None) -> None:
        self.latencies.setdefault(kind, [])
        self.in_time[kind] = self.in_time.get(kind, 0) + (time.perf_counter() <= self.deadline)
        self.errors[kind] = self.errors.get(kind, 0) + (error is not None)
        if error is None:
            self.latencies[kind].append(ms)
        elif len(self.samples) < 5 and error not in self.samples:
            self.samples.append(error)

    def figures(self, kind: str, seconds: float) -> KindFigures:
        """Figures of ``kind`` ("all": every kind together) over ``seconds``."""
        kinds = list(self.latencies) if kind == "all" else [kind]
        latencies = [ms for name in kinds for ms in self.latencies[name]]
        errors = sum(self.errors[name] for name in kinds)
        p50, p95, p99 = np.percentile(latencies, [50, 95, 99]) if latencies else [np.nan] * 3
        n, per_s = len(latencies) + errors, sum(self.in_time[name] for name in kinds) / seconds
        return KindFigures(kind, n, errors, per_s, float(p50), float(p95), float(p99))


def build_index(path: Path, occurrences: int) -> list[str]:
    """Build (or reuse) the index of the sample corpus in ``path``; the corpus sentences."""
    lines = [s.text for s in generate(round(occurrences / TOKENS_PER_SENTENCE), CORPUS_SEED)]
    expected = sum(len(line.split()) for line in lines)
    with contextlib.suppress(IndexStateError):
        if read_complete_manifest(path).n_occurrences == expected:
            print(f"reusing   {path} ({expected:,} occurrences)")
            return lines
    corpus = path.parent / f"{path.name}-corpus.txt"
    write_lines(corpus, lines)
    started = time.perf_counter()
    report = build(corpus, model="demo", out=str(path), overwrite=True, progress=False)
    corpus.unlink()
    print(
        f"build     {report.tokens:,} occurrences, {report.types:,} types, {report.shards} "
        f"shards, layers {list(report.layers)}, in {time.perf_counter() - started:.1f} s"
    )
    return lines


@dataclass(frozen=True)
class Server:
    pid: int
    url: str
    log: Path

    @property
    def port(self) -> int:
        return int(self.url.rpartition(":")[2])


def server_command(index: Path, port: int, workers: int | None, window: float | None) -> list[str]:
    command = [sys.executable, "-m", "query.cli", "serve", "--index", str(index)]
    command += ["--host", HOST, "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    if window is not None:
        command += ["--batch-window-ms", str(window)]
    return command


@contextlib.contextmanager
def serving(index: Path, log: Path, workers: int | None, window: float | None) -> Iterator[Server]:
    """A ``query serve`` subprocess (its output in ``log``) once it answers; stopped after."""
    with socket.socket() as probe:  # a free port: the system's choice for port 0
        probe.bind((HOST, 0))
        port = int(probe.getsockname()[1])
    with log.open("w") as out:
        command = server_command(index, port, workers, window)
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    server = Server(proc.pid, f"http://{HOST}:{port}", log)
    try:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while not healthy(server):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start ({proc.poll()}):\n{tail(log)}")
            time.sleep(0.2)
        if workers is not None and workers > 1:
            settle(proc.pid, workers, deadline)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def settle(pid: int, workers: int, deadline: float) -> None:
    """Wait until the ``workers`` processes of the server have started: while one is still
    importing and making its app, the others accept every connection (``/healthz`` answers
    as soon as one is up). Started: that many child processes, and the CPU time of the tree
    unchanged over a second."""
    last = -1.0
    while time.monotonic() < deadline:
        children = process_tree(pid)[1:]
        now = sum(cpu_seconds(child) for child in children)
        if len(children) >= workers and now == last:
            return
        last = now
        time.sleep(1.0)
    raise SystemExit(f"the server's {workers} processes did not settle")


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def healthy(server: Server) -> bool:
    try:
        answer = httpx.get(f"{server.url}/healthz", timeout=2.0, trust_env=False)
    except httpx.HTTPError:
        return False
    return answer.status_code == 200 and answer.json() == {"status": "ok"}


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def new_client(server: Server) -> Connection:
    return Connection(HOST, server.port, REQUEST_TIMEOUT_S)


async def warm_up(server: Server, workload: Workload, kinds: Sequence[str]) -> None:
    """A few requests of each kind, one at a time; a failure stops the benchmark."""
    rng = random.Random(0)
    client = new_client(server)
    try:
        for kind in kinds:
            for _ in range(WARMUP_PER_KIND):
                path, params = workload.request(kind, rng)
                answer = await client.get(path, params)
                if not answer.is_success:
                    raise SystemExit(f"warm-up {kind}: {answer.status} {answer.text[:500]}")
    finally:
        client.close()


async def client_loop(
    workload: Workload,
    phase: Phase,
    recorder: Recorder,
    client: Connection,
    rng: random.Random,
) -> None:
    kinds, weights = list(phase.mix), list(phase.mix.values())
    try:
        while time.perf_counter() < recorder.deadline and recorder.take():
            kind = rng.choices(kinds, weights)[0]
            path, params = workload.request(kind, rng)
            started = time.perf_counter()
            error: str | None = None
            try:
                answer = await client.get(path, params)
                if not answer.is_success:
                    error = f"{kind}: {answer.status} {answer.text[:300]}"
            except HttpError as err:
                error = f"{kind}: {err}"
            recorder.add(kind, 1000 * (time.perf_counter() - started), error)
    finally:
        client.close()


def anon(pid: int) -> float:
    """MiB of the server's resident memory not backed by files (its heap, not mapped pages)."""
    return rss_tree(pid, "RssAnon") / MIB


async def sample_server(pid: int, peak: list[int], port: int, held: list[tuple[int, ...]]) -> None:
    """The server's peak resident memory, and how the connections are spread over its
    processes (a sample every half second, in ``held``)."""
    while True:
        peak[0] = max(peak[0], rss_tree(pid))
        held.append(connections_by_process(pid, port))
        await asyncio.sleep(0.5)


def mean_spread(samples: Sequence[tuple[int, ...]]) -> tuple[float, ...]:
    """The connections of the busiest process, the next, ..., averaged over ``samples``.

    >>> mean_spread([(20, 12), (17, 15), (32,)])
    (23.0, 9.0)
    """
    width = max((len(sample) for sample in samples), default=0)
    if not width:
        return ()
    padded = np.array([[*sample, *[0] * (width - len(sample))] for sample in samples])
    return tuple(round(float(mean), 1) for mean in padded.mean(axis=0))


def connections_by_process(pid: int, port: int) -> tuple[int, ...]:
    """Established TCP connections on local ``port`` held by each serving process of the
    server ``pid`` (its children where it has any), from ``/proc``; most first."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rpartition(":")[2], 16) == port and fields[3] == "01":
                    established.add(fields[9])
    processes = process_tree(pid)
    counts = []
    for process in processes[1:] or processes:
        with contextlib.suppress(OSError):
            links = [os.readlink(fd) for fd in Path(f"/proc/{process}/fd").iterdir()]
            held = sum(link[8:-1] in established for link in links if link.startswith("socket:"))
            if held:
                counts.append(held)
    return tuple(sorted(counts, reverse=True))


async def load(server: Server, workload: Workload, phase: Phase, clients: int) -> PhaseFigures:
    """``clients`` concurrent clients asking ``phase.mix`` of ``server``; the figures."""
    peak = [rss_tree(server.pid)]
    held: list[tuple[int, ...]] = []
    sampler = asyncio.create_task(sample_server(server.pid, peak, server.port, held))
    pool = [new_client(server) for _ in range(clients)]
    cpu = time.process_time()
    recorder = Recorder(deadline=time.perf_counter() + phase.seconds)
    rngs = [random.Random(phase.seed * 1000 + i) for i in range(clients)]
    await asyncio.gather(*map(partial(client_loop, workload, phase, recorder), pool, rngs))
    drain, cpu = time.perf_counter() - recorder.deadline, time.process_time() - cpu
    sampler.cancel()
    order = sorted(recorder.latencies, key=lambda kind: -len(recorder.latencies[kind]))
    kinds = tuple(recorder.figures(kind, phase.seconds) for kind in order)
    total = recorder.figures("all", phase.seconds)
    cpu /= phase.seconds + drain
    return PhaseFigures(
        phase.name, clients, phase.seconds, drain, kinds, total, tuple(recorder.samples),
        peak[0] / MIB, cpu, mean_spread(held),
    )  # fmt: skip


@dataclass(frozen=True)
class Results:
    occurrences: int
    word_occurrences: int
    # mixed, batched, one at a time, same-word only
    phases: tuple[PhaseFigures, PhaseFigures, PhaseFigures, PhaseFigures]
    # default server: cold, start (after the warm-up), after_mixed, end, peak; *_anon
    memory_mib: dict[str, float]

    @property
    def batching_ratio(self) -> float:
        return self.phases[1].total.per_s / max(self.phases[2].total.per_s, 1e-9)

    def targets(self) -> list[tuple[str, bool, str]]:
        """(target, met, the figure) for each target."""
        errors = sum(phase.total.errors for phase in self.phases)
        p95 = next((k.p95_ms for k in self.phases[0].kinds if k.kind == "same-word"), np.nan)
        growth = self.memory_mib["end"] - self.memory_mib["start"]
        anon = self.memory_mib["end_anon"] - self.memory_mib["start_anon"]
        flat = anon <= MEMORY_SLACK * self.memory_mib["start_anon"]
        ratio = self.batching_ratio
        return [
            ("zero errors", errors == 0, f"{errors:,}"),
            (f"same-word neighbors p95 < {SAME_WORD_P95_MS:.0f} ms (mixed load)",
             p95 < SAME_WORD_P95_MS,
             f"{p95:.1f} ms"),
            (f"context micro-batching >= {BATCHING_RATIO:.0f}x one at a time",
             ratio >= BATCHING_RATIO, f"{ratio:.1f}x"),
            (f"memory flat (not file-backed: end within {MEMORY_SLACK:.0%} of start)", flat,
             f"not file-backed {anon:+,.0f} MiB; with the index's mapped pages {growth:+,.0f}"
             " MiB"),
        ]  # fmt: skip


async def measure(index: Path, workload: Workload, args: argparse.Namespace) -> Results:
    """Mixed, then context-only load on a default server; context-only load on a server that
    embeds each context sentence alone."""
    log, clients = args.logs / "serve-default.log", args.clients
    with serving(index, log, args.workers, args.batch_window_ms) as server:
        memory = {"cold": rss_tree(server.pid) / MIB, "cold_anon": anon(server.pid)}
        await warm_up(server, workload, list(MIXED))
        phase = Phase("warm-up", MIXED, args.warmup_seconds, 9)
        await load(server, workload, phase, clients)
        memory["start"], memory["start_anon"] = rss_tree(server.pid) / MIB, anon(server.pid)
        mixed = await load(server, workload, Phase("mixed", MIXED, args.seconds, 0), clients)
        memory["after_mixed"] = rss_tree(server.pid) / MIB
        phase = Phase("context, batched", CONTEXT_ONLY, args.batch_seconds, 1)
        batched = await load(server, workload, phase, clients)
        phase = Phase("same-word only", SAME_WORD_ONLY, args.batch_seconds, 2)
        same_word = await load(server, workload, phase, clients)
        memory["end"], memory["end_anon"] = rss_tree(server.pid) / MIB, anon(server.pid)
    memory["peak"] = max(mixed.peak_rss_mib, batched.peak_rss_mib, same_word.peak_rss_mib)
    with serving(index, args.logs / "serve-one-at-a-time.log", args.workers, 0) as server:
        await warm_up(server, workload, list(CONTEXT_ONLY))
        phase = Phase("context, one at a time", CONTEXT_ONLY, args.batch_seconds, 1)
        alone = await load(server, workload, phase, clients)
    occurrences = read_complete_manifest(index).n_occurrences
    phases = (mixed, batched, alone, same_word)
    return Results(occurrences, len(workload.occurrence_ids), phases, memory)


def table(label: str, rows: Sequence[tuple[str, KindFigures]]) -> list[str]:
    lines = [
        f"| {label} | requests | errors | requests/s | p50 ms | p95 ms | p99 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in rows:
        lines.append(
            f"| {name} | {row.requests:,} | {row.errors:,} | {row.per_s:,.1f} | "
            f"{row.p50_ms:.1f} | {row.p95_ms:.1f} | {row.p99_ms:.1f} |"
        )
    return lines


def report(results: Results, window: float | None) -> list[str]:
    """The printed report: a table per phase, then memory, errors and the targets."""
    mixed, batched, alone, same_word = results.phases
    shares = ", ".join(f"{share:.0%} {kind}" for kind, share in MIXED.items())
    lines = [
        f"\n## Mixed load: {mixed.clients} clients, {mixed.seconds:.1f} s ({shares}); load "
        f"generator CPU {mixed.client_cpu:.2f} core\n",
        *table("kind", [(k.kind, k) for k in mixed.kinds] + [("all", mixed.total)]),
        f"\n## Context sentences only: {batched.clients} clients, {batched.seconds:.1f} s each;"
        f" load generator CPU {batched.client_cpu:.2f} / {alone.client_cpu:.2f} core\n",
        *table(
            "server",
            [
                (
                    f"batched (--batch-window-ms {'default' if window is None else window})",
                    batched.total,
                ),
                ("one at a time (--batch-window-ms 0)", alone.total),
            ],
        ),
        f"\nbatching: {results.batching_ratio:.1f}x the throughput of one at a time",
        f"\n## Same-word neighbors only: {same_word.clients} clients, {same_word.seconds:.1f} s\n",
        *table("kind", [(k.kind, k) for k in same_word.kinds]),
        "",
        "clients' connections held by each server process (mean over the phase): "
        + ", ".join(
            f"{phase.name} {' / '.join(f'{n:g}' for n in phase.connections) or '?'}"
            for phase in results.phases
        ),
        "last answers after the end of each phase (requests then in flight): "
        + ", ".join(f"{phase.name} {phase.drain_s:.1f} s" for phase in results.phases),
    ]
    memory = results.memory_mib
    lines.append(
        f"memory (server RSS, with its workers): {memory['cold']:,.0f} MiB before the warm-up; "
        f"start {memory['start']:,.0f} MiB, after the mixed load {memory['after_mixed']:,.0f} "
        f"MiB, end {memory['end']:,.0f} MiB, change {memory['end'] - memory['start']:+,.0f} "
        f"MiB; peak {memory['peak']:,.0f} MiB; not file-backed (RssAnon) "
        f"{memory['cold_anon']:,.0f} before the warm-up, {memory['start_anon']:,.0f} -> "
        f"{memory['end_anon']:,.0f} MiB"
    )
    errors = [phase.total.errors for phase in results.phases]
    lines.append(f"errors: {sum(errors):,} total ({', '.join(map(str, errors))} by phase)")
    for phase in results.phases:
        lines += [f"  {phase.name}: {sample}" for sample in phase.error_samples]
    lines.append("targets:")
    for name, met, figure in results.targets():
        lines.append(f"- {name}: {'met' if met else 'missed'} ({figure})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="index directory (kept)")
    parser.add_argument("--occurrences", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--warmup-seconds", type=float, default=10.0, help="not counted")
    parser.add_argument("--seconds", type=float, default=60.0, help="of the mixed load")
    parser.add_argument("--batch-seconds", type=float, default=30.0, help="of each context run")
    parser.add_argument("--workers", type=int, default=None, help="server processes")
    parser.add_argument("--batch-window-ms", type=float, default=None, help="of the default server")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()
    temporary = args.dir is None
    root = Path(tempfile.mkdtemp(prefix="serve-bench-")) if temporary else args.dir.parent
    index = root / "index" if temporary else args.dir
    index.parent.mkdir(parents=True, exist_ok=True)
    args.logs = Path(tempfile.mkdtemp(prefix="serve-bench-logs-"))
    started = time.perf_counter()
    try:
        lines = build_index(index, args.occurrences)
        contexts = generate_heldout(N_CONTEXTS, CONTEXT_SEED, exclude=lines, word=WORD)
        ids = SenseIndex.open(index).occurrence_ids(WORD).tolist()
        workload = Workload(index.name, ids, [s.text for s in contexts])
        print(f"word      {WORD!r}: {len(ids):,} stored occurrences, {len(contexts)} contexts")
        results = asyncio.run(measure(index, workload, args))
    finally:
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
    print("\n".join(report(results, args.batch_window_ms)))
    print(f"\nserver logs in {args.logs}; total {time.perf_counter() - started:.1f} s")
    if args.json:
        args.json.write_text(json.dumps(asdict(results), indent=2) + "\n")


if __name__ == "__main__":
    main()
