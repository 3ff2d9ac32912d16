import { lazy, Suspense, useState } from 'react'
import { useApiQuery } from '../api/queries'
import { Section } from '../components/figures'
import { Empty, ErrorState, Loading } from '../components/states'
import type { NavPoint } from './NavChart'

// Recharts is the heaviest dependency: it loads with the first chart, not with the page.
const NavChart = lazy(() => import('./NavChart'))

/** The fund's NAV per unit, a point per daily strike, one year at a time (`years`: the years
 * the returns tables know, which the picker offers besides this one). */
export function NavHistory({ currency, years = [] }: { currency: string; years?: number[] }) {
  // Until one is picked, the API's default: the fund's current year, by the server's clock.
  const [picked, setPicked] = useState<number | null>(null)
  const history = useApiQuery<{ year: string; points: NavPoint[] }>(picked === null ? '/nav/history' : `/nav/history?year=${picked}`)
  const year = picked ?? (history.data ? Number(history.data.year) : null)
  const offered = [...new Set([...(year === null ? [] : [year]), ...years])].sort((a, b) => b - a)
  return (
    <Section title={year === null ? 'NAV per unit' : `NAV per unit in ${year}`}>
      {offered.length > 1 && year !== null && (
        <label className="mb-2 flex items-center gap-2 text-sm">
          Year
          <select className="rounded-md border border-slate-400 bg-white px-2 py-1" value={year} onChange={(e) => setPicked(Number(e.target.value))}>
            {offered.map((option) => (
              <option key={option} value={option}>{option}</option>
            ))}
          </select>
        </label>
      )}
      {history.isPending ? (
        <Loading />
      ) : history.isError ? (
        <ErrorState error={history.error} retry={() => history.refetch()} />
      ) : history.data.points.length === 0 ? (
        <Empty>No NAV has been struck in {year} yet.</Empty>
      ) : (
        <Suspense fallback={<Loading label="Drawing the chart…" />}>
          <NavChart points={history.data.points} currency={currency} />
        </Suspense>
      )}
    </Section>
  )
}
