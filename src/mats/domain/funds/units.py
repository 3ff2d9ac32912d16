"""NAV per unit strikes and the dealing of clients' deposits and withdrawals.

The fund has one unitised share class. Conventions (decided; the README documents them):

- **Forward pricing.** A flow is recorded with its time and dealt at the *next* strike; every
  flow of a strike deals at that strike's one NAV per unit, in recorded order.
- **Cash at the broker.** A deposit's cash is at the broker before it is dealt. A withdrawal is
  dealt first; its cash stays at the broker, *held*, until an admin records it sent (``paid_at``).
- **Fund NAV** (the input) = Σ account equity in base - accrued sender fees - cash held for
  withdrawals (amount withdrawals still pending, and withdrawals dealt but not yet paid).
- **NAV per unit** = (fund NAV - cash of the deposits pending + cash held for the amount
  withdrawals pending) ÷ units in issue before dealing, 6 dp half-up. The first strike (no units
  in issue) is at 100.000000.
- **Rounding favours the fund.** Deposits issue ⌊amount ÷ NAVPU⌋ units (6 dp); amount
  withdrawals cancel ⌈amount ÷ NAVPU⌉ units and pay the amount; unit withdrawals pay
  ⌊units * NAVPU⌋ to the cent. Rounding never creates money: issued units * NAVPU ≤ amount in,
  cancelled units * NAVPU ≥ amount out.
- **Refusals.** A withdrawal above the client's holding (after the flows ahead of it in this
  strike) is refused with a reason, as is a flow too small to move a unit or a cent; a refused
  deposit's cash is owed back and counts as held.
- **Residual.** A client's value is units * NAVPU half-up to the cent; the residual = fund NAV
  after dealing - Σ client values. It stays with the fund and is reported exactly (it may be
  negative by a few cents' rounding).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation
from enum import StrEnum

from mats.errors import ValidationError

CENT = Decimal("0.01")
UNIT = Decimal("0.000001")
NAV_PER_UNIT_STEP = Decimal("0.000001")
FIRST_NAV_PER_UNIT = Decimal("100.000000")


class FlowKind(StrEnum):
    DEPOSIT = "DEPOSIT"
    WITHDRAWAL = "WITHDRAWAL"


class FlowStatus(StrEnum):
    PENDING = "PENDING"
    DEALT = "DEALT"
    REFUSED = "REFUSED"


def to_cents(amount: Decimal) -> Decimal:
    """Round money half-up to the cent, as it is shown and stored."""
    return amount.quantize(CENT, ROUND_HALF_UP)


def client_value(units: Decimal, nav_per_unit: Decimal) -> Decimal:
    """Return a holding's value: units * NAV per unit, half-up to the cent."""
    return to_cents(units * nav_per_unit)


def parse_decimal(raw: object, field: str, *, places: int) -> Decimal:
    """Parse a positive finite number of at most ``places`` decimals, written out (no float,
    no exponent), or raise naming ``field``."""
    if isinstance(raw, bool | float):
        raise ValidationError(field, f"give an exact decimal number, not {raw!r}")
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(field, f"not a number: {raw!r}") from None
    if not value.is_finite():
        raise ValidationError(field, f"not a finite number: {raw!r}")
    if isinstance(raw, str) and "e" in raw.casefold():
        raise ValidationError(field, f"write the digits, with no exponent: {raw!r}")
    if value <= 0:
        raise ValidationError(field, f"must be positive, got {value}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        raise ValidationError(field, f"at most {places} decimal places, got {value}")
    return value


def parse_amount(raw: object, field: str = "amount") -> Decimal:
    """Parse a positive money amount with at most 2 decimals (cents)."""
    return parse_decimal(raw, field, places=2)


def parse_units(raw: object, field: str = "units") -> Decimal:
    """Parse a positive number of units with at most 6 decimals."""
    return parse_decimal(raw, field, places=6)


@dataclass(frozen=True)
class ClientFlow:
    """A client's deposit or withdrawal: an amount or (withdrawals only) a number of units.

    Once dealt, ``units_dealt`` is signed (+ issued, - cancelled) and ``amount_dealt`` is the cash
    in (+) or out (-) at the cent. ``paid_at``/``paid_reference`` record a withdrawal's cash sent.
    """

    flow_id: str
    client_id: str
    kind: FlowKind
    amount: Decimal | None
    units: Decimal | None
    recorded_at: datetime
    status: FlowStatus = FlowStatus.PENDING
    strike_id: str | None = None
    nav_per_unit: Decimal | None = None
    units_dealt: Decimal | None = None
    amount_dealt: Decimal | None = None
    reason: str | None = None
    paid_at: datetime | None = None
    paid_reference: str | None = None

    def __post_init__(self) -> None:
        if not self.flow_id:
            raise ValidationError("flow_id", "required")
        if not self.client_id:
            raise ValidationError("client_id", "required")
        if self.recorded_at.tzinfo is None:
            raise ValidationError("recorded_at", "must be timezone-aware (UTC)")
        if (self.amount is None) == (self.units is None):
            raise ValidationError("amount", "give exactly one of an amount or a number of units")
        if self.kind is FlowKind.DEPOSIT and self.units is not None:
            raise ValidationError("units", "a deposit is an amount of money, not units")
        if self.amount is not None:
            parse_amount(self.amount)
        if self.units is not None:
            parse_units(self.units)


@dataclass(frozen=True)
class Strike:
    """One NAV per unit strike and the flows dealt (or refused) at it.

    ``withdrawals_held`` is the cash held for withdrawals that ``fund_nav`` already excludes;
    ``withdrawals_held_after`` adds the unit withdrawals dealt now and the refused deposits' cash
    (owed back), less the refused amount withdrawals (no longer held).
    ``nav_after_dealing + withdrawals_held_after == fund_nav + withdrawals_held`` always.
    """

    strike_id: str
    at: datetime
    fund_nav: Decimal
    units_before: Decimal
    nav_before_dealing: Decimal
    nav_per_unit: Decimal
    dealt: tuple[ClientFlow, ...]
    refused: tuple[ClientFlow, ...]
    units_after: Decimal
    residual: Decimal
    nav_after_dealing: Decimal
    withdrawals_held: Decimal
    withdrawals_held_after: Decimal
    holdings_after: tuple[tuple[str, Decimal], ...]

    def holding(self, client_id: str) -> Decimal:
        """Return a client's units after this strike's dealing (0 for a stranger)."""
        return dict(self.holdings_after).get(client_id, Decimal(0))

    def value(self, client_id: str) -> Decimal:
        """Return a client's value after dealing, half-up to the cent."""
        return client_value(self.holding(client_id), self.nav_per_unit)


@dataclass(frozen=True)
class _Dealing:
    flow: ClientFlow
    units: Decimal
    cash: Decimal


def strike(
    *,
    strike_id: str,
    at: datetime,
    fund_nav: Decimal,
    holdings: Mapping[str, Decimal],
    pending: Sequence[ClientFlow],
    withdrawals_held: Decimal,
) -> Strike:
    """Strike the NAV per unit and deal every pending flow at it, in recorded order."""
    _check_inputs(
        strike_id=strike_id,
        at=at,
        fund_nav=fund_nav,
        holdings=holdings,
        pending=pending,
        withdrawals_held=withdrawals_held,
    )
    ordered = sorted(pending, key=lambda flow: (flow.recorded_at, flow.flow_id))
    units_before = sum(holdings.values(), Decimal(0))
    deposits = sum(
        (f.amount or Decimal(0) for f in ordered if f.kind is FlowKind.DEPOSIT), Decimal(0)
    )
    held_now = sum(
        (f.amount or Decimal(0) for f in ordered if f.kind is FlowKind.WITHDRAWAL), Decimal(0)
    )
    if held_now > withdrawals_held:
        raise ValidationError(
            "withdrawals_held",
            f"{withdrawals_held} held is less than the {held_now} of pending amount withdrawals",
        )
    nav_before = fund_nav - deposits + held_now
    nav_per_unit = _nav_per_unit(nav_before, units_before)
    if nav_per_unit <= 0 and ordered:
        raise ValidationError("fund_nav", f"NAV per unit {nav_per_unit} leaves nothing to deal at")

    units = {client: amount for client, amount in holdings.items()}
    dealt: list[ClientFlow] = []
    refused: list[ClientFlow] = []
    nav_after, held_after = nav_before, withdrawals_held
    for flow in ordered:
        outcome = _deal(flow, nav_per_unit, units.get(flow.client_id, Decimal(0)), strike_id)
        if isinstance(outcome, _Dealing):
            dealt.append(outcome.flow)
            units[flow.client_id] = units.get(flow.client_id, Decimal(0)) + outcome.units
            nav_after += outcome.cash
            if flow.units is not None:  # A unit withdrawal's cash is known (and held) only now.
                held_after -= outcome.cash
        else:
            refused.append(outcome)
            held_after += _refused_cash_held(flow)

    values = sum((client_value(u, nav_per_unit) for u in units.values()), Decimal(0))
    return Strike(
        strike_id=strike_id,
        at=at,
        fund_nav=fund_nav,
        units_before=units_before,
        nav_before_dealing=nav_before,
        nav_per_unit=nav_per_unit,
        dealt=tuple(dealt),
        refused=tuple(refused),
        units_after=sum(units.values(), Decimal(0)),
        residual=nav_after - values,
        nav_after_dealing=nav_after,
        withdrawals_held=withdrawals_held,
        withdrawals_held_after=held_after,
        holdings_after=tuple(sorted(units.items())),
    )


def _nav_per_unit(nav_before: Decimal, units_before: Decimal) -> Decimal:
    if units_before == 0:
        return FIRST_NAV_PER_UNIT
    return (nav_before / units_before).quantize(NAV_PER_UNIT_STEP, ROUND_HALF_UP)


def _refused_cash_held(flow: ClientFlow) -> Decimal:
    # A refused deposit's cash is owed back to the client; a refused amount withdrawal's is not
    # held any more (it goes back into the fund's NAV).
    if flow.kind is FlowKind.DEPOSIT:
        return flow.amount or Decimal(0)
    return -(flow.amount or Decimal(0))


def _deal(
    flow: ClientFlow, nav_per_unit: Decimal, holding: Decimal, strike_id: str
) -> _Dealing | ClientFlow:
    stamped = replace(flow, strike_id=strike_id, nav_per_unit=nav_per_unit)
    units, cash, reason = _units_and_cash(flow, nav_per_unit, holding)
    if reason is not None:
        return replace(stamped, status=FlowStatus.REFUSED, reason=reason)
    return _Dealing(
        replace(stamped, status=FlowStatus.DEALT, units_dealt=units, amount_dealt=cash),
        units,
        cash,
    )


def _units_and_cash(
    flow: ClientFlow, nav_per_unit: Decimal, holding: Decimal
) -> tuple[Decimal, Decimal, str | None]:
    """Signed units and cash of a flow at ``nav_per_unit``, or the reason it is refused."""
    zero = Decimal(0)
    if flow.kind is FlowKind.DEPOSIT:
        amount = flow.amount or zero
        issued = (amount / nav_per_unit).quantize(UNIT, ROUND_DOWN)  # Round down: favour the fund
        if issued == 0:
            return zero, zero, f"{amount} buys no unit at NAV per unit {nav_per_unit}"
        return issued, amount, None
    if flow.amount is not None:
        cancelled = (flow.amount / nav_per_unit).quantize(UNIT, ROUND_UP)  # Round up: the fund
        cash = flow.amount
    else:
        cancelled = flow.units or zero
        cash = (cancelled * nav_per_unit).quantize(CENT, ROUND_DOWN)  # Round down: the fund
        if cash == 0:
            return zero, zero, f"{cancelled} units pay less than a cent at {nav_per_unit}"
    if cancelled > holding:
        most = (holding * nav_per_unit).quantize(CENT, ROUND_DOWN)
        return (
            zero,
            zero,
            f"withdrawal of {cancelled} units exceeds the holding of {holding} units "
            f"(at most {most} by amount at NAV per unit {nav_per_unit})",
        )
    return -cancelled, -cash, None


def _check_inputs(
    *,
    strike_id: str,
    at: datetime,
    fund_nav: Decimal,
    holdings: Mapping[str, Decimal],
    pending: Sequence[ClientFlow],
    withdrawals_held: Decimal,
) -> None:
    try:
        date.fromisoformat(strike_id)
    except ValueError:
        raise ValidationError(
            "strike_id", f"must be a date YYYY-MM-DD, got {strike_id!r}"
        ) from None
    if at.tzinfo is None:
        raise ValidationError("at", "must be timezone-aware (UTC)")
    if not fund_nav.is_finite():
        raise ValidationError("fund_nav", f"not a finite number: {fund_nav}")
    if not withdrawals_held.is_finite() or withdrawals_held < 0:
        raise ValidationError("withdrawals_held", f"must be zero or more, got {withdrawals_held}")
    for client, units in holdings.items():
        if not units.is_finite() or units < 0:
            raise ValidationError("holdings", f"{client} holds {units} units")
    seen: set[str] = set()
    for flow in pending:
        if flow.status is not FlowStatus.PENDING:
            raise ValidationError("pending", f"flow {flow.flow_id} is {flow.status}, not PENDING")
        if flow.flow_id in seen:
            raise ValidationError("pending", f"flow {flow.flow_id} appears twice")
        seen.add(flow.flow_id)
