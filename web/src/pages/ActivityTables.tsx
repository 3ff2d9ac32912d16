// The signals and orders tables the admin home (its latest few) and the Activity page (paged,
// with each signal's decision log) both show: every figure as the API gives it, formatted.
import { Fragment, useState } from 'react'
import type { Fill, OrderSummary, SignalSummary } from '../api/types'
import { TableFrame, td, tdNum, th, thNum } from '../components/figures'
import { formatQuantity, formatTime } from '../format'
import { DecisionLog, StatusBadge } from './DecisionLog'

/** What became of a signal: ingest's refusal, or Cerebro's outcome and coded reasons. */
function signalStatus(signal: SignalSummary): { status: string; detail: string } {
  if (signal.status === 'REJECTED') return { status: 'REJECTED', detail: `at ingest: ${signal.rejection_reason ?? 'no reason given'}` }
  if (!signal.sizing) return { status: 'ACCEPTED', detail: 'no decision on record' }
  return { status: signal.sizing.outcome, detail: signal.sizing.reasons.join(', ') }
}

/** Signals, newest first; `withDecisions`: each opens to Cerebro's decision log below its row. */
export function SignalsTable({ label, signals, withDecisions = false }: { label: string; signals: SignalSummary[]; withDecisions?: boolean }) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set())
  const columns = withDecisions ? 9 : 8
  function toggle(signalId: string) {
    const next = new Set(open)
    if (!next.delete(signalId)) next.add(signalId)
    setOpen(next)
  }
  return (
    <TableFrame label={label}>
      <thead>
        <tr>
          {withDecisions && <th className={th} scope="col">Decision log</th>}
          <th className={th} scope="col">Received</th>
          <th className={th} scope="col">Signal</th>
          <th className={th} scope="col">Strategy</th>
          <th className={th} scope="col">Symbol</th>
          <th className={th} scope="col">Action</th>
          <th className={thNum} scope="col">Price</th>
          <th className={th} scope="col">Status</th>
          <th className={thNum} scope="col">Qty ordered</th>
        </tr>
      </thead>
      <tbody>
        {signals.map((signal) => {
          const { status, detail } = signalStatus(signal)
          const expanded = open.has(signal.signal_id)
          const logId = `decision-${signal.signal_id}`
          return (
            <Fragment key={signal.signal_id}>
              <tr data-signal={signal.signal_id}>
                {withDecisions && (
                  <td className={td}>
                    {signal.status === 'REJECTED' ? (
                      <span className="text-slate-600">none (refused at ingest)</span>
                    ) : (
                      <button
                        type="button"
                        className="rounded-md border border-blue-800 px-2 py-1 text-sm text-blue-900 hover:bg-blue-50"
                        aria-expanded={expanded}
                        aria-controls={expanded ? logId : undefined}
                        onClick={() => toggle(signal.signal_id)}
                      >
                        <span aria-hidden className="inline-block w-3">{expanded ? '▾' : '▸'}</span> Decision{' '}
                        <span className="sr-only">on {signal.signal_id}</span>
                      </button>
                    )}
                  </td>
                )}
                <td className={td} data-column="received">{formatTime(signal.received_at, true)}</td>
                <td className={td + ' font-mono text-xs'}>{signal.signal_id}</td>
                <td className={td} data-column="strategy">{signal.strategy_id}</td>
                <td className={td} data-column="symbol">{signal.symbol}</td>
                <td className={td} data-column="action">{signal.intent}</td>
                <td className={tdNum} data-column="price" data-value={signal.price ?? ''}>{formatQuantity(signal.price)}</td>
                <td className={td} data-column="status" data-status={status}>
                  <StatusBadge status={status} />
                  {detail && <span className="ml-2 text-slate-700">{detail}</span>}
                </td>
                <td className={tdNum} data-column="quantity">{formatQuantity(signal.sizing?.quantity)}</td>
              </tr>
              {expanded && (
                <tr id={logId}>
                  <td colSpan={columns} className="border-t border-slate-100 bg-slate-50 p-0">
                    <DecisionLog signalId={signal.signal_id} />
                  </td>
                </tr>
              )}
            </Fragment>
          )
        })}
      </tbody>
    </TableFrame>
  )
}

/** Orders, newest decided first: what was asked, what filled and at what average price. */
export function OrdersTable({ label, orders }: { label: string; orders: OrderSummary[] }) {
  return (
    <TableFrame label={label}>
      <thead>
        <tr>
          <th className={th} scope="col">Decided</th>
          <th className={th} scope="col">Order</th>
          <th className={th} scope="col">Strategy</th>
          <th className={th} scope="col">Symbol</th>
          <th className={th} scope="col">Side</th>
          <th className={thNum} scope="col">Quantity</th>
          <th className={thNum} scope="col">Filled</th>
          <th className={th} scope="col">Status</th>
          <th className={thNum} scope="col">Fill price</th>
          <th className={thNum} scope="col">Executions</th>
        </tr>
      </thead>
      <tbody>
        {orders.map((order) => {
          const why = order.held_reason ?? order.reason
          return (
            <tr key={order.order_id} data-order={order.order_id}>
              <td className={td} data-column="decided">{formatTime(order.decided_at, true)}</td>
              <td className={td + ' font-mono text-xs'}>{order.order_id}</td>
              <td className={td} data-column="strategy">{order.order.strategy_id}</td>
              <td className={td} data-column="symbol">{order.order.symbol}</td>
              <td className={td} data-column="side">{order.order.side ?? order.order.action}</td>
              <td className={tdNum} data-column="quantity" data-value={order.order.quantity}>{formatQuantity(order.order.quantity)}</td>
              <td className={tdNum} data-column="filled" data-value={order.filled_quantity}>{formatQuantity(order.filled_quantity)}</td>
              <td className={td} data-column="status" data-status={order.state}>
                <StatusBadge status={order.state} />
                {why && <span className="ml-2 text-slate-700">{why}</span>}
              </td>
              <td className={tdNum} data-column="fill-price" data-value={order.average_price ?? ''}>
                {formatQuantity(order.average_price)} {order.average_price ? order.order.currency : ''}
              </td>
              <td className={tdNum}>{order.fills.length}</td>
            </tr>
          )
        })}
      </tbody>
    </TableFrame>
  )
}

/** Executions at the venues, newest first, each with its price and commission. */
export function FillsTable({ label, fills }: { label: string; fills: Fill[] }) {
  return (
    <TableFrame label={label}>
      <thead>
        <tr>
          <th className={th} scope="col">Executed</th>
          <th className={th} scope="col">Execution</th>
          <th className={th} scope="col">Order</th>
          <th className={th} scope="col">Strategy</th>
          <th className={th} scope="col">Symbol</th>
          <th className={th} scope="col">Side</th>
          <th className={thNum} scope="col">Quantity</th>
          <th className={thNum} scope="col">Price</th>
          <th className={thNum} scope="col">Commission</th>
        </tr>
      </thead>
      <tbody>
        {fills.map((fill) => (
          <tr key={fill.id} data-fill={fill.id}>
            <td className={td}>{formatTime(fill.executed_at, true)}</td>
            <td className={td + ' font-mono text-xs'}>{fill.id}</td>
            <td className={td + ' font-mono text-xs'}>{fill.order_id}</td>
            <td className={td}>{fill.strategy_id}</td>
            <td className={td}>{fill.symbol}</td>
            <td className={td}>{fill.side}</td>
            <td className={tdNum}>{formatQuantity(fill.quantity)}</td>
            <td className={tdNum} data-column="price" data-value={fill.price}>{formatQuantity(fill.price)} {fill.currency}</td>
            <td className={tdNum}>{formatQuantity(fill.commission)} {fill.commission_currency ?? fill.currency}</td>
          </tr>
        ))}
      </tbody>
    </TableFrame>
  )
}
