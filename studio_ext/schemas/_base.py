"""The base model every schema derives from, and the page size cap of list routes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

MAX_PAGE_SIZE = 1000


class _Model(BaseModel):
    # Unknown fields are an error: a typo in a request must not be silently ignored.
    model_config = ConfigDict(extra="forbid", use_enum_values=False)
