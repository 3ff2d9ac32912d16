"""Book fills: every venue execution recorded once, applied to the strategy's ledger, published.

``fills/{execution_id}`` is created once per execution, so a report seen twice (a redelivery, a
poll and a callback, a recovery after a restart) books nothing the second time. The position is
written before the order that filled is marked so (Cerebro reads orders before positions: a
fill in between is counted twice, never missed). A sweep finishes whatever a crash left undone:
a fill recorded but not applied, or applied but not published.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from mats.contracts import to_message
from mats.domain.accounting import LedgerFill, apply_fill
from mats.domain.orders import Fill, Order
from mats.domain.reconciliation import PAPER_SOURCE
from mats.domain.trading import TradingMode
from mats.domain.venues import VenueFill
from mats.ports import Clock, ExecutionStore
from mats.services.execution.messages import MessageOut

log = logging.getLogger(__name__)


class FillBooking:
    def __init__(self, *, store: ExecutionStore, out: MessageOut, clock: Clock) -> None:
        self._store = store
        self._out = out
        self._clock = clock
        self._changed_accounts: set[str] = set()  # Live accounts with fills not yet published.

    def book(self, order: Order, venue_fill: VenueFill, venue_name: str) -> bool:
        """Record one execution and apply it to the ledger, once; ``True`` if it was new."""
        fill = Fill(
            id=venue_fill.execution_id,
            created_at=self._clock.now(),
            order_id=order.id,
            signal_id=order.signal_id,
            strategy_id=order.strategy_id,
            account=order.account,
            broker=venue_name,
            trading_mode=order.trading_mode,
            symbol=order.symbol,
            side=venue_fill.side,
            quantity=venue_fill.quantity,
            price=venue_fill.price,
            commission=venue_fill.commission,
            currency=order.currency,
            executed_at=venue_fill.at,
            purpose=order.purpose,
            multiplier=order.multiplier,
            commission_currency=(
                venue_fill.commission_currency
                if venue_fill.commission_currency not in (None, order.currency)
                else None
            ),
        )
        if not self._store.record_fill(fill):
            return False
        self._apply(fill)
        self._publish(fill)
        if order.trading_mode is TradingMode.LIVE:
            self._changed_accounts.add(order.account)
        return True

    def sweep(self) -> None:
        """Finish what a crash interrupted: fills recorded but not applied, or not published."""
        for fill in self._store.unapplied_fills():
            self._apply(fill)
        for fill in self._store.unpublished_fills():
            self._publish(fill)

    def take_changed_accounts(self) -> set[str]:
        """Live accounts that have had fills since the last call (their snapshot is stale)."""
        changed, self._changed_accounts = self._changed_accounts, set()
        return changed

    def _apply(self, fill: Fill) -> None:
        position = self._store.position(fill.account, fill.strategy_id, fill.symbol)
        updated = apply_fill(
            position,
            LedgerFill(
                execution_id=fill.id,
                side=fill.side,
                quantity=fill.quantity,
                price=fill.price,
                at=fill.executed_at,
                # A commission charged in another currency (BNB, the bought coin) is not in
                # the instrument's money; the venue's balances carry it, and reconciliation.
                commission=fill.commission if fill.commission_currency is None else Decimal(0),
                multiplier=fill.multiplier,
                currency=fill.currency,
            ),
            account=fill.account,
            strategy_id=fill.strategy_id,
            symbol=fill.symbol,
            source=PAPER_SOURCE if fill.trading_mode is TradingMode.PAPER else "fills",
        )
        self._store.apply_fill(fill, updated)
        log.info(
            "fill booked",
            extra={
                "execution_id": fill.id,
                "order_id": fill.order_id,
                "position": str(updated.quantity),
            },
        )

    def _publish(self, fill: Fill) -> None:
        if self._out.publish(to_message(fill)):
            self._store.mark_fill_published(fill.id)
