"""What the text algorithms share: the text column, the tokens of a text, the vocabulary."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from .base import Dataset

# Words and punctuation marks, lower-cased: "Not bad!" -> not, bad, ! (fastText's usual
# preprocessing; a "!" or a "?" carries sentiment in short reviews).
TOKEN = re.compile(r"\w+|[^\w\s]")


def tokenize(text: Any) -> list[str]:
    return TOKEN.findall(text.lower()) if isinstance(text, str) else []


def text_column(train: Dataset, given: str | None) -> str:
    """The column named by `hyperparameters.text_column`, else the only text column."""
    if given is not None:
        if given not in train.x.columns:
            raise ValueError(f"hyperparameters.text_column: {train.source} has no column {given!r}")
        return given
    texts = [c for c in train.x.columns if train.x[c].dtype.kind in "OU" or str(train.x[c].dtype) == "string"]
    if len(texts) != 1:
        raise ValueError(f"{train.source}: {len(texts)} text columns ({', '.join(texts[:5])}); name the one to "
                         "use with hyperparameters.text_column")
    return texts[0]


def vocabulary(documents: Iterable[list[str]], min_count: int) -> tuple[list[str], list[int]]:
    """The words seen at least `min_count` times, most frequent first, and their counts."""
    counts = Counter(word for document in documents for word in document)
    kept = sorted(((w, c) for w, c in counts.items() if c >= min_count), key=lambda wc: (-wc[1], wc[0]))
    return [w for w, _ in kept], [c for _, c in kept]
