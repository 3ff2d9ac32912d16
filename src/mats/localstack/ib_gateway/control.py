"""The control API: HTTP JSON on loopback to steer the simulated gateway (see the package doc)."""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from mats.localstack.ib_gateway.gateway import Gateway
from mats.localstack.ib_gateway.ledger import BASE_CURRENCY

GATEWAY = web.AppKey("gateway", Gateway)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_SETTINGS_NUMBERS = (
    "commission_per_unit",
    "commission_minimum",
    "initial_margin_rate",
    "maintenance_margin_rate",
    "default_price",
)


class BadRequestError(Exception):
    """The request body is not what the endpoint takes."""


def create_app(gateway: Gateway) -> web.Application:
    """Return the aiohttp application of the control API."""
    app = web.Application(middlewares=[_bad_requests])
    app[GATEWAY] = gateway
    app.router.add_get("/", _health)
    app.router.add_get("/state", _state)
    app.router.add_post("/prices", _prices)
    app.router.add_post("/fill-mode", _fill_mode)
    app.router.add_post("/fill", _fill)
    app.router.add_post("/errors", _errors)
    app.router.add_post("/reject-next", _reject_next)
    app.router.add_post("/drop", _drop)
    app.router.add_post("/restart", _restart)
    app.router.add_post("/accounts", _accounts)
    app.router.add_post("/fx", _fx)
    app.router.add_post("/settings", _settings)
    app.router.add_post("/reset", _reset)
    return app


@web.middleware
async def _bad_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BadRequestError as problem:
        return web.json_response({"error": str(problem)}, status=400)
    except LookupError as problem:
        return web.json_response({"error": str(problem)}, status=404)
    except ValueError as problem:
        return web.json_response({"error": str(problem)}, status=409)


async def _object(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise BadRequestError("the body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequestError("the body must be a JSON object")
    return body


def _number(body: dict[str, Any], name: str, default: float | None = None) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadRequestError(f"{name} must be a number")
    return float(value)


def _integer(body: dict[str, Any], name: str, default: int | None = None) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequestError(f"{name} must be an integer")
    return value


def _gateway(request: web.Request) -> Gateway:
    return request.app[GATEWAY]


async def _health(request: web.Request) -> web.Response:
    gateway = _gateway(request)
    return web.json_response(
        {
            "status": "ok",
            "port": gateway.port,
            "restarting": gateway.restarting,
            "restored": gateway.restored,
        }
    )


async def _state(request: web.Request) -> web.Response:
    return web.json_response(_gateway(request).state())


async def _prices(request: web.Request) -> web.Response:
    body = await _object(request)
    prices = {str(key): _number(body, key) for key in body}
    if any(price <= 0 for price in prices.values()):
        raise BadRequestError("prices must be positive")
    changed = _gateway(request).set_prices(prices)
    return web.json_response({"changed": sorted(changed)})


async def _fill_mode(request: web.Request) -> web.Response:
    body = await _object(request)
    settings = _gateway(request).settings
    if "partial_slices" in body:
        slices = _integer(body, "partial_slices")
        if slices < 1:
            raise BadRequestError("partial_slices must be at least 1")
        settings.partial_slices = slices
    if "hold_remainder" in body:
        settings.hold_remainder = bool(body["hold_remainder"])
    if "hold" in body:
        settings.hold_fills = bool(body["hold"])
    if "fill_delay" in body:
        settings.fill_delay = max(_number(body, "fill_delay"), 0.0)
    _gateway(request).changed()
    return web.json_response(settings.to_json())


async def _fill(request: web.Request) -> web.Response:
    body = await _object(request)
    order_ref = str(body.get("order_ref", ""))
    perm_id = _integer(body, "perm_id", 0)
    if not order_ref and not perm_id:
        raise BadRequestError("give order_ref or perm_id")
    quantity = _number(body, "quantity") if "quantity" in body else None
    orders = _gateway(request).engine.fill_held(
        order_ref=order_ref, perm_id=perm_id, quantity=quantity
    )
    return web.json_response({"orders": [order.to_json() for order in orders]})


async def _errors(request: web.Request) -> web.Response:
    body = await _object(request)
    client_id = _integer(body, "client_id") if "client_id" in body else None
    delivered = _gateway(request).inject_error(
        _integer(body, "code"), str(body.get("message", "")), client_id
    )
    return web.json_response({"delivered": delivered})


async def _reject_next(request: web.Request) -> web.Response:
    body = await _object(request)
    reason = str(body.get("reason") or "Simulated rejection")
    _gateway(request).engine.reject_next(reason)
    return web.json_response({"reason": reason})


async def _drop(request: web.Request) -> web.Response:
    return web.json_response({"dropped": _gateway(request).drop_all()})


async def _restart(request: web.Request) -> web.Response:
    body = await _object(request)
    down_seconds = max(_number(body, "down_seconds", 1.0), 0.0)
    next_valid_id = _integer(body, "next_valid_id", 1)
    gateway = _gateway(request)
    if gateway.restarting:
        raise ValueError("a restart is already in progress")
    await gateway.restart(down_seconds, next_valid_id)
    return web.json_response({"down_seconds": down_seconds, "next_valid_id": next_valid_id})


async def _accounts(request: web.Request) -> web.Response:
    body = await _object(request)
    gateway = _gateway(request)
    for account, values in body.items():
        if not isinstance(values, dict):
            raise BadRequestError(f"{account} must map tags to numbers")
        parsed = {
            str(tag): None if value is None else _number(values, tag)
            for tag, value in values.items()
        }
        gateway.ledger.set_values(str(account), parsed)
        gateway.publish_account(str(account))
    gateway.changed()
    return web.json_response({code: gateway.ledger.values(code) for code in gateway.ledger.codes})


async def _fx(request: web.Request) -> web.Response:
    body = await _object(request)
    rates: dict[str, float | None] = {}
    for key, value in body.items():
        currency = str(key).upper()
        if len(currency) != 3 or not currency.isalpha():
            raise BadRequestError(f"{key} is not a currency code")
        if currency == BASE_CURRENCY:
            raise BadRequestError(f"{BASE_CURRENCY} is the accounts' currency: its rate is 1")
        if value is not None and _number(body, key) <= 0:
            raise BadRequestError(f"{key} must be a positive number")
        rates[currency] = None if value is None else _number(body, key)
    return web.json_response({"fx_rates": _gateway(request).set_fx_rates(rates)})


async def _settings(request: web.Request) -> web.Response:
    body = await _object(request)
    settings = _gateway(request).settings
    for name in _SETTINGS_NUMBERS:
        if name in body:
            setattr(settings, name, _number(body, name))
    if "commission_currency" in body:
        settings.commission_currency = str(body["commission_currency"])
    by_type = body.get("commission_per_unit_by_sec_type")
    if by_type is not None:
        if not isinstance(by_type, dict):
            raise BadRequestError("commission_per_unit_by_sec_type must be an object")
        settings.commission_per_unit_by_sec_type = {
            str(key).upper(): _number(by_type, key) for key in by_type
        }
    _gateway(request).changed()
    return web.json_response(settings.to_json())


async def _reset(request: web.Request) -> web.Response:
    gateway = _gateway(request)
    gateway.reset()
    return web.json_response({"reset": True, "next_valid_id": gateway.engine.next_valid_id})


async def start_control(gateway: Gateway, port: int) -> tuple[web.AppRunner, int]:
    """Serve the control API on loopback ``port`` (0 picks one); return the runner and port."""
    runner = web.AppRunner(create_app(gateway), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = port
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            bound = int(address[1])
    return runner, bound
