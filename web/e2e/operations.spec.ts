// The admin's operations pages against the stack: the kill switch (with a webhook's entry refused
// while the fund is halted), senders and their once-only secret, payouts, users and roles, and
// an investor's deposit. Other specs share the stack, so the fund is left running, trend-es flat,
// and what is added here is disabled again.
import { type APIRequestContext, type Page, expect, test } from '@playwright/test'
import type { ClientPage, Payout, RiskOverview, SenderSettings } from '../src/api/types'
import { apiGet, demoUser, expectAccessible, idToken, loopbackOnly, screenshots, sendAlert, signIn, stack } from './stack'

test.describe.configure({ mode: 'serial' })

let refused: string[] = []
test.beforeEach(async ({ page }) => {
  refused = await loopbackOnly(page)
})
test.afterEach(() => {
  expect(refused, 'requests beyond loopback').toEqual([])
})

interface Decision {
  signal_id: string
  status: string
  reasons: string[]
  summary: string
}

// An entry on trend-es from flat, and the exit that closes it (as tests/integration/api/test_admin_journey.py).
const ENTRY = { ticker: 'ES1!', action: 'buy', contracts: '1', price: '5012.25', position: 'long', 'position-size': '1', 'prev-position': 'flat' }
const EXIT = { ticker: 'ES1!', action: 'sell', contracts: '1', price: '5012.25', position: 'flat', 'position-size': '0', 'prev-position': 'long', 'prev-position-size': '1' }

async function until<T>(what: string, probe: () => Promise<T | null>, seconds = 60): Promise<T> {
  for (let i = 0; i < seconds * 4; i++) {
    const found = await probe()
    if (found !== null) return found
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`no ${what} within ${seconds} s`)
}

/** Cerebro's decision on a signal, once there is one (`GET /api/decisions/{id}` is 404 until then). */
function decisionOn(request: APIRequestContext, token: string, signalId: string): Promise<Decision> {
  return until(`decision on ${signalId}`, async () => {
    const answer = await request.get(`${stack.api_url}/decisions/${signalId}`, { headers: { Authorization: `Bearer ${token}` } })
    return answer.status() === 200 ? ((await answer.json()) as Decision) : null
  })
}

function entry(): string {
  const sent = sendAlert('trend-es', ENTRY)
  expect(sent.http_status, JSON.stringify(sent)).toBe(202)
  return sent.response.signal_id!
}

async function trendEsQuantity(request: APIRequestContext, token: string): Promise<string> {
  const positions = await apiGet<{ items: { strategy_id: string; symbol: string; quantity: string }[] }>(request, token, '/positions?strategy_id=trend-es&limit=200')
  return positions.items.find((p) => p.strategy_id === 'trend-es' && p.symbol === 'ES1!')?.quantity ?? '0'
}

async function toOperations(page: Page, request: APIRequestContext) {
  await signIn(page, request, demoUser('admin'))
  await expect(page).toHaveURL(/\/admin$/)
  await page.getByRole('link', { name: 'Operations' }).click()
  await expect(page.getByRole('heading', { name: 'Trading and alerts' })).toBeVisible()
}

const operations = (page: Page) => page.getByRole('navigation', { name: 'Operations' })

test('the admin halts the fund, a webhook entry is then refused, and resumes', async ({ page, request }) => {
  const token = await idToken(request, demoUser('admin'))
  await toOperations(page, request)
  await expect(page.getByTestId('fund-state')).toHaveText('ACTIVE')
  try {
    await page.getByRole('button', { name: 'Halt the fund' }).click()
    const dialog = page.getByRole('dialog', { name: 'Halt the fund?' })
    await expect(dialog).toContainText('every new entry is refused (TRADING_HALTED)')
    await dialog.getByLabel('Reason (shown on every decision it affects)').fill('e2e: halt drill')
    await expectAccessible(page)
    await screenshots(page, 'operations-halt-confirmation')
    await dialog.getByRole('button', { name: 'Halt the fund' }).click()
    await expect(dialog).toHaveCount(0)
    await expect(page.getByTestId('fund-state')).toHaveText('HALTED')
    const risk = await apiGet<RiskOverview>(request, token, '/risk')
    expect(risk.fund).toMatchObject({ state: 'HALTED', reason: 'e2e: halt drill', set_by: demoUser('admin').email })

    const refusedId = entry()
    const refusedEntry = await decisionOn(request, token, refusedId)
    expect(refusedEntry.status, refusedEntry.summary).toBe('REJECTED')
    expect(refusedEntry.reasons).toContain('TRADING_HALTED')
    // The admin sees the refusal where signals are listed, with Cerebro's reason.
    await page.getByRole('link', { name: 'Activity' }).click()
    const refusedRow = page.locator(`tr[data-signal="${refusedId}"]`)
    await expect(refusedRow.locator('[data-column="status"]')).toHaveAttribute('data-status', 'REJECTED')
    await expect(refusedRow.locator('[data-column="status"]')).toContainText('TRADING_HALTED')
    await page.getByRole('link', { name: 'Operations' }).click()
    await expect(page.getByTestId('fund-state')).toHaveText('HALTED')
    await expect(page.getByTestId('fund-risk')).toContainText('Nothing is sent')
    await expect(page.locator('tr[data-strategy="trend-es"] td[data-in-force]')).toHaveAttribute('data-in-force', 'HALTED')
    await expectAccessible(page)
    await screenshots(page, 'operations-trading-halted')

    await page.getByRole('button', { name: 'Resume the fund' }).click()
    const resume = page.getByRole('dialog', { name: 'Resume the fund?' })
    await resume.getByLabel(/Reason/).fill('e2e: drill over')
    await resume.getByRole('button', { name: 'Resume the fund' }).click()
    await expect(page.getByTestId('fund-state')).toHaveText('ACTIVE')
    await expect(page.getByTestId('outcome')).toContainText('The fund is now ACTIVE (e2e: drill over).')
  } finally {
    // Whatever failed above, later specs see a running fund.
    const risk = await apiGet<RiskOverview>(request, token, '/risk')
    if (risk.fund.state !== 'ACTIVE') {
      await request.put(`${stack.api_url}/risk/fund`, { headers: { Authorization: `Bearer ${token}` }, data: { state: 'ACTIVE', reason: 'e2e cleanup' } })
    }
  }
  expect((await apiGet<RiskOverview>(request, token, '/risk')).fund.state).toBe('ACTIVE')

  const accepted = await decisionOn(request, token, entry())
  expect(accepted.reasons).not.toContain('TRADING_HALTED')
  expect(['APPROVED', 'SCALED'], accepted.summary).toContain(accepted.status)
  // Close what it opened once it has filled, so trend-es is flat again for the specs after this one.
  await until('the entry filled', async () => ((await trendEsQuantity(request, token)) !== '0' ? true : null))
  sendAlert('trend-es', EXIT)
  await until('trend-es flat again', async () => ((await trendEsQuantity(request, token)) === '0' ? true : null))
})

test('the admin adds a sender and sees its secret once, then disables it', async ({ page, request }) => {
  const token = await idToken(request, demoUser('admin'))
  await toOperations(page, request)
  await operations(page).getByRole('link', { name: 'Senders' }).click()
  const name = `E2E Sender ${Date.now()}`
  await page.getByRole('button', { name: 'Add sender' }).click()
  const form = page.getByRole('form', { name: 'Add a sender' })
  await form.getByLabel('Name').fill(name)
  await form.getByRole('button', { name: 'Add sender' }).click()
  const once = page.getByTestId('secret-once')
  await expect(once).toContainText('it is shown this once')
  const secret = (await once.getByTestId('secret-value').textContent())!.trim()
  expect(secret.length).toBeGreaterThan(16)
  const senders = await apiGet<{ items: SenderSettings[] }>(request, token, '/senders')
  const added = senders.items.find((sender) => sender.name === name)!
  expect(added.status).toBe('ACTIVE')
  expect(JSON.stringify(senders)).not.toContain(secret)
  await expectAccessible(page)
  await screenshots(page, 'operations-senders-secret')

  await page.reload()
  await expect(page.locator(`tr[data-sender="${added.sender_id}"]`)).toBeVisible()
  await expect(page.getByTestId('secret-once')).toHaveCount(0)
  await expect(page.getByText(secret)).toHaveCount(0)

  await page.getByRole('button', { name: `Disable ${added.sender_id}` }).click()
  const dialog = page.getByRole('dialog', { name: `Disable ${name}?` })
  await expect(dialog).toContainText('Its webhooks are refused from now on')
  await dialog.getByRole('button', { name: `Disable ${added.sender_id}` }).click()
  await expect(page.getByRole('button', { name: `Enable ${added.sender_id}` })).toBeVisible()
  const after = await apiGet<{ items: SenderSettings[] }>(request, token, '/senders')
  expect(after.items.find((sender) => sender.sender_id === added.sender_id)!.status).toBe('DISABLED')
  await expectAccessible(page)
  await screenshots(page, 'operations-senders')
})

test('the admin marks a due payout paid, or sees that none is due', async ({ page, request }) => {
  const token = await idToken(request, demoUser('admin'))
  const due = await apiGet<{ items: Payout[] }>(request, token, '/payouts?status=DUE&limit=1')
  await toOperations(page, request)
  await operations(page).getByRole('link', { name: 'Payouts' }).click()
  const all = await apiGet<{ items: Payout[] }>(request, token, '/payouts?limit=20')
  await expect(page.locator('tr[data-payout]')).toHaveCount(all.items.length)
  await expectAccessible(page)
  await screenshots(page, 'operations-payouts')

  await page.getByRole('search', { name: 'Filter payouts' }).getByLabel('Status').selectOption('DUE')
  if (due.items.length === 0) {
    await expect(page.getByText('No payout is due: every crystallised fee has been paid.')).toBeVisible()
    return
  }
  const payout = due.items[0]
  await page.getByRole('button', { name: `Mark ${payout.payout_id} paid` }).click()
  const dialog = page.getByRole('dialog', { name: `Mark ${payout.payout_id} paid` })
  await dialog.getByRole('button', { name: 'Record payment' }).click()
  await expect(dialog.getByLabel('Payment reference')).toHaveAttribute('aria-invalid', 'true')
  const reference = `E2E-${Date.now()}`
  await dialog.getByLabel('Payment reference').fill(reference)
  await dialog.getByRole('button', { name: 'Record payment' }).click()
  await expect(page.getByTestId('outcome')).toContainText(`Recorded ${payout.payout_id} paid (${reference}).`)
  const paid = await apiGet<{ items: Payout[] }>(request, token, `/payouts?sender_id=${payout.sender_id}&status=PAID&limit=50`)
  expect(paid.items.find((p) => p.payout_id === payout.payout_id)?.paid_reference).toBe(reference)
})

test('the admin adds a user, changes their role and back, is refused disabling themselves, and disables the user', async ({ page, request }) => {
  const admin = demoUser('admin')
  const client = demoUser('client')
  const sender = demoUser('sender')
  await toOperations(page, request)
  await operations(page).getByRole('link', { name: 'Users' }).click()
  const email = `e2e-${Date.now()}@mats.example`
  await page.getByRole('button', { name: 'Add user' }).click()
  const form = page.getByRole('form', { name: 'Add a user' })
  await form.getByLabel('Email', { exact: true }).fill(email)
  await form.getByRole('combobox', { name: 'Client', exact: true }).selectOption(client.client_id!)
  await form.getByRole('button', { name: 'Add user' }).click()
  await expect(page.getByTestId('secret-value')).not.toBeEmpty()
  await page.getByRole('button', { name: 'Done: I have stored it' }).click()
  const row = page.locator(`tr[data-user="${email}"]`)
  await expect(row.locator('td[data-role]')).toHaveAttribute('data-role', 'client')

  async function changeRole(role: 'client' | 'sender', scope: string) {
    await page.getByRole('button', { name: `Change the role of ${email}` }).click()
    const dialog = page.getByRole('dialog', { name: `Change the role of ${email}` })
    await dialog.getByRole('combobox', { name: 'Role', exact: true }).selectOption(role)
    await dialog.getByRole('combobox', { name: role === 'client' ? 'Client' : 'Sender', exact: true }).selectOption(scope)
    await dialog.getByRole('button', { name: 'Save role' }).click()
    await expect(dialog).toHaveCount(0)
    await expect(row.locator('td[data-role]')).toHaveAttribute('data-role', role)
  }
  await changeRole('sender', sender.sender_id!)
  const token = await idToken(request, admin)
  const users = await apiGet<{ items: { email: string; role: string; sender_id: string | null }[] }>(request, token, '/users')
  expect(users.items.find((user) => user.email === email)).toMatchObject({ role: 'sender', sender_id: sender.sender_id })
  await changeRole('client', client.client_id!)

  await page.getByRole('button', { name: `Disable ${admin.email}` }).click()
  const self = page.getByRole('dialog', { name: `Disable ${admin.email}?` })
  await self.getByRole('button', { name: `Disable ${admin.email}` }).click()
  await expect(self.getByRole('alert')).toContainText('you cannot disable yourself')
  await self.getByRole('button', { name: 'Cancel' }).click()

  await page.getByRole('button', { name: `Disable ${email}` }).click()
  await page.getByRole('dialog', { name: `Disable ${email}?` }).getByRole('button', { name: `Disable ${email}` }).click()
  await expect(page.getByRole('button', { name: `Enable ${email}` })).toBeVisible()
  const after = await apiGet<{ items: { email: string; role: string; client_id: string | null; disabled: boolean }[] }>(request, token, '/users')
  expect(after.items.find((user) => user.email === email)).toMatchObject({ role: 'client', client_id: client.client_id, disabled: true })
  await expectAccessible(page)
  await screenshots(page, 'operations-users')
})

test('the admin adds an investor and records a deposit once, however often it is clicked', async ({ page, request }) => {
  const token = await idToken(request, demoUser('admin'))
  await signIn(page, request, demoUser('admin'))
  await expect(page).toHaveURL(/\/admin$/)
  await page.getByRole('link', { name: 'Investors' }).click()
  const clientId = `e2e-${Date.now()}`
  await page.getByRole('button', { name: 'Add investor' }).click()
  const form = page.getByRole('form', { name: 'Add an investor' })
  await form.getByLabel('Client id').fill(clientId)
  await form.getByLabel('Name').fill('E2E Investor')
  await form.getByRole('button', { name: 'Add investor' }).click()
  await form.getByRole('link', { name: clientId }).click()
  await expect(page.getByTestId('client-name')).toHaveText('E2E Investor')

  const flow = page.getByRole('form', { name: 'Record a deposit or withdrawal' })
  await flow.getByLabel(/^Amount/).fill('25000.50')
  await flow.getByRole('button', { name: 'Record deposit' }).dblclick()
  await expect(flow.getByTestId('outcome')).toContainText('recorded (PENDING)')
  const booked = await apiGet<ClientPage>(request, token, `/clients/${clientId}`)
  expect(booked.client.pending.map((p) => [p.kind, p.amount])).toEqual([['DEPOSIT', '25000.50']])
  await expect(page.getByRole('region', { name: 'Pending deposits and withdrawals' }).locator('table')).toContainText('25,000.50')
  await expectAccessible(page)
  await screenshots(page, 'client-flows')
})
