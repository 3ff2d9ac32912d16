// Builders of the activity reads' answers, with safe defaults so a test shows only what matters.
import type { Decision, Order, OrderSummary, SignalSummary } from '../api/types'

export function aSignal(signalId: string, overrides: Partial<SignalSummary> = {}): SignalSummary {
  return {
    signal_id: signalId,
    strategy_id: 'trend-es',
    sender_id: 'alpha-1a2b3c',
    received_at: '2026-12-03T08:00:05.120000Z',
    status: 'ACCEPTED',
    source_format: 'tradingview',
    symbol: 'ES1!',
    intent: 'ENTRY_LONG',
    outbox_state: 'PUBLISHED',
    tags: [],
    rejection_reason: null,
    rejection_detail: null,
    price: '5012.25',
    sizing: {
      signal_id: signalId,
      decided_at: '2026-12-03T08:00:06.000000Z',
      outcome: 'APPROVED',
      reasons: [],
      quantity: '2',
      notional: '501225',
      currency: 'USD',
      allocated_capital: '520000',
    },
    ...overrides,
  }
}

export function anOrder(orderId: string, overrides: Partial<OrderSummary> = {}): OrderSummary {
  const order: Order = {
    id: orderId,
    signal_id: orderId.replace(/_ORD.*$/, ''),
    strategy_id: 'trend-es',
    account: 'IBKR_Futures',
    broker: 'IB',
    symbol: 'ES1!',
    currency: 'USD',
    purpose: 'ENTRY',
    action: 'PLACE',
    quantity: '2',
    side: 'BUY',
    reference_price: '5012.25',
    order_type: 'MARKET',
  }
  return {
    order_id: orderId,
    order,
    state: 'FILLED',
    decided_at: '2026-12-03T08:00:06.000000Z',
    filled_quantity: '2',
    average_price: '5012.5',
    venue: 'IB',
    reason: null,
    held_reason: null,
    fills: [],
    ...overrides,
  }
}

export function aDecision(signalId: string, overrides: Partial<Decision> = {}): Decision {
  return {
    signal_id: signalId,
    strategy_id: 'trend-es',
    account: 'IBKR_Futures',
    symbol: 'ES1!',
    decided_at: '2026-12-03T08:00:06.000000Z',
    signal_intent: 'ENTRY_LONG',
    status: 'SCALED',
    summary: 'Long 2 ES1!: scaled down to fit the margin limit',
    effective_intent: null,
    reasons: ['MARGIN_SCALED'],
    inputs: [
      { name: 'equity', value: '1300000', source: 'accounts/IBKR_Futures', as_of: '2026-12-03T08:00:00Z', age_seconds: 6.04 },
      { name: 'allocation_percent', value: '40', source: 'portfolio_allocations/ALLOC_1', as_of: null, age_seconds: null },
    ],
    steps: [
      { name: 'allocated_capital', detail: 'equity 1300000 x 40%', value: '520000' },
      { name: 'margin_scaled', detail: 'cut from 3 to 2 contracts to stay under 40% margin', value: '2' },
    ],
    checks: [
      { name: 'margin_limit', value: '0.38', threshold: '0.40', passed: true, note: 'after scaling' },
      { name: 'max_position', value: '2', threshold: '5', passed: true, note: '' },
    ],
    orders: [anOrder(`${signalId}_ORD`).order],
    alerts: [],
    risk_change: null,
    sequence: 7,
    published: true,
    ...overrides,
  }
}
