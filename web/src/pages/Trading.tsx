import { useApiQuery } from '../api/queries'
import type { Alert, RiskOverview, RiskState, ScopeRisk } from '../api/types'
import { Acknowledge, Alerts } from '../components/Alerts'
import { Section, TableFrame, td, th } from '../components/figures'
import { OutcomeMessages, useOutcome } from '../components/Outcome'
import { PagerControls, useListPages } from '../components/Pager'
import { Empty, ErrorState, Loading } from '../components/states'
import { formatTime } from '../format'
import { RiskActions } from './RiskActions'

const REFRESH_MS = 5_000
const ALERT_LOG_SIZE = 100 // The API lists the latest alerts (up to 200) without a cursor.

const STATE_TONE: Record<RiskState, string> = {
  ACTIVE: 'bg-emerald-100 text-emerald-900',
  REDUCING: 'bg-amber-100 text-amber-900',
  HALTED: 'bg-red-700 text-white',
}

const MEANING: Record<RiskState, string> = {
  ACTIVE: 'Trading as usual.',
  REDUCING: 'Exits only: new entries are refused; exits still go out.',
  HALTED: 'Nothing is sent: new entries are refused and exits are held (each alerted) until trading is resumed.',
}

function StateBadge({ state, testId }: { state: RiskState; testId?: string }) {
  return <span data-testid={testId} className={`rounded px-2 py-0.5 text-xs font-bold ${STATE_TONE[state]}`}>{state}</span>
}

/** /admin/operations: the kill switch (the fund's and each strategy's trading state, from
 * GET /api/risk) and the alerts, open ones first; refreshed every 5 s. */
export default function Trading() {
  const risk = useApiQuery<RiskOverview>('/risk', { refetchInterval: REFRESH_MS })
  const open = useApiQuery<{ items: Alert[] }>('/alerts?outstanding=true&limit=200', { refetchInterval: REFRESH_MS })
  const outcome = useOutcome()
  return (
    <>
      <h1 className="text-2xl font-semibold">Trading and alerts</h1>
      <Alerts query={open} />
      <OutcomeMessages outcome={outcome} />
      {risk.isPending ? (
        <Loading />
      ) : risk.isError ? (
        <ErrorState error={risk.error} retry={() => risk.refetch()} />
      ) : (
        <>
          <FundRisk fund={risk.data.fund} onChanged={outcome.succeeded} />
          <StrategyRisks strategies={risk.data.strategies} onChanged={outcome.succeeded} />
        </>
      )}
      <AlertLog />
    </>
  )
}

function FundRisk({ fund, onChanged }: { fund: ScopeRisk; onChanged: (message: string) => void }) {
  const frame = {
    ACTIVE: 'border-emerald-300 bg-white',
    REDUCING: 'border-amber-500 bg-amber-50',
    HALTED: 'border-red-700 bg-red-50',
  }[fund.state]
  return (
    <section aria-labelledby="fund-risk" data-testid="fund-risk" data-state={fund.state} className={`mt-6 rounded-lg border-2 p-4 ${frame}`}>
      <div className="flex flex-wrap items-center gap-3">
        <h2 id="fund-risk" className="text-lg font-semibold">The fund</h2>
        <StateBadge state={fund.state} testId="fund-state" />
      </div>
      <p className={`mt-2 ${fund.state === 'HALTED' ? 'font-semibold text-red-900' : ''}`}>{MEANING[fund.state]}</p>
      {fund.updated_at && (
        <p className="mt-1 text-sm text-slate-700">
          Set by {fund.set_by ?? 'unknown'} at {formatTime(fund.updated_at)}{fund.reason ? `: ${fund.reason}` : ''}
        </p>
      )}
      <div className="mt-3">
        <RiskActions risk={fund} onChanged={onChanged} />
      </div>
    </section>
  )
}

function StrategyRisks({ strategies, onChanged }: { strategies: ScopeRisk[]; onChanged: (message: string) => void }) {
  const pages = useListPages(strategies)
  return (
    <Section title="Strategies">
      {strategies.length === 0 ? (
        <Empty>No strategy is registered.</Empty>
      ) : (
        <>
          <TableFrame label="Strategies' trading states">
            <thead>
              <tr>
                <th className={th} scope="col">Strategy</th>
                <th className={th} scope="col">Its state</th>
                <th className={th} scope="col">In force</th>
                <th className={th} scope="col">Set by, when, why</th>
                <th className={th} scope="col"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {pages.items.map((risk) => (
                <tr key={risk.scope} data-strategy={risk.strategy_id ?? ''}>
                  <td className={td + ' font-mono text-xs'}>{risk.strategy_id}</td>
                  <td className={td}><StateBadge state={risk.state} /></td>
                  <td className={td} data-in-force={risk.in_force}><StateBadge state={risk.in_force} /></td>
                  <td className={td + ' whitespace-normal text-slate-700'}>
                    {risk.updated_at ? `${risk.set_by ?? 'unknown'}, ${formatTime(risk.updated_at)}${risk.reason ? `: ${risk.reason}` : ''}` : '—'}
                  </td>
                  <td className={td}><RiskActions risk={risk} onChanged={onChanged} /></td>
                </tr>
              ))}
            </tbody>
          </TableFrame>
          <PagerControls label="Strategy pages" page={pages.page} next={pages.next} previous={pages.previous} />
        </>
      )}
    </Section>
  )
}

const SEVERITY_TONE: Record<string, string> = {
  CRITICAL: 'bg-red-700 text-white',
  WARNING: 'bg-amber-100 text-amber-900',
}

function AlertLog() {
  const alerts = useApiQuery<{ items: Alert[] }>(`/alerts?limit=${ALERT_LOG_SIZE}`, { refetchInterval: REFRESH_MS })
  const pages = useListPages(alerts.data?.items ?? [])
  return (
    <Section title={`The latest ${ALERT_LOG_SIZE} alerts`}>
      {alerts.isPending ? (
        <Loading />
      ) : alerts.isError ? (
        <ErrorState error={alerts.error} retry={() => alerts.refetch()} />
      ) : alerts.data.items.length === 0 ? (
        <Empty>No alert has been raised.</Empty>
      ) : (
        <>
          <TableFrame label="Alerts">
            <thead>
              <tr>
                <th className={th} scope="col">Raised</th>
                <th className={th} scope="col">Severity</th>
                <th className={th} scope="col">Kind</th>
                <th className={th} scope="col">Message</th>
                <th className={th} scope="col">Strategy</th>
                <th className={th} scope="col">Acknowledged</th>
              </tr>
            </thead>
            <tbody>
              {pages.items.map((alert) => (
                <tr key={alert.alert_id} data-alert={alert.alert_id} className={alert.severity === 'CRITICAL' && !alert.acknowledged ? 'bg-red-50' : ''}>
                  <td className={td}>{formatTime(alert.created_at)}</td>
                  <td className={td}><span className={`rounded px-2 py-0.5 text-xs font-bold ${SEVERITY_TONE[alert.severity] ?? 'bg-slate-200 text-slate-800'}`}>{alert.severity}</span></td>
                  <td className={td}>{alert.kind ?? '—'}</td>
                  <td className={td + ' min-w-64 whitespace-normal'}>{alert.message}</td>
                  <td className={td}>{alert.strategy_id ?? '—'}</td>
                  <td className={td}>
                    {alert.acknowledged ? (
                      `${alert.acknowledged_by ?? ''} ${formatTime(alert.acknowledged_at)}`
                    ) : (
                      <Acknowledge alert={alert} tone="border-slate-500 bg-white text-slate-900" />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </TableFrame>
          <PagerControls label="Alert pages" page={pages.page} next={pages.next} previous={pages.previous} />
        </>
      )}
    </Section>
  )
}
