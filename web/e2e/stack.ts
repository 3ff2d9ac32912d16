// The local stack the tests run against, its demo users, and API reads as those users (signed
// in through the Auth emulator's REST API, as firebase_signin.py does for the Python tests).
import { type APIRequestContext, type Page, expect } from '@playwright/test'
import AxeBuilder from '@axe-core/playwright'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import type { Allocation } from '../src/api/types'
import { dirname, join } from 'node:path'

export interface StackInfo {
  web_url: string
  api_url: string
  auth_emulator_url: string
  auth_project_id: string
}

export interface DemoUser {
  email: string
  password: string
  role: 'admin' | 'client' | 'sender'
  client_id: string | null
  sender_id: string | null
}

const stackFile = process.env.MATS_STACK_FILE ?? '../.mats/stack.json'
export const stack = JSON.parse(readFileSync(stackFile, 'utf8')) as StackInfo
const usersFile = process.env.MATS_DEMO_USERS ?? join(dirname(stackFile), 'demo-users.json')
const users = JSON.parse(readFileSync(usersFile, 'utf8')) as DemoUser[]

export function demoUser(role: DemoUser['role']): DemoUser {
  const user = users.find((candidate) => candidate.role === role)
  if (!user) throw new Error(`no demo ${role} in ${usersFile}`)
  return user
}

const toolkit = (path: string) => `${stack.auth_emulator_url}/identitytoolkit.googleapis.com${path}?key=local-emulator-key`

/** The SMS codes the Auth emulator has "sent", newest last. */
export async function smsCodes(request: APIRequestContext): Promise<{ sessionInfo: string; code: string; phoneNumber: string }[]> {
  const answer = await request.get(`${stack.auth_emulator_url}/emulator/v1/projects/${stack.auth_project_id}/verificationCodes`)
  return (await answer.json()).verificationCodes ?? []
}

/** An ID token for `user`, with the SMS second factor for an admin. */
export async function idToken(request: APIRequestContext, user: DemoUser): Promise<string> {
  const first = await (
    await request.post(toolkit('/v1/accounts:signInWithPassword'), {
      data: { email: user.email, password: user.password, returnSecureToken: true },
    })
  ).json()
  if (!first.mfaPendingCredential) return first.idToken
  const factor = first.mfaInfo[0]
  const started = await (
    await request.post(toolkit('/v2/accounts/mfaSignIn:start'), {
      data: { mfaPendingCredential: first.mfaPendingCredential, mfaEnrollmentId: factor.mfaEnrollmentId },
    })
  ).json()
  const session = started.phoneResponseInfo.sessionInfo
  const code = (await smsCodes(request)).find((c) => c.sessionInfo === session)!.code
  const finished = await (
    await request.post(toolkit('/v2/accounts/mfaSignIn:finalize'), {
      data: { mfaPendingCredential: first.mfaPendingCredential, phoneVerificationInfo: { sessionInfo: session, code } },
    })
  ).json()
  return finished.idToken
}

export async function apiGet<T>(request: APIRequestContext, token: string, path: string): Promise<T> {
  const answer = await request.get(stack.api_url + path, { headers: { Authorization: `Bearer ${token}` } })
  expect(answer.status(), `GET ${path}`).toBe(200)
  return (await answer.json()) as T
}

export async function apiPost<T>(request: APIRequestContext, token: string, path: string, body: unknown): Promise<T> {
  const answer = await request.post(stack.api_url + path, { headers: { Authorization: `Bearer ${token}` }, data: body })
  expect(answer.status(), `POST ${path}`).toBeLessThan(300)
  return (await answer.json()) as T
}

const MATS = join(import.meta.dirname, '..', '..', '.venv', 'bin', 'mats')

/** `mats ARGS --json` against the stack under test (its state directory), parsed. */
export function mats<T>(...args: string[]): T {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.endsWith('_EMULATOR_HOST') && name !== 'GOOGLE_CLOUD_PROJECT'))
  const out = execFileSync(MATS, [...args, '--json'], { env: { ...env, MATS_STATE_DIR: dirname(stackFile) }, encoding: 'utf8', timeout: 60_000 })
  return JSON.parse(out) as T
}

/** Send a TradingView-style alert through the stack's webhook as the strategy's sender (`mats signals send`). */
export function sendAlert(strategy: string, fields: Record<string, string>): { http_status: number; response: { signal_id?: string } } {
  return mats('signals', 'send', '--strategy', strategy, ...Object.entries(fields).flatMap(([name, value]) => [`--${name}`, value]))
}

/** An entry on the demo's trend-es (1 ES from flat) and the exit that closes it again. */
export const ENTRY = { ticker: 'ES1!', action: 'buy', contracts: '1', price: '5012.25', position: 'long', 'position-size': '1', 'prev-position': 'flat' }
export const EXIT = { ticker: 'ES1!', action: 'sell', contracts: '1', price: '5012.25', position: 'flat', 'position-size': '0', 'prev-position': 'long', 'prev-position-size': '1' }

export interface Decision {
  signal_id: string
  status: string
  reasons: string[]
  inputs: { name: string; value: unknown; source: string }[]
  steps: { name: string; detail: string; value: unknown }[]
}

/** Cerebro's decision on a signal, once it is stored (GET /api/decisions/{id} is 404 until then). */
export async function decided(request: APIRequestContext, token: string, signalId: string): Promise<Decision> {
  for (let i = 0; i < 120; i++) {
    const answer = await request.get(`${stack.api_url}/decisions/${signalId}`, { headers: { Authorization: `Bearer ${token}` } })
    if (answer.status() === 200) return (await answer.json()) as Decision
    expect(answer.status(), `GET /decisions/${signalId}`).toBe(404)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error(`no decision on ${signalId} within 60 s`)
}

/** Ask for an optimisation run now and wait for its PENDING_APPROVAL recommendation. */
export async function freshRecommendation(request: APIRequestContext, token: string, after: string | null): Promise<Allocation> {
  await apiPost(request, token, '/schedule/nightly/run', { request_id: `e2e-${Date.now()}` })
  for (let i = 0; i < 120; i++) {
    const found = await apiGet<Allocation | null>(request, token, '/portfolio/allocations/latest-recommendation')
    if (found && found.allocation_id !== after) return found
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error('no new recommendation within 60 s')
}

/** Nothing leaves the machine: any request beyond loopback is refused (and recorded). */
export async function loopbackOnly(page: Page): Promise<string[]> {
  const refused: string[] = []
  await page.route(/^(?!https?:\/\/(127\.0\.0\.1|localhost)[:/]).*/, (route) => {
    refused.push(route.request().url())
    return route.abort()
  })
  return refused
}

/** No serious or critical axe-core violation on the page as it is now. */
export async function expectAccessible(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze()
  const bad = results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.nodes.map((node) => node.target.join(' ')).join('; ')}`)
  expect(bad, 'serious or critical accessibility violations').toEqual([])
}

const SCREENSHOTS = join(import.meta.dirname, '..', '..', '.mats', 'screenshots')

/** Desktop and phone (375 px) screenshots of the page to .mats/screenshots/NAME-{desktop,phone}.png. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-desktop.png`), fullPage: true })
  const desktop = page.viewportSize()
  await page.setViewportSize({ width: 375, height: 812 })
  // Charts resize on a ResizeObserver callback: measure once they have redrawn at phone width.
  await page.waitForTimeout(400)
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))))
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  const wide = overflow > 0 ? await page.evaluate(() => [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 376 && !e.closest('[role=region] table')).slice(0, 5).map((e) => `${e.tagName}.${e.className}`)) : []
  expect(overflow, `${name}: the page is wider than a 375 px phone: ${wide.join(' | ')}`).toBeLessThanOrEqual(0)
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-phone.png`), fullPage: true })
  if (desktop) await page.setViewportSize(desktop)
}

/** Sign in through the login page (the SMS step for an admin reads the emulator's code). */
export async function signIn(page: Page, request: APIRequestContext, user: DemoUser): Promise<void> {
  await page.goto('/login')
  await page.getByLabel('Email').fill(user.email)
  await page.getByLabel('Password').fill(user.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  if (user.role === 'admin') {
    const before = (await smsCodes(request)).length
    await expect(page.getByLabel('SMS code')).toBeVisible()
    let codes = await smsCodes(request)
    for (let i = 0; i < 50 && codes.length <= before; i++) {
      await page.waitForTimeout(100)
      codes = await smsCodes(request)
    }
    await page.getByLabel('SMS code').fill(codes[codes.length - 1].code)
    await page.getByRole('button', { name: 'Verify' }).click()
  }
}
