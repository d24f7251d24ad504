"""Opaque `next_token`s for list calls (an offset today; clients must not parse them)."""

from __future__ import annotations

import base64
import binascii
import json

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



def split_page(rows: list, offset: int, max_items: int) -> tuple[list, str | None]:
    if len(rows) > max_items:
        return rows[:max_items], encode_token(offset + max_items)
    return rows, None
