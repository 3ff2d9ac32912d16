"""Implementation shortfall: each order's legs in bps (positive = cost) and their aggregates."""

from __future__ import annotations

import dataclasses
import statistics
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mats.domain.accounting.shortfall import (
    ExecutionPrices,
    Latencies,
    Shortfall,
    shortfall,
    summarise,
)
from mats.domain.trading import Side

ALERT = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


def prices(**overrides: Any) -> ExecutionPrices:
    """A buy of 100 at a sender's price of 50.00, decided at 50.05, arriving at 50.10, filled
    at 50.20, with 1.00 of commission, in the base currency."""
    fields: dict[str, Any] = {
        "order_id": "trend_1_ORD",
        "strategy_id": "trend",
        "sender_id": "alice",
        "side": Side.BUY,
        "quantity_ordered": Decimal(100),
        "quantity_filled": Decimal(100),
        "sender_price": Decimal("50.00"),
        "decision_mid": Decimal("50.05"),
        "arrival_mid": Decimal("50.10"),
        "fill_vwap": Decimal("50.20"),
        "commission_base": Decimal("1.00"),
        "base_rate": Decimal(1),
    }
    fields.update(overrides)
    return ExecutionPrices(**fields)


def test_a_buy_that_paid_up_at_every_step_has_a_cost_in_every_leg() -> None:
    measured = shortfall(prices())

    # 0.05 / 50 = 0.001 -> 10 bp
    assert measured.signal_to_decision == Decimal("10.0000")
    # 0.05 / 50.05 = 0.000999000999... -> 9.99000999 bp
    assert measured.decision_to_arrival == Decimal("9.9900")
    # 0.10 / 50.10 = 0.001996007984... -> 19.96007984 bp
    assert measured.execution == Decimal("19.9601")
    # 0.20 / 50 = 0.004 -> 40 bp
    assert measured.total == Decimal("40.0000")
    # notional 100 * 50.20 = 5020; 1.00 / 5020 = 0.000199203187... -> 1.99203187 bp
    assert measured.notional == Decimal("5020.00")
    assert measured.fees_bps == Decimal("1.9920")


def test_a_sale_is_signed_the_other_way_and_a_favourable_move_is_negative() -> None:
    sale = prices(
        side=Side.SELL,
        quantity_ordered=Decimal(10),
        quantity_filled=Decimal(10),
        sender_price=Decimal("200.00"),
        decision_mid=Decimal("199.80"),
        arrival_mid=Decimal("199.90"),
        fill_vwap=Decimal("199.50"),
        commission_base=Decimal("2.75"),  # EUR 2.50 at 1.10
        base_rate=Decimal("1.10"),  # The instrument is in EUR, the fund in USD.
    )

    measured = shortfall(sale)

    # -(199.80 - 200) / 200 = 0.001: the price fell before we sold -> a 10 bp cost
    assert measured.signal_to_decision == Decimal("10.0000")
    # -(199.90 - 199.80) / 199.80 = -0.000500500... -> a 5.005 bp gain
    assert measured.decision_to_arrival == Decimal("-5.0050")
    # -(199.50 - 199.90) / 199.90 = 0.00200100050... -> 20.0100050 bp
    assert measured.execution == Decimal("20.0100")
    # -(199.50 - 200) / 200 = 0.0025 -> 25 bp
    assert measured.total == Decimal("25.0000")
    # notional 10 * 199.50 = EUR 1995 = USD 2194.50; 2.75 / 2194.50 = 12.5313283 bp
    assert measured.notional == Decimal("1995.00")
    assert measured.notional_base == Decimal("2194.5000")
    assert measured.fees_bps == Decimal("12.5313")


def test_the_notional_of_a_future_counts_its_multiplier() -> None:
    measured = shortfall(prices(quantity_filled=Decimal(2), multiplier=Decimal(50)))

    assert measured.notional == Decimal("5020.00")  # 2 * 50.20 * 50
    assert measured.fees_bps == Decimal("1.9920")


def test_latencies_are_whole_milliseconds_between_each_step() -> None:
    measured = shortfall(
        prices(
            alert_at=ALERT,
            received_at=ALERT + timedelta(milliseconds=850),
            decided_at=ALERT + timedelta(milliseconds=1200),
            submitted_at=ALERT + timedelta(milliseconds=1212, microseconds=500),
            first_fill_at=ALERT + timedelta(milliseconds=1252, microseconds=499),
        )
    )

    assert measured.latencies_ms == Latencies(
        alert_to_webhook=850,
        webhook_to_decision=350,
        decision_to_submit=13,  # 12.5 ms, half up
        submit_to_first_fill=40,  # 39.999 ms
    )


def test_a_sender_clock_ahead_of_ours_shows_as_a_negative_latency() -> None:
    measured = shortfall(prices(alert_at=ALERT, received_at=ALERT - timedelta(milliseconds=30)))

    assert measured.latencies_ms.alert_to_webhook == -30
    assert measured.latencies_ms.webhook_to_decision is None


def test_a_missing_sender_price_leaves_its_two_legs_unknown_and_the_rest_measured() -> None:
    measured = shortfall(prices(sender_price=None))

    assert (measured.signal_to_decision, measured.total) == (None, None)
    assert measured.decision_to_arrival == Decimal("9.9900")
    assert measured.execution == Decimal("19.9601")


def test_a_missing_decision_mid_is_never_filled_in_from_a_neighbour() -> None:
    measured = shortfall(prices(decision_mid=None))

    assert (measured.signal_to_decision, measured.decision_to_arrival) == (None, None)
    assert measured.execution == Decimal("19.9601")
    assert measured.total == Decimal("40.0000")


def test_a_missing_arrival_mid_leaves_the_legs_around_it_unknown() -> None:
    measured = shortfall(prices(arrival_mid=None))

    assert (measured.decision_to_arrival, measured.execution) == (None, None)
    assert measured.signal_to_decision == Decimal("10.0000")
    assert measured.total == Decimal("40.0000")


def test_an_unfilled_order_has_no_execution_total_notional_or_fees() -> None:
    measured = shortfall(prices(quantity_filled=Decimal(0), fill_vwap=None))

    assert measured.signal_to_decision == Decimal("10.0000")
    assert measured.decision_to_arrival == Decimal("9.9900")
    assert (measured.execution, measured.total, measured.fees_bps) == (None, None, None)
    assert (measured.notional, measured.notional_base) == (None, None)


def test_a_fill_price_without_filled_quantity_is_not_used() -> None:
    measured = shortfall(prices(quantity_filled=Decimal(0)))

    assert (measured.execution, measured.total, measured.notional) == (None, None, None)


def test_without_an_fx_rate_the_fee_leg_and_base_notional_are_unknown() -> None:
    measured = shortfall(prices(base_rate=None))

    assert (measured.fees_bps, measured.notional_base) == (None, None)
    assert measured.notional == Decimal("5020.00")
    assert measured.total == Decimal("40.0000")


def test_a_price_that_is_not_positive_cannot_be_a_base() -> None:
    measured = shortfall(prices(sender_price=Decimal(0)))

    assert (measured.signal_to_decision, measured.total) == (None, None)


# Aggregates


def an_order(order_id: str, total: str | None, notional: str | None, **legs: str) -> Shortfall:
    def leg(name: str) -> Decimal | None:
        return Decimal(legs[name]) if name in legs else None

    return Shortfall(
        order_id=order_id,
        strategy_id="trend",
        sender_id="alice",
        side=Side.BUY,
        quantity_ordered=Decimal(1),
        quantity_filled=Decimal(1),
        notional=Decimal(notional) if notional is not None else None,
        notional_base=Decimal(notional) if notional is not None else None,
        signal_to_decision=leg("signal_to_decision"),
        decision_to_arrival=leg("decision_to_arrival"),
        execution=leg("execution"),
        total=Decimal(total) if total is not None else None,
        fees_bps=leg("fees_bps"),
        latencies_ms=Latencies(),
    )


def test_a_group_is_summarised_with_weighted_mean_median_p90_and_its_worst_orders() -> None:
    orders = [
        an_order("A", "10", "1000", execution="4", fees_bps="1"),
        an_order("B", "-5", "3000", execution="-2", fees_bps="2"),
        an_order("C", "40", "500", execution="30"),
        an_order("D", "0", "1500", execution="0", fees_bps="1"),
        an_order("E", "25", "2000", execution="10", fees_bps="3"),
        an_order("F", "15", "1000", execution="5", fees_bps="1"),
        an_order("G", None, None, execution="7"),  # unfilled: not measured, no weight
    ]

    summary = summarise("trend", orders)

    assert (summary.group, summary.orders, summary.measured) == ("trend", 7, 6)
    assert summary.notional_base == Decimal(9000)
    # (10*1000 - 5*3000 + 40*500 + 0*1500 + 25*2000 + 15*1000) / 9000 = 80000 / 9000 = 8.8889
    assert summary.weighted_mean_bps == Decimal("8.8889")
    # sorted totals -5 0 10 15 25 40: median (10 + 15) / 2
    assert summary.median_bps == Decimal("12.5000")
    # p90 at rank 0.9 * 5 = 4.5: 25 + 0.5 * (40 - 25)
    assert summary.p90_bps == Decimal("32.5000")
    # (4*1000 - 2*3000 + 30*500 + 0 + 10*2000 + 5*1000) / 9000 = 38000 / 9000 = 4.2222
    assert summary.execution == Decimal("4.2222")
    # C has no fee leg: (1*1000 + 2*3000 + 1*1500 + 3*2000 + 1*1000) / 8500 = 15500 / 8500
    assert summary.fees_bps == Decimal("1.8235")
    assert summary.signal_to_decision is None
    assert [item.order_id for item in summary.worst] == ["C", "E", "F", "A", "D"]


def test_an_empty_group_has_no_figures() -> None:
    summary = summarise("nobody", [])

    assert (summary.orders, summary.measured, summary.notional_base) == (0, 0, Decimal(0))
    assert (summary.weighted_mean_bps, summary.median_bps, summary.p90_bps) == (None, None, None)
    assert summary.worst == ()
    assert summary.median_latencies_ms == Latencies()


def test_equal_totals_among_the_worst_are_listed_by_order_id() -> None:
    orders = [an_order(name, "5", "100") for name in "FEDCBA"]

    summary = summarise("ties", orders)

    assert [item.order_id for item in summary.worst] == ["A", "B", "C", "D", "E"]


def test_median_latencies_are_taken_over_the_orders_that_have_them() -> None:
    orders = [
        dataclasses.replace(an_order(str(i), "1", "1"), latencies_ms=Latencies(*values))
        for i, values in enumerate([(100, 10, None, 5), (300, 20, None, None), (200, None, 4, 6)])
    ]

    summary = summarise("timing", orders)

    assert summary.median_latencies_ms == Latencies(200, 15, 4, 6)  # (5 + 6) / 2 = 5.5, half up


bps = st.decimals(min_value=-500, max_value=500, places=4)
notionals = st.decimals(min_value=1, max_value=1_000_000, places=2)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(bps, notionals), min_size=1, max_size=40))
def test_aggregates_equal_an_independent_calculation(rows: list[tuple[Decimal, Decimal]]) -> None:
    orders = [an_order(f"O{i:03d}", str(t), str(n)) for i, (t, n) in enumerate(rows)]
    totals = [float(t) for t, _ in rows]

    summary = summarise("random", orders)

    weighted = sum(Fraction(t) * Fraction(n) for t, n in rows) / sum(Fraction(n) for _, n in rows)
    assert summary.weighted_mean_bps is not None
    assert summary.median_bps is not None
    assert summary.p90_bps is not None
    # Each figure is rounded half-up to 4 places: within half a unit of the 4th place.
    assert float(summary.weighted_mean_bps) == pytest.approx(float(weighted), abs=6e-5)
    assert float(summary.median_bps) == pytest.approx(statistics.median(totals), abs=6e-5)
    assert float(summary.p90_bps) == pytest.approx(float(np.percentile(totals, 90)), abs=6e-5)
    worst = sorted(rows, key=lambda row: row[0], reverse=True)[:5]
    assert [item.total for item in summary.worst] == [t for t, _ in worst]
    assert min(t for t, _ in rows) <= summary.weighted_mean_bps <= max(t for t, _ in rows)


moves = st.decimals(min_value=Decimal("0.9"), max_value=Decimal("1.1"), places=4)


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=1, max_value=10_000, places=2), moves, moves, moves)
def test_the_legs_compound_to_the_total_and_a_sale_mirrors_a_buy(
    start: Decimal, to_decision: Decimal, to_arrival: Decimal, to_fill: Decimal
) -> None:
    decision = start * to_decision
    arrival = decision * to_arrival
    fill = arrival * to_fill
    path = {"sender_price": start, "decision_mid": decision, "arrival_mid": arrival}
    buy = shortfall(prices(**path, fill_vwap=fill))
    sale = shortfall(prices(**path, fill_vwap=fill, side=Side.SELL))

    legs = [buy.signal_to_decision, buy.decision_to_arrival, buy.execution]
    compounded = 1.0
    for leg in legs:
        assert leg is not None
        compounded *= 1 + float(leg) / 10_000
    assert buy.total is not None
    assert (compounded - 1) * 10_000 == pytest.approx(float(buy.total), abs=1e-3)
    for bought, sold in [
        (buy.signal_to_decision, sale.signal_to_decision),
        (buy.decision_to_arrival, sale.decision_to_arrival),
        (buy.execution, sale.execution),
        (buy.total, sale.total),
    ]:
        assert sold == -bought  # type: ignore[operator]
