"""Window frames (numpy type ids) to model inputs: unique tokens' characters, index, classes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor


@dataclass
class WindowTensors:
    """``chars`` (U, 50): character ids of the window's distinct tokens; ``index`` (2, B, T):
    position -> row of ``chars``; ``targets`` (2, B, T): softmax classes."""

    chars: Tensor
    index: Tensor
    targets: Tensor

    @property
    def n_positions(self) -> int:
        """Stream positions covered (each read by both directions)."""
        return int(self.index.shape[1] * self.index.shape[2])


def window_tensors(
    inputs: npt.NDArray[np.int64],
    targets: npt.NDArray[np.int64],
    char_table: npt.NDArray[np.int16],
    classes: npt.NDArray[np.int64],
    device: torch.device,
) -> WindowTensors:
    """Model inputs of one window of type ids ``inputs`` / ``targets`` (2, B, T)."""
    unique, inverse = np.unique(inputs, return_inverse=True)
    return WindowTensors(
        chars=torch.from_numpy(char_table[unique].astype(np.int64)).to(device),
        index=torch.from_numpy(inverse.reshape(inputs.shape).astype(np.int64)).to(device),
        targets=torch.from_numpy(classes[targets]).to(device),
    )
