# The secrets' values are never in Terraform (nor its state): `mats secrets set NAME` adds each
# version from stdin. Terraform declares the secret and who may read it.
resource "google_secret_manager_secret" "secret" {
  for_each  = local.secrets
  project   = var.project_id
  secret_id = each.key
  labels    = local.labels

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_iam_member" "reader" {
  for_each  = local.secret_grants
  project   = var.project_id
  secret_id = google_secret_manager_secret.secret[each.value.secret].secret_id
  role      = each.value.role
  member    = "serviceAccount:${google_service_account.workload[each.value.reader].email}"
}

# Senders' signing keys are created by `mats senders create|rotate` (one secret per key,
# sender-{id}-signing-key-{verifier}); only ingest reads them, and only those.
resource "google_project_iam_member" "ingest_reads_signing_keys" {
  for_each = toset(local.secret_reader_roles)
  project  = var.project_id
  role     = each.key
  member   = "serviceAccount:${google_service_account.workload["ingest"].email}"

  condition {
    title       = "sender-signing-keys-only"
    description = "Secrets named sender-*: the webhook senders' signing keys."
    expression  = "resource.name.startsWith(\"projects/${var.project_number}/secrets/sender-\")"
  }
}
