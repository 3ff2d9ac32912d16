import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import type { SignalPnl } from '../api/types'
import { formatMoney, formatSignedMoney, signOf } from '../format'

// Bar heights need numbers; every figure shown (axis ticks aside) is the API's string, formatted.
export default function SignalPnlChart({ signals }: { signals: SignalPnl[] }) {
  const currencies = [...new Set(signals.map((signal) => signal.currency))].sort().join(', ')
  const points = [...signals].reverse().map((signal) => ({
    id: signal.signal_id,
    label: signal.signal_id.replace(/_(\d{8})_.*/, ' $1'),
    height: Number(signal.net),
    shown: `${formatSignedMoney(signal.net)} ${signal.currency}`,
    sign: signOf(signal.net),
  }))
  return (
    <figure aria-label={`Net P&L per signal in ${currencies}`} className="rounded-lg border border-slate-200 bg-white p-3">
      <figcaption className="mb-2 text-sm font-medium text-slate-700">
        Net P&amp;L per signal, in its instrument's currency ({currencies}); this page, oldest first
      </figcaption>
      <div className="h-64 w-full">
        <ResponsiveContainer>
          <BarChart data={points} margin={{ top: 8, right: 8, bottom: 24, left: 28 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="label" tick={false} label={{ value: 'Signal (oldest to newest)', position: 'insideBottom', offset: -8 }} />
            <YAxis
              width={80}
              tickFormatter={(tick: number) => formatMoney(String(tick), 0)}
              label={{ value: `Net P&L (${currencies})`, angle: -90, position: 'left', offset: 16, style: { textAnchor: 'middle' } }}
            />
            <Tooltip formatter={(_value, _name, item) => [item.payload.shown, item.payload.id]} labelFormatter={() => ''} />
            <Bar dataKey="height" name="Net P&L" isAnimationActive={false}>
              {points.map((point) => (
                <Cell key={point.id} fill={point.sign < 0 ? '#b91c1c' : '#047857'} />
              ))}
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      </div>
    </figure>
  )
}
