import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test, vi } from 'vitest'
import { ApiError } from '../api/client'
import type { Allocation } from '../api/types'
import { FakeApi, FakeAuth, renderTree } from '../test/fakes'
import { AllocationEditor } from './AllocationEditor'

function allocation(id: string, allocations: Record<string, string>, status = 'ACTIVE'): Allocation {
  return {
    allocation_id: id,
    allocations,
    status,
    created_at: '2026-12-03T07:22:20Z',
    activated_at: null,
    approved_by: null,
    source: 'optimizer',
    notes: null,
    metrics: {},
    run_id: null,
    based_on: null,
    rejected_by: null,
    rejection_reason: null,
  }
}

const current = allocation('ALLOC_CURRENT', { 'trend-es': '30', 'btc-breakout': '10' })
const recommendation = allocation('ALLOC_PENDING', { 'trend-es': '50.00', 'meanrev-spy': '27.37' }, 'PENDING_APPROVAL')

function editor(api: FakeApi, onApproved = vi.fn()) {
  render(
    renderTree(
      <AllocationEditor current={current} recommendation={recommendation} onApproved={onApproved} onCancel={() => {}} />,
      { api, auth: new FakeAuth() },
    ),
  )
  return { user: userEvent.setup(), onApproved }
}

describe('edit and approve', () => {
  test('every strategy of either allocation is editable, starting at the recommendation', () => {
    editor(new FakeApi({}))
    expect(screen.getByLabelText('trend-es (%)')).toHaveValue('50.00')
    expect(screen.getByLabelText('meanrev-spy (%)')).toHaveValue('27.37')
    expect(screen.getByLabelText('btc-breakout (%)')).toHaveValue('0')
  })

  test('the edited percents are sent as decimal strings, based on the recommendation and the current allocation', async () => {
    const approved = { allocation: allocation('ALLOC_NEW', {}), archived: ['ALLOC_CURRENT'], closed: [] }
    const api = new FakeApi({ 'PUT /portfolio/allocations/custom': () => approved })
    const { user, onApproved } = editor(api)
    await user.clear(screen.getByLabelText('trend-es (%)'))
    await user.type(screen.getByLabelText('trend-es (%)'), '45.5')
    await user.type(screen.getByLabelText('Notes (why this allocation)'), 'less ES')
    await user.click(screen.getByRole('button', { name: 'Approve edited allocation' }))

    expect(onApproved).toHaveBeenCalledWith(approved)
    expect(api.calls).toEqual([
      {
        method: 'PUT',
        path: '/portfolio/allocations/custom',
        body: {
          allocations: { 'btc-breakout': '0', 'meanrev-spy': '27.37', 'trend-es': '45.5' },
          based_on: 'ALLOC_PENDING',
          expected_current: 'ALLOC_CURRENT',
          notes: 'less ES',
        },
      },
    ])
  })

  test('a value that is not a percent is refused before anything is sent', async () => {
    const api = new FakeApi({})
    const { user } = editor(api)
    await user.clear(screen.getByLabelText('meanrev-spy (%)'))
    await user.type(screen.getByLabelText('meanrev-spy (%)'), '27,5')
    await user.click(screen.getByRole('button', { name: 'Approve edited allocation' }))
    expect(screen.getByLabelText('meanrev-spy (%)')).toHaveAttribute('aria-invalid', 'true')
    expect(screen.getByText('Enter a percent such as 25 or 12.5.')).toBeInTheDocument()
    expect(api.calls).toEqual([])
  })

  test("the API's cap refusal is shown beside the strategy it names", async () => {
    const api = new FakeApi({
      'PUT /portfolio/allocations/custom': () => {
        throw new ApiError(422, 'trend-es: 60% is above the 50% cap', 'allocations.trend-es')
      },
    })
    const { user, onApproved } = editor(api)
    await user.clear(screen.getByLabelText('trend-es (%)'))
    await user.type(screen.getByLabelText('trend-es (%)'), '60')
    await user.click(screen.getByRole('button', { name: 'Approve edited allocation' }))
    expect(await screen.findByText('trend-es: 60% is above the 50% cap')).toBeInTheDocument()
    expect(screen.getByLabelText('trend-es (%)')).toHaveAttribute('aria-invalid', 'true')
    expect(onApproved).not.toHaveBeenCalled()
  })

  test('a total over the limit is shown for the whole form', async () => {
    const api = new FakeApi({
      'PUT /portfolio/allocations/custom': () => {
        throw new ApiError(422, 'the total 210% is above 200%', 'allocations')
      },
    })
    const { user } = editor(api)
    await user.click(screen.getByRole('button', { name: 'Approve edited allocation' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('the total 210% is above 200%')
  })

  test('an allocation changed by someone else meanwhile asks for a reload', async () => {
    const api = new FakeApi({
      'PUT /portfolio/allocations/custom': () => {
        throw new ApiError(409, 'the ACTIVE allocation is no longer ALLOC_CURRENT')
      },
    })
    const { user } = editor(api)
    await user.click(screen.getByRole('button', { name: 'Approve edited allocation' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('The active allocation changed since you started editing.')
  })
})
