"""The simulated market: one price per symbol, set through the control API."""

from __future__ import annotations

from collections.abc import Mapping

from mats.localstack.ib_gateway.catalog import Instrument


class PriceBook:
    """Current price per price key (symbol, or ``EUR.USD`` for currency pairs)."""

    def __init__(self, default: float) -> None:
        self._default = default
        self._prices: dict[str, float] = {}

    def get(self, key: str) -> float:
        """Return the price for ``key``, or the default price if none was set."""
        return self._prices.get(key.upper(), self._default)

    def price_of(self, instrument: Instrument) -> float:
        """Return the current price of an instrument."""
        return self.get(instrument.price_key)

    def update(self, prices: Mapping[str, float]) -> set[str]:
        """Set prices; return the keys whose price changed."""
        changed: set[str] = set()
        for key, price in prices.items():
            normalised = key.upper()
            if self.get(normalised) != price:
                changed.add(normalised)
            self._prices[normalised] = price
        return changed

    def reset(self, default: float) -> None:
        """Forget every price set and use ``default`` for all."""
        self._default = default
        self._prices.clear()

    def explicit(self) -> dict[str, float]:
        """Return the prices that were set (not the default)."""
        return dict(self._prices)

    def to_json(self) -> dict[str, object]:
        """Describe the price feed for the control API."""
        return {"default": self._default, "prices": dict(self._prices)}
