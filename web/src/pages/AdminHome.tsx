import { Link } from 'react-router-dom'
import { useApiQuery } from '../api/queries'
import type { Alert, Fund, Health, OrderSummary, Page, SignalSummary } from '../api/types'
import { Alerts } from '../components/Alerts'
import { Section, Stat, TableFrame, td, tdNum, th, thNum } from '../components/figures'
import { Empty, ErrorState, Loading } from '../components/states'
import { NavHistory } from './NavHistory'
import { formatMoney, formatPercent, formatSignedMoney, formatTime } from '../format'
import { OrdersTable, SignalsTable } from './ActivityTables'

const REFRESH_MS = 5_000 // The admin home shows fresh numbers within 5 s without a reload.
const RECENT = 10 // The latest signals and orders it shows; the Activity page has the rest.

export default function AdminHome() {
  const fund = useApiQuery<Fund | null>('/fund', { refetchInterval: REFRESH_MS })
  const alerts = useApiQuery<{ items: Alert[] }>('/alerts?outstanding=true', { refetchInterval: REFRESH_MS })
  const health = useApiQuery<Health | null>('/health', { refetchInterval: REFRESH_MS })
  const signals = useApiQuery<Page<SignalSummary>>(`/signals?limit=${RECENT}`, { refetchInterval: REFRESH_MS })
  const orders = useApiQuery<Page<OrderSummary>>(`/orders?limit=${RECENT}`, { refetchInterval: REFRESH_MS })
  return (
    <>
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-semibold">Fund</h1>
        <p className="text-sm text-slate-600" aria-live="polite">
          {fund.data ? `As of ${formatTime(fund.data.as_of)}; refreshed every 5 s` : ''}
        </p>
      </div>
      <Alerts query={alerts} />
      {fund.isPending ? (
        <Loading />
      ) : fund.isError ? (
        <ErrorState error={fund.error} retry={() => fund.refetch()} />
      ) : fund.data === null ? (
        <Empty>No account has reported yet.</Empty>
      ) : (
        <FundFigures fund={fund.data} />
      )}
      <RecentActivity signals={signals} orders={orders} />
      <NavHistory currency={fund.data?.base_currency ?? ''} />
      <HealthSummary query={health} />
    </>
  )
}

function MarginBar({ fund }: { fund: Fund }) {
  // The bar's length is drawing, not a figure: the figures beside it are the API's.
  const used = Number(fund.margin_used)
  const max = Number(fund.margin_max)
  const share = max > 0 ? Math.min(1, Math.max(0, used / max)) : 0
  const color = share >= 0.9 ? 'bg-red-700' : share >= 0.7 ? 'bg-amber-500' : 'bg-emerald-600'
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:col-span-2">
      <dt className="text-sm text-slate-600">Margin used vs the maximum</dt>
      <dd className="mt-1">
        <span className="text-2xl font-semibold tabular-nums" data-testid="fund-margin-used" data-value={fund.margin_used}>
          {formatMoney(fund.margin_used)}
        </span>
        <span className="text-sm text-slate-600"> of {formatMoney(fund.margin_max)} {fund.base_currency} max ({formatPercent(fund.margin_used_pct)} of equity)</span>
        <div className="mt-2 h-3 w-full overflow-hidden rounded-full bg-slate-200" role="img" aria-label={`Margin used: ${formatMoney(fund.margin_used)} of ${formatMoney(fund.margin_max)} ${fund.base_currency}`}>
          <div className={`h-full ${color}`} style={{ width: `${share * 100}%` }} />
        </div>
      </dd>
    </div>
  )
}

function FundFigures({ fund }: { fund: Fund }) {
  const currency = fund.base_currency
  return (
    <>
      <dl className="mt-4 grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <Stat label="Equity" shown={formatMoney(fund.equity)} value={fund.equity} unit={currency} testId="fund-equity" />
        <Stat label="Today's P&L" shown={formatSignedMoney(fund.day_pnl)} value={fund.day_pnl} unit={currency} tone="signed" testId="fund-day-pnl">
          <span className="text-sm tabular-nums text-slate-600" data-testid="fund-day-pnl-pct" data-value={fund.day_pnl_pct}>
            {formatPercent(fund.day_pnl_pct, 2, true)}
          </span>
        </Stat>
        <Stat label="NAV per unit" shown={formatMoney(fund.nav_per_unit, 6)} value={fund.nav_per_unit} unit={currency} testId="fund-nav-per-unit" />
        <Stat label="Open positions" shown={String(fund.open_positions)} value={fund.open_positions} testId="fund-open-positions" />
        <MarginBar fund={fund} />
      </dl>
      {fund.flags.length > 0 && <p className="mt-2 text-sm text-amber-800">Flags: {fund.flags.join(', ')}</p>}
      <Section title="Accounts">
        <TableFrame label="Accounts">
          <thead>
            <tr>
              <th className={th} scope="col">Account</th>
              <th className={th} scope="col">Broker</th>
              <th className={thNum} scope="col">Equity</th>
              <th className={thNum} scope="col">Equity ({currency})</th>
              <th className={thNum} scope="col">Margin ({currency})</th>
              <th className={th} scope="col">As of</th>
            </tr>
          </thead>
          <tbody>
            {fund.accounts.map((account) => (
              <tr key={account.account}>
                <td className={td}>{account.account}</td>
                <td className={td}>{account.broker}</td>
                <td className={tdNum}>{formatMoney(account.equity)} {account.currency}</td>
                <td className={tdNum}>{formatMoney(account.equity_base)}</td>
                <td className={tdNum}>{formatMoney(account.margin_used_base)}</td>
                <td className={td}>
                  {formatTime(account.as_of)}
                  {account.flags.length > 0 && <span className="ml-2 rounded bg-amber-100 px-1.5 text-xs text-amber-900">{account.flags.join(', ')}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </TableFrame>
      </Section>
    </>
  )
}

function RecentActivity({ signals, orders }: { signals: ReturnType<typeof useApiQuery<Page<SignalSummary>>>; orders: ReturnType<typeof useApiQuery<Page<OrderSummary>>> }) {
  const all = (
    <Link to="/admin/activity" className="text-sm font-medium text-blue-800 underline">
      All activity and Cerebro&apos;s decisions
    </Link>
  )
  return (
    <>
      <Section title={`Last ${RECENT} signals`} actions={all}>
        {signals.isPending ? (
          <Loading label="Loading signals…" />
        ) : signals.isError ? (
          <ErrorState error={signals.error} retry={() => signals.refetch()} />
        ) : signals.data.items.length === 0 ? (
          <Empty>No signal has arrived yet.</Empty>
        ) : (
          <SignalsTable label="Signals, newest first" signals={signals.data.items} />
        )}
      </Section>
      <Section title={`Last ${RECENT} orders`}>
        {orders.isPending ? (
          <Loading label="Loading orders…" />
        ) : orders.isError ? (
          <ErrorState error={orders.error} retry={() => orders.refetch()} />
        ) : orders.data.items.length === 0 ? (
          <Empty>No order has been placed yet.</Empty>
        ) : (
          <OrdersTable label="Orders, newest first" orders={orders.data.items} />
        )}
      </Section>
    </>
  )
}

function HealthSummary({ query }: { query: ReturnType<typeof useApiQuery<Health | null>> }) {
  return (
    <Section title="System health">
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorState error={query.error} retry={() => query.refetch()} />
      ) : !query.data ? (
        <Empty>No health report yet.</Empty>
      ) : (
        <div className="grid gap-3 lg:grid-cols-2">
          <dl className="grid grid-cols-2 gap-x-4 gap-y-2 rounded-lg border border-slate-200 bg-white p-4 text-sm">
            <dt className="text-slate-600">Bridge session</dt>
            <dd data-testid="health-bridge">{describeBridge(query.data.bridge)}</dd>
            <dt className="text-slate-600">Open alerts</dt>
            <dd>{query.data.open_alerts} ({query.data.critical_alerts} critical)</dd>
            <dt className="text-slate-600">Last nightly run</dt>
            <dd>{query.data.last_nightly_run ? `${query.data.last_nightly_status ?? ''} ${formatTime(query.data.last_nightly_at)}` : 'none yet'}</dd>
            <dt className="text-slate-600">Last snapshot</dt>
            <dd>{formatTime(query.data.last_snapshot_at)}</dd>
            <dt className="text-slate-600">Last NAV strike</dt>
            <dd>{formatTime(query.data.last_strike)}</dd>
            <dt className="text-slate-600">Stale accounts</dt>
            <dd className={query.data.stale_accounts.length ? 'font-semibold text-red-800' : ''}>{query.data.stale_accounts.length ? query.data.stale_accounts.join(', ') : 'none'}</dd>
            <dt className="text-slate-600">Dead letters</dt>
            <dd className={query.data.dead_letters.length ? 'font-semibold text-red-800' : ''}>{query.data.dead_letters.length || 'none'}</dd>
          </dl>
          <TableFrame label="Last message per topic">
            <thead>
              <tr>
                <th className={th} scope="col">Topic</th>
                <th className={th} scope="col">Last message</th>
              </tr>
            </thead>
            <tbody>
              {query.data.topics.map((topic) => (
                <tr key={topic.topic}>
                  <td className={td}>{topic.topic}</td>
                  <td className={td}>{formatTime(topic.at)}</td>
                </tr>
              ))}
            </tbody>
          </TableFrame>
          {query.data.platform_error ? (
            <p className="rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 lg:col-span-2">
              Processes and queues unavailable: {query.data.platform_error}
            </p>
          ) : null}
          {query.data.processes ? (
            <TableFrame label="Processes">
              <thead>
                <tr>
                  <th className={th} scope="col">Process</th>
                  <th className={th} scope="col">State</th>
                  <th className={th} scope="col">Restarts</th>
                </tr>
              </thead>
              <tbody>
                {query.data.processes.map((process) => (
                  <tr key={process.name} data-testid={`process-${process.name}`}>
                    <td className={td}>{process.name}</td>
                    <td className={`${td} ${process.ready ? '' : 'font-semibold text-red-800'}`}>
                      {process.state}
                      {process.detail ? ` (${process.detail})` : ''}
                    </td>
                    <td className={td}>{process.restarts ?? '-'}</td>
                  </tr>
                ))}
              </tbody>
            </TableFrame>
          ) : null}
          {query.data.backlog ? (
            <TableFrame label="Subscription backlog (unacknowledged messages)">
              <thead>
                <tr>
                  <th className={th} scope="col">Subscription</th>
                  <th className={th} scope="col">Messages</th>
                  <th className={th} scope="col">Oldest (s)</th>
                </tr>
              </thead>
              <tbody>
                {query.data.backlog.map((item) => (
                  <tr key={item.subscription}>
                    <td className={td}>{item.subscription}</td>
                    <td className={`${td} ${item.undelivered > 0 ? 'font-semibold' : ''}`}>{item.undelivered}</td>
                    <td className={td}>{item.oldest_age_seconds ?? '-'}</td>
                  </tr>
                ))}
              </tbody>
            </TableFrame>
          ) : null}
        </div>
      )}
    </Section>
  )
}

function describeBridge(bridge: Health['bridge']): string {
  if (!bridge) return 'no report yet'
  if (typeof bridge.state === 'string') return bridge.state
  if (typeof bridge.connected === 'boolean') return bridge.connected ? 'connected' : 'disconnected'
  return 'reported'
}

