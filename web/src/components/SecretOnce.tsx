import { useId, useState, type ReactNode } from 'react'

/** A secret the API answers once (a sender's webhook secret, a generated password): shown with a
 * warning and a copy button until dismissed. The page keeps it in its own state only, never in
 * the query cache, so it is gone after "Done" or a reload and no read can bring it back. */
export function SecretOnce({ title, secret, onDone, children }: { title: string; secret: string; onDone: () => void; children?: ReactNode }) {
  const titleId = useId()
  const [copy, setCopy] = useState<'idle' | 'copied' | 'failed'>('idle')

  async function copyToClipboard() {
    try {
      if (!navigator.clipboard) throw new Error('no clipboard')
      await navigator.clipboard.writeText(secret)
      setCopy('copied')
    } catch {
      setCopy('failed')
    }
  }

  return (
    <section aria-labelledby={titleId} data-testid="secret-once" className="mt-4 rounded-lg border-2 border-amber-600 bg-amber-50 p-4 text-amber-950">
      <h2 id={titleId} className="text-lg font-semibold">{title}</h2>
      <p className="mt-1 font-semibold">Copy it now: it is shown this once. It is not stored anywhere it can be read again — not after a reload, not in any list. If it is lost, rotate it.</p>
      <div className="mt-3 flex flex-wrap items-center gap-2">
        <code data-testid="secret-value" className="min-w-0 max-w-full break-all rounded-md border border-amber-400 bg-white px-3 py-2 font-mono text-sm">{secret}</code>
        <button type="button" onClick={copyToClipboard} className="rounded-md bg-amber-800 px-3 py-2 text-sm font-semibold text-white">
          {copy === 'copied' ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p aria-live="polite" className="mt-1 text-sm">
        {copy === 'copied' ? 'Copied to the clipboard.' : copy === 'failed' ? 'This browser would not copy it: select the text and copy it by hand.' : ''}
      </p>
      {children && <div className="mt-2 text-sm">{children}</div>}
      <button type="button" onClick={onDone} className="mt-3 rounded-md border border-amber-800 bg-white px-3 py-2 text-sm font-semibold">
        Done: I have stored it
      </button>
    </section>
  )
}
