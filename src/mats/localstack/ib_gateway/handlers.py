"""What the gateway does with each client request."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from mats.localstack.ib_gateway import messages, publish
from mats.localstack.ib_gateway.order_messages import (
    commission_report,
    completed_order,
    execution_details,
)
from mats.localstack.ib_gateway.place_order import parse_place_order
from mats.localstack.ib_gateway.requests import (
    Outgoing,
    parse_contract_details,
    parse_executions,
    parse_market_data,
)
from mats.localstack.ib_gateway.wire import FieldReader, ProtocolError

if TYPE_CHECKING:
    from mats.localstack.ib_gateway.gateway import Gateway
    from mats.localstack.ib_gateway.session import Session

_log = logging.getLogger(__name__)

Handler = Callable[["Gateway", "Session", FieldReader], None]
NO_SECURITY = "No security definition has been found for the request"
READ_ERROR = (320, "Server error when reading an API client request.")


def dispatch(gateway: Gateway, session: Session, fields: list[str]) -> None:
    """Handle one request; a malformed one is answered with error 320, as TWS does."""
    try:
        message_id = int(fields[0])
    except ValueError:
        raise ProtocolError(f"message id {fields[0]!r} is not a number") from None
    if session.client_id is None and message_id != Outgoing.START_API:
        _log.warning("request before startApi ignored", extra={"message_id": message_id})
        return
    handler = HANDLERS.get(message_id)
    if handler is None:
        _log.warning(
            "unsupported request ignored",
            extra={"event": "unsupported_request", "message_id": message_id},
        )
        return
    try:
        handler(gateway, session, FieldReader(fields, start=1))
    except ProtocolError as problem:
        _log.warning(
            "malformed request",
            extra={"event": "malformed_request", "message_id": message_id, "problem": str(problem)},
        )
        session.send(messages.error(-1, *READ_ERROR))
    except Exception:
        # A simulator bug must not look like a broker outage: log it loudly, keep the socket.
        _log.exception("request handler failed", extra={"message_id": message_id})
        session.send(messages.error(-1, *READ_ERROR))


def _client(session: Session) -> int:
    if session.client_id is None:
        raise ProtocolError("no client id bound to this connection")
    return session.client_id


def _start_api(gateway: Gateway, session: Session, reader: FieldReader) -> None:
    reader.skip(1)  # version
    client_id = reader.integer()
    if session.client_id is not None:
        return
    gateway.start_api(session, client_id)


def _current_time(gateway: Gateway, session: Session, _: FieldReader) -> None:
    session.send(messages.current_time(gateway.clock()))


def _req_ids(gateway: Gateway, session: Session, _: FieldReader) -> None:
    session.send(messages.next_valid_id(gateway.engine.next_valid_id))


def _managed_accounts(gateway: Gateway, session: Session, _: FieldReader) -> None:
    session.send(messages.managed_accounts(gateway.ledger.codes))


def _positions(gateway: Gateway, session: Session, _: FieldReader) -> None:
    session.positions = True
    for fields in publish.positions(gateway.ledger):
        session.send(fields)


def _cancel_positions(_: Gateway, session: Session, __: FieldReader) -> None:
    session.positions = False


def _account_updates(gateway: Gateway, session: Session, reader: FieldReader) -> None:
    reader.skip(1)  # version
    subscribe = reader.flag()
    account = reader.text()
    if not subscribe:
        session.account_updates = None
        return
    codes = gateway.ledger.codes
    account = account or (codes[0] if len(codes) == 1 else "")
    if not gateway.ledger.has(account):
        session.send(messages.error(-1, 321, f"Invalid account code '{account}'"))
        return
    session.account_updates = account
    values = gateway.ledger.values(account)
    rows = gateway.ledger.portfolio(account)
    fx_rates = gateway.settings.fx_rates
    for fields in publish.account_updates(account, values, rows, gateway.clock(), fx_rates):
        session.send(fields)
    session.send(messages.account_download_end(account))


def _account_summary(gateway: Gateway, session: Session, reader: FieldReader) -> None:
    reader.skip(1)  # version
    req_id = reader.integer()
    reader.skip(1)  # group, always "All" for a single user
    tags = frozenset(tag for tag in reader.text().split(",") if tag and not tag.startswith("$"))
    session.summaries[req_id] = tags
    for account in gateway.ledger.codes:
        values = gateway.ledger.values(account)
        for fields in publish.account_summary(req_id, account, values, tags):
            session.send(fields)
    session.send(messages.account_summary_end(req_id))


def _cancel_account_summary(_: Gateway, session: Session, reader: FieldReader) -> None:
    reader.skip(1)  # version
    session.summaries.pop(reader.integer(), None)


def _account_updates_multi(gateway: Gateway, session: Session, reader: FieldReader) -> None:
    reader.skip(1)  # version
    req_id = reader.integer()
    account = reader.text()
    session.multi_updates[req_id] = account
    for code in gateway.ledger.codes:
        if account in {code, "", "All"}:
            values = gateway.ledger.values(code)
            fx_rates = gateway.settings.fx_rates
            for fields in publish.account_update_multi(req_id, code, values, fx_rates):
                session.send(fields)
    session.send(messages.account_update_multi_end(req_id))


def _cancel_account_updates_multi(_: Gateway, session: Session, reader: FieldReader) -> None:
    reader.skip(1)  # version
    session.multi_updates.pop(reader.integer(), None)


def _open_orders(gateway: Gateway, session: Session, _: FieldReader) -> None:
    for fields in publish.open_orders(gateway.engine.open_orders(_client(session))):
        session.send(fields)


def _all_open_orders(gateway: Gateway, session: Session, _: FieldReader) -> None:
    for fields in publish.open_orders(gateway.engine.open_orders()):
        session.send(fields)


def _auto_open_orders(_: Gateway, __: Session, ___: FieldReader) -> None:
    # Auto-binding (client 0) needs no answer: there are no manual TWS orders to bind.
    return


def _completed_orders(gateway: Gateway, session: Session, _: FieldReader) -> None:
    for order in gateway.engine.completed_orders():
        session.send(completed_order(order))
    session.send(messages.completed_orders_end())


def _executions(gateway: Gateway, session: Session, reader: FieldReader) -> None:
    reader.skip(1)  # version
    req_id, query = parse_executions(reader)
    for execution in gateway.engine.executions_matching(query):
        session.send(execution_details(req_id, execution))
        session.send(commission_report(execution))
    session.send(messages.execution_data_end(req_id))


def _contract_details(gateway: Gateway, session: Session, reader: FieldReader) -> None:
    reader.skip(1)  # version
    req_id, contract = parse_contract_details(reader)
    found = gateway.catalog.resolve(contract)
    if not found:
        session.send(messages.error(req_id, 200, NO_SECURITY))
        return
    for instrument in found:
        exchange = contract.exchange if instrument.sec_type == "STK" and contract.exchange else ""
        details = messages.contract_details(req_id, instrument, exchange or instrument.exchange)
        session.send(details)
    session.send(messages.contract_details_end(req_id))


def _market_data(gateway: Gateway, session: Session, reader: FieldReader) -> None:
    reader.skip(1)  # version
    request = parse_market_data(reader)
    instrument = gateway.catalog.resolve_one(request.contract)
    if instrument is None:
        session.send(messages.error(request.req_id, 200, NO_SECURITY))
        return
    session.send(messages.market_data_type(request.req_id))
    gateway.send_quote(session, request.req_id, gateway.prices.price_of(instrument))
    if request.snapshot:
        session.send(messages.tick_snapshot_end(request.req_id))
    else:
        session.market_data[request.req_id] = instrument


def _cancel_market_data(_: Gateway, session: Session, reader: FieldReader) -> None:
    reader.skip(1)  # version
    session.market_data.pop(reader.integer(), None)


def _ignore(_: Gateway, __: Session, ___: FieldReader) -> None:
    # Requests such as the market data type change nothing in the simulation.
    return


def _place_order(gateway: Gateway, session: Session, reader: FieldReader) -> None:
    client_id = _client(session)
    raw_order_id = reader.peek()
    try:
        ticket = parse_place_order(reader)
    except ProtocolError as problem:
        order_id = int(raw_order_id) if raw_order_id.lstrip("-").isdigit() else -1
        _log.warning(
            "malformed placeOrder",
            extra={"event": "malformed_order", "order_id": order_id, "problem": str(problem)},
        )
        session.send(messages.error(order_id, *READ_ERROR))
        return
    gateway.engine.place(client_id, ticket)


def _cancel_order(gateway: Gateway, session: Session, reader: FieldReader) -> None:
    reader.skip(1)  # version
    gateway.engine.cancel(_client(session), reader.integer())


def _global_cancel(gateway: Gateway, _: Session, __: FieldReader) -> None:
    gateway.engine.cancel_all()


HANDLERS: dict[int, Handler] = {
    Outgoing.START_API: _start_api,
    Outgoing.REQ_CURRENT_TIME: _current_time,
    Outgoing.REQ_IDS: _req_ids,
    Outgoing.REQ_MANAGED_ACCOUNTS: _managed_accounts,
    Outgoing.REQ_POSITIONS: _positions,
    Outgoing.CANCEL_POSITIONS: _cancel_positions,
    Outgoing.REQ_ACCOUNT_UPDATES: _account_updates,
    Outgoing.REQ_ACCOUNT_SUMMARY: _account_summary,
    Outgoing.CANCEL_ACCOUNT_SUMMARY: _cancel_account_summary,
    Outgoing.REQ_ACCOUNT_UPDATES_MULTI: _account_updates_multi,
    Outgoing.CANCEL_ACCOUNT_UPDATES_MULTI: _cancel_account_updates_multi,
    Outgoing.REQ_OPEN_ORDERS: _open_orders,
    Outgoing.REQ_ALL_OPEN_ORDERS: _all_open_orders,
    Outgoing.REQ_AUTO_OPEN_ORDERS: _auto_open_orders,
    Outgoing.REQ_COMPLETED_ORDERS: _completed_orders,
    Outgoing.REQ_EXECUTIONS: _executions,
    Outgoing.REQ_CONTRACT_DETAILS: _contract_details,
    Outgoing.REQ_MKT_DATA: _market_data,
    Outgoing.CANCEL_MKT_DATA: _cancel_market_data,
    Outgoing.REQ_MARKET_DATA_TYPE: _ignore,
    Outgoing.PLACE_ORDER: _place_order,
    Outgoing.CANCEL_ORDER: _cancel_order,
    Outgoing.REQ_GLOBAL_CANCEL: _global_cancel,
}
