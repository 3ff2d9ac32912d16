import { useState, type FormEvent } from 'react'
import { ApiError } from '../api/client'
import type { Allocation, Approved } from '../api/types'
import { useServices } from '../app'
import { isDecimal } from '../format'

/** Edit & approve: the recommendation's percents, edited inline, become the ACTIVE allocation
 * through PUT /api/portfolio/allocations/custom. The caps (50% each, 200% in all) are the API's:
 * its 422 is shown beside the field it names. */
export function AllocationEditor({
  current,
  recommendation,
  onApproved,
  onCancel,
}: {
  current: Allocation | null
  recommendation: Allocation
  onApproved: (approved: Approved) => void
  onCancel: () => void
}) {
  const { api } = useServices()
  const strategies = [...new Set([...Object.keys(recommendation.allocations), ...Object.keys(current?.allocations ?? {})])].sort()
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(strategies.map((id) => [id, recommendation.allocations[id] ?? '0'])),
  )
  const [notes, setNotes] = useState('')
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({})
  const [formError, setFormError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: FormEvent) {
    event.preventDefault()
    const malformed = Object.fromEntries(
      strategies.filter((id) => !isDecimal(values[id] ?? '')).map((id) => [id, 'Enter a percent such as 25 or 12.5.']),
    )
    setFieldErrors(malformed)
    setFormError(null)
    if (Object.keys(malformed).length) return
    setBusy(true)
    try {
      const body: Record<string, unknown> = {
        allocations: Object.fromEntries(strategies.map((id) => [id, values[id].trim()])),
        based_on: recommendation.allocation_id,
      }
      if (current) body.expected_current = current.allocation_id
      if (notes.trim()) body.notes = notes.trim()
      const approved = await api.send<Approved>('PUT', '/portfolio/allocations/custom', body)
      onApproved(approved)
    } catch (error) {
      if (error instanceof ApiError && error.field?.startsWith('allocations.')) {
        setFieldErrors({ [error.field.slice('allocations.'.length)]: error.message })
      } else if (error instanceof ApiError && error.status === 409) {
        setFormError('The active allocation changed since you started editing. Reload the page and edit again.')
      } else {
        setFormError(error instanceof Error ? error.message : 'The allocation was not saved.')
      }
    } finally {
      setBusy(false)
    }
  }

  return (
    <form onSubmit={submit} noValidate aria-label="Edit and approve" className="rounded-lg border border-blue-300 bg-blue-50 p-4">
      <p className="mb-3 text-sm text-slate-700">Percent of equity per strategy: each at most 50%, 200% in all (checked when you approve).</p>
      {formError && (
        <p role="alert" className="mb-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">{formError}</p>
      )}
      <div className="grid gap-3 sm:grid-cols-2">
        {strategies.map((id) => {
          const error = fieldErrors[id]
          const errorId = `allocation-error-${id}`
          return (
            <div key={id}>
            <label className="block text-sm font-medium">
              {id} (%)
              <input
                className={`mt-1 block w-full rounded-md border px-3 py-2 text-right tabular-nums ${error ? 'border-red-700' : 'border-slate-400'}`}
                inputMode="decimal"
                value={values[id]}
                aria-invalid={Boolean(error)}
                aria-describedby={error ? errorId : undefined}
                onChange={(e) => setValues({ ...values, [id]: e.target.value })}
              />
            </label>
              {error && (
                <p id={errorId} className="mt-1 text-sm text-red-800">{error}</p>
              )}
            </div>
          )
        })}
      </div>
      <label className="mt-3 block text-sm font-medium">
        Notes (why this allocation)
        <textarea className="mt-1 block w-full rounded-md border border-slate-400 px-3 py-2" maxLength={500} rows={2} value={notes} onChange={(e) => setNotes(e.target.value)} />
      </label>
      <div className="mt-4 flex flex-wrap gap-2">
        <button type="submit" disabled={busy} className="rounded-md bg-blue-800 px-4 py-2 font-semibold text-white hover:bg-blue-900 disabled:opacity-70">
          {busy ? 'Approving…' : 'Approve edited allocation'}
        </button>
        <button type="button" onClick={onCancel} className="rounded-md border border-slate-400 bg-white px-4 py-2">Cancel</button>
      </div>
    </form>
  )
}
