"""Run the simulated IB Gateway: ``python -m mats.localstack.ib_gateway --port 4002``.

Prints one JSON line ``{"ready": true, "port": N, "control_port": M}`` on stdout once both
ports listen (0 picks free ports), logs JSON lines on stderr, and stops cleanly on SIGTERM or
SIGINT. Both ports bind 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

from mats.localstack.ib_gateway.control import start_control
from mats.localstack.ib_gateway.gateway import Gateway, GatewayConfig
from mats.localstack.ib_gateway.model import Settings
from mats.logs import configure_logging


async def _serve(config: GatewayConfig, port: int, control_port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    gateway = Gateway(config)
    bound = await gateway.start(port)
    runner, bound_control = await start_control(gateway, control_port)
    try:
        ready = {"ready": True, "port": bound, "control_port": bound_control}
        ready["restored"] = gateway.restored
        sys.stdout.write(json.dumps(ready) + "\n")
        sys.stdout.flush()
        await stop.wait()
    finally:
        await runner.cleanup()
        await gateway.stop()
        logging.getLogger("mats.localstack.ib_gateway").info("stopped", extra={"event": "stopped"})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mats.localstack.ib_gateway", description=__doc__
    )
    parser.add_argument("--port", type=int, default=4002, help="TWS API port; 0 picks one")
    parser.add_argument("--control-port", type=int, default=0, help="control API port; 0 picks one")
    parser.add_argument(
        "--account",
        action="append",
        dest="accounts",
        help="managed account code (repeat for several; default DU1234567)",
    )
    parser.add_argument("--cash", type=float, default=1_000_000.0, help="starting cash per account")
    parser.add_argument("--next-valid-id", type=int, default=1, help="first order id announced")
    parser.add_argument("--default-price", type=float, default=100.0, help="price of any symbol")
    parser.add_argument(
        "--commission-per-unit", type=float, default=0.005, help="commission per share (USD)"
    )
    parser.add_argument(
        "--margin-rate", type=float, default=0.25, help="initial margin as a share of notional"
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    parser.add_argument(
        "--data-dir", type=Path, help="keep accounts, executions and prices here across restarts"
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until a stop signal arrives."""
    arguments = _parser().parse_args(argv)
    configure_logging(getattr(logging, arguments.log_level.upper(), logging.INFO))
    settings = Settings(
        default_price=arguments.default_price,
        commission_per_unit=arguments.commission_per_unit,
        initial_margin_rate=arguments.margin_rate,
        maintenance_margin_rate=arguments.margin_rate * 0.8,
    )
    config = GatewayConfig(
        accounts=arguments.accounts or ["DU1234567"],
        cash=arguments.cash,
        next_valid_id=arguments.next_valid_id,
        settings=settings,
        data_dir=arguments.data_dir,
    )
    asyncio.run(_serve(config, arguments.port, arguments.control_port))


if __name__ == "__main__":
    main()
