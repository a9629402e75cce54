"""Build an index directory from a corpus: stream, encode, write shards, index, report."""

from indexer.builder.config import BuildConfig, BuildReport
from indexer.builder.pipeline import build, run_build
from indexer.builder.progress import format_summary

__all__ = ["BuildConfig", "BuildReport", "build", "format_summary", "run_build"]
