import { act, render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, test, vi } from 'vitest'
import type { Alert } from '../api/types'
import { aSignal, anOrder } from '../test/activity'
import { FakeApi, FakeAuth, renderTree } from '../test/fakes'
import AdminHome from './AdminHome'

const critical: Alert = { alert_id: 'A1', severity: 'CRITICAL', kind: 'EXIT_FAILED', message: 'exit of trend-es not filled', created_at: '2026-12-03T08:00:00Z' }
const warning: Alert = { alert_id: 'A2', severity: 'WARNING', kind: 'MARGIN', message: 'margin at 35%', created_at: '2026-12-03T08:01:00Z' }

function home(alerts: Alert[], handlers: Record<string, () => unknown> = {}) {
  let open = [...alerts]
  const api = new FakeApi({
    'GET /signals?limit=10': () => ({ items: [], next_cursor: null }),
    'GET /orders?limit=10': () => ({ items: [], next_cursor: null }),
    'GET /fund': () => null,
    'GET /health': () => null,
    'GET /nav/history': () => ({ year: '2026', points: [] }),
    'GET /alerts?outstanding=true': () => ({ items: open }),
    'POST /alerts/A1/acknowledge': () => {
      open = open.filter((alert) => alert.alert_id !== 'A1')
      return { ...critical, acknowledged: true }
    },
    ...handlers,
  })
  const auth = new FakeAuth()
  auth.user = { uid: 'admin', email: 'admin@mats.example' }
  render(renderTree(<AdminHome />, { api, auth }))
  return api
}

describe('the admin home alerts', () => {
  test('a CRITICAL alert is a banner announced at once, and acknowledging it clears it', async () => {
    const api = home([critical, warning])
    const banner = await screen.findByTestId('critical-alerts')
    expect(banner).toHaveAttribute('role', 'alert')
    expect(banner).toHaveTextContent('1 CRITICAL alert: act now')
    expect(banner).toHaveTextContent('exit of trend-es not filled')
    expect(screen.getByText(/margin at 35%/)).toBeInTheDocument()

    await userEvent.setup().click(within(banner).getByRole('button', { name: 'Acknowledge' }))
    expect(api.calls).toContainEqual({ method: 'POST', path: '/alerts/A1/acknowledge', body: undefined })
    await screen.findByText('1 open alert')
    expect(screen.queryByTestId('critical-alerts')).not.toBeInTheDocument()
  })

  test('no open alert says so, and an empty fund is explained', async () => {
    home([])
    expect(await screen.findByText('No open alerts.')).toBeInTheDocument()
    expect(await screen.findByText('No account has reported yet.')).toBeInTheDocument()
    expect(await screen.findByText('No NAV has been struck in 2026 yet.')).toBeInTheDocument()
    expect(await screen.findByText('No signal has arrived yet.')).toBeInTheDocument()
    expect(await screen.findByText('No order has been placed yet.')).toBeInTheDocument()
  })
})

describe('the admin home recent activity', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  test('the last 10 signals and orders are listed, and a new one shows within 5 s without a reload', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    const first = 'trend-es_20261203_080005_1'
    const next = 'trend-es_20261203_080009_1'
    let signals = [aSignal(first)]
    let orders = [anOrder(`${first}_ORD`, { state: 'SUBMITTED', filled_quantity: '0', average_price: null })]
    const api = home([], {
      'GET /signals?limit=10': () => ({ items: signals, next_cursor: first }),
      'GET /orders?limit=10': () => ({ items: orders, next_cursor: null }),
    })
    const row = (await screen.findByText(first)).closest('tr')!
    expect(row.querySelector('[data-column="status"]')).toHaveAttribute('data-status', 'APPROVED')
    expect(row.querySelector('[data-column="price"]')).toHaveTextContent('5,012.25')
    const order = (await screen.findByText(`${first}_ORD`)).closest('tr')!
    expect(order.querySelector('[data-column="fill-price"]')).toHaveAttribute('data-value', '')
    expect(screen.getByRole('link', { name: /All activity/ })).toHaveAttribute('href', '/admin/activity')
    // The home lists the latest ten only: the API's next page is the Activity page's.
    expect(screen.queryByRole('navigation', { name: /pages/ })).not.toBeInTheDocument()

    signals = [aSignal(next, { sizing: null }), ...signals]
    orders = [anOrder(`${first}_ORD`)]
    await act(() => vi.advanceTimersByTimeAsync(5_000))

    expect(await screen.findByText(next)).toBeInTheDocument()
    expect(screen.getByText(next).closest('tr')).toHaveTextContent('no decision on record')
    await vi.waitFor(() => expect(screen.getByText(`${first}_ORD`).closest('tr')!.querySelector('[data-column="fill-price"]')).toHaveTextContent('5,012.5 USD'))
    expect(api.calls.filter((call) => call.path === '/signals?limit=10').length).toBeGreaterThanOrEqual(2)
  })

  test('a list the API cannot give says so beside the other', async () => {
    home([], {
      'GET /signals?limit=10': () => {
        throw new Error('The dashboard API cannot be reached.')
      },
      'GET /orders?limit=10': () => ({ items: [anOrder('trend-es_20261203_080005_1_ORD')], next_cursor: null }),
    })
    const signals = screen.getByRole('region', { name: 'Last 10 signals' })
    expect(await within(signals).findByRole('alert')).toHaveTextContent('The dashboard API cannot be reached.')
    expect(await screen.findByText('trend-es_20261203_080005_1_ORD')).toBeInTheDocument()
  })
})
