import { useApiQuery } from '../api/queries'
import { Section, TableFrame, td, th } from '../components/figures'
import { Empty, ErrorState, Loading } from '../components/states'
import { formatMoney, formatTime } from '../format'

interface OptimizationRun {
  run_id: string
  status: string
  method: string
  created_at: string
  period_start: string | null
  period_end: string | null
  observations: number | null
  excluded: { strategy_id: string; reason: string }[]
  correlation: Record<string, Record<string, number>> | null
  metrics: Record<string, number> | null
  minimum_account: { minimum_capital: string; binding: string | null } | null
  error_code: string | null
  error: string | null
}

// The optimiser's own figures are floats (its numerics); they are statistics, not money, and are
// shown to two or four places.
const fixed = (value: number | undefined, places: number) => (typeof value === 'number' ? value.toFixed(places) : '—')
const percent = (value: number | undefined) => (typeof value === 'number' ? `${(value * 100).toFixed(2)}%` : '—')

export function LatestRun() {
  const run = useApiQuery<OptimizationRun | null>('/portfolio/optimization/latest')
  return (
    <Section title="Latest optimisation run">
      {run.isPending ? (
        <Loading />
      ) : run.isError ? (
        <ErrorState error={run.error} retry={() => run.refetch()} />
      ) : run.data === null ? (
        <Empty>The optimiser has not run yet.</Empty>
      ) : (
        <RunDetails run={run.data} />
      )}
    </Section>
  )
}

function RunDetails({ run }: { run: OptimizationRun }) {
  const metrics = run.metrics ?? {}
  return (
    <div className="grid min-w-0 gap-4 lg:grid-cols-2">
      <div className="min-w-0">
        <dl className="grid grid-cols-2 gap-x-4 gap-y-1 rounded-lg border border-slate-200 bg-white p-4 text-sm">
          <dt className="text-slate-600">Run</dt>
          <dd className="break-all font-mono text-xs">{run.run_id}</dd>
          <dt className="text-slate-600">Status</dt>
          <dd>{run.status}{run.error ? `: ${run.error_code ?? ''} ${run.error}` : ''}</dd>
          <dt className="text-slate-600">Method</dt>
          <dd>{run.method}</dd>
          <dt className="text-slate-600">Finished</dt>
          <dd>{formatTime(run.created_at)}</dd>
          <dt className="text-slate-600">Backtest period</dt>
          <dd>{run.period_start ?? '—'} to {run.period_end ?? '—'} ({run.observations ?? 0} days)</dd>
          <dt className="text-slate-600">Sharpe</dt>
          <dd>{fixed(metrics.sharpe, 2)}</dd>
          <dt className="text-slate-600">Return (a year)</dt>
          <dd>{percent(metrics.expected_return_annual)}</dd>
          <dt className="text-slate-600">Volatility (a year)</dt>
          <dd>{percent(metrics.volatility_annual)}</dd>
          <dt className="text-slate-600">CVaR (daily, {percent(metrics.cvar_confidence)})</dt>
          <dd>{percent(metrics.cvar)}</dd>
          <dt className="text-slate-600">Leverage</dt>
          <dd>{fixed(metrics.leverage, 2)}×</dd>
          <dt className="text-slate-600">Minimum account</dt>
          <dd>{run.minimum_account ? `${formatMoney(run.minimum_account.minimum_capital)} (binding: ${run.minimum_account.binding ?? '—'})` : '—'}</dd>
        </dl>
        {run.excluded.length > 0 && (
          <div className="mt-3 text-sm">
            <p className="font-medium">Left out</p>
            <ul className="list-disc pl-5 text-slate-700">
              {run.excluded.map((item) => (
                <li key={item.strategy_id}>{item.strategy_id}: {item.reason}</li>
              ))}
            </ul>
          </div>
        )}
      </div>
      <div className="min-w-0">{run.correlation && <Heatmap correlation={run.correlation} />}</div>
    </div>
  )
}

function cellColor(value: number): string {
  const strength = Math.min(1, Math.abs(value))
  // Blue for positive, red for negative correlation; light enough for dark text to stay legible.
  const [r, g, b] = value >= 0 ? [30, 64, 175] : [185, 28, 28]
  return `rgba(${r}, ${g}, ${b}, ${(0.05 + 0.4 * strength).toFixed(2)})`
}

function Heatmap({ correlation }: { correlation: Record<string, Record<string, number>> }) {
  const ids = Object.keys(correlation)
  return (
    <figure aria-label="Correlation of the strategies' daily returns">
      <figcaption className="mb-2 text-sm font-medium text-slate-700">
        Correlation of daily backtest returns (−1 to 1; blue positive, red negative)
      </figcaption>
      <TableFrame label="Correlation matrix">
        <thead>
          <tr>
            <th className={th} scope="col"><span className="sr-only">Strategy</span></th>
            {ids.map((id) => (
              <th key={id} className={th} scope="col">{id}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {ids.map((row) => (
            <tr key={row}>
              <th className={td + ' font-medium'} scope="row">{row}</th>
              {ids.map((column) => {
                const value = correlation[row]?.[column] ?? 0
                return (
                  <td key={column} className={td + ' text-center tabular-nums text-slate-900'} style={{ backgroundColor: cellColor(value) }}>
                    {value.toFixed(2)}
                  </td>
                )
              })}
            </tr>
          ))}
        </tbody>
      </TableFrame>
    </figure>
  )
}
