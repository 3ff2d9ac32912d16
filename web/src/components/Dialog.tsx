import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react'
import { createPortal } from 'react-dom'
import { messageOf } from './Outcome'

const FOCUSABLE = 'input:not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled]), [href]'

/** A modal dialog over the page: focus moves into it and stays there, Escape closes it, and
 * focus returns to what opened it. */
export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const titleId = useId()
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null
    box.current?.querySelector<HTMLElement>(FOCUSABLE)?.focus()
    return () => opener?.focus()
  }, [])

  function keepFocusInside(event: KeyboardEvent) {
    if (event.key === 'Escape') {
      event.stopPropagation()
      onClose()
      return
    }
    if (event.key !== 'Tab' || !box.current) return
    const focusable = [...box.current.querySelectorAll<HTMLElement>(FOCUSABLE)]
    const first = focusable[0]
    const last = focusable[focusable.length - 1]
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault()
      last?.focus()
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault()
      first?.focus()
    }
  }

  return createPortal(
    <div className="fixed inset-0 z-50 flex items-end justify-center bg-slate-900/60 p-3 sm:items-center">
      <div
        ref={box}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        onKeyDown={keepFocusInside}
        className="max-h-[90vh] w-full max-w-lg overflow-y-auto rounded-lg bg-white p-5 text-slate-900 shadow-xl"
      >
        <h2 id={titleId} className="text-lg font-semibold">{title}</h2>
        {children}
      </div>
    </div>,
    document.body,
  )
}

const TONES = {
  danger: 'bg-red-800 text-white',
  caution: 'bg-amber-700 text-white',
  normal: 'bg-blue-800 text-white',
}

/** "Are you sure?" for a consequential change: says what it does, takes an optional reason, and
 * sends once (the confirm button is disabled while the request is out). A refusal is shown in
 * the dialog, which stays open. */
export function ConfirmDialog({
  title,
  confirmLabel,
  tone = 'danger',
  reason,
  onConfirm,
  onClose,
  children,
}: {
  title: string
  confirmLabel: string
  tone?: keyof typeof TONES
  reason?: { label: string; maxLength: number }
  onConfirm: (reason: string) => Promise<void>
  onClose: () => void
  children: ReactNode
}) {
  const [text, setText] = useState('')
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState<string | null>(null)
  const reasonId = useId()

  async function confirm() {
    setBusy(true)
    setFailure(null)
    try {
      await onConfirm(text.trim())
      onClose()
    } catch (error) {
      setFailure(messageOf(error))
      setBusy(false)
    }
  }

  return (
    <Dialog title={title} onClose={onClose}>
      <div className="mt-2 space-y-2 text-sm">{children}</div>
      {reason && (
        <div className="mt-3">
          <label htmlFor={reasonId} className="block text-sm font-medium">{reason.label}</label>
          <textarea
            id={reasonId}
            rows={2}
            maxLength={reason.maxLength}
            className="mt-1 block w-full rounded-md border border-slate-400 px-3 py-2 text-sm"
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </div>
      )}
      {failure && <p role="alert" className="mt-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">Refused: {failure}</p>}
      <div className="mt-4 flex flex-wrap justify-end gap-2">
        <button type="button" onClick={onClose} className="rounded-md border border-slate-400 bg-white px-4 py-2">Cancel</button>
        <button type="button" disabled={busy} onClick={confirm} className={`rounded-md px-4 py-2 font-semibold disabled:opacity-60 ${TONES[tone]}`}>
          {busy ? 'Sending…' : confirmLabel}
        </button>
      </div>
    </Dialog>
  )
}
