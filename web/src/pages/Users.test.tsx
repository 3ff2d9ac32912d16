import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test } from 'vitest'
import { ApiError } from '../api/client'
import type { DashboardUser } from '../api/types'
import { FakeApi, FakeAuth, renderTree } from '../test/fakes'
import Users from './Users'

function account(uid: string, email: string, role: DashboardUser['role'], scope: Partial<DashboardUser> = {}): DashboardUser {
  return { uid, email, display_name: null, role, client_id: null, sender_id: null, disabled: false, email_verified: true, second_factors: [], created_at: null, last_sign_in_at: null, tokens_valid_after: null, ...scope }
}

function usersPage() {
  let users = [account('u-admin', 'admin@mats.example', 'admin', { second_factors: ['phone'] }), account('u-jane', 'jane@whitfield.example', 'client', { client_id: 'jane-whitfield' })]
  const api = new FakeApi({
    'GET /me': () => ({ uid: 'u-admin', email: 'admin@mats.example', role: 'admin', client_id: null, sender_id: null, client: null, sender: null }),
    'GET /users': () => ({ items: users }),
    'GET /clients': () => ({ items: [{ client_id: 'jane-whitfield', name: 'Jane Whitfield' }] }),
    'GET /senders': () => ({ items: [{ sender_id: 'demo-signals', name: 'Demo Signals' }] }),
    'PUT /users/u-admin/role': () => {
      throw new ApiError(409, 'you cannot take away your own admin role; another admin must', 'role')
    },
    'POST /users/u-admin/disable': () => {
      throw new ApiError(409, 'you cannot disable yourself; another admin must', 'uid')
    },
    'PUT /users/u-jane/role': (body) => {
      const { sender_id } = body as { sender_id: string }
      users = [users[0], { ...users[1], role: 'sender', client_id: null, sender_id }]
      return users[1]
    },
    'POST /users': () => ({ user: account('u-new', 'ana@example.com', 'client', { client_id: 'jane-whitfield' }), password: 'generated-Pa55word' }),
  })
  const auth = new FakeAuth()
  auth.user = { uid: 'u-admin', email: 'admin@mats.example' }
  render(renderTree(<Users />, { api, auth }))
  return { api, user: userEvent.setup() }
}

describe('users and roles', () => {
  test('an admin taking away their own admin role is refused with the API’s words', async () => {
    const { user } = usersPage()
    await user.click(await screen.findByRole('button', { name: 'Change the role of admin@mats.example' }))
    const dialog = screen.getByRole('dialog', { name: 'Change the role of admin@mats.example' })
    await user.selectOptions(within(dialog).getByLabelText('Role'), 'client')
    await user.selectOptions(await within(dialog).findByLabelText('Client'), 'jane-whitfield')
    await user.click(within(dialog).getByRole('button', { name: 'Save role' }))
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Refused: you cannot take away your own admin role; another admin must')
  })

  test('an admin disabling themselves is refused with the API’s words', async () => {
    const { user } = usersPage()
    await user.click(await screen.findByRole('button', { name: 'Disable admin@mats.example' }))
    const dialog = screen.getByRole('dialog', { name: 'Disable admin@mats.example?' })
    await user.click(within(dialog).getByRole('button', { name: 'Disable admin@mats.example' }))
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Refused: you cannot disable yourself; another admin must')
  })

  test('a new role needs its scope before it is sent, then the row shows it', async () => {
    const { api, user } = usersPage()
    await user.click(await screen.findByRole('button', { name: 'Change the role of jane@whitfield.example' }))
    const dialog = screen.getByRole('dialog')
    await user.selectOptions(within(dialog).getByLabelText('Role'), 'sender')
    await user.click(within(dialog).getByRole('button', { name: 'Save role' }))
    expect(within(dialog).getByText('Pick the sender this user sees.')).toBeInTheDocument()
    await user.selectOptions(await within(dialog).findByLabelText('Sender'), 'demo-signals')
    await user.click(within(dialog).getByRole('button', { name: 'Save role' }))
    expect(await screen.findByTestId('outcome')).toHaveTextContent('jane@whitfield.example is now sender of demo-signals; their sessions were revoked.')
    expect(api.calls.filter((call) => call.method === 'PUT')).toEqual([{ method: 'PUT', path: '/users/u-jane/role', body: { role: 'sender', sender_id: 'demo-signals' } }])
  })

  test('a user added without a password gets a generated one, shown once', async () => {
    const { api, user } = usersPage()
    await user.click(await screen.findByRole('button', { name: 'Add user' }))
    const form = screen.getByRole('form', { name: 'Add a user' })
    await user.type(within(form).getByLabelText('Email'), 'ana@example.com')
    await user.selectOptions(await within(form).findByLabelText('Client'), 'jane-whitfield')
    await user.click(within(form).getByRole('button', { name: 'Add user' }))
    expect(await screen.findByTestId('secret-value')).toHaveTextContent('generated-Pa55word')
    expect(api.calls.find((call) => call.method === 'POST')?.body).toEqual({ email: 'ana@example.com', role: 'client', client_id: 'jane-whitfield', email_verified: true })
    await user.click(screen.getByRole('button', { name: 'Done: I have stored it' }))
    expect(screen.queryByText('generated-Pa55word')).not.toBeInTheDocument()
  })
})
