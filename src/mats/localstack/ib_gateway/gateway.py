"""The simulated gateway: the listening socket, connected clients, event routing and faults."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
import os
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mats.localstack.ib_gateway import messages, publish
from mats.localstack.ib_gateway.catalog import Catalog
from mats.localstack.ib_gateway.engine import Engine
from mats.localstack.ib_gateway.events import (
    Event,
    Identity,
    OrderError,
    OrderUpdate,
    PositionChanged,
    WhatIfResult,
)
from mats.localstack.ib_gateway.handlers import dispatch
from mats.localstack.ib_gateway.ledger import Ledger
from mats.localstack.ib_gateway.messages import TickType
from mats.localstack.ib_gateway.model import Settings
from mats.localstack.ib_gateway.order_messages import (
    commission_report,
    execution_details,
    open_order,
    order_status,
)
from mats.localstack.ib_gateway.persistence import GatewayStateFile
from mats.localstack.ib_gateway.prices import PriceBook
from mats.localstack.ib_gateway.session import Session

_log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
# Real gateways report their data farms on every connection; clients see these as warnings.
FARM_NOTICES = (
    (2104, "Market data farm connection is OK:usfarm"),
    (2106, "HMDS data farm connection is OK:ushmds"),
    (2158, "Sec-def data farm connection is OK:secdefnj"),
)
CONNECTIVITY_MESSAGES = {
    1100: "Connectivity between IB and Trader Workstation has been lost.",
    1101: "Connectivity between IB and Trader Workstation has been restored - data lost.",
    1102: "Connectivity between IB and Trader Workstation has been restored - data maintained.",
    2110: "Connectivity between Trader Workstation and server is broken. It will be restored "
    "automatically.",
}
CLIENT_ID_IN_USE = (
    326,
    "Unable to connect as the client id is already in use. Retry with a unique client id.",
)
QUOTE_SIZE = 100.0
_HOUSEKEEPING_SECONDS = 0.05


def utc_now() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass
class GatewayConfig:
    """What the gateway starts with."""

    accounts: list[str] = field(default_factory=lambda: ["DU1234567"])
    cash: float = 1_000_000.0
    next_valid_id: int = 1
    settings: Settings = field(default_factory=Settings)
    data_dir: Path | None = None  # Where accounts, executions and prices outlive the process.


class Gateway:
    """Serve the TWS API on loopback over a simulated broker."""

    def __init__(self, config: GatewayConfig, clock: Callable[[], datetime] = utc_now) -> None:
        self.config = config
        self.clock = clock
        self.settings = config.settings
        self._initial_settings = copy.deepcopy(config.settings)
        self.prices = PriceBook(self.settings.default_price)
        self.catalog = Catalog(clock().date())
        self.ledger = Ledger(config.accounts, config.cash, self.settings, self.prices.price_of)
        started = int(time.time())
        self.engine = Engine(
            catalog=self.catalog,
            ledger=self.ledger,
            prices=self.prices,
            settings=self.settings,
            clock=clock,
            schedule=self._schedule,
            emit=self._route,
            # Distinct per process start so executions of two runs never share an execId.
            identity=Identity(
                perm_id_base=100_000_000 + (started % 1_000_000) * 1_000,
                exec_id_token=f"{(started ^ (os.getpid() << 16)) & 0xFFFFFFFF:08x}",
            ),
            next_valid_id=config.next_valid_id,
        )
        self._kept = (
            GatewayStateFile(
                config.data_dir,
                ledger=self.ledger,
                engine=self.engine,
                prices=self.prices,
                settings=self.settings,
                catalog=self.catalog,
            )
            if config.data_dir is not None
            else None
        )
        self.restored = self._kept.restore() if self._kept is not None else False
        self.clients: dict[int, Session] = {}
        self._sessions: set[Session] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self._port = 0
        self.restarting = False

    @property
    def port(self) -> int:
        """Return the API port (chosen by the system if 0 was asked for)."""
        return self._port

    async def start(self, port: int) -> int:
        """Listen on loopback ``port`` (0 picks one) and return the bound port."""
        self._port = port
        await self._listen()
        self._spawn(self._housekeeping())
        return self._port

    async def stop(self) -> None:
        """Stop listening, close every connection and wait for background work to end."""
        await self._close_listener()
        self.drop_all()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, LOOPBACK, self._port, reuse_address=True
        )
        self._port = int(self._server.sockets[0].getsockname()[1])
        _log.info("listening", extra={"event": "listening", "port": self._port})

    async def _close_listener(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _schedule(self, delay: float, callback: Callable[[], None]) -> object:
        return asyncio.get_running_loop().call_later(delay, callback)

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(_HOUSEKEEPING_SECONDS)
            now = self.clock()
            self.catalog.set_today(now.date())
            try:
                self.engine.expire(now)
            except Exception:
                # Keep expiring later orders even if one sweep hits a simulator bug.
                _log.exception("expiry sweep failed", extra={"event": "housekeeping_failed"})

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = Session(reader, writer, self.clock)
        self._sessions.add(session)
        _log.info("client connected", extra={"event": "connected", "peer": session.peer})
        try:
            await session.run(lambda current, fields: dispatch(self, current, fields))
        finally:
            self._sessions.discard(session)
            if session.client_id is not None and self.clients.get(session.client_id) is session:
                del self.clients[session.client_id]
            _log.info(
                "client disconnected",
                extra={
                    "event": "disconnected",
                    "peer": session.peer,
                    "client_id": session.client_id,
                },
            )

    def start_api(self, session: Session, client_id: int) -> None:
        """Bind a connection to its client id, or refuse it with 326 if the id is taken."""
        holder = self.clients.get(client_id)
        if holder is not None and not holder.closing:
            code, message = CLIENT_ID_IN_USE
            session.send(messages.error(-1, code, message))
            session.close()
            _log.warning(
                "client id already in use",
                extra={"event": "client_id_in_use", "client_id": client_id, "peer": session.peer},
            )
            return
        session.client_id = client_id
        self.clients[client_id] = session
        session.send(messages.managed_accounts(self.ledger.codes))
        session.send(messages.next_valid_id(self.engine.next_valid_id))
        for code, message in FARM_NOTICES:
            session.send(messages.error(-1, code, message))
        _log.info(
            "api started",
            extra={"event": "api_started", "client_id": client_id, "peer": session.peer},
        )

    def changed(self) -> None:
        """Keep the state that must outlive the process (with a data directory)."""
        if self._kept is not None:
            self._kept.save()

    def _route(self, event: Event) -> None:
        if isinstance(event, OrderUpdate) and event.execution is not None:
            self.changed()  # Kept before any client hears of the fill.
        if isinstance(event, PositionChanged):
            self._publish_position(event)
            return
        if isinstance(event, OrderError):
            session = self.clients.get(event.client_id)
            if session is not None:
                error = messages.error(event.order_id, event.code, event.message, event.advanced)
                session.send(error)
            return
        session = self.clients.get(event.order.client_id)
        if session is None:
            return
        if isinstance(event, WhatIfResult):
            session.send(open_order(event.order, "PreSubmitted", event.impact))
        else:
            self._send_order_update(session, event)

    def _send_order_update(self, session: Session, update: OrderUpdate) -> None:
        order, execution = update.order, update.execution
        if execution is None:
            if update.announce:
                session.send(open_order(order, update.snapshot.status.value))
            session.send(order_status(order, update.snapshot))
            return
        session.send(execution_details(-1, execution))
        session.send(order_status(order, update.snapshot))
        if update.announce:
            session.send(open_order(order, update.snapshot.status.value))
        session.send(commission_report(execution))

    def _publish_position(self, change: PositionChanged) -> None:
        holding = change.holding
        update = messages.position(
            change.account, holding.instrument, holding.quantity, holding.average_cost
        )
        for session in self.clients.values():
            if session.positions:
                session.send(update)
        self.publish_account(change.account, [holding.instrument.con_id])

    def publish_account(self, account: str, con_ids: list[int] | None = None) -> None:
        """Push an account's values (and the given portfolio lines) to its subscribers."""
        values = self.ledger.values(account)
        rows = [
            row
            for row in self.ledger.portfolio(account)
            if con_ids is None or row.instrument.con_id in con_ids
        ]
        fx_rates = self.settings.fx_rates
        for session in self.clients.values():
            batch: list[messages.Fields] = []
            if session.account_updates == account:
                batch += publish.account_updates(account, values, rows, self.clock(), fx_rates)
            for req_id, tags in session.summaries.items():
                batch += publish.account_summary(req_id, account, values, tags)
            for req_id, wanted in session.multi_updates.items():
                if wanted in {account, "", "All"}:
                    batch += publish.account_update_multi(req_id, account, values, fx_rates)
            for fields in batch:
                session.send(fields)

    def set_fx_rates(self, rates: Mapping[str, float | None]) -> dict[str, float]:
        """Set (``None``: drop) USD per one unit of each currency; push every account's values."""
        for currency, rate in rates.items():
            if rate is None:
                self.settings.fx_rates.pop(currency, None)
            else:
                self.settings.fx_rates[currency] = rate
        _log.info("fx rates set", extra={"event": "fx", "rates": dict(rates)})
        self.changed()
        for account in self.ledger.codes:
            self.publish_account(account, [])
        return dict(self.settings.fx_rates)

    def set_prices(self, prices: Mapping[str, float]) -> set[str]:
        """Move the market: stream ticks, re-match orders and revalue accounts."""
        changed = self.prices.update(prices)
        if not changed:
            return changed
        _log.info("prices set", extra={"event": "prices", "prices": dict(prices)})
        for session in list(self.clients.values()):
            for req_id, instrument in session.market_data.items():
                if instrument.price_key in changed:
                    self.send_quote(session, req_id, self.prices.price_of(instrument))
        self.engine.prices_changed(changed)
        self.changed()
        for account in self.ledger.codes:
            con_ids = [
                holding.instrument.con_id
                for holding in self.ledger.holdings(account)
                if holding.instrument.price_key in changed
            ]
            if con_ids:
                self.publish_account(account, con_ids)
        return changed

    def send_quote(self, session: Session, req_id: int, price: float) -> None:
        """Send bid, ask and last at ``price`` for one market data request."""
        for tick_type in (TickType.BID, TickType.ASK, TickType.LAST):
            session.send(messages.tick_price(req_id, tick_type, price, QUOTE_SIZE))

    def inject_error(self, code: int, message: str = "", client_id: int | None = None) -> int:
        """Send an error to connected clients (all, or one); return how many got it."""
        text = message or CONNECTIVITY_MESSAGES.get(code, f"Simulated error {code}")
        targets = [
            session
            for session in self.clients.values()
            if client_id is None or session.client_id == client_id
        ]
        for session in targets:
            session.send(messages.error(-1, code, text))
        _log.warning(
            "error injected",
            extra={
                "event": "fault_error",
                "code": code,
                "error_text": text,
                "clients": len(targets),
            },
        )
        return len(targets)

    def drop_all(self) -> int:
        """Close every client connection; return how many there were."""
        sessions = list(self._sessions)
        for session in sessions:
            session.close()
        self.clients.clear()
        _log.warning("connections dropped", extra={"event": "fault_drop", "count": len(sessions)})
        return len(sessions)

    async def restart(self, down_seconds: float, next_valid_id: int) -> None:
        """Drop everyone, refuse connections for a while, come back with order ids rolled back."""
        await self._close_listener()
        self.drop_all()
        self.engine.restart(next_valid_id)
        self.restarting = True
        _log.warning(
            "gateway restarting",
            extra={
                "event": "fault_restart",
                "down_seconds": down_seconds,
                "next_valid_id": next_valid_id,
            },
        )
        self._spawn(self._come_back(down_seconds))

    async def _come_back(self, down_seconds: float) -> None:
        await asyncio.sleep(down_seconds)
        await self._listen()
        self.restarting = False
        _log.info("gateway back up", extra={"event": "restarted", "port": self._port})

    def reset(self) -> None:
        """Forget orders, executions and positions; restore prices, settings and accounts."""
        self.engine.reset(self.config.next_valid_id)
        self.ledger.reset(self.config.accounts)
        for setting in dataclasses.fields(Settings):
            initial = getattr(self._initial_settings, setting.name)
            setattr(self.settings, setting.name, copy.deepcopy(initial))
        self.prices.reset(self.settings.default_price)
        self.changed()
        _log.info("state reset", extra={"event": "reset"})

    def state(self) -> dict[str, object]:
        """Describe everything for the control API."""
        return {
            "port": self._port,
            "listening": self._server is not None,
            "restarting": self.restarting,
            "next_valid_id": self.engine.next_valid_id,
            "accounts": {code: self.ledger.values(code) for code in self.ledger.codes},
            "positions": [
                {
                    "account": account,
                    "con_id": holding.instrument.con_id,
                    "symbol": holding.instrument.symbol,
                    "local_symbol": holding.instrument.local_symbol,
                    "sec_type": holding.instrument.sec_type,
                    "quantity": holding.quantity,
                    "average_cost": holding.average_cost,
                    "realized_pnl": holding.realized_pnl,
                }
                for account, holding in self.ledger.all_holdings()
            ],
            "orders": [order.to_json() for order in self.engine.orders],
            "executions": [execution.to_json() for execution in self.engine.executions],
            "clients": [session.to_json() for session in self._sessions],
            "prices": self.prices.to_json(),
            "settings": self.settings.to_json(),
        }
