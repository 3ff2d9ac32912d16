import { useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { useApiQuery } from '../api/queries'
import { useServices } from '../app'

interface BacktestJob {
  job_id: string
  status: 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED'
  done: number
  total: number
  results: Record<string, string>
  error: string | null
}

/** "Sync backtest": POST .../sync-backtest queues a job; its progress is read every second from
 * /api/jobs/{id} until it finishes, then a success or error message stays beside the button. */
export function SyncBacktest({ strategyId }: { strategyId: string }) {
  const { api } = useServices()
  const queries = useQueryClient()
  const [jobId, setJobId] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const job = useApiQuery<BacktestJob>(jobId ? `/jobs/${encodeURIComponent(jobId)}` : null, {
    refetchInterval: (query) => {
      const status = query.state.data?.status
      return status === 'COMPLETED' || status === 'FAILED' ? false : 1000
    },
  })
  const status = job.data?.status
  const running = jobId !== null && status !== 'COMPLETED' && status !== 'FAILED'

  async function start() {
    setError(null)
    try {
      const queued = await api.send<BacktestJob>('POST', `/strategies/${encodeURIComponent(strategyId)}/sync-backtest`)
      setJobId(queued.job_id)
    } catch (startError) {
      setError(startError instanceof Error ? startError.message : 'The sync did not start.')
    }
  }

  // Once per finished job: the strategy's backtest figures are read again.
  useEffect(() => {
    if (status === 'COMPLETED') {
      void queries.invalidateQueries({ predicate: (query) => String(query.queryKey[1]) === `/strategies/${encodeURIComponent(strategyId)}` })
    }
  }, [status, jobId, queries, strategyId])

  return (
    <div className="flex flex-wrap items-center gap-3" data-testid={`sync-${strategyId}`}>
      <button type="button" disabled={running} onClick={start} className="rounded-md border border-blue-800 bg-white px-3 py-1.5 text-sm font-medium text-blue-900 disabled:opacity-60">
        {running ? 'Syncing…' : 'Sync backtest'}
      </button>
      {running && (
        <span role="status" className="flex items-center gap-2 text-sm text-slate-700">
          <progress max={job.data?.total || 1} value={job.data?.done ?? 0} aria-label={`Backtest sync of ${strategyId}`} />
          {job.data ? `${job.data.done} of ${job.data.total || '?'}` : 'queued'}
        </span>
      )}
      {status === 'COMPLETED' && job.data && (
        <span role="status" className="text-sm text-emerald-800">
          Backtest synced: {Object.entries(job.data.results).map(([id, outcome]) => `${id} ${outcome}`).join(', ') || 'done'}.
        </span>
      )}
      {status === 'FAILED' && job.data && <span role="alert" className="text-sm text-red-800">Sync failed: {job.data.error ?? 'see the job'}.</span>}
      {error && <span role="alert" className="text-sm text-red-800">{error}</span>}
    </div>
  )
}
