import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test } from 'vitest'
import { FakeApi, FakeAuth, renderTree } from '../test/fakes'
import { NavHistory } from './NavHistory'

describe('the NAV per unit history', () => {
  test("starts at the API's year and offers the years the returns know", async () => {
    const api = new FakeApi({
      'GET /nav/history': () => ({ year: '2026', points: [] }),
      'GET /nav/history?year=2025': () => ({ year: '2025', points: [] }),
    })
    const auth = new FakeAuth()
    auth.user = { uid: 'client', email: 'client@mats.example' }
    render(renderTree(<NavHistory currency="USD" years={[2025, 2026]} />, { api, auth }))

    expect(await screen.findByText('No NAV has been struck in 2026 yet.')).toBeInTheDocument()
    const picker = screen.getByLabelText('Year')
    expect([...picker.querySelectorAll('option')].map((option) => option.textContent)).toEqual(['2026', '2025'])

    await userEvent.setup().selectOptions(picker, '2025')
    expect(await screen.findByText('No NAV has been struck in 2025 yet.')).toBeInTheDocument()
    expect(api.calls.map((call) => call.path)).toEqual(['/nav/history', '/nav/history?year=2025'])
  })
})
