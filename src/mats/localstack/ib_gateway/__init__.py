"""A simulated Interactive Brokers Gateway that the real ``ib_async`` client trades against.

It speaks the TWS API socket protocol at server version 176 on 127.0.0.1 and simulates a
broker behind it: a price per symbol, order matching, executions with commissions, positions,
account values, and faults on demand. Run it with
``python -m mats.localstack.ib_gateway --port 4002 --control-port 0 [--account DU1234567 ...]``.

Protocol coverage (client request → server answer)
--------------------------------------------------
* handshake ``API\\0 v157..178`` → version 176 + connection time; ``startApi`` →
  ``managedAccounts``, ``nextValidId`` and the data-farm notices 2104/2106/2158, or error 326 and
  a closed socket when the client id is already connected;
* ``reqCurrentTime`` → ``currentTime``; ``reqIds`` → ``nextValidId``; ``reqManagedAccts``;
* ``reqPositions`` → ``position``… ``positionEnd``, then a ``position`` on every change;
* ``reqAccountUpdates`` → ``updateAccountValue``… ``updatePortfolio``… ``accountDownloadEnd``,
  then updates after fills and price moves; ``reqAccountSummary`` and ``reqAccountUpdatesMulti``
  likewise (NetLiquidation, TotalCashValue, InitMarginReq, MaintMarginReq, AvailableFunds,
  ExcessLiquidity, BuyingPower, UnrealizedPnL, RealizedPnL... in USD); account updates (plain
  and multi, not the summary) also carry ``ExchangeRate`` per currency, USD per one unit as IB
  reports it: ``BASE`` and ``USD`` at 1.00, then each rate of ``POST /fx`` (EUR 1.08 and GBP
  1.27 to start);
* ``reqOpenOrders`` / ``reqAllOpenOrders`` → ``openOrder`` + ``orderStatus``… ``openOrderEnd``;
  ``reqAutoOpenOrders`` is accepted; ``reqCompletedOrders`` → ``completedOrder``… end;
* ``reqExecutions(filter)`` → ``execDetails`` + ``commissionReport``… ``execDetailsEnd``; the
  day's executions survive reconnects and simulated restarts;
* ``reqContractDetails`` → ``contractDetails``… end, or error 200: STK (any symbol, SMART/USD),
  FUT (ES, MES, NQ, MNQ, RTY, YM, CL, GC; quarterly, last trade on the third Friday), CONTFUT,
  CRYPTO (BTC, ETH, LTC, BCH on PAXOS) and CASH (IDEALPRO); conIds are stable across runs;
* ``reqMktData`` snapshot or streaming → ``marketDataType`` + bid/ask/last ``tickPrice`` (and
  ``tickSnapshotEnd``); ``cancelMktData``;
* ``placeOrder`` (MKT, LMT, STP, STP LMT; DAY, GTC, IOC, GTD; brackets through parentId and
  transmit; ocaGroup; what-if) → ``openOrder`` + ``orderStatus`` and on fills ``execDetails``,
  ``orderStatus``, ``openOrder``, ``commissionReport``; a repeated order id modifies a working
  order; ``cancelOrder`` → ``orderStatus Cancelled`` + error 202; ``reqGlobalCancel``.
  Refusals: 201 (with ``advancedOrderRejectJson``), 110 (price off the tick), 200, 436, 103/104.

Matching: market orders and triggered stops fill at the symbol's price; limits fill when the
price reaches them (at the price on arrival, at the limit once resting); IOC that cannot fill is
cancelled; GTD orders are cancelled when their time passes; bracket children wait
(PreSubmitted) until their parent fills and one child's fill cancels its siblings, as does any
fill in an ``ocaGroup``. Orders are identified by ``orderRef`` in the control API; IB's orderId
is only the client's handle.

Control API (HTTP JSON on 127.0.0.1:<control port>)
---------------------------------------------------
* ``GET /`` → ``{"status": "ok", "port": N, "restarting": false, "restored": false}``
  (``restored``: started from the state a previous run kept in ``--data-dir``)
* ``GET /state`` → orders (with status), executions, positions, account values, connected
  clients, prices, settings, next valid id
* ``POST /prices {"ES": 5000.25, "AAPL": 190}`` → streams ticks, re-matches orders
* ``POST /fill-mode {"partial_slices": 3}``: fill in 3 executions;
  ``{"hold_remainder": true}``: fill the first slice (of ``partial_slices``, at least 2) and hold
  the rest; ``{"hold": true}``: accept new orders but fill none until ``/fill``;
  ``{"fill_delay": 0.2}``: wait before matching new orders
* ``POST /fill {"order_ref": "...", "quantity": 5}`` (or ``"perm_id"``): fill held remainders
* ``POST /errors {"code": 1100}`` (1101, 1102, 2110 or any code; optional ``message``,
  ``client_id``): sent as error messages to connected clients, sockets stay up
* ``POST /reject-next {"reason": "..."}``: the next new order gets error 201 with that reason
* ``POST /drop``: close every client connection
* ``POST /restart {"down_seconds": 1.0, "next_valid_id": 1}``: drop everyone, refuse
  connections for that long, then accept again with ``nextValidId`` rolled back; orders that
  were working and the day's executions survive
* ``POST /accounts {"DU1234567": {"NetLiquidation": 1000000, "InitMarginReq": 5000}}``:
  ``TotalCashValue`` sets cash, ``NetLiquidation`` sets cash to reach that value, other tags are
  pinned (``null`` unpins); an unknown account is added
* ``POST /fx {"EUR": 1.08, "GBP": null}``: USD per one unit of each currency (``null`` stops
  sending one; a connected ib_async client keeps the last value it got); every account's
  values, the ``ExchangeRate`` lines included, are pushed at once.
  Kept with the settings (``GET /state`` → ``settings.fx_rates``); ``/reset`` restores the demo
  rates
* ``POST /settings {"commission_per_unit": 0.005, "commission_per_unit_by_sec_type": {"FUT":
  0.85}, "commission_minimum": 0, "initial_margin_rate": 0.25, "maintenance_margin_rate": 0.2,
  "default_price": 100}``
* ``POST /reset``: forget orders, executions, positions, prices and settings changes (client
  connections stay)

Restarts: with ``--data-dir DIR`` accounts (cash, positions, pinned values), the day's
executions, prices and settings (exchange rates included) are kept in ``DIR/gateway.json``
after every change (before a fill is reported) and restored at start; working orders are not
kept.

Simplifications: one currency (USD; the exchange rates are reported, never applied); no trading
sessions (DAY orders never expire); futures cash moves by realised P&L only; ``reqExecutions``
returns every client's executions.
"""
