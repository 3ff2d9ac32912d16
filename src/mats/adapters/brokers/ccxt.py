"""The ``Broker`` port on a crypto exchange through ccxt's unified API (spot).

Orders travel under their MATS id as ccxt's ``clientOrderId`` (binance: ``newClientOrderId``),
so an order is always found again by that id. ccxt's sync client is not thread-safe, so calls are
serialised; markets are loaded on first use, once. Every ccxt error is translated at this
boundary through ``ccxt_errors``; a create whose outcome is unknown (timeout, 5xx) is looked up by
its client order id before anything is raised, so a retry never sends the order twice.

With ``fx_pairs`` (``MATS_CCXT_FX_PAIRS``) it is also an ``FxFeed``: ``fx_rates`` prices those
currency pairs from the exchange's tickers (the mid when both sides are quoted, else the last
price), source ``ccxt:{name}``.

Limits: binance finds an order only with its market, so ``lookup`` and ``cancel`` take a
``symbol`` for orders this process has not placed (after a restart); ``executions`` reads trades
of the markets this process has placed or looked up orders in, plus those of ``symbol_map``.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from typing import Any, TypeVar

import ccxt  # type: ignore[import-untyped]

from mats.adapters.brokers import ccxt_orders
from mats.adapters.brokers.ccxt_account import holdings, spot_account
from mats.adapters.brokers.ccxt_capabilities import ExchangeCapabilities, capabilities_for
from mats.adapters.brokers.ccxt_errors import Trouble, classify, describe, is_ban, translate
from mats.adapters.brokers.ccxt_markets import MarketDirectory
from mats.adapters.brokers.ccxt_reports import (
    OrderContext,
    decimal,
    from_millis,
    side_of,
    to_fill,
    to_millis,
    to_report,
)
from mats.adapters.brokers.ccxt_secrets import RedactingLogger, Redactor
from mats.adapters.clock import SystemClock
from mats.domain.market import FxRate, Instrument, Quote
from mats.domain.orders import Order
from mats.domain.trading import Side
from mats.domain.venues import (
    OrderRejectedError,
    VenueAccount,
    VenueFill,
    VenueOrderReport,
    VenueStatus,
)
from mats.errors import MatsError, PermanentError, TemporaryError
from mats.ports import Clock

logger = logging.getLogger(__name__)

T = TypeVar("T")

_RATE_LIMIT_PAUSE = timedelta(seconds=60)
# Binance answers 418 to a client that kept sending after 429s; its bans last 2 minutes to days.
_BAN_PAUSE = timedelta(minutes=5)
_TRADES_PAGE = 1000
_MAX_TRADE_PAGES = 50
_CONNECTIVITY_TROUBLE = frozenset({Trouble.TEMPORARY, Trouble.OUTCOME_UNKNOWN, Trouble.CREDENTIALS})


@dataclass(frozen=True)
class CcxtCredentials:
    """An exchange API key; never printed (``repr`` hides it) and never logged."""

    api_key: str = field(repr=False)
    secret: str = field(repr=False)
    password: str | None = field(default=None, repr=False)


class _CallError(Exception):
    """A ccxt call failed; carries its classification and the redacted description."""

    def __init__(self, trouble: Trouble, text: str, error: Exception | None = None) -> None:
        super().__init__(text)
        self.trouble = trouble
        self.text = text
        self.error = error

    def translated(self) -> MatsError:
        return translate(self.trouble, self.text)


class CcxtBroker:
    """One account on one ccxt exchange; see the module docstring for what it guarantees."""

    native_brackets = False

    def __init__(
        self,
        exchange_id: str,
        account: str,
        credentials: CcxtCredentials | None,
        *,
        sandbox: bool = False,
        exchange: Any = None,
        symbol_map: Mapping[str, str] | None = None,
        capabilities: ExchangeCapabilities | None = None,
        clock: Clock | None = None,
        timeout_seconds: float = 10.0,
        fx_pairs: Sequence[str] = (),
        name: str | None = None,
        credentials_source: Callable[[], CcxtCredentials | None] | None = None,
    ) -> None:
        self.exchange_id = exchange_id
        self.account_name = account
        self.name = name or exchange_id.upper()  # The MATS broker name (``BINANCE``).
        self._fx_pairs = tuple(fx_pairs)
        self._fx_unpriced: set[str] = set()  # Pairs already reported as having no market.
        self.capabilities = capabilities or capabilities_for(exchange_id)
        self._clock: Clock = clock or SystemClock()
        self._redactor = Redactor(
            [credentials.api_key, credentials.secret, credentials.password] if credentials else []
        )
        if exchange is None and exchange_id not in ccxt.exchanges:
            raise PermanentError(f"ccxt has no exchange {exchange_id!r}")
        self._exchange = exchange if exchange is not None else getattr(ccxt, exchange_id)()
        self._configure(credentials, sandbox=sandbox, timeout_seconds=timeout_seconds)
        # Rotation without a restart: the key in use is compared with the source's before each
        # call (the secret store caches it for a minute), and a new one is used from then on.
        self._credentials = credentials
        self._credentials_source = credentials_source
        self._directory = MarketDirectory(self._exchange, symbol_map or {})
        self._lock = threading.RLock()
        self._markets_loaded = False
        self._failure: _CallError | None = None
        self._paused_until: datetime | None = None
        self._markets_by_order: dict[str, dict[str, Any]] = {}
        self._order_ids_by_venue_id: dict[str, str] = {}
        self._references: dict[str, str] = {}  # client order id -> MATS reference

    def _configure(
        self, credentials: CcxtCredentials | None, *, sandbox: bool, timeout_seconds: float
    ) -> None:
        exchange = self._exchange
        exchange.enableRateLimit = True
        exchange.timeout = int(timeout_seconds * 1000)
        exchange.options = {**exchange.options, **self.capabilities.options}
        exchange.logger = RedactingLogger(logging.getLogger(f"{__name__}.wire"), self._redactor)
        if credentials is not None:
            exchange.apiKey = credentials.api_key
            exchange.secret = credentials.secret
            if credentials.password is not None:
                exchange.password = credentials.password
        if sandbox:
            exchange.set_sandbox_mode(True)

    def place(self, order: Order) -> VenueOrderReport:
        """Send the order under its MATS id; return what the exchange reports right away.

        Brackets: when the exchange takes none (``capabilities.brackets``), only the entry is
        sent and the report's ``reason`` says so; the bridge places the legs after the fill. A
        ``TemporaryError`` means the order may or may not exist: look it up before sending again.
        """
        if order.account != self.account_name:
            raise OrderRejectedError(
                order.id, f"routed to the {self.account_name} broker but is for {order.account}"
            )
        ccxt_orders.check(order, self.exchange_id, self.capabilities)
        market = self._market(order.symbol)
        if market is None:
            raise OrderRejectedError(order.id, f"{self.exchange_id} has no market {order.symbol}")
        self._client_id(order.id)
        request = ccxt_orders.build(order, market, self._exchange, self.capabilities)
        self._markets_by_order[order.id] = market
        note = self._bracket_note(order)
        log = {"order_id": order.id, "exchange": self.exchange_id, "symbol": request.symbol}
        logger.info("sending order", extra={**log, "type": request.type, "side": request.side})
        try:
            created = self._call(
                "create_order",
                self._exchange.create_order,
                request.symbol,
                request.type,
                request.side,
                request.amount,
                request.price,
                request.params,
            )
        except _CallError as failure:
            return self._after_failed_create(order, failure, note)
        logger.info("order accepted", extra={**log, "status": created.get("status")})
        return self._report(
            created, order.id, market, side=order.side, trades=created.get("trades"), reason=note
        )

    def lookup(self, order_id: str, *, symbol: str | None = None) -> VenueOrderReport | None:
        """Find an order by its MATS id; ``symbol`` (MATS's) is needed after a restart."""
        market = self._market_of_order(order_id, symbol)
        try:
            found = self._call(
                "fetch_order",
                self._exchange.fetch_order,
                None,
                market["symbol"],
                {"clientOrderId": self._client_id(order_id)},
            )
        except _CallError as failure:
            if failure.trouble is Trouble.NOT_FOUND:
                return None
            raise failure.translated() from failure.error
        self._markets_by_order[order_id] = market
        return self._report(found, order_id, market, trades=self._order_trades(found, market))

    def cancel(self, order_id: str, *, symbol: str | None = None) -> VenueOrderReport | None:
        """Cancel an order by its MATS id; an order already ended is reported as it is."""
        market = self._market_of_order(order_id, symbol)
        logger.info("cancelling order", extra={"order_id": order_id, "exchange": self.exchange_id})
        try:
            cancelled = self._call(
                "cancel_order",
                self._exchange.cancel_order,
                None,
                market["symbol"],
                {"clientOrderId": self._client_id(order_id)},
            )
        except _CallError as failure:
            if failure.trouble in (Trouble.NOT_FOUND, Trouble.REFUSED):
                # Binance answers -2011 for an order that is filled, cancelled or unknown.
                return self.lookup(order_id, symbol=self._directory.mats_symbol(market))
            raise failure.translated() from failure.error
        trades = self._order_trades(cancelled, market)
        return self._report(cancelled, order_id, market, trades=trades)

    def executions(self, since: datetime) -> Sequence[VenueFill]:
        """Return the trades since ``since`` in the markets this broker knows (module docstring)."""
        fills: list[VenueFill] = []
        for market in self._known_markets():
            for trade in self._trades_since(market, to_millis(since)):
                venue_order_id = str(trade.get("order"))
                context = OrderContext(
                    order_id=self._order_id_for(venue_order_id, market),
                    account=self.account_name,
                    symbol=self._directory.mats_symbol(market),
                    market_id=market["id"],
                    side=side_of(trade.get("side")),
                    at=self._clock.now(),
                )
                fills.append(to_fill(trade, context))
        return sorted(fills, key=lambda fill: fill.at)

    def account(self, account: str) -> VenueAccount:
        """Return the spot balances valued in the settlement currency (see ``ccxt_account``)."""
        if account != self.account_name:
            raise PermanentError(
                f"this {self.exchange_id} broker serves {self.account_name}, not {account}"
            )
        balance = self._call_translated("fetch_balance", self._exchange.fetch_balance)
        quote = self.capabilities.settlement_currency
        return spot_account(
            account,
            balance,
            self._prices(holdings(balance, quote)),
            quote=quote,
            symbol_of=lambda currency: self._directory.holding_symbol(currency, quote),
            as_of=self._clock.now(),
        )

    def serves(self, instrument: Instrument) -> bool:
        """Whether this exchange prices the instrument (it has a market for it)."""
        return self._markets_loaded and self._directory.market(instrument.symbol) is not None

    def quote(self, instrument: Instrument) -> Quote | None:
        """The instrument's bid, ask and last from the exchange's ticker now."""
        market = self._market(instrument.symbol)
        if market is None:
            return None
        ticker = self._call_translated(
            "fetch_ticker", self._exchange.fetch_ticker, market["symbol"]
        )
        bid, ask, last = (_positive(ticker.get(k)) for k in ("bid", "ask", "last"))
        if bid is None and ask is None and last is None:
            return None
        return Quote(
            symbol=instrument.symbol,
            as_of=from_millis(ticker.get("timestamp")) or self._clock.now(),
            last=last,
            bid=bid,
            ask=ask,
            source=self.exchange_id,
        )

    def fx_rates(self) -> list[FxRate]:
        """The ``fx_pairs``' rates now from the exchange's tickers (mid, else last).

        A pair the exchange has no market for is logged once and left out, as is one whose
        ticker has no price.
        """
        if not self._fx_pairs:
            return []
        self._load_markets()
        markets = self._exchange.markets or {}
        priced = [pair for pair in self._fx_pairs if pair in markets]
        for pair in self._fx_pairs:
            if pair not in markets and pair not in self._fx_unpriced:
                self._fx_unpriced.add(pair)
                logger.warning(
                    "fx pair left out: the exchange has no such market",
                    extra={"exchange": self.exchange_id, "pair": pair},
                )
        if not priced:
            return []
        if self._exchange.has.get("fetchTickers"):
            tickers = self._call_translated("fetch_tickers", self._exchange.fetch_tickers, priced)
        else:
            tickers = {
                pair: self._call_translated("fetch_ticker", self._exchange.fetch_ticker, pair)
                for pair in priced
            }
        rates = []
        for pair in priced:
            ticker = tickers.get(pair)
            rate = _fx_rate(ticker) if ticker is not None else None
            if ticker is None or rate is None:
                continue
            base, quote = pair.split("/")
            rates.append(
                FxRate(
                    base_currency=base,
                    quote_currency=quote,
                    rate=rate,
                    as_of=from_millis(ticker.get("timestamp")) or self._clock.now(),
                    source=f"ccxt:{self.name}",
                )
            )
        return rates

    def status(self) -> VenueStatus:
        """Report connected once markets are loaded and while the last call got an answer."""
        with self._lock:
            now = self._clock.now()
            if self._paused_until is not None:
                if now < self._paused_until:
                    return VenueStatus(
                        connected=True,
                        accepting_orders=False,
                        reason=f"rate limited until {self._paused_until.isoformat()}: "
                        f"{self._failure.text if self._failure else ''}",
                    )
                self._paused_until = None
                self._failure = None
            self._probe()
            if not self._markets_loaded or self._failure is not None:
                reason = self._failure.text if self._failure else "markets not loaded"
                return VenueStatus(connected=False, accepting_orders=False, reason=reason)
            return VenueStatus(connected=True, accepting_orders=True)

    def _probe(self) -> None:
        """Load markets, or after a failed call ask the exchange's clock whether it answers again.

        Failures stay recorded in ``self._failure``. Refused credentials are not probed: a public
        call would answer and hide a key that still does not work.
        """
        try:
            self._load_markets()
            failure = self._failure
            if (
                failure is not None
                and failure.trouble is not Trouble.CREDENTIALS
                and self._exchange.has.get("fetchTime")
            ):
                self._send("fetch_time", self._exchange.fetch_time)
        except (MatsError, _CallError):
            pass

    def _call(self, what: str, method: Callable[..., T], *args: Any) -> T:
        """Run one ccxt call serialised; raise ``_CallError`` (classified, redacted) on error."""
        with self._lock:
            self._load_markets()
            return self._send(what, method, *args)

    def _send(self, what: str, method: Callable[..., T], *args: Any) -> T:
        label = f"{self.exchange_id} {what}"
        self._refresh_credentials()
        now = self._clock.now()
        if self._paused_until is not None and now < self._paused_until:
            raise _CallError(
                Trouble.RATE_LIMITED, f"{label}: not sent, paused until {self._paused_until}"
            )
        try:
            # ccxt changes the thread's decimal context while it formats numbers: keep it here.
            with localcontext():
                result = method(*args)
        except ccxt.BaseError as error:
            trouble = classify(error, self.capabilities.duplicate_order_messages)
            failure = _CallError(
                trouble, self._redactor.redact(f"{label}: {describe(error)}"), error
            )
            self._record(failure, now, error)
            logger.warning(
                "exchange call failed",
                extra={"exchange": self.exchange_id, "call": what, "error": failure.text},
            )
            raise failure from None
        self._failure = None
        self._paused_until = None
        return result

    def _record(self, failure: _CallError, now: datetime, error: Exception) -> None:
        if failure.trouble is Trouble.RATE_LIMITED:
            self._paused_until = now + (_BAN_PAUSE if is_ban(error) else _RATE_LIMIT_PAUSE)
            self._failure = failure
        elif failure.trouble in _CONNECTIVITY_TROUBLE:
            self._failure = failure
        else:
            self._failure = None  # The exchange answered: refusals say nothing against the link.

    def _refresh_credentials(self) -> None:
        if self._credentials_source is None:
            return
        try:
            current = self._credentials_source()
        except MatsError as error:  # The store is down: keep the key in use.
            logger.warning(
                "exchange credentials not refreshed",
                extra={"exchange": self.exchange_id, "error": type(error).__name__},
            )
            return
        if current is None or current == self._credentials:
            return
        self._redactor.add([current.api_key, current.secret, current.password])
        exchange = self._exchange
        exchange.apiKey, exchange.secret = current.api_key, current.secret
        if current.password is not None:
            exchange.password = current.password
        self._credentials = current
        if self._failure is not None and self._failure.trouble is Trouble.CREDENTIALS:
            self._failure = None  # The refused key is gone; the next call tells about the new.
        logger.info("exchange credentials rotated", extra={"exchange": self.exchange_id})

    def _load_markets(self) -> None:
        with self._lock:
            if self._markets_loaded:
                return
            try:
                self._send("load_markets", self._exchange.load_markets)
            except _CallError as failure:
                raise failure.translated() from failure.error
            self._markets_loaded = True

    def _after_failed_create(
        self, order: Order, failure: _CallError, note: str | None
    ) -> VenueOrderReport:
        if failure.trouble in (Trouble.OUTCOME_UNKNOWN, Trouble.DUPLICATE):
            try:
                found = self.lookup(order.id, symbol=order.symbol)
            except MatsError as error:
                raise TemporaryError(
                    f"{failure.text}; looking the order up failed too ({error}): its outcome is "
                    "unknown, look it up before sending it again"
                ) from error
            if found is not None:
                logger.warning(
                    "create failed but the order is at the exchange",
                    extra={"order_id": order.id, "error": failure.text, "state": found.state},
                )
                return dataclasses.replace(found, reason=found.reason or note)
            raise TemporaryError(
                f"{failure.text}; no order {order.id} at {self.exchange_id} yet: look it up "
                "again before sending it again"
            ) from failure.error
        if failure.trouble in (Trouble.REFUSED, Trouble.NOT_FOUND):
            logger.warning("order rejected", extra={"order_id": order.id, "error": failure.text})
            raise OrderRejectedError(order.id, failure.text) from failure.error
        raise failure.translated() from failure.error

    def _bracket_note(self, order: Order) -> str | None:
        if self.capabilities.brackets or (order.stop_loss is None and order.take_profit is None):
            return None
        logger.info(
            "brackets left to the bridge",
            extra={"order_id": order.id, "exchange": self.exchange_id},
        )
        return (
            f"stop-loss/take-profit not sent: {self.exchange_id} takes no brackets with the "
            "entry; place them after the fill"
        )

    def _report(
        self,
        order: Mapping[str, Any],
        order_id: str,
        market: Mapping[str, Any],
        *,
        side: Side | None = None,
        trades: Sequence[Mapping[str, Any]] | None = None,
        reason: str | None = None,
    ) -> VenueOrderReport:
        if order.get("id") is not None:
            self._order_ids_by_venue_id[str(order["id"])] = order_id
        context = OrderContext(
            order_id=order_id,
            account=self.account_name,
            symbol=self._directory.mats_symbol(market),
            market_id=market["id"],
            side=side,
            at=from_millis(order.get("timestamp")) or self._clock.now(),
        )
        return to_report(order, context, trades or (), reason)

    def _order_trades(
        self, order: Mapping[str, Any], market: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        if decimal(order.get("filled")) <= 0 or order.get("id") is None:
            return []
        if self._exchange.has.get("fetchOrderTrades"):
            return self._call_translated(
                "fetch_order_trades",
                self._exchange.fetch_order_trades,
                str(order["id"]),
                market["symbol"],
            )
        trades = self._call_translated(
            "fetch_my_trades",
            self._exchange.fetch_my_trades,
            market["symbol"],
            order.get("timestamp"),
        )
        return [t for t in trades if str(t.get("order")) == str(order["id"])]

    def _trades_since(self, market: Mapping[str, Any], since: int) -> list[dict[str, Any]]:
        """Page through the market's trades from ``since`` (binance caps a page at 1000)."""
        seen: dict[str, dict[str, Any]] = {}
        for _ in range(_MAX_TRADE_PAGES):
            page = self._call_translated(
                "fetch_my_trades",
                self._exchange.fetch_my_trades,
                market["symbol"],
                since,
                _TRADES_PAGE,
            )
            fresh = [t for t in page if str(t.get("id")) not in seen]
            seen.update((str(t.get("id")), t) for t in fresh)
            if len(page) < _TRADES_PAGE or not fresh:
                break
            since = max(int(t.get("timestamp") or since) for t in page)
        else:
            logger.warning(
                "trade history cut short",
                extra={"exchange": self.exchange_id, "symbol": market["symbol"]},
            )
        return list(seen.values())

    def _order_id_for(self, venue_order_id: str, market: Mapping[str, Any]) -> str:
        """MATS's id for an exchange order id: remembered, or read from the order once."""
        known = self._order_ids_by_venue_id.get(venue_order_id)
        if known is not None:
            return known
        try:
            order = self._call(
                "fetch_order", self._exchange.fetch_order, venue_order_id, market["symbol"]
            )
        except _CallError as failure:
            if failure.trouble is not Trouble.NOT_FOUND:
                raise failure.translated() from failure.error
            order = {}
        client_id = str(order.get("clientOrderId") or venue_order_id)
        order_id = self._references.get(client_id, client_id)
        self._order_ids_by_venue_id[venue_order_id] = order_id
        return order_id

    def _client_id(self, reference: str) -> str:
        client_id = ccxt_orders.client_order_id(reference, self.capabilities)
        self._references[client_id] = reference
        return client_id

    def _prices(self, holdings: Mapping[str, Decimal]) -> dict[str, Decimal]:
        quote = self.capabilities.settlement_currency
        symbols = {c: f"{c}/{quote}" for c in holdings}
        markets = self._exchange.markets or {}
        priced = {c: s for c, s in symbols.items() if s in markets}
        for currency in sorted(set(holdings) - set(priced)):
            logger.warning(
                "balance left out of equity: no market to value it",
                extra={"exchange": self.exchange_id, "currency": currency, "quote": quote},
            )
        if not priced:
            return {}
        tickers = self._call_translated(
            "fetch_tickers", self._exchange.fetch_tickers, list(priced.values())
        )
        return {
            c: decimal(tickers[s].get("last"))
            for c, s in priced.items()
            if s in tickers and tickers[s].get("last") is not None
        }

    def _call_translated(self, what: str, method: Callable[..., T], *args: Any) -> T:
        try:
            return self._call(what, method, *args)
        except _CallError as failure:
            raise failure.translated() from failure.error

    def _market(self, symbol: str) -> dict[str, Any] | None:
        self._load_markets()
        return self._directory.market(symbol)

    def _market_of_order(self, order_id: str, symbol: str | None) -> dict[str, Any]:
        if symbol is not None:
            market = self._market(symbol)
            if market is None:
                raise PermanentError(f"{self.exchange_id} has no market {symbol}")
            return market
        known = self._markets_by_order.get(order_id)
        if known is None:
            raise PermanentError(
                f"{self.exchange_id} finds an order only with its market, and {order_id} was not "
                "placed by this process: pass symbol="
            )
        return known

    def _known_markets(self) -> list[dict[str, Any]]:
        by_symbol = {m["symbol"]: m for m in self._markets_by_order.values()}
        for mats_symbol in self._directory.mapped_symbols:
            market = self._market(mats_symbol)
            if market is not None:
                by_symbol.setdefault(market["symbol"], market)
        return [by_symbol[s] for s in sorted(by_symbol)]


def _positive(value: Any) -> Decimal | None:
    number = decimal(value)
    return number if number > 0 else None


def _fx_rate(ticker: Mapping[str, Any]) -> Decimal | None:
    """The mid of a two-sided ticker, else its last price (``None`` without either)."""
    bid, ask, last = (_positive(ticker.get(k)) for k in ("bid", "ask", "last"))
    if bid is not None and ask is not None and bid <= ask:
        return (bid + ask) / 2
    return last
