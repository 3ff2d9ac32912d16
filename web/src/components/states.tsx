import type { ReactNode } from 'react'
import { ApiError } from '../api/client'

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div role="status" aria-live="polite" className="flex items-center gap-3 p-6 text-slate-600">
      <span className="size-4 animate-spin rounded-full border-2 border-slate-300 border-t-blue-700" aria-hidden />
      {label}
    </div>
  )
}

function explain(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return 'Your session has ended. Sign in again.'
    if (error.status === 403) return 'Your account may not see this. An admin must sign in with their second factor.'
    if (error.status === 503) return 'The data store is unavailable for a moment. It will retry.'
    return error.message
  }
  return error instanceof Error ? error.message : 'Something went wrong.'
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div role="alert" className="rounded-lg border border-red-300 bg-red-50 p-4 text-red-900">
      <p className="font-semibold">Could not load this.</p>
      <p className="mt-1 text-sm">{explain(error)}</p>
      {retry && (
        <button type="button" onClick={retry} className="mt-3 rounded-md bg-red-800 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-900">
          Try again
        </button>
      )}
    </div>
  )
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="rounded-lg border border-dashed border-slate-300 p-6 text-center text-slate-600">{children}</p>
}

export function NotFound({ what = 'page' }: { what?: string }) {
  return (
    <section aria-labelledby="not-found" className="mx-auto max-w-lg p-8 text-center">
      <h1 id="not-found" className="text-2xl font-semibold">Not found</h1>
      <p className="mt-2 text-slate-600">There is no such {what}, or it is not yours to see.</p>
    </section>
  )
}
