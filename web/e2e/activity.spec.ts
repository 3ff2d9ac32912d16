import { type APIRequestContext, expect, test } from '@playwright/test'
import type { Decision, OrderSummary, Page, SignalSummary } from '../src/api/types'
import { formatQuantity, formatTime } from '../src/format'
import { apiGet, demoUser, expectAccessible, idToken, loopbackOnly, screenshots, sendAlert, signIn } from './stack'

test.describe.configure({ mode: 'serial' })

let refused: string[] = []
test.beforeEach(async ({ page }) => {
  refused = await loopbackOnly(page)
})
test.afterEach(() => {
  expect(refused, 'requests beyond loopback').toEqual([])
})

// The admin journey's entry on trend-es (tests/integration/api/test_admin_journey.py), and the
// exit that leaves it flat again so the specs after this one start from flat.
const ENTRY = { ticker: 'ES1!', action: 'buy', contracts: '1', price: '5012.25', position: 'long', 'position-size': '1', 'prev-position': 'flat' }
const EXIT = { ticker: 'ES1!', action: 'sell', contracts: '1', price: '5012.25', position: 'flat', 'position-size': '0', 'prev-position': 'long', 'prev-position-size': '1' }
// The home refreshes every 5 s: a new signal shows at the next refresh, its request's round trip added.
const ONE_REFRESH_MS = 6_000

async function leaveFlat(request: APIRequestContext, token: string): Promise<void> {
  expect(sendAlert('trend-es', EXIT).http_status).toBe(202)
  await expect
    .poll(async () => (await apiGet<Page<{ quantity: string }>>(request, token, '/positions?strategy_id=trend-es')).items.filter((p) => p.quantity !== '0').length, { timeout: 60_000, message: 'trend-es flat again' })
    .toBe(0)
}

test('an alert shows on the admin home within 5 s, and on the Activity page with Cerebro’s decision and its fill', async ({ page, request }) => {
  const admin = demoUser('admin')
  const token = await idToken(request, admin)
  await signIn(page, request, admin)
  await expect(page).toHaveURL(/\/admin$/)
  await expect(page.getByRole('region', { name: 'Last 10 signals' }).getByRole('status')).toHaveCount(0) // Loaded.

  const sent = sendAlert('trend-es', ENTRY)
  expect(sent.http_status, JSON.stringify(sent)).toBe(202)
  const signalId = sent.response.signal_id!
  try {
    const homeRow = page.locator(`tr[data-signal="${signalId}"]`)
    await expect(homeRow).toBeVisible({ timeout: ONE_REFRESH_MS })

    // Once Cerebro decided (and the bridge filled what it ordered), the home says so at its next refresh.
    await expect
      .poll(async () => (await apiGet<SignalSummary>(request, token, `/signals/${signalId}`)).sizing?.outcome ?? null, { timeout: 60_000, message: 'Cerebro decides' })
      .not.toBeNull()
    const signal = await apiGet<SignalSummary>(request, token, `/signals/${signalId}`)
    await expect(homeRow.locator('[data-column="status"]')).toHaveAttribute('data-status', signal.sizing!.outcome, { timeout: ONE_REFRESH_MS })
    const decision = await apiGet<Decision>(request, token, `/decisions/${signalId}`)
    const placed = decision.orders.find((order) => order.action === 'PLACE')
    let order: OrderSummary | null = null
    if (placed) {
      await expect
        .poll(async () => (await apiGet<OrderSummary>(request, token, `/orders/${placed.id}`)).state, { timeout: 60_000, message: `${placed.id} filled` })
        .toBe('FILLED')
      order = await apiGet<OrderSummary>(request, token, `/orders/${placed.id}`)
      const homeOrder = page.locator(`tr[data-order="${placed.id}"]`)
      await expect(homeOrder.locator('[data-column="fill-price"]')).toHaveAttribute('data-value', order.average_price!, { timeout: ONE_REFRESH_MS })
    }
    await expectAccessible(page)
    await screenshots(page, 'admin-home-recent')

    await page.getByRole('link', { name: /All activity/ }).click()
    await expect(page).toHaveURL(/\/admin\/activity$/)
    await expect(page.getByRole('heading', { name: 'Activity', level: 1 })).toBeVisible()
    const row = page.locator(`tr[data-signal="${signalId}"]`)
    const cell = (column: string) => row.locator(`[data-column="${column}"]`)
    await expect(cell('received')).toHaveText(formatTime(signal.received_at, true))
    await expect(cell('strategy')).toHaveText(signal.strategy_id)
    await expect(cell('symbol')).toHaveText(signal.symbol)
    await expect(cell('action')).toHaveText(signal.intent)
    await expect(cell('price')).toHaveAttribute('data-value', signal.price!)
    await expect(cell('price')).toHaveText(formatQuantity(signal.price))
    await expect(cell('status')).toHaveAttribute('data-status', signal.sizing!.outcome)
    await expect(cell('quantity')).toHaveText(formatQuantity(signal.sizing!.quantity))

    // The decision log opens under its row, from the mouse or the keyboard.
    const toggle = row.getByRole('button', { name: `Decision on ${signalId}` })
    await expect(toggle).toHaveAttribute('aria-expanded', 'false')
    await toggle.click()
    await expect(toggle).toHaveAttribute('aria-expanded', 'true')
    const log = page.getByTestId(`decision-log-${signalId}`)
    await expect(log.getByTestId('decision-summary')).toHaveText(decision.summary)
    await expect(log.getByTestId('decision-reasons')).toHaveText(decision.reasons.length ? decision.reasons.join(', ') : 'none')
    const steps = log.locator('li[data-step]')
    await expect(steps).toHaveCount(decision.steps.length)
    for (const [index, step] of decision.steps.entries()) {
      await expect(steps.nth(index)).toHaveAttribute('data-step', step.name)
      await expect(steps.nth(index)).toContainText(step.detail)
    }
    await expect(log.locator('li[data-input]')).toHaveCount(decision.inputs.length)
    await expect(log.locator('li[data-check]')).toHaveCount(decision.checks.length)
    for (const [index, check] of decision.checks.entries()) {
      await expect(log.locator('li[data-check]').nth(index)).toHaveAttribute('data-passed', String(check.passed))
    }
    await toggle.press('Enter')
    await expect(log).toHaveCount(0)
    await toggle.press('Enter')
    await expect(log.getByTestId('decision-summary')).toHaveText(decision.summary)

    if (order) {
      const orderRow = page.locator(`tr[data-order="${order.order_id}"]`)
      await expect(orderRow.locator('[data-column="fill-price"]')).toHaveAttribute('data-value', order.average_price!)
      await expect(orderRow.locator('[data-column="fill-price"]')).toHaveText(`${formatQuantity(order.average_price)} ${order.order.currency}`)
      await expect(orderRow.locator('[data-column="status"]')).toHaveAttribute('data-status', 'FILLED')
      for (const fill of order.fills) {
        await expect(page.locator(`tr[data-fill="${fill.id}"] [data-column="price"]`)).toHaveAttribute('data-value', fill.price)
      }
    }
    await expectAccessible(page)
    await screenshots(page, 'activity')
  } finally {
    await leaveFlat(request, token)
  }
})
