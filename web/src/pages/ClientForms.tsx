import { useQueryClient } from '@tanstack/react-query'
import { useRef, useState, type FormEvent } from 'react'
import { Link } from 'react-router-dom'
import { ApiError } from '../api/client'
import type { Flow } from '../api/types'
import { useServices } from '../app'
import { TextField } from '../components/TextField'
import { formatMoney, formatQuantity } from '../format'

const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/** Register an investor (`POST /api/clients`); an id taken is the API's 409, beside the id. */
export function AddClient({ onDone }: { onDone: () => void }) {
  const { api } = useServices()
  const queries = useQueryClient()
  const [fields, setFields] = useState({ client_id: '', name: '', email: '' })
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [failure, setFailure] = useState<string | null>(null)
  const [added, setAdded] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: FormEvent) {
    event.preventDefault()
    const found: Record<string, string> = {}
    if (!CLIENT_ID.test(fields.client_id.trim())) found.client_id = "1-64 letters, digits, '_', '.' or '-', starting with a letter or digit."
    if (!fields.name.trim()) found.name = 'Give the investor’s name.'
    setErrors(found)
    setFailure(null)
    if (Object.keys(found).length) return
    setBusy(true)
    const body: Record<string, string> = { client_id: fields.client_id.trim(), name: fields.name.trim() }
    if (fields.email.trim()) body.email = fields.email.trim()
    try {
      await api.send('POST', '/clients', body)
      await queries.invalidateQueries()
      setAdded(body.client_id)
      setFields({ client_id: '', name: '', email: '' })
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) setErrors({ client_id: error.message })
      else if (error instanceof ApiError && error.field && error.field in fields) setErrors({ [error.field]: error.message })
      else setFailure(error instanceof Error ? error.message : 'Not added.')
    } finally {
      setBusy(false)
    }
  }

  return (
    <form onSubmit={submit} noValidate aria-label="Add an investor" className="mt-4 rounded-lg border border-blue-300 bg-blue-50 p-4">
      <h2 className="mb-3 text-lg font-semibold">Add an investor</h2>
      {added && (
        <p role="status" data-testid="outcome" className="mb-3 rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-sm text-emerald-900">
          Added <Link className="underline" to={`/clients/${encodeURIComponent(added)}`}>{added}</Link>: record their first deposit on their page.
        </p>
      )}
      {failure && <p role="alert" className="mb-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">{failure}</p>}
      <div className="grid gap-3 sm:grid-cols-3">
        <TextField id="client-id" label="Client id" value={fields.client_id} error={errors.client_id} placeholder="harbor-family" onChange={(client_id) => setFields({ ...fields, client_id })} />
        <TextField id="client-name" label="Name" value={fields.name} error={errors.name} onChange={(name) => setFields({ ...fields, name })} />
        <TextField id="client-email" label="Email for statements (optional)" value={fields.email} error={errors.email} onChange={(email) => setFields({ ...fields, email })} />
      </div>
      <div className="mt-4 flex gap-2">
        <button type="submit" disabled={busy} className="rounded-md bg-blue-800 px-4 py-2 font-semibold text-white disabled:opacity-70">{busy ? 'Adding…' : 'Add investor'}</button>
        <button type="button" onClick={onDone} className="rounded-md border border-slate-400 bg-white px-4 py-2">Close</button>
      </div>
    </form>
  )
}

type FlowKind = 'deposit' | 'withdrawal'
interface FlowFields {
  kind: FlowKind
  in: 'amount' | 'units'
  value: string
  date: string
}

const MONEY = /^[0-9]{1,15}(\.[0-9]{1,2})?$/
const UNITS = /^[0-9]{1,15}(\.[0-9]{1,6})?$/

/** What the form can tell before asking: a positive amount to the cent (units to 6 decimals),
 * a date as YYYY-MM-DD. A withdrawal beyond the free holding is the API's 422. */
export function validateFlow(fields: FlowFields): Record<string, string> {
  const errors: Record<string, string> = {}
  const value = fields.value.trim()
  const units = fields.kind === 'withdrawal' && fields.in === 'units'
  if (!(units ? UNITS : MONEY).test(value) || /^[0.]+$/.test(value)) {
    errors.value = units ? 'Units above 0, to 6 decimals, e.g. 120.5.' : 'An amount above 0, to the cent, e.g. 25000.50.'
  }
  if (fields.date && !/^\d{4}-\d{2}-\d{2}$/.test(fields.date)) errors.date = 'A date as YYYY-MM-DD, today or earlier.'
  return errors
}

/** The idempotency key of one submission: kept while the same flow is retried (a double click,
 * a retry after a lost answer books it once), a new one for the next flow. */
function newRequestId(): string {
  return crypto.randomUUID()
}

/** Record a deposit or a withdrawal (`POST /api/clients/{id}/deposits|withdrawals`), dealt at
 * the next NAV strike. */
export function RecordFlow({ clientId, currency }: { clientId: string; currency: string }) {
  const { api } = useServices()
  const queries = useQueryClient()
  const [fields, setFields] = useState<FlowFields>({ kind: 'deposit', in: 'amount', value: '', date: '' })
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [failure, setFailure] = useState<string | null>(null)
  const [booked, setBooked] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const requestId = useRef(newRequestId())

  function change(next: Partial<FlowFields>) {
    // Another flow is another request: its id must not book what the last one asked for.
    requestId.current = newRequestId()
    setFields({ ...fields, ...next })
  }

  async function submit(event: FormEvent) {
    event.preventDefault()
    const found = validateFlow(fields)
    setErrors(found)
    setFailure(null)
    setBooked(null)
    if (Object.keys(found).length) return
    setBusy(true)
    const units = fields.kind === 'withdrawal' && fields.in === 'units'
    const body: Record<string, string> = { request_id: requestId.current, [units ? 'units' : 'amount']: fields.value.trim() }
    if (fields.date) body.date = fields.date
    try {
      const flow = await api.send<Flow>('POST', `/clients/${encodeURIComponent(clientId)}/${fields.kind === 'deposit' ? 'deposits' : 'withdrawals'}`, body)
      requestId.current = newRequestId()
      setFields({ ...fields, value: '', date: '' })
      await queries.invalidateQueries()
      const what = flow.units ? `${formatQuantity(flow.units)} units` : `${formatMoney(flow.amount)} ${currency}`
      setBooked(`${flow.kind === 'DEPOSIT' ? 'Deposit' : 'Withdrawal'} of ${what} recorded (${flow.status}): it is dealt at the next NAV strike.`)
    } catch (error) {
      if (error instanceof ApiError && (error.field === 'amount' || error.field === 'units')) setErrors({ value: error.message })
      else if (error instanceof ApiError && error.field === 'date') setErrors({ date: error.message })
      else setFailure(error instanceof Error ? error.message : 'Not recorded.')
    } finally {
      setBusy(false)
    }
  }

  const units = fields.kind === 'withdrawal' && fields.in === 'units'
  return (
    <form onSubmit={submit} noValidate aria-label="Record a deposit or withdrawal" className="mt-8 rounded-lg border border-blue-300 bg-blue-50 p-4">
      <h2 className="mb-3 text-lg font-semibold">Record a deposit or withdrawal</h2>
      {booked && <p role="status" data-testid="outcome" className="mb-3 rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-sm text-emerald-900">{booked}</p>}
      {failure && <p role="alert" className="mb-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">{failure}</p>}
      <div className="grid gap-3 sm:grid-cols-2">
        <fieldset className="text-sm">
          <legend className="font-medium">Kind</legend>
          <span className="mt-2 flex flex-wrap gap-4">
            {(['deposit', 'withdrawal'] as const).map((kind) => (
              <label key={kind} className="flex items-center gap-2">
                <input type="radio" name="flow-kind" checked={fields.kind === kind} onChange={() => change({ kind })} />
                {kind === 'deposit' ? 'Deposit' : 'Withdrawal'}
              </label>
            ))}
          </span>
        </fieldset>
        {fields.kind === 'withdrawal' && (
          <fieldset className="text-sm">
            <legend className="font-medium">Withdraw</legend>
            <span className="mt-2 flex flex-wrap gap-4">
              <label className="flex items-center gap-2">
                <input type="radio" name="flow-in" checked={fields.in === 'amount'} onChange={() => change({ in: 'amount' })} />
                an amount
              </label>
              <label className="flex items-center gap-2">
                <input type="radio" name="flow-in" checked={fields.in === 'units'} onChange={() => change({ in: 'units' })} />
                units
              </label>
            </span>
          </fieldset>
        )}
        <TextField id="flow-value" label={units ? 'Units' : `Amount (${currency})`} value={fields.value} error={errors.value} placeholder={units ? '120.5' : '25000.00'} decimal onChange={(value) => change({ value })} />
        <TextField id="flow-date" type="date" label="Date (empty: now)" value={fields.date} error={errors.date} onChange={(date) => change({ date })} />
      </div>
      <button type="submit" disabled={busy} className="mt-4 rounded-md bg-blue-800 px-4 py-2 font-semibold text-white disabled:opacity-70">
        {busy ? 'Recording…' : fields.kind === 'deposit' ? 'Record deposit' : 'Record withdrawal'}
      </button>
    </form>
  )
}
