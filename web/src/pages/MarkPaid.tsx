import { useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { ApiError } from '../api/client'
import type { Payout } from '../api/types'
import { useServices } from '../app'
import { Dialog } from '../components/Dialog'
import { formatMoney } from '../format'

const MAX_REFERENCE = 200

/** What the form can tell before asking: a reference, within the API's length. */
export function validateReference(reference: string): string | null {
  const trimmed = reference.trim()
  if (!trimmed) return 'Give the payment’s reference (the transfer’s id): a payout is recorded paid once, under one reference.'
  if (trimmed.length > MAX_REFERENCE) return `At most ${MAX_REFERENCE} characters.`
  return null
}

function refusal(error: unknown): string {
  if (error instanceof ApiError && error.status === 409) return `Already paid under another reference: ${error.message}`
  if (error instanceof ApiError && error.status === 422) return `Nothing to pay: ${error.message}`
  return error instanceof Error ? error.message : 'Not recorded.'
}

/** Record a payout paid (`POST /api/payouts/{id}/mark-paid`). The same reference again answers
 * the payment as recorded, so a double click records it once; another reference is the API's 409. */
export function MarkPaid({ payout, currency, onPaid, onClose }: { payout: Payout; currency: string; onPaid: (message: string) => void; onClose: () => void }) {
  const { api } = useServices()
  const queries = useQueryClient()
  const [reference, setReference] = useState('')
  const [invalid, setInvalid] = useState<string | null>(null)
  const [failure, setFailure] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: FormEvent) {
    event.preventDefault()
    const problem = validateReference(reference)
    setInvalid(problem)
    setFailure(null)
    if (problem) return
    setBusy(true)
    try {
      const paid = await api.send<Payout>('POST', `/payouts/${encodeURIComponent(payout.payout_id)}/mark-paid`, { reference: reference.trim() })
      await queries.invalidateQueries()
      onPaid(`Recorded ${payout.payout_id} paid (${paid.paid_reference ?? reference.trim()}).`)
      onClose()
    } catch (error) {
      setFailure(refusal(error))
      setBusy(false)
    }
  }

  return (
    <Dialog title={`Mark ${payout.payout_id} paid`} onClose={onClose}>
      <form onSubmit={submit} noValidate aria-label="Mark paid" className="mt-2 text-sm">
        <p>
          Payable: <strong>{formatMoney(payout.crystallisation?.payable)} {currency}</strong> to {payout.sender_id} for {payout.month}, due{' '}
          {payout.crystallisation?.payment_date ?? '—'}. Record it once the money has gone out.
        </p>
        <label className="mt-3 block font-medium">
          Payment reference
          <input
            className={`mt-1 block w-full rounded-md border px-3 py-2 ${invalid ? 'border-red-700' : 'border-slate-400'}`}
            value={reference}
            aria-invalid={Boolean(invalid)}
            aria-describedby={invalid ? 'reference-error' : undefined}
            onChange={(e) => setReference(e.target.value)}
          />
        </label>
        {invalid && <p id="reference-error" className="mt-1 text-red-800">{invalid}</p>}
        {failure && <p role="alert" className="mt-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900">{failure}</p>}
        <div className="mt-4 flex flex-wrap justify-end gap-2">
          <button type="button" onClick={onClose} className="rounded-md border border-slate-400 bg-white px-4 py-2">Cancel</button>
          <button type="submit" disabled={busy} className="rounded-md bg-blue-800 px-4 py-2 font-semibold text-white disabled:opacity-60">{busy ? 'Recording…' : 'Record payment'}</button>
        </div>
      </form>
    </Dialog>
  )
}
