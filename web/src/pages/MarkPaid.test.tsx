import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test } from 'vitest'
import { ApiError } from '../api/client'
import type { Payout } from '../api/types'
import { FakeApi, FakeAuth, renderTree } from '../test/fakes'
import { validateReference } from './MarkPaid'
import Payouts from './Payouts'

const due: Payout = {
  payout_id: 'acme__2026-11',
  sender_id: 'acme',
  month: '2026-11',
  status: 'DUE',
  open: false,
  crystallisation: {
    cumulative_pnl: '5000',
    hwm_before: '0',
    hwm_after: '5000',
    fee: '1000',
    carried_in: '0',
    payable: '1000',
    carried_out: '0',
    payment_date: '2026-12-01',
  },
  paid_at: null,
  paid_reference: null,
  paid_by: null,
}

function payouts(markPaid: (body: unknown) => unknown) {
  let items = [due]
  const api = new FakeApi({
    'GET /payouts?limit=20': () => ({ items, next_cursor: null }),
    'GET /payouts?status=DUE&limit=20': () => ({ items: items.filter((p) => p.status === 'DUE'), next_cursor: null }),
    'GET /senders': () => ({ items: [] }),
    'GET /fund': () => ({ base_currency: 'USD' }),
    'POST /payouts/acme__2026-11/mark-paid': (body) => {
      const paid = markPaid(body) as Payout
      items = [paid]
      return paid
    },
  })
  const auth = new FakeAuth()
  auth.user = { uid: 'admin', email: 'admin@mats.example' }
  render(renderTree(<Payouts />, { api, auth }))
  return { api, user: userEvent.setup() }
}

const paidWith = (reference: string): Payout => ({ ...due, status: 'PAID', paid_at: '2026-12-03T09:00:00Z', paid_reference: reference, paid_by: 'admin@mats.example' })

describe('marking a payout paid', () => {
  test.each([
    ['', 'Give the payment’s reference'],
    ['   ', 'Give the payment’s reference'],
    ['x'.repeat(201), 'At most 200 characters.'],
  ])('a reference of %j is refused before sending', (reference, message) => {
    expect(validateReference(reference)).toContain(message)
  })

  test('without a reference nothing is sent; with one it is sent trimmed and the row shows the payment', async () => {
    const { api, user } = payouts((body) => paidWith((body as { reference: string }).reference))
    await user.click(await screen.findByRole('button', { name: 'Mark acme__2026-11 paid' }))
    const dialog = screen.getByRole('dialog', { name: 'Mark acme__2026-11 paid' })
    expect(dialog).toHaveTextContent('Payable: 1,000.00 USD to acme for 2026-11')
    await user.click(within(dialog).getByRole('button', { name: 'Record payment' }))
    expect(within(dialog).getByLabelText('Payment reference')).toHaveAttribute('aria-invalid', 'true')
    expect(api.calls.filter((call) => call.method === 'POST')).toEqual([])

    await user.type(within(dialog).getByLabelText('Payment reference'), '  WIRE-2026-12-001 ')
    await user.click(within(dialog).getByRole('button', { name: 'Record payment' }))
    expect(await screen.findByTestId('outcome')).toHaveTextContent('Recorded acme__2026-11 paid (WIRE-2026-12-001).')
    expect(api.calls.filter((call) => call.method === 'POST')).toEqual([{ method: 'POST', path: '/payouts/acme__2026-11/mark-paid', body: { reference: 'WIRE-2026-12-001' } }])
    expect(await screen.findByText(/WIRE-2026-12-001 \(admin@mats.example\)/)).toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Mark acme__2026-11 paid' })).not.toBeInTheDocument()
  })

  test.each([
    [409, 'payout acme__2026-11 was paid with reference WIRE-1', 'Already paid under another reference: payout acme__2026-11 was paid with reference WIRE-1'],
    [422, 'nothing is payable for acme__2026-11', 'Nothing to pay: nothing is payable for acme__2026-11'],
  ])('the API’s %i is shown in the dialog, which stays open', async (status, message, shown) => {
    const { user } = payouts(() => {
      throw new ApiError(status, message, 'payout')
    })
    await user.click(await screen.findByRole('button', { name: 'Mark acme__2026-11 paid' }))
    const dialog = screen.getByRole('dialog')
    await user.type(within(dialog).getByLabelText('Payment reference'), 'WIRE-2')
    await user.click(within(dialog).getByRole('button', { name: 'Record payment' }))
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(shown)
    expect(screen.queryByTestId('outcome')).not.toBeInTheDocument()
  })

  test('with nothing due, the due filter says so', async () => {
    const { user } = payouts(() => paidWith('WIRE-1'))
    await user.click(await screen.findByRole('button', { name: 'Mark acme__2026-11 paid' }))
    await user.type(within(screen.getByRole('dialog')).getByLabelText('Payment reference'), 'WIRE-1')
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Record payment' }))
    await screen.findByTestId('outcome')
    await user.selectOptions(screen.getByLabelText('Status'), 'DUE')
    expect(await screen.findByText('No payout is due: every crystallised fee has been paid.')).toBeInTheDocument()
  })
})
