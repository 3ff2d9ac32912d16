import { useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { ApiError } from '../api/client'
import { useApiQuery } from '../api/queries'
import { useServices } from '../app'
import { ErrorState, Loading } from '../components/states'
import { formatTime } from '../format'

interface NightlySchedule {
  time: string
  time_zone: string
  state: 'ENABLED' | 'PAUSED'
  next_run_at: string | null
  last_run: { at: string; outcome: string; run_id: string | null; error: string | null } | null
  job: string
}

/** /admin/operations/schedule: the nightly optimisation's time, pause and resume, and "run now". */
export default function Schedule() {
  const schedule = useApiQuery<NightlySchedule>('/schedule/nightly', { refetchInterval: 5_000 })
  if (schedule.isPending) return <Loading />
  if (schedule.isError) return <ErrorState error={schedule.error} retry={() => schedule.refetch()} />
  return <ScheduleView schedule={schedule.data} />
}

function ScheduleView({ schedule }: { schedule: NightlySchedule }) {
  const { api } = useServices()
  const queries = useQueryClient()
  const [time, setTime] = useState(schedule.time)
  const [timeZone, setTimeZone] = useState(schedule.time_zone)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [notice, setNotice] = useState<string | null>(null)
  const [failure, setFailure] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function act(method: 'POST' | 'PUT', path: string, body: unknown, done: string) {
    setBusy(true)
    setErrors({})
    setFailure(null)
    setNotice(null)
    try {
      await api.send(method, path, body)
      setNotice(done)
      await queries.invalidateQueries()
    } catch (error) {
      if (error instanceof ApiError && (error.field === 'time' || error.field === 'time_zone')) setErrors({ [error.field]: error.message })
      else setFailure(error instanceof Error ? error.message : 'Not done.')
    } finally {
      setBusy(false)
    }
  }

  function saveTime(event: FormEvent) {
    event.preventDefault()
    void act('PUT', '/schedule/nightly', { time: time.trim(), time_zone: timeZone.trim() }, `The nightly run is now at ${time.trim()} ${timeZone.trim()}.`)
  }

  const paused = schedule.state === 'PAUSED'
  const button = 'rounded-md px-4 py-2 font-semibold disabled:opacity-60'
  return (
    <>
      <h1 className="text-2xl font-semibold">Nightly optimisation</h1>
      {notice && <p role="status" className="mt-3 rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-emerald-900">{notice}</p>}
      {failure && <p role="alert" className="mt-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900">{failure}</p>}
      <dl className="mt-4 grid max-w-xl grid-cols-2 gap-x-4 gap-y-2 rounded-lg border border-slate-200 bg-white p-4 text-sm">
        <dt className="text-slate-600">State</dt>
        <dd data-testid="schedule-state" className={paused ? 'font-semibold text-amber-800' : 'font-semibold text-emerald-800'}>{schedule.state}</dd>
        <dt className="text-slate-600">Time</dt>
        <dd data-testid="schedule-time">{schedule.time} {schedule.time_zone}</dd>
        <dt className="text-slate-600">Next run</dt>
        <dd>{paused ? 'none while paused' : formatTime(schedule.next_run_at)}</dd>
        <dt className="text-slate-600">Last run</dt>
        <dd>{schedule.last_run ? `${schedule.last_run.outcome} ${formatTime(schedule.last_run.at)}${schedule.last_run.error ? `: ${schedule.last_run.error}` : ''}` : 'none yet'}</dd>
        <dt className="text-slate-600">Runs by</dt>
        <dd className="break-words">{schedule.job}</dd>
      </dl>
      <div className="mt-4 flex flex-wrap gap-2">
        {paused ? (
          <button type="button" disabled={busy} className={button + ' bg-emerald-700 text-white'} onClick={() => act('POST', '/schedule/nightly/resume', undefined, 'Resumed.')}>Resume</button>
        ) : (
          <button type="button" disabled={busy} className={button + ' border border-amber-700 bg-white text-amber-900'} onClick={() => act('POST', '/schedule/nightly/pause', undefined, 'Paused: no nightly run until resumed.')}>Pause</button>
        )}
        <button type="button" disabled={busy} className={button + ' bg-blue-800 text-white'} onClick={() => act('POST', '/schedule/nightly/run', { request_id: `web-${Date.now()}` }, 'A run was asked for; its recommendation appears on the allocations page when it finishes.')}>
          Run now
        </button>
      </div>
      <form onSubmit={saveTime} noValidate aria-label="Nightly time" className="mt-6 flex max-w-xl flex-wrap items-start gap-3">
        <div>
          <label className="block text-sm font-medium">
            Time (HH:MM)
            <input className={`mt-1 block w-28 rounded-md border px-3 py-2 ${errors.time ? 'border-red-700' : 'border-slate-400'}`} value={time} aria-invalid={Boolean(errors.time)} aria-describedby={errors.time ? 'schedule-time-error' : undefined} onChange={(e) => setTime(e.target.value)} />
          </label>
          {errors.time && <p id="schedule-time-error" className="mt-1 text-sm text-red-800">{errors.time}</p>}
        </div>
        <div>
          <label className="block text-sm font-medium">
            Time zone
            <input className={`mt-1 block w-52 rounded-md border px-3 py-2 ${errors.time_zone ? 'border-red-700' : 'border-slate-400'}`} value={timeZone} aria-invalid={Boolean(errors.time_zone)} aria-describedby={errors.time_zone ? 'schedule-zone-error' : undefined} onChange={(e) => setTimeZone(e.target.value)} />
          </label>
          {errors.time_zone && <p id="schedule-zone-error" className="mt-1 text-sm text-red-800">{errors.time_zone}</p>}
        </div>
        <button type="submit" disabled={busy} className={button + ' mt-6 bg-blue-800 text-white'}>Save time</button>
      </form>
    </>
  )
}
