import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import type { ReactNode } from 'react'
import { MemoryRouter, Route, Routes } from 'react-router-dom'
import { ApiError, type Api } from '../api/client'
import { AppProvider } from '../app'
import type { AuthClient, SessionUser, SignInResult } from '../auth/types'

/** An AuthClient whose sign-in answers are scripted by the test. */
export class FakeAuth implements AuthClient {
  private listeners = new Set<(user: SessionUser | null) => void>()
  user: SessionUser | null = null
  signInAnswer: (email: string, password: string) => Promise<SignInResult> = async () => ({ kind: 'signed-in' })

  signIn(email: string, password: string) {
    return this.signInAnswer(email, password)
  }
  async signOut() {
    this.become(null)
  }
  onChange(listener: (user: SessionUser | null) => void) {
    this.listeners.add(listener)
    listener(this.user)
    return () => this.listeners.delete(listener)
  }
  async idToken() {
    return this.user ? 'token' : null
  }
  become(user: SessionUser | null) {
    this.user = user
    for (const listener of this.listeners) listener(user)
  }
}

/** An Api answering from a table of handlers; every call is recorded. */
export class FakeApi implements Api {
  calls: { method: string; path: string; body?: unknown }[] = []
  private readonly handlers: Record<string, (body?: unknown) => unknown>

  constructor(handlers: Record<string, (body?: unknown) => unknown>) {
    this.handlers = handlers
  }

  async get<T>(path: string): Promise<T> {
    return this.answer('GET', path) as T
  }
  async send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return this.answer(method, path, body) as T
  }
  private answer(method: string, path: string, body?: unknown): unknown {
    this.calls.push({ method, path, body })
    const handler = this.handlers[`${method} ${path}`]
    if (!handler) throw new ApiError(404, 'not found')
    return handler(body)
  }
}

export function renderTree(ui: ReactNode, services: { api: Api; auth: AuthClient }, at = '/') {
  const queries = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  return (
    <QueryClientProvider client={queries}>
      <AppProvider services={services}>
        <MemoryRouter initialEntries={[at]}>
          <Routes>
            <Route path="*" element={ui} />
          </Routes>
        </MemoryRouter>
      </AppProvider>
    </QueryClientProvider>
  )
}
