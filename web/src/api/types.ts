// The shapes the dashboard API answers with (src/mats/api/openapi/*.json). Money, quantities and
// percents are decimal strings, never numbers.

export type Role = 'admin' | 'client' | 'sender'

export interface Flow {
  flow_id: string
  kind: 'DEPOSIT' | 'WITHDRAWAL'
  status: string
  recorded_at: string
  amount: string | null
  units: string | null
  nav_per_unit: string | null
  units_dealt: string | null
  amount_dealt: string | null
  strike_id: string | null
  reason: string | null
  paid_at: string | null
  paid_reference: string | null
}

export interface Returns {
  months: { month: string; value: string }[]
  years: { year: number; value: string }[]
  year_to_date: string | null
  since_inception: string | null
  max_drawdown: string | null
  nav_per_unit: string | null
  as_of: string | null
}

export interface ClientView {
  client_id: string
  name: string
  base_currency: string
  units: string
  nav_per_unit: string
  value: string
  net_contributions: string
  profit: string
  irr: string | null
  pending: Flow[]
  flows: Flow[]
  as_of: string | null
}

export interface ClientPage {
  client: ClientView
  returns: Returns
}

export interface SenderView {
  sender_id: string
  base_currency: string
  cumulative_pnl: string
  realized: string
  unrealized: string
  commissions: string
  hwm: string
  accrued: string
  due: string
  carried: string
  paid: string
  next_payment_date: string | null
  fee_rate: string
  min_payout: string
  as_of: string | null
  flags: string[]
}

export interface Shortfall {
  group: string
  orders: number
  measured: number
  notional_base: string
  weighted_mean_bps: string | null
  median_bps: string | null
  signal_to_decision: string | null
  decision_to_arrival: string | null
  execution: string | null
  fees_bps: string | null
  median_latencies_ms: Record<string, number | null>
}

export interface SenderPage {
  sender_id: string
  name: string
  view: SenderView | null
  shortfall: Shortfall | null
}

export interface Me {
  uid: string
  email: string | null
  role: Role | null
  client_id: string | null
  sender_id: string | null
  client: ClientPage | null
  sender: SenderPage | null
}

export interface SignalPnl {
  signal_id: string
  strategy_id: string
  account: string
  symbol: string
  currency: string
  opened_quantity: string
  open_quantity: string
  realized: string
  commissions: string
  unrealized: string
  net: string
  as_of: string | null
  flags: string[]
}

/** What Cerebro did with one signal: outcome, coded reasons, what it placed and against what. */
export interface SignalSizing {
  signal_id: string
  decided_at: string
  outcome: 'APPROVED' | 'SCALED' | 'REJECTED' | 'IGNORED' | 'DROPPED'
  reasons: string[]
  quantity: string
  notional: string | null
  currency: string | null
  allocated_capital: string | null
}

/** One of a sender's signals: ingest's verdict, Cerebro's sizing and the P&L of what it opened. */
export interface SenderSignal {
  signal_id: string
  received_at: string
  strategy_id: string
  symbol: string
  intent: string
  status: 'ACCEPTED' | 'REJECTED'
  rejection_reason: string | null
  rejection_detail: string | null
  sizing: SignalSizing | null
  pnl: SignalPnl | null
}

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

export interface Payout {
  payout_id: string
  sender_id: string
  month: string
  status: 'DUE' | 'PAID' | 'CARRIED' | 'NO FEE'
  open: boolean
  crystallisation: {
    cumulative_pnl: string
    hwm_before: string
    hwm_after: string
    fee: string
    carried_in: string
    payable: string
    carried_out: string
    payment_date: string
  } | null
  paid_at: string | null
  paid_reference: string | null
  paid_by: string | null
}

export interface FundAccount {
  account: string
  broker: string
  currency: string
  equity: string
  equity_base: string
  margin_used_base: string
  as_of: string | null
  flags: string[]
}

export interface Fund {
  base_currency: string
  equity: string
  nav: string
  day_pnl: string
  day_pnl_pct: string
  margin_used: string
  margin_max: string
  margin_used_pct: string
  open_positions: number
  unpriced_positions: number
  accounts: FundAccount[]
  nav_per_unit: string | null
  as_of: string | null
  flags: string[]
}

export interface Alert {
  alert_id: string
  kind?: string
  severity: string
  message?: string
  created_at?: string
  source?: string
  strategy_id?: string | null
  signal_id?: string | null
  acknowledged?: boolean
  acknowledged_at?: string | null
  acknowledged_by?: string | null
}

export interface Health {
  topics: { topic: string; message_id: string; at: string }[]
  open_alerts: number
  critical_alerts: number
  last_nightly_run: string | null
  last_nightly_status: string | null
  last_nightly_at: string | null
  last_snapshot_at: string | null
  last_strike: string | null
  stale_accounts: string[]
  bridge: { connected?: boolean; state?: string; at?: string; [key: string]: unknown } | null
  dead_letters: { topic?: string; count?: number; [key: string]: unknown }[]
  as_of: string | null
  processes: { name: string; ready: boolean; state: string; restarts: number | null; detail: string | null }[] | null
  backlog: { subscription: string; undelivered: number; oldest_age_seconds: number | null }[] | null
  platform_error: string | null
}

export interface Allocation {
  allocation_id: string
  allocations: Record<string, string>
  status: 'ACTIVE' | 'PENDING_APPROVAL' | 'ARCHIVED' | 'REJECTED' | string
  created_at: string
  activated_at: string | null
  approved_by: string | null
  source: string
  notes: string | null
  metrics: Record<string, string>
  run_id: string | null
  based_on: string | null
  rejected_by: string | null
  rejection_reason: string | null
}

/** The allocation in force, with each strategy's capital at the fund's equity (null until valued). */
export interface CurrentAllocation extends Allocation {
  capital: { base_currency: string; equity: string; by_strategy: Record<string, string> } | null
}

/** A strategy's line of a recommendation beside the allocation in force (percent of equity). */
export interface AllocationLine {
  strategy_id: string
  current: string
  recommended: string
  change: string
}

export interface Recommendation extends Allocation {
  against_current: AllocationLine[]
}

export interface Approved {
  allocation: Allocation
  archived: string[]
  closed: string[]
}

/** A signal as the admin's lists show it: ingest's verdict, the sender's price, Cerebro's sizing. */
export interface SignalSummary {
  signal_id: string
  strategy_id: string
  sender_id: string
  received_at: string
  status: 'ACCEPTED' | 'REJECTED'
  source_format: string
  symbol: string
  intent: string
  outbox_state: 'PENDING' | 'PUBLISHED' | 'NOT_PUBLISHED'
  tags: string[]
  rejection_reason: string | null
  rejection_detail: string | null
  price: string | null
  sizing: SignalSizing | null
}

/** An order as Cerebro sized it (`mats.order.v1`). */
export interface Order {
  id: string
  signal_id: string
  strategy_id: string
  account: string
  broker: string
  symbol: string
  currency: string
  purpose: 'ENTRY' | 'EXIT'
  action: 'PLACE' | 'CANCEL_OPEN'
  quantity: string
  side: 'BUY' | 'SELL' | null
  reference_price: string | null
  order_type: string
}

/** One execution at the venue. */
export interface Fill {
  id: string
  order_id: string
  signal_id: string
  strategy_id: string
  account: string
  broker: string
  symbol: string
  side: 'BUY' | 'SELL'
  quantity: string
  price: string
  commission: string
  currency: string
  commission_currency: string | null
  executed_at: string
  purpose: 'ENTRY' | 'EXIT'
}

/** An order as executed: its state, what filled at what average price, and its fills. */
export interface OrderSummary {
  order_id: string
  order: Order
  state: string
  decided_at: string
  filled_quantity: string
  average_price: string | null
  venue: string | null
  reason: string | null
  held_reason: string | null
  fills: Fill[]
}

/** Cerebro's flight recorder for one signal (`/api/decisions/{signal_id}`). */
export interface Decision {
  signal_id: string
  strategy_id: string
  account: string
  symbol: string
  decided_at: string
  signal_intent: string
  status: SignalSizing['outcome']
  summary: string
  effective_intent: string | null
  reasons: string[]
  inputs: { name: string; value: unknown; source: string; as_of: string | null; age_seconds: number | null }[]
  steps: { name: string; detail: string; value: string | null }[]
  checks: { name: string; value: string; threshold: string; passed: boolean; note: string }[]
  orders: Order[]
  alerts: { kind: string; severity: string; message: string }[]
  risk_change: { scope: string; state: string; reason: string | null; set_by: string | null } | null
  sequence: number | null
  published: boolean
}

export type RiskState = 'ACTIVE' | 'REDUCING' | 'HALTED'

/** One scope's trading state: `state` as set, `in_force` the stricter of its own and the fund's. */
export interface ScopeRisk {
  scope: string
  strategy_id: string | null
  state: RiskState
  in_force: RiskState
  reason: string | null
  set_by: string | null
  updated_at: string | null
}

export interface RiskOverview {
  fund: ScopeRisk
  strategies: ScopeRisk[]
}

/** A webhook sender's settings: never its secret nor any hash of it. */
export interface SenderSettings {
  sender_id: string
  name: string
  status: 'ACTIVE' | 'DISABLED'
  ip_allowlist: string[]
  max_lag_seconds: number | null
  rate_limit_per_minute: number
  previous_secret_valid_until: string | null
  created_at: string
  updated_at: string
}

/** A sender and the secret just issued: in this answer and nowhere else. */
export interface SenderSecret {
  sender: SenderSettings
  secret: string
}

export interface DashboardUser {
  uid: string
  email: string | null
  display_name: string | null
  role: Role | null
  client_id: string | null
  sender_id: string | null
  disabled: boolean
  email_verified: boolean
  second_factors: string[]
  created_at: string | null
  last_sign_in_at: string | null
  tokens_valid_after: string | null
}

/** A created user and its generated password (null when one was given), shown once. */
export interface UserCreated {
  user: DashboardUser
  password: string | null
}
