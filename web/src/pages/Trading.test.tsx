import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test } from 'vitest'
import { ApiError } from '../api/client'
import type { Alert, RiskOverview, RiskState, ScopeRisk } from '../api/types'
import { FakeApi, FakeAuth, renderTree } from '../test/fakes'
import Trading from './Trading'

function scope(strategyId: string | null, state: RiskState = 'ACTIVE'): ScopeRisk {
  return { scope: strategyId ? `strategy:${strategyId}` : 'global', strategy_id: strategyId, state, in_force: state, reason: null, set_by: null, updated_at: null }
}

const exitHeld: Alert = { alert_id: 'A1', severity: 'CRITICAL', kind: 'EXIT_HELD', message: 'exit of trend-es held: trading is HALTED', created_at: '2026-12-03T08:00:00Z', acknowledged: false }

function page({ refuse = false, alerts = [] as Alert[] } = {}) {
  let risk: RiskOverview = { fund: scope(null), strategies: [scope('trend-es'), scope('gold-swing')] }
  const api = new FakeApi({
    'GET /risk': () => risk,
    'GET /alerts?outstanding=true&limit=200': () => ({ items: alerts.filter((alert) => !alert.acknowledged) }),
    'GET /alerts?limit=100': () => ({ items: alerts }),
    'PUT /risk/fund': (body) => {
      if (refuse) throw new ApiError(503, 'the data store is unavailable')
      const { state, reason } = body as { state: RiskState; reason: string | null }
      risk = { ...risk, fund: { ...scope(null, state), reason, set_by: 'admin@mats.example', updated_at: '2026-12-03T09:00:00Z' } }
      return risk.fund
    },
    'PUT /risk/strategies/trend-es': (body) => {
      const { state } = body as { state: RiskState }
      risk = { ...risk, strategies: [scope('trend-es', state), scope('gold-swing')] }
      return risk.strategies[0]
    },
  })
  const auth = new FakeAuth()
  auth.user = { uid: 'admin', email: 'admin@mats.example' }
  render(renderTree(<Trading />, { api, auth }))
  return { api, user: userEvent.setup() }
}

const writes = (api: FakeApi) => api.calls.filter((call) => call.method !== 'GET')

describe('halting and resuming trading', () => {
  test('Halt asks first, says what a halt does, and sends nothing when cancelled', async () => {
    const { api, user } = page()
    await user.click(await screen.findByRole('button', { name: 'Halt the fund' }))
    const dialog = screen.getByRole('dialog', { name: 'Halt the fund?' })
    expect(dialog).toHaveTextContent('every new entry is refused (TRADING_HALTED)')
    expect(dialog).toHaveTextContent('exits are held, not sent')
    expect(within(dialog).getByLabelText('Reason (shown on every decision it affects)')).toHaveFocus()

    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }))
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Halt the fund' }))
    await user.keyboard('{Escape}')
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument()
    expect(writes(api)).toEqual([])
  })

  test('confirmed, the halt is sent once with its reason and the page shows the fund HALTED', async () => {
    const { api, user } = page()
    await user.click(await screen.findByRole('button', { name: 'Halt the fund' }))
    const dialog = screen.getByRole('dialog')
    await user.type(within(dialog).getByLabelText(/Reason/), '  venue outage  ')
    await user.dblClick(within(dialog).getByRole('button', { name: 'Halt the fund' }))

    expect(await screen.findByTestId('outcome')).toHaveTextContent('The fund is now HALTED (venue outage).')
    expect(writes(api)).toEqual([{ method: 'PUT', path: '/risk/fund', body: { state: 'HALTED', reason: 'venue outage' } }])
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument()
    expect(await screen.findByTestId('fund-state')).toHaveTextContent('HALTED')
    expect(screen.getByTestId('fund-risk')).toHaveTextContent('Set by admin@mats.example at 2026-12-03 09:00 UTC: venue outage')
    // Halted, the fund offers Resume (and Reduce only), no longer Halt.
    expect(screen.queryByRole('button', { name: 'Halt the fund' })).not.toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Resume the fund' }))
    expect(screen.getByRole('dialog', { name: 'Resume the fund?' })).toHaveTextContent('exits held by a halt are sent now')
  })

  test('a refused change is said in the dialog, which stays open, and nothing is shown as done', async () => {
    const { user } = page({ refuse: true })
    await user.click(await screen.findByRole('button', { name: 'Halt the fund' }))
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Halt the fund' }))
    expect(await within(screen.getByRole('dialog')).findByRole('alert')).toHaveTextContent('Refused: the data store is unavailable')
    expect(screen.queryByTestId('outcome')).not.toBeInTheDocument()
    expect(screen.getByTestId('fund-state')).toHaveTextContent('ACTIVE')
  })

  test('a strategy is set to reduce only on its own, with the exits-only wording', async () => {
    const { api, user } = page()
    await user.click(await screen.findByRole('button', { name: 'Reduce only trend-es' }))
    const dialog = screen.getByRole('dialog', { name: 'Reduce only trend-es?' })
    expect(dialog).toHaveTextContent('new entries are refused (REDUCING_ONLY); exits still go out')
    await user.click(within(dialog).getByRole('button', { name: 'Set trend-es to reduce only' }))
    expect(await screen.findByTestId('outcome')).toHaveTextContent('trend-es is now REDUCING.')
    expect(writes(api)).toEqual([{ method: 'PUT', path: '/risk/strategies/trend-es', body: { state: 'REDUCING', reason: null } }])
  })

  test('an open CRITICAL alert is a banner at the top, and the log lists it with Acknowledge', async () => {
    page({ alerts: [exitHeld] })
    const banner = await screen.findByTestId('critical-alerts')
    expect(banner).toHaveAttribute('role', 'alert')
    expect(banner).toHaveTextContent('exit of trend-es held')
    const log = await screen.findByRole('region', { name: 'Alerts' })
    expect(within(log).getByRole('button', { name: 'Acknowledge' })).toBeInTheDocument()
  })
})
