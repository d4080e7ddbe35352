"""uvicorn's HTTP protocol with limits it lacks: header size, and deadlines for slow clients.

uvicorn (httptools) has no limit on the size of request headers and no timeout while a
request is being received: a client that sends its headers one byte every few seconds
("slowloris") holds a connection for ever. `markaz serve` runs this subclass instead:

- the request line and headers must arrive within `header_timeout` seconds of the
  connection opening (or of the first byte of the next request on a kept-alive connection),
  and may total at most `max_header_bytes` (larger: 431);
- the body must have arrived within `body_timeout` seconds of the headers;
- a client too slow gets 408 and the connection is closed.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from markaz.settings import Settings


class _HeadersTooLarge(Exception):
    pass


def _plain_response(status: bytes, message: bytes) -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"connection: close\r\ncontent-length: " + str(len(message)).encode() + b"\r\n\r\n" + message
    )


class GuardedHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol plus header-size and receive deadlines (limits set by configure())."""

    max_header_bytes: ClassVar[int] = 16 * 1024
    header_timeout: ClassVar[float] = 10.0
    body_timeout: ClassVar[float] = 60.0

    @classmethod
    def configure(cls, settings: Settings) -> None:
        # Class attributes, because uvicorn builds one protocol object per connection itself;
        # each server process configures its own copy (markaz serve, app_from_environment).
        cls.max_header_bytes = settings.max_header_bytes
        cls.header_timeout = settings.header_timeout_seconds
        cls.body_timeout = settings.body_timeout_seconds

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._header_bytes = 0
        self._refused = False

    # Deadlines

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(
                _plain_response(b"408 Request Timeout", b"the request did not arrive in time")
            )
        if self.cycle is not None:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    # Parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        if self._deadline is None:
            self._arm(self.header_timeout)

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.max_header_bytes:
            self._refused = True
            raise _HeadersTooLarge

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._arm(self.body_timeout)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        # The parser reports a callback's exception as a malformed request; say what it was.
        if not self._refused:
            super().send_400_response(msg)
            return
        self._disarm()
        self.transport.write(
            _plain_response(
                b"431 Request Header Fields Too Large",
                f"the request line and headers exceed {self.max_header_bytes} bytes".encode(),
            )
        )
        self.transport.close()
