"""Generated webhook requests, hostile and ordinary, from a seed: one deterministic case per index.

Each case is what a sender with valid credentials could post: a body (valid alerts in every
format; mutated fields of every type; nesting, size and number extremes; broken encodings;
unfilled placeholders), a content type, a path with an optional query, and headers. The
credential travels in the path, in the body or as an ``X-Signature``; a few requests carry an
odd method or path, or a malformed signature, instead.
"""

from __future__ import annotations

import json
import random
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from mats.domain.senders import sign_body, signing_key

PLACEHOLDERS = (
    "{{ticker}}",
    "{{close}}",
    "{{strategy.order.action}}",
    "{{strategy.order.contracts}}",
    "{{strategy.market_position}}",
    "{{timenow}}",
    "{{plot_0}}",
)
ODD_TEXT = (
    "",
    " ",
    "\ud83dx",
    "x\udc00",
    "a\x00b",
    "\x1b[31m",
    "\u202egnp.exe",
    "😀" * 3,
    "٣",
    "²",
    "NaN",
    "Infinity",
    "-0",
    "1e-999999999",
    "1e999999999",
    "9" * 60,
    "0x10",
    "1_000",
    " 12 ",
    "${jndi:ldap://x}",
    "'; DROP TABLE signals; --",
    "../../etc/passwd",
    "__name__",
    "x" * 2000,
)
CONTENT_TYPES = (
    "application/json",
    "application/json; charset=utf-8",
    "text/plain; charset=UTF-8",
    "application/x-www-form-urlencoded",
    "application/vnd.api+json",
    "multipart/form-data; boundary=x",
    "application/xml",
    "application/octet-stream",
    "application/json; charset=latin-1",
    "application/json; charset=utf-16",
    "text/html",
    ";;;",
    "application/" + "x" * 3000,
)
METHODS = ("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO")


@dataclass(frozen=True)
class Credentials:
    sender_id: str
    secret: str
    strategy_ids: tuple[str, ...]


@dataclass
class Case:
    index: int
    kind: str
    body: bytes
    path: str
    method: str = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    # The credentials this case carries that must never be logged.
    secrets: tuple[str, ...] = ()


class Generator:
    """Build case ``n`` of a seeded run; the same seed and index give the same case."""

    def __init__(self, seed: int, credentials: Credentials) -> None:
        self._seed = seed
        self._credentials = credentials
        self._kinds: list[tuple[str, Callable[[random.Random, int], Any], int]] = [
            ("valid alert", self._valid_alert, 6),
            ("unfilled placeholders", self._placeholders, 8),
            ("mutated field", self._mutated_field, 30),
            ("nesting", self._nesting, 8),
            ("size", self._size, 8),
            ("numbers", self._numbers, 8),
            ("not an object", self._not_an_object, 5),
            ("duplicate keys", self._duplicate_keys, 4),
            ("encoding", self._encoding, 10),
            ("random bytes", self._random_bytes, 4),
        ]
        self._weights = [weight for _, _, weight in self._kinds]

    def case(self, index: int) -> Case:
        rng = random.Random(self._seed * 1_000_003 + index)  # noqa: S311 - reproducible, not secret.
        kind, build, _ = rng.choices(self._kinds, weights=self._weights)[0]
        payload = build(rng, index)
        case = self._deliver(rng, index, kind, payload)
        self._disturb(rng, case)
        return case

    def _deliver(self, rng: random.Random, index: int, kind: str, payload: Any) -> Case:
        credentials = self._credentials
        base = f"/webhook/{credentials.sender_id}"
        headers = {"Content-Type": "application/json"}
        secrets = (credentials.secret, signing_key(credentials.secret))
        mode = rng.choices(("path", "signature", "body"), weights=(6, 3, 2))[0]
        if mode == "body" and isinstance(payload, dict):
            payload = {**payload, rng.choice(("secret", "passphrase")): credentials.secret}
        elif mode == "body":
            mode = "path"
        body = payload if isinstance(payload, bytes) else _dumps(rng, payload)
        path = f"{base}/{credentials.secret}" if mode == "path" else base
        if mode == "signature":
            signature = sign_body(signing_key(credentials.secret), body)
            headers["X-Signature"] = rng.choice(("sha256=", "", "SHA256=")) + signature
            secrets = (*secrets, signature)
        return Case(index, f"{kind} ({mode})", body, path, headers=headers, secrets=secrets)

    def _disturb(self, rng: random.Random, case: Case) -> None:
        """Now and then, make the request itself odd: type, method, path, query, headers."""
        roll = rng.random()
        if roll < 0.06:
            case.headers["Content-Type"] = rng.choice(CONTENT_TYPES)
        elif roll < 0.08:
            del case.headers["Content-Type"]
        elif roll < 0.10:
            case.method = rng.choice(METHODS)
        elif roll < 0.14:
            case.path = _odd_path(rng, case.path, self._credentials)
        elif roll < 0.17:
            strategy = rng.choice((*self._credentials.strategy_ids, "", "a/b", "%00", "x" * 500))
            query = urllib.parse.urlencode(
                {"strategy": strategy, "junk": "y" * rng.randint(0, 3000)}
            )
            case.path += "?" + query
        elif roll < 0.20:
            case.headers["X-Signature"] = rng.choice(
                ("", "sha256=", "sha256=" + "g" * 64, "sha256=" + "0" * 64, "z" * 8000)
            )
        elif roll < 0.22:
            case.headers["X-Forwarded-For"] = ", ".join(["1.2.3.4", "::1", "junk", "x" * 300])
            case.headers.update({f"X-Extra-{n}": "v" * rng.randint(0, 200) for n in range(30)})

    def _alert(self, rng: random.Random, index: int) -> dict[str, Any]:
        strategy_id = rng.choice(self._credentials.strategy_ids)
        now = datetime.now(UTC) - timedelta(seconds=1)
        bar = (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=index)).isoformat()
        form = rng.choice(("tradingview", "traderspost", "mats"))
        if form == "tradingview":
            return {
                "strategy_id": strategy_id,
                "ticker": rng.choice(("ES1!", "AAPL", "BTCUSDT")),
                "exchange": "CME_MINI",
                "close": "5012.25",
                "time": bar,
                "timenow": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "action": "buy",
                "contracts": str(rng.randint(1, 5)),
                "price": "5012.25",
                "order_id": f"fuzz-{index}",
                "comment": "",
                "market_position": "long",
                "market_position_size": "1",
                "prev_market_position": "flat",
                "prev_market_position_size": "0",
            }
        if form == "traderspost":
            return {
                "strategy_id": strategy_id,
                "ticker": "AAPL",
                "action": rng.choice(("buy", "sell", "exit")),
                "sentiment": rng.choice(("bullish", "bearish", "flat")),
                "quantity": str(rng.randint(1, 9)),
                "price": "187.5",
                "time": now.isoformat(),
            }
        return {
            "format": "mats",
            "strategy_id": strategy_id,
            "symbol": "ES",
            "intent": rng.choice(("ENTRY_LONG", "ENTRY_SHORT", "EXIT")),
            "quantity": "2",
            "price": "5012.25",
            "signal_time": now.isoformat(),
            "idempotency_key": f"fuzz-{self._seed}-{index}",
        }

    def _valid_alert(self, rng: random.Random, index: int) -> dict[str, Any]:
        return self._alert(rng, index)

    def _placeholders(self, rng: random.Random, index: int) -> dict[str, Any]:
        alert = self._alert(rng, index)
        for key in rng.sample(sorted(alert), k=rng.randint(1, 3)):
            if key != "strategy_id":
                alert[key] = rng.choice(PLACEHOLDERS)
        return alert

    def _mutated_field(self, rng: random.Random, index: int) -> dict[str, Any]:
        alert = self._alert(rng, index)
        key = rng.choice([*sorted(alert), "strategy", "stopLoss", "target_position", "new"])
        alert[key] = _any_value(rng)
        return alert

    def _nesting(self, rng: random.Random, index: int) -> bytes:
        depth = rng.choice((8, 9, 10, 11, 12, 50, 999, 1100, 1200, 5000, 15000))
        opener, closer = rng.choice(((b"[", b"]"), (b'{"a":', b"}")))
        inner = opener * depth + b"1" + closer * depth
        if rng.random() < 0.3:
            inner = opener * depth  # Never closed.
        alert = _dumps(rng, self._alert(rng, index))
        return alert[:-1] + b', "extra": ' + inner + b"}"

    def _size(self, rng: random.Random, index: int) -> Any:
        alert = self._alert(rng, index)
        choice = rng.randrange(5)
        if choice == 0:
            alert["comment"] = "x" * rng.choice((128, 129, 1024, 1025, 20_000, 40_000))
        elif choice == 1:
            alert.update({f"k{n}": n for n in range(rng.choice((480, 490, 501, 2000)))})
        elif choice == 2:
            alert["k" * rng.choice((64, 65, 500))] = 1
        elif choice == 3:
            alert["list"] = [0] * rng.choice((400, 499, 600, 5000))
        else:
            return b"{" + b" " * rng.choice((1000, 32_760, 40_000)) + b"}"
        return alert

    def _numbers(self, rng: random.Random, index: int) -> bytes:
        literal = rng.choice(
            (
                "9" * 4301,
                "9" * 5000,
                "-" + "1" * 41,
                "1" * 40,
                "1e999999999",
                "-1e-999999999",
                "1E+308",
                "1e400",
                "0." + "0" * 60 + "1",
                "123456789012345678901234567890.5",
                "-0",
                "0e-50",
            )
        )
        key = rng.choice(("contracts", "quantity", "price", "timenow", "time", "extra"))
        alert = _dumps(rng, {k: v for k, v in self._alert(rng, index).items() if k != key})
        return alert[:-1] + f', "{key}": {literal}}}'.encode()

    def _not_an_object(self, rng: random.Random, index: int) -> bytes:
        return rng.choice(
            (b"[]", b"[1, 2]", b'"alert"', b"42", b"null", b"true", b"", b"   ", b"{}", b"{")
        )

    def _duplicate_keys(self, rng: random.Random, index: int) -> bytes:
        alert = _dumps(rng, self._alert(rng, index))
        key = rng.choice((b"ticker", b"strategy_id", b"secret", b"action"))
        return alert[:-1] + b', "' + key + b'": "dup"}'

    def _encoding(self, rng: random.Random, index: int) -> bytes:
        text = json.dumps(self._alert(rng, index), ensure_ascii=False)
        return rng.choice(
            (
                b"\xef\xbb\xbf" + text.encode(),
                text.encode("utf-16"),
                text.encode("utf-32"),
                text.replace('"ES1!"', '"\u00e9S"').encode("latin-1", "replace"),
                text.encode().replace(b"CME", b"C\xc0\x80E"),
                text.encode().replace(b"CME", b"C\xed\xa0\x80E"),
                text.encode().replace(b"CME", b"C\x00E"),
                text.encode().replace(b"CME", b"C\xff\xfeE"),
                text.encode()[: rng.randint(1, max(1, len(text) - 1))],
            )
        )

    def _random_bytes(self, rng: random.Random, index: int) -> bytes:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 600)))


def _any_value(rng: random.Random) -> Any:
    choice = rng.randrange(9)
    if choice == 0:
        return rng.choice(ODD_TEXT)
    if choice == 1:
        return rng.choice((0, -1, 1, 10**20, -(10**15), True, False, None))
    if choice == 2:
        return rng.choice((0.5, -0.0, 1e300, 1e-300, 123.456))
    if choice == 3:
        return [rng.choice(ODD_TEXT), 1, None]
    if choice == 4:
        return {"price": rng.choice(ODD_TEXT), "percent": "2", "side": "LONG", "size": "x"}
    if choice == 5:
        return rng.choice(PLACEHOLDERS)
    if choice == 6:
        return "".join(chr(rng.randrange(1, 0x2FFF)) for _ in range(rng.randint(1, 50)))
    if choice == 7:
        return {"order": {"action": rng.choice(("buy", "sell", "{{x}}", 1))}}
    return rng.choice(("buy", "sell", "long", "short", "flat", "LMT", "GTD", "ES1!", "x" * 41))


def _dumps(rng: random.Random, payload: Any) -> bytes:
    # Both escapings TradingView-like senders produce: \\uXXXX escapes, or raw UTF-8. A lone
    # surrogate can only travel escaped.
    try:
        text = json.dumps(payload, ensure_ascii=rng.random() < 0.5)
        return text.encode()
    except UnicodeEncodeError:
        return json.dumps(payload).encode()


def _odd_path(rng: random.Random, path: str, credentials: Credentials) -> str:
    sender, secret = credentials.sender_id, credentials.secret
    return rng.choice(
        (
            f"/webhook/{sender}/{secret}/extra",
            f"/webhook/{sender}%2F{secret}",
            f"//webhook//{sender}//{secret}",
            f"/Webhook/{sender}/{secret}",
            f"/webhook/{sender.upper()}/{secret}",
            f"/webhook/%00/{secret}",
            f"/webhook/{'a' * 5000}/{secret}",
            f"/webhook/{sender}/{'s' * 5000}",
            f"/webhook/..%2F..%2Fsenders/{secret}",
            f"/webhook/__{sender}__/{secret}",
            f"/webhook/{sender}/%ED%A0%80",
            f"/webhook/{sender}/%FF%FE",
            "/webhook",
            "/",
            "/favicon.ico",
            "/robots.txt",
            "/healthz/extra",
            "/" + "x/" * 500,
            path + "#fragment",
        )
    )
