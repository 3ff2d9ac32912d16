"""The REST v1 routes of the local Pub/Sub service, mapped onto the :class:`Broker`.

One route is this service's own: ``GET /_local/outstanding`` answers
``{"subscriptions": {path: n}}``, the messages each subscription has not acknowledged or
dead-lettered yet, so a test can wait until every delivery (and redelivery) is over.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from mats.localstack.pubsub.broker import Broker
from mats.localstack.pubsub.model import ApiError, invalid, subscription_path, topic_path

BROKER = web.AppKey("broker", Broker)
# Resource names never contain ':' or '/', so the ':verb' suffix of custom methods splits cleanly.
_NAME = "[^/:]+"
_TOPIC = f"/v1/projects/{{project}}/topics/{{topic:{_NAME}}}"
_SUBSCRIPTION = f"/v1/projects/{{project}}/subscriptions/{{subscription:{_NAME}}}"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(broker: Broker) -> web.Application:
    """Return the aiohttp application serving the Pub/Sub REST API over ``broker``."""
    app = web.Application(middlewares=[_google_errors], client_max_size=16 * 1024 * 1024)
    app[BROKER] = broker
    app.router.add_get("/", _health)
    app.router.add_get("/_local/outstanding", _outstanding)
    app.router.add_get("/v1/projects/{project}/topics", _list_topics)
    app.router.add_route("*", _TOPIC, _topic)
    app.router.add_post(_TOPIC + ":{verb}", _topic_verb)
    app.router.add_get(_TOPIC + "/subscriptions", _list_topic_subscriptions)
    app.router.add_get("/v1/projects/{project}/subscriptions", _list_subscriptions)
    app.router.add_route("*", _SUBSCRIPTION, _subscription)
    app.router.add_post(_SUBSCRIPTION + ":{verb}", _subscription_verb)
    return app


@web.middleware
async def _google_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return web.json_response(error.to_json(), status=error.code)
    except web.HTTPNotFound:
        return web.json_response(ApiError(404, "Not found").to_json(), status=404)
    except web.HTTPMethodNotAllowed:
        return web.json_response(ApiError(405, "Method not allowed").to_json(), status=405)


async def _health(_: web.Request) -> web.Response:
    return web.Response(text="Ok")


async def _outstanding(request: web.Request) -> web.Response:
    return web.json_response(request.app[BROKER].outstanding())


async def _body(request: web.Request) -> Any:
    return _parse_json(await request.read())


def _parse_json(raw: bytes) -> Any:
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise invalid("Invalid JSON payload received.") from None


def _topic_path(request: web.Request) -> str:
    return topic_path(request.match_info["project"], request.match_info["topic"])


def _subscription_path(request: web.Request) -> str:
    project = request.match_info["project"]
    return subscription_path(project, request.match_info["subscription"])


async def _list_topics(request: web.Request) -> web.Response:
    return web.json_response(request.app[BROKER].list_topics(request.match_info["project"]))


async def _topic(request: web.Request) -> web.Response:
    broker = request.app[BROKER]
    path = _topic_path(request)
    if request.method == "PUT":
        await _body(request)
        return web.json_response(broker.create_topic(path))
    if request.method == "GET":
        return web.json_response(broker.get_topic(path))
    if request.method == "DELETE":
        broker.delete_topic(path)
        return web.json_response({})
    raise web.HTTPMethodNotAllowed(request.method, ["PUT", "GET", "DELETE"])


async def _topic_verb(request: web.Request) -> web.Response:
    if request.match_info["verb"] != "publish":
        raise web.HTTPNotFound()
    raw = await request.read()
    broker = request.app[BROKER]
    return web.json_response(broker.publish(_topic_path(request), _parse_json(raw), len(raw)))


async def _list_topic_subscriptions(request: web.Request) -> web.Response:
    return web.json_response(request.app[BROKER].list_topic_subscriptions(_topic_path(request)))


async def _list_subscriptions(request: web.Request) -> web.Response:
    project = request.match_info["project"]
    return web.json_response(request.app[BROKER].list_subscriptions(project))


async def _subscription(request: web.Request) -> web.Response:
    broker = request.app[BROKER]
    path = _subscription_path(request)
    if request.method == "PUT":
        return web.json_response(broker.create_subscription(path, await _body(request)))
    if request.method == "GET":
        return web.json_response(broker.get_subscription(path))
    if request.method == "PATCH":
        return web.json_response(broker.update_subscription(path, await _body(request)))
    if request.method == "DELETE":
        broker.delete_subscription(path)
        return web.json_response({})
    raise web.HTTPMethodNotAllowed(request.method, ["PUT", "GET", "PATCH", "DELETE"])


async def _subscription_verb(request: web.Request) -> web.Response:
    broker = request.app[BROKER]
    verbs = {
        "pull": broker.pull,
        "acknowledge": broker.acknowledge,
        "modifyAckDeadline": broker.modify_ack_deadline,
    }
    action = verbs.get(request.match_info["verb"])
    if action is None:
        raise web.HTTPNotFound()
    return web.json_response(action(_subscription_path(request), await _body(request)))
