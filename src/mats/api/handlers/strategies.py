"""The strategy registry's writes for admins: create, update (optionally guarded against a
stale edit) and delete a strategy, and reload its backtest in the background as a job whose
status and progress can be followed. Each write is in the audit log.

Bodies use the strategy record's own field names, so what ``GET /api/strategies/{id}`` shows
can be edited and sent back; an update changes only the fields it gives, and ``null`` clears an
optional one (as ``mats strategies update --clear`` does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from mats.api.handlers.call import Call, Reply
from mats.api.handlers.inputs import decimal_of
from mats.codec import parse_datetime, to_primitive
from mats.domain.strategies import StrategyStatus
from mats.domain.trading import TradingMode
from mats.errors import ValidationError
from mats.services.registry import CLEARABLE, StrategyChanges

# The service names a few fields as the record nests them; the API names them as its bodies do.
_BODY_FIELDS = {
    "sender": "sender_ids",
    "risk_limits.max_position_size": "max_position_size",
    "risk_limits.max_daily_loss": "max_daily_loss",
}


def create_strategy(call: Call) -> Reply:
    body = call.body
    with _named_as_in_the_body():
        strategy = call.services.strategies.create(body["strategy_id"], _changes(body))
    call.audit("create_strategy", strategy.strategy_id, None, strategy)
    return to_primitive(strategy), 201


def update_strategy(call: Call) -> Reply:
    strategies = call.services.strategies
    strategy_id = call.params["strategy_id"]
    fields = dict(call.body)
    expected = fields.pop("expected_updated_at", None)
    seen = parse_datetime(expected, "expected_updated_at") if expected is not None else None
    before = strategies.get(strategy_id)
    with _named_as_in_the_body():
        after = strategies.update(strategy_id, _changes(fields), expected_updated_at=seen)
    call.audit("update_strategy", strategy_id, before, after)
    return to_primitive(after)


def delete_strategy(call: Call) -> Reply:
    deleted = call.services.strategies.delete(call.params["strategy_id"])
    call.audit("delete_strategy", deleted.strategy_id, deleted, None)
    return {"deleted": to_primitive(deleted)}


def sync_backtest(call: Call) -> Reply:
    services = call.services
    strategy = services.strategies.get(call.params["strategy_id"])
    job = services.backtests.start_sync([strategy.strategy_id], requested_by=call.user.label)
    call.audit("sync_backtest", strategy.strategy_id, None, job)
    return to_primitive(job), 202


def backtest_job(call: Call) -> Reply:
    return to_primitive(call.services.backtests.job(call.params["job_id"]))


def _changes(body: Mapping[str, Any]) -> StrategyChanges:
    status, mode = body.get("status"), body.get("trading_mode")
    return StrategyChanges(
        name=body.get("name"),
        status=StrategyStatus(status) if status is not None else None,
        trading_mode=TradingMode(mode) if mode is not None else None,
        account=body.get("account"),
        include_in_optimization=body.get("include_in_optimization"),
        max_position_size=_money(body, "max_position_size"),
        max_daily_loss=_money(body, "max_daily_loss"),
        developer_contact=body.get("developer_contact"),
        notes=body.get("notes"),
        sender_ids=_sender_ids(body.get("sender_ids")),
        max_signal_lag_seconds=body.get("max_signal_lag_seconds"),
        cleared=frozenset(name for name in CLEARABLE if name in body and body[name] is None),
    )


def _money(body: Mapping[str, Any], name: str) -> Decimal | None:
    value = body.get(name)
    return None if value is None else decimal_of(value, name)


def _sender_ids(value: list[Any] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    for index, sender_id in enumerate(value):
        if not isinstance(sender_id, str) or not sender_id:
            raise ValidationError(f"sender_ids[{index}]", "must be a sender id")
    if len(set(value)) < len(value):
        raise ValidationError("sender_ids", "names a sender more than once")
    return tuple(value)


@contextmanager
def _named_as_in_the_body() -> Iterator[None]:
    try:
        yield
    except ValidationError as error:
        if error.field not in _BODY_FIELDS:
            raise
        raise ValidationError(_BODY_FIELDS[error.field], error.message) from None


HANDLERS: dict[str, Callable[[Call], Any]] = {
    "create_strategy": create_strategy,
    "update_strategy": update_strategy,
    "delete_strategy": delete_strategy,
    "sync_backtest": sync_backtest,
    "backtest_job": backtest_job,
}
