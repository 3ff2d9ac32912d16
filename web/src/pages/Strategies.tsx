import { useQueryClient } from '@tanstack/react-query'
import { Fragment, useState } from 'react'
import { ApiError } from '../api/client'
import { useApiQuery } from '../api/queries'
import { useServices } from '../app'
import { TableFrame, td, th } from '../components/figures'
import { PagerControls, usePaged } from '../components/Pager'
import { Empty, ErrorState, Loading } from '../components/states'
import { formatMoney } from '../format'
import { StrategyForm, type StrategyFields } from './StrategyForm'
import { SyncBacktest } from './SyncBacktest'

interface Strategy {
  strategy_id: string
  name: string
  status: 'ACTIVE' | 'INACTIVE' | 'TESTING'
  trading_mode: 'LIVE' | 'PAPER'
  account: string
  updated_at: string
  include_in_optimization: boolean
  risk_limits: { max_position_size: string | null; max_daily_loss: string | null }
  notes: string | null
  // In the list only: whether backtest data is stored (without it the optimiser leaves it out).
  has_backtest?: boolean
}

interface StrategyDetail {
  strategy: Strategy
  backtest: { statistics: Record<string, number | string>; currency: string; updated_at: string; source: string } | null
}

const STATUS_BADGE: Record<string, string> = {
  ACTIVE: 'bg-emerald-100 text-emerald-900',
  TESTING: 'bg-yellow-100 text-yellow-900',
  INACTIVE: 'bg-slate-200 text-slate-800',
}
const MODE_BADGE: Record<string, string> = { LIVE: 'bg-blue-100 text-blue-900', PAPER: 'bg-slate-200 text-slate-800' }

function Badge({ text, tone }: { text: string; tone: string }) {
  return <span className={`rounded px-2 py-0.5 text-xs font-semibold ${tone}`}>{text}</span>
}

const select = 'rounded-md border border-slate-400 bg-white px-2 py-1 text-sm'

/** /admin/strategies: the registry, filtered and searched; status, mode and the optimiser toggle
 * save on change (guarded by `expected_updated_at`); delete asks first and says why the API refuses. */
export default function Strategies() {
  const [filters, setFilters] = useState({ status: '', account: '', mode: '', search: '' })
  const query = new URLSearchParams(Object.entries(filters).filter(([, value]) => value.trim() !== '')).toString()
  const paged = usePaged<Strategy>(`/strategies${query ? `?${query}` : ''}`, 50)
  const list = paged.query
  const queries = useQueryClient()
  const [adding, setAdding] = useState(false)
  const [notice, setNotice] = useState<string | null>(null)
  return (
    <>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-2xl font-semibold">Strategies</h1>
        {!adding && (
          <button type="button" className="rounded-md bg-blue-800 px-4 py-2 font-semibold text-white" onClick={() => setAdding(true)}>
            Add strategy
          </button>
        )}
      </div>
      {notice && <p role="status" className="mt-3 rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-emerald-900">{notice}</p>}
      {adding && (
        <div className="mt-4">
          <StrategyForm
            onCancel={() => setAdding(false)}
            onSaved={async (id) => {
              setAdding(false)
              setNotice(`Added ${id}.`)
              await queries.invalidateQueries()
            }}
          />
        </div>
      )}
      <form role="search" aria-label="Filter strategies" className="mt-4 flex flex-wrap items-end gap-3" onSubmit={(e) => e.preventDefault()}>
        <label className="text-sm font-medium">
          Status{' '}
          <select className={select} value={filters.status} onChange={(e) => setFilters({ ...filters, status: e.target.value })}>
            <option value="">any</option>
            <option>ACTIVE</option>
            <option>TESTING</option>
            <option>INACTIVE</option>
          </select>
        </label>
        <label className="text-sm font-medium">
          Mode{' '}
          <select className={select} value={filters.mode} onChange={(e) => setFilters({ ...filters, mode: e.target.value })}>
            <option value="">any</option>
            <option>LIVE</option>
            <option>PAPER</option>
          </select>
        </label>
        <label className="text-sm font-medium">
          Account{' '}
          <input className={select + ' w-36'} value={filters.account} onChange={(e) => setFilters({ ...filters, account: e.target.value })} />
        </label>
        <label className="text-sm font-medium">
          Search{' '}
          <input type="search" className={select + ' w-44'} value={filters.search} onChange={(e) => setFilters({ ...filters, search: e.target.value })} />
        </label>
      </form>
      <div className="mt-4">
        {list.isPending ? (
          <Loading />
        ) : list.isError ? (
          <ErrorState error={list.error} retry={() => list.refetch()} />
        ) : list.data.items.length === 0 ? (
          <Empty>No strategy matches.</Empty>
        ) : (
          <>
            <TableFrame label="Strategies">
              <thead>
                <tr>
                  <th className={th} scope="col">Strategy</th>
                  <th className={th} scope="col">Status</th>
                  <th className={th} scope="col">Mode</th>
                  <th className={th} scope="col">Account</th>
                  <th className={th} scope="col">Optimise</th>
                  <th className={th} scope="col"><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((strategy) => (
                  <StrategyRow key={strategy.strategy_id} strategy={strategy} />
                ))}
              </tbody>
            </TableFrame>
            <PagerControls label="Strategy pages" page={paged.page} next={paged.next} previous={paged.previous} />
          </>
        )}
      </div>
    </>
  )
}

function StrategyRow({ strategy }: { strategy: Strategy }) {
  const { api } = useServices()
  const queries = useQueryClient()
  const [open, setOpen] = useState(false)
  const [editing, setEditing] = useState(false)
  const [confirming, setConfirming] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [saving, setSaving] = useState(false)
  const id = strategy.strategy_id

  async function save(change: Partial<Strategy>) {
    setSaving(true)
    setError(null)
    try {
      await api.send('PUT', `/strategies/${encodeURIComponent(id)}`, { ...change, expected_updated_at: strategy.updated_at })
      await queries.invalidateQueries()
    } catch (saveError) {
      setError(saveError instanceof ApiError && saveError.status === 409 ? 'Someone changed this strategy meanwhile; the list is reloaded, try again.' : saveError instanceof Error ? saveError.message : 'Not saved.')
      await queries.invalidateQueries()
    } finally {
      setSaving(false)
    }
  }

  async function remove() {
    setError(null)
    try {
      await api.send('DELETE', `/strategies/${encodeURIComponent(id)}`)
      await queries.invalidateQueries()
    } catch (deleteError) {
      setError(deleteError instanceof ApiError && deleteError.status === 409 ? `Not deleted: ${deleteError.message}` : deleteError instanceof Error ? deleteError.message : 'Not deleted.')
      setConfirming(false)
    }
  }

  return (
    <Fragment>
      <tr data-strategy={id} aria-busy={saving} data-backtest={strategy.has_backtest === false ? 'missing' : 'stored'} className={strategy.has_backtest === false ? 'outline outline-2 -outline-offset-2 outline-red-700' : ''}>
        <td className={td}>
          <button type="button" className="text-left text-blue-800 underline" aria-expanded={open} onClick={() => setOpen(!open)}>
            <span className="font-mono text-xs">{id}</span>
            <span className="block text-slate-700 no-underline">{strategy.name}</span>
          </button>
          {strategy.has_backtest === false && <span className="mt-1 block text-xs font-semibold text-red-800">No backtest data</span>}
        </td>
        <td className={td}>
          <div className="flex items-center gap-2">
            <Badge text={strategy.status} tone={STATUS_BADGE[strategy.status] ?? ''} />
            <select aria-label={`Status of ${id}`} className={select} value={strategy.status} disabled={saving} onChange={(e) => save({ status: e.target.value as Strategy['status'] })}>
              <option>ACTIVE</option>
              <option>TESTING</option>
              <option>INACTIVE</option>
            </select>
          </div>
        </td>
        <td className={td}>
          <div className="flex items-center gap-2">
            <Badge text={strategy.trading_mode} tone={MODE_BADGE[strategy.trading_mode] ?? ''} />
            <select aria-label={`Mode of ${id}`} className={select} value={strategy.trading_mode} disabled={saving} onChange={(e) => save({ trading_mode: e.target.value as Strategy['trading_mode'] })}>
              <option>LIVE</option>
              <option>PAPER</option>
            </select>
          </div>
        </td>
        <td className={td}>{strategy.account}</td>
        <td className={td}>
          <input type="checkbox" className="size-5" aria-label={`Include ${id} in optimisation`} checked={strategy.include_in_optimization} disabled={saving} onChange={(e) => save({ include_in_optimization: e.target.checked })} />
        </td>
        <td className={td}>
          <span className="flex gap-2">
          <button type="button" className="rounded-md border border-blue-800 px-2 py-1 text-sm text-blue-900" onClick={() => setEditing(true)} aria-label={`Edit ${id}`}>Edit</button>
          {confirming ? (
            <span className="flex gap-2">
              <button type="button" className="rounded-md bg-red-800 px-2 py-1 text-sm text-white" onClick={remove}>Delete {id}</button>
              <button type="button" className="rounded-md border border-slate-400 px-2 py-1 text-sm" onClick={() => setConfirming(false)}>Keep</button>
            </span>
          ) : (
            <button type="button" className="rounded-md border border-red-800 px-2 py-1 text-sm text-red-800" onClick={() => setConfirming(true)}>Delete…</button>
          )}
          </span>
        </td>
      </tr>
      {error && (
        <tr>
          <td colSpan={6} className={td}>
            <p role="alert" className="text-sm text-red-800">{error}</p>
          </td>
        </tr>
      )}
      {editing && (
        <tr>
          <td colSpan={6} className={td + ' whitespace-normal'}>
            <StrategyForm
              initial={fieldsOf(strategy)}
              updatedAt={strategy.updated_at}
              onCancel={() => setEditing(false)}
              onSaved={async () => {
                setEditing(false)
                await queries.invalidateQueries()
              }}
            />
          </td>
        </tr>
      )}
      {open && (
        <tr>
          <td colSpan={6} className={td + ' whitespace-normal bg-slate-50'}>
            <StrategyDetails id={id} strategy={strategy} />
          </td>
        </tr>
      )}
    </Fragment>
  )
}

function StrategyDetails({ id, strategy }: { id: string; strategy: Strategy }) {
  const detail = useApiQuery<StrategyDetail>(`/strategies/${encodeURIComponent(id)}`)
  if (detail.isPending) return <Loading />
  if (detail.isError) return <ErrorState error={detail.error} retry={() => detail.refetch()} />
  const backtest = detail.data.backtest
  const stats = backtest?.statistics ?? {}
  const pct = (value: number | string | undefined) => (typeof value === 'number' ? `${(value * 100).toFixed(2)}%` : '—')
  return (
    <div className={`grid gap-2 rounded-md p-3 text-sm sm:grid-cols-2 ${backtest ? '' : 'border-2 border-red-700'}`} data-testid={`details-${id}`}>
      <p>
        Limits: max position {formatMoney(strategy.risk_limits.max_position_size)}, max daily loss {formatMoney(strategy.risk_limits.max_daily_loss)}
      </p>
      <p>{strategy.notes}</p>
      <div className="sm:col-span-2">
        <SyncBacktest strategyId={id} />
      </div>
      {backtest ? (
        <dl className="grid grid-cols-2 gap-x-4 gap-y-1 sm:col-span-2 sm:grid-cols-4">
          <dt className="text-slate-600">Sharpe</dt>
          <dd>{typeof stats.sharpe === 'number' ? stats.sharpe.toFixed(2) : '—'}</dd>
          <dt className="text-slate-600">Max drawdown</dt>
          <dd>{pct(stats.max_drawdown)}</dd>
          <dt className="text-slate-600">Volatility (a year)</dt>
          <dd>{pct(stats.volatility_annual)}</dd>
          <dt className="text-slate-600">Return (a year)</dt>
          <dd>{pct(stats.mean_annual)}</dd>
          <dt className="text-slate-600">Period</dt>
          <dd>{stats.start ?? '—'} to {stats.end ?? '—'} ({stats.observations ?? 0} days)</dd>
          <dt className="text-slate-600">Win rate (days)</dt>
          <dd title="The share of the days with a non-zero return that gained">{pct(stats.win_rate)}</dd>
          <dt className="text-slate-600">Trades</dt>
          <dd>{stats.total_trades ?? '—'}</dd>
        </dl>
      ) : (
        <p className="font-semibold text-red-800 sm:col-span-2">No backtest data: the optimiser leaves it out.</p>
      )}
    </div>
  )
}

function fieldsOf(strategy: Strategy & { developer_contact?: string | null }): StrategyFields {
  return {
    strategy_id: strategy.strategy_id,
    name: strategy.name,
    status: strategy.status,
    trading_mode: strategy.trading_mode,
    account: strategy.account,
    include_in_optimization: strategy.include_in_optimization,
    max_position_size: strategy.risk_limits.max_position_size ?? '',
    max_daily_loss: strategy.risk_limits.max_daily_loss ?? '',
    developer_contact: strategy.developer_contact ?? '',
    notes: strategy.notes ?? '',
  }
}
