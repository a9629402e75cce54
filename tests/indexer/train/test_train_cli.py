"""`indexer train` through the real `indexer` app: a micro preset file, resume, user errors."""

from __future__ import annotations

from typer.testing import CliRunner

from indexer.cli import app
from indexer.train.checkpoint import latest_checkpoint

runner = CliRunner()


MICRO_TOML = """
base = "tiny"
[model]
char_dim = 4
filters = [[1, 8], [2, 8]]
projection_dim = 16
cell_dim = 32
[train]
batch_size = 4
window = 8
heldout_sentences = 20
device = "cpu"
"""


def test_train_prints_perplexity_and_resumes(corpus, tmp_path):
    preset = tmp_path / "micro.toml"
    preset.write_text(MICRO_TOML)
    out = tmp_path / "model"
    args = ["train", str(corpus), "--out", str(out), "--preset", str(preset)]
    result = runner.invoke(app, [*args, "--max-steps", "4", "--eval-every", "2", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "step 2/4" in result.output and "held-out perplexity" in result.output
    assert "wrote" in result.output and "4 steps" in result.output
    assert (out / "options.json").is_file() and (out / "weights.hdf5").is_file()

    # --resume without --preset takes the checkpoint's settings
    result = runner.invoke(
        app,
        [
            "train",
            str(corpus),
            "--out",
            str(out),
            "--resume",
            "--max-steps",
            "6",
            "--checkpoint-every",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "6 steps" in result.output
    latest = latest_checkpoint(out)
    assert latest is not None and latest.name == "step-000000006.pt"


def test_user_errors_are_one_line_and_exit_1(corpus, tmp_path):
    out = tmp_path / "model"
    result = runner.invoke(app, ["train", str(corpus), "--out", str(out), "--preset", "huge"])
    assert result.exit_code == 1
    assert result.output.startswith("error: unknown preset 'huge'")
    result = runner.invoke(app, ["train", str(tmp_path / "nope.txt"), "--out", str(out)])
    assert result.exit_code == 1 and "no such file" in result.output
    result = runner.invoke(app, ["train", str(corpus), "--out", str(out), "--resume"])
    assert result.exit_code == 1 and "no checkpoint to resume from" in result.output
    result = runner.invoke(
        app, ["train", str(corpus), "--out", str(out), "--max-steps", "3", "--epochs", "1"]
    )
    assert result.exit_code == 1 and "either max_steps or epochs" in result.output
    assert "Traceback" not in result.output
