"""Investors: clients, their deposits and withdrawals, and the NAV strikes that deal them.

A flow is recorded with its date and dealt at the next strike (forward pricing). A strike is
struck once per date (``nav_strikes/{YYYY-MM-DD}``; a repeat answers with the first) and only
forward in time. Fund NAV at a strike = sum of account equity in base - the fees owed to senders -
the cash held for clients (withdrawals not yet sent, refused deposits not yet returned); the
unit arithmetic is :func:`mats.domain.funds.units.strike`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, time
from decimal import Decimal

from mats.domain.accounting.fund import FundValuation
from mats.domain.accounting.views import (
    Client,
    ClientView,
    FlowLine,
    MonthReturn,
    NavHistory,
    NavPointView,
    ReturnsView,
    StrikeRecord,
    YearReturn,
    cents,
)
from mats.domain.funds import returns as twr
from mats.domain.funds.payouts import parse_month
from mats.domain.funds.units import (
    ClientFlow,
    FlowKind,
    FlowStatus,
    client_value,
    parse_amount,
    parse_units,
    strike,
)
from mats.errors import ConflictError, ValidationError
from mats.ports import Clock, RecordStore
from mats.services.accounting.flows import (
    FLOWS,
    Booked,
    FlowRequest,
    held_for_withdrawals,
    record_flow,
    repeated_flow,
    request_flow_id,
    write_flows,
)
from mats.services.accounting.payouts import NAV_STRIKES, PayoutBook
from mats.services.accounting.valuing import FundValuer

CLIENTS = "clients"
CLIENT_VIEWS = "client_views"
FUND_RETURNS = "fund_returns"  # "current": the latest RECENT_MONTHS months, every year
RETURN_YEARS = "fund_return_years"  # {YYYY}: that year's months
NAV_HISTORY = "nav_history"  # {YYYY-MM}: a point per strike
RECENT_MONTHS = 12

MAX_FLOW_LINES = 10  # A client view lists the newest flows, so it stays one bounded document.

_CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class InvestorBook:
    def __init__(
        self,
        *,
        records: RecordStore,
        valuer: FundValuer,
        payouts: PayoutBook,
        clock: Clock,
        strike_time: time,
    ) -> None:
        self._records = records
        self._valuer = valuer
        self._payouts = payouts
        self._clock = clock
        self._strike_time = strike_time

    # Clients and flows ---------------------------------------------------------------------

    def create_client(self, client_id: str, name: str, *, email: str | None = None) -> Client:
        if not _CLIENT_ID.match(client_id or ""):
            raise ValidationError(
                "client_id",
                "use 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit",
            )
        if not (name or "").strip():
            raise ValidationError("name", "a client needs a name")
        client = Client(client_id, name.strip(), self._clock.now(), email)
        if not self._records.create(CLIENTS, client_id, client):
            raise ConflictError(f"client {client_id!r} already exists", field="client_id")
        return client

    def clients(self) -> list[Client]:
        return sorted(self._records.list(CLIENTS, Client), key=lambda c: c.client_id)

    def find(self, client_id: str) -> Client | None:
        """The client, or ``None`` (an API must not list the others, as :meth:`client` does)."""
        return self._records.get(CLIENTS, client_id, Client)

    def client(self, client_id: str) -> Client:
        found = self.find(client_id)
        if found is None:
            known = ", ".join(c.client_id for c in self.clients()) or "none yet"
            raise ValidationError("client", f"no client {client_id!r} (known: {known})")
        return found

    def flows(self, client_id: str | None = None) -> list[ClientFlow]:
        filters = [("client_id", "==", client_id)] if client_id else []
        found = self._records.list(FLOWS, ClientFlow, filters=filters)
        return sorted(found, key=lambda f: (f.recorded_at, f.flow_id))

    def deposit(
        self,
        client_id: str,
        amount: object,
        *,
        on: date | None = None,
        request_id: str | None = None,
    ) -> Booked:
        """Record a deposit, dealt at the next strike; with a ``request_id``, once per request."""
        self.client(client_id)
        wanted = FlowRequest(client_id, FlowKind.DEPOSIT, parse_amount(amount), None, on)
        return record_flow(
            self._records, self._clock, wanted, request_flow_id(client_id, request_id)
        )

    def withdraw(
        self,
        client_id: str,
        *,
        amount: object | None = None,
        units: object | None = None,
        on: date | None = None,
        request_id: str | None = None,
    ) -> Booked:
        """Record a withdrawal of an amount or of units; more than the holding is refused.
        With a ``request_id``, once per request (a repeat is answered before any check)."""
        self.client(client_id)
        if (amount is None) == (units is None):
            raise ValidationError("amount", "give an amount or a number of units, not both")
        money = parse_amount(amount) if amount is not None else None
        count = parse_units(units, "units") if units is not None else None
        wanted = FlowRequest(client_id, FlowKind.WITHDRAWAL, money, count, on)
        flow_id = request_flow_id(client_id, request_id)
        if flow_id is not None:
            repeat = repeated_flow(self._records, wanted, flow_id)
            if repeat is not None:
                return Booked(repeat, new=False)
        held, navpu = self._holding(client_id)
        if navpu is None:
            raise ValidationError(
                "client", f"{client_id} holds no units yet (no NAV strike has dealt a deposit)"
            )
        pending = sum(
            (
                f.units if f.units is not None else (f.amount or Decimal(0)) / navpu
                for f in self.flows(client_id)
                if f.kind is FlowKind.WITHDRAWAL and f.status is FlowStatus.PENDING
            ),
            Decimal(0),
        )
        free = held - pending
        asked = count if count is not None else (money or Decimal(0)) / navpu
        if asked > free:
            value = client_value(max(free, Decimal(0)), navpu)
            field = "units" if count is not None else "amount"
            raise ValidationError(
                field,
                f"{client_id} holds {free} units free to withdraw (worth {value} at the last NAV "
                f"per unit {navpu}); the withdrawal asks for more",
            )
        return record_flow(self._records, self._clock, wanted, flow_id)

    def pay(self, flow_id: str, *, reference: str) -> ClientFlow:
        """Record the cash of a dealt withdrawal (or a refused deposit) sent to the client."""
        if not reference.strip():
            raise ValidationError("reference", "say how the cash was sent (a transfer reference)")
        flow = self._records.get(FLOWS, flow_id, ClientFlow)
        if flow is None:
            raise ValidationError("flow", f"no flow {flow_id!r}; see `mats clients show`")
        owed = (flow.kind is FlowKind.WITHDRAWAL and flow.status is FlowStatus.DEALT) or (
            flow.kind is FlowKind.DEPOSIT and flow.status is FlowStatus.REFUSED
        )
        if not owed:
            raise ValidationError(
                "flow", f"{flow_id} is a {flow.status} {flow.kind}: no cash is owed"
            )
        if flow.paid_at is not None:
            raise ValidationError("flow", f"{flow_id} was already paid ({flow.paid_reference})")
        paid = replace(flow, paid_at=self._clock.now(), paid_reference=reference.strip())
        write_flows(self._records, [paid])
        view = self._records.get(CLIENT_VIEWS, paid.client_id, ClientView)
        if view is not None:  # The line the client sees says the cash was sent.
            lines = tuple(_line(paid) if line.flow_id == flow_id else line for line in view.flows)
            self._records.put(CLIENT_VIEWS, paid.client_id, replace(view, flows=lines))
        return paid

    def _holding(self, client_id: str) -> tuple[Decimal, Decimal | None]:
        latest = self.latest_strike()
        if latest is None:
            return Decimal(0), None
        return latest.holdings.get(client_id, Decimal(0)), latest.nav_per_unit

    # Strikes -------------------------------------------------------------------------------

    def strike_at(self, on: date | None = None) -> datetime:
        """The moment of a strike on ``on`` (at ``MATS_NAV_STRIKE_AT``), or now."""
        if on is None:
            return self._clock.now()
        return datetime.combine(on, self._strike_time, UTC)

    def strike(
        self, at: datetime, *, fees_owed: Decimal, valuation: FundValuation | None = None
    ) -> tuple[StrikeRecord, bool]:
        """Strike the NAV per unit at ``at`` and deal the pending flows; ``(record, new)``.

        ``valuation`` is the fund valued at ``at`` when the caller has it already."""
        if at > self._clock.now():
            raise ValidationError("at", f"{at:%Y-%m-%d %H:%M} UTC is in the future")
        strike_id = at.date().isoformat()
        existing = self._records.get(NAV_STRIKES, strike_id, StrikeRecord)
        if existing is not None:
            return existing, False
        latest = self.latest_strike()
        if latest is not None and latest.at >= at:
            raise ValidationError(
                "at", f"the latest strike is {latest.strike_id}; strikes only go forward"
            )
        valuation = valuation or self._valuer.value(at)
        held = held_for_withdrawals(self._records, at)
        equity = cents(valuation.equity)
        pending = [
            f
            for f in self._records.list(FLOWS, ClientFlow, filters=[("status", "==", "PENDING")])
            if f.recorded_at <= at
        ]
        dealt = strike(
            strike_id=strike_id,
            at=at,
            fund_nav=equity - fees_owed - held,
            holdings=latest.holdings if latest else {},
            pending=pending,
            withdrawals_held=held,
        )
        record = StrikeRecord(
            strike_id=strike_id,
            at=at,
            equity=equity,
            fees_owed=fees_owed,
            withdrawals_held=held,
            fund_nav=dealt.fund_nav,
            units_before=dealt.units_before,
            nav_before_dealing=dealt.nav_before_dealing,
            nav_per_unit=dealt.nav_per_unit,
            units_after=dealt.units_after,
            nav_after_dealing=dealt.nav_after_dealing,
            residual=dealt.residual,
            dealt=tuple(f.flow_id for f in dealt.dealt),
            refused=tuple(f.flow_id for f in dealt.refused),
            holdings={client: units for client, units in dealt.holdings_after if units},
            sender_totals={sender: cents(total.net) for sender, total in valuation.senders.items()},
            flags=tuple(sorted(valuation.flags)),
        )
        if not self._records.create(NAV_STRIKES, strike_id, record):
            stored = self._records.get(NAV_STRIKES, strike_id, StrikeRecord)
            return stored or record, False
        write_flows(self._records, [*dealt.dealt, *dealt.refused])
        self._write_views(record)
        return record, True

    def latest_strike(self) -> StrikeRecord | None:
        found = self._records.list(
            NAV_STRIKES, StrikeRecord, order_by="at", descending=True, limit=1
        )
        return found[0] if found else None

    def strikes(self, *, since: datetime | None = None) -> list[StrikeRecord]:
        filters = [("at", ">=", since)] if since is not None else []
        return self._records.list(NAV_STRIKES, StrikeRecord, filters=filters, order_by="at")

    def last_strike_of(self, month: str) -> StrikeRecord | None:
        first = parse_month(month)
        start = datetime(first.year, first.month, 1, tzinfo=UTC)
        end = datetime(first.year + first.month // 12, first.month % 12 + 1, 1, tzinfo=UTC)
        found = self._records.list(
            NAV_STRIKES,
            StrikeRecord,
            filters=[("at", ">=", start), ("at", "<", end)],
            order_by="at",
            descending=True,
            limit=1,
        )
        return found[0] if found else None

    # Views ---------------------------------------------------------------------------------

    def _write_views(self, latest: StrikeRecord) -> None:
        """NAV history (a page a month), the fund's returns (the latest and a page a year) and
        every client's view: each a bounded document whatever the history."""
        month = f"{latest.at:%Y-%m}"
        first = parse_month(month)
        page = [
            NavPointView(s.at.date(), s.nav_per_unit, s.nav_after_dealing, s.units_after)
            for s in self.strikes(since=datetime.combine(first, time(), UTC))
            if f"{s.at:%Y-%m}" == month
        ]
        self._records.put(NAV_HISTORY, month, NavHistory(month, tuple(page)))
        every = self.strikes()
        full = returns_view(every)
        year = str(latest.at.year)
        self._records.put(
            RETURN_YEARS,
            year,
            replace(full, months=tuple(m for m in full.months if m.month.startswith(year))),
        )
        view = replace(full, months=full.months[-RECENT_MONTHS:])
        self._records.put(FUND_RETURNS, "current", view)
        self.write_client_views(latest, view)

    def current_view(self, client_id: str) -> ClientView:
        """A client's view with its flows as they are now; writes nothing.

        The stored view is written at each strike, so its figures are the latest strike's,
        but the flows recorded since (the pending ones, by forward pricing) are not in it: they
        are read here. A client no strike has seen yet holds nothing.
        """
        client = self.client(client_id)
        stored = self._records.get(CLIENT_VIEWS, client_id, ClientView)
        if stored is None:
            latest = self.latest_strike()
            returns = self._records.get(FUND_RETURNS, "current", ReturnsView)
            base = self._valuer.base_currency
            own = self.flows(client_id)  # Before any strike: only pending flows exist.
            return client_view(client, own, latest, returns or returns_view([]), base)
        pending = self._records.list(
            FLOWS,
            ClientFlow,
            filters=[("client_id", "==", client_id), ("status", "==", FlowStatus.PENDING.value)],
        )
        lines = tuple(_line(f) for f in sorted(pending, key=_newest_first))
        flows = {line.flow_id: line for line in (*lines, *stored.flows)}  # Newer state wins.
        newest = sorted(flows.values(), key=lambda line: line.recorded_at, reverse=True)
        return replace(stored, pending=lines, flows=tuple(newest[:MAX_FLOW_LINES]))

    def write_client_views(self, latest: StrikeRecord, view: ReturnsView) -> None:
        flows = self.flows()
        items = []
        base = self._valuer.base_currency
        for client in self.clients():
            own = [f for f in flows if f.client_id == client.client_id]
            items.append((client.client_id, client_view(client, own, latest, view, base)))
        self._records.put_all(CLIENT_VIEWS, items)


def returns_view(strikes: list[StrikeRecord]) -> ReturnsView:
    points = [twr.NavPoint(s.at.date(), s.nav_per_unit) for s in strikes]
    if not points:
        return ReturnsView((), (), None, None, None, None, None)
    last = strikes[-1]
    return ReturnsView(
        months=tuple(MonthReturn(m, r) for m, r in twr.monthly_returns(points)),
        years=tuple(YearReturn(y, r) for y, r in twr.yearly_returns(points)),
        year_to_date=twr.year_to_date(points, last.at.date()),
        since_inception=twr.since_inception(points),
        max_drawdown=twr.max_drawdown(points),
        nav_per_unit=last.nav_per_unit,
        as_of=last.at,
    )


def client_view(
    client: Client,
    flows: list[ClientFlow],
    latest: StrikeRecord | None,
    view: ReturnsView,
    base_currency: str,
) -> ClientView:
    """A client's view at the latest strike (before the first: no units, no NAV per unit)."""
    units = latest.holdings.get(client.client_id, Decimal(0)) if latest else Decimal(0)
    value = client_value(units, latest.nav_per_unit) if latest else Decimal("0.00")
    dealt = [f for f in flows if f.status is FlowStatus.DEALT]
    contributed = sum((f.amount_dealt or Decimal(0) for f in dealt), Decimal(0))
    cashflows = [(f.recorded_at.date(), -(f.amount_dealt or Decimal(0))) for f in dealt]
    irr = (
        twr.xirr([*cashflows, (latest.at.date(), value)])
        if latest is not None and dealt and value
        else None
    )
    lines = tuple(_line(f) for f in reversed(flows))
    return ClientView(
        client_id=client.client_id,
        name=client.name,
        base_currency=base_currency,
        units=units,
        nav_per_unit=latest.nav_per_unit if latest else None,
        value=value,
        net_contributions=cents(contributed),
        profit=value - cents(contributed),
        irr=irr,
        pending=tuple(line for line in lines if line.status == FlowStatus.PENDING.value),
        flows=lines[:MAX_FLOW_LINES],
        returns=replace(view, months=(), years=()),  # The tables: `fund_returns/current`.
        as_of=latest.at if latest else None,
    )


def _newest_first(flow: ClientFlow) -> tuple[float, str]:
    return (-flow.recorded_at.timestamp(), flow.flow_id)


def _line(flow: ClientFlow) -> FlowLine:
    return FlowLine(
        flow_id=flow.flow_id,
        kind=flow.kind.value,
        status=flow.status.value,
        recorded_at=flow.recorded_at,
        amount=flow.amount,
        units=flow.units,
        nav_per_unit=flow.nav_per_unit,
        units_dealt=flow.units_dealt,
        amount_dealt=flow.amount_dealt,
        strike_id=flow.strike_id,
        reason=flow.reason,
        paid_at=flow.paid_at,
        paid_reference=flow.paid_reference,
    )
