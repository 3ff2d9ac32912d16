"""Strategy backtests: parse one strategy's CSV into a validated daily series, and the records kept.

The file (UTF-8 text, comma-separated, a header row first; header names are case-insensitive):

- ``date``: ISO ``YYYY-MM-DD``, strictly increasing. A duplicate or a date that goes backwards is an
  error; missing days (weekends, holidays) are fine. ``max_gap_days`` optionally rejects longer
  calendar gaps.
- exactly one of ``return`` (the day's simple return as a fraction, 0.01 = 1%) or ``equity``
  (account value, > 0; the first row only anchors the curve, so N rows give N - 1 returns).
- optional ``trades``: trades closed that day, a whole number >= 0. With it, the expected alpha per
  trade is the compounded total return divided by the number of trades.
- any other column is ignored and listed in ``ignored_columns`` so the caller can log it.

Metadata is a second CSV, ``strategy_id,margin_per_unit,currency[,unit_cost]`` (margin and unit
cost in the currency, as decimals; currency a code such as USD or USDT). Every error names the
file, the line and the problem. Scoring a series is :mod:`mats.domain.backtest_scoring`'s.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from mats.domain.currencies import is_currency_code
from mats.errors import ValidationError

VALUE_COLUMNS = ("return", "equity")
METADATA_COLUMNS = ("strategy_id", "margin_per_unit", "currency")


class BacktestFileError(ValidationError):
    """A backtest or metadata file that cannot be read; names the file and the line."""

    def __init__(self, source: str, line: int, message: str) -> None:
        super().__init__(f"{source}:{line}", message)
        self.source = source
        self.line = line


@dataclass(frozen=True)
class BacktestSeries:
    """One strategy's daily returns in date order; ``trades`` aligns with ``returns``."""

    source: str
    dates: tuple[date, ...]
    returns: tuple[float, ...]
    trades: tuple[int, ...] | None
    ignored_columns: tuple[str, ...]


@dataclass(frozen=True)
class BacktestStatistics:
    """Daily figures are per trading day; annual ones use 252 days; CVaR is a positive loss."""

    observations: int
    start: date
    end: date
    mean_daily: float
    mean_annual: float
    volatility_daily: float
    volatility_annual: float
    sharpe: float
    max_drawdown: float
    cvar_95: float
    total_return: float
    total_trades: int | None
    expected_alpha_per_trade: float | None
    # The share of the days with a non-zero return that were positive (a flat day is neither a
    # win nor a loss); None when no day moved. Backtests scored before it was kept have None.
    win_rate: float | None = None


@dataclass(frozen=True)
class StrategyMetadata:
    """Per-strategy facts a return series cannot carry.

    ``unit_cost`` is what one minimum tradable unit costs (lot x price); without it the margin per
    unit stands in for it when working out the minimum account size.
    """

    strategy_id: str
    margin_per_unit: Decimal
    currency: str
    unit_cost: Decimal | None = None


def parse_backtest_csv(text: str, source: str, max_gap_days: int | None = None) -> BacktestSeries:
    """Parse one strategy's backtest CSV, or raise ``BacktestFileError`` naming file and line."""
    rows = _rows(text, source)
    header_line, header = next(rows, (1, []))
    columns = _columns(header, source, header_line)
    value_column = next(name for name in VALUE_COLUMNS if name in columns)
    dates: list[date] = []
    values: list[float] = []
    trades: list[int] = []
    seen: dict[date, int] = {}
    for line, row in rows:
        if len(row) != len(header):
            raise BacktestFileError(
                source, line, f"expected {len(header)} fields like the header, got {len(row)}"
            )
        day = _date(row[columns["date"]], source, line)
        _check_order(day, dates, seen, source, line, max_gap_days=max_gap_days)
        seen[day] = line
        dates.append(day)
        values.append(_value(row[columns[value_column]], value_column, source, line))
        if "trades" in columns:
            trades.append(_trades(row[columns["trades"]], source, line))
    returns, kept = _returns(values, value_column, dates)
    if len(returns) < 2:
        raise BacktestFileError(source, header_line, "needs at least 2 daily returns")
    ignored = tuple(name for name in columns if name not in {"date", "trades", value_column})
    return BacktestSeries(
        source=source,
        dates=tuple(kept),
        returns=tuple(returns),
        trades=tuple(trades[len(trades) - len(returns) :]) if "trades" in columns else None,
        ignored_columns=ignored,
    )


def parse_strategy_metadata(text: str, source: str) -> Mapping[str, StrategyMetadata]:
    """Parse ``strategy_id,margin_per_unit,currency[,unit_cost]`` rows by strategy id."""
    rows = _rows(text, source)
    header_line, header = next(rows, (1, []))
    names = [name.strip().casefold() for name in header]
    if names[:3] != list(METADATA_COLUMNS) or names[3:] not in ([], ["unit_cost"]):
        expected = ",".join(METADATA_COLUMNS)
        raise BacktestFileError(
            source, header_line, f"header must be {expected}[,unit_cost]; got {header}"
        )
    found: dict[str, StrategyMetadata] = {}
    for line, row in rows:
        if len(row) != len(names):
            raise BacktestFileError(source, line, f"expected {len(names)} fields, got {len(row)}")
        strategy_id, margin_text, currency, *rest = (field.strip() for field in row)
        if not strategy_id:
            raise BacktestFileError(source, line, "strategy_id is empty")
        if strategy_id in found:
            raise BacktestFileError(source, line, f"{strategy_id} is listed twice")
        margin = _decimal(margin_text, source, line)
        if not is_currency_code(currency):
            raise BacktestFileError(
                source, line, f"currency must be a code such as USD or USDT; got {currency!r}"
            )
        unit_cost = _decimal(rest[0], source, line) if rest and rest[0] else None
        found[strategy_id] = StrategyMetadata(strategy_id, margin, currency, unit_cost)
    return found


def _rows(text: str, source: str) -> Iterator[tuple[int, list[str]]]:
    if not text.strip():
        raise BacktestFileError(source, 1, "the file is empty")
    reader = csv.reader(text.lstrip("\ufeff").splitlines())
    try:
        for row in reader:
            if row and any(field.strip() for field in row):
                yield reader.line_num, row
    except csv.Error as error:
        raise BacktestFileError(source, reader.line_num, f"malformed CSV: {error}") from None


def _columns(header: list[str], source: str, line: int) -> dict[str, int]:
    names = [name.strip().casefold() for name in header]
    if len(set(names)) != len(names):
        raise BacktestFileError(source, line, f"the header repeats a column: {header}")
    columns = {name: index for index, name in enumerate(names)}
    if "date" not in columns:
        raise BacktestFileError(source, line, f"no date column in the header {header}")
    present = [name for name in VALUE_COLUMNS if name in columns]
    if len(present) != 1:
        raise BacktestFileError(
            source, line, f"need exactly one of the columns return or equity; got {header}"
        )
    return columns


def _check_order(
    day: date,
    dates: list[date],
    seen: dict[date, int],
    source: str,
    line: int,
    *,
    max_gap_days: int | None,
) -> None:
    if day in seen:
        raise BacktestFileError(source, line, f"duplicate date {day} (first on line {seen[day]})")
    if dates and day < dates[-1]:
        raise BacktestFileError(source, line, f"date {day} goes backwards (after {dates[-1]})")
    if dates and max_gap_days is not None and (day - dates[-1]).days > max_gap_days:
        gap = (day - dates[-1]).days
        raise BacktestFileError(
            source, line, f"{gap} calendar days since {dates[-1]}; at most {max_gap_days} allowed"
        )


def _date(text: str, source: str, line: int) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BacktestFileError(source, line, f"date {text!r} is not YYYY-MM-DD") from None


def _value(text: str, column: str, source: str, line: int) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise BacktestFileError(source, line, f"{column} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise BacktestFileError(source, line, f"{column} must be a finite number; got {text!r}")
    if column == "return" and value <= -1.0:
        raise BacktestFileError(source, line, f"return {value} is a loss of 100% or more")
    if column == "equity" and value <= 0:
        raise BacktestFileError(source, line, f"equity must be above 0; got {value}")
    return value


def _trades(text: str, source: str, line: int) -> int:
    stripped = text.strip()
    if not stripped.isdigit():
        raise BacktestFileError(source, line, f"trades must be a whole number >= 0; got {text!r}")
    return int(stripped)


def _decimal(text: str, source: str, line: int) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BacktestFileError(source, line, f"margin_per_unit {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise BacktestFileError(source, line, f"margin_per_unit must be >= 0; got {text!r}")
    return value


def _returns(values: list[float], column: str, dates: list[date]) -> tuple[list[float], list[date]]:
    if column == "return":
        return values, dates
    returns = [after / before - 1.0 for before, after in itertools.pairwise(values)]
    return returns, dates[1:]


@dataclass(frozen=True)
class BacktestSummary:
    """What MATS keeps about a strategy's backtest besides the series itself.

    Stored as ``strategy_backtest_data/{strategy_id}``; the daily series lives beside it (see
    :class:`BacktestRecord`) so that readers needing only the figures stay light.
    """

    strategy_id: str
    source: str
    statistics: BacktestStatistics
    updated_at: datetime
    margin_per_unit: Decimal | None = None
    unit_cost: Decimal | None = None
    currency: str | None = None


@dataclass(frozen=True)
class BacktestRecord:
    summary: BacktestSummary
    series: BacktestSeries


def validate_series(series: BacktestSeries, field: str) -> BacktestSeries:
    """Check a series that did not come from a CSV: same lengths, dates rising, returns sane."""
    if len(series.dates) != len(series.returns):
        raise ValidationError(field, "dates and returns must have the same length")
    if len(series.returns) < 2:
        raise ValidationError(field, "needs at least 2 daily returns")
    for index, (earlier, later) in enumerate(itertools.pairwise(series.dates), start=1):
        if later <= earlier:
            raise ValidationError(
                f"{field}.dates[{index}]", f"{later} does not come after {earlier}"
            )
    for index, value in enumerate(series.returns):
        if not math.isfinite(value) or value <= -1:
            raise ValidationError(f"{field}.returns[{index}]", f"{value} is not a daily return")
    return series
