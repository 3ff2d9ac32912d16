"""Start and stop the local Pub/Sub service inside a running event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from aiohttp import web

from mats.localstack.pubsub.broker import Broker
from mats.localstack.pubsub.durable import DurableState
from mats.localstack.pubsub.http import create_app

# Enough connections for several subscriptions at full push concurrency; the per-subscription
# limit in push delivery is the real bound.
_CONNECTION_LIMIT = 512


@asynccontextmanager
async def running_service(host: str, port: int, data_dir: Path | None = None) -> AsyncIterator[int]:
    """Serve Pub/Sub on ``host:port`` until the block exits; yield the bound port.

    With ``data_dir`` topics, subscriptions and unacknowledged messages are kept there and
    restored on the next start.
    """
    # One session for every push: its keep-alive pool saves a TCP handshake per delivery.
    connector = aiohttp.TCPConnector(limit=_CONNECTION_LIMIT)
    durable = DurableState(data_dir) if data_dir is not None else None
    async with aiohttp.ClientSession(connector=connector) as session:
        broker = Broker(session, durable)
        if durable is not None:
            kept = durable.open()
            broker.restore(kept.topics, kept.subscriptions, kept.messages)
        runner = web.AppRunner(create_app(broker), access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            yield _bound_port(runner, port)
        finally:
            broker.close()
            await runner.cleanup()
            if durable is not None:
                durable.close()


def _bound_port(runner: web.AppRunner, requested: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return requested
