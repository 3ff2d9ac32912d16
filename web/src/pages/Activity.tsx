import type { ReactNode } from 'react'
import type { Fill, OrderSummary, SignalSummary } from '../api/types'
import { Section } from '../components/figures'
import { PagerControls, usePaged } from '../components/Pager'
import { Empty, ErrorState, Loading } from '../components/states'
import { FillsTable, OrdersTable, SignalsTable } from './ActivityTables'

const PAGE = 50 // The fund's plan: the last 50 signals, and the last 50 orders and executions.

/** /admin/activity: signals with Cerebro's decision log, orders and executions, newest first. */
export default function Activity() {
  const signals = usePaged<SignalSummary>('/signals', PAGE)
  const orders = usePaged<OrderSummary>('/orders', PAGE)
  const fills = usePaged<Fill>('/fills', PAGE)
  return (
    <>
      <h1 className="text-2xl font-semibold">Activity</h1>
      <p className="mt-1 text-sm text-slate-600">Newest first. Open a signal&apos;s decision log for every input, step, limit and reason behind what Cerebro did with it.</p>
      <Section title="Signals">
        <Paged paged={signals} label="Signal pages" empty="No signal has arrived yet.">
          {(items) => <SignalsTable label="Signals, newest first" signals={items} withDecisions />}
        </Paged>
      </Section>
      <Section title="Orders">
        <Paged paged={orders} label="Order pages" empty="No order has been placed yet.">
          {(items) => <OrdersTable label="Orders, newest first" orders={items} />}
        </Paged>
      </Section>
      <Section title="Executions">
        <Paged paged={fills} label="Execution pages" empty="Nothing has been executed yet.">
          {(items) => <FillsTable label="Executions, newest first" fills={items} />}
        </Paged>
      </Section>
    </>
  )
}

function Paged<T>({ paged, label, empty, children }: { paged: ReturnType<typeof usePaged<T>>; label: string; empty: string; children: (items: T[]) => ReactNode }) {
  const { query } = paged
  if (query.isPending) return <Loading />
  if (query.isError) return <ErrorState error={query.error} retry={() => query.refetch()} />
  if (query.data.items.length === 0 && paged.page === 1) return <Empty>{empty}</Empty>
  return (
    <>
      {children(query.data.items)}
      <PagerControls label={label} page={paged.page} next={paged.next} previous={paged.previous} />
    </>
  )
}
