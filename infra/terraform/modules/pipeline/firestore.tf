resource "google_firestore_database" "database" {
  project                           = var.project_id
  name                              = "(default)"
  location_id                       = var.firestore_location
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "PESSIMISTIC"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "ABANDON"
}

# Every query that filters on one field and orders (or ranges) on another needs a composite
# index; each entry names the adapter query it serves (tests/infra checks them against the code).
# Equality-only queries on several fields are served by merging single-field indexes.
locals {
  composite_indexes = {
    # FirestoreDecisionStore.list: decisions of a strategy, newest first.
    decisions_by_strategy = { collection = "decisions", fields = [["strategy_id", "ASCENDING"], ["decided_at", "DESCENDING"]] }
    # FirestoreDecisionStore.list_orders: a strategy's and/or an account's orders, newest first.
    orders_by_strategy         = { collection = "orders", fields = [["strategy_id", "ASCENDING"], ["decided_at", "DESCENDING"]] }
    orders_by_account          = { collection = "orders", fields = [["account", "ASCENDING"], ["decided_at", "DESCENDING"]] }
    orders_by_strategy_account = { collection = "orders", fields = [["strategy_id", "ASCENDING"], ["account", "ASCENDING"], ["decided_at", "DESCENDING"]] }
    # FirestoreDecisionStore._orders_of: an account's LIVE orders changed since its snapshot.
    orders_live_since = { collection = "orders", fields = [["account", "ASCENDING"], ["trading_mode", "ASCENDING"], ["updated_at", "ASCENDING"]] }
    # FirestoreDecisionStore._sequence: an account's newest decision sequence.
    decision_sequence_by_account = { collection = "decision_sequence", fields = [["account", "ASCENDING"], ["sequence", "DESCENDING"]] }
    # FirestoreExecutionStore.list_fills: a strategy's and/or an account's fills, newest first.
    fills_by_strategy         = { collection = "fills", fields = [["strategy_id", "ASCENDING"], ["executed_at", "DESCENDING"]] }
    fills_by_account          = { collection = "fills", fields = [["account", "ASCENDING"], ["executed_at", "DESCENDING"]] }
    fills_by_strategy_account = { collection = "fills", fields = [["strategy_id", "ASCENDING"], ["account", "ASCENDING"], ["executed_at", "DESCENDING"]] }
    # FirestoreSignalStore.lease_pending: the outbox sweep, oldest pending first.
    signals_pending = { collection = "signals", fields = [["outbox_state", "ASCENDING"], ["received_at", "ASCENDING"]] }
    # FirestoreSignalStore.list: by strategy, sender and/or status, newest first.
    signals_by_strategy        = { collection = "signals", fields = [["strategy_id", "ASCENDING"], ["received_at", "DESCENDING"]] }
    signals_by_sender          = { collection = "signals", fields = [["sender_id", "ASCENDING"], ["received_at", "DESCENDING"]] }
    signals_by_status          = { collection = "signals", fields = [["status", "ASCENDING"], ["received_at", "DESCENDING"]] }
    signals_by_strategy_sender = { collection = "signals", fields = [["strategy_id", "ASCENDING"], ["sender_id", "ASCENDING"], ["received_at", "DESCENDING"]] }
    signals_by_strategy_status = { collection = "signals", fields = [["strategy_id", "ASCENDING"], ["status", "ASCENDING"], ["received_at", "DESCENDING"]] }
    signals_by_sender_status   = { collection = "signals", fields = [["sender_id", "ASCENDING"], ["status", "ASCENDING"], ["received_at", "DESCENDING"]] }
    signals_by_all             = { collection = "signals", fields = [["strategy_id", "ASCENDING"], ["sender_id", "ASCENDING"], ["status", "ASCENDING"], ["received_at", "DESCENDING"]] }
    # FirestoreLedgerStore.signal_pnls_of: a sender's or a strategy's signals, latest change first.
    signal_pnl_by_sender   = { collection = "signal_pnl", fields = [["sender_id", "ASCENDING"], ["as_of", "DESCENDING"]] }
    signal_pnl_by_strategy = { collection = "signal_pnl", fields = [["strategy_id", "ASCENDING"], ["as_of", "DESCENDING"]] }
    signal_pnl_by_both     = { collection = "signal_pnl", fields = [["sender_id", "ASCENDING"], ["strategy_id", "ASCENDING"], ["as_of", "DESCENDING"]] }
    # FirestoreLedgerStore._marked_at: an account's latest state at a moment.
    account_history_by_account = { collection = "account_history", fields = [["account", "ASCENDING"], ["as_of", "DESCENDING"]] }
    # FirestoreLedgerStore.fx_rates_at: a pair's latest rate at a moment.
    fx_history_by_pair = { collection = "fx_history", fields = [["base_currency", "ASCENDING"], ["quote_currency", "ASCENDING"], ["as_of", "DESCENDING"]] }
    # FirestorePortfolio.allocations_with_status: allocations in a status, newest first.
    allocations_by_status = { collection = "portfolio_allocations", fields = [["status", "ASCENDING"], ["created_at", "DESCENDING"]] }
    # FirestoreTradingState.list_alerts(outstanding=True): open alerts, newest first.
    alerts_outstanding = { collection = "alerts", fields = [["outstanding", "ASCENDING"], ["created_at", "DESCENDING"]] }
    # DeadLetterService.list: a source subscription's dead letters, newest first.
    dead_letters_by_subscription = { collection = "dead_letters", fields = [["source_subscription", "ASCENDING"], ["received_at", "DESCENDING"]] }
    # The orders, fills and positions pages (dashboard API): each further equality filter
    # merges with these (Firestore index merging on the same order).
    orders_by_state      = { collection = "orders", fields = [["state", "ASCENDING"], ["decided_at", "DESCENDING"]] }
    fills_by_order       = { collection = "fills", fields = [["order_id", "ASCENDING"], ["executed_at", "DESCENDING"]] }
    positions_by_account = { collection = "positions", fields = [["strategy_id", "ASCENDING"], ["account", "ASCENDING"]] }
    # ExecutionQuality._summarise: a strategy's or a sender's latest shortfalls.
    shortfall_by_strategy = { collection = "shortfall_orders", fields = [["strategy_id", "ASCENDING"], ["decided_at", "DESCENDING"]] }
    shortfall_by_sender   = { collection = "shortfall_orders", fields = [["sender_id", "ASCENDING"], ["decided_at", "DESCENDING"]] }
    # The payouts pages: the open ones, and a sender's payments, newest month first.
    payouts_open_by_month    = { collection = "payouts", fields = [["open", "ASCENDING"], ["month", "DESCENDING"]] }
    payments_by_sender_month = { collection = "payout_payments", fields = [["sender_id", "ASCENDING"], ["month", "DESCENDING"]] }
    # PayoutBook.page_of: a sender's payouts, newest month first.
    payouts_by_sender_month = { collection = "payouts", fields = [["sender_id", "ASCENDING"], ["month", "DESCENDING"]] }
    # PayoutBook (states): a sender's latest crystallisation at a moment.
    payouts_by_sender_crystallised = { collection = "payouts", fields = [["sender_id", "ASCENDING"], ["crystallised_at", "DESCENDING"]] }
  }

  # Documents that only matter for a while carry expire_at; Firestore deletes them (within about
  # a day of it). Nothing relies on the deletion: readers compare the time themselves.
  ttl_collections = ["signal_keys", "signal_leases"]
}

resource "google_firestore_index" "composite" {
  for_each    = local.composite_indexes
  project     = var.project_id
  database    = google_firestore_database.database.name
  collection  = each.value.collection
  query_scope = "COLLECTION"

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path = fields.value[0]
      order      = fields.value[1]
    }
  }
}

resource "google_firestore_field" "ttl" {
  for_each   = toset(local.ttl_collections)
  project    = var.project_id
  database   = google_firestore_database.database.name
  collection = each.key
  field      = "expire_at"

  ttl_config {}
  # No single-field indexes: nothing queries expire_at, and an index on a steadily rising time
  # would cap the collection's write rate (Firestore best practices).
  index_config {}
}
