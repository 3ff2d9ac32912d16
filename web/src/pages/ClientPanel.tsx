import type { ReactNode } from 'react'
import type { ClientPage, Flow, Returns } from '../api/types'
import { Section, Stat, TableFrame, td, tdNum, th, thNum } from '../components/figures'
import { Empty } from '../components/states'
import { NavHistory } from './NavHistory'
import {
  formatFractionAsPercent,
  formatMoney,
  formatQuantity,
  formatSignedMoney,
  formatTime,
} from '../format'

const MONTH_LABELS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** One client's capital, flows and the fund's time-weighted returns: nothing about trades.
 * `actions` (an admin's) go below the headline figures. */
export function ClientPanel({ page, actions }: { page: ClientPage; actions?: ReactNode }) {
  const { client, returns } = page
  const currency = client.base_currency
  return (
    <>
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-semibold" data-testid="client-name">{client.name}</h1>
        <p className="text-sm text-slate-600">As of {formatTime(client.as_of)}</p>
      </div>
      <dl className="mt-4 grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <Stat label="Capital value" shown={formatMoney(client.value)} value={client.value} unit={currency} testId="client-value" />
        <Stat label="Units held" shown={formatQuantity(client.units)} value={client.units} testId="client-units" />
        <Stat label="NAV per unit" shown={formatMoney(client.nav_per_unit, 6)} value={client.nav_per_unit} unit={currency} testId="client-nav-per-unit" />
        <Stat label="Net deposits" shown={formatMoney(client.net_contributions)} value={client.net_contributions} unit={currency} testId="client-net-contributions" />
        <Stat label="Profit" shown={formatSignedMoney(client.profit)} value={client.profit} unit={currency} tone="signed" testId="client-profit" />
        <Stat label="Your return (money-weighted, a year)" shown={formatFractionAsPercent(client.irr, 2, true)} value={client.irr} tone="signed" testId="client-irr" />
        <Stat label="Fund since inception (time-weighted)" shown={formatFractionAsPercent(returns.since_inception, 2, true)} value={returns.since_inception} tone="signed" testId="fund-since-inception" />
        <Stat label="Fund year to date" shown={formatFractionAsPercent(returns.year_to_date, 2, true)} value={returns.year_to_date} tone="signed" testId="fund-ytd" />
      </dl>
      {actions}
      <NavHistory currency={currency} years={returns.years.map((entry) => entry.year)} />
      {client.pending.length > 0 && (
        <Section title="Pending deposits and withdrawals">
          <FlowTable flows={client.pending} currency={currency} label="Pending deposits and withdrawals" />
        </Section>
      )}
      <Section title="Deposits and withdrawals">
        {client.flows.length ? (
          <FlowTable flows={client.flows} currency={currency} label="Deposits and withdrawals" />
        ) : (
          <Empty>No deposits or withdrawals yet.</Empty>
        )}
      </Section>
      <ReturnsTables returns={returns} />
    </>
  )
}

function FlowTable({ flows, currency, label }: { flows: Flow[]; currency: string; label: string }) {
  return (
    <TableFrame label={label}>
      <thead>
        <tr>
          <th className={th} scope="col">Recorded</th>
          <th className={th} scope="col">Kind</th>
          <th className={thNum} scope="col">Amount ({currency})</th>
          <th className={thNum} scope="col">Units</th>
          <th className={thNum} scope="col">NAV per unit</th>
          <th className={th} scope="col">Status</th>
          <th className={th} scope="col">Paid</th>
        </tr>
      </thead>
      <tbody>
        {flows.map((flow) => (
          <tr key={flow.flow_id}>
            <td className={td}>{formatTime(flow.recorded_at)}</td>
            <td className={td}>{flow.kind === 'DEPOSIT' ? 'Deposit' : 'Withdrawal'}</td>
            <td className={tdNum}>{formatSignedMoney(flow.amount_dealt ?? flow.amount)}</td>
            <td className={tdNum}>{formatQuantity(flow.units_dealt ?? flow.units)}</td>
            <td className={tdNum}>{formatMoney(flow.nav_per_unit, 6)}</td>
            <td className={td}>{flow.status}</td>
            <td className={td}>{flow.paid_at ? formatTime(flow.paid_at) : '—'}</td>
          </tr>
        ))}
      </tbody>
    </TableFrame>
  )
}

function ReturnsTables({ returns }: { returns: Returns }) {
  const byYear = new Map<string, Map<number, string>>()
  for (const month of returns.months) {
    const [year, number] = month.month.split('-')
    if (!byYear.has(year)) byYear.set(year, new Map())
    byYear.get(year)!.set(Number(number), month.value)
  }
  const yearly = new Map(returns.years.map((y) => [String(y.year), y.value]))
  const years = [...new Set([...byYear.keys(), ...yearly.keys()])].sort().reverse()
  return (
    <>
      <Section title="Month-on-month returns (time-weighted, %)">
        {years.length === 0 ? (
          <Empty>No month has closed yet.</Empty>
        ) : (
          <TableFrame label="Monthly returns">
            <thead>
              <tr>
                <th className={th} scope="col">Year</th>
                {MONTH_LABELS.map((label) => (
                  <th key={label} className={thNum} scope="col">{label}</th>
                ))}
                <th className={thNum} scope="col">Year</th>
              </tr>
            </thead>
            <tbody>
              {years.map((year) => (
                <tr key={year}>
                  <th className={td + ' font-medium'} scope="row">{year}</th>
                  {MONTH_LABELS.map((label, index) => {
                    const value = byYear.get(year)?.get(index + 1)
                    return (
                      <td key={label} className={tdNum} data-month={`${year}-${String(index + 1).padStart(2, '0')}`} data-value={value ?? ''}>
                        {value === undefined ? '' : formatFractionAsPercent(value, 2, true)}
                      </td>
                    )
                  })}
                  <td className={tdNum + ' font-semibold'} data-year={year} data-value={yearly.get(year) ?? ''}>
                    {yearly.has(year) ? formatFractionAsPercent(yearly.get(year), 2, true) : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </TableFrame>
        )}
      </Section>
      <Section title="Year-on-year returns (time-weighted)">
        {returns.years.length === 0 ? (
          <Empty>No year of returns yet.</Empty>
        ) : (
          <ul className="grid grid-cols-2 gap-3 sm:grid-cols-4">
            {[...returns.years].reverse().map((year) => (
              <li key={year.year} className="rounded-lg border border-slate-200 bg-white p-3">
                <span className="text-sm text-slate-600">{year.year}</span>
                <span className="block text-xl font-semibold tabular-nums">{formatFractionAsPercent(year.value, 2, true)}</span>
              </li>
            ))}
          </ul>
        )}
        <p className="mt-2 text-sm text-slate-600">
          The fund's returns per unit, the same for every investor; the current year is to date. Maximum drawdown:{' '}
          {formatFractionAsPercent(returns.max_drawdown)}.
        </p>
      </Section>
    </>
  )
}
