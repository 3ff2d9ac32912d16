import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { formatMoney } from '../format'

export interface NavPoint {
  on: string
  nav_per_unit: string
}

// The line's height needs numbers; the tooltip shows the API's string, formatted.
export default function NavChart({ points, currency }: { points: NavPoint[]; currency: string }) {
  const data = points.map((point) => ({ on: point.on, height: Number(point.nav_per_unit), shown: formatMoney(point.nav_per_unit, 6) }))
  return (
    <figure aria-label={`NAV per unit in ${currency}, a point per strike`} className="rounded-lg border border-slate-200 bg-white p-3">
      <figcaption className="mb-2 text-sm font-medium text-slate-700">NAV per unit ({currency}), a point per daily strike</figcaption>
      <div className="h-64 w-full">
        <ResponsiveContainer>
          <LineChart data={data} margin={{ top: 8, right: 16, bottom: 24, left: 28 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="on" minTickGap={48} label={{ value: 'Strike date (UTC)', position: 'insideBottom', offset: -12 }} />
            <YAxis
              width={72}
              domain={['auto', 'auto']}
              tickFormatter={(tick: number) => tick.toFixed(2)}
              label={{ value: `NAV per unit (${currency})`, angle: -90, position: 'left', offset: 16, style: { textAnchor: 'middle' } }}
            />
            <Tooltip formatter={(_value, _name, item) => [`${item.payload.shown} ${currency}`, 'NAV per unit']} />
            <Line type="monotone" dataKey="height" dot={false} stroke="#1e40af" strokeWidth={2} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </figure>
  )
}
