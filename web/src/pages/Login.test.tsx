import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { Route, Routes } from 'react-router-dom'
import { describe, expect, test } from 'vitest'
import { SignInError, signInMessage } from '../auth/types'
import { FakeApi, FakeAuth, renderTree } from '../test/fakes'
import { Login } from './Login'

function loginPage(auth: FakeAuth) {
  const ui = (
    <Routes>
      <Route path="/login" element={<Login />} />
      <Route path="/" element={<p>signed in home</p>} />
    </Routes>
  )
  return render(renderTree(ui, { api: new FakeApi({}), auth }, '/login'))
}

async function enterPassword() {
  const user = userEvent.setup()
  await user.type(screen.getByLabelText('Email'), 'admin@mats.example')
  await user.type(screen.getByLabelText('Password'), 'secret')
  await user.click(screen.getByRole('button', { name: 'Sign in' }))
  return user
}

describe('the SMS second factor step', () => {
  test('an admin is asked for the code sent to their phone, and a wrong code is explained', async () => {
    const auth = new FakeAuth()
    const codes: string[] = []
    let sent = 0
    auth.signInAnswer = async () => ({
      kind: 'second-factor',
      phoneHint: '+*******0100',
      async sendCode() {
        sent += 1
        return async (code: string) => {
          codes.push(code)
          if (code !== '123456') throw new SignInError('auth/invalid-verification-code', signInMessage('auth/invalid-verification-code'))
          auth.become({ uid: 'admin', email: 'admin@mats.example' })
        }
      },
    })
    loginPage(auth)
    const user = await enterPassword()

    expect(await screen.findByLabelText('SMS code')).toBeInTheDocument()
    expect(screen.getByText('+*******0100')).toBeInTheDocument()
    expect(sent).toBe(1)

    await user.type(screen.getByLabelText('SMS code'), '12345')
    await user.click(screen.getByRole('button', { name: 'Verify' }))
    expect(screen.getByRole('alert')).toHaveTextContent('Enter the 6-digit code from the SMS.')
    expect(codes).toEqual([])

    await user.clear(screen.getByLabelText('SMS code'))
    await user.type(screen.getByLabelText('SMS code'), '999999')
    await user.click(screen.getByRole('button', { name: 'Verify' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('That code is not right.')

    await user.clear(screen.getByLabelText('SMS code'))
    await user.type(screen.getByLabelText('SMS code'), '123456')
    await user.click(screen.getByRole('button', { name: 'Verify' }))
    expect(await screen.findByText('signed in home')).toBeInTheDocument()
    expect(codes).toEqual(['999999', '123456'])
  })

  test('a new code can be asked for', async () => {
    const auth = new FakeAuth()
    let sent = 0
    auth.signInAnswer = async () => ({
      kind: 'second-factor',
      phoneHint: '+*******0100',
      async sendCode() {
        sent += 1
        return async () => {}
      },
    })
    loginPage(auth)
    const user = await enterPassword()
    await user.click(await screen.findByRole('button', { name: 'Send a new code' }))
    await screen.findByLabelText('SMS code')
    expect(sent).toBe(2)
  })

  test('a code that cannot be sent returns to the password step with the reason', async () => {
    const auth = new FakeAuth()
    auth.signInAnswer = async () => ({
      kind: 'second-factor',
      phoneHint: '+*******0100',
      async sendCode() {
        throw new SignInError('auth/too-many-requests', signInMessage('auth/too-many-requests'))
      },
    })
    loginPage(auth)
    await enterPassword()
    expect(await screen.findByRole('alert')).toHaveTextContent('Too many attempts.')
    expect(screen.getByLabelText('Password')).toBeInTheDocument()
  })

  test('a wrong password is explained and no code is sent', async () => {
    const auth = new FakeAuth()
    auth.signInAnswer = async () => {
      throw new SignInError('auth/invalid-credential', signInMessage('auth/invalid-credential'))
    }
    loginPage(auth)
    await enterPassword()
    expect(await screen.findByRole('alert')).toHaveTextContent('That email and password do not match an account.')
    expect(screen.queryByLabelText('SMS code')).not.toBeInTheDocument()
  })

  test('a user without a second factor goes straight in', async () => {
    const auth = new FakeAuth()
    auth.signInAnswer = async () => {
      auth.become({ uid: 'client', email: 'jane@whitfield.example' })
      return { kind: 'signed-in' }
    }
    loginPage(auth)
    await enterPassword()
    expect(await screen.findByText('signed in home')).toBeInTheDocument()
  })
})
