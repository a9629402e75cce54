"""Fetch a registry model's files into the local cache: resumable, checksummed, atomic."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import urllib.error
import urllib.request
from http.client import HTTPException, HTTPResponse
from pathlib import Path

from tqdm import tqdm

from indexer.encoder.registry import SHA256_PATTERN, ModelEntry, ModelFile
from indexer.errors import DownloadError, ModelNotFoundError
from indexer.files import publish, sha256_file, write_text_atomic

logger = logging.getLogger(__name__)

CACHE_ENV = "ELMO_INDEX_CACHE"
"""Environment variable naming the cache directory (default: the XDG cache, ``elmo-index``)."""

_CHUNK = 1 << 20
_USER_AGENT = "elmo-sense-index"
_OFFLINE_HINT = (
    "you are offline or the server is down; "
    "pass a local model directory with --model PATH or --model demo"
)
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


def cache_dir() -> Path:
    """``$ELMO_INDEX_CACHE``, else ``$XDG_CACHE_HOME/elmo-index``, else ``~/.cache/elmo-index``."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "elmo-index"


def model_dir(entry: ModelEntry, cache: Path | None = None) -> Path:
    """Where ``entry`` lives: its own directory for a ``path`` entry, else ``<cache>/<name>``."""
    local = entry.local_dir
    if local is not None:
        return local
    return (cache if cache is not None else cache_dir()) / entry.name


def is_downloaded(entry: ModelEntry, cache: Path | None = None) -> bool:
    """Whether every file of ``entry`` is in the cache (or its directory exists); not verified."""
    directory = model_dir(entry, cache)
    if entry.local_dir is not None:
        return directory.is_dir()
    return all((directory / file.name).is_file() for file in entry.files)


def resolve_cached(entry: ModelEntry, cache: Path | None = None) -> Path | None:
    """The model directory when every file is present and verified, else None (no network).

    A file is verified when its sha256 matches the registry's checksum or, when the registry has
    none, the digest recorded at its first download.
    """
    directory = model_dir(entry, cache)
    if entry.local_dir is not None:
        return directory if directory.is_dir() else None
    for file in entry.files:
        if not _is_verified(directory / file.name, file):
            return None
    return directory


def download_model(
    entry: ModelEntry,
    *,
    cache: Path | None = None,
    progress: bool = False,
    timeout: float = 60.0,
) -> Path:
    """Make ``entry`` available locally and return its directory.

    Files already present and verified are kept; the others are downloaded to ``<file>.part``
    (resuming a partial one with an HTTP Range request), checked, then renamed into place. A
    ``path`` entry is returned as it is, never downloaded. Raises :class:`DownloadError`.
    """
    directory = model_dir(entry, cache)
    if entry.local_dir is not None:
        if not directory.is_dir():
            raise ModelNotFoundError(
                f"model {entry.name!r} is the directory {directory}, which does not exist"
            )
        return directory
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DownloadError(
            f"cannot create the cache directory {directory}: {err.strerror}; "
            f"set {CACHE_ENV} or pass --cache-dir"
        ) from err
    for file in entry.files:
        target = directory / file.name
        if _is_verified(target, file):
            logger.debug("%s is already cached and verified", target)
            continue
        _fetch(file, target, progress=progress, timeout=timeout)
    return directory


def _record_path(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _part_path(target: Path) -> Path:
    return target.with_name(target.name + ".part")


def _expected_digest(target: Path, file: ModelFile) -> str | None:
    """The registry checksum, else the digest recorded at first download, else None."""
    if file.sha256 is not None:
        return file.sha256
    try:
        fields = _record_path(target).read_text(encoding="utf-8").split()
    except OSError:
        return None
    return fields[0].lower() if fields and SHA256_PATTERN.match(fields[0].lower()) else None


def _is_verified(target: Path, file: ModelFile) -> bool:
    if not target.is_file():
        return False
    expected = _expected_digest(target, file)
    if expected is None:
        logger.info("%s has no checksum, neither in the registry nor recorded", target)
        return False
    actual = sha256_file(target)
    if actual != expected:
        logger.warning("%s has sha256 %s, expected %s", target, actual, expected)
        return False
    return True


def _fetch(file: ModelFile, target: Path, *, progress: bool, timeout: float) -> None:
    """Download one file into ``target`` through ``<target>.part``, resuming a partial part."""
    part = _part_path(target)
    offset = part.stat().st_size if part.is_file() else 0
    response = _open(file.url, offset, timeout)
    hasher = hashlib.sha256()
    with response:
        if offset and response.status == 206:
            total = _resumed_total(file.url, response, offset)
            sha256_file(part, hasher)
            logger.info("resuming %s at byte %d", file.url, offset)
        else:
            if offset:
                logger.info("%s was not resumed at byte %d; downloading it whole", file.url, offset)
            offset = 0
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        logger.info("downloading %s to %s", file.url, target)
        size = _stream(response, file, part, offset, total, hasher, progress)
    if total is not None and size != total:
        raise DownloadError(
            f"the connection to {file.url} dropped after {size} of {total} bytes; "
            "run the command again to resume"
        )
    _finish(file, target, part, hasher.hexdigest())


def _open(url: str, offset: int, timeout: float) -> HTTPResponse:
    """GET ``url`` from byte ``offset``, or whole when the server cannot serve that range (416)."""
    headers = {"User-Agent": _USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response: HTTPResponse = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        err.close()
        if err.code == 416 and offset:  # the part is longer than the file
            return _open(url, 0, timeout)
        raise DownloadError(f"{url} answered HTTP {err.code} {err.reason}") from err
    except (OSError, HTTPException) as err:  # URLError is an OSError
        reason = getattr(err, "reason", None) or err
        raise DownloadError(f"cannot reach {url}: {reason}; {_OFFLINE_HINT}") from err
    return response


def _resumed_total(url: str, response: HTTPResponse, offset: int) -> int | None:
    match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
    if match is None or int(match.group(1)) != offset:
        raise DownloadError(
            f"{url} answered a Range request for byte {offset} with Content-Range "
            f"{response.headers.get('Content-Range')!r}; delete the .part file and run again"
        )
    return None if match.group(3) == "*" else int(match.group(3))


def _stream(
    response: HTTPResponse,
    file: ModelFile,
    part: Path,
    offset: int,
    total: int | None,
    hasher: hashlib._Hash,
    progress: bool,
) -> int:
    """Append the response body to ``part`` (truncated first when ``offset`` is 0); its size."""
    size = offset
    bar = tqdm(
        total=total,
        initial=offset,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=file.name,
        disable=not progress,
    )
    with bar, part.open("ab" if offset else "wb") as sink:
        while True:
            try:
                chunk = response.read(_CHUNK)
            except (HTTPException, OSError) as err:
                raise DownloadError(
                    f"the connection to {file.url} dropped after {size} bytes ({err}); "
                    "run the command again to resume"
                ) from err
            if not chunk:
                return size
            try:
                sink.write(chunk)
            except OSError as err:
                raise DownloadError(f"cannot write {part}: {err.strerror}") from err
            hasher.update(chunk)
            size += len(chunk)
            bar.update(len(chunk))


def _finish(file: ModelFile, target: Path, part: Path, actual: str) -> None:
    """Check the downloaded part's digest, record it on first use, and move it into place
    (both durably, ``indexer.files``)."""
    expected = _expected_digest(target, file)
    if expected is not None and actual != expected:
        part.unlink(missing_ok=True)
        source = "the registry" if file.sha256 is not None else str(_record_path(target))
        raise DownloadError(
            f"checksum mismatch for {file.url}: expected sha256 {expected} (from {source}), "
            f"got {actual}; the download was deleted"
        )
    try:
        if expected is None:
            write_text_atomic(_record_path(target), f"{actual}  {file.name}\n")
            logger.info("recorded sha256 %s of %s (trust on first use)", actual, target.name)
        publish(part, target)
    except OSError as err:  # the rename's destination where there is one, else its source
        where = err.filename2 or err.filename or target
        raise DownloadError(
            f"cannot store the download: {err.strerror or err}", path=where
        ) from err
