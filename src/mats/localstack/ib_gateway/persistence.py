"""What a restarted simulated gateway keeps: accounts, the day's executions, prices, settings.

A broker does not forget an account's cash and positions when its gateway restarts, and the
bridge reconciles against them; so with ``--data-dir`` the gateway writes this state to
``gateway.json`` (replaced in one step) after every change, before a fill is reported to any
client, and reads it back at start. Working orders are not kept: a restarted simulator has none.
"""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from mats.localstack.ib_gateway.catalog import Catalog, Instrument
from mats.localstack.ib_gateway.engine import Engine
from mats.localstack.ib_gateway.ledger import Account, Holding, Ledger
from mats.localstack.ib_gateway.model import Execution, Settings
from mats.localstack.ib_gateway.prices import PriceBook

STATE_FILE = "gateway.json"


class GatewayStateFile:
    def __init__(
        self,
        directory: Path,
        *,
        ledger: Ledger,
        engine: Engine,
        prices: PriceBook,
        settings: Settings,
        catalog: Catalog,
    ) -> None:
        self._path = directory / STATE_FILE
        self._ledger = ledger
        self._engine = engine
        self._prices = prices
        self._settings = settings
        self._catalog = catalog

    def restore(self) -> bool:
        """Load the kept state into the gateway; ``False`` when there was none."""
        try:
            kept = json.loads(self._path.read_text())
        except FileNotFoundError:
            return False
        for name, value in kept["settings"].items():
            setattr(self._settings, name, value)
        self._prices.update(kept["prices"])
        self._ledger.restore([_account(data) for data in kept["accounts"]])
        executions = [_execution(data) for data in kept["executions"]]
        self._engine.restore_executions(executions)
        for holding in (
            h for account in self._ledger.accounts() for h in account.holdings.values()
        ):
            self._catalog.remember(holding.instrument)
        for execution in executions:
            self._catalog.remember(execution.instrument)
        return True

    def save(self) -> None:
        state = {
            "settings": dataclasses.asdict(self._settings),
            "prices": self._prices.explicit(),
            "accounts": [dataclasses.asdict(account) for account in self._ledger.accounts()],
            "executions": [_execution_json(execution) for execution in self._engine.executions],
        }
        self._path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state))
        os.replace(temporary, self._path)


def _account(data: dict[str, Any]) -> Account:
    holdings = {
        int(con_id): Holding(
            instrument=Instrument(**holding["instrument"]),
            quantity=holding["quantity"],
            average_cost=holding["average_cost"],
            realized_pnl=holding["realized_pnl"],
        )
        for con_id, holding in data["holdings"].items()
    }
    return Account(
        code=data["code"],
        cash=data["cash"],
        realized_pnl=data["realized_pnl"],
        holdings=holdings,
        pinned=dict(data["pinned"]),
    )


def _execution_json(execution: Execution) -> dict[str, Any]:
    data = dataclasses.asdict(execution)
    data["time"] = execution.time.isoformat()
    return data


def _execution(data: dict[str, Any]) -> Execution:
    fields = dict(data)
    fields["time"] = datetime.fromisoformat(fields["time"])
    fields["instrument"] = Instrument(**fields["instrument"])
    return Execution(**fields)
