import { useApiQuery } from '../api/queries'
import type { ClientView, Role, SenderSettings } from '../api/types'

export interface Access {
  role: Role
  client_id: string
  sender_id: string
}

/** What a role needs besides itself: a client user sees one client, a sender user one sender. */
export function accessProblems(access: Access): Record<string, string> {
  if (access.role === 'client' && !access.client_id) return { client_id: 'Pick the client this user sees.' }
  if (access.role === 'sender' && !access.sender_id) return { sender_id: 'Pick the sender this user sees.' }
  return {}
}

/** The role and its scope as the API takes them (`role`, and `client_id` or `sender_id`). */
export function accessBody(access: Access): Record<string, string> {
  if (access.role === 'client') return { role: 'client', client_id: access.client_id }
  if (access.role === 'sender') return { role: 'sender', sender_id: access.sender_id }
  return { role: 'admin' }
}

const input = 'mt-1 block w-full rounded-md border bg-white px-3 py-2 text-sm'

/** The role select and, for a client or sender, which one (from `/api/clients`, `/api/senders`). */
export function RoleFields({ access, errors, onChange }: { access: Access; errors: Record<string, string>; onChange: (access: Access) => void }) {
  const clients = useApiQuery<{ items: ClientView[] }>(access.role === 'client' ? '/clients' : null)
  const senders = useApiQuery<{ items: SenderSettings[] }>(access.role === 'sender' ? '/senders' : null)
  const scope = access.role === 'client'
    ? { key: 'client_id' as const, label: 'Client', options: clients.data?.items.map((c) => ({ id: c.client_id, name: c.name })), loading: clients.isPending, failed: clients.isError }
    : access.role === 'sender'
      ? { key: 'sender_id' as const, label: 'Sender', options: senders.data?.items.map((s) => ({ id: s.sender_id, name: s.name })), loading: senders.isPending, failed: senders.isError }
      : null
  const error = scope ? errors[scope.key] : undefined
  return (
    <>
      <label className="block text-sm font-medium">
        Role
        <select className={input + ' border-slate-400'} value={access.role} onChange={(e) => onChange({ ...access, role: e.target.value as Role })}>
          <option value="admin">admin (everything; needs an SMS second factor)</option>
          <option value="client">client (one investor&apos;s page)</option>
          <option value="sender">sender (one sender&apos;s signals and payouts)</option>
        </select>
      </label>
      {scope && (
        <div>
          <label className="block text-sm font-medium">
            {scope.label}
            <select
              className={`${input} ${error ? 'border-red-700' : 'border-slate-400'}`}
              value={access[scope.key]}
              aria-invalid={Boolean(error)}
              aria-describedby={error ? `access-error-${scope.key}` : undefined}
              onChange={(e) => onChange({ ...access, [scope.key]: e.target.value })}
            >
              <option value="">{scope.loading ? 'loading…' : scope.failed ? 'could not load the list' : 'pick one'}</option>
              {scope.options?.map((option) => (
                <option key={option.id} value={option.id}>{option.name} ({option.id})</option>
              ))}
            </select>
          </label>
          {error && <p id={`access-error-${scope.key}`} className="mt-1 text-sm text-red-800">{error}</p>}
        </div>
      )}
    </>
  )
}
