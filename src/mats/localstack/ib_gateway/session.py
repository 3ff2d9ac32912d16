"""One client connection: the handshake, the read loop and what the client subscribed to."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from itertools import count

from mats.localstack.ib_gateway.catalog import Instrument
from mats.localstack.ib_gateway.wire import (
    API_SIGN,
    SERVER_VERSION,
    Field,
    ProtocolError,
    encode_message,
    handshake_reply,
    parse_length,
    parse_version_range,
    split_fields,
)

_log = logging.getLogger(__name__)
_numbers = count(1)


class Session:
    """A connected client and its subscriptions."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        clock: Callable[[], datetime],
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._clock = clock
        self.number = next(_numbers)
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.connected_at = clock()
        self.client_id: int | None = None
        self.market_data: dict[int, Instrument] = {}
        self.positions = False
        self.account_updates: str | None = None
        self.summaries: dict[int, frozenset[str]] = {}
        self.multi_updates: dict[int, str] = {}

    @property
    def closing(self) -> bool:
        """Return whether the connection is closed or closing."""
        return self._writer.is_closing()

    def send(self, fields: list[Field]) -> None:
        """Send one message; a closing connection silently drops it, as a dead socket would."""
        if not self._writer.is_closing():
            self._writer.write(encode_message(fields))

    def close(self) -> None:
        """Close the connection (the read loop then ends)."""
        if not self._writer.is_closing():
            self._writer.close()

    async def run(self, dispatch: Callable[[Session, list[str]], None]) -> None:
        """Do the handshake, then hand every message to ``dispatch`` until the client leaves."""
        try:
            if not await self._handshake():
                return
            while True:
                length = parse_length(await self._reader.readexactly(4))
                fields = split_fields(await self._reader.readexactly(length))
                if fields:
                    dispatch(self, fields)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except ProtocolError as problem:
            _log.warning(
                "protocol error, closing",
                extra={"event": "protocol_error", "peer": self.peer, "problem": str(problem)},
            )
        finally:
            self.close()

    async def _handshake(self) -> bool:
        if await self._reader.readexactly(len(API_SIGN)) != API_SIGN:
            raise ProtocolError("the client did not open with API\\0")
        length = parse_length(await self._reader.readexactly(4))
        low, high = parse_version_range(await self._reader.readexactly(length))
        if not low <= SERVER_VERSION <= high:
            _log.warning(
                "client version range excludes the server version",
                extra={"event": "version_mismatch", "peer": self.peer, "low": low, "high": high},
            )
            return False
        self._writer.write(handshake_reply(SERVER_VERSION, self._clock()))
        _log.info(
            "handshake done",
            extra={"event": "handshake", "peer": self.peer, "server_version": SERVER_VERSION},
        )
        return True

    def to_json(self) -> dict[str, object]:
        """Describe the connection for the control API."""
        return {
            "client_id": self.client_id,
            "peer": self.peer,
            "connected_at": self.connected_at.isoformat(),
            "market_data": {
                str(req): found.local_symbol for req, found in self.market_data.items()
            },
            "positions": self.positions,
            "account_updates": self.account_updates,
        }
