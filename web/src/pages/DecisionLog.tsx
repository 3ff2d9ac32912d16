// Cerebro's flight recorder for one signal, read when its row is opened: every input with its
// source and age, every step, every limit checked, the coded reasons, what it ordered and raised.
import { ApiError } from '../api/client'
import { useApiQuery } from '../api/queries'
import type { Decision } from '../api/types'
import { ErrorState, Loading } from '../components/states'
import { formatQuantity, formatTime } from '../format'

// Cerebro's outcomes and the orders' states, each in its colour.
const TONE: Record<string, string> = {
  APPROVED: 'bg-emerald-100 text-emerald-900',
  SCALED: 'bg-amber-100 text-amber-900',
  REJECTED: 'bg-red-100 text-red-900',
  FILLED: 'bg-emerald-100 text-emerald-900',
  PARTIALLY_FILLED: 'bg-amber-100 text-amber-900',
  CANCELLED: 'bg-slate-200 text-slate-800',
  EXPIRED: 'bg-slate-200 text-slate-800',
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`rounded px-1.5 py-0.5 text-xs font-semibold ${TONE[status] ?? 'bg-blue-100 text-blue-900'}`}>{status}</span>
}

export function DecisionLog({ signalId }: { signalId: string }) {
  const decision = useApiQuery<Decision>(`/decisions/${encodeURIComponent(signalId)}`)
  // Sticky and no wider than the screen: the log stays readable while its table scrolls sideways.
  return (
    <div className="sticky left-0 max-w-[min(calc(100vw_-_2.5rem),56rem)] p-3 text-sm whitespace-normal [overflow-wrap:anywhere]" data-testid={`decision-log-${signalId}`}>
      {decision.isPending ? (
        <Loading label="Loading Cerebro's decision…" />
      ) : decision.error instanceof ApiError && decision.error.status === 404 ? (
        <p className="text-slate-700">Cerebro has no decision on record for this signal.</p>
      ) : decision.isError ? (
        <ErrorState error={decision.error} retry={() => decision.refetch()} />
      ) : (
        <DecisionDetails decision={decision.data} />
      )}
    </div>
  )
}

const heading = 'mt-4 font-semibold text-slate-900'

function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function DecisionDetails({ decision }: { decision: Decision }) {
  const intent = decision.effective_intent && decision.effective_intent !== decision.signal_intent ? `${decision.signal_intent} → ${decision.effective_intent}` : decision.signal_intent
  return (
    <>
      <p>
        <StatusBadge status={decision.status} /> <span data-testid="decision-summary">{decision.summary}</span>
      </p>
      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
        <dt className="text-slate-600">Decided</dt>
        <dd>{formatTime(decision.decided_at, true)}</dd>
        <dt className="text-slate-600">Account</dt>
        <dd>{decision.account}</dd>
        <dt className="text-slate-600">Intent</dt>
        <dd>{intent}</dd>
        <dt className="text-slate-600">Reasons</dt>
        <dd data-testid="decision-reasons">{decision.reasons.length ? decision.reasons.join(', ') : 'none'}</dd>
        <dt className="text-slate-600">Orders sent</dt>
        <dd>{decision.orders.length === 0 ? 'none to send' : decision.published ? 'yes, published on orders' : 'not yet published'}</dd>
      </dl>

      <h3 className={heading}>Inputs</h3>
      {decision.inputs.length === 0 ? (
        <p className="text-slate-600">none recorded</p>
      ) : (
        <ul className="mt-1 space-y-1">
          {decision.inputs.map((input) => (
            <li key={input.name} data-input={input.name}>
              <span className="font-medium">{input.name}</span> = <span className="font-mono">{shown(input.value)}</span>{' '}
              <span className="text-slate-600">
                from {input.source}
                {input.as_of ? `, as of ${formatTime(input.as_of, true)}` : ''}
                {input.age_seconds !== null ? ` (${input.age_seconds.toFixed(1)} s old)` : ''}
              </span>
            </li>
          ))}
        </ul>
      )}

      <h3 className={heading}>Steps</h3>
      {decision.steps.length === 0 ? (
        <p className="text-slate-600">none recorded</p>
      ) : (
        <ol className="mt-1 list-decimal space-y-1 pl-6">
          {decision.steps.map((step, index) => (
            <li key={`${index}-${step.name}`} data-step={step.name}>
              <span className="font-medium">{step.name}</span>
              {step.value !== null && (
                <>
                  {' '}= <span className="font-mono">{step.value}</span>
                </>
              )}
              : {step.detail}
            </li>
          ))}
        </ol>
      )}

      <h3 className={heading}>Limits checked</h3>
      {decision.checks.length === 0 ? (
        <p className="text-slate-600">none checked</p>
      ) : (
        <ul className="mt-1 space-y-1">
          {decision.checks.map((check, index) => (
            <li key={`${index}-${check.name}`} data-check={check.name} data-passed={check.passed}>
              <span className={`rounded px-1.5 py-0.5 text-xs font-semibold ${check.passed ? 'bg-emerald-100 text-emerald-900' : 'bg-red-100 text-red-900'}`}>{check.passed ? 'passed' : 'failed'}</span>{' '}
              <span className="font-medium">{check.name}</span>: <span className="font-mono">{check.value}</span> against <span className="font-mono">{check.threshold}</span>
              {check.note && <span className="text-slate-600"> ({check.note})</span>}
            </li>
          ))}
        </ul>
      )}

      <h3 className={heading}>Orders</h3>
      {decision.orders.length === 0 ? (
        <p className="text-slate-600">none</p>
      ) : (
        <ul className="mt-1 space-y-1">
          {decision.orders.map((order) => (
            <li key={order.id}>
              <span className="font-mono text-xs">{order.id}</span>: {order.purpose} {order.action === 'PLACE' ? `${order.side ?? ''} ${formatQuantity(order.quantity)} ${order.symbol}` : `cancel the open orders of ${order.symbol}`}
              {order.reference_price ? `, sized at ${formatQuantity(order.reference_price)} ${order.currency}` : ''}
            </li>
          ))}
        </ul>
      )}

      {decision.alerts.length > 0 && (
        <>
          <h3 className={heading}>Alerts raised</h3>
          <ul className="mt-1 space-y-1">
            {decision.alerts.map((alert, index) => (
              <li key={`${index}-${alert.kind}`}>
                {alert.severity} {alert.kind}: {alert.message}
              </li>
            ))}
          </ul>
        </>
      )}
      {decision.risk_change && (
        <>
          <h3 className={heading}>Risk state set</h3>
          <p className="mt-1">
            {decision.risk_change.scope}: {decision.risk_change.state}
            {decision.risk_change.reason ? ` (${decision.risk_change.reason})` : ''}
          </p>
        </>
      )}
    </>
  )
}
