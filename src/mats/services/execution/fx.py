"""Keep the FX rates the venues report: IB's account values and the exchanges' tickers.

Every stored rate becomes a row of ``fx_history`` (and the pair's latest in ``fx_rates`` unless
a newer one is there), which the accounting reads in full; so not every sighting is stored. A
rate is stored when it is the first this bridge sees for its pair (``EURUSD``), when it has
moved by ``min_move`` (relative, 0.05 %) or more from the last one stored for that pair, or when
that one is ``max_age`` (an hour) old. A quiet pair leaves one row an hour; a moving one a row
per 0.05 % move, so no converted figure is ever more than 0.05 % off the rate of its moment.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from mats.domain.market import FxRate
from mats.ports import MarketDataStore


@dataclass(frozen=True)
class FxKeeping:
    """When a rate seen again is stored again (see the module docstring)."""

    min_move: Decimal = Decimal("0.0005")
    max_age: timedelta = timedelta(hours=1)


class FxRecorder:
    """Store rates through the market-data port, at most as often as ``FxKeeping`` says."""

    def __init__(self, market: MarketDataStore, keeping: FxKeeping | None = None) -> None:
        self._market = market
        self._keeping = keeping or FxKeeping()
        self._stored: dict[str, FxRate] = {}  # The last rate stored per pair, by this bridge.
        self._lock = threading.Lock()  # Account updates and the FX job run on several threads.

    def record(self, rate: FxRate) -> bool:
        """Store ``rate`` if it is due (see the module docstring); return whether it was."""
        if not rate.rate.is_finite() or rate.rate <= 0:
            return False
        with self._lock:
            last = self._stored.get(rate.pair)
            if last is not None and not self._due(last, rate):
                return False
            self._market.put_fx_rate(rate)
            self._stored[rate.pair] = rate
            return True

    def _due(self, last: FxRate, rate: FxRate) -> bool:
        if rate.as_of <= last.as_of:
            return False  # Not newer than what is stored: nothing to add.
        if rate.as_of - last.as_of >= self._keeping.max_age:
            return True
        return abs(rate.rate - last.rate) >= self._keeping.min_move * last.rate
