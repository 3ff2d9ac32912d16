"""Dated FX conversion: every converted figure says which rate it used and how fresh it was.

Conventions:

- A :class:`~mats.domain.market.FxRate` is ``rate`` units of ``quote_currency`` per one unit
  of ``base_currency``; the book keeps every stored rate (a history, many per pair).
- A conversion at time ``at`` uses the latest rate with ``as_of <= at``, of the direct pair
  (``EURUSD`` for EUR -> USD) or the inverted one (``USDEUR``, used as ``1 / rate``). Rates
  published after ``at`` are never used, so a figure converted at its own moment is frozen:
  later rates cannot change it.
- Realised P&L and commissions convert at the moment they were realised or charged;
  unrealised P&L and cash convert at the valuation (snapshot) time.
- A rate older than ``max_age`` at ``at`` still converts but is flagged ``STALE``. No rate at or
  before ``at`` gives ``MISSING`` with no amount: never a silent 1. Same currency is ``SAME``
  (rate exactly 1, no stored pair).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from mats.domain.market import FxRate


class RateFlag(StrEnum):
    OK = "OK"
    STALE = "STALE"
    MISSING = "MISSING"
    SAME = "SAME"


@dataclass(frozen=True)
class Converted:
    """An amount converted to ``target``, with the rate used and its freshness."""

    amount: Decimal | None  # In target; None when MISSING.
    source_amount: Decimal
    source: str
    target: str
    rate: Decimal | None  # Multiply the source amount by this.
    rate_as_of: datetime | None  # The stored rate's as_of.
    pair: str | None  # The stored pair used ("EURUSD"); None for the same currency.
    flag: RateFlag

    @property
    def flag_name(self) -> str | None:
        """Return the valuation flag this conversion raises ("FX_STALE", "FX_MISSING") or None."""
        if self.flag is RateFlag.STALE:
            return "FX_STALE"
        if self.flag is RateFlag.MISSING:
            return "FX_MISSING"
        return None


class RateBook:
    """Every stored FxRate, answering "what was the rate from A to B at time t"."""

    def __init__(self, rates: Iterable[FxRate], *, max_age: timedelta = timedelta(days=4)) -> None:
        self.max_age = max_age
        chosen: dict[tuple[frozenset[str], datetime], FxRate] = {}
        for rate in rates:
            if not rate.rate.is_finite() or rate.rate <= 0:
                continue  # A zero or negative rate is junk, not a price: treat it as absent.
            slot = (frozenset((rate.base_currency, rate.quote_currency)), rate.as_of)
            held = chosen.get(slot)
            # Two rates for one pair at one instant: keep one, whatever the input order.
            if held is None or _tie_key(rate) > _tie_key(held):
                chosen[slot] = rate
        self._history: dict[frozenset[str], list[FxRate]] = {}
        for (pair, _), rate in sorted(chosen.items(), key=lambda item: item[0][1]):
            self._history.setdefault(pair, []).append(rate)
        self._times = {pair: [r.as_of for r in kept] for pair, kept in self._history.items()}

    def rate(self, source: str, target: str, at: datetime) -> tuple[Decimal, FxRate | None] | None:
        """Return the multiplier from ``source`` to ``target`` and the stored rate behind it.

        The latest stored rate with ``as_of <= at``, direct or inverted; ``(1, None)`` for the
        same currency; ``None`` when no rate exists at or before ``at``.
        """
        if at.tzinfo is None:
            raise ValueError("at must be timezone-aware")
        if source == target:
            return Decimal(1), None
        pair = frozenset((source, target))
        times = self._times.get(pair)
        if not times:
            return None
        index = bisect_right(times, at)
        if index == 0:
            return None
        stored = self._history[pair][index - 1]
        value = stored.rate if stored.base_currency == source else 1 / stored.rate
        return value, stored

    def convert(self, amount: Decimal, source: str, target: str, at: datetime) -> Converted:
        """Convert ``amount`` at the rate of time ``at``; flag it STALE, MISSING or SAME."""
        found = self.rate(source, target, at)
        if found is None:
            return Converted(None, amount, source, target, None, None, None, RateFlag.MISSING)
        value, stored = found
        if stored is None:
            return Converted(amount, amount, source, target, value, None, None, RateFlag.SAME)
        flag = RateFlag.STALE if at - stored.as_of > self.max_age else RateFlag.OK
        return Converted(
            amount * value, amount, source, target, value, stored.as_of, stored.pair, flag
        )


def _tie_key(rate: FxRate) -> tuple[str, ...]:
    return tuple(str(getattr(rate, field.name)) for field in fields(rate))
