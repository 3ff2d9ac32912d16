resource "google_artifact_registry_repository" "images" {
  # checkov:skip=CKV_GCP_84:The repository holds only the bridge image, built from this public source with no secret in it; Google-managed encryption at rest is enough, and a KMS key would add a dependency to every deploy.
  project       = var.project_id
  location      = var.region
  repository_id = "mats"
  format        = "DOCKER"
  description   = "The bridge's image (and the functions' builds)."
  labels        = local.labels

  docker_config {
    immutable_tags = true
  }

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 10
    }
  }
}

resource "google_artifact_registry_repository_iam_member" "bridge_pulls" {
  project    = var.project_id
  location   = var.region
  repository = google_artifact_registry_repository.images.repository_id
  role       = "roles/artifactregistry.reader"
  member     = "serviceAccount:${google_service_account.workload["bridge"].email}"
}

# Each function's staged folder, zipped and uploaded under its content hash.
resource "google_storage_bucket" "sources" {
  # checkov:skip=CKV_GCP_62:The bucket holds only the staged function sources (no data, no secrets); who wrote them is in Cloud Audit Logs (admin activity), a second access-log bucket would log the builder's reads.
  project                     = var.project_id
  name                        = "${var.project_id}-mats-sources"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = local.labels

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      num_newer_versions = 5
    }
    action {
      type = "Delete"
    }
  }
}
