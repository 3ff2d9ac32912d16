import { render, screen, within } from '@testing-library/react'
import { describe, expect, test } from 'vitest'
import type { CurrentAllocation, Recommendation } from '../api/types'
import { FakeApi, FakeAuth, renderTree } from '../test/fakes'
import Allocations from './Allocations'

const base = { created_at: '2026-12-02T22:00:00Z', source: 'optimizer', notes: null, run_id: 'OPT_1', based_on: null, rejected_by: null, rejection_reason: null }
const current: CurrentAllocation = {
  ...base,
  allocation_id: 'ALLOC_A',
  status: 'ACTIVE',
  allocations: { 'trend-es': '30', 'carry-fx': '20' },
  activated_at: '2026-12-01T08:00:00Z',
  approved_by: 'admin@mats.example',
  metrics: {},
  capital: { base_currency: 'USD', equity: '250000.00', by_strategy: { 'trend-es': '75000.00', 'carry-fx': '50000.00' } },
}
const pending: Recommendation = {
  ...base,
  allocation_id: 'ALLOC_B',
  status: 'PENDING_APPROVAL',
  allocations: { 'trend-es': '50', 'carry-fx': '10' },
  activated_at: null,
  approved_by: null,
  metrics: {},
  against_current: [
    { strategy_id: 'carry-fx', current: '20', recommended: '10', change: '-10' },
    { strategy_id: 'trend-es', current: '30', recommended: '50', change: '20' },
  ],
}

function page() {
  const api = new FakeApi({
    'GET /portfolio/allocations/current': () => current,
    'GET /portfolio/allocations/latest-recommendation': () => pending,
  })
  const auth = new FakeAuth()
  auth.user = { uid: 'admin', email: 'admin@mats.example' }
  render(renderTree(<Allocations />, { api, auth }))
}

describe('the allocations page', () => {
  test("shows each strategy's capital as the API gives it, in the base currency", async () => {
    page()
    await screen.findByText('75,000.00')
    const [, table] = screen.getAllByRole('region', { name: 'Current allocation' }) // The section, then its table.
    const row = within(table).getByText('trend-es').closest('tr')!
    expect(row).toHaveTextContent('30.00%')
    expect(row).toHaveTextContent('75,000.00')
    expect(within(table).getByRole('columnheader', { name: 'Capital (USD)' })).toBeInTheDocument()
    expect(screen.getByText(/fund's equity of 250,000.00 USD/)).toBeInTheDocument()
  })

  test('lists the recommendation beside the allocation in force with the change, signed', async () => {
    page()
    const table = await screen.findByRole('region', { name: 'Recommended against current' })
    const up = within(table).getByText('trend-es').closest('tr')!
    const down = within(table).getByText('carry-fx').closest('tr')!
    expect(up).toHaveTextContent('30.00%50.00%+20.00 pp')
    expect(down).toHaveTextContent('20.00%10.00%−10.00 pp')
  })
})
