import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from 'recharts'

// The optimiser's curves are floats (its numerics): statistics of a what-if, not money.
const pct = (value: number) => `${(value * 100).toFixed(1)}%`

export interface FrontierPoint {
  cvar: number
  expected_return_annual: number
}

export function FrontierChart({ frontier, proposal, live }: { frontier: FrontierPoint[]; proposal?: FrontierPoint; live?: FrontierPoint }) {
  return (
    <figure aria-label="Efficient frontier: expected annual return against daily CVaR" className="rounded-lg border border-slate-200 bg-white p-3">
      <figcaption className="mb-2 text-sm font-medium text-slate-700">Efficient frontier (the proposal and the live portfolio marked)</figcaption>
      <div className="h-72 w-full">
        <ResponsiveContainer>
          <ScatterChart margin={{ top: 8, right: 16, bottom: 28, left: 28 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis type="number" dataKey="cvar" name="CVaR" tickFormatter={pct} domain={['auto', 'auto']} label={{ value: 'Daily CVaR (%)', position: 'insideBottom', offset: -16 }} />
            <YAxis type="number" dataKey="expected_return_annual" name="Return" tickFormatter={pct} domain={['auto', 'auto']} width={64} label={{ value: 'Expected return a year (%)', angle: -90, position: 'left', offset: 16, style: { textAnchor: 'middle' } }} />
            <ZAxis range={[60, 60]} />
            <Tooltip formatter={(value) => pct(Number(value))} />
            <Legend verticalAlign="top" />
            <Scatter name="Frontier" data={frontier} fill="#64748b" line isAnimationActive={false} />
            {proposal && <Scatter name="Proposal" data={[proposal]} fill="#1d4ed8" shape="star" isAnimationActive={false} />}
            {live && <Scatter name="Live" data={[live]} fill="#b91c1c" shape="diamond" isAnimationActive={false} />}
          </ScatterChart>
        </ResponsiveContainer>
      </div>
    </figure>
  )
}

export function CurvesChart({ title, unit, dates, proposed, current, format }: { title: string; unit: string; dates: string[]; proposed: number[]; current: number[]; format: (value: number) => string }) {
  const data = dates.map((date, index) => ({ date, proposed: proposed[index], current: current[index] }))
  return (
    <figure aria-label={title} className="rounded-lg border border-slate-200 bg-white p-3">
      <figcaption className="mb-2 text-sm font-medium text-slate-700">{title}</figcaption>
      <div className="h-60 w-full">
        <ResponsiveContainer>
          <LineChart data={data} margin={{ top: 8, right: 16, bottom: 24, left: 28 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="date" minTickGap={48} label={{ value: 'Date', position: 'insideBottom', offset: -12 }} />
            <YAxis width={64} tickFormatter={format} domain={['auto', 'auto']} label={{ value: unit, angle: -90, position: 'left', offset: 16, style: { textAnchor: 'middle' } }} />
            <Tooltip formatter={(value) => format(Number(value))} />
            <Legend verticalAlign="top" />
            <Line name="Proposal" dataKey="proposed" dot={false} stroke="#1d4ed8" isAnimationActive={false} />
            {current.length > 0 && <Line name="Live allocation" dataKey="current" dot={false} stroke="#b91c1c" isAnimationActive={false} />}
          </LineChart>
        </ResponsiveContainer>
      </div>
    </figure>
  )
}
