"""Reconciliation: the broker's positions against the sum of the strategies' ledger positions.

The broker always wins. Per account and instrument, whatever the venue holds beyond what the
strategies' positions add up to is the residual, booked to the ``Discretionary`` bucket so the
account's positions always sum to the broker's. Paper positions never reach a broker and are
left out. Missing venue data never means flat: an account whose snapshot is unavailable is not
reconciled at all.

Venue symbols differ from MATS symbols: a continuous future ``ES1!`` is held at IB as its
front-month contract of root ``ES``; an instrument's ``broker_symbol`` overrides the mapping.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from mats.domain.accounting import StrategyPosition
from mats.domain.market import Instrument
from mats.domain.venues import VenuePosition

DISCRETIONARY = "Discretionary"
PAPER_SOURCE = "paper"
RECONCILIATION_SOURCE = "reconciliation"

_CONTINUOUS = re.compile(r"^(?P<root>[A-Z0-9]+?)\d+!$")


def venue_symbol(symbol: str, instrument: Instrument | None) -> str:
    """The key a venue reports ``symbol`` under (see the module docstring)."""
    if instrument is not None and instrument.broker_symbol:
        symbol = instrument.broker_symbol
    continuous = _CONTINUOUS.match(symbol)
    return continuous.group("root") if continuous else symbol.replace("/", "")


@dataclass(frozen=True)
class Line:
    """One instrument on one account: what the venue holds and what the ledger explains."""

    account: str
    symbol: str
    venue_symbol: str
    venue_quantity: Decimal
    strategies_quantity: Decimal
    discretionary_before: Decimal
    residual: Decimal  # What no strategy explains: the Discretionary quantity from now on.
    average_cost: Decimal | None = None

    @property
    def changed(self) -> bool:
        return self.residual != self.discretionary_before


def reconcile_account(
    account: str,
    venue_positions: Iterable[VenuePosition],
    ledger: Iterable[StrategyPosition],
    instruments: Mapping[str, Instrument],
) -> list[Line]:
    """Every instrument held at the venue or in the (non-paper) ledger of ``account``."""
    held: dict[str, Decimal] = defaultdict(Decimal)
    costs: dict[str, Decimal | None] = {}
    for holding in venue_positions:
        key = holding.symbol.replace("/", "")
        held[key] += holding.quantity
        costs[key] = holding.average_cost
    strategies: dict[str, Decimal] = defaultdict(Decimal)
    discretionary: dict[str, Decimal] = defaultdict(Decimal)
    symbols: dict[str, str] = {}
    for position in ledger:
        if position.account != account or position.source == PAPER_SOURCE:
            continue
        key = venue_symbol(position.symbol, instruments.get(position.symbol))
        symbols.setdefault(key, position.symbol)
        if position.strategy_id == DISCRETIONARY:
            discretionary[key] += position.quantity
        else:
            strategies[key] += position.quantity
    keys = sorted(set(held) | set(strategies) | set(discretionary))
    return [
        Line(
            account=account,
            symbol=symbols.get(key, key),
            venue_symbol=key,
            venue_quantity=held[key],
            strategies_quantity=strategies[key],
            discretionary_before=discretionary[key],
            residual=held[key] - strategies[key],
            average_cost=costs.get(key),
        )
        for key in keys
    ]


def past_tolerance(line: Line, tolerance: Decimal) -> bool:
    return abs(line.residual) > tolerance
