"""Run the local Pub/Sub service: ``python -m mats.localstack.pubsub --host 127.0.0.1 --port 8085``.

Prints one JSON line ``{"ready": true, "port": N}`` on stdout once listening (``--port 0`` picks a
free port) and logs JSON lines on stderr. SIGTERM or SIGINT stops it cleanly. With
``--data-dir DIR`` topics, subscriptions and unacknowledged messages survive a restart (see
``durable.py``); without it everything is in memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

from mats.localstack.pubsub.logs import JsonFormatter
from mats.localstack.pubsub.server import running_service


async def _serve(host: str, port: int, data_dir: Path | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with running_service(host, port, data_dir) as bound_port:
        sys.stdout.write(json.dumps({"ready": True, "port": bound_port}) + "\n")
        sys.stdout.flush()
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until a stop signal arrives."""
    parser = argparse.ArgumentParser(prog="python -m mats.localstack.pubsub", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8085, help="port to listen on; 0 picks one")
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    parser.add_argument("--data-dir", type=Path, help="keep state here across restarts")
    arguments = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=arguments.log_level.upper(), handlers=[handler])
    asyncio.run(_serve(arguments.host, arguments.port, arguments.data_dir))


if __name__ == "__main__":
    main()
