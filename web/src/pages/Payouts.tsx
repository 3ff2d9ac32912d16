import { useState } from 'react'
import { useApiQuery } from '../api/queries'
import type { Fund, Payout, SenderSettings } from '../api/types'
import { TableFrame, td, tdNum, th, thNum } from '../components/figures'
import { OutcomeMessages, useOutcome } from '../components/Outcome'
import { PagerControls, usePaged } from '../components/Pager'
import { Empty, ErrorState, Loading } from '../components/states'
import { formatMoney, formatSignedMoney, formatTime } from '../format'
import { MarkPaid } from './MarkPaid'

const STATUS_TONE: Record<string, string> = {
  DUE: 'bg-amber-100 text-amber-900',
  PAID: 'bg-emerald-100 text-emerald-900',
}

const select = 'rounded-md border border-slate-400 bg-white px-2 py-1 text-sm'

/** /admin/operations/payouts: every sender's monthly payouts, newest month first, paged and
 * filtered by status and sender; a due one is marked paid with its payment reference. */
export default function Payouts() {
  const [status, setStatus] = useState('')
  const [senderId, setSenderId] = useState('')
  const query = new URLSearchParams(Object.entries({ status, sender_id: senderId }).filter(([, value]) => value)).toString()
  const senders = useApiQuery<{ items: SenderSettings[] }>('/senders')
  const fund = useApiQuery<Fund | null>('/fund')
  const currency = fund.data?.base_currency ?? ''
  const outcome = useOutcome()

  return (
    <>
      <h1 className="text-2xl font-semibold">Sender payouts</h1>
      <OutcomeMessages outcome={outcome} />
      <form role="search" aria-label="Filter payouts" className="mt-4 flex flex-wrap items-end gap-3" onSubmit={(e) => e.preventDefault()}>
        <label className="text-sm font-medium">
          Status{' '}
          <select className={select} value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">any</option>
            <option value="DUE">due</option>
            <option value="PAID">paid</option>
          </select>
        </label>
        <label className="text-sm font-medium">
          Sender{' '}
          <select className={select} value={senderId} onChange={(e) => setSenderId(e.target.value)}>
            <option value="">every sender</option>
            {senders.data?.items.map((sender) => (
              <option key={sender.sender_id} value={sender.sender_id}>{sender.name}</option>
            ))}
          </select>
        </label>
      </form>
      {/* Keyed by the filters: another filter starts again from its first page. */}
      <PayoutList key={query} path={`/payouts${query ? `?${query}` : ''}`} due={status === 'DUE'} currency={currency} onPaid={outcome.succeeded} />
    </>
  )
}

function PayoutList({ path, due, currency, onPaid }: { path: string; due: boolean; currency: string; onPaid: (message: string) => void }) {
  const paged = usePaged<Payout>(path, 20)
  const list = paged.query
  const [paying, setPaying] = useState<Payout | null>(null)
  return (
    <>
      <div className="mt-4">
        {list.isPending ? (
          <Loading />
        ) : list.isError ? (
          <ErrorState error={list.error} retry={() => list.refetch()} />
        ) : list.data.items.length === 0 ? (
          <Empty>{due ? 'No payout is due: every crystallised fee has been paid.' : 'No payout matches.'}</Empty>
        ) : (
          <>
            <TableFrame label="Payouts">
              <thead>
                <tr>
                  <th className={th} scope="col">Month</th>
                  <th className={th} scope="col">Sender</th>
                  <th className={th} scope="col">Status</th>
                  <th className={thNum} scope="col">Cumulative P&amp;L{currency && ` (${currency})`}</th>
                  <th className={thNum} scope="col">Fee{currency && ` (${currency})`}</th>
                  <th className={thNum} scope="col">Payable{currency && ` (${currency})`}</th>
                  <th className={th} scope="col">Payment date</th>
                  <th className={th} scope="col">Paid</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((payout) => {
                  const crystallised = payout.crystallisation
                  return (
                    <tr key={payout.payout_id} data-payout={payout.payout_id} data-status={payout.status}>
                      <td className={td}>{payout.month}</td>
                      <td className={td + ' font-mono text-xs'}>{payout.sender_id}</td>
                      <td className={td}><span className={`rounded px-2 py-0.5 text-xs font-semibold ${STATUS_TONE[payout.status] ?? 'bg-slate-200 text-slate-800'}`}>{payout.status}</span></td>
                      <td className={tdNum}>{formatSignedMoney(crystallised?.cumulative_pnl)}</td>
                      <td className={tdNum}>{formatMoney(crystallised?.fee)}</td>
                      <td className={tdNum} data-value={crystallised?.payable ?? ''}>{formatMoney(crystallised?.payable)}</td>
                      <td className={td}>{formatTime(crystallised?.payment_date)}</td>
                      <td className={td}>
                        {payout.paid_at ? (
                          <span>{formatTime(payout.paid_at)}: {payout.paid_reference}{payout.paid_by ? ` (${payout.paid_by})` : ''}</span>
                        ) : payout.status === 'DUE' ? (
                          <button type="button" className="rounded-md border border-blue-800 bg-white px-2 py-1 text-sm text-blue-900" aria-label={`Mark ${payout.payout_id} paid`} onClick={() => setPaying(payout)}>
                            Mark paid…
                          </button>
                        ) : (
                          '—'
                        )}
                      </td>
                    </tr>
                  )
                })}
              </tbody>
            </TableFrame>
            <PagerControls label="Payout pages" page={paged.page} next={paged.next} previous={paged.previous} />
          </>
        )}
      </div>
      {paying && <MarkPaid payout={paying} currency={currency} onPaid={onPaid} onClose={() => setPaying(null)} />}
    </>
  )
}
