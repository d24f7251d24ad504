"""image-classifier: a small convolutional network (PyTorch) for images of one size: digits,
MNIST-like scans, product photos. Trains on the CPU or, on a GPU instance type, on CUDA;
checkpoints every epoch when the job asks (a killed or retried job resumes where it was).

Channels: a folder with one subfolder per class, `.npz` arrays, or a table of pixels (label +
one column per pixel, as MNIST's CSV). The deployed model takes the pixels as columns
(`pixel_0`, ..., channel-major) and answers the label.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from pydantic import Field
from sklearn.base import BaseEstimator, ClassifierMixin

from .base import TABULAR_TYPES, BaseAlgorithm, Dataset, Fitted, Hyperparameters, LogMetric, tunable
from .data import IMAGE_SHAPE, IMAGE_TYPE
from .tabular import classification_metrics, score_channels
from .torch_support import EpochLoop, TorchPredictor, device, group, state_arrays


class ImageClassifierHyperparameters(Hyperparameters):
    epochs: int = Field(default=15, ge=1, le=500, description="passes over the training images")
    mini_batch_size: int = Field(default=64, ge=1, le=4096, json_schema_extra=tunable(16, 256, "Logarithmic"))
    learning_rate: float = Field(default=2e-3, gt=0, le=1, description="Adam's step size",
                                 json_schema_extra=tunable(1e-4, 1e-2, "Logarithmic"))
    weight_decay: float = Field(default=1e-4, ge=0, le=1, json_schema_extra=tunable(1e-6, 1e-2, "Logarithmic"))
    augmentation: bool = Field(default=True, description="shift each training image by up to 1/8 of its size")
    image_shape: str | None = Field(default=None, pattern=r"^\d{1,4},\d{1,5},\d{1,5}$",
                                    description="channels,height,width of a pixel table (default: from the "
                                                "images; a square grayscale or RGB image for a table)")
    early_stopping_patience: int | None = Field(default=5, ge=1, le=500,
                                                description="stop when the validation loss has not improved for "
                                                            "this many epochs (needs a validation channel)")
    seed: int = Field(default=0, ge=0)


def build_cnn(channels: int, classes: int) -> Any:
    from torch import nn

    def block(cin: int, cout: int) -> list[Any]:
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]

    return nn.Sequential(*block(channels, 32), *block(32, 32), nn.MaxPool2d(2, ceil_mode=True),
                         *block(32, 64), *block(64, 64), nn.AdaptiveAvgPool2d(4), nn.Flatten(),
                         nn.Dropout(0.3), nn.Linear(64 * 16, 128), nn.ReLU(), nn.Dropout(0.3),
                         nn.Linear(128, classes))


class ImageClassifierModel(TorchPredictor, ClassifierMixin, BaseEstimator):
    """The fitted network: pixels (one row per image) -> label."""

    def __init__(self, shape: tuple[int, int, int] = (1, 1, 1), classes: Any = None, scale: float = 1.0,
                 weights: dict[str, Any] | None = None):
        self.shape, self.classes, self.scale, self.weights = shape, classes, scale, weights or {}
        if classes is not None:
            self.classes_ = np.asarray(classes)

    def build_net(self) -> Any:
        return build_cnn(self.shape[0], len(self.classes_))

    def predict_proba(self, x: Any) -> Any:
        import torch

        pixels = np.asarray(x, dtype=np.float32).reshape(-1, *self.shape) / self.scale
        with torch.no_grad():
            return torch.softmax(self.net()(torch.from_numpy(pixels)), dim=1).numpy()

    def predict(self, x: Any) -> Any:
        return self.classes_[self.predict_proba(x).argmax(axis=1)]


def image_shape(x: Any, given: str | None, source: str) -> tuple[int, int, int]:
    """(channels, height, width): as given, else from the images, else a square gray or RGB image."""
    features = x.shape[1]
    if given:
        shape = tuple(int(v) for v in given.split(","))
        if math.prod(shape) != features:
            raise ValueError(f"hyperparameters.image_shape: {given} is {math.prod(shape)} pixels but {source} has "
                             f"{features} pixel columns")
        return shape  # type: ignore[return-value]
    if x.attrs.get(IMAGE_SHAPE):
        return tuple(x.attrs[IMAGE_SHAPE])  # type: ignore[return-value]
    for channels in (1, 3):
        side = math.isqrt(features // channels)
        if channels * side * side == features:
            return (channels, side, side)
    raise ValueError(f"{source}: {features} pixel columns are not a square image; give hyperparameters.image_shape "
                     "(channels,height,width)")


def shifted(batch: Any, generator: Any) -> Any:
    """Each image moved by up to 1/8 of its size (zeros come in at the edges)."""
    import torch
    import torch.nn.functional as F

    _n, _c, h, w = batch.shape
    pad = max(1, min(h, w) // 8)
    padded = F.pad(batch, (pad, pad, pad, pad))
    offsets = torch.randint(0, 2 * pad + 1, (len(batch), 2), generator=generator).tolist()
    return torch.stack([padded[i, :, dy:dy + h, dx:dx + w] for i, (dy, dx) in enumerate(offsets)])


class ImageClassifier(BaseAlgorithm):
    name = "image-classifier"
    title = "Image classifier"
    use_case = "image"
    problem_types = ("binary", "multiclass")
    description = ("A small convolutional network (PyTorch, batch norm, dropout, shift augmentation) for images of "
                   "one size; the validation loss and accuracy are logged every epoch. CUDA on a GPU instance type; "
                   "checkpoints every epoch when the job asks.")
    Hyperparameters = ImageClassifierHyperparameters
    content_types = [IMAGE_TYPE, "application/x-npz", *TABULAR_TYPES]
    metrics = (*(m for c in ("train", "validation", "test") for m in classification_metrics(c)),)
    inference = {"request": 'the pixels as columns pixel_0, ... (channel-major), e.g. {"dataframe_split": '
                            '{"columns": ["pixel_0", ...], "data": [[0, 3, ...]]}}, or CSV rows',
                 "response": '{"predictions": [label, ...]}'}
    supports_gpu = True
    supports_distributed = True

    def fit(self, hp: Any, data: dict[str, Dataset], log_metric: LogMetric) -> Fitted:
        import torch
        import torch.nn.functional as F

        train = data["train"]
        shape = image_shape(train.x, hp.image_shape, train.source)
        for dataset in data.values():
            # Pixels are numbers of any kind: the model (and its signature) takes doubles, so a
            # request may send 0-255 integers or scaled floats alike.
            dataset.x = dataset.x.astype("float64")
        classes, codes = np.unique(np.asarray(train.y), return_inverse=True)
        if len(classes) < 2:
            raise ValueError(f"{train.source}: the label has one class ({classes[0]!r}); a classifier needs two or more")
        pixels = train.x.to_numpy(dtype=np.float32)
        scale = float(max(pixels.max(), 1.0))
        on, ranks = device(), group()
        batch_size = ranks.batch_size(hp.mini_batch_size)
        torch.manual_seed(hp.seed)
        generator = torch.Generator().manual_seed(hp.seed)
        x = torch.from_numpy(pixels.reshape(-1, *shape) / scale)
        y = torch.from_numpy(codes.astype(np.int64))
        validation = data.get("validation")
        val_x = val_y = None
        if validation is not None and validation.y is not None:
            known = np.isin(np.asarray(validation.y), classes)
            val_x = torch.from_numpy(validation.x.to_numpy(dtype=np.float32)[known].reshape(-1, *shape) / scale).to(on)
            val_y = torch.from_numpy(np.searchsorted(classes, np.asarray(validation.y)[known]).astype(np.int64)).to(on)
        net = build_cnn(shape[0], len(classes)).to(on)
        optimizer = torch.optim.AdamW(net.parameters(), lr=hp.learning_rate, weight_decay=hp.weight_decay)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=hp.learning_rate, epochs=hp.epochs,
                                                       steps_per_epoch=math.ceil(len(ranks.shard(range(len(x)))) / batch_size))
        loop = EpochLoop(hp.epochs, hp.early_stopping_patience,
                         {"net": net, "optimizer": optimizer, "schedule": schedule, "generator": generator})
        for epoch in loop.epochs():
            started = time.monotonic()
            net.train()
            order = ranks.shard(torch.randperm(len(x), generator=generator))
            total = 0.0
            for start in range(0, len(order), batch_size):
                index = order[start:start + batch_size]
                batch = x[index]
                if hp.augmentation:
                    batch = shifted(batch, generator)
                optimizer.zero_grad()
                loss = F.cross_entropy(net(batch.to(on)), y[index].to(on))
                loss.backward()
                ranks.average_gradients(net)
                optimizer.step()
                if schedule.last_epoch + 1 < schedule.total_steps:
                    schedule.step()
                total += loss.item() * len(index)
            ranks.average_buffers(net)
            train_loss = ranks.mean(total / len(order))
            log_metric("train:loss", train_loss, epoch)
            line = f"[train] epoch {epoch}/{hp.epochs}: train loss {train_loss:.4f}"
            if val_x is not None and len(val_x):
                net.eval()
                with torch.no_grad():
                    logits = torch.cat([net(val_x[i:i + 1024]) for i in range(0, len(val_x), 1024)])
                line += loop.validated_classifier(logits, val_y, log_metric)
            print(f"{line} ({time.monotonic() - started:.1f} s)", flush=True)
        loop.restore_best()
        model = ImageClassifierModel(shape, classes, scale, state_arrays(net))
        kind = "binary" if len(classes) == 2 else "multiclass"
        return Fitted(model, score_channels(model, data, kind, log_metric, step=loop.epoch), kind)
