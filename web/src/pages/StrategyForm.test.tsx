import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test, vi } from 'vitest'
import { ApiError } from '../api/client'
import { FakeApi, FakeAuth, renderTree } from '../test/fakes'
import { EMPTY_STRATEGY, StrategyForm, validateStrategy } from './StrategyForm'

function form(api: FakeApi, props: Partial<Parameters<typeof StrategyForm>[0]> = {}) {
  const onSaved = vi.fn()
  render(renderTree(<StrategyForm onSaved={onSaved} onCancel={() => {}} {...props} />, { api, auth: new FakeAuth() }))
  return { user: userEvent.setup(), onSaved }
}

async function fillRequired(user: ReturnType<typeof userEvent.setup>) {
  await user.type(screen.getByLabelText('Strategy id'), 'trend-nq')
  await user.type(screen.getByLabelText('Name'), 'NQ Trend')
  await user.type(screen.getByLabelText('Account'), 'IBKR_Futures')
}

describe('the strategy form', () => {
  test('the required fields are asked for before anything is sent', async () => {
    const api = new FakeApi({})
    const { user } = form(api)
    await user.click(screen.getByRole('button', { name: 'Add strategy' }))
    expect(screen.getByText('Give the strategy an id.')).toBeInTheDocument()
    expect(screen.getByText('Give the strategy a name.')).toBeInTheDocument()
    expect(screen.getByLabelText('Account')).toHaveAttribute('aria-invalid', 'true')
    expect(api.calls).toEqual([])
  })

  test.each([
    ['has space', 'strategy_id'],
    ['-leading', 'strategy_id'],
  ])('an id such as %j is refused', (id, field) => {
    expect(validateStrategy({ ...EMPTY_STRATEGY, strategy_id: id, name: 'n', account: 'a' }, true)).toHaveProperty(field)
  })

  test.each(['0', '-5', '25,000', 'lots'])('a money limit of %j is refused', (limit) => {
    const errors = validateStrategy({ ...EMPTY_STRATEGY, strategy_id: 'x', name: 'n', account: 'a', max_daily_loss: limit }, true)
    expect(errors.max_daily_loss).toBe('An amount above 0 in the base currency, e.g. 25000.')
  })

  test('a valid strategy is created with its limits as decimal strings and no empty optional field', async () => {
    const api = new FakeApi({ 'POST /strategies': () => ({}) })
    const { user, onSaved } = form(api)
    await fillRequired(user)
    await user.type(screen.getByLabelText('Max position size (base currency)'), '25000')
    await user.click(screen.getByRole('button', { name: 'Add strategy' }))
    expect(onSaved).toHaveBeenCalledWith('trend-nq')
    expect(api.calls[0].body).toEqual({
      strategy_id: 'trend-nq',
      name: 'NQ Trend',
      status: 'TESTING',
      trading_mode: 'PAPER',
      account: 'IBKR_Futures',
      include_in_optimization: false,
      max_position_size: '25000',
    })
  })

  test('an id taken already is said beside the id', async () => {
    const api = new FakeApi({
      'POST /strategies': () => {
        throw new ApiError(409, 'strategy trend-nq exists')
      },
    })
    const { user, onSaved } = form(api)
    await fillRequired(user)
    await user.click(screen.getByRole('button', { name: 'Add strategy' }))
    expect(await screen.findByText('A strategy trend-nq exists already: pick another id.')).toBeInTheDocument()
    expect(onSaved).not.toHaveBeenCalled()
  })

  test("an unknown account is the API's 422, shown beside the account", async () => {
    const api = new FakeApi({
      'POST /strategies': () => {
        throw new ApiError(422, 'unknown account IBKR_Futures', 'account')
      },
    })
    const { user } = form(api)
    await fillRequired(user)
    await user.click(screen.getByRole('button', { name: 'Add strategy' }))
    expect(await screen.findByText('unknown account IBKR_Futures')).toBeInTheDocument()
    expect(screen.getByLabelText('Account')).toHaveAttribute('aria-invalid', 'true')
  })

  test('an edit keeps the id, clears an emptied limit and guards against a stale edit', async () => {
    const api = new FakeApi({ 'PUT /strategies/trend-es': () => ({}) })
    const initial = { ...EMPTY_STRATEGY, strategy_id: 'trend-es', name: 'ES', account: 'IBKR_Futures', max_daily_loss: '5000' }
    const { user } = form(api, { initial, updatedAt: '2026-12-03T08:07:03Z' })
    expect(screen.getByLabelText('Strategy id')).toHaveAttribute('readonly')
    await user.clear(screen.getByLabelText('Max daily loss (base currency)'))
    await user.click(screen.getByRole('button', { name: 'Save changes' }))
    expect(api.calls[0]).toMatchObject({
      method: 'PUT',
      path: '/strategies/trend-es',
      body: { max_daily_loss: null, expected_updated_at: '2026-12-03T08:07:03Z', name: 'ES' },
    })
  })
})
