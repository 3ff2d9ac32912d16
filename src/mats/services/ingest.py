"""Accept webhook alerts: authenticate, validate, deduplicate, persist, then publish.

Every accepted signal is stored (raw payload + standard signal + outbox state) before it is
published to ``signals`` and before the sender gets an answer. If publishing fails the signal
stays ``PENDING`` and :meth:`IngestService.publish_pending` sends the very same message later.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from mats.contracts import ContractError, EncodedMessage, decode_as, encode, to_message
from mats.domain.ratelimit import RateLimiter
from mats.domain.senders import (
    SENDER_ID_PATTERN,
    UNKNOWN_KEY_NAME,
    Sender,
    parse_signature,
    reject_unknown_secret,
    reject_unknown_signature,
)
from mats.domain.signals import Alert, parse_alert, strategy_id_of
from mats.domain.signals.payload import load_payload
from mats.domain.signals.records import (
    OutboxState,
    RejectionReason,
    SignalRecord,
    SignalStatus,
    business_key,
    claim_for,
    has_natural_identity,
    signal_id_prefix,
)
from mats.domain.signals.signal import Signal
from mats.domain.strategies import Strategy, StrategyStatus
from mats.errors import TemporaryError, ValidationError
from mats.ports import Clock, Duplicate, Publisher, SecretStore, SignalStore, WebhookContext

log = logging.getLogger(__name__)

SECRET_FIELDS = ("secret", "passphrase")
REDACTED = "[REDACTED]"


@dataclass(frozen=True)
class IngestSettings:
    default_max_lag_seconds: int = 120
    future_tolerance_seconds: int = 60
    dedupe_window_seconds: int = 10
    publish_timeout_seconds: float = 2.0
    auth_failures_per_minute: int = 120
    key_retention_days: int = 30


@dataclass(frozen=True)
class WebhookRequest:
    """What the HTTP layer hands over: the raw body and where the credentials may be."""

    body: bytes
    sender_id: str | None = None
    path_secret: str | None = None
    signature: str | None = None
    client_ip: str | None = None
    strategy_hint: str | None = None


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    INVALID = "invalid"
    UNAUTHORIZED = "unauthorized"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class IngestResult:
    outcome: Outcome
    signal_id: str | None = None
    status: SignalStatus | None = None
    reason: str | None = None
    detail: str | None = None
    field: str | None = None
    published: bool | None = None
    tags: tuple[str, ...] = ()
    retry_after_seconds: float | None = None


class IngestService:
    def __init__(
        self,
        store: SignalStore,
        secrets: SecretStore,
        publisher: Publisher,
        clock: Clock,
        *,
        settings: IngestSettings | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._store = store
        self._secrets = secrets
        self._publisher = publisher
        self._clock = clock
        self._settings = settings or IngestSettings()
        self._limiter = limiter or RateLimiter()

    def receive(self, request: WebhookRequest) -> IngestResult:
        """Handle one webhook request end to end."""
        now = self._clock.now()
        try:
            signature = (
                parse_signature(request.signature) if request.signature is not None else None
            )
        except ValidationError as error:
            # A malformed header says nothing about any sender, so it is named, not hidden.
            return IngestResult(Outcome.INVALID, field=error.field, detail=error.message)
        try:
            payload: Mapping[str, Any] | None = load_payload(request.body)
            body_error = None
        except ValidationError as error:
            payload, body_error = None, error
        authenticated = self._authenticate(request, signature, payload, now)
        if isinstance(authenticated, IngestResult):
            return authenticated
        sender, strategy = authenticated
        wait = self._limiter.acquire(
            f"sender:{sender.sender_id}", sender.rate_limit_per_minute, now
        )
        if wait is not None:
            log.warning("webhook rate limited", extra={"sender_id": sender.sender_id})
            return IngestResult(Outcome.RATE_LIMITED, retry_after_seconds=wait)
        body_secret = _secret_from_body(payload)
        try:
            if payload is None:
                raise body_error or ValidationError("body", "is not valid JSON")
            alert = parse_alert(payload, request.strategy_hint)
            strategy = _authorised_strategy(strategy, alert.strategy_id, sender)
            self._check_not_from_the_future(alert, now)
        except ValidationError as error:
            log.info(
                "webhook rejected as invalid",
                extra={
                    "sender_id": sender.sender_id,
                    "field": _redact(error.field, request.path_secret, body_secret),
                    "detail": _redact(error.message, request.path_secret, body_secret),
                },
            )
            return IngestResult(Outcome.INVALID, field=error.field, detail=error.message)
        return self._record(
            request=request,
            sender=sender,
            strategy=strategy,
            alert=alert,
            now=now,
            body_secret=body_secret,
        )

    def publish_pending(self, *, min_age_seconds: float = 30, limit: int = 100) -> int:
        """Publish accepted signals whose first publish failed or never finished; return count."""
        now = self._clock.now()
        leased = self._store.lease_pending(
            now=now,
            created_before=now - timedelta(seconds=min_age_seconds),
            lease=timedelta(seconds=60),
            limit=limit,
        )
        return sum(1 for record in leased if self._publish_stored(record))

    def _publish_stored(self, record: SignalRecord) -> bool:
        # One unreadable record is reported and left pending; it never stops the sweep.
        try:
            message = _encoded(record)
        except ContractError as error:
            detail = f"stored message is not a valid mats.signal.v1: {error}"
            log.error(
                "pending signal cannot be published",
                extra={"signal_id": record.signal_id, "error": detail},
            )
            self._store.mark_publish_failed(record.signal_id, detail, self._clock.now())
            return False
        return self._publish(record, message)

    def _authenticate(
        self,
        request: WebhookRequest,
        signature: str | None,
        payload: Mapping[str, Any] | None,
        now: datetime,
    ) -> tuple[Sender, Strategy | None] | IngestResult:
        sender_id = request.sender_id or _text(payload, "sender_id")
        # A signature, when present, is what authenticates: a body secret never overrides it.
        secret = None if signature else request.path_secret or _secret_from_body(payload)
        if not sender_id or not (secret or signature):
            return self._unauthorized(request, now, "missing sender id or credentials")
        context = (
            self._store.webhook_context(sender_id, _strategy_guess(payload, request))
            if SENDER_ID_PATTERN.fullmatch(sender_id)
            else WebhookContext(None, None)
        )
        sender = context.sender
        if signature is not None:
            verified = self._signature_matches(sender, request.body, signature, now)
        elif sender is None:
            verified = reject_unknown_secret(secret or "")
        else:
            verified = sender.secret_matches(secret or "", now)
        if sender is None:
            return self._unauthorized(request, now, "unknown sender", sender_id)
        if not verified:
            return self._unauthorized(request, now, "bad secret or signature", sender_id)
        if not sender.ip_allowed(request.client_ip):
            return self._unauthorized(request, now, "source address not allowed", sender_id)
        return sender, context.strategy

    def _signature_matches(
        self, sender: Sender | None, body: bytes, signature: str, now: datetime
    ) -> bool:
        # An unknown sender reads the secret store too, so both cases cost the same.
        names = sender.key_names(now) if sender else (UNKNOWN_KEY_NAME, UNKNOWN_KEY_NAME)
        current, previous = (self._secrets.get(name) for name in names)
        if sender is None:
            return reject_unknown_signature(body, signature)
        if current is None:
            log.error(
                "sender's signing key is not in the secret store; run `mats senders migrate`",
                extra={"sender_id": sender.sender_id},
            )
        return sender.signature_matches(body, signature, now, (current, previous))

    def _unauthorized(
        self, request: WebhookRequest, now: datetime, reason: str, sender_id: str | None = None
    ) -> IngestResult:
        # Only a well-formed id is logged: one that forgot its id may have put its secret there.
        shown = sender_id if sender_id and SENDER_ID_PATTERN.fullmatch(sender_id) else None
        log.warning(
            "webhook authentication failed",
            extra={"reason": reason, "sender_id": shown, "client_ip": request.client_ip},
        )
        per_minute = self._settings.auth_failures_per_minute
        wait = self._limiter.acquire(f"auth-failure:{request.client_ip}", per_minute, now)
        if wait is not None:
            return IngestResult(Outcome.RATE_LIMITED, retry_after_seconds=wait)
        return IngestResult(Outcome.UNAUTHORIZED, detail="authentication failed")

    def _check_not_from_the_future(self, alert: Alert, now: datetime) -> None:
        tolerance = timedelta(seconds=self._settings.future_tolerance_seconds)
        if alert.signal_time is not None and alert.signal_time > now + tolerance:
            raise ValidationError(
                _SIGNAL_TIME_FIELD[alert.source_format],
                f"{alert.signal_time:%Y-%m-%dT%H:%M:%SZ} is in the future (server time "
                f"{now:%Y-%m-%dT%H:%M:%SZ}); check the sender's clock",
            )

    def _record(
        self,
        *,
        request: WebhookRequest,
        sender: Sender,
        strategy: Strategy,
        alert: Alert,
        now: datetime,
        body_secret: str | None,
    ) -> IngestResult:
        rejection = self._rejection(sender, strategy, alert, now)
        tags = ("TESTING",) if strategy.status is StrategyStatus.TESTING else ()
        window = timedelta(seconds=self._settings.dedupe_window_seconds)
        claim = claim_for(
            business_key(sender.sender_id, alert),
            signal_id_prefix(strategy.strategy_id, now),
            now,
            None if has_natural_identity(alert) else window,
        )
        # The body was checked to be UTF-8 when it was parsed.
        raw_payload = _redact(request.body.decode(), request.path_secret, body_secret)
        encoded: dict[str, EncodedMessage] = {}

        def build(signal_id: str) -> SignalRecord:
            signal = _standard_signal(
                signal_id=signal_id,
                now=now,
                sender=sender,
                strategy=strategy,
                alert=alert,
                tags=tags,
            )
            encoded[signal_id] = encode(to_message(signal))
            return SignalRecord(
                signal_id=signal_id,
                strategy_id=strategy.strategy_id,
                sender_id=sender.sender_id,
                received_at=now,
                business_key=claim.business_key,
                status=SignalStatus.REJECTED if rejection else SignalStatus.ACCEPTED,
                raw_payload=raw_payload,
                message=encoded[signal_id].data.decode(),
                source_format=alert.source_format,
                symbol=alert.symbol,
                intent=alert.intent.value,
                outbox_state=OutboxState.NOT_PUBLISHED if rejection else OutboxState.PENDING,
                tags=tags,
                rejection_reason=rejection[0] if rejection else None,
                rejection_detail=rejection[1] if rejection else None,
            )

        result = self._store.record(claim, build)
        if isinstance(result, Duplicate):
            existing = result.existing
            log.info(
                "duplicate webhook",
                extra={"signal_id": existing.signal_id, "sender_id": sender.sender_id},
            )
            return IngestResult(
                Outcome.DUPLICATE,
                signal_id=existing.signal_id,
                status=existing.status,
                reason=existing.rejection_reason,
                detail=existing.rejection_detail,
                tags=existing.tags,
            )
        record = result.record
        if rejection:
            log.info(
                "signal rejected",
                extra={
                    "signal_id": record.signal_id,
                    "reason": rejection[0],
                    "detail": rejection[1],
                },
            )
            return IngestResult(
                Outcome.REJECTED,
                signal_id=record.signal_id,
                status=record.status,
                reason=rejection[0],
                detail=rejection[1],
                tags=tags,
            )
        published = self._publish(record, encoded[record.signal_id])
        return IngestResult(
            Outcome.ACCEPTED,
            signal_id=record.signal_id,
            status=record.status,
            published=published,
            tags=tags,
        )

    def _rejection(
        self, sender: Sender, strategy: Strategy, alert: Alert, now: datetime
    ) -> tuple[RejectionReason, str] | None:
        if strategy.status is StrategyStatus.INACTIVE:
            return RejectionReason.STRATEGY_INACTIVE, f"Strategy {strategy.strategy_id} is INACTIVE"
        if alert.signal_time is None:
            return None
        limits = [
            lag
            for lag in (sender.max_lag_seconds, strategy.max_signal_lag_seconds)
            if lag is not None
        ]
        max_lag = min(limits) if limits else self._settings.default_max_lag_seconds
        age = (now - alert.signal_time).total_seconds()
        if age > max_lag:
            return (
                RejectionReason.STALE,
                f"Signal fired {age:.0f} s ago; the limit for this strategy is {max_lag} s",
            )
        return None

    def _publish(self, record: SignalRecord, message: EncodedMessage) -> bool:
        timeout = self._settings.publish_timeout_seconds
        try:
            message_id = self._publisher.publish(message, timeout=timeout)
        except TemporaryError as error:
            log.error(
                "signal publish failed; it stays pending",
                extra={"signal_id": record.signal_id, "error": str(error)},
            )
            self._store.mark_publish_failed(record.signal_id, str(error), self._clock.now())
            return False
        self._store.mark_published(record.signal_id, message_id, self._clock.now())
        log.info(
            "signal published", extra={"signal_id": record.signal_id, "message_id": message_id}
        )
        return True


_SIGNAL_TIME_FIELD = {"tradingview": "timenow", "traderspost": "time", "mats": "signal_time"}


def _standard_signal(
    *,
    signal_id: str,
    now: datetime,
    sender: Sender,
    strategy: Strategy,
    alert: Alert,
    tags: tuple[str, ...],
) -> Signal:
    terms = alert.terms
    return Signal(
        id=signal_id,
        created_at=now,
        strategy_id=strategy.strategy_id,
        sender_id=sender.sender_id,
        source_format=alert.source_format,
        symbol=alert.symbol,
        intent=alert.intent,
        trading_mode=strategy.trading_mode,
        account=strategy.account,
        exchange=alert.exchange,
        side=alert.side,
        quantity=alert.quantity,
        price=alert.price,
        target=alert.target,
        previous=alert.previous,
        order_type=terms.order_type,
        limit_price=terms.limit_price,
        stop_price=terms.stop_price,
        stop_loss=terms.stop_loss,
        take_profit=terms.take_profit,
        time_in_force=terms.time_in_force,
        expire_at=terms.expire_at,
        signal_time=alert.signal_time,
        bar_time=alert.bar_time,
        alert_order_id=alert.alert_order_id,
        comment=alert.comment,
        tags=tags,
    )


def _encoded(record: SignalRecord) -> EncodedMessage:
    """Rebuild the publish request from the stored body, byte for byte."""
    signal = decode_as(record.message, Signal)
    return replace(encode(to_message(signal)), data=record.message.encode())


def _authorised_strategy(strategy: Strategy | None, strategy_id: str, sender: Sender) -> Strategy:
    # Unknown and not-yours look the same, so a sender cannot probe other senders' strategies.
    if (
        strategy is None
        or strategy.strategy_id != strategy_id
        or not strategy.accepts_signals_from(sender.sender_id)
    ):
        raise ValidationError("strategy_id", f"unknown strategy {strategy_id!r}")
    return strategy


def _text(payload: Mapping[str, Any] | None, key: str) -> str | None:
    value = payload.get(key) if payload is not None else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _secret_from_body(payload: Mapping[str, Any] | None) -> str | None:
    for key in SECRET_FIELDS:
        secret = _text(payload, key)
        if secret:
            return secret
    return None


def _strategy_guess(payload: Mapping[str, Any] | None, request: WebhookRequest) -> str | None:
    """Name the strategy early so it is fetched with the sender; full validation comes later."""
    try:
        return strategy_id_of(payload or {}, request.strategy_hint)
    except ValidationError:
        return None


def _redact(text: str, *secrets: str | None) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text
