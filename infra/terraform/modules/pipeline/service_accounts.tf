resource "google_service_account" "workload" {
  for_each     = local.workloads
  project      = var.project_id
  account_id   = "mats-${each.key}"
  display_name = "MATS ${each.key}"
  description  = each.value
}

# Firestore has no per-collection IAM: every workload that reads or writes the store gets
# datastore.user on the project (never owner/editor), and each is the one writer of its documents
# by design (README "State").
resource "google_project_iam_member" "firestore_user" {
  for_each = toset(["ingest", "cerebro", "optimizer", "dashboard", "dashboard-api", "bridge"])
  project  = var.project_id
  role     = "roles/datastore.user"
  member   = "serviceAccount:${google_service_account.workload[each.key].email}"
}

# Structured logs and metrics from the VM (Cloud Run writes its own).
resource "google_project_iam_member" "gateway_telemetry" {
  for_each = toset(["roles/logging.logWriter", "roles/monitoring.metricWriter"])
  project  = var.project_id
  role     = each.key
  member   = "serviceAccount:${google_service_account.workload["ib-gateway"].email}"
}

# Each publisher on exactly the topics it publishes to (mats.contracts names them).
locals {
  publishes = {
    "ingest/signals"              = { workload = "ingest", topic = "signals" }
    "cerebro/orders"              = { workload = "cerebro", topic = "orders" }
    "bridge/fills"                = { workload = "bridge", topic = "fills" }
    "bridge/account-updates"      = { workload = "bridge", topic = "account-updates" }
    "dashboard-api/backtest-jobs" = { workload = "dashboard-api", topic = "backtest-jobs" }
  }
}

resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = local.publishes
  project  = var.project_id
  topic    = var.topics[each.value.topic]
  role     = "roles/pubsub.publisher"
  member   = "serviceAccount:${google_service_account.workload[each.value.workload].email}"
}

# The Pub/Sub service agent mints the pusher's OIDC tokens (needed in projects from before 2021).
resource "google_service_account_iam_member" "pusher_token_creator" {
  service_account_id = google_service_account.workload["pusher"].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:service-${var.project_number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

# The schedule API (dashboard-api, `mats schedule`) pauses, resumes, moves and runs the nightly
# job: a custom role with only those permissions, and actAs on the scheduler account the job
# signs with (Cloud Scheduler requires it to update a job with an OIDC token).
resource "google_project_iam_custom_role" "nightly_schedule" {
  project     = var.project_id
  role_id     = "matsNightlySchedule"
  title       = "MATS nightly schedule operator"
  description = "Show, pause, resume, move and run Cloud Scheduler jobs."
  permissions = [
    "cloudscheduler.jobs.get",
    "cloudscheduler.jobs.pause",
    "cloudscheduler.jobs.enable",
    "cloudscheduler.jobs.run",
    "cloudscheduler.jobs.update",
    "cloudscheduler.locations.get",
  ]
}

resource "google_project_iam_member" "nightly_schedule" {
  project = var.project_id
  role    = google_project_iam_custom_role.nightly_schedule.id
  # Project-wide (Cloud Scheduler takes no IAM conditions): the project's jobs are the four below.
  member = "serviceAccount:${google_service_account.workload["dashboard-api"].email}"
}

# The health page: Cloud Run's services and Pub/Sub's subscription metrics, read only.
resource "google_project_iam_member" "api_reads_services" {
  project = var.project_id
  role    = "roles/run.viewer"
  member  = "serviceAccount:${google_service_account.workload["dashboard-api"].email}"
}

resource "google_project_iam_member" "api_reads_metrics" {
  project = var.project_id
  role    = "roles/monitoring.viewer"
  member  = "serviceAccount:${google_service_account.workload["dashboard-api"].email}"
}

resource "google_service_account_iam_member" "api_acts_as_scheduler" {
  service_account_id = google_service_account.workload["scheduler"].name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.workload["dashboard-api"].email}"
}

# Function builds run as the Compute default account unless told otherwise; this one only
# builds (reads the staged source, writes the image and logs).
resource "google_service_account" "builder" {
  project      = var.project_id
  account_id   = "mats-builder"
  display_name = "MATS function builds"
}

resource "google_project_iam_member" "builder" {
  for_each = toset(["roles/logging.logWriter", "roles/artifactregistry.writer"])
  project  = var.project_id
  role     = each.key
  member   = "serviceAccount:${google_service_account.builder.email}"
}

resource "google_storage_bucket_iam_member" "builder_reads_source" {
  bucket = google_storage_bucket.sources.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.builder.email}"
}
