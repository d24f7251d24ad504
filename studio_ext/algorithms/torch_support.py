"""What the torch algorithms share: the device, checkpoints that survive a kill (xgboost keeps its
booster in the same folder), and a model that scores without a training process around it.

- Device: an instance type with GPUs (SM_NUM_GPUS > 0) trains on CUDA, or refuses when CUDA sees
  no device; there is no silent CPU fallback on a GPU type. Otherwise the CPU, with as many torch
  threads as the job's CPU set has CPUs.
- Checkpoints (SageMaker's managed-spot contract): with the job's `checkpoint: true` the studio
  sets SM_CHECKPOINT_DIR to a folder of the job that outlives its attempts. An algorithm saves its
  state there after every epoch (written to a temporary file, then renamed: a kill mid-write
  leaves the previous checkpoint whole) and the next attempt resumes from it.
- TorchPredictor: the fitted network as a scikit-learn-style estimator holding its weights as
  plain arrays; the net is rebuilt on first use, so the pickled model carries no torch objects and
  scores on the CPU of a replica.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

CHECKPOINT_FILE = "checkpoint.pt"


def device() -> Any:
    import torch

    gpus = int(os.environ.get("SM_NUM_GPUS", "0") or 0)
    if gpus > 0:
        if not torch.cuda.is_available():
            raise ValueError(f"the instance type has {gpus} GPU(s) but CUDA sees none (CUDA_VISIBLE_DEVICES="
                             f"{os.environ.get('CUDA_VISIBLE_DEVICES', '')!r}, torch {torch.__version__}); choose a "
                             "CPU instance type or a machine with a CUDA device")
        return torch.device("cuda")
    torch.set_num_threads(max(1, len(os.sched_getaffinity(0))))
    return torch.device("cpu")


class Checkpoints:
    """The algorithm's checkpoint in SM_CHECKPOINT_DIR (none when the job did not ask for one)."""

    def __init__(self, folder: str | None = None):
        folder = folder if folder is not None else os.environ.get("SM_CHECKPOINT_DIR")
        self.path = Path(folder) / CHECKPOINT_FILE if folder else None

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def load(self) -> dict[str, Any] | None:
        """The last saved state, or None (no checkpointing, or nothing saved yet)."""
        import torch

        if self.path is None or not self.path.is_file():
            return None
        # weights_only: a checkpoint holds tensors, numbers and dicts only; nothing in it executes.
        return torch.load(self.path, map_location="cpu", weights_only=True)

    def save(self, state: dict[str, Any]) -> None:
        import torch

        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".partial")
        torch.save(state, partial)
        os.replace(partial, self.path)


def state_arrays(module: Any) -> dict[str, Any]:
    """A module's weights as numpy arrays (what the pickled model keeps)."""
    return {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}


class TorchPredictor:
    """Mixin for a fitted torch model kept as arrays: subclasses build the net (`build_net`) and
    use `net()` to score. The net is rebuilt lazily and never pickled."""

    weights: dict[str, Any]

    def build_net(self) -> Any:
        raise NotImplementedError

    def net(self) -> Any:
        net = self.__dict__.get("_net")
        if net is None:
            import torch

            net = self.build_net()
            net.load_state_dict({k: torch.as_tensor(v) for k, v in self.weights.items()})
            net.eval()
            self.__dict__["_net"] = net
        return net

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_net", None)
        return state
