import { useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { ApiError } from '../api/client'
import { TextField } from '../components/TextField'
import { useApiQuery } from '../api/queries'
import type { SenderSecret, SenderSettings } from '../api/types'
import { useServices } from '../app'
import { ConfirmDialog } from '../components/Dialog'
import { TableFrame, td, th } from '../components/figures'
import { OutcomeMessages, useOutcome } from '../components/Outcome'
import { PagerControls, useListPages } from '../components/Pager'
import { SecretOnce } from '../components/SecretOnce'
import { Empty, ErrorState, Loading } from '../components/states'
import { formatTime } from '../format'

interface Issued {
  title: string
  senderId: string
  secret: string
}

/** /admin/operations/senders: who may post webhooks. Adding a sender or rotating its secret
 * shows the secret once (the API's answer, kept in this page's state only); disable and enable
 * ask first. */
export default function Senders() {
  const senders = useApiQuery<{ items: SenderSettings[] }>('/senders')
  const pages = useListPages(senders.data?.items ?? [])
  const outcome = useOutcome()
  const [adding, setAdding] = useState(false)
  const [issued, setIssued] = useState<Issued | null>(null)

  function show(answer: SenderSecret, title: string) {
    setIssued({ title, senderId: answer.sender.sender_id, secret: answer.secret })
    outcome.clear()
  }

  return (
    <>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-2xl font-semibold">Signal senders</h1>
        {!adding && (
          <button type="button" className="rounded-md bg-blue-800 px-4 py-2 font-semibold text-white" onClick={() => setAdding(true)}>
            Add sender
          </button>
        )}
      </div>
      {issued && (
        <SecretOnce title={issued.title} secret={issued.secret} onDone={() => setIssued(null)}>
          TradingView posts to the ingest URL&apos;s <code className="break-all">/webhook/{issued.senderId}/&lt;secret&gt;</code>; a sender may instead put{' '}
          <code>&quot;secret&quot;</code> in the alert&apos;s JSON body, or sign the body with <code>X-Signature</code> (see the README, &quot;For signal senders&quot;).
        </SecretOnce>
      )}
      <OutcomeMessages outcome={outcome} />
      {adding && (
        <SenderForm
          onCancel={() => setAdding(false)}
          onCreated={(answer) => {
            setAdding(false)
            show(answer, `${answer.sender.name} (${answer.sender.sender_id}) is registered: its secret`)
          }}
        />
      )}
      <div className="mt-4">
        {senders.isPending ? (
          <Loading />
        ) : senders.isError ? (
          <ErrorState error={senders.error} retry={() => senders.refetch()} />
        ) : senders.data.items.length === 0 ? (
          <Empty>No sender yet: add one to accept webhooks.</Empty>
        ) : (
          <>
            <TableFrame label="Senders">
              <thead>
                <tr>
                  <th className={th} scope="col">Sender</th>
                  <th className={th} scope="col">Status</th>
                  <th className={th} scope="col">Requests a minute</th>
                  <th className={th} scope="col">Max lag (s)</th>
                  <th className={th} scope="col">IP allowlist</th>
                  <th className={th} scope="col">Old secret valid until</th>
                  <th className={th} scope="col">Registered</th>
                  <th className={th} scope="col"><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {pages.items.map((sender) => (
                  <SenderRow
                    key={sender.sender_id}
                    sender={sender}
                    onRotated={(answer) => show(answer, `A new secret for ${answer.sender.name} (${answer.sender.sender_id})`)}
                    onChanged={outcome.succeeded}
                  />
                ))}
              </tbody>
            </TableFrame>
            <PagerControls label="Sender pages" page={pages.page} next={pages.next} previous={pages.previous} />
          </>
        )}
      </div>
    </>
  )
}

function SenderRow({ sender, onRotated, onChanged }: { sender: SenderSettings; onRotated: (answer: SenderSecret) => void; onChanged: (message: string) => void }) {
  const { api } = useServices()
  const queries = useQueryClient()
  const [asked, setAsked] = useState<'rotate' | 'disable' | 'enable' | null>(null)
  const [grace, setGrace] = useState('0')
  const id = sender.sender_id
  const path = `/senders/${encodeURIComponent(id)}`
  const disabled = sender.status === 'DISABLED'

  async function rotate() {
    const seconds = Number(grace)
    if (!/^\d+$/.test(grace.trim()) || seconds > 604_800) throw new Error('The grace period is a whole number of seconds from 0 to 604800 (a week).')
    const answer = await api.send<SenderSecret>('POST', `${path}/rotate`, { grace_seconds: seconds })
    await queries.invalidateQueries()
    onRotated(answer)
  }

  async function setStatus(action: 'disable' | 'enable') {
    await api.send('POST', `${path}/${action}`)
    await queries.invalidateQueries()
    onChanged(action === 'disable' ? `${sender.name}'s webhooks are refused from now on.` : `${sender.name}'s webhooks are accepted again.`)
  }

  const small = 'rounded-md border bg-white px-2 py-1 text-sm'
  return (
    <tr data-sender={id}>
      <td className={td}>
        <span className="block font-medium">{sender.name}</span>
        <span className="font-mono text-xs text-slate-600">{id}</span>
      </td>
      <td className={td}>
        <span className={`rounded px-2 py-0.5 text-xs font-semibold ${disabled ? 'bg-slate-200 text-slate-800' : 'bg-emerald-100 text-emerald-900'}`}>{sender.status}</span>
      </td>
      <td className={td}>{sender.rate_limit_per_minute}</td>
      <td className={td}>{sender.max_lag_seconds ?? 'default'}</td>
      <td className={td + ' whitespace-normal'}>{sender.ip_allowlist.length ? sender.ip_allowlist.join(', ') : 'any'}</td>
      <td className={td}>{formatTime(sender.previous_secret_valid_until)}</td>
      <td className={td}>{formatTime(sender.created_at)}</td>
      <td className={td}>
        <span className="flex gap-2">
          <button type="button" className={small + ' border-blue-800 text-blue-900'} aria-label={`Rotate the secret of ${id}`} onClick={() => setAsked('rotate')}>Rotate…</button>
          {disabled ? (
            <button type="button" className={small + ' border-emerald-800 text-emerald-900'} aria-label={`Enable ${id}`} onClick={() => setAsked('enable')}>Enable…</button>
          ) : (
            <button type="button" className={small + ' border-red-800 text-red-800'} aria-label={`Disable ${id}`} onClick={() => setAsked('disable')}>Disable…</button>
          )}
        </span>
        {asked === 'rotate' && (
          <ConfirmDialog title={`Rotate the secret of ${sender.name}?`} confirmLabel="Issue a new secret" tone="caution" onConfirm={rotate} onClose={() => setAsked(null)}>
            <p>A new secret is issued and shown once. The old one stops working after the grace period: give the sender time to update their alerts, or 0 to cut it off now (a leaked secret).</p>
            <label className="block font-medium">
              Keep the old secret working for (seconds)
              <input inputMode="numeric" className="mt-1 block w-40 rounded-md border border-slate-400 px-3 py-2" value={grace} onChange={(e) => setGrace(e.target.value)} />
            </label>
          </ConfirmDialog>
        )}
        {asked === 'disable' && (
          <ConfirmDialog title={`Disable ${sender.name}?`} confirmLabel={`Disable ${id}`} onConfirm={() => setStatus('disable')} onClose={() => setAsked(null)}>
            <p>Its webhooks are refused from now on, so its alerts are not traded, until it is enabled again. Its positions stay as they are.</p>
          </ConfirmDialog>
        )}
        {asked === 'enable' && (
          <ConfirmDialog title={`Enable ${sender.name}?`} confirmLabel={`Enable ${id}`} tone="normal" onConfirm={() => setStatus('enable')} onClose={() => setAsked(null)}>
            <p>Its webhooks are accepted again with its current secret.</p>
          </ConfirmDialog>
        )}
      </td>
    </tr>
  )
}

interface SenderFields {
  name: string
  rate_limit_per_minute: string
  max_lag_seconds: string
  ip_allowlist: string
}

/** What the form can tell before asking: a name, whole numbers within the API's bounds. A name
 * taken and a malformed address are the API's (409, 422). */
export function validateSender(fields: SenderFields): Record<string, string> {
  const errors: Record<string, string> = {}
  const whole = (value: string, low: number, high: number) => /^\d+$/.test(value) && Number(value) >= low && Number(value) <= high
  if (!fields.name.trim()) errors.name = 'Give the sender a name.'
  else if (fields.name.trim().length > 200) errors.name = 'At most 200 characters.'
  if (!whole(fields.rate_limit_per_minute.trim(), 1, 100_000)) errors.rate_limit_per_minute = 'A whole number from 1 to 100000.'
  if (fields.max_lag_seconds.trim() && !whole(fields.max_lag_seconds.trim(), 1, 86_400)) errors.max_lag_seconds = 'Seconds, from 1 to 86400; empty for the default.'
  return errors
}

function senderBody(fields: SenderFields): Record<string, unknown> {
  const body: Record<string, unknown> = { name: fields.name.trim(), rate_limit_per_minute: Number(fields.rate_limit_per_minute.trim()) }
  if (fields.max_lag_seconds.trim()) body.max_lag_seconds = Number(fields.max_lag_seconds.trim())
  const addresses = fields.ip_allowlist.split(/[\s,]+/).filter(Boolean)
  if (addresses.length) body.ip_allowlist = addresses
  return body
}

function SenderForm({ onCreated, onCancel }: { onCreated: (answer: SenderSecret) => void; onCancel: () => void }) {
  const { api } = useServices()
  const queries = useQueryClient()
  const [fields, setFields] = useState<SenderFields>({ name: '', rate_limit_per_minute: '60', max_lag_seconds: '', ip_allowlist: '' })
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [failure, setFailure] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: FormEvent) {
    event.preventDefault()
    const found = validateSender(fields)
    setErrors(found)
    setFailure(null)
    if (Object.keys(found).length) return
    setBusy(true)
    try {
      const answer = await api.send<SenderSecret>('POST', '/senders', senderBody(fields))
      await queries.invalidateQueries()
      onCreated(answer)
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) setErrors({ name: error.message })
      else if (error instanceof ApiError && error.field?.startsWith('ip_allowlist')) setErrors({ ip_allowlist: error.message })
      else if (error instanceof ApiError && error.field && error.field in fields) setErrors({ [error.field]: error.message })
      else setFailure(error instanceof Error ? error.message : 'Not added.')
    } finally {
      setBusy(false)
    }
  }

  function field(key: keyof SenderFields, label: string, hint?: string) {
    return <TextField id={`sender-${key}`} label={label} value={fields[key]} error={errors[key]} placeholder={hint} onChange={(value) => setFields({ ...fields, [key]: value })} />
  }

  return (
    <form onSubmit={submit} noValidate aria-label="Add a sender" className="mt-4 rounded-lg border border-blue-300 bg-blue-50 p-4">
      <h2 className="mb-3 text-lg font-semibold">Add a sender</h2>
      {failure && <p role="alert" className="mb-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">{failure}</p>}
      <div className="grid gap-3 sm:grid-cols-2">
        {field('name', 'Name')}
        {field('rate_limit_per_minute', 'Requests a minute (then 429)')}
        {field('max_lag_seconds', 'Max lag (seconds; empty: the strategy’s or 120)')}
        {field('ip_allowlist', 'IP allowlist (addresses or CIDR; empty: any)', '52.89.214.238, 10.0.0.0/8')}
      </div>
      <div className="mt-4 flex gap-2">
        <button type="submit" disabled={busy} className="rounded-md bg-blue-800 px-4 py-2 font-semibold text-white disabled:opacity-70">{busy ? 'Adding…' : 'Add sender'}</button>
        <button type="button" onClick={onCancel} className="rounded-md border border-slate-400 bg-white px-4 py-2">Cancel</button>
      </div>
    </form>
  )
}
