import type { ReactNode } from 'react'
import { signOf } from '../format'

/** A headline figure: `value` is the API's decimal string, kept on the element for checks. */
export function Stat({
  label,
  shown,
  value,
  unit,
  tone,
  testId,
  children,
}: {
  label: string
  shown: string
  value?: string | number | null
  unit?: string
  tone?: 'signed'
  testId?: string
  children?: ReactNode
}) {
  const sign = tone === 'signed' && typeof value === 'string' ? signOf(value) : 0
  const color = sign > 0 ? 'text-emerald-800' : sign < 0 ? 'text-red-800' : 'text-slate-900'
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <dt className="text-sm text-slate-600">{label}</dt>
      <dd className={`mt-1 text-2xl font-semibold tabular-nums ${color}`} data-testid={testId} data-value={value ?? ''}>
        {shown}
        {unit && <span className="ml-1 text-sm font-normal text-slate-600">{unit}</span>}
      </dd>
      {children && <dd className="mt-1">{children}</dd>}
    </div>
  )
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  const id = 'section-' + title.toLowerCase().replace(/[^a-z0-9]+/g, '-')
  return (
    <section aria-labelledby={id} className="mt-8">
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <h2 id={id} className="text-lg font-semibold">{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  )
}

export function TableFrame({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm" role="region" aria-label={label} tabIndex={0}>
      <table className="min-w-full text-sm">{children}</table>
    </div>
  )
}

export const th = 'px-3 py-2 text-left font-medium text-slate-700 bg-slate-100 whitespace-nowrap'
export const thNum = th + ' text-right'
export const td = 'px-3 py-2 border-t border-slate-100 whitespace-nowrap'
export const tdNum = td + ' text-right tabular-nums'
