"""MATS's symbols (as TradingView names them, ``BTCUSDT``) and ccxt's markets (``BTC/USDT``).

A MATS symbol finds its market through ``symbol_map`` first, then as a unified symbol, then as
the exchange's own market id (binance's ``BTCUSDT``), preferring the configured market type when
one id names several markets. The way back is the map, else the market id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class MarketDirectory:
    def __init__(self, exchange: Any, symbol_map: Mapping[str, str]) -> None:
        self._exchange = exchange
        self._symbol_map = dict(symbol_map)
        self._symbols_by_unified = {unified: mats for mats, unified in symbol_map.items()}

    @property
    def mapped_symbols(self) -> tuple[str, ...]:
        return tuple(self._symbol_map)

    def market(self, symbol: str) -> dict[str, Any] | None:
        """Return the loaded market for a MATS symbol, or ``None`` if the exchange has none."""
        markets: Mapping[str, dict[str, Any]] = self._exchange.markets or {}
        unified = self._symbol_map.get(symbol, symbol)
        if unified in markets:
            return markets[unified]
        by_id: Mapping[str, list[dict[str, Any]]] = self._exchange.markets_by_id or {}
        candidates = by_id.get(symbol) or []
        market_type = self._exchange.options.get("defaultType")
        preferred = [m for m in candidates if m.get("type") == market_type]
        return next(iter(preferred or candidates), None)

    def mats_symbol(self, market: Mapping[str, Any]) -> str:
        """Return MATS's symbol for a market."""
        return self._symbols_by_unified.get(market["symbol"], str(market["id"]))

    def holding_symbol(self, currency: str, quote: str) -> str:
        """Return MATS's symbol for a balance: its market against ``quote``, else the currency."""
        market = (self._exchange.markets or {}).get(f"{currency}/{quote}")
        return self.mats_symbol(market) if market is not None else currency
