import { useState } from 'react'

/** What a failed request says to the user: the API's own words (its refusals name the reason). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : 'Not done.'
}

/** The outcome of the last change made on a page: a success to confirm or a failure to explain. */
export function useOutcome() {
  const [notice, setNotice] = useState<string | null>(null)
  const [failure, setFailure] = useState<string | null>(null)
  return {
    notice,
    failure,
    succeeded(message: string) {
      setFailure(null)
      setNotice(message)
    },
    failed(error: unknown) {
      setNotice(null)
      setFailure(messageOf(error))
    },
    clear() {
      setNotice(null)
      setFailure(null)
    },
  }
}

export function OutcomeMessages({ outcome }: { outcome: ReturnType<typeof useOutcome> }) {
  return (
    <>
      {outcome.notice && (
        <p role="status" data-testid="outcome" className="mt-3 rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-emerald-900">
          {outcome.notice}
        </p>
      )}
      {outcome.failure && (
        <p role="alert" className="mt-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900">
          {outcome.failure}
        </p>
      )}
    </>
  )
}
