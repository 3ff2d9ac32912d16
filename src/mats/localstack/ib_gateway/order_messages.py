"""Order messages: openOrder, orderStatus, completedOrder, execDetails, commissionReport.

Field for field what ib_async's decoder expects from server version 176: fields the simulator
has no use for go out empty, which the decoder turns into the ``Order`` defaults.
"""

from __future__ import annotations

from mats.localstack.ib_gateway.catalog import Instrument
from mats.localstack.ib_gateway.events import MarginImpact
from mats.localstack.ib_gateway.messages import Fields, Incoming
from mats.localstack.ib_gateway.model import Execution, OrderSnapshot, SimOrder
from mats.localstack.ib_gateway.wire import ib_time

# TWS writes this for "no realised P&L" (an opening execution); ib_async reads it as 0.
UNSET_DOUBLE_TEXT = "1.7976931348623157E308"


def _contract(instrument: Instrument, exchange: str) -> Fields:
    return [
        instrument.con_id,
        instrument.symbol,
        instrument.sec_type,
        instrument.last_trade_date,
        0.0,
        "",
        instrument.multiplier_text,
        exchange,
        instrument.currency,
        instrument.local_symbol,
        instrument.trading_class,
    ]


def order_status(order: SimOrder, snapshot: OrderSnapshot) -> Fields:
    """Return an ``orderStatus`` for the order as it was at ``snapshot``."""
    return [
        Incoming.ORDER_STATUS,
        order.order_id,
        snapshot.status.value,
        snapshot.filled,
        snapshot.remaining,
        snapshot.average_fill_price,
        order.perm_id,
        order.parent_id,
        snapshot.last_fill_price,
        order.client_id,
        snapshot.why_held,
        0.0,
    ]


def open_order(order: SimOrder, status: str, impact: MarginImpact | None = None) -> Fields:
    """Return an ``openOrder``; with ``impact`` it is the answer to a what-if order."""
    return [
        Incoming.OPEN_ORDER,
        order.order_id,
        *_contract(order.instrument, order.route_exchange),
        *_order_terms(order),
        order.client_id,
        order.perm_id,
        order.outside_rth,
        False,  # hidden
        "",  # discretionaryAmt
        "",  # goodAfterTime
        "",  # sharesAllocation, deprecated
        *[""] * 4,  # faGroup, faMethod, faPercentage, faProfile (before version 177)
        "",  # modelCode
        order.good_till_text,
        *[""] * 7,  # rule80A .. auctionStrategy
        *[""] * 5,  # startingPrice .. stockRangeUpper
        "",  # displaySize
        False,  # blockOrder
        False,  # sweepToFill
        False,  # allOrNone
        "",  # minQty
        order.oca_type,
        False,  # eTradeOnly
        False,  # firmQuoteOnly
        "",  # nbboPriceCap
        order.parent_id,
        0,  # triggerMethod
        *[""] * 3,  # volatility, volatilityType, deltaNeutralOrderType (empty: no extra fields)
        "",  # deltaNeutralAuxPrice
        False,  # continuousUpdate
        *[""] * 6,  # referencePriceType .. comboLegsDescrip
        0,  # combo legs
        0,  # order combo legs
        0,  # smart combo routing params
        *[""] * 3,  # scaleInitLevelSize, scaleSubsLevelSize, scalePriceIncrement (unset)
        "",  # hedgeType (empty: no hedgeParam)
        False,  # optOutSmartRouting
        "",  # clearingAccount
        "",  # clearingIntent
        False,  # notHeld
        0,  # no delta-neutral contract
        "",  # algoStrategy (empty: no params)
        False,  # solicited
        impact is not None,  # whatIf
        *_order_state(status, impact),
        False,  # randomizeSize
        False,  # randomizePrice
        0,  # conditions
        *[""] * 8,  # adjustedOrderType .. adjustableTrailingUnit
        *[""] * 3,  # softDollarTier name, value, display name
        "",  # cashQty
        False,  # dontUseAutoPriceForHedge
        False,  # isOmsContainer
        False,  # discretionaryUpToLimitPrice
        False,  # usePriceMgmtAlgo
        "",  # duration (version 159)
        "",  # postToAts (version 160)
        False,  # autoCancelParent (version 162)
        *[""] * 5,  # minTradeQty .. midOffsetAtHalf (version 170)
    ]


def completed_order(order: SimOrder) -> Fields:
    """Return a ``completedOrder`` for a filled or cancelled order."""
    return [
        Incoming.COMPLETED_ORDER,
        *_contract(order.instrument, order.route_exchange),
        *_order_terms(order),
        order.perm_id,
        order.outside_rth,
        False,  # hidden
        "",  # discretionaryAmt
        "",  # goodAfterTime
        *[""] * 4,  # faGroup, faMethod, faPercentage, faProfile (before version 177)
        "",  # modelCode
        order.good_till_text,
        *[""] * 11,  # rule80A .. stockRangeUpper
        "",  # displaySize
        False,  # sweepToFill
        False,  # allOrNone
        "",  # minQty
        order.oca_type,
        *[""] * 5,  # triggerMethod .. deltaNeutralAuxPrice
        False,  # continuousUpdate
        *[""] * 4,  # referencePriceType .. comboLegsDescrip
        0,  # combo legs
        0,  # order combo legs
        0,  # smart combo routing params
        *[""] * 3,  # scale fields (unset)
        "",  # hedgeType
        "",  # clearingAccount
        "",  # clearingIntent
        False,  # notHeld
        0,  # no delta-neutral contract
        "",  # algoStrategy
        False,  # solicited
        order.status.value,
        False,  # randomizeSize
        False,  # randomizePrice
        0,  # conditions
        "",  # trailStopPrice
        "",  # lmtPriceOffset
        "",  # cashQty
        False,  # dontUseAutoPriceForHedge
        False,  # isOmsContainer
        "",  # autoCancelDate
        order.filled,
        "",  # refFuturesConId
        False,  # autoCancelParent
        "",  # shareholder
        False,  # imbalanceOnly
        False,  # routeMarketableToBbo
        order.parent_perm_id,
        order.completed_time,
        order.completed_status,
        *[""] * 5,  # minTradeQty .. midOffsetAtHalf (version 170)
    ]


def execution_details(req_id: int, execution: Execution) -> Fields:
    """Return an ``execDetails``; ``req_id`` is -1 for a live fill."""
    instrument = execution.instrument
    return [
        Incoming.EXECUTION_DATA,
        req_id,
        execution.order_id,
        *_contract(instrument, instrument.execution_exchange),
        execution.exec_id,
        ib_time(execution.time),
        execution.account,
        instrument.execution_exchange,
        execution.side,
        execution.shares,
        execution.price,
        execution.perm_id,
        execution.client_id,
        0,  # liquidation
        execution.cumulative_quantity,
        execution.average_price,
        execution.order_ref,
        "",  # evRule
        "",  # evMultiplier
        "",  # modelCode
        1,  # lastLiquidity: added liquidity
    ]


def commission_report(execution: Execution) -> Fields:
    """Return the ``commissionReport`` that follows an execution."""
    realized = execution.realized_pnl
    return [
        Incoming.COMMISSION_REPORT,
        1,
        execution.exec_id,
        execution.commission,
        execution.commission_currency,
        UNSET_DOUBLE_TEXT if realized is None else round(realized, 6),
        "",  # yield
        "",  # yieldRedemptionDate
    ]


def _order_terms(order: SimOrder) -> Fields:
    return [
        order.action,
        order.quantity,
        order.order_type,
        order.limit_price,
        order.stop_price,
        order.tif,
        order.oca_group,
        order.account,
        "",  # openClose
        0,  # origin: customer
        order.order_ref,
    ]


def _order_state(status: str, impact: MarginImpact | None) -> Fields:
    if impact is None:
        margins: Fields = [""] * 9
        commission: Fields = ["", "", "", ""]
    else:
        margins = [
            impact.initial_before,
            impact.maintenance_before,
            impact.equity_before,
            impact.initial_change,
            impact.maintenance_change,
            impact.equity_change,
            impact.initial_after,
            impact.maintenance_after,
            impact.equity_after,
        ]
        commission = [impact.commission, impact.commission, impact.commission, "USD"]
    return [status, *margins, *commission, ""]  # the last one is warningText
