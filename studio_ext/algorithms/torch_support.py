"""What the torch algorithms share: the device, checkpoints that survive a kill (xgboost keeps its
booster in the same folder), and a model that scores without a training process around it.

- Device: an instance type with GPUs (SM_NUM_GPUS > 0) trains on CUDA, or refuses when CUDA sees
  no device; there is no silent CPU fallback on a GPU type. Otherwise the CPU, with as many torch
  threads as the job's CPU set has CPUs (or fewer, where the algorithm says so).
- Checkpoints (SageMaker's managed-spot contract): with the job's `checkpoint: true` the studio
  sets SM_CHECKPOINT_DIR to a folder of the job that outlives its attempts. EpochLoop saves the
  state there after every epoch (written to a temporary file, then renamed: a kill mid-write
  leaves the previous checkpoint whole) and the next attempt resumes from it.
- Distributed (`instance_count > 1`): every rank of the job's group (runner/group.py) runs the
  same training on its share of each epoch's batches; ProcessGroup averages the gradients across
  ranks after every backward pass, so all ranks hold the same weights, and rank 0 alone logs
  metrics, saves checkpoints and logs the model.
- TorchPredictor: the fitted network as a scikit-learn-style estimator holding its weights as
  plain arrays; the net is rebuilt on first use, so the pickled model carries no torch objects and
  scores on the CPU of a replica.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

CHECKPOINT_FILE = "checkpoint.pt"


def device(max_threads: int | None = None) -> Any:
    """CUDA on a GPU instance type (or a refusal), else the CPU with a torch thread per CPU of the
    job's CPU set, at most `max_threads`: a model whose steps are small (a few thousand embedding
    rows) gains nothing from more, and on a busy machine each step waits for every thread."""
    import torch

    gpus = int(os.environ.get("SM_NUM_GPUS", "0") or 0)
    if gpus > 0:
        if not torch.cuda.is_available():
            raise ValueError(f"the instance type has {gpus} GPU(s) but CUDA sees none (CUDA_VISIBLE_DEVICES="
                             f"{os.environ.get('CUDA_VISIBLE_DEVICES', '')!r}, torch {torch.__version__}); choose a "
                             "CPU instance type or a machine with a CUDA device")
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))  # one GPU per rank of a group
        index = local_rank % torch.cuda.device_count()
        torch.cuda.set_device(index)
        print(f"[train] device cuda:{index} ({torch.cuda.get_device_name(index)})", flush=True)
        return torch.device("cuda", index)
    threads = len(os.sched_getaffinity(0))
    torch.set_num_threads(max(1, min(threads, max_threads) if max_threads else threads))
    return torch.device("cpu")


class ProcessGroup:
    """This process's place in its job's group: rank `rank` of `world` (1 and 0 outside a
    distributed job, where every method is a no-op). Built once per process by `group()`."""

    def __init__(self) -> None:
        self.world = int(os.environ.get("WORLD_SIZE", "1") or 1)
        self.rank = int(os.environ.get("RANK", "0") or 0)
        if self.world > 1:
            import torch
            import torch.distributed as dist

            if not dist.is_initialized():
                dist.init_process_group("nccl" if torch.cuda.is_available() and
                                        int(os.environ.get("SM_NUM_GPUS", "0") or 0) > 0 else "gloo")

    @property
    def main(self) -> bool:
        """Rank 0: the one that logs, checkpoints and keeps the model."""
        return self.rank == 0

    def shard(self, order: Any) -> Any:
        """This rank's share of an epoch's shuffled indices (the same permutation on every rank):
        equal shares, so every rank takes the same number of steps (a collective waits for all)."""
        if self.world == 1:
            return order
        return order[self.rank:len(order) - len(order) % self.world:self.world]

    def batch_size(self, size: int) -> int:
        """This rank's share of a mini-batch: the hyperparameter is the group's batch, so a step
        (and an epoch) learns what it would on one instance, only computed in parallel."""
        return max(1, size // self.world)

    def average_gradients(self, module: Any) -> None:
        """After backward: every parameter's gradient averaged over the ranks (one all-reduce)."""
        if self.world == 1:
            return
        import torch
        import torch.distributed as dist

        grads = [p.grad for p in module.parameters() if p.grad is not None]
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= self.world
        offset = 0
        for grad in grads:
            grad.copy_(flat[offset:offset + grad.numel()].view_as(grad))
            offset += grad.numel()

    def average_buffers(self, module: Any) -> None:
        """Floating buffers (batch norm's running statistics) averaged over the ranks."""
        if self.world == 1:
            return
        import torch.distributed as dist

        for buffer in module.buffers():
            if buffer.is_floating_point():
                dist.all_reduce(buffer)
                buffer /= self.world

    def mean(self, value: float) -> float:
        """A number each rank measured on its share (its loss), averaged over the ranks."""
        if self.world == 1:
            return value
        import torch
        import torch.distributed as dist

        tensor = torch.tensor([value], dtype=torch.float64)
        dist.all_reduce(tensor)
        return float(tensor.item()) / self.world

    def agree(self, value: float) -> float:
        """Rank 0's value on every rank (a validation loss decides early stopping alike everywhere)."""
        if self.world == 1:
            return value
        import torch
        import torch.distributed as dist

        tensor = torch.tensor([value], dtype=torch.float64)
        dist.broadcast(tensor, 0)
        return float(tensor.item())

    def close(self) -> None:
        if self.world > 1:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()


_group: ProcessGroup | None = None


def group() -> ProcessGroup:
    global _group
    if _group is None:
        _group = ProcessGroup()
    return _group


class Checkpoints:
    """One file of the algorithm's in SM_CHECKPOINT_DIR (no path when the job did not ask for one)."""

    def __init__(self, file: str = CHECKPOINT_FILE):
        folder = os.environ.get("SM_CHECKPOINT_DIR")
        self.path = Path(folder) / file if folder else None

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


class EpochLoop:
    """The bookkeeping around a torch algorithm's epochs: resume from the job's checkpoint, keep
    the weights of the best validation loss, stop early, save a checkpoint after every epoch, and
    put the best weights back at the end. `parts` are what a checkpoint holds besides the epoch
    and the best weights (the net, the optimizer, a scheduler, the shuffling generator): anything
    with state_dict/load_state_dict, or a torch.Generator."""

    def __init__(self, last_epoch: int, patience: int | None, parts: dict[str, Any]):
        self.last_epoch, self.patience, self.parts = last_epoch, patience, parts
        self.checkpoints = Checkpoints()
        self.group = group()
        self.best: dict[str, Any] = {"loss": math.inf, "weights": None, "bad_epochs": 0}
        self.epoch = 0  # the last epoch trained (by this attempt or, resumed, by an earlier one)
        saved = self.checkpoints.load()
        if saved is not None:
            for name, part in parts.items():
                (part.set_state if hasattr(part, "set_state") else part.load_state_dict)(saved[name])
            self.best, self.epoch = saved["best"], saved["epoch"]
            print(f"[train] resumed from the checkpoint of epoch {self.epoch}", flush=True)

    def epochs(self) -> Any:
        """The epochs left, numbered from 1; stops early once the validation loss has not improved
        for `patience` epochs."""
        while self.epoch < self.last_epoch:
            if self.patience and self.best["bad_epochs"] >= self.patience:
                print(f"[train] early stop at epoch {self.epoch}: the validation loss was best "
                      f"{self.patience} epochs ago", flush=True)
                return
            self.epoch += 1
            yield self.epoch
            if self.group.main:  # every rank holds the same state: one writes it
                self.checkpoints.save({"epoch": self.epoch, "best": self.best,
                                       **{name: part.get_state() if hasattr(part, "get_state") else part.state_dict()
                                          for name, part in self.parts.items()}})

    def validated(self, loss: float) -> None:
        """The epoch's validation loss: keep the weights if they are the best so far."""
        loss = self.group.agree(loss)
        if loss < self.best["loss"]:
            weights = {k: v.detach().cpu().clone() for k, v in self.parts["net"].state_dict().items()}
            self.best = {"loss": loss, "weights": weights, "bad_epochs": 0}
        else:
            self.best["bad_epochs"] += 1

    def validated_classifier(self, logits: Any, labels: Any, log_metric: Any) -> str:
        """A classifier's epoch on its validation set: the loss and accuracy logged at this epoch,
        the loss taken as `validated` takes it; the log line's part that says so."""
        import torch.nn.functional as F

        loss = float(F.cross_entropy(logits, labels))
        accuracy = float((logits.argmax(1) == labels).float().mean())
        log_metric("validation:loss", loss, self.epoch)
        log_metric("validation:accuracy", accuracy, self.epoch)
        self.validated(loss)
        return f", validation loss {loss:.4f}, accuracy {accuracy:.4f}"

    def restore_best(self) -> None:
        if self.best["weights"] is not None:
            self.parts["net"].load_state_dict(self.best["weights"])


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
