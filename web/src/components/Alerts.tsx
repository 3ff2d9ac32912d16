import { useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { useApiQuery } from '../api/queries'
import type { Alert } from '../api/types'
import { useServices } from '../app'
import { formatTime } from '../format'
import { ErrorState, Loading } from './states'

/** Acknowledge one alert (a CRITICAL one stops repeating); a refusal is said beside it. */
export function Acknowledge({ alert, tone }: { alert: Alert; tone: string }) {
  const { api } = useServices()
  const queries = useQueryClient()
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  async function acknowledge() {
    setBusy(true)
    setError(null)
    try {
      await api.send('POST', `/alerts/${encodeURIComponent(alert.alert_id)}/acknowledge`)
      await queries.invalidateQueries()
    } catch (ackError) {
      setError(ackError instanceof Error ? ackError.message : 'Not acknowledged.')
    } finally {
      setBusy(false)
    }
  }
  return (
    <>
      <button type="button" disabled={busy} onClick={acknowledge} className={`ml-2 rounded-md border px-2 py-0.5 text-sm font-semibold ${tone}`}>
        {busy ? 'Acknowledging…' : 'Acknowledge'}
      </button>
      {error && <span className="ml-2 text-sm underline">{error}</span>}
    </>
  )
}

/** The open alerts: CRITICAL ones in a red banner announced at once, the others below. */
export function Alerts({ query }: { query: ReturnType<typeof useApiQuery<{ items: Alert[] }>> }) {
  if (query.isPending) return <Loading label="Loading alerts…" />
  if (query.isError) return <ErrorState error={query.error} retry={() => query.refetch()} />
  const items = query.data.items
  const critical = items.filter((alert) => alert.severity === 'CRITICAL')
  const others = items.filter((alert) => alert.severity !== 'CRITICAL')
  return (
    <div className="mt-4 space-y-3" data-testid="alerts">
      {critical.length > 0 && (
        <div role="alert" className="rounded-lg border-4 border-red-700 bg-red-700 p-4 text-white shadow-lg" data-testid="critical-alerts">
          <p className="text-lg font-bold">
            {critical.length} CRITICAL alert{critical.length > 1 ? 's' : ''}: act now
          </p>
          <ul className="mt-2 list-disc space-y-1 pl-5">
            {critical.map((alert) => (
              <li key={alert.alert_id}>
                <span className="font-semibold">{alert.kind ?? 'alert'}</span>: {alert.message} <span className="text-red-100">({formatTime(alert.created_at)})</span>
                <Acknowledge alert={alert} tone="border-white bg-white text-red-800" />
              </li>
            ))}
          </ul>
        </div>
      )}
      {others.length > 0 && (
        <div className="rounded-lg border border-amber-400 bg-amber-50 p-3 text-amber-950">
          <p className="font-semibold">{others.length} open alert{others.length > 1 ? 's' : ''}</p>
          <ul className="mt-1 list-disc pl-5 text-sm">
            {others.map((alert) => (
              <li key={alert.alert_id}>
                {alert.severity}: {alert.message} ({formatTime(alert.created_at)})
                <Acknowledge alert={alert} tone="border-amber-700 bg-white text-amber-900" />
              </li>
            ))}
          </ul>
        </div>
      )}
      {items.length === 0 && <p className="text-sm text-emerald-800">No open alerts.</p>}
    </div>
  )
}
