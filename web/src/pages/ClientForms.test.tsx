import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test } from 'vitest'
import { ApiError } from '../api/client'
import { FakeApi, FakeAuth, renderTree } from '../test/fakes'
import { AddClient, RecordFlow, validateFlow } from './ClientForms'

function flowForm(deposit: (body: unknown) => unknown) {
  const api = new FakeApi({ 'POST /clients/jane/deposits': deposit, 'POST /clients/jane/withdrawals': deposit })
  render(renderTree(<RecordFlow clientId="jane" currency="USD" />, { api, auth: new FakeAuth() }))
  return { api, user: userEvent.setup() }
}

const requestIds = (api: FakeApi) => api.calls.map((call) => (call.body as { request_id: string }).request_id)

describe('recording a deposit or withdrawal', () => {
  test.each(['0', '0.00', '-5', '1,000', '10.005', 'lots'])('an amount of %j is refused before sending', (value) => {
    expect(validateFlow({ kind: 'deposit', in: 'amount', value, date: '' }).value).toBe('An amount above 0, to the cent, e.g. 25000.50.')
  })

  test('units to 6 decimals are a withdrawal’s, not a deposit’s', () => {
    expect(validateFlow({ kind: 'withdrawal', in: 'units', value: '12.123456', date: '' })).toEqual({})
    expect(validateFlow({ kind: 'deposit', in: 'amount', value: '12.123456', date: '' })).toHaveProperty('value')
  })

  test('a retry of the same submission carries the same request id; the next flow a new one', async () => {
    let answers = 0
    const { api, user } = flowForm((body) => {
      answers += 1
      if (answers === 1) throw new ApiError(0, 'The dashboard API cannot be reached. Check your connection and try again.')
      return { flow_id: 'F1', kind: 'DEPOSIT', status: 'PENDING', amount: (body as { amount: string }).amount, units: null }
    })
    await user.type(screen.getByLabelText('Amount (USD)'), '25000.50')
    await user.click(screen.getByRole('button', { name: 'Record deposit' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('cannot be reached')
    await user.click(screen.getByRole('button', { name: 'Record deposit' }))
    expect(await screen.findByTestId('outcome')).toHaveTextContent('Deposit of 25,000.50 USD recorded (PENDING): it is dealt at the next NAV strike.')
    const [first, retry] = requestIds(api)
    expect(first).toMatch(/^[A-Za-z0-9-]{8,64}$/)
    expect(retry).toBe(first)
    expect(api.calls[1].body).toEqual({ request_id: first, amount: '25000.50' })

    await user.type(screen.getByLabelText('Amount (USD)'), '100')
    await user.click(screen.getByRole('button', { name: 'Record deposit' }))
    await screen.findByText(/Deposit of 100.00 USD/)
    expect(requestIds(api)[2]).not.toBe(first)
  })

  test('a withdrawal in units sends units, and the API’s refusal is said beside the field', async () => {
    const { api, user } = flowForm(() => {
      throw new ApiError(422, 'more than the free holding of 120.000000 units', 'units')
    })
    await user.click(screen.getByLabelText('Withdrawal'))
    await user.click(screen.getByLabelText('units'))
    await user.type(screen.getByLabelText('Units'), '500')
    await user.click(screen.getByRole('button', { name: 'Record withdrawal' }))
    expect(await screen.findByText('more than the free holding of 120.000000 units')).toBeInTheDocument()
    expect(screen.getByLabelText('Units')).toHaveAttribute('aria-invalid', 'true')
    expect(api.calls[0]).toMatchObject({ path: '/clients/jane/withdrawals', body: { units: '500' } })
  })
})

describe('adding an investor', () => {
  test('a malformed id is refused before sending, a taken one by the API beside the id', async () => {
    const api = new FakeApi({
      'POST /clients': () => {
        throw new ApiError(409, "a client 'jane' exists already", 'client_id')
      },
    })
    render(renderTree(<AddClient onDone={() => {}} />, { api, auth: new FakeAuth() }))
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Client id'), 'has space')
    await user.type(screen.getByLabelText('Name'), 'Jane')
    await user.click(screen.getByRole('button', { name: 'Add investor' }))
    expect(screen.getByLabelText('Client id')).toHaveAttribute('aria-invalid', 'true')
    expect(api.calls).toEqual([])
    await user.clear(screen.getByLabelText('Client id'))
    await user.type(screen.getByLabelText('Client id'), 'jane')
    await user.click(screen.getByRole('button', { name: 'Add investor' }))
    expect(await screen.findByText("a client 'jane' exists already")).toBeInTheDocument()
    expect(api.calls[0].body).toEqual({ client_id: 'jane', name: 'Jane' })
  })
})
