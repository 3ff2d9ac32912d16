import { useState } from 'react'
import { Link } from 'react-router-dom'
import { useApiQuery } from '../api/queries'
import type { ClientView } from '../api/types'
import { TableFrame, td, tdNum, th, thNum } from '../components/figures'
import { Empty, ErrorState, Loading } from '../components/states'
import { formatFractionAsPercent, formatMoney, formatQuantity, formatSignedMoney } from '../format'
import { AddClient } from './ClientForms'

/** /admin/clients: every investor's holding, each linking to their page (where their deposits
 * and withdrawals are recorded); a new investor is added here. */
export default function Clients() {
  const clients = useApiQuery<{ items: ClientView[] }>('/clients')
  const [adding, setAdding] = useState(false)
  return (
    <>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-2xl font-semibold">Investors</h1>
        {!adding && (
          <button type="button" className="rounded-md bg-blue-800 px-4 py-2 font-semibold text-white" onClick={() => setAdding(true)}>
            Add investor
          </button>
        )}
      </div>
      {adding && <AddClient onDone={() => setAdding(false)} />}
      <div className="mt-4">
        {clients.isPending ? (
          <Loading />
        ) : clients.isError ? (
          <ErrorState error={clients.error} retry={() => clients.refetch()} />
        ) : clients.data.items.length === 0 ? (
          <Empty>No investor yet.</Empty>
        ) : (
          <TableFrame label="Investors">
            <thead>
              <tr>
                <th className={th} scope="col">Investor</th>
                <th className={thNum} scope="col">Units</th>
                <th className={thNum} scope="col">Value</th>
                <th className={thNum} scope="col">Net deposits</th>
                <th className={thNum} scope="col">Profit</th>
                <th className={thNum} scope="col">Money-weighted return</th>
                <th className={th} scope="col">Pending</th>
              </tr>
            </thead>
            <tbody>
              {clients.data.items.map((client) => (
                <tr key={client.client_id}>
                  <td className={td}>
                    <Link className="text-blue-800 underline" to={`/clients/${encodeURIComponent(client.client_id)}`}>{client.name}</Link>
                  </td>
                  <td className={tdNum}>{formatQuantity(client.units)}</td>
                  <td className={tdNum} data-value={client.value}>{formatMoney(client.value)} {client.base_currency}</td>
                  <td className={tdNum}>{formatMoney(client.net_contributions)}</td>
                  <td className={tdNum}>{formatSignedMoney(client.profit)}</td>
                  <td className={tdNum}>{formatFractionAsPercent(client.irr, 2, true)}</td>
                  <td className={td}>{client.pending.length || '—'}</td>
                </tr>
              ))}
            </tbody>
          </TableFrame>
        )}
      </div>
    </>
  )
}
