// The dashboard API over fetch: every call carries the signed-in user's ID token; a refusal
// becomes an ApiError with the API's status, message and field.

export class ApiError extends Error {
  readonly status: number
  readonly field?: string

  constructor(status: number, message: string, field?: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.field = field
  }
}

export interface Api {
  get<T>(path: string): Promise<T>
  send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>
}

export function httpApi(baseUrl: string, token: () => Promise<string | null>): Api {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' }
    const idToken = await token()
    if (idToken) headers.Authorization = `Bearer ${idToken}`
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    let answer: Response
    try {
      answer = await fetch(baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    } catch {
      throw new ApiError(0, 'The dashboard API cannot be reached. Check your connection and try again.')
    }
    const payload: unknown = await answer.json().catch(() => null)
    if (!answer.ok) {
      const refusal = (payload ?? {}) as { error?: string; field?: string }
      throw new ApiError(answer.status, refusal.error ?? `the API answered ${answer.status}`, refusal.field)
    }
    return payload as T
  }
  return {
    get: (path) => call('GET', path),
    send: (method, path, body) => call(method, path, body),
  }
}
