import { useQueryClient } from '@tanstack/react-query'
import { useState, type ReactNode } from 'react'
import type { RiskState, ScopeRisk } from '../api/types'
import { useServices } from '../app'
import { ConfirmDialog } from '../components/Dialog'

interface Change {
  button: string
  confirm: (whose: string) => string
  tone: 'danger' | 'caution' | 'normal'
  effect: (whose: string) => ReactNode
}

// What each state does, in the words of the API and README ("Cerebro", "The risk gate").
const CHANGES: Record<RiskState, Change> = {
  HALTED: {
    button: 'Halt',
    confirm: (whose) => `Halt ${whose}`,
    tone: 'danger',
    effect: (whose) => (
      <>
        <p><strong>Nothing is sent to any venue for {whose}</strong>: every new entry is refused (TRADING_HALTED) and exits are held, not sent — each held exit raises a CRITICAL alert — until trading is resumed. Cancels still go out.</p>
        <p>To keep closing positions while refusing entries, use Reduce only instead.</p>
      </>
    ),
  },
  REDUCING: {
    button: 'Reduce only',
    confirm: (whose) => `Set ${whose} to reduce only`,
    tone: 'caution',
    effect: (whose) => <p><strong>Exits only for {whose}</strong>: new entries are refused (REDUCING_ONLY); exits still go out, trimmed to what is held.</p>,
  },
  ACTIVE: {
    button: 'Resume',
    confirm: (whose) => `Resume ${whose}`,
    tone: 'normal',
    effect: (whose) => <p><strong>Trading resumes for {whose}</strong>: the next signal is decided as usual, and exits held by a halt are sent now.</p>,
  },
}

const ORDER: RiskState[] = ['HALTED', 'REDUCING', 'ACTIVE']

/** Halt, Reduce only and Resume for the fund (`strategyId` null) or one strategy, each behind a
 * dialog that says what it does and takes the reason shown on every decision it affects. */
export function RiskActions({ risk, onChanged }: { risk: ScopeRisk; onChanged: (message: string) => void }) {
  const { api } = useServices()
  const queries = useQueryClient()
  const [asked, setAsked] = useState<RiskState | null>(null)
  const strategyId = risk.strategy_id
  const whose = strategyId ? strategyId : 'the fund'
  const path = strategyId ? `/risk/strategies/${encodeURIComponent(strategyId)}` : '/risk/fund'

  async function change(state: RiskState, reason: string) {
    await api.send('PUT', path, { state, reason: reason || null })
    await queries.invalidateQueries()
    onChanged(`${strategyId ? strategyId : 'The fund'} is now ${state}${reason ? ` (${reason})` : ''}.`)
  }

  const button = { danger: 'border-red-800 text-red-800', caution: 'border-amber-700 text-amber-900', normal: 'border-emerald-800 text-emerald-900' }
  const chosen = asked ? CHANGES[asked] : null
  return (
    <span className="flex flex-wrap gap-2">
      {ORDER.filter((state) => state !== risk.state).map((state) => (
        <button
          key={state}
          type="button"
          aria-label={`${CHANGES[state].button} ${whose}`}
          className={`rounded-md border bg-white px-3 py-1 text-sm font-semibold ${button[CHANGES[state].tone]}`}
          onClick={() => setAsked(state)}
        >
          {CHANGES[state].button}…
        </button>
      ))}
      {asked && chosen && (
        <ConfirmDialog
          title={`${chosen.button} ${whose}?`}
          confirmLabel={chosen.confirm(whose)}
          tone={chosen.tone}
          reason={{ label: 'Reason (shown on every decision it affects)', maxLength: 500 }}
          onConfirm={(reason) => change(asked, reason)}
          onClose={() => setAsked(null)}
        >
          {chosen.effect(whose)}
          {strategyId && <p>What is in force is the stricter of this and the fund&apos;s own state.</p>}
          <p className="text-slate-600">The next signal obeys it; the bridge checks it again just before anything is sent.</p>
        </ConfirmDialog>
      )}
    </span>
  )
}
