"""Google Cloud Pub/Sub: the ``Publisher`` port on the official client, and emulator topology.

Production publishes over gRPC with the default credentials. Given an emulator host (the process's
``PUBSUB_EMULATOR_HOST`` setting, passed in by the composition root) the same official client
publishes over plain-HTTP REST with anonymous credentials, which both MATS's local Pub/Sub service
and Google's own emulator serve.

The client library loads when the first client is built: a process that holds a publisher but
never publishes (``mats backtests list``) does not pay for it, and ``PubSubAdmin`` never does.
"""

# ruff: noqa: PLC0415 - google.cloud.pubsub_v1 is imported where a client is first needed.

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from mats.contracts import EncodedMessage
from mats.errors import PermanentError, TemporaryError
from mats.ports import HeldMessage

logger = logging.getLogger(__name__)

EMULATOR_HOST_VARIABLE = "PUBSUB_EMULATOR_HOST"
# The client holds a lone message for max_latency hoping to batch more; the default 10 ms would
# sit on the webhook-to-delivery path of every signal. No wait at all loses nothing: messages of
# an ordering key published while its batch is in flight still batch behind it, and MATS
# publishes one message per request. Measured locally, 1 ms of wait added ~1.1 ms per publish.
_BATCH_MAX_LATENCY_SECONDS = 0.0
_FIRST_RETRY_PAUSE_SECONDS = 0.05
_MAX_RETRY_PAUSE_SECONDS = 1.0
# Per-request bound over REST; the publish method's own default timeout in the client.
_MAX_REST_REQUEST_SECONDS = 60.0
# The future also waits out the batching delay and the client's thread hand-offs.
_RESULT_GRACE_SECONDS = 0.5
# ``client.publish`` takes attributes as keyword arguments beside these parameters.
_RESERVED_ATTRIBUTE_NAMES = frozenset({"topic", "data", "ordering_key", "retry", "timeout"})


def _emulator_transport(host: str) -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.pubsub_v1.services.publisher.transports.rest import PublisherRestTransport

    # Passing transport="rest" is not enough: that REST transport defaults to https, and with a
    # transport argument the client no longer switches to anonymous credentials for the emulator.
    credentials = AnonymousCredentials()  # type: ignore[no-untyped-call]
    transport = PublisherRestTransport(host=host, url_scheme="http", credentials=credentials)
    _harden_rest_session(transport._session)
    return transport


def _harden_rest_session(session: Any) -> None:
    # Works around two failures of the official client over REST with message ordering:
    # - With ordering on, the client publishes with a timeout of 2**32 s (its "retry for ever").
    #   gRPC takes that as a deadline, but a Python socket given it times out at once, so every
    #   publish would fail. Requests get a bounded timeout instead.
    # - The batch thread only catches GoogleAPIError and TransportError; requests' own errors
    #   (connection refused, read timeout) kill it, so the future never resolves and the ordering
    #   key stays blocked for good. They are raised as TransportError instead.
    # The session is patched in place, not replaced: the transport looks its wrapped methods up
    # by stubs that compare equal only while they hold the same session object.
    from google.auth import exceptions as auth_exceptions

    send = session.request

    def request(method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
        timeout = kwargs.get("timeout")
        if isinstance(timeout, int | float) and timeout > _MAX_REST_REQUEST_SECONDS:
            kwargs["timeout"] = _MAX_REST_REQUEST_SECONDS
        try:
            return send(method, url, *args, **kwargs)
        except OSError as error:  # requests.RequestException derives from OSError.
            failure = f"{method} {url}: {error}"
            raise auth_exceptions.TransportError(failure) from error  # type: ignore[no-untyped-call]

    session.request = request


def make_publisher_client(emulator_host: str | None) -> Any:
    """Return an official ``PublisherClient``: gRPC in production, plain REST for an emulator."""
    from google.cloud.pubsub_v1 import PublisherClient
    from google.cloud.pubsub_v1.types import BatchSettings, PublisherOptions

    settings: dict[str, Any] = {
        "batch_settings": BatchSettings(max_latency=_BATCH_MAX_LATENCY_SECONDS),
        # MATS publishes with ordering keys; the client refuses them unless ordering is enabled.
        "publisher_options": PublisherOptions(enable_message_ordering=True),
    }
    if emulator_host:
        settings["transport"] = _emulator_transport(emulator_host)
    return PublisherClient(**settings)


class PubSubPublisher:
    """Publish encoded MATS messages to the Pub/Sub topics of one project (or its emulator)."""

    def __init__(
        self, project: str, client: Any | None = None, *, emulator_host: str | None = None
    ) -> None:
        self._project = project
        self._client = client
        self._emulator_host = emulator_host
        self._client_lock = threading.Lock()

    def publish(self, message: EncodedMessage, *, timeout: float) -> str:
        """Publish ``message`` within ``timeout`` seconds; return its id or raise TemporaryError."""
        clashing = _RESERVED_ATTRIBUTE_NAMES & message.attributes.keys()
        if clashing:
            raise PermanentError(f"attribute names {sorted(clashing)} clash with publish()")
        client = self._get_client()
        topic = f"projects/{self._project}/topics/{message.topic}"
        deadline = time.monotonic() + timeout
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._publish_once(client, topic, message, deadline - time.monotonic())
            except Exception as error:
                pause = min(
                    _MAX_RETRY_PAUSE_SECONDS, _FIRST_RETRY_PAUSE_SECONDS * 2 ** (attempt - 1)
                )
                retry = _is_transient(error) and time.monotonic() + pause < deadline
                _resume(client, topic, message.ordering_key)
                logger.warning(
                    "pubsub publish failed",
                    extra={
                        "topic": topic,
                        "ordering_key": message.ordering_key,
                        "attempt": attempt,
                        "error": f"{type(error).__name__}: {error}",
                        "will_retry": retry,
                    },
                )
                if not retry:
                    raise TemporaryError(
                        f"publishing to {topic} failed after {attempt} attempt(s): "
                        f"{type(error).__name__}: {error}"
                    ) from error
                time.sleep(pause)

    def _publish_once(
        self, client: Any, topic: str, message: EncodedMessage, remaining: float
    ) -> str:
        if remaining <= 0:
            raise TimeoutError("no time left to publish")
        # retry=None: with ordering enabled the client turns any retry, its default included, into
        # one that never gives up, so a message would outlive the caller's timeout and could land
        # after the caller's own retry. Retries happen here instead, within the caller's budget.
        future = client.publish(
            topic,
            message.data,
            ordering_key=message.ordering_key,
            retry=None,
            timeout=remaining,
            **message.attributes,
        )
        return str(future.result(timeout=remaining + _RESULT_GRACE_SECONDS))

    def _get_client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self._client = make_publisher_client(self._emulator_host)
            return self._client


def _is_transient(error: Exception) -> bool:
    # A timed-out future may still be in flight; retrying now could publish the message twice
    # out of order, so only errors that certainly ended the attempt are retried.
    from google.auth import exceptions as auth_exceptions
    from google.cloud.pubsub_v1.publisher import exceptions as publisher_exceptions

    if isinstance(error, TimeoutError):
        return False
    if isinstance(error, publisher_exceptions.PublishToPausedOrderingKeyException):
        return True
    if isinstance(error, auth_exceptions.TransportError):
        return True
    code = getattr(error, "code", None)
    return isinstance(code, int) and code in {409, 429, 499, 500, 502, 503, 504}


def _resume(client: Any, topic: str, ordering_key: str) -> None:
    # After a failed publish the client pauses the message's ordering key and fails every later
    # publish of that key until resume_publish(); the caller retries the whole message, so the
    # key must accept it again.
    if not ordering_key:
        return
    # RuntimeError: not paused (the failed batch is still in flight); ValueError: key never used.
    with contextlib.suppress(RuntimeError, ValueError):
        client.resume_publish(topic, ordering_key)


class PubSubAdmin:
    """Create topics and subscriptions on a Pub/Sub emulator through its REST API.

    A local-only tool: the local stack applies its topology with it over plain HTTP without
    credentials (``PUBSUB_EMULATOR_HOST``). In Google Cloud, Terraform owns the topology. Every
    method is idempotent.
    """

    def __init__(
        self, project: str, emulator_host: str | None = None, *, timeout: float = 5.0
    ) -> None:
        host = emulator_host or os.environ.get(EMULATOR_HOST_VARIABLE)
        if not host:
            raise ValueError(f"PubSubAdmin needs an emulator: set {EMULATOR_HOST_VARIABLE}")
        self._project = project
        self._base_url = host if host.startswith(("http://", "https://")) else f"http://{host}"
        self._timeout = timeout
        # The emulator is local: never route its traffic through an HTTP proxy from the env.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def ensure_topic(self, name: str) -> None:
        """Create topic ``name`` unless it exists."""
        self._call("PUT", self._topic_path(name), {}, accept=(409,))

    def ensure_subscription(
        self,
        name: str,
        topic: str,
        *,
        push_endpoint: str | None = None,
        ack_deadline_seconds: int = 10,
        min_backoff_seconds: float = 10.0,
        max_backoff_seconds: float = 600.0,
        dead_letter_topic: str | None = None,
        max_delivery_attempts: int | None = None,
        ordering: bool = False,
    ) -> None:
        """Create subscription ``name``, or bring an existing one in line with these settings.

        Settings Pub/Sub can change in place are patched; a different topic, ordering or
        delivery type (push or pull) means deleting and recreating the subscription.
        """
        desired: dict[str, Any] = {
            "topic": self._topic_path(topic),
            "pushConfig": {"pushEndpoint": push_endpoint} if push_endpoint else {},
            "ackDeadlineSeconds": ack_deadline_seconds,
            "retryPolicy": {
                "minimumBackoff": _duration(min_backoff_seconds),
                "maximumBackoff": _duration(max_backoff_seconds),
            },
            "enableMessageOrdering": ordering,
        }
        if dead_letter_topic is not None:
            desired["deadLetterPolicy"] = {
                "deadLetterTopic": self._topic_path(dead_letter_topic),
                "maxDeliveryAttempts": max_delivery_attempts or 5,
            }
        path = self._subscription_path(name)
        status, _ = self._call("PUT", path, desired, accept=(409,))
        if status != 409:
            return
        _, existing = self._call("GET", path)
        if _must_recreate(existing, desired):
            logger.warning("recreating pubsub subscription", extra={"subscription": path})
            self._call("DELETE", path, accept=(404,))
            self._call("PUT", path, desired)
            return
        changed = _changed_fields(existing, desired)
        if changed:
            body = {"subscription": desired, "updateMask": ",".join(changed)}
            self._call("PATCH", path, body)

    def delete_subscription(self, name: str) -> None:
        """Delete subscription ``name`` if it exists."""
        self._call("DELETE", self._subscription_path(name), accept=(404,))

    def _topic_path(self, name: str) -> str:
        return name if name.startswith("projects/") else f"projects/{self._project}/topics/{name}"

    def _subscription_path(self, name: str) -> str:
        if name.startswith("projects/"):
            return name
        return f"projects/{self._project}/subscriptions/{name}"

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        accept: tuple[int, ...] = (),
    ) -> tuple[int, dict[str, Any]]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the scheme is fixed to http(s) above.
            f"{self._base_url}/v1/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                return response.status, _json_object(response.read())
        except urllib.error.HTTPError as error:
            if error.code in accept:
                return error.code, {}
            detail = error.read().decode(errors="replace")
            failure = f"{method} {path}: HTTP {error.code} {detail}"
            if error.code >= 500:
                raise TemporaryError(failure) from error
            raise PermanentError(failure) from error
        except (urllib.error.URLError, OSError) as error:
            raise TemporaryError(f"{method} {path}: {error}") from error


def _json_object(raw: bytes) -> dict[str, Any]:
    parsed = json.loads(raw) if raw else {}
    return parsed if isinstance(parsed, dict) else {}


def _duration(seconds: float) -> str:
    return f"{seconds:.9f}".rstrip("0").rstrip(".") + "s"


def _seconds(duration: object) -> float:
    return float(duration.removesuffix("s")) if isinstance(duration, str) else 0.0


def _push_endpoint(subscription: dict[str, Any]) -> str | None:
    push_config = subscription.get("pushConfig") or {}
    endpoint = push_config.get("pushEndpoint") if isinstance(push_config, dict) else None
    return endpoint if isinstance(endpoint, str) and endpoint else None


def _must_recreate(existing: dict[str, Any], desired: dict[str, Any]) -> bool:
    return (
        existing.get("topic") != desired["topic"]
        or bool(existing.get("enableMessageOrdering")) != desired["enableMessageOrdering"]
        or (_push_endpoint(existing) is None) != (_push_endpoint(desired) is None)
    )


def _changed_fields(existing: dict[str, Any], desired: dict[str, Any]) -> list[str]:
    changed = []
    if _push_endpoint(existing) != _push_endpoint(desired):
        changed.append("pushConfig")
    if existing.get("ackDeadlineSeconds") != desired["ackDeadlineSeconds"]:
        changed.append("ackDeadlineSeconds")
    if _backoffs(existing) != _backoffs(desired):
        changed.append("retryPolicy")
    if _dead_letter(existing) != _dead_letter(desired):
        changed.append("deadLetterPolicy")
    return changed


def _backoffs(subscription: dict[str, Any]) -> tuple[float, float] | None:
    policy = subscription.get("retryPolicy")
    if not isinstance(policy, dict):
        return None
    return _seconds(policy.get("minimumBackoff")), _seconds(policy.get("maximumBackoff"))


def _dead_letter(subscription: dict[str, Any]) -> tuple[object, object] | None:
    policy = subscription.get("deadLetterPolicy")
    if not isinstance(policy, dict):
        return None
    return policy.get("deadLetterTopic"), policy.get("maxDeliveryAttempts")


class PubSubDeadLetterHold:
    """The dead-letter holds through the official ``SubscriberClient`` (REST for an emulator)."""

    def __init__(
        self, project: str, client: Any | None = None, *, emulator_host: str | None = None
    ) -> None:
        self._project = project
        self._client = client
        self._emulator_host = emulator_host

    def pull(self, subscription: str, limit: int) -> list[HeldMessage]:
        answer = self._call(
            "pull",
            {"subscription": self._path(subscription), "max_messages": limit},
        )
        return [
            HeldMessage(
                ack_id=item.ack_id,
                message_id=item.message.message_id,
                data=bytes(item.message.data),
                attributes=dict(item.message.attributes),
                ordering_key=item.message.ordering_key or "",
            )
            for item in answer.received_messages
        ]

    def acknowledge(self, subscription: str, ack_ids: Sequence[str]) -> None:
        if ack_ids:
            self._call(
                "acknowledge", {"subscription": self._path(subscription), "ack_ids": list(ack_ids)}
            )

    def _path(self, subscription: str) -> str:
        return f"projects/{self._project}/subscriptions/{subscription}"

    def _call(self, method: str, request: dict[str, Any]) -> Any:
        from google.api_core import exceptions as google_errors

        try:
            return getattr(self._subscriber(), method)(request=request, timeout=30)
        except google_errors.NotFound:
            raise PermanentError(f"no subscription {request['subscription']}") from None
        except Exception as error:
            if _is_transient(error):
                raise TemporaryError(f"Pub/Sub {method}: {error}") from error
            raise

    def _subscriber(self) -> Any:
        if self._client is None:
            from google.cloud.pubsub_v1 import SubscriberClient

            if self._emulator_host:
                from google.auth.credentials import AnonymousCredentials
                from google.pubsub_v1.services.subscriber.transports.rest import (
                    SubscriberRestTransport,
                )

                transport = SubscriberRestTransport(
                    host=self._emulator_host,
                    url_scheme="http",
                    credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
                )
                self._client = SubscriberClient(transport=transport)
            else:
                self._client = SubscriberClient()
        return self._client
