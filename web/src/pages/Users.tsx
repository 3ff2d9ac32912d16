import { useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { ApiError } from '../api/client'
import { TextField } from '../components/TextField'
import { useApiQuery, useMe } from '../api/queries'
import type { DashboardUser, UserCreated } from '../api/types'
import { useServices } from '../app'
import { ConfirmDialog, Dialog } from '../components/Dialog'
import { TableFrame, td, th } from '../components/figures'
import { OutcomeMessages, useOutcome } from '../components/Outcome'
import { PagerControls, useListPages } from '../components/Pager'
import { SecretOnce } from '../components/SecretOnce'
import { Empty, ErrorState, Loading } from '../components/states'
import { formatTime } from '../format'
import { accessBody, accessProblems, RoleFields, type Access } from './RoleFields'

/** /admin/operations/users: who may sign in to the dashboard, with which role over whose data.
 * Changing a role and disabling revoke the user's sessions; the API refuses an admin taking
 * away their own admin role or disabling themselves (409), and the page shows its words. */
export default function Users() {
  const users = useApiQuery<{ items: DashboardUser[] }>('/users')
  const me = useMe()
  const pages = useListPages(users.data?.items ?? [])
  const outcome = useOutcome()
  const [adding, setAdding] = useState(false)
  const [created, setCreated] = useState<{ email: string; password: string } | null>(null)

  return (
    <>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-2xl font-semibold">Dashboard users</h1>
        {!adding && (
          <button type="button" className="rounded-md bg-blue-800 px-4 py-2 font-semibold text-white" onClick={() => setAdding(true)}>
            Add user
          </button>
        )}
      </div>
      {created && (
        <SecretOnce title={`The generated password of ${created.email}`} secret={created.password} onDone={() => setCreated(null)}>
          Give it to them by a channel other than their email; they sign in with it at the login page.
        </SecretOnce>
      )}
      <OutcomeMessages outcome={outcome} />
      {adding && (
        <UserForm
          onCancel={() => setAdding(false)}
          onCreated={(answer) => {
            setAdding(false)
            outcome.succeeded(`${answer.user.email} can sign in as ${answer.user.role}.`)
            if (answer.password) setCreated({ email: answer.user.email ?? answer.user.uid, password: answer.password })
          }}
        />
      )}
      <div className="mt-4">
        {users.isPending ? (
          <Loading />
        ) : users.isError ? (
          <ErrorState error={users.error} retry={() => users.refetch()} />
        ) : users.data.items.length === 0 ? (
          <Empty>No user yet.</Empty>
        ) : (
          <>
            <TableFrame label="Users">
              <thead>
                <tr>
                  <th className={th} scope="col">User</th>
                  <th className={th} scope="col">Role</th>
                  <th className={th} scope="col">Sees</th>
                  <th className={th} scope="col">Second factor</th>
                  <th className={th} scope="col">Status</th>
                  <th className={th} scope="col">Last sign-in</th>
                  <th className={th} scope="col"><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {pages.items.map((user) => (
                  <UserRow key={user.uid} user={user} isMe={user.uid === me.data?.uid} onChanged={outcome.succeeded} />
                ))}
              </tbody>
            </TableFrame>
            <PagerControls label="User pages" page={pages.page} next={pages.next} previous={pages.previous} />
          </>
        )}
      </div>
    </>
  )
}

function UserRow({ user, isMe, onChanged }: { user: DashboardUser; isMe: boolean; onChanged: (message: string) => void }) {
  const { api } = useServices()
  const queries = useQueryClient()
  const [asked, setAsked] = useState<'role' | 'disable' | 'enable' | null>(null)
  const who = user.email ?? user.uid
  const path = `/users/${encodeURIComponent(user.uid)}`

  async function setStatus(action: 'disable' | 'enable') {
    await api.send('POST', `${path}/${action}`)
    await queries.invalidateQueries()
    onChanged(action === 'disable' ? `${who} can no longer sign in; their sessions were revoked.` : `${who} can sign in again.`)
  }

  const small = 'rounded-md border bg-white px-2 py-1 text-sm'
  return (
    <tr data-user={who}>
      <td className={td}>
        <span className="block font-medium">{who}{isMe && <span className="ml-1 text-xs font-normal text-slate-600">(you)</span>}</span>
        <span className="text-xs text-slate-600">{user.display_name ?? ''}</span>
      </td>
      <td className={td} data-role={user.role ?? ''}>{user.role ?? 'none'}</td>
      <td className={td}>{user.client_id ?? user.sender_id ?? (user.role === 'admin' ? 'everything' : '—')}</td>
      <td className={td}>{user.second_factors.length ? user.second_factors.join(', ') : 'none'}</td>
      <td className={td}>
        <span className={`rounded px-2 py-0.5 text-xs font-semibold ${user.disabled ? 'bg-slate-200 text-slate-800' : 'bg-emerald-100 text-emerald-900'}`}>{user.disabled ? 'DISABLED' : 'ACTIVE'}</span>
      </td>
      <td className={td}>{formatTime(user.last_sign_in_at)}</td>
      <td className={td}>
        <span className="flex gap-2">
          <button type="button" className={small + ' border-blue-800 text-blue-900'} aria-label={`Change the role of ${who}`} onClick={() => setAsked('role')}>Change role…</button>
          {user.disabled ? (
            <button type="button" className={small + ' border-emerald-800 text-emerald-900'} aria-label={`Enable ${who}`} onClick={() => setAsked('enable')}>Enable…</button>
          ) : (
            <button type="button" className={small + ' border-red-800 text-red-800'} aria-label={`Disable ${who}`} onClick={() => setAsked('disable')}>Disable…</button>
          )}
        </span>
        {asked === 'role' && <RoleDialog user={user} onChanged={onChanged} onClose={() => setAsked(null)} />}
        {asked === 'disable' && (
          <ConfirmDialog title={`Disable ${who}?`} confirmLabel={`Disable ${who}`} onConfirm={() => setStatus('disable')} onClose={() => setAsked(null)}>
            <p>They cannot sign in from now on, and their open sessions are revoked, until they are enabled again.</p>
          </ConfirmDialog>
        )}
        {asked === 'enable' && (
          <ConfirmDialog title={`Enable ${who}?`} confirmLabel={`Enable ${who}`} tone="normal" onConfirm={() => setStatus('enable')} onClose={() => setAsked(null)}>
            <p>They can sign in again with their password (and second factor, if they have one).</p>
          </ConfirmDialog>
        )}
      </td>
    </tr>
  )
}

function RoleDialog({ user, onChanged, onClose }: { user: DashboardUser; onChanged: (message: string) => void; onClose: () => void }) {
  const { api } = useServices()
  const queries = useQueryClient()
  const [access, setAccess] = useState<Access>({ role: user.role ?? 'client', client_id: user.client_id ?? '', sender_id: user.sender_id ?? '' })
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [failure, setFailure] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const who = user.email ?? user.uid

  async function submit(event: FormEvent) {
    event.preventDefault()
    const found = accessProblems(access)
    setErrors(found)
    setFailure(null)
    if (Object.keys(found).length) return
    setBusy(true)
    try {
      const after = await api.send<DashboardUser>('PUT', `/users/${encodeURIComponent(user.uid)}/role`, accessBody(access))
      await queries.invalidateQueries()
      onChanged(`${who} is now ${after.role}${after.client_id ? ` of ${after.client_id}` : after.sender_id ? ` of ${after.sender_id}` : ''}; their sessions were revoked.`)
      onClose()
    } catch (error) {
      if (error instanceof ApiError && error.status === 422 && error.field && error.field in access) setErrors({ [error.field]: error.message })
      else setFailure(error instanceof Error ? error.message : 'Not changed.')
      setBusy(false)
    }
  }

  return (
    <Dialog title={`Change the role of ${who}`} onClose={onClose}>
      <form onSubmit={submit} noValidate aria-label="Change role" className="mt-2 space-y-3 text-sm">
        <p>The new role replaces the old one, and their sessions are revoked: they sign in again to use it.</p>
        <RoleFields access={access} errors={errors} onChange={setAccess} />
        {failure && <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900">Refused: {failure}</p>}
        <div className="flex flex-wrap justify-end gap-2">
          <button type="button" onClick={onClose} className="rounded-md border border-slate-400 bg-white px-4 py-2">Cancel</button>
          <button type="submit" disabled={busy} className="rounded-md bg-blue-800 px-4 py-2 font-semibold text-white disabled:opacity-60">{busy ? 'Saving…' : 'Save role'}</button>
        </div>
      </form>
    </Dialog>
  )
}

interface UserFields {
  email: string
  display_name: string
  password: string
  email_verified: boolean
}

/** What the form can tell before asking: an address, a password long enough, the role's scope.
 * An email taken and an unknown client or sender are the API's (409, 422). */
export function validateUser(fields: UserFields, access: Access): Record<string, string> {
  const errors: Record<string, string> = { ...accessProblems(access) }
  const email = fields.email.trim()
  if (!email) errors.email = 'Give their email address.'
  else if (!/^[^@\s]+@[^@\s]+$/.test(email) || email.length > 320) errors.email = 'An email address, e.g. ana@example.com.'
  if (fields.password && (fields.password.length < 8 || fields.password.length > 128)) errors.password = 'From 8 to 128 characters; empty to have one generated.'
  return errors
}

function UserForm({ onCreated, onCancel }: { onCreated: (answer: UserCreated) => void; onCancel: () => void }) {
  const { api } = useServices()
  const queries = useQueryClient()
  const [fields, setFields] = useState<UserFields>({ email: '', display_name: '', password: '', email_verified: true })
  const [access, setAccess] = useState<Access>({ role: 'client', client_id: '', sender_id: '' })
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [failure, setFailure] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: FormEvent) {
    event.preventDefault()
    const found = validateUser(fields, access)
    setErrors(found)
    setFailure(null)
    if (Object.keys(found).length) return
    setBusy(true)
    const body: Record<string, unknown> = { email: fields.email.trim(), ...accessBody(access), email_verified: fields.email_verified }
    if (fields.display_name.trim()) body.display_name = fields.display_name.trim()
    if (fields.password) body.password = fields.password
    try {
      const answer = await api.send<UserCreated>('POST', '/users', body)
      await queries.invalidateQueries()
      onCreated(answer)
    } catch (error) {
      if (error instanceof ApiError && error.field && (error.field in fields || error.field in access)) setErrors({ [error.field]: error.message })
      else setFailure(error instanceof Error ? error.message : 'Not added.')
    } finally {
      setBusy(false)
    }
  }

  function field(key: 'email' | 'display_name' | 'password', label: string, type = 'text') {
    return <TextField id={`user-${key}`} label={label} type={type} autoComplete={type === 'password' ? 'new-password' : 'off'} value={fields[key]} error={errors[key]} onChange={(value) => setFields({ ...fields, [key]: value })} />
  }

  return (
    <form onSubmit={submit} noValidate aria-label="Add a user" className="mt-4 rounded-lg border border-blue-300 bg-blue-50 p-4">
      <h2 className="mb-3 text-lg font-semibold">Add a user</h2>
      {failure && <p role="alert" className="mb-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">{failure}</p>}
      <div className="grid gap-3 sm:grid-cols-2">
        {field('email', 'Email')}
        {field('display_name', 'Name (optional)')}
        <RoleFields access={access} errors={errors} onChange={setAccess} />
        {field('password', 'Password (empty: one is generated and shown once)', 'password')}
        <label className="flex items-center gap-2 self-end text-sm font-medium">
          <input type="checkbox" className="size-5" checked={fields.email_verified} onChange={(e) => setFields({ ...fields, email_verified: e.target.checked })} />
          Email verified (an SMS second factor needs it)
        </label>
      </div>
      <div className="mt-4 flex gap-2">
        <button type="submit" disabled={busy} className="rounded-md bg-blue-800 px-4 py-2 font-semibold text-white disabled:opacity-70">{busy ? 'Adding…' : 'Add user'}</button>
        <button type="button" onClick={onCancel} className="rounded-md border border-slate-400 bg-white px-4 py-2">Cancel</button>
      </div>
    </form>
  )
}
