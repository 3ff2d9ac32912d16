import { useQueryClient } from '@tanstack/react-query'
import { lazy, Suspense, useState, type FormEvent } from 'react'
import { ApiError } from '../api/client'
import { useApiQuery } from '../api/queries'
import type { Allocation } from '../api/types'
import { useServices } from '../app'
import { Section, TableFrame, td, tdNum, th, thNum } from '../components/figures'
import { PagerControls, usePaged } from '../components/Pager'
import { Empty, ErrorState, Loading } from '../components/states'
import { formatPercent, formatTime } from '../format'

const FrontierChart = lazy(() => import('./SandboxCharts').then((module) => ({ default: module.FrontierChart })))
const CurvesChart = lazy(() => import('./SandboxCharts').then((module) => ({ default: module.CurvesChart })))

interface SandboxRun {
  sandbox_id: string
  created_at: string
  status: 'RUNNING' | 'COMPLETED' | 'FAILED'
  strategies?: string[]
  hypothetical?: string[]
  excluded?: { strategy_id: string; reason: string }[]
  weights: Record<string, number>
  metrics: Record<string, number>
  frontier?: { cvar: number; expected_return_annual: number }[]
  dates?: string[]
  proposed_equity?: number[]
  proposed_drawdown?: number[]
  current_allocation_id: string | null
  current_metrics?: Record<string, number>
  current_equity?: number[]
  current_drawdown?: number[]
  error_code: string | null
  error: string | null
}

// The sandbox's settings and answers are the optimiser's floats (fractions: 0.02 = 2%).
const pct = (value: number | undefined) => (typeof value === 'number' ? `${(value * 100).toFixed(2)}%` : '—')
const METRICS: [string, string, (value: number | undefined) => string][] = [
  ['expected_return_annual', 'Expected return (a year)', pct],
  ['volatility_annual', 'Volatility (a year)', pct],
  ['sharpe', 'Sharpe', (value) => (typeof value === 'number' ? value.toFixed(2) : '—')],
  ['cvar', 'CVaR (daily)', pct],
  ['max_drawdown', 'Max drawdown', pct],
  ['leverage', 'Leverage', (value) => (typeof value === 'number' ? `${value.toFixed(2)}×` : '—')],
]

export default function Sandbox() {
  const queries = useQueryClient()
  const [run, setRun] = useState<SandboxRun | null>(null)
  const [opened, setOpened] = useState<string | null>(null)
  const past = useApiQuery<SandboxRun>(opened ? `/sandbox/runs/${encodeURIComponent(opened)}` : null)
  const shown = opened ? past.data ?? null : run
  return (
    <>
      <h1 className="text-2xl font-semibold">Sandbox</h1>
      <p className="mt-1 text-sm text-slate-600">What-if optimisation runs: nothing here changes live trading or the allocation.</p>
      <SandboxForm
        onRun={(answer) => {
          setOpened(null)
          setRun(answer)
          void queries.invalidateQueries({ predicate: (query) => String(query.queryKey[1]).startsWith('/sandbox/runs?') })
        }}
      />
      {opened && past.isPending && <Loading />}
      {opened && past.isError && <ErrorState error={past.error} retry={() => past.refetch()} />}
      {shown && <RunResult run={shown} />}
      <PastRuns onOpen={setOpened} />
    </>
  )
}

function SandboxForm({ onRun }: { onRun: (run: SandboxRun) => void }) {
  const { api } = useServices()
  const [settings, setSettings] = useState({ method: 'max_return', cvar_limit: '0.02', max_weight: '0.5', max_total_allocation: '2', min_total_allocation: '', covariance: 'ledoit_wolf', turnover_limit: '' })
  const [includeLive, setIncludeLive] = useState(true)
  const [hypotheticalId, setHypotheticalId] = useState('')
  const [csv, setCsv] = useState('')
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [failure, setFailure] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: FormEvent) {
    event.preventDefault()
    const found: Record<string, string> = {}
    const sent: Record<string, unknown> = { method: settings.method, covariance: settings.covariance }
    for (const key of ['cvar_limit', 'max_weight', 'max_total_allocation', 'min_total_allocation', 'turnover_limit'] as const) {
      const text = settings[key].trim()
      if (!text) continue
      if (!/^\d+(\.\d+)?$/.test(text)) found[`settings.${key}`] = 'A number such as 0.02.'
      else sent[key] = Number(text)
    }
    if (csv.trim() && !hypotheticalId.trim()) found.hypothetical = 'Name the hypothetical strategy.'
    setErrors(found)
    setFailure(null)
    if (Object.keys(found).length) return
    setBusy(true)
    try {
      const body: Record<string, unknown> = { settings: sent, include_live: includeLive }
      if (csv.trim()) body.hypothetical = { [hypotheticalId.trim()]: csv }
      onRun(await api.send<SandboxRun>('POST', '/sandbox/runs', body))
    } catch (error) {
      const shown = error instanceof ApiError && error.field ? (error.field.startsWith('hypothetical') ? 'hypothetical' : error.field) : null
      if (shown && (shown === 'hypothetical' || shown.slice('settings.'.length) in settings)) setErrors({ [shown]: error instanceof Error ? error.message : '' })
      else if (error instanceof ApiError && error.field) setFailure(`${error.field}: ${error.message}`)
      else setFailure(error instanceof Error ? error.message : 'The run failed.')
    } finally {
      setBusy(false)
    }
  }

  const box = (key: string) => `mt-1 block w-full rounded-md border px-3 py-2 text-sm ${errors[key] ? 'border-red-700' : 'border-slate-400'}`
  function number(key: 'cvar_limit' | 'max_weight' | 'max_total_allocation' | 'min_total_allocation' | 'turnover_limit', label: string) {
    const error = errors[`settings.${key}`]
    return (
      <div>
        <label className="block text-sm font-medium">
          {label}
          <input className={box(`settings.${key}`)} inputMode="decimal" value={settings[key]} aria-invalid={Boolean(error)} aria-describedby={error ? `sandbox-${key}-error` : undefined} onChange={(e) => setSettings({ ...settings, [key]: e.target.value })} />
        </label>
        {error && <p id={`sandbox-${key}-error`} className="mt-1 text-sm text-red-800">{error}</p>}
      </div>
    )
  }

  return (
    <form onSubmit={submit} noValidate aria-label="Sandbox settings" className="mt-4 rounded-lg border border-slate-200 bg-white p-4">
      {failure && <p role="alert" className="mb-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">{failure}</p>}
      <div className="grid gap-3 sm:grid-cols-3">
        <label className="block text-sm font-medium">
          Method
          <select className={box('method') + ' bg-white'} value={settings.method} onChange={(e) => setSettings({ ...settings, method: e.target.value })}>
            <option value="min_cvar">Minimum CVaR</option>
            <option value="max_return">Maximum return within the CVaR limit</option>
            <option value="max_sharpe">Maximum Sharpe (MPT)</option>
          </select>
        </label>
        {number('cvar_limit', 'CVaR limit (daily; 0.02 = 2%)')}
        {number('max_weight', 'Cap per strategy (0.5 = 50%)')}
        {number('max_total_allocation', 'Total cap (2 = 200%)')}
        {number('min_total_allocation', 'Total floor (1 = fully invested; min CVaR needs one)')}
        {number('turnover_limit', 'Turnover limit (optional)')}
        <label className="block text-sm font-medium">
          Covariance
          <select className={box('covariance') + ' bg-white'} value={settings.covariance} onChange={(e) => setSettings({ ...settings, covariance: e.target.value })}>
            <option value="ledoit_wolf">Ledoit-Wolf shrinkage</option>
            <option value="sample">Sample</option>
          </select>
        </label>
      </div>
      <fieldset className="mt-4">
        <legend className="text-sm font-medium">A hypothetical strategy (optional)</legend>
        <div className="mt-1 grid gap-3 sm:grid-cols-3">
          <label className="block text-sm">
            Its id
            <input className={box('hypothetical')} value={hypotheticalId} onChange={(e) => setHypotheticalId(e.target.value)} placeholder="idea" />
          </label>
          <label className="block text-sm sm:col-span-2">
            Its backtest CSV (the ingest format)
            <input type="file" accept=".csv,text/csv" className="mt-1 block w-full text-sm" onChange={async (e) => setCsv((await e.target.files?.[0]?.text()) ?? '')} />
          </label>
        </div>
        {errors.hypothetical && <p className="mt-1 text-sm text-red-800" role="alert">{errors.hypothetical}</p>}
        {csv && <p className="mt-1 text-sm text-slate-600">{csv.split('\n').filter(Boolean).length} lines read.</p>}
      </fieldset>
      <label className="mt-3 flex items-center gap-2 text-sm font-medium">
        <input type="checkbox" className="size-5" checked={includeLive} onChange={(e) => setIncludeLive(e.target.checked)} />
        Include the live strategies
      </label>
      <button type="submit" disabled={busy} className="mt-4 rounded-md bg-blue-800 px-4 py-2 font-semibold text-white disabled:opacity-70">
        {busy ? 'Running…' : 'Run'}
      </button>
    </form>
  )
}

function RunResult({ run }: { run: SandboxRun }) {
  const live = useApiQuery<Allocation | null>('/portfolio/allocations/current')
  const ids = [...new Set([...Object.keys(run.weights ?? {}), ...Object.keys(live.data?.allocations ?? {})])].sort()
  const dates = run.dates ?? []
  return (
    <Section title={`Run ${run.sandbox_id}`}>
      <p className="text-sm text-slate-600" data-testid="sandbox-status">
        {run.status} {formatTime(run.created_at)}
        {run.error ? ` — ${run.error_code ?? ''}: ${run.error}` : ''}
      </p>
      {run.status === 'COMPLETED' && (
        <div className="mt-3 grid min-w-0 gap-4 lg:grid-cols-2">
          <div className="min-w-0">
            <TableFrame label="Proposed weights against the live allocation">
              <thead>
                <tr>
                  <th className={th} scope="col">Strategy</th>
                  <th className={thNum} scope="col">Proposed</th>
                  <th className={thNum} scope="col">Live</th>
                </tr>
              </thead>
              <tbody>
                {ids.map((id) => (
                  <tr key={id}>
                    <td className={td}>{id}{run.hypothetical?.includes(id) ? ' (hypothetical)' : ''}</td>
                    <td className={tdNum}>{pct(run.weights[id] ?? 0)}</td>
                    <td className={tdNum}>{formatPercent(live.data?.allocations[id] ?? '0')}</td>
                  </tr>
                ))}
              </tbody>
            </TableFrame>
            <div className="mt-3">
              <TableFrame label="Metrics side by side">
                <thead>
                  <tr>
                    <th className={th} scope="col">Metric</th>
                    <th className={thNum} scope="col">Proposal</th>
                    <th className={thNum} scope="col">Live</th>
                  </tr>
                </thead>
                <tbody>
                  {METRICS.map(([key, label, format]) => (
                    <tr key={key}>
                      <td className={td}>{label}</td>
                      <td className={tdNum}>{format(run.metrics?.[key])}</td>
                      <td className={tdNum}>{format(run.current_metrics?.[key])}</td>
                    </tr>
                  ))}
                </tbody>
              </TableFrame>
            </div>
          </div>
          <div className="min-w-0 space-y-4">
            <Suspense fallback={<Loading label="Drawing the charts…" />}>
              {run.frontier && run.frontier.length > 0 && (
                <FrontierChart
                  frontier={run.frontier}
                  proposal={run.metrics ? { cvar: run.metrics.cvar, expected_return_annual: run.metrics.expected_return_annual } : undefined}
                  live={run.current_metrics && typeof run.current_metrics.cvar === 'number' ? { cvar: run.current_metrics.cvar, expected_return_annual: run.current_metrics.expected_return_annual } : undefined}
                />
              )}
              {dates.length > 0 && (
                <>
                  <CurvesChart title="Simulated equity (growth of 1)" unit="Equity (×)" dates={dates} proposed={run.proposed_equity ?? []} current={run.current_equity ?? []} format={(value) => value.toFixed(2)} />
                  <CurvesChart title="Simulated drawdown" unit="Drawdown (%)" dates={dates} proposed={run.proposed_drawdown ?? []} current={run.current_drawdown ?? []} format={(value) => `${(value * 100).toFixed(1)}%`} />
                </>
              )}
            </Suspense>
          </div>
        </div>
      )}
    </Section>
  )
}

function PastRuns({ onOpen }: { onOpen: (id: string) => void }) {
  const paged = usePaged<SandboxRun>('/sandbox/runs', 10)
  const { query } = paged
  return (
    <Section title="Past runs">
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorState error={query.error} retry={() => query.refetch()} />
      ) : query.data.items.length === 0 ? (
        <Empty>No sandbox run yet.</Empty>
      ) : (
        <>
          <TableFrame label="Past sandbox runs">
            <thead>
              <tr>
                <th className={th} scope="col">Run</th>
                <th className={th} scope="col">Status</th>
                <th className={th} scope="col">When</th>
                <th className={thNum} scope="col">Sharpe</th>
              </tr>
            </thead>
            <tbody>
              {query.data.items.map((item) => (
                <tr key={item.sandbox_id}>
                  <td className={td}>
                    <button type="button" className="font-mono text-xs text-blue-800 underline" onClick={() => onOpen(item.sandbox_id)}>{item.sandbox_id}</button>
                  </td>
                  <td className={td}>{item.status}</td>
                  <td className={td}>{formatTime(item.created_at)}</td>
                  <td className={tdNum}>{typeof item.metrics?.sharpe === 'number' ? item.metrics.sharpe.toFixed(2) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </TableFrame>
          <PagerControls label="Sandbox run pages" page={paged.page} next={paged.next} previous={paged.previous} />
        </>
      )}
    </Section>
  )
}
