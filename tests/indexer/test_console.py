"""Both programs report a user's mistake in one place: one line, exit status 1, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from indexer.console import INTERRUPTED, make_app
from indexer.errors import ConfigError


def run_program(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a program's real entry point, ``main()`` of ``module``, in a new interpreter."""
    code = f"import sys; from {module} import main; sys.argv[0] = 'prog'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("module", "args", "message"),
    [
        ("indexer.cli", ["info", "{missing}"], "error: {missing}: "),
        ("query.cli", ["neighbors", "--word", "bank", "--index", "{missing}"], "error: {missing}"),
        ("query.cli", ["distances", "--layers", "a,b", "x [[y]]"], "error: --layers must be"),
        ("indexer.cli", ["build", "c.txt", "--dtype", "int4"], "error: --dtype must be one of"),
    ],
)
def test_entry_points_print_one_error_line(tmp_path, module, args, message):
    missing = str(tmp_path / "nowhere")
    done = run_program(module, *[a.format(missing=missing) for a in args])
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message.format(missing=missing)), done.stderr


def test_interrupt_and_project_errors_of_any_command():
    app = make_app(help="test program")

    @app.command()
    def stop() -> None:
        raise KeyboardInterrupt

    @app.command()
    def bad(value: str = "x") -> None:
        raise ConfigError(f"value {value!r} is wrong", path="settings.toml", line=3)

    runner = CliRunner()
    stopped = runner.invoke(app, ["stop"])
    assert stopped.exit_code == INTERRUPTED == 130 and stopped.stderr == "interrupted\n"
    failed = runner.invoke(app, ["bad", "--value", "y"])
    assert failed.exit_code == 1
    assert failed.stderr == "error: settings.toml:3: value 'y' is wrong\n"
    assert failed.exception is None or isinstance(failed.exception, SystemExit)
