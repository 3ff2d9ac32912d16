import { lazy, Suspense } from 'react'
import { useMe } from '../api/queries'
import type { Payout, SenderPage, SenderSignal, SignalPnl } from '../api/types'
import { Section, Stat, TableFrame, td, tdNum, th, thNum } from '../components/figures'
import { PagerControls, usePaged } from '../components/Pager'
import { Empty, ErrorState, Loading } from '../components/states'
import { formatFractionAsPercent, formatMoney, formatQuantity, formatSignedMoney, formatTime } from '../format'

const SignalPnlChart = lazy(() => import('./SignalPnlChart'))

export default function Sender() {
  const me = useMe()
  if (me.isPending) return <Loading />
  if (me.isError) return <ErrorState error={me.error} retry={() => me.refetch()} />
  if (!me.data.sender) return <Empty>Your account is not linked to a signal sender yet.</Empty>
  return <SenderPanel page={me.data.sender} />
}

function SenderPanel({ page }: { page: SenderPage }) {
  const view = page.view
  const currency = view?.base_currency ?? ''
  return (
    <>
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-semibold" data-testid="sender-name">{page.name}</h1>
        <p className="text-sm text-slate-600">As of {formatTime(view?.as_of)}</p>
      </div>
      {view ? (
        <dl className="mt-4 grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
          <Stat label="Your signals' P&L (total)" shown={formatSignedMoney(view.cumulative_pnl)} value={view.cumulative_pnl} unit={currency} tone="signed" testId="sender-cumulative-pnl" />
          <Stat label="High-water mark" shown={formatMoney(view.hwm)} value={view.hwm} unit={currency} testId="sender-hwm" />
          <Stat label="Fees paid" shown={formatMoney(view.paid)} value={view.paid} unit={currency} testId="sender-paid" />
          <Stat label="Due" shown={formatMoney(view.due)} value={view.due} unit={currency} testId="sender-due" />
          <Stat label="Accrued this month" shown={formatMoney(view.accrued)} value={view.accrued} unit={currency} testId="sender-accrued" />
          <Stat label="Carried (under the minimum)" shown={formatMoney(view.carried)} value={view.carried} unit={currency} testId="sender-carried" />
          <Stat label="Next payment date" shown={formatTime(view.next_payment_date)} value={view.next_payment_date} testId="sender-next-payment" />
          <Stat label="Fee rate" shown={formatFractionAsPercent(view.fee_rate, 0)} value={view.fee_rate} testId="sender-fee-rate">
            <span className="text-xs text-slate-600">of P&amp;L above the high-water mark; minimum payout {formatMoney(view.min_payout)} {currency}</span>
          </Stat>
        </dl>
      ) : (
        <Empty>No P&amp;L yet: none of your signals has been filled.</Empty>
      )}
      <ExecutionQuality page={page} />
      <Signals senderId={page.sender_id} />
      <Payouts senderId={page.sender_id} currency={currency} />
    </>
  )
}

function ExecutionQuality({ page }: { page: SenderPage }) {
  const quality = page.shortfall
  return (
    <Section title="Execution quality (implementation shortfall, bps; positive = cost)">
      {!quality || quality.orders === 0 ? (
        <Empty>No order from your signals has been measured yet.</Empty>
      ) : (
        <dl className="grid grid-cols-2 gap-3 lg:grid-cols-4">
          <Stat label="Orders measured" shown={`${quality.measured} of ${quality.orders}`} value={quality.measured} />
          <Stat label="Weighted mean" shown={formatMoney(quality.weighted_mean_bps, 1)} value={quality.weighted_mean_bps} unit="bps" />
          <Stat label="Median" shown={formatMoney(quality.median_bps, 1)} value={quality.median_bps} unit="bps" />
          <Stat label="Signal to decision" shown={formatMoney(quality.signal_to_decision, 1)} value={quality.signal_to_decision} unit="bps" />
          <Stat label="Decision to arrival" shown={formatMoney(quality.decision_to_arrival, 1)} value={quality.decision_to_arrival} unit="bps" />
          <Stat label="Execution" shown={formatMoney(quality.execution, 1)} value={quality.execution} unit="bps" />
          <Stat label="Fees" shown={formatMoney(quality.fees_bps, 1)} value={quality.fees_bps} unit="bps" />
        </dl>
      )}
    </Section>
  )
}

function Signals({ senderId }: { senderId: string }) {
  const paged = usePaged<SenderSignal>(`/senders/${encodeURIComponent(senderId)}/signals`)
  const { query } = paged
  const filled = (query.data?.items ?? []).map((signal) => signal.pnl).filter((pnl): pnl is SignalPnl => pnl !== null)
  return (
    <Section title="Your signals: how Cerebro sized them, and their P&L">
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorState error={query.error} retry={() => query.refetch()} />
      ) : query.data.items.length === 0 ? (
        <Empty>No signal of yours has arrived yet.</Empty>
      ) : (
        <>
          {filled.length > 0 ? (
            <Suspense fallback={<Loading label="Drawing the chart…" />}>
              <SignalPnlChart signals={filled} />
            </Suspense>
          ) : null}
          <div className="mt-3">
            <TableFrame label="Signals">
              <thead>
                <tr>
                  <th className={th} scope="col">Received</th>
                  <th className={th} scope="col">Signal</th>
                  <th className={th} scope="col">Strategy</th>
                  <th className={th} scope="col">Symbol</th>
                  <th className={th} scope="col">Intent</th>
                  <th className={th} scope="col">Cerebro</th>
                  <th className={thNum} scope="col">Qty ordered</th>
                  <th className={thNum} scope="col">Notional</th>
                  <th className={thNum} scope="col">Sized against</th>
                  <th className={thNum} scope="col">Net P&amp;L</th>
                </tr>
              </thead>
              <tbody>
                {query.data.items.map((signal) => (
                  <tr key={signal.signal_id} data-signal={signal.signal_id}>
                    <td className={td}>{formatTime(signal.received_at)}</td>
                    <td className={td + ' font-mono text-xs'}>{signal.signal_id}</td>
                    <td className={td}>{signal.strategy_id}</td>
                    <td className={td}>{signal.symbol}</td>
                    <td className={td}>{signal.intent}</td>
                    <td className={td} data-outcome={signal.sizing?.outcome ?? ''}>{describeOutcome(signal)}</td>
                    <td className={tdNum}>{formatQuantity(signal.sizing?.quantity)}</td>
                    <td className={tdNum}>
                      {formatMoney(signal.sizing?.notional)} {signal.sizing?.notional ? signal.sizing.currency : ''}
                    </td>
                    <td className={tdNum}>{formatMoney(signal.sizing?.allocated_capital)}</td>
                    <td className={tdNum + ' font-semibold'} data-value={signal.pnl?.net ?? ''}>{formatSignedMoney(signal.pnl?.net)}</td>
                  </tr>
                ))}
              </tbody>
            </TableFrame>
          </div>
          <PagerControls label="Signal pages" page={paged.page} next={paged.next} previous={paged.previous} />
        </>
      )}
    </Section>
  )
}

/** Ingest's refusal, or Cerebro's outcome with its coded reasons, as the API gave them. */
function describeOutcome(signal: SenderSignal): string {
  if (signal.status === 'REJECTED') return `refused by ingest: ${signal.rejection_reason ?? 'no reason given'}`
  if (!signal.sizing) return 'no decision on record'
  const reasons = signal.sizing.reasons.length ? ` (${signal.sizing.reasons.join(', ')})` : ''
  return signal.sizing.outcome + reasons
}

function Payouts({ senderId, currency }: { senderId: string; currency: string }) {
  const paged = usePaged<Payout>(`/senders/${encodeURIComponent(senderId)}/payouts`, 12)
  const { query } = paged
  return (
    <Section title="Monthly payouts">
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorState error={query.error} retry={() => query.refetch()} />
      ) : query.data.items.length === 0 ? (
        <Empty>No month has been crystallised yet.</Empty>
      ) : (
        <>
          <TableFrame label="Payouts">
            <thead>
              <tr>
                <th className={th} scope="col">Month</th>
                <th className={thNum} scope="col">Cumulative P&amp;L</th>
                <th className={thNum} scope="col">HWM after</th>
                <th className={thNum} scope="col">Fee</th>
                <th className={thNum} scope="col">Payable ({currency})</th>
                <th className={th} scope="col">Payment date</th>
                <th className={th} scope="col">Paid</th>
              </tr>
            </thead>
            <tbody>
              {query.data.items.map((payout) => {
                const c = payout.crystallisation
                return (
                  <tr key={payout.payout_id}>
                    <td className={td}>{payout.month}</td>
                    <td className={tdNum}>{formatSignedMoney(c?.cumulative_pnl)}</td>
                    <td className={tdNum}>{formatMoney(c?.hwm_after)}</td>
                    <td className={tdNum}>{formatMoney(c?.fee)}</td>
                    <td className={tdNum}>{formatMoney(c?.payable)}</td>
                    <td className={td}>{formatTime(c?.payment_date)}</td>
                    <td className={td}>{payout.paid_at ? `${formatTime(payout.paid_at)} (${payout.paid_reference ?? ''})` : payout.open ? 'open' : '—'}</td>
                  </tr>
                )
              })}
            </tbody>
          </TableFrame>
          <PagerControls label="Payout pages" page={paged.page} next={paged.next} previous={paged.previous} />
        </>
      )}
    </Section>
  )
}
