import { useState, type FormEvent } from 'react'
import { Navigate, useLocation } from 'react-router-dom'
import { useServices, useSession } from '../app'
import { RECAPTCHA_CONTAINER } from '../auth/constants'
import { SignInError, type SecondFactorStep } from '../auth/types'

type Step =
  | { kind: 'password' }
  | { kind: 'sending'; factor: SecondFactorStep }
  | { kind: 'code'; factor: SecondFactorStep; verify: (code: string) => Promise<void> }

function message(error: unknown): string {
  return error instanceof SignInError ? error.message : 'Sign-in failed. Try again.'
}

const input =
  'mt-1 block w-full rounded-md border border-slate-400 px-3 py-2 text-base focus:border-blue-700 focus:outline-2 focus:outline-blue-700'
const button =
  'w-full rounded-md bg-blue-800 px-4 py-2.5 font-semibold text-white hover:bg-blue-900 disabled:cursor-wait disabled:opacity-70'

export function Login() {
  const { auth } = useServices()
  const user = useSession()
  const location = useLocation()
  const [step, setStep] = useState<Step>({ kind: 'password' })
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const from = (location.state as { from?: string } | null)?.from ?? '/'
  if (user && step.kind === 'password' && !busy) return <Navigate to={from} replace />

  async function sendCode(factor: SecondFactorStep) {
    setStep({ kind: 'sending', factor })
    try {
      const verify = await factor.sendCode()
      setStep({ kind: 'code', factor, verify })
    } catch (sendError) {
      setError(message(sendError))
      setStep({ kind: 'password' })
    }
  }

  async function submitPassword(event: FormEvent) {
    event.preventDefault()
    setError(null)
    setBusy(true)
    try {
      const result = await auth.signIn(email.trim(), password)
      if (result.kind === 'second-factor') await sendCode(result)
    } catch (signInError) {
      setError(message(signInError))
    } finally {
      setBusy(false)
    }
  }

  async function submitCode(event: FormEvent) {
    event.preventDefault()
    if (step.kind !== 'code') return
    if (!/^\d{6}$/.test(code.trim())) {
      setError('Enter the 6-digit code from the SMS.')
      return
    }
    setError(null)
    setBusy(true)
    try {
      await step.verify(code.trim())
      setStep({ kind: 'password' })
    } catch (codeError) {
      setError(message(codeError))
    } finally {
      setBusy(false)
    }
  }

  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-6 shadow-md">
        <h1 className="text-2xl font-bold text-blue-950">MATS</h1>
        <p className="mb-6 text-slate-600">Sign in to the fund's dashboard</p>
        {error && (
          <p role="alert" className="mb-4 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">
            {error}
          </p>
        )}
        {step.kind === 'password' && (
          <form onSubmit={submitPassword} noValidate className="space-y-4">
            <label className="block text-sm font-medium">
              Email
              <input className={input} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
            </label>
            <label className="block text-sm font-medium">
              Password
              <input className={input} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
            </label>
            <button type="submit" className={button} disabled={busy}>
              {busy ? 'Signing in…' : 'Sign in'}
            </button>
          </form>
        )}
        {step.kind === 'sending' && (
          <p role="status" className="text-slate-700">Sending a code to {step.factor.phoneHint}…</p>
        )}
        {step.kind === 'code' && (
          <form onSubmit={submitCode} noValidate className="space-y-4">
            <p className="text-sm text-slate-700">
              Admins sign in with a second factor. We sent a 6-digit code by SMS to <strong>{step.factor.phoneHint}</strong>.
            </p>
            <label className="block text-sm font-medium">
              SMS code
              <input
                className={input + ' tracking-widest'}
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={6}
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
            </label>
            <button type="submit" className={button} disabled={busy}>
              {busy ? 'Checking…' : 'Verify'}
            </button>
            <button type="button" className="w-full text-sm text-blue-800 underline" onClick={() => sendCode(step.factor)}>
              Send a new code
            </button>
          </form>
        )}
        <div id={RECAPTCHA_CONTAINER} />
      </div>
    </main>
  )
}
