import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen } from '@testing-library/react'
import { MemoryRouter } from 'react-router-dom'
import { describe, expect, test } from 'vitest'
import { ApiError } from './api/client'
import type { Me } from './api/types'
import { AppProvider } from './app'
import { AppRoutes } from './routes'
import { FakeApi, FakeAuth } from './test/fakes'

const client: Me = {
  uid: 'u1',
  email: 'jane@whitfield.example',
  role: 'client',
  client_id: 'jane-whitfield',
  sender_id: null,
  client: null,
  sender: null,
}

function at(path: string, api: FakeApi, signedIn = true) {
  const auth = new FakeAuth()
  if (signedIn) auth.user = { uid: 'u1', email: client.email }
  const queries = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  render(
    <QueryClientProvider client={queries}>
      <AppProvider services={{ api, auth }}>
        <MemoryRouter initialEntries={[path]}>
          <AppRoutes />
        </MemoryRouter>
      </AppProvider>
    </QueryClientProvider>,
  )
}

describe('routing by the role /api/me names', () => {
  test('signed out, a page asks for the login', async () => {
    at('/investor', new FakeApi({}), false)
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeInTheDocument()
  })

  test("a client asking for an admin's page sees not-found", async () => {
    at('/admin', new FakeApi({ 'GET /me': () => client }))
    expect(await screen.findByRole('heading', { name: 'Not found' })).toBeInTheDocument()
  })

  test("a client asking for another client's page sees not-found, as the API's 404 says", async () => {
    const api = new FakeApi({
      'GET /me': () => client,
      'GET /clients/harbor-family': () => {
        throw new ApiError(404, 'not found')
      },
    })
    at('/clients/harbor-family', api)
    expect(await screen.findByRole('heading', { name: 'Not found' })).toBeInTheDocument()
    expect(api.calls.map((call) => call.path)).toContain('/clients/harbor-family')
  })

  test('an account without a role is told so', async () => {
    at('/', new FakeApi({ 'GET /me': () => ({ ...client, role: null, client_id: null }) }))
    expect(await screen.findByRole('alert')).toHaveTextContent('Your account has no role yet.')
  })
})
