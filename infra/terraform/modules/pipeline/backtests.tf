# The strategies' backtest CSVs, which `mats backtests sync` (the dashboard's "Sync backtest")
# loads: a Cloud Run function has no directory of its own, so the optimizer reads them from here
# (MATS_BACKTEST_DIR=gs://...). Operators upload them with `gcloud storage cp` (docs/runbook.md).
locals {
  # Who reads the files: the workloads whose code runs the syncs (tests/infra holds this to the
  # settings each deployable reads) get the objects' read role and the variable, nobody else.
  backtest_readers = ["optimizer"]
  backtest_environment = {
    MATS_BACKTEST_DIR = "gs://${google_storage_bucket.backtests.name}/"
  }
}

resource "google_storage_bucket" "backtests" {
  # checkov:skip=CKV_GCP_62:The bucket holds only backtest CSVs that operators upload; object reads and writes are what Cloud Audit Logs' data access logs record if the project turns them on, and a second access-log bucket would only log the optimizer's nightly reads.
  project                     = var.project_id
  name                        = "${var.project_id}-mats-backtests"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = local.labels

  # An overwritten or deleted backtest can be restored (`gcloud storage cp` from its generation).
  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      num_newer_versions = 10
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket_iam_member" "backtest_reader" {
  for_each = toset(local.backtest_readers)
  bucket   = google_storage_bucket.backtests.name
  role     = "roles/storage.objectViewer"
  member   = "serviceAccount:${google_service_account.workload[each.key].email}"
}

# Operators upload, replace and delete the files (objectUser: objects only, never the bucket's
# settings or IAM).
resource "google_storage_bucket_iam_member" "backtest_uploader" {
  for_each = toset(var.operator_members)
  bucket   = google_storage_bucket.backtests.name
  role     = "roles/storage.objectUser"
  member   = each.key
}
