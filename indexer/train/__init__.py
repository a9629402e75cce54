"""Train an ELMo biLM on a corpus and write it in the official allennlp layout."""

from indexer.train.config import PRESETS, Preset, TrainConfig, get_preset, load_preset_file
from indexer.train.outputs import EvalRecord
from indexer.train.resume import resume_preset
from indexer.train.trainer import TrainResult, train

__all__ = [
    "PRESETS",
    "EvalRecord",
    "Preset",
    "TrainConfig",
    "TrainResult",
    "get_preset",
    "load_preset_file",
    "resume_preset",
    "train",
]
