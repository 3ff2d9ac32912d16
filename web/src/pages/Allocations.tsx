import { useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { useApiQuery } from '../api/queries'
import type { Allocation, Approved, CurrentAllocation, Recommendation as Pending } from '../api/types'
import { useServices } from '../app'
import { Section, TableFrame, td, tdNum, th, thNum } from '../components/figures'
import { PagerControls, usePaged } from '../components/Pager'
import { Empty, ErrorState, Loading } from '../components/states'
import { formatFractionAsPercent, formatMoney, formatPercent, formatSignedMoney, formatTime } from '../format'
import { AllocationEditor } from './AllocationEditor'
import { LatestRun } from './LatestRun'

export default function Allocations() {
  const current = useApiQuery<CurrentAllocation | null>('/portfolio/allocations/current')
  const pending = useApiQuery<Pending | null>('/portfolio/allocations/latest-recommendation')
  const [notice, setNotice] = useState<string | null>(null)
  return (
    <>
      <h1 className="text-2xl font-semibold">Allocations</h1>
      {notice && (
        <p role="status" className="mt-3 rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-emerald-900" data-testid="allocation-notice">
          {notice}
        </p>
      )}
      <div className="mt-4 grid gap-6 lg:grid-cols-2">
        <section aria-labelledby="current-allocation" className="min-w-0">
          <h2 id="current-allocation" className="mb-3 text-lg font-semibold">Current allocation</h2>
          {current.isPending ? (
            <Loading />
          ) : current.isError ? (
            <ErrorState error={current.error} retry={() => current.refetch()} />
          ) : current.data === null ? (
            <Empty>No allocation is active: Cerebro rejects every signal (NO_ALLOCATION).</Empty>
          ) : (
            <CurrentAllocation allocation={current.data} />
          )}
        </section>
        <section aria-labelledby="recommendation" className="min-w-0">
          <h2 id="recommendation" className="mb-3 text-lg font-semibold">Pending recommendation</h2>
          {pending.isPending || current.isPending ? (
            <Loading />
          ) : pending.isError ? (
            <ErrorState error={pending.error} retry={() => pending.refetch()} />
          ) : pending.data === null ? (
            <Empty>No recommendation is waiting for approval.</Empty>
          ) : (
            <Recommendation recommendation={pending.data} current={current.data ?? null} onDone={setNotice} />
          )}
        </section>
      </div>
      <LatestRun />
      <History />
    </>
  )
}

function CurrentAllocation({ allocation }: { allocation: CurrentAllocation }) {
  const entries = Object.entries(allocation.allocations).sort(([a], [b]) => a.localeCompare(b))
  const capital = allocation.capital
  return (
    <>
      <TableFrame label="Current allocation">
        <thead>
          <tr>
            <th className={th} scope="col">Strategy</th>
            <th className={thNum} scope="col">Allocation (% of equity)</th>
            <th className={thNum} scope="col">Capital{capital ? ` (${capital.base_currency})` : ''}</th>
            <th className={th} scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([strategy, percent]) => (
            <tr key={strategy} data-strategy={strategy}>
              <td className={td}>{strategy}</td>
              <td className={tdNum} data-value={percent}>{formatPercent(percent)}</td>
              <td className={tdNum} data-testid="allocation-capital" data-value={capital?.by_strategy[strategy] ?? ''}>
                {capital ? formatMoney(capital.by_strategy[strategy]) : '—'}
              </td>
              <td className={td}>{allocation.status}</td>
            </tr>
          ))}
        </tbody>
      </TableFrame>
      <p className="mt-2 text-sm text-slate-600">
        {capital
          ? `Capital: the fund's equity of ${formatMoney(capital.equity)} ${capital.base_currency} times each percent, as Cerebro sizes an entry.`
          : 'Capital is shown once the accounting has valued the fund.'}
      </p>
      <p className="mt-2 break-words text-sm text-slate-600" data-testid="current-allocation-id">
        {allocation.allocation_id}, approved by {allocation.approved_by ?? '—'} at {formatTime(allocation.activated_at)}
      </p>
    </>
  )
}

function Recommendation({ recommendation, current, onDone }: { recommendation: Pending; current: Allocation | null; onDone: (notice: string) => void }) {
  const { api } = useServices()
  const queries = useQueryClient()
  const [mode, setMode] = useState<'view' | 'edit' | 'reject'>('view')
  const [reason, setReason] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function finished(notice: string) {
    await queries.invalidateQueries()
    onDone(notice)
  }

  async function approve() {
    setBusy(true)
    setError(null)
    try {
      const approved = await api.send<Approved>('POST', `/portfolio/allocations/${encodeURIComponent(recommendation.allocation_id)}/approve`, {})
      await finished(`Approved: ${approved.allocation.allocation_id} is now the active allocation.`)
    } catch (approveError) {
      setError(approveError instanceof Error ? approveError.message : 'Not approved.')
    } finally {
      setBusy(false)
    }
  }

  async function reject(event: FormEvent) {
    event.preventDefault()
    if (!reason.trim()) {
      setError('Say why you reject it: the reason is kept with the recommendation.')
      return
    }
    setBusy(true)
    setError(null)
    try {
      await api.send('POST', `/portfolio/allocations/${encodeURIComponent(recommendation.allocation_id)}/reject`, { reason: reason.trim() })
      await finished(`Rejected ${recommendation.allocation_id}.`)
    } catch (rejectError) {
      setError(rejectError instanceof Error ? rejectError.message : 'Not rejected.')
    } finally {
      setBusy(false)
    }
  }

  const metrics = recommendation.metrics
  return (
    <>
      <TableFrame label="Recommended against current">
        <thead>
          <tr>
            <th className={th} scope="col">Strategy</th>
            <th className={thNum} scope="col">Current %</th>
            <th className={thNum} scope="col">Recommended %</th>
            <th className={thNum} scope="col">Change (percentage points)</th>
          </tr>
        </thead>
        <tbody>
          {recommendation.against_current.map((line) => (
            <tr key={line.strategy_id} data-strategy={line.strategy_id}>
              <td className={td}>{line.strategy_id}</td>
              <td className={tdNum}>{formatPercent(line.current)}</td>
              <td className={tdNum + ' font-semibold'} data-value={line.recommended}>
                {formatPercent(line.recommended)}
              </td>
              <td className={`${tdNum} ${changeTone(line.change)}`} data-testid="allocation-change" data-value={line.change}>
                {formatSignedMoney(line.change)} pp
              </td>
            </tr>
          ))}
        </tbody>
      </TableFrame>
      <dl className="mt-3 grid grid-cols-2 gap-x-4 gap-y-1 text-sm sm:grid-cols-3">
        <Metric label="Expected return (a year)" shown={formatFractionAsPercent(metrics.expected_return)} />
        <Metric label="Expected volatility (a year)" shown={formatFractionAsPercent(metrics.expected_volatility)} />
        <Metric label="Expected Sharpe" shown={formatMoney(metrics.expected_sharpe, 2)} />
        <Metric label="CVaR (daily)" shown={formatFractionAsPercent(metrics.expected_cvar)} />
        <Metric label="Max drawdown" shown={formatFractionAsPercent(metrics.max_drawdown)} />
        <Metric label="Total allocation" shown={formatPercent(metrics.total_allocation_pct)} />
      </dl>
      <p className="mt-2 break-words text-sm text-slate-600" data-testid="recommendation-id">
        {recommendation.allocation_id} from run {recommendation.run_id ?? '—'}, {formatTime(recommendation.created_at)}
      </p>
      {error && (
        <p role="alert" className="mt-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">{error}</p>
      )}
      {mode === 'view' && (
        <div className="mt-4 flex flex-wrap gap-2">
          <button type="button" disabled={busy} onClick={approve} className="rounded-md bg-emerald-700 px-4 py-2 font-semibold text-white hover:bg-emerald-800 disabled:opacity-70">
            {busy ? 'Approving…' : 'Approve'}
          </button>
          <button type="button" onClick={() => setMode('edit')} className="rounded-md border border-blue-800 bg-white px-4 py-2 font-semibold text-blue-900">
            Edit &amp; approve
          </button>
          <button type="button" onClick={() => setMode('reject')} className="rounded-md border border-red-800 bg-white px-4 py-2 font-semibold text-red-800">
            Reject
          </button>
        </div>
      )}
      {mode === 'edit' && (
        <div className="mt-4">
          <AllocationEditor
            current={current}
            recommendation={recommendation}
            onCancel={() => setMode('view')}
            onApproved={(approved) => finished(`Approved your edit: ${approved.allocation.allocation_id} is now the active allocation.`)}
          />
        </div>
      )}
      {mode === 'reject' && (
        <form onSubmit={reject} noValidate className="mt-4 rounded-lg border border-red-300 bg-red-50 p-4">
          <label className="block text-sm font-medium">
            Reason for rejecting
            <textarea className="mt-1 block w-full rounded-md border border-slate-400 bg-white px-3 py-2" rows={2} maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
          <div className="mt-3 flex gap-2">
            <button type="submit" disabled={busy} className="rounded-md bg-red-800 px-4 py-2 font-semibold text-white">Reject recommendation</button>
            <button type="button" onClick={() => setMode('view')} className="rounded-md border border-slate-400 bg-white px-4 py-2">Cancel</button>
          </div>
        </form>
      )}
    </>
  )
}

function changeTone(change: string): string {
  if (Number(change) > 0) return 'text-emerald-800'
  if (Number(change) < 0) return 'text-red-800'
  return ''
}

function Metric({ label, shown }: { label: string; shown: string }) {
  return (
    <div>
      <dt className="text-slate-600">{label}</dt>
      <dd className="font-semibold tabular-nums">{shown}</dd>
    </div>
  )
}

function History() {
  const paged = usePaged<Allocation>('/portfolio/allocations/history', 10)
  const { query } = paged
  return (
    <Section title="Allocation history">
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorState error={query.error} retry={() => query.refetch()} />
      ) : query.data.items.length === 0 ? (
        <Empty>No allocation yet.</Empty>
      ) : (
        <>
          <TableFrame label="Allocation history">
            <thead>
              <tr>
                <th className={th} scope="col">Allocation</th>
                <th className={th} scope="col">Status</th>
                <th className={th} scope="col">Source</th>
                <th className={th} scope="col">Created</th>
                <th className={th} scope="col">Approved by / when</th>
                <th className={th} scope="col">Percents</th>
              </tr>
            </thead>
            <tbody>
              {query.data.items.map((allocation) => (
                <tr key={allocation.allocation_id}>
                  <td className={td + ' font-mono text-xs'}>{allocation.allocation_id}</td>
                  <td className={td}>{allocation.status}</td>
                  <td className={td}>{allocation.source}</td>
                  <td className={td}>{formatTime(allocation.created_at)}</td>
                  <td className={td}>
                    {allocation.rejected_by
                      ? `rejected by ${allocation.rejected_by}: ${allocation.rejection_reason ?? ''}`
                      : allocation.approved_by
                        ? `${allocation.approved_by}, ${formatTime(allocation.activated_at)}`
                        : '—'}
                  </td>
                  <td className={td + ' text-xs'}>
                    {Object.entries(allocation.allocations).map(([id, percent]) => `${id} ${formatPercent(percent)}`).join(', ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </TableFrame>
          <PagerControls label="History pages" page={paged.page} next={paged.next} previous={paged.previous} />
        </>
      )}
    </Section>
  )
}
