import { expect, test } from '@playwright/test'
import type { Allocation, CurrentAllocation, Fund, Me } from '../src/api/types'
import { formatFractionAsPercent, formatMoney, formatQuantity, formatSignedMoney } from '../src/format'
import { apiGet, decided, demoUser, ENTRY, EXIT, expectAccessible, freshRecommendation, idToken, loopbackOnly, screenshots, sendAlert, signIn, stack } from './stack'

test.describe.configure({ mode: 'serial' })

let refused: string[] = []
test.beforeEach(async ({ page }) => {
  refused = await loopbackOnly(page)
})
test.afterEach(() => {
  expect(refused, 'requests beyond loopback').toEqual([])
})

test('the login page explains a wrong password and is accessible', async ({ page }) => {
  await page.goto('/login')
  await expect(page.getByRole('heading', { name: 'MATS' })).toBeVisible()
  await expectAccessible(page)
  await screenshots(page, 'login')
  await page.getByLabel('Email').fill(demoUser('client').email)
  await page.getByLabel('Password').fill('not-the-password')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('alert')).toHaveText('That email and password do not match an account.')
})

test('a deep link when signed out goes to the login page', async ({ page }) => {
  await page.goto('/investor')
  await expect(page).toHaveURL(/\/login$/)
})

test('the investor sees their own figures, exactly the API’s', async ({ page, request }) => {
  const client = demoUser('client')
  const me = await apiGet<Me>(request, await idToken(request, client), '/me')
  const view = me.client!.client
  await signIn(page, request, client)
  await expect(page).toHaveURL(/\/investor$/)
  await expect(page.getByTestId('client-name')).toHaveText(view.name)
  const expected: [string, string, string][] = [
    ['client-value', view.value, formatMoney(view.value)],
    ['client-units', view.units, formatQuantity(view.units)],
    ['client-nav-per-unit', view.nav_per_unit, formatMoney(view.nav_per_unit, 6)],
    ['client-net-contributions', view.net_contributions, formatMoney(view.net_contributions)],
    ['client-profit', view.profit, formatSignedMoney(view.profit)],
    ['client-irr', view.irr ?? '', formatFractionAsPercent(view.irr, 2, true)],
  ]
  for (const [id, raw, shown] of expected) {
    const figure = page.getByTestId(id)
    await expect(figure).toHaveAttribute('data-value', raw)
    await expect(figure).toContainText(shown)
  }
  for (const month of me.client!.returns.months) {
    await expect(page.locator(`[data-month="${month.month}"]`)).toHaveText(formatFractionAsPercent(month.value, 2, true))
  }
  await expect(page.getByRole('figure', { name: /NAV per unit/ })).toBeVisible()
  await expect(page.getByRole('figure', { name: /NAV per unit/ })).toContainText('Strike date (UTC)')
  // Only their own: no other client's name, no trade.
  await expect(page.getByText('Harbor Family Office')).toHaveCount(0)
  await expect(page.getByText(/signal|order|position/i)).toHaveCount(0)
  await expectAccessible(page)
  await screenshots(page, 'investor')

  await page.goto(`/clients/${view.client_id}`)
  await expect(page.getByTestId('client-value')).toHaveAttribute('data-value', view.value)
  await page.goto('/clients/harbor-family')
  await expect(page.getByRole('heading', { name: 'Not found' })).toBeVisible()
  await expect(page.getByTestId('client-value')).toHaveCount(0)
  await expectAccessible(page)
  await screenshots(page, 'client-not-found')
  await page.goto('/admin')
  await expect(page.getByRole('heading', { name: 'Not found' })).toBeVisible()

  await page.getByRole('button', { name: 'Sign out' }).click()
  await expect(page).toHaveURL(/\/login$/)
})

test('the sender sees their own P&L, fees and signals', async ({ page, request }) => {
  const sender = demoUser('sender')
  const token = await idToken(request, sender)
  const me = await apiGet<Me>(request, token, '/me')
  const view = me.sender!.view!
  await signIn(page, request, sender)
  await expect(page).toHaveURL(/\/sender$/)
  await expect(page.getByTestId('sender-name')).toHaveText(me.sender!.name)
  for (const [id, raw, shown] of [
    ['sender-cumulative-pnl', view.cumulative_pnl, formatSignedMoney(view.cumulative_pnl)],
    ['sender-hwm', view.hwm, formatMoney(view.hwm)],
    ['sender-paid', view.paid, formatMoney(view.paid)],
    ['sender-due', view.due, formatMoney(view.due)],
  ] as const) {
    await expect(page.getByTestId(id)).toHaveAttribute('data-value', raw)
    await expect(page.getByTestId(id)).toContainText(shown)
  }
  await expect(page.getByTestId('sender-next-payment')).toHaveText(view.next_payment_date!)
  const signals = await apiGet<{
    items: { signal_id: string; pnl: { net: string } | null; sizing: { outcome: string } | null }[]
  }>(request, token, `/senders/${me.sender!.sender_id}/signals?limit=20`)
  const rows = page.locator('tr[data-signal]')
  await expect(rows).toHaveCount(signals.items.length)
  for (const signal of signals.items) {
    const row = page.locator(`tr[data-signal="${signal.signal_id}"]`)
    await expect(row.locator('td[data-value]')).toHaveText(formatSignedMoney(signal.pnl?.net))
    await expect(row.locator('td[data-outcome]')).toHaveAttribute('data-outcome', signal.sizing?.outcome ?? '')
  }
  await expect(page.getByRole('figure', { name: /Net P&L per signal/ })).toBeVisible()
  await expectAccessible(page)
  await screenshots(page, 'sender')
})

test('the admin signs in with the SMS code, sees the fund and approves the recommendation', async ({ page, request }) => {
  const admin = demoUser('admin')
  const token = await idToken(request, admin)
  // The demo's first optimisation run leaves a recommendation shortly after the stack is up
  // (against a stack whose recommendation was decided already, a run is asked for).
  let recommendation: Allocation | null = null
  for (let i = 0; i < 30 && !recommendation; i++) {
    recommendation = await apiGet<Allocation | null>(request, token, '/portfolio/allocations/latest-recommendation')
    if (!recommendation) await page.waitForTimeout(1000)
  }
  recommendation ??= await freshRecommendation(request, token, null)

  await signIn(page, request, admin)
  await expect(page).toHaveURL(/\/admin$/)
  const fund = await apiGet<Fund>(request, token, '/fund')
  await expect(page.getByTestId('fund-equity')).toContainText(formatMoney(fund.equity))
  await expect(page.getByTestId('fund-open-positions')).toHaveText(String(fund.open_positions))
  await expect(page.getByText('System health')).toBeVisible()
  await expect(page.getByRole('figure', { name: /NAV per unit/ })).toBeVisible()
  await expectAccessible(page)
  await screenshots(page, 'admin-home')

  await page.getByRole('link', { name: 'Investors' }).click()
  const clients = await apiGet<{ items: { client_id: string; name: string; value: string }[] }>(request, token, '/clients')
  for (const client of clients.items) {
    await expect(page.getByRole('row', { name: new RegExp(client.name) }).locator('td[data-value]')).toHaveAttribute('data-value', client.value)
  }
  await expectAccessible(page)
  await screenshots(page, 'investors')
  await page.getByRole('link', { name: clients.items[0].name }).click()
  await expect(page.getByTestId('client-value')).toHaveAttribute('data-value', clients.items[0].value)

  await page.getByRole('link', { name: 'Allocations' }).click()
  await expect(page.getByTestId('recommendation-id')).toContainText(recommendation!.allocation_id)
  await expectAccessible(page)
  await screenshots(page, 'allocations')
  await page.getByRole('button', { name: 'Approve', exact: true }).click()
  await expect(page.getByTestId('allocation-notice')).toContainText(`${recommendation!.allocation_id} is now the active allocation`)
  const current = await apiGet<Allocation>(request, token, '/portfolio/allocations/current')
  expect(current.allocation_id).toBe(recommendation!.allocation_id)
  expect(current.approved_by).toBe(admin.email)
  await expect(page.getByTestId('current-allocation-id')).toContainText(recommendation!.allocation_id)
  await expect(page.getByText('No recommendation is waiting for approval.')).toBeVisible()
  // Each strategy's capital is the API's figure, which is the fund's equity times its percent.
  const shown = await apiGet<CurrentAllocation>(request, token, '/portfolio/allocations/current')
  for (const [strategy, capital] of Object.entries(shown.capital!.by_strategy)) {
    const cell = page.locator(`tr[data-strategy="${strategy}"] [data-testid="allocation-capital"]`)
    await expect(cell).toHaveAttribute('data-value', capital)
    await expect(cell).toHaveText(formatMoney(capital))
    const cents = Math.round(Number(shown.capital!.equity) * Number(shown.allocations[strategy])) // Equity x percent / 100, in cents.
    expect(Math.abs(Number(capital) * 100 - cents)).toBeLessThanOrEqual(1)
  }

  // The next webhook's entry is sized with the approved allocation.
  const strategy = 'trend-es'
  const sent = sendAlert(strategy, ENTRY)
  expect(sent.http_status).toBe(202)
  const decision = await decided(request, token, sent.response.signal_id!)
  const percent = decision.inputs.find((input) => input.name === 'allocation_percent')!
  expect(percent.source).toBe(`portfolio_allocations/${recommendation!.allocation_id}`)
  expect(Number(percent.value)).toBe(Number(recommendation!.allocations[strategy] ?? '0'))
  if (decision.status !== 'REJECTED') expect(decision.steps.map((step) => step.name)).toContain('allocated_capital')
  expect(sendAlert(strategy, EXIT).http_status).toBe(202) // Flat again for the tests after.
})

test('the admin edits a recommendation within the caps the API enforces, and rejects another with a reason', async ({ page, request }) => {
  const admin = demoUser('admin')
  const token = await idToken(request, admin)
  const before = await apiGet<Allocation>(request, token, '/portfolio/allocations/current')
  const edited = await freshRecommendation(request, token, null)
  await signIn(page, request, admin)
  await expect(page).toHaveURL(/\/admin$/)
  await page.getByRole('link', { name: 'Allocations' }).click()
  await expect(page.getByTestId('recommendation-id')).toContainText(edited.allocation_id)
  await expect(page.getByRole('figure', { name: /Correlation/ })).toBeVisible()

  await page.getByRole('button', { name: 'Edit & approve' }).click()
  const strategy = Object.keys(edited.allocations).sort()[0]
  const field = page.getByLabel(`${strategy} (%)`)
  await field.fill('60')
  await page.getByRole('button', { name: 'Approve edited allocation' }).click()
  await expect(field).toHaveAttribute('aria-invalid', 'true')
  await expectAccessible(page)
  await screenshots(page, 'allocations-edit')
  expect((await apiGet<Allocation>(request, token, '/portfolio/allocations/current')).allocation_id).toBe(before.allocation_id)

  await field.fill('12.5')
  await page.getByLabel('Notes (why this allocation)').fill('e2e: less of it')
  await page.getByRole('button', { name: 'Approve edited allocation' }).click()
  await expect(page.getByTestId('allocation-notice')).toContainText('Approved your edit')
  const custom = await apiGet<Allocation>(request, token, '/portfolio/allocations/current')
  expect(custom.allocation_id).not.toBe(before.allocation_id)
  expect(custom.allocations[strategy]).toBe('12.5')
  expect(custom.approved_by).toBe(admin.email)
  expect(custom.based_on).toBe(edited.allocation_id)

  const rejected = await freshRecommendation(request, token, edited.allocation_id)
  await page.reload()
  await expect(page.getByTestId('recommendation-id')).toContainText(rejected.allocation_id)
  await page.getByRole('button', { name: 'Reject', exact: true }).click()
  await page.getByRole('button', { name: 'Reject recommendation' }).click()
  await expect(page.getByRole('alert')).toContainText('Say why you reject it')
  await page.getByLabel('Reason for rejecting').fill('e2e: too concentrated')
  await page.getByRole('button', { name: 'Reject recommendation' }).click()
  await expect(page.getByTestId('allocation-notice')).toContainText(`Rejected ${rejected.allocation_id}`)
  await expect(page.getByRole('row', { name: new RegExp(rejected.allocation_id) })).toContainText(`rejected by ${admin.email}: e2e: too concentrated`)
  expect((await apiGet<Allocation>(request, token, '/portfolio/allocations/current')).allocation_id).toBe(custom.allocation_id)
})

test('the admin filters strategies, toggles one into the optimisation and is told why a delete is refused', async ({ page, request }) => {
  const admin = demoUser('admin')
  const token = await idToken(request, admin)
  await signIn(page, request, admin)
  await expect(page).toHaveURL(/\/admin$/)
  await page.getByRole('link', { name: 'Strategies' }).click()
  const all = await apiGet<{ items: { strategy_id: string }[] }>(request, token, '/strategies?limit=50')
  await expect(page.locator('tr[data-strategy]')).toHaveCount(all.items.length)

  await page.getByRole('search').getByLabel('Status').selectOption('TESTING')
  const testing = await apiGet<{ items: { strategy_id: string; include_in_optimization: boolean }[] }>(request, token, '/strategies?status=TESTING&limit=50')
  await expect(page.locator('tr[data-strategy]')).toHaveCount(testing.items.length)
  const toggled = testing.items[0]
  const box = page.getByLabel(`Include ${toggled.strategy_id} in optimisation`)
  await expect(box).toBeChecked({ checked: toggled.include_in_optimization })
  await box.click()
  await expect(box).toBeChecked({ checked: !toggled.include_in_optimization })
  const saved = await apiGet<{ strategy: { include_in_optimization: boolean } }>(request, token, `/strategies/${toggled.strategy_id}`)
  expect(saved.strategy.include_in_optimization).toBe(!toggled.include_in_optimization)

  await page.getByRole('search').getByLabel('Status').selectOption('')
  const current = await apiGet<{ allocations: Record<string, string> }>(request, token, '/portfolio/allocations/current')
  const allocated = Object.keys(current.allocations).find((id) => current.allocations[id] !== '0')!
  const row = page.locator(`tr[data-strategy="${allocated}"]`)
  await row.getByRole('button', { name: 'Delete…' }).click()
  await row.getByRole('button', { name: `Delete ${allocated}` }).click()
  await expect(page.getByRole('alert')).toContainText('Not deleted:')
  await apiGet(request, token, `/strategies/${allocated}`)

  // Add a strategy through the form (a taken id is said beside the id), then delete it.
  const added = `e2e-${Date.now()}`
  await page.getByRole('button', { name: 'Add strategy' }).click()
  const form = page.getByRole('form', { name: 'Add a strategy' })
  await form.getByLabel('Strategy id').fill(allocated)
  await form.getByLabel('Name').fill('E2E strategy')
  await form.getByLabel('Account').fill('IBKR_Main')
  await form.getByLabel('Max position size (base currency)').fill('25000')
  await form.getByRole('button', { name: 'Add strategy' }).click()
  await expect(form.getByText(`A strategy ${allocated} exists already`)).toBeVisible()
  await form.getByLabel('Strategy id').fill(added)
  await form.getByRole('button', { name: 'Add strategy' }).click()
  await expect(page.getByRole('status')).toContainText(`Added ${added}.`)
  const created = await apiGet<{ strategy: { risk_limits: { max_position_size: string } } }>(request, token, `/strategies/${added}`)
  expect(created.strategy.risk_limits.max_position_size).toBe('25000')
  const addedRow = page.locator(`tr[data-strategy="${added}"]`)
  // No backtest yet: its row has the red border and says so.
  await expect(addedRow).toHaveAttribute('data-backtest', 'missing')
  await expect(addedRow).toContainText('No backtest data')
  await expect(page.locator(`tr[data-strategy="${allocated}"]`)).toHaveAttribute('data-backtest', 'stored')
  await addedRow.getByRole('button', { name: `Edit ${added}` }).click()
  const edit = page.getByRole('form', { name: `Edit ${added}` })
  await edit.getByLabel('Max position size (base currency)').fill('-5')
  await edit.getByRole('button', { name: 'Save changes' }).click()
  await expect(edit.getByLabel('Max position size (base currency)')).toHaveAttribute('aria-invalid', 'true')
  await edit.getByLabel('Max position size (base currency)').fill('30000')
  await edit.getByLabel('Name').fill('E2E strategy, edited')
  await edit.getByRole('button', { name: 'Save changes' }).click()
  await expect(edit).toHaveCount(0)
  await expect(addedRow).toContainText('E2E strategy, edited')
  const edited = await apiGet<{ strategy: { name: string; risk_limits: { max_position_size: string } } }>(request, token, `/strategies/${added}`)
  expect([edited.strategy.name, edited.strategy.risk_limits.max_position_size]).toEqual(['E2E strategy, edited', '30000'])
  await addedRow.getByRole('button', { name: 'Delete…' }).click()
  await addedRow.getByRole('button', { name: `Delete ${added}` }).click()
  await expect(addedRow).toHaveCount(0)
  expect((await request.get(`${stack.api_url}/strategies/${added}`, { headers: { Authorization: `Bearer ${token}` } })).status()).toBe(404)

  await row.getByRole('button', { name: new RegExp(`^${allocated}`) }).click()
  await expect(page.getByTestId(`details-${allocated}`)).toContainText('Sharpe')
  const sync = page.getByTestId(`sync-${allocated}`)
  await sync.getByRole('button', { name: 'Sync backtest' }).click()
  await expect(sync.getByText('Backtest synced:')).toBeVisible({ timeout: 60_000 })
  await expect(sync.getByRole('button', { name: 'Sync backtest' })).toBeEnabled()
  const synced = await apiGet<{ backtest: { statistics: { win_rate: number | null } } }>(request, token, `/strategies/${allocated}`)
  const winRate = synced.backtest.statistics.win_rate
  await expect(page.getByTestId(`details-${allocated}`)).toContainText(`Win rate (days)${winRate === null ? '—' : `${(winRate * 100).toFixed(2)}%`}`)
  await expectAccessible(page)
  await screenshots(page, 'strategies')
})

test('the admin pauses, resumes and moves the nightly run', async ({ page, request }) => {
  const admin = demoUser('admin')
  const token = await idToken(request, admin)
  const before = await apiGet<{ time: string; time_zone: string; state: string }>(request, token, '/schedule/nightly')
  await signIn(page, request, admin)
  await expect(page).toHaveURL(/\/admin$/)
  await page.getByRole('link', { name: 'Operations' }).click()
  await page.getByRole('navigation', { name: 'Operations' }).getByRole('link', { name: 'Schedule' }).click()
  await expect(page.getByTestId('schedule-time')).toHaveText(`${before.time} ${before.time_zone}`)

  await page.getByRole('button', { name: 'Pause' }).click()
  await expect(page.getByTestId('schedule-state')).toHaveText('PAUSED')
  expect((await apiGet<{ state: string }>(request, token, '/schedule/nightly')).state).toBe('PAUSED')
  await page.getByRole('button', { name: 'Resume' }).click()
  await expect(page.getByTestId('schedule-state')).toHaveText('ENABLED')

  await page.getByLabel('Time (HH:MM)').fill('25:61')
  await page.getByRole('button', { name: 'Save time' }).click()
  await expect(page.getByLabel('Time (HH:MM)')).toHaveAttribute('aria-invalid', 'true')
  expect((await apiGet<{ time: string }>(request, token, '/schedule/nightly')).time).toBe(before.time)
  await page.getByLabel('Time (HH:MM)').fill('21:30')
  await page.getByRole('button', { name: 'Save time' }).click()
  await expect(page.getByTestId('schedule-time')).toHaveText(`21:30 ${before.time_zone}`)
  expect((await apiGet<{ time: string }>(request, token, '/schedule/nightly')).time).toBe('21:30')
  await expectAccessible(page)
  await screenshots(page, 'schedule')
})

test('the admin runs a sandbox and sees the frontier and the simulated curves', async ({ page, request }) => {
  const admin = demoUser('admin')
  const token = await idToken(request, admin)
  await signIn(page, request, admin)
  await expect(page).toHaveURL(/\/admin$/)
  await page.getByRole('link', { name: 'Sandbox' }).click()
  const form = page.getByRole('form', { name: 'Sandbox settings' })
  await form.getByLabel('CVaR limit (daily; 0.02 = 2%)').fill('two')
  await form.getByRole('button', { name: 'Run' }).click()
  await expect(form.getByLabel('CVaR limit (daily; 0.02 = 2%)')).toHaveAttribute('aria-invalid', 'true')
  await form.getByLabel('CVaR limit (daily; 0.02 = 2%)').fill('0.025')
  await form.getByLabel('Method').selectOption('min_cvar')
  await form.getByRole('button', { name: 'Run' }).click()
  // Minimum CVaR without a total floor is the empty portfolio: the API says so beside the floor.
  await expect(form.getByLabel(/Total floor/)).toHaveAttribute('aria-invalid', 'true')
  await form.getByLabel(/Total floor/).fill('1')
  // A hypothetical strategy's CSV: a broken one is refused naming the line, a good one is run.
  const upload = form.getByLabel('Its backtest CSV (the ingest format)')
  await form.getByLabel('Its id').fill('e2e-idea')
  await upload.setInputFiles({ name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from('date,return\n2026-01-02,0.01\n2026-01-05,lots\n') })
  await expect(form.getByText('3 lines read.')).toBeVisible()
  await form.getByRole('button', { name: 'Run' }).click()
  await expect(form.getByRole('alert')).toContainText("line 3: return 'lots' is not a number")
  const live = await apiGet<{ backtest: { statistics: { start: string; end: string } } }>(request, token, '/strategies/trend-es')
  const csv = hypotheticalCsv(live.backtest.statistics.start, live.backtest.statistics.end)
  await upload.setInputFiles({ name: 'idea.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
  await expect(form.getByText(`${csv.trim().split('\n').length} lines read.`)).toBeVisible()
  await form.getByRole('button', { name: 'Run' }).click()
  await expect(page.getByTestId('sandbox-status')).toContainText('COMPLETED', { timeout: 60_000 })
  await expect(page.getByRole('cell', { name: 'e2e-idea (hypothetical)' })).toBeVisible()
  await expect(page.getByRole('figure', { name: /Efficient frontier/ })).toBeVisible()
  await expect(page.getByRole('figure', { name: 'Simulated equity (growth of 1)' })).toBeVisible()
  await expect(page.getByRole('figure', { name: 'Simulated drawdown' })).toBeVisible()
  const runs = await apiGet<{ items: { sandbox_id: string }[] }>(request, token, '/sandbox/runs?limit=1')
  await expect(page.getByRole('button', { name: runs.items[0].sandbox_id })).toBeVisible()
  await expectAccessible(page)
  await screenshots(page, 'sandbox')
})

/** A hypothetical strategy's backtest (date,return) over the weekdays of [start, end]: a steady
 * drift with a deterministic wobble, so the run is the same every time. */
function hypotheticalCsv(start: string, end: string): string {
  const rows = ['date,return']
  const last = new Date(`${end}T00:00:00Z`)
  for (let day = new Date(`${start}T00:00:00Z`), i = 0; day <= last; day.setUTCDate(day.getUTCDate() + 1)) {
    if (day.getUTCDay() === 0 || day.getUTCDay() === 6) continue
    rows.push(`${day.toISOString().slice(0, 10)},${(0.0004 + 0.008 * Math.sin(1.7 * i++)).toFixed(6)}`)
  }
  return rows.join('\n') + '\n'
}
