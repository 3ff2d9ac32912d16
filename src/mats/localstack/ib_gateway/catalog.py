"""The simulated security master: which contracts exist and their stable conIds.

Stocks (any symbol, USD), futures on a fixed set of roots (quarterly months, last trade on the
third Friday), crypto on PAXOS and currency pairs on IDEALPRO. ConIds are derived from the
contract's identity, so the same contract gets the same conId in every run of the simulator.
"""

from __future__ import annotations

import calendar
import re
import zlib
from dataclasses import dataclass, replace
from datetime import date

# Month codes used in futures local symbols (ESH6 = March 2026).
_MONTH_CODES = "FGHJKMNQUVXZ"
_QUARTERLY_MONTHS = (3, 6, 9, 12)
_LISTED_FUTURES = 4
_CON_ID_BASE = 10_000_000
_CON_ID_SPAN = 2_000_000_000 - _CON_ID_BASE
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class ContractFields:
    """The twelve contract fields the TWS API sends in requests."""

    con_id: int = 0
    symbol: str = ""
    sec_type: str = ""
    last_trade_date: str = ""
    strike: float | None = None
    right: str = ""
    multiplier: str = ""
    exchange: str = ""
    primary_exchange: str = ""
    currency: str = ""
    local_symbol: str = ""
    trading_class: str = ""


@dataclass(frozen=True)
class Instrument:
    """One tradable contract as the simulated gateway knows it."""

    con_id: int
    symbol: str
    sec_type: str
    exchange: str
    currency: str
    local_symbol: str
    trading_class: str
    multiplier: float = 1.0
    primary_exchange: str = ""
    last_trade_date: str = ""
    contract_month: str = ""
    min_tick: float = 0.01
    size_increment: float = 1.0
    long_name: str = ""
    time_zone: str = "US/Eastern"
    execution_exchange: str = ""

    @property
    def price_key(self) -> str:
        """Return the key of this contract's price in the simulator's price feed."""
        return self.local_symbol if self.sec_type == "CASH" else self.symbol

    @property
    def multiplier_text(self) -> str:
        """Return the multiplier as TWS reports it (empty for contracts without one)."""
        if self.sec_type in {"FUT", "CONTFUT"}:
            value = float(self.multiplier)
            return str(int(value)) if value.is_integer() else repr(value)
        return ""

    @property
    def listing_exchange(self) -> str:
        """Return the exchange reported in positions: the primary exchange if there is one."""
        return self.primary_exchange or self.exchange


@dataclass(frozen=True)
class FutureRoot:
    exchange: str
    multiplier: float
    min_tick: float
    long_name: str
    time_zone: str = "US/Central"


FUTURE_ROOTS: dict[str, FutureRoot] = {
    "ES": FutureRoot("CME", 50, 0.25, "E-mini S&P 500"),
    "MES": FutureRoot("CME", 5, 0.25, "Micro E-Mini S&P 500 Stock Price Index"),
    "NQ": FutureRoot("CME", 20, 0.25, "E-mini NASDAQ 100"),
    "MNQ": FutureRoot("CME", 2, 0.25, "Micro E-Mini Nasdaq-100 Index"),
    "RTY": FutureRoot("CME", 50, 0.1, "E-mini Russell 2000 Index"),
    "YM": FutureRoot("CBOT", 5, 1.0, "Mini Sized Dow Jones Industrial Average $5"),
    "CL": FutureRoot("NYMEX", 1000, 0.01, "Light Sweet Crude Oil", "US/Eastern"),
    "GC": FutureRoot("COMEX", 100, 0.1, "Gold", "US/Eastern"),
}
CRYPTO_SYMBOLS = frozenset({"BTC", "ETH", "LTC", "BCH"})


def third_friday(year: int, month: int) -> date:
    """Return the third Friday of a month, the last trade date of equity index futures."""
    first_weekday, _ = calendar.monthrange(year, month)
    first_friday = 1 + (calendar.FRIDAY - first_weekday) % 7
    return date(year, month, first_friday + 14)


def listed_months(today: date, count: int = _LISTED_FUTURES) -> list[tuple[int, int]]:
    """Return the next ``count`` quarterly contract months that have not expired by ``today``."""
    months: list[tuple[int, int]] = []
    year = today.year
    while len(months) < count:
        for month in _QUARTERLY_MONTHS:
            if third_friday(year, month) >= today and len(months) < count:
                months.append((year, month))
        year += 1
    return months


def stable_con_id(identity: str) -> int:
    """Derive a conId from a contract's identity: the same contract always gets the same id."""
    return _CON_ID_BASE + zlib.crc32(identity.encode()) % _CON_ID_SPAN


class Catalog:
    """Resolve contract requests to instruments and remember every instrument handed out."""

    def __init__(self, today: date) -> None:
        self._today = today
        self._by_con_id: dict[int, Instrument] = {}
        self._identity_of: dict[int, str] = {}

    def set_today(self, today: date) -> None:
        """Move the calendar that decides which futures months are listed."""
        self._today = today

    def by_con_id(self, con_id: int) -> Instrument | None:
        """Return the instrument with this conId if it has been resolved before."""
        return self._by_con_id.get(con_id)

    def remember(self, instrument: Instrument) -> None:
        """Know an instrument a previous run of the gateway handed out (a kept position's)."""
        self._by_con_id.setdefault(instrument.con_id, instrument)

    def resolve(self, request: ContractFields) -> list[Instrument]:
        """Return every instrument matching the request (several for an open futures query)."""
        if request.con_id and not request.symbol and not request.local_symbol:
            known = self._by_con_id.get(request.con_id)
            return [known] if known is not None else []
        matches = self._match(request)
        if request.con_id:
            matches = [found for found in matches if found.con_id == request.con_id]
        return matches

    def resolve_one(self, request: ContractFields) -> Instrument | None:
        """Return the single instrument a trading request means, or None if it is ambiguous."""
        matches = self.resolve(request)
        return matches[0] if len(matches) == 1 else None

    def _match(self, request: ContractFields) -> list[Instrument]:
        sec_type = request.sec_type.upper()
        if request.currency and sec_type != "CASH" and request.currency != "USD":
            return []
        if sec_type == "STK":
            return self._stock(request)
        if sec_type in {"FUT", "CONTFUT"}:
            return self._futures(request, continuous=sec_type == "CONTFUT")
        if sec_type == "CRYPTO":
            return self._crypto(request)
        if sec_type == "CASH":
            return self._forex(request)
        return []

    def _register(self, identity: str, instrument: Instrument) -> Instrument:
        con_id = instrument.con_id
        # A crc32 collision between two identities is astronomically rare; step past it.
        while self._identity_of.get(con_id, identity) != identity:
            con_id += 1
        self._identity_of[con_id] = identity
        registered = replace(instrument, con_id=con_id)
        self._by_con_id[con_id] = registered
        return registered

    def _stock(self, request: ContractFields) -> list[Instrument]:
        symbol = request.symbol.upper() or request.local_symbol.upper()
        if not symbol:
            return []
        identity = f"STK:{symbol}:USD"
        instrument = Instrument(
            con_id=stable_con_id(identity),
            symbol=symbol,
            sec_type="STK",
            exchange="SMART",
            currency="USD",
            local_symbol=symbol,
            trading_class="NMS",
            primary_exchange=request.primary_exchange or "NASDAQ",
            long_name=f"{symbol} (simulated)",
            execution_exchange="ISLAND",
        )
        return [self._register(identity, instrument)]

    def _futures(self, request: ContractFields, *, continuous: bool) -> list[Instrument]:
        symbol, month = _future_symbol_and_month(request, self._today)
        root = FUTURE_ROOTS.get(symbol)
        if root is None:
            return []
        if request.exchange and request.exchange not in {root.exchange, "SMART", "GLOBEX"}:
            return []
        if request.multiplier and float(request.multiplier) != root.multiplier:
            return []
        listed = listed_months(self._today)
        if continuous:
            months = listed[:1]
        elif month is None:
            months = listed
        else:
            tradable = month[1] in _QUARTERLY_MONTHS and third_friday(*month) >= self._today
            months = [month] if tradable else []
        found = [self._future(symbol, root, year, number) for year, number in months]
        if continuous:
            return [replace(instrument, sec_type="CONTFUT") for instrument in found]
        return found

    def _future(self, symbol: str, root: FutureRoot, year: int, month: int) -> Instrument:
        expiry = third_friday(year, month)
        identity = f"FUT:{symbol}:{expiry:%Y%m%d}"
        instrument = Instrument(
            con_id=stable_con_id(identity),
            symbol=symbol,
            sec_type="FUT",
            exchange=root.exchange,
            currency="USD",
            local_symbol=f"{symbol}{_MONTH_CODES[month - 1]}{year % 10}",
            trading_class=symbol,
            multiplier=root.multiplier,
            last_trade_date=f"{expiry:%Y%m%d}",
            contract_month=f"{year:04d}{month:02d}",
            min_tick=root.min_tick,
            long_name=root.long_name,
            time_zone=root.time_zone,
            execution_exchange=root.exchange,
        )
        return self._register(identity, instrument)

    def _crypto(self, request: ContractFields) -> list[Instrument]:
        symbol = request.symbol.upper()
        if symbol not in CRYPTO_SYMBOLS:
            return []
        identity = f"CRYPTO:{symbol}:USD"
        instrument = Instrument(
            con_id=stable_con_id(identity),
            symbol=symbol,
            sec_type="CRYPTO",
            exchange="PAXOS",
            currency="USD",
            local_symbol=f"{symbol}.USD",
            trading_class=symbol,
            min_tick=0.01,
            size_increment=0.00000001,
            long_name=f"{symbol} (simulated)",
            execution_exchange="PAXOS",
        )
        return [self._register(identity, instrument)]

    def _forex(self, request: ContractFields) -> list[Instrument]:
        base, quote = request.symbol.upper(), request.currency.upper()
        if not base and "." in request.local_symbol:
            base, quote = request.local_symbol.upper().split(".", 1)
        if not (_CURRENCY.match(base) and _CURRENCY.match(quote)) or base == quote:
            return []
        identity = f"CASH:{base}:{quote}"
        instrument = Instrument(
            con_id=stable_con_id(identity),
            symbol=base,
            sec_type="CASH",
            exchange="IDEALPRO",
            currency=quote,
            local_symbol=f"{base}.{quote}",
            trading_class=f"{base}.{quote}",
            min_tick=0.00005,
            long_name=f"{base}.{quote} (simulated)",
            execution_exchange="IDEALPRO",
        )
        return [self._register(identity, instrument)]


def _future_symbol_and_month(
    request: ContractFields, today: date
) -> tuple[str, tuple[int, int] | None]:
    """Read the root and the contract month from a futures request (date, month or local symbol)."""
    symbol = request.symbol.upper()
    text = request.last_trade_date
    if len(text) >= 6 and text[:6].isdigit():
        return symbol, (int(text[:4]), int(text[4:6]))
    local = request.local_symbol.upper()
    if len(local) >= 3 and local[-1].isdigit() and local[-2] in _MONTH_CODES:
        root = local[:-2]
        month = _MONTH_CODES.index(local[-2]) + 1
        year = _decade_year(int(local[-1]), today)
        return symbol or root, (year, month)
    return symbol, None


def _decade_year(digit: int, today: date) -> int:
    """Expand the one-digit year of a local symbol to the nearest year not in the past."""
    this_year = today.year
    year = this_year - this_year % 10 + digit
    return year if year >= this_year - 1 else year + 10
