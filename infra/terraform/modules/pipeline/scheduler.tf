# The Scheduler's calls carry an OIDC token of the scheduler account for the target's URL: Cloud
# Run's IAM lets only that account (and the operators) in, and the function checks it again.
locals {
  scheduled = {
    mats-hourly-snapshot = {
      target      = "dashboard", path = "/snapshot", body = {}, schedule = var.schedules.hourly_snapshot
      description = "The hourly snapshot of equity, positions and margin (once per hour)."
      deadline    = "300s", retries = 3
    }
    mats-nav-strike = {
      target      = "dashboard", path = "/strike", body = {}, schedule = var.schedules.nav_strike
      description = "The daily NAV strike; pending deposits and withdrawals dealt (once per date)."
      deadline    = "300s", retries = 5
    }
    mats-month-end = {
      target      = "dashboard", path = "/month-end", body = {}, schedule = var.schedules.month_end
      description = "Month-end: every sender's fee crystallised at the month's last strike."
      deadline    = "300s", retries = 5
    }
  }
}

resource "google_cloud_scheduler_job" "job" {
  for_each         = local.scheduled
  project          = var.project_id
  region           = var.region
  name             = each.key
  description      = each.value.description
  schedule         = each.value.schedule
  time_zone        = "Etc/UTC"
  attempt_deadline = each.value.deadline

  retry_config {
    retry_count          = each.value.retries
    min_backoff_duration = "30s"
    max_backoff_duration = "600s"
  }

  http_target {
    http_method = "POST"
    uri         = "${local.url[each.value.target]}${each.value.path}"
    body        = base64encode(jsonencode(each.value.body))
    headers     = { "Content-Type" = "application/json" }

    oidc_token {
      service_account_email = google_service_account.workload["scheduler"].email
      audience              = local.url[each.value.target]
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.function_invoker]
}

# The nightly optimisation: a PENDING_APPROVAL allocation (one run per date). `mats schedule
# set-time|pause|resume` (the dashboard API's schedule routes) moves and pauses it, so Terraform
# sets its time once and then leaves time and state alone.
resource "google_cloud_scheduler_job" "nightly" {
  project          = var.project_id
  region           = var.region
  name             = "mats-nightly-optimization"
  description      = "The nightly optimisation: a PENDING_APPROVAL allocation (one run per date)."
  schedule         = var.schedules.nightly_optimization
  time_zone        = "Etc/UTC"
  attempt_deadline = "1800s"

  retry_config {
    retry_count          = 3
    min_backoff_duration = "60s"
    max_backoff_duration = "600s"
  }

  http_target {
    http_method = "POST"
    uri         = "${local.url.optimizer}/run"
    body        = base64encode(jsonencode({}))
    headers     = { "Content-Type" = "application/json" }

    oidc_token {
      service_account_email = google_service_account.workload["scheduler"].email
      audience              = local.url.optimizer
    }
  }

  lifecycle {
    ignore_changes = [schedule, time_zone, paused]
  }

  depends_on = [google_cloud_run_v2_service_iam_member.function_invoker]
}
