"""A year of demo history, produced by running the real accounting over generated facts.

Nothing here types a figure the dashboard shows. What is generated (numpy, one fixed seed, so
every run trades the same sequence; only the calendar it lands on moves with today's date):

- **Markets:** a daily close per traded instrument (ES1!, AAPL, ETHUSDT) for every business day
  of the year ending yesterday: a random walk with a slowly turning trend, ending at the price
  the demo's simulated gateway quotes today. USDT/USD on Mondays, Wednesdays and Fridays (never
  older than ``MATS_FX_MAX_AGE_DAYS`` at a strike), near 1.
- **Signals:** the LIVE demo strategies (trend-es, momentum-aapl, and eth-carry until it was
  switched off) change their target position every few days, leaning with the trend; each change
  is a TradingView-style alert from one of the two demo senders, parsed by the real parser and
  stored in ``signals`` as ingest stores an accepted, published signal (so fills attribute to
  the sender). Each alert's order fills in one or two executions (partial fills) at the
  intraday price, with the venue's commission.
- **Orders:** each alert's order (``{signal_id}_ORD``, no Cerebro decision behind it) is sent
  and followed as the bridge does it (``orders.py``): moved by the execution domain's functions
  to FILLED at its last execution, each execution booked by the bridge's ``FillBooking`` into
  ``fills`` and ``positions``, its ``mats.fill.v1`` handed to the accounting's ``on_fill``.
- **The broker:** each account's cash and holdings, valued at the day's marks, give the equity
  it reports (with its marks) in an account update after every cash movement and at each close.
- **Clients:** four investors with deposits and withdrawals (by amount and by units) through
  the year; their cash reaches (and leaves) the accounts in fixed shares.

It is replayed in time order through the real services with a clock that moves to each
event: orders sent at their alert's time, their executions booked (and taken by
``AccountingService.on_fill``) and account updates taken by ``on_account`` at their times, a
snapshot at each close (21:00 UTC), ``strike(on=day)`` each business day at
``MATS_NAV_STRIKE_AT``, ``crystallise(month)`` just after each month end; dealt withdrawals are paid
(``InvestorBook.pay``) the next business day and payable sender fees paid (``mark_paid``) on
their payment date, each leaving the accounts' cash. Messages are taken with ``refresh=False``
(a backfill's facts only), so the read models are recomputed once a day, by the strike, rather
than after every message: the documents are the same, since every refresh recomputes them
from the facts.

Where it runs: on services of its own (the stack's settings, this clock) over the real Firestore
adapters on an in-memory client (``memory_firestore.py``); every document they wrote is then
copied into the stack's store in batches. A year takes seconds this way, where the emulator's
round trips took minutes, and nothing live ever sees half a history.

Positions: every history position is closed on the last business day, so the fund is flat today,
as the bridge's own ledger and the simulated gateway are; the stack then reports each account's
final equity to the gateway and to ``accounts`` so today's broker figures continue the history.
"""

from mats.localstack.demo_history.scenario import FIRST, SECOND
from mats.localstack.demo_history.seeding import HistoryReport, seed_history

__all__ = ["FIRST", "SECOND", "HistoryReport", "seed_history"]
