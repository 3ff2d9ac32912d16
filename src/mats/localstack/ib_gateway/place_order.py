"""Parse ``placeOrder`` exactly as ib_async's ``Client.placeOrder`` lays it out for version 176.

Every field is read in order, including the conditional blocks, so a message that does not
end where the layout says it should is reported instead of being half understood.
"""

from __future__ import annotations

from dataclasses import dataclass

from mats.localstack.ib_gateway.model import ORDER_TYPES, OrderTicket
from mats.localstack.ib_gateway.requests import read_contract
from mats.localstack.ib_gateway.wire import UNSET_DOUBLE, FieldReader, ProtocolError


def parse_place_order(reader: FieldReader) -> OrderTicket:
    """Parse a ``placeOrder`` request (the reader is past the message id)."""
    order_id = reader.integer()
    contract = read_contract(reader)
    reader.skip(2)  # secIdType, secId
    action = reader.text().upper()
    quantity = reader.number() or 0.0
    order_type = reader.text().upper()
    limit_price = reader.number()
    aux_price = reader.number()
    tif = reader.text().upper()
    oca_group = reader.text()
    account = reader.text()
    reader.skip(2)  # openClose, origin
    order_ref = reader.text()
    transmit = reader.flag()
    parent_id = reader.integer()
    reader.skip(4)  # blockOrder, sweepToFill, displaySize, triggerMethod
    outside_rth = reader.flag()
    reader.skip(1)  # hidden
    unsupported = ""
    if contract.sec_type == "BAG":
        _skip_combo(reader)
        unsupported = "Combination (BAG) orders are not simulated"
    reader.skip(2)  # sharesAllocation (always empty), discretionaryAmt
    good_after_time = reader.text()
    good_till_date = reader.text()
    reader.skip(4)  # faGroup, faMethod, faPercentage, faProfile (before version 177)
    reader.skip(4)  # modelCode, shortSaleSlot, designatedLocation, exemptCode
    oca_type = reader.integer()
    reader.skip(17)  # rule80A .. volatilityType
    delta_neutral_type = reader.text()
    reader.skip(1)  # deltaNeutralAuxPrice
    if delta_neutral_type:
        reader.skip(8)
    # Peg orders and the IBKRATS venue append fields of their own; they are refused anyway.
    strict = order_type in ORDER_TYPES and contract.exchange != "IBKRATS"
    tail = _read_tail(reader, peg_bench=order_type in {"PEG BENCH", "PEGBENCH"}, strict=strict)
    unsupported = tail.unsupported or unsupported
    if good_after_time and not unsupported:
        unsupported = "Good-after-time orders are not simulated"
    return OrderTicket(
        order_id=order_id,
        contract=contract,
        action=action,
        quantity=quantity,
        order_type=order_type,
        limit_price=limit_price,
        aux_price=aux_price,
        tif=tif or "DAY",
        oca_group=oca_group,
        oca_type=oca_type,
        account=account,
        order_ref=order_ref,
        transmit=transmit,
        parent_id=parent_id,
        outside_rth=outside_rth,
        good_after_time=good_after_time,
        good_till_date=good_till_date,
        what_if=tail.what_if,
        unsupported=unsupported,
    )


@dataclass(frozen=True)
class _Tail:
    what_if: bool
    unsupported: str


def _skip_combo(reader: FieldReader) -> None:
    reader.skip(8 * reader.integer())  # combo legs
    reader.skip(reader.integer())  # order combo leg prices
    reader.skip(2 * reader.integer())  # smart combo routing params


def _read_tail(reader: FieldReader, *, peg_bench: bool, strict: bool) -> _Tail:
    """Read from ``continuousUpdate`` to the end of the message."""
    unsupported = ""
    reader.skip(6)  # continuousUpdate .. scaleSubsLevelSize
    increment = reader.number()
    if increment is not None and 0 < increment < UNSET_DOUBLE:
        reader.skip(7)
        unsupported = "Scale orders are not simulated"
    reader.skip(3)  # scaleTable, activeStartTime, activeStopTime
    if reader.text():  # hedgeType
        reader.skip(1)
        unsupported = "Hedge orders are not simulated"
    reader.skip(4)  # optOutSmartRouting, clearingAccount, clearingIntent, notHeld
    if reader.flag():
        reader.skip(3)  # delta-neutral contract
    if reader.text():  # algoStrategy
        reader.skip(2 * reader.integer())
        unsupported = "Algo orders are not simulated"
    reader.skip(1)  # algoId
    what_if = reader.flag()
    reader.skip(4)  # orderMiscOptions, solicited, randomizeSize, randomizePrice
    if peg_bench:
        reader.skip(5)
    if reader.integer():
        # Each condition type has its own layout; the rest cannot be located, nor is it needed.
        return _Tail(what_if, "Conditional orders are not simulated")
    reader.skip(19)  # adjustedOrderType .. usePriceMgmtAlgo
    reader.skip(5)  # duration, postToAts, autoCancelParent, advancedErrorOverride, manualOrderTime
    if strict and reader.remaining:
        raise ProtocolError(f"placeOrder has {reader.remaining} unexpected trailing fields")
    return _Tail(what_if, unsupported)
