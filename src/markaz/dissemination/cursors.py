"""Stateless, signed page cursors: they survive restarts and work across processes."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import orjson

from markaz.errors import InvalidInput


class CursorCodec:
    def __init__(self, secret: str, purpose: str) -> None:
        self._key = hashlib.sha256(f"{purpose}:{secret}".encode()).digest()

    def encode(self, state: dict[str, Any]) -> str:
        payload = orjson.dumps(state, option=orjson.OPT_SORT_KEYS)
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(payload + mac).decode().rstrip("=")

    def decode(self, cursor: str) -> dict[str, Any]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            payload, mac = raw[:-12], raw[-12:]
            if not hmac.compare_digest(mac, hmac.new(self._key, payload, hashlib.sha256).digest()[:12]):
                raise ValueError
            state = orjson.loads(payload)
            if not isinstance(state, dict):
                raise ValueError
            return state
        except (ValueError, orjson.JSONDecodeError):
            raise InvalidInput(
                "cursor is not valid: pass the next_cursor value of a previous page unchanged",
                field="cursor",
            ) from None
