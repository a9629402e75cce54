"""Both programs' help, as a user reads it: plain text that shows what to type, brackets and all."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from indexer.cli import app as indexer_app
from query.cli import app as query_app

runner = CliRunner()
PROGRAMS = {"indexer": indexer_app, "query": query_app}


def command_paths(program: str) -> list[tuple[str, ...]]:
    """Every command and subcommand of a program, as the words typed after its name."""
    found: list[tuple[str, ...]] = [()]

    def walk(command: Any, path: tuple[str, ...]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            found.append((*path, name))
            walk(sub, (*path, name))

    walk(typer.main.get_command(PROGRAMS[program]), ())
    return found


EVERY = [(program, path) for program in PROGRAMS for path in command_paths(program)]


def help_text(program: str, *path: str) -> str:
    result = runner.invoke(
        PROGRAMS[program], [*path, "--help"], prog_name=program, env={"COLUMNS": "100"}
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def flat(text: str) -> str:
    """The help with its line breaks and indentation as single spaces."""
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize(("program", "path"), EVERY, ids=[" ".join((n, *p)) for n, p in EVERY])
def test_every_help_shows_what_to_type(program, path):
    text = help_text(program, *path)
    usage = text.splitlines()[0]
    assert usage.startswith(f"Usage: {' '.join((program, *path))} [OPTIONS]"), usage
    assert "{" not in usage and "<" not in usage
    for hidden in ("<bool>", "<list[", "╭", "│"):
        assert hidden not in text, (hidden, text)
    # a flag takes no value; an option that takes one shows a single value's type
    for line in text.splitlines():
        if re.match(r"\s+--[\w-]+ / --no-[\w-]+", line):
            assert "<" not in line.split("  ")[1], line


def test_brackets_in_help_are_shown():
    assert "(needs the [sql] extra)" in flat(help_text("query", "neighbors"))
    assert "([[w]] marks it)" in flat(help_text("query", "neighbors"))
    assert "([[w]] marks it)" in flat(help_text("query", "senses"))
    assert "[[word]] marks it where it repeats" in flat(help_text("query", "distances"))
    assert "pip install 'elmo-sense-index[serve]'" in help_text("query", "serve")
    assert "[default: 2]" in flat(help_text("query", "neighbors"))


def test_arguments_are_named_as_typed():
    build = help_text("indexer", "build")
    assert build.splitlines()[0] == "Usage: indexer build [OPTIONS] CORPUS..."
    assert re.search(r"^  CORPUS\.\.\.  Tokenized corpus", build, re.MULTILINE)
    distances = help_text("query", "distances")
    assert distances.splitlines()[0] == "Usage: query distances [OPTIONS] [SENTENCES...]"
    assert re.search(r"^  --occurrence <int>  A stored occurrence", distances, re.MULTILINE)
    assert (
        help_text("indexer", "info").splitlines()[0] == "Usage: indexer info [OPTIONS] [INDEX_DIR]"
    )
    assert help_text("indexer", "models", "download").splitlines()[0].endswith("[OPTIONS] NAME")
    senses = flat(help_text("query", "senses"))
    assert "--assignments Write every occurrence's sense" in senses
    assert "--fields <str> Sentence or document fields to add as columns" in senses


@pytest.mark.parametrize(
    ("module", "args", "shown"),
    [
        ("query.cli", ["serve", "--help"], "pip install 'elmo-sense-index[serve]'"),
        ("indexer.cli", ["build", "--help"], "Usage: prog build [OPTIONS] CORPUS..."),
    ],
)
def test_the_programs_print_the_same_help_on_a_terminal(module, args, shown):
    code = f"import sys; from {module} import main; sys.argv[0] = 'prog'; main()"
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm-256color", "FORCE_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    assert shown in done.stdout
    assert "╭" not in done.stdout and "\x1b[" not in done.stdout
