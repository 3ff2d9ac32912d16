import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test } from 'vitest'
import type { Alert } from '../api/types'
import { FakeApi, FakeAuth, renderTree } from '../test/fakes'
import AdminHome from './AdminHome'

const critical: Alert = { alert_id: 'A1', severity: 'CRITICAL', kind: 'EXIT_FAILED', message: 'exit of trend-es not filled', created_at: '2026-12-03T08:00:00Z' }
const warning: Alert = { alert_id: 'A2', severity: 'WARNING', kind: 'MARGIN', message: 'margin at 35%', created_at: '2026-12-03T08:01:00Z' }

function home(alerts: Alert[]) {
  let open = [...alerts]
  const api = new FakeApi({
    'GET /fund': () => null,
    'GET /health': () => null,
    'GET /nav/history': () => ({ year: '2026', points: [] }),
    'GET /alerts?outstanding=true': () => ({ items: open }),
    'POST /alerts/A1/acknowledge': () => {
      open = open.filter((alert) => alert.alert_id !== 'A1')
      return { ...critical, acknowledged: true }
    },
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
  })
})
