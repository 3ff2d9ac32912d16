import { useState, type FormEvent } from 'react'
import { ApiError } from '../api/client'
import { TextField } from '../components/TextField'
import { useServices } from '../app'
import { isDecimal, signOf } from '../format'

export interface StrategyFields {
  strategy_id: string
  name: string
  status: 'ACTIVE' | 'INACTIVE' | 'TESTING'
  trading_mode: 'LIVE' | 'PAPER'
  account: string
  include_in_optimization: boolean
  max_position_size: string
  max_daily_loss: string
  developer_contact: string
  notes: string
}

export const EMPTY_STRATEGY: StrategyFields = {
  strategy_id: '',
  name: '',
  status: 'TESTING',
  trading_mode: 'PAPER',
  account: '',
  include_in_optimization: false,
  max_position_size: '',
  max_daily_loss: '',
  developer_contact: '',
  notes: '',
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

/** What the form can tell before asking the API: required fields, the id's shape, money limits
 * as positive decimals. Uniqueness and known accounts are the API's (409 and 422). */
export function validateStrategy(fields: StrategyFields, creating: boolean): Record<string, string> {
  const errors: Record<string, string> = {}
  if (creating && !ID.test(fields.strategy_id.trim())) {
    errors.strategy_id = fields.strategy_id.trim()
      ? "Use 1-64 letters, digits, '-' or '_', starting with a letter or digit."
      : 'Give the strategy an id.'
  }
  if (!fields.name.trim()) errors.name = 'Give the strategy a name.'
  if (!fields.account.trim()) errors.account = 'Name the account it trades on, e.g. IBKR_Main.'
  for (const limit of ['max_position_size', 'max_daily_loss'] as const) {
    const value = fields[limit].trim()
    if (value && (!isDecimal(value) || signOf(value) <= 0)) errors[limit] = 'An amount above 0 in the base currency, e.g. 25000.'
  }
  return errors
}

function body(fields: StrategyFields, creating: boolean): Record<string, unknown> {
  const optional = (value: string) => (value.trim() ? value.trim() : null)
  const sent: Record<string, unknown> = {
    name: fields.name.trim(),
    status: fields.status,
    trading_mode: fields.trading_mode,
    account: fields.account.trim(),
    include_in_optimization: fields.include_in_optimization,
    max_position_size: optional(fields.max_position_size),
    max_daily_loss: optional(fields.max_daily_loss),
    developer_contact: optional(fields.developer_contact),
    notes: optional(fields.notes),
  }
  if (creating) {
    sent.strategy_id = fields.strategy_id.trim()
    for (const key of Object.keys(sent)) if (sent[key] === null) delete sent[key]
  }
  return sent
}

const input = 'mt-1 block w-full rounded-md border px-3 py-2 text-sm'

/** Add (POST /api/strategies) or edit (PUT /api/strategies/{id}) a strategy. */
export function StrategyForm({
  initial,
  updatedAt,
  onSaved,
  onCancel,
}: {
  initial?: StrategyFields
  updatedAt?: string
  onSaved: (strategyId: string) => void
  onCancel: () => void
}) {
  const { api } = useServices()
  const creating = !initial
  const [fields, setFields] = useState<StrategyFields>(initial ?? EMPTY_STRATEGY)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [formError, setFormError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: FormEvent) {
    event.preventDefault()
    const found = validateStrategy(fields, creating)
    setErrors(found)
    setFormError(null)
    if (Object.keys(found).length) return
    setBusy(true)
    try {
      if (creating) {
        await api.send('POST', '/strategies', body(fields, true))
      } else {
        await api.send('PUT', `/strategies/${encodeURIComponent(fields.strategy_id)}`, { ...body(fields, false), expected_updated_at: updatedAt })
      }
      onSaved(fields.strategy_id.trim())
    } catch (error) {
      if (error instanceof ApiError && creating && error.status === 409) {
        setErrors({ strategy_id: `A strategy ${fields.strategy_id.trim()} exists already: pick another id.` })
      } else if (error instanceof ApiError && error.field && error.field in fields) {
        setErrors({ [error.field]: error.message })
      } else if (error instanceof ApiError && error.status === 409) {
        setFormError('Someone changed this strategy since you opened it. Close and edit again.')
      } else {
        setFormError(error instanceof Error ? error.message : 'Not saved.')
      }
    } finally {
      setBusy(false)
    }
  }

  function field(key: keyof StrategyFields, label: string, props: { readOnly?: boolean; placeholder?: string } = {}) {
    return <TextField id={`strategy-${key}`} label={label} value={fields[key] as string} error={errors[key]} readOnly={props.readOnly} placeholder={props.placeholder} onChange={(value) => setFields({ ...fields, [key]: value })} />
  }

  return (
    <form onSubmit={submit} noValidate aria-label={creating ? 'Add a strategy' : `Edit ${fields.strategy_id}`} className="rounded-lg border border-blue-300 bg-blue-50 p-4">
      <h2 className="mb-3 text-lg font-semibold">{creating ? 'Add a strategy' : `Edit ${fields.strategy_id}`}</h2>
      {formError && <p role="alert" className="mb-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">{formError}</p>}
      <div className="grid gap-3 sm:grid-cols-2">
        {field('strategy_id', 'Strategy id', { readOnly: !creating, placeholder: 'trend-nq' })}
        {field('name', 'Name')}
        <label className="block text-sm font-medium">
          Status
          <select className={input + ' border-slate-400 bg-white'} value={fields.status} onChange={(e) => setFields({ ...fields, status: e.target.value as StrategyFields['status'] })}>
            <option>ACTIVE</option>
            <option>TESTING</option>
            <option>INACTIVE</option>
          </select>
        </label>
        <label className="block text-sm font-medium">
          Mode
          <select className={input + ' border-slate-400 bg-white'} value={fields.trading_mode} onChange={(e) => setFields({ ...fields, trading_mode: e.target.value as StrategyFields['trading_mode'] })}>
            <option>PAPER</option>
            <option>LIVE</option>
          </select>
        </label>
        {field('account', 'Account', { placeholder: 'IBKR_Main' })}
        <label className="flex items-center gap-2 self-end text-sm font-medium">
          <input type="checkbox" className="size-5" checked={fields.include_in_optimization} onChange={(e) => setFields({ ...fields, include_in_optimization: e.target.checked })} />
          Include in the nightly optimisation
        </label>
        {field('max_position_size', 'Max position size (base currency)', { placeholder: '25000' })}
        {field('max_daily_loss', 'Max daily loss (base currency)', { placeholder: '5000' })}
        {field('developer_contact', 'Developer contact')}
        {field('notes', 'Notes')}
      </div>
      <div className="mt-4 flex gap-2">
        <button type="submit" disabled={busy} className="rounded-md bg-blue-800 px-4 py-2 font-semibold text-white disabled:opacity-70">
          {busy ? 'Saving…' : creating ? 'Add strategy' : 'Save changes'}
        </button>
        <button type="button" onClick={onCancel} className="rounded-md border border-slate-400 bg-white px-4 py-2">Cancel</button>
      </div>
    </form>
  )
}
