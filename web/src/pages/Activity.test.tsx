import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test } from 'vitest'
import { ApiError } from '../api/client'
import type { Decision } from '../api/types'
import { aDecision, aSignal, anOrder } from '../test/activity'
import { FakeApi, FakeAuth, renderTree } from '../test/fakes'
import Activity from './Activity'

const DECIDED = 'trend-es_20261203_080005_1'
const UNDECIDED = 'trend-es_20261203_080004_1'
const TURNED_AWAY = 'mr-spy_20261203_080003_1'

function activity(handlers: Record<string, (body?: unknown) => unknown> = {}) {
  const api = new FakeApi({
    'GET /signals?limit=50': () => ({
      items: [
        aSignal(DECIDED),
        aSignal(UNDECIDED, { sizing: null }),
        aSignal(TURNED_AWAY, { status: 'REJECTED', outbox_state: 'NOT_PUBLISHED', rejection_reason: 'STRATEGY_INACTIVE', sizing: null, price: null }),
      ],
      next_cursor: null,
    }),
    'GET /orders?limit=50': () => ({ items: [anOrder(`${DECIDED}_ORD`)], next_cursor: null }),
    'GET /fills?limit=50': () => ({ items: [], next_cursor: null }),
    [`GET /decisions/${DECIDED}`]: () => aDecision(DECIDED),
    ...handlers,
  })
  const auth = new FakeAuth()
  auth.user = { uid: 'admin', email: 'admin@mats.example' }
  render(renderTree(<Activity />, { api, auth }))
  return { api, user: userEvent.setup() }
}

const decisionReads = (api: FakeApi) => api.calls.filter((call) => call.path.startsWith('/decisions/'))

describe('the decision log of each signal', () => {
  test('is closed until asked for, then shows every input, step, limit and reason, and closes again', async () => {
    const { api, user } = activity()
    const toggle = await screen.findByRole('button', { name: `Decision on ${DECIDED}` })
    expect(toggle).toHaveAttribute('aria-expanded', 'false')
    expect(decisionReads(api)).toEqual([])

    await user.click(toggle)
    expect(toggle).toHaveAttribute('aria-expanded', 'true')
    const log = await screen.findByTestId(`decision-log-${DECIDED}`)
    expect(log.closest('tr')).toHaveAttribute('id', toggle.getAttribute('aria-controls'))
    const decision: Decision = aDecision(DECIDED)
    await within(log).findByText(decision.summary)
    expect(within(log).getByTestId('decision-reasons')).toHaveTextContent('MARGIN_SCALED')
    for (const step of decision.steps) {
      expect(log.querySelector(`[data-step="${step.name}"]`)).toHaveTextContent(`${step.name} = ${step.value}: ${step.detail}`)
    }
    expect(log.querySelector('[data-input="equity"]')).toHaveTextContent('equity = 1300000 from accounts/IBKR_Futures, as of 2026-12-03 08:00:00 UTC (6.0 s old)')
    expect(log.querySelector('[data-input="allocation_percent"]')).toHaveTextContent('from portfolio_allocations/ALLOC_1')
    expect(log.querySelector('[data-check="margin_limit"]')).toHaveTextContent('passed margin_limit: 0.38 against 0.40 (after scaling)')
    expect(log.querySelector('[data-check="max_position"]')).toHaveTextContent('passed max_position: 2 against 5')
    expect(log).toHaveTextContent(`${DECIDED}_ORD: ENTRY BUY 2 ES1!, sized at 5,012.25 USD`)

    await user.click(toggle)
    expect(toggle).toHaveAttribute('aria-expanded', 'false')
    expect(toggle).not.toHaveAttribute('aria-controls')
    expect(screen.queryByTestId(`decision-log-${DECIDED}`)).not.toBeInTheDocument()
  })

  test('opens and closes from the keyboard', async () => {
    const { user } = activity()
    const toggle = await screen.findByRole('button', { name: `Decision on ${DECIDED}` })
    await user.tab()
    expect(screen.getByRole('region', { name: 'Signals, newest first' })).toHaveFocus() // It scrolls from the keyboard.
    await user.tab()
    expect(toggle).toHaveFocus()
    await user.keyboard('{Enter}')
    expect(toggle).toHaveAttribute('aria-expanded', 'true')
    expect(await screen.findByText('Long 2 ES1!: scaled down to fit the margin limit')).toBeInTheDocument()
    await user.keyboard(' ')
    expect(toggle).toHaveAttribute('aria-expanded', 'false')
    expect(screen.queryByTestId(`decision-log-${DECIDED}`)).not.toBeInTheDocument()
  })

  test('a failed limit and a refusal are said as such', async () => {
    const refusal = aDecision(DECIDED, {
      status: 'REJECTED',
      summary: 'Refused: the margin limit is reached',
      reasons: ['MARGIN_LIMIT'],
      checks: [{ name: 'margin_limit', value: '0.52', threshold: '0.40', passed: false, note: '' }],
      orders: [],
    })
    const { user } = activity({ [`GET /decisions/${DECIDED}`]: () => refusal })
    await user.click(await screen.findByRole('button', { name: `Decision on ${DECIDED}` }))
    const log = await screen.findByTestId(`decision-log-${DECIDED}`)
    await within(log).findByText('Refused: the margin limit is reached')
    expect(log.querySelector('[data-check="margin_limit"]')).toHaveAttribute('data-passed', 'false')
    expect(log.querySelector('[data-check="margin_limit"]')).toHaveTextContent('failed margin_limit: 0.52 against 0.40')
    expect(within(log).getByTestId('decision-reasons')).toHaveTextContent('MARGIN_LIMIT')
    expect(log).toHaveTextContent('Orders sentnone to send')
  })

  test('a signal without a decision says so, one refused at ingest has no log, and a failed read can be tried again', async () => {
    let down = true
    const { api, user } = activity({
      [`GET /decisions/${DECIDED}`]: () => {
        if (down) throw new ApiError(503, 'the store is down')
        return aDecision(DECIDED)
      },
    })
    const refusedRow = (await screen.findByText(TURNED_AWAY)).closest('tr')!
    expect(within(refusedRow).queryByRole('button')).not.toBeInTheDocument()
    expect(refusedRow).toHaveTextContent('none (refused at ingest)')
    expect(refusedRow).toHaveTextContent('REJECTEDat ingest: STRATEGY_INACTIVE')

    await user.click(screen.getByRole('button', { name: `Decision on ${UNDECIDED}` }))
    expect(await screen.findByText('Cerebro has no decision on record for this signal.')).toBeInTheDocument()

    await user.click(screen.getByRole('button', { name: `Decision on ${DECIDED}` }))
    const log = await screen.findByTestId(`decision-log-${DECIDED}`)
    expect(await within(log).findByRole('alert')).toHaveTextContent('The data store is unavailable for a moment.')
    down = false
    await user.click(within(log).getByRole('button', { name: 'Try again' }))
    expect(await within(log).findByText('Long 2 ES1!: scaled down to fit the margin limit')).toBeInTheDocument()
    expect(decisionReads(api).filter((call) => call.path === `/decisions/${DECIDED}`)).toHaveLength(2)
  })
})

describe('the activity page', () => {
  test('each signal shows its time, strategy, symbol, action, price and status; each order its fill price', async () => {
    activity()
    const row = (await screen.findByText(DECIDED)).closest('tr')!
    expect(row.querySelector('[data-column="received"]')).toHaveTextContent('2026-12-03 08:00:05 UTC')
    expect(row.querySelector('[data-column="strategy"]')).toHaveTextContent('trend-es')
    expect(row.querySelector('[data-column="symbol"]')).toHaveTextContent('ES1!')
    expect(row.querySelector('[data-column="action"]')).toHaveTextContent('ENTRY_LONG')
    expect(row.querySelector('[data-column="price"]')).toHaveTextContent('5,012.25')
    expect(row.querySelector('[data-column="status"]')).toHaveAttribute('data-status', 'APPROVED')
    expect((await screen.findByText(UNDECIDED)).closest('tr')).toHaveTextContent('no decision on record')
    const order = (await screen.findByText(`${DECIDED}_ORD`)).closest('tr')!
    expect(order.querySelector('[data-column="fill-price"]')).toHaveTextContent('5,012.5 USD')
    expect(order.querySelector('[data-column="status"]')).toHaveAttribute('data-status', 'FILLED')
    expect(await screen.findByText('Nothing has been executed yet.')).toBeInTheDocument()
  })

  test('pages with the API’s cursor and back', async () => {
    const { api, user } = activity({
      'GET /signals?limit=50': () => ({ items: [aSignal(DECIDED)], next_cursor: DECIDED }),
      [`GET /signals?limit=50&cursor=${DECIDED}`]: () => ({ items: [aSignal(UNDECIDED)], next_cursor: null }),
    })
    const pages = await screen.findByRole('navigation', { name: 'Signal pages' })
    await user.click(within(pages).getByRole('button', { name: 'Next' }))
    expect(await screen.findByText(UNDECIDED)).toBeInTheDocument()
    expect(screen.queryByText(DECIDED)).not.toBeInTheDocument()
    expect(api.calls.map((call) => call.path)).toContain(`/signals?limit=50&cursor=${DECIDED}`)
    await user.click(within(screen.getByRole('navigation', { name: 'Signal pages' })).getByRole('button', { name: 'Previous' }))
    expect(await screen.findByText(DECIDED)).toBeInTheDocument()
  })

  test('an empty fund and an unreadable list are explained', async () => {
    activity({
      'GET /signals?limit=50': () => ({ items: [], next_cursor: null }),
      'GET /orders?limit=50': () => {
        throw new ApiError(503, 'the store is down')
      },
    })
    expect(await screen.findByText('No signal has arrived yet.')).toBeInTheDocument()
    expect(await screen.findByRole('alert')).toHaveTextContent('The data store is unavailable for a moment.')
  })
})
