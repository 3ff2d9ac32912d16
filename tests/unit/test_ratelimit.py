from datetime import UTC, datetime, timedelta

from mats.domain.ratelimit import RateLimiter

START = datetime(2026, 11, 20, tzinfo=UTC)


def test_allows_a_burst_up_to_the_limit_then_asks_to_wait() -> None:
    limiter = RateLimiter()

    allowed = [limiter.acquire("sender", 3, START) is None for _ in range(3)]
    wait = limiter.acquire("sender", 3, START)

    assert allowed == [True, True, True]
    assert wait is not None
    assert 19 < wait <= 20


def test_tokens_refill_over_time_and_keys_are_independent() -> None:
    limiter = RateLimiter()
    for _ in range(60):
        limiter.acquire("a", 60, START)

    assert limiter.acquire("a", 60, START) is not None
    assert limiter.acquire("a", 60, START + timedelta(seconds=1)) is None
    assert limiter.acquire("b", 60, START) is None
