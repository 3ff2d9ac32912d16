import { cleanup, render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test } from 'vitest'
import { ApiError } from '../api/client'
import type { SenderSettings } from '../api/types'
import { FakeApi, FakeAuth, renderTree } from '../test/fakes'
import Senders from './Senders'

function sender(id: string, name: string): SenderSettings {
  return { sender_id: id, name, status: 'ACTIVE', ip_allowlist: [], max_lag_seconds: null, rate_limit_per_minute: 60, previous_secret_valid_until: null, created_at: '2026-12-03T08:00:00Z', updated_at: '2026-12-03T08:00:00Z' }
}

function senderApi() {
  let senders = [sender('demo-signals', 'Demo Signals')]
  return new FakeApi({
    'GET /senders': () => ({ items: senders }),
    'POST /senders': (body) => {
      const { name } = body as { name: string }
      if (senders.some((s) => s.name.toLowerCase() === name.toLowerCase())) throw new ApiError(409, `a sender named ${name} exists already`, 'name')
      const created = sender('acme-quant-1a2b3c', name)
      senders = [...senders, created]
      return { sender: created, secret: 'whsec-first-secret' }
    },
    'POST /senders/demo-signals/rotate': () => ({ sender: senders[0], secret: 'whsec-rotated-secret' }),
    'POST /senders/demo-signals/disable': () => {
      senders = [{ ...senders[0], status: 'DISABLED' }, ...senders.slice(1)]
      return senders[0]
    },
  })
}

function open(api: FakeApi) {
  const auth = new FakeAuth()
  auth.user = { uid: 'admin', email: 'admin@mats.example' }
  render(renderTree(<Senders />, { api, auth }))
  return userEvent.setup()
}

describe('a sender’s secret, shown once', () => {
  test('a new sender’s secret is shown with its warning and a copy button, then gone for good', async () => {
    const api = senderApi()
    const user = open(api)
    await user.click(await screen.findByRole('button', { name: 'Add sender' }))
    const form = screen.getByRole('form', { name: 'Add a sender' })
    await user.type(within(form).getByLabelText('Name'), 'Acme Quant')
    await user.click(within(form).getByRole('button', { name: 'Add sender' }))

    const shown = await screen.findByTestId('secret-once')
    expect(shown).toHaveTextContent('Acme Quant (acme-quant-1a2b3c) is registered')
    expect(shown).toHaveTextContent('it is shown this once')
    expect(within(shown).getByTestId('secret-value')).toHaveTextContent('whsec-first-secret')
    await user.click(within(shown).getByRole('button', { name: 'Copy' }))
    expect(await navigator.clipboard.readText()).toBe('whsec-first-secret')
    expect(within(shown).getByRole('button', { name: 'Copied' })).toBeInTheDocument()
    expect(api.calls.find((call) => call.method === 'POST')?.body).toEqual({ name: 'Acme Quant', rate_limit_per_minute: 60 })

    await user.click(within(shown).getByRole('button', { name: 'Done: I have stored it' }))
    expect(screen.queryByText('whsec-first-secret')).not.toBeInTheDocument()
    expect(await screen.findByText('Acme Quant')).toBeInTheDocument()

    // Opened again (a reload), the page has only what the API reads give: no secret.
    cleanup()
    open(api)
    expect(await screen.findByText('Acme Quant')).toBeInTheDocument()
    expect(screen.queryByTestId('secret-once')).not.toBeInTheDocument()
    expect(document.body).not.toHaveTextContent('whsec-first-secret')
  })

  test('a name taken is the API’s 409, beside the name, and no secret is shown', async () => {
    const user = open(senderApi())
    await user.click(await screen.findByRole('button', { name: 'Add sender' }))
    const form = screen.getByRole('form', { name: 'Add a sender' })
    await user.type(within(form).getByLabelText('Name'), 'demo signals')
    await user.clear(within(form).getByLabelText(/Requests a minute/))
    await user.click(within(form).getByRole('button', { name: 'Add sender' }))
    expect(within(form).getByLabelText(/Requests a minute/)).toHaveAttribute('aria-invalid', 'true')
    await user.type(within(form).getByLabelText(/Requests a minute/), '120')
    await user.click(within(form).getByRole('button', { name: 'Add sender' }))
    expect(await within(form).findByText('a sender named demo signals exists already')).toBeInTheDocument()
    expect(within(form).getByLabelText('Name')).toHaveAttribute('aria-invalid', 'true')
    expect(screen.queryByTestId('secret-once')).not.toBeInTheDocument()
  })

  test('rotating asks first, with the grace period, and shows the new secret once', async () => {
    const api = senderApi()
    const user = open(api)
    await user.click(await screen.findByRole('button', { name: 'Rotate the secret of demo-signals' }))
    const dialog = screen.getByRole('dialog', { name: 'Rotate the secret of Demo Signals?' })
    const grace = within(dialog).getByLabelText('Keep the old secret working for (seconds)')
    await user.clear(grace)
    await user.type(grace, '3600')
    await user.click(within(dialog).getByRole('button', { name: 'Issue a new secret' }))
    expect(await screen.findByTestId('secret-value')).toHaveTextContent('whsec-rotated-secret')
    expect(api.calls).toContainEqual({ method: 'POST', path: '/senders/demo-signals/rotate', body: { grace_seconds: 3600 } })
  })

  test('disabling asks first and says what it does', async () => {
    const api = senderApi()
    const user = open(api)
    await user.click(await screen.findByRole('button', { name: 'Disable demo-signals' }))
    const dialog = screen.getByRole('dialog', { name: 'Disable Demo Signals?' })
    expect(dialog).toHaveTextContent('Its webhooks are refused from now on')
    await user.click(within(dialog).getByRole('button', { name: 'Disable demo-signals' }))
    expect(await screen.findByTestId('outcome')).toHaveTextContent("Demo Signals's webhooks are refused from now on.")
    expect(await screen.findByRole('button', { name: 'Enable demo-signals' })).toBeInTheDocument()
  })
})
