"""Opaque `next_token`s for list calls (an offset today; clients must not parse them)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from ..exceptions import InvalidParameter


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["o"]
        if not isinstance(offset, int) or offset < 0:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError):
        raise InvalidParameter("next_token: not a token this server issued") from None



# A list answer stops adding items once this many bytes are in it (at least one item is always
# there): a page of max_items large jobs must not become a body of hundreds of MB.
LIST_BODY_BUDGET = 4 * 1024 * 1024


def split_page(rows: list, offset: int, max_items: int,
               weigh: Callable[[Any], int] | None = None) -> tuple[list, str | None]:
    """The page of `rows` (fetched with limit max_items + 1) and the token of the next page.
    With `weigh` (an item's size in bytes), the page also ends at LIST_BODY_BUDGET."""
    page, more = rows[:max_items], len(rows) > max_items
    if weigh is not None:
        total = 0
        for index, row in enumerate(page):
            total += weigh(row)
            if total > LIST_BODY_BUDGET and index > 0:
                page, more = page[:index], True
                break
    return page, encode_token(offset + len(page)) if more else None


def json_size(model: BaseModel) -> int:
    return len(model.model_dump_json())
