"""Sender fee crystallisation against a high-water mark, the daily accrual and the pay date.

The payout rule (default; every number is a per-sender setting in ``PayoutTerms``):

- **C** is the sender's cumulative P&L since onboarding (realised + unrealised, net of
  commissions, base currency, of the lots its signals opened), in cents.
- **HWM in money**, not per unit: it starts at 0 and after each crystallisation becomes
  max(HWM, C), so it never falls. Changing a sender's allocation neither resets nor distorts it.
- **Fee** at each month's last NAV strike = rate * max(0, C - HWM), half-up to the cent: never a
  fee on losses, and losses carry forward (C must climb back above the HWM before any new fee).
- **No clawback:** a fee once crystallised is never taken back, whatever C does later.
- **Minimum payout:** a fee plus what was carried in that is under ``min_payout`` is carried to
  the next month instead of paid.
- **Payable** on ``payment_day`` (the 1st) of the month after the crystallised month.
- **Accrual:** each day the fund carries rate * max(0, C - HWM) as a liability, so investors'
  NAV is net of the fee a sender would earn if the month ended that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from mats.errors import ValidationError

CENT = Decimal("0.01")
_LAST_SAFE_PAYMENT_DAY = 28  # Every month has a 28th.


@dataclass(frozen=True)
class PayoutTerms:
    """A sender's payout settings: fee rate on new profit, minimum payout, day of payment."""

    rate: Decimal = Decimal("0.20")
    min_payout: Decimal = Decimal(50)
    payment_day: int = 1

    def __post_init__(self) -> None:
        if not self.rate.is_finite() or not Decimal(0) <= self.rate <= Decimal(1):
            raise ValidationError("rate", f"must be between 0 and 1, got {self.rate}")
        if not self.min_payout.is_finite() or self.min_payout < 0:
            raise ValidationError("min_payout", f"must be zero or more, got {self.min_payout}")
        if not 1 <= self.payment_day <= _LAST_SAFE_PAYMENT_DAY:
            raise ValidationError(
                "payment_day", f"must be 1 to {_LAST_SAFE_PAYMENT_DAY}, got {self.payment_day}"
            )


@dataclass(frozen=True)
class Crystallisation:
    """One sender's month-end crystallisation; money in base currency, cents.

    ``payable = fee + carried_in`` when that reaches ``min_payout``, else 0 and it is all
    ``carried_out``; so ``fee + carried_in == payable + carried_out`` always.
    """

    sender_id: str
    month: str
    at: datetime
    cumulative_pnl: Decimal
    hwm_before: Decimal
    hwm_after: Decimal
    fee: Decimal
    carried_in: Decimal
    payable: Decimal
    carried_out: Decimal
    payment_date: date


def parse_month(month: str, field: str = "month") -> date:
    """Parse ``YYYY-MM`` into the first day of that month or raise naming ``field``."""
    try:
        if len(month) != 7:
            raise ValueError(month)
        return date.fromisoformat(f"{month}-01")
    except ValueError:
        raise ValidationError(field, f"must be YYYY-MM, got {month!r}") from None


def accrued_fee(cumulative_pnl: Decimal, hwm: Decimal, terms: PayoutTerms) -> Decimal:
    """Return the fee liability today: rate * max(0, C - HWM), half-up to the cent."""
    _check_money(cumulative_pnl, "cumulative_pnl")
    _check_hwm(hwm)
    return _fee(cumulative_pnl.quantize(CENT, ROUND_HALF_UP), hwm, terms)


def crystallise(
    *,
    sender_id: str,
    month: str,
    at: datetime,
    cumulative_pnl: Decimal,
    hwm: Decimal,
    carried: Decimal,
    terms: PayoutTerms,
) -> Crystallisation:
    """Crystallise a sender's fee for ``month`` at its last NAV strike ``at``."""
    if not sender_id:
        raise ValidationError("sender_id", "required")
    first_day = parse_month(month)
    if at.tzinfo is None:
        raise ValidationError("at", "must be timezone-aware (UTC)")
    _check_money(cumulative_pnl, "cumulative_pnl")
    _check_hwm(hwm)
    if not carried.is_finite() or carried < 0:
        raise ValidationError("carried", f"must be zero or more, got {carried}")
    pnl = cumulative_pnl.quantize(CENT, ROUND_HALF_UP)
    fee = _fee(pnl, hwm, terms)
    due = fee + carried
    payable = due if due >= terms.min_payout and due > 0 else Decimal("0.00")
    return Crystallisation(
        sender_id=sender_id,
        month=month,
        at=at,
        cumulative_pnl=pnl,
        hwm_before=hwm,
        hwm_after=max(hwm, pnl),
        fee=fee,
        carried_in=carried,
        payable=payable,
        carried_out=due - payable,
        payment_date=next_payment_date(first_day, terms),
    )


def next_payment_date(on: date, terms: PayoutTerms) -> date:
    """Return the day a fee crystallised on ``on`` is paid: ``payment_day`` of the next month."""
    year, month = (on.year + 1, 1) if on.month == 12 else (on.year, on.month + 1)
    return date(year, month, terms.payment_day)


def _fee(cumulative_pnl: Decimal, hwm: Decimal, terms: PayoutTerms) -> Decimal:
    new_profit = max(Decimal(0), cumulative_pnl - hwm)
    return (terms.rate * new_profit).quantize(CENT, ROUND_HALF_UP)


def _check_money(value: Decimal, field: str) -> None:
    if not value.is_finite():
        raise ValidationError(field, f"not a finite number: {value}")


def _check_hwm(hwm: Decimal) -> None:
    # The HWM starts at 0 and only rises, so a negative one is a corrupted record.
    if not hwm.is_finite() or hwm < 0:
        raise ValidationError("hwm", f"must be zero or more, got {hwm}")
