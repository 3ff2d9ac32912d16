# The bridge: the one stateful process. Exactly one instance (it holds the single broker
# connection and is the single writer of orders, fills and positions), CPU always allocated (its
# reconnect loop, heartbeats and reconciliation run between requests), all egress through the
# VPC and Cloud NAT's reserved address.
resource "google_cloud_run_v2_service" "bridge" {
  project             = var.project_id
  location            = var.region
  name                = "mats-bridge"
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = var.environment == "prod"
  labels              = local.labels

  template {
    service_account                  = google_service_account.workload["bridge"].email
    max_instance_request_concurrency = 8
    timeout                          = "60s"
    # Second generation: full Linux, steadier long-lived sockets.
    execution_environment = "EXECUTION_ENVIRONMENT_GEN2"

    scaling {
      min_instance_count = 1
      max_instance_count = 1
    }

    vpc_access {
      egress = "ALL_TRAFFIC"
      network_interfaces {
        network    = var.network_id
        subnetwork = var.subnet_id
      }
    }

    containers {
      image = var.bridge_image

      resources {
        limits = {
          cpu    = "1"
          memory = "1Gi"
        }
        cpu_idle          = false
        startup_cpu_boost = true
      }

      ports {
        container_port = 8080
      }

      dynamic "env" {
        for_each = merge(
          local.common_environment,
          local.private_environment,
          local.notification_environment,
          local.ccxt_environment,
          local.sandbox_environment,
          local.secret_names_of["bridge"],
          {
            MATS_OIDC_ALLOWED_EMAILS = local.bridge_callers
            MATS_OIDC_AUDIENCE       = local.url.bridge
            MATS_IB_HOST             = google_compute_instance.ib_gateway.network_interface[0].network_ip
            MATS_IB_PORT             = tostring(local.ib_port)
            MATS_IB_ACCOUNTS         = var.ib_accounts
            # IBC restarts the gateway at 23:45 UTC (AUTO_RESTART_TIME): orders wait meanwhile.
            MATS_IB_RESTART_WINDOW = "23:40-00:10"
          },
          lookup(var.extra_environment, "bridge", {}),
        )
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = local.secrets_of["bridge"]
        content {
          name = env.key
          value_source {
            secret_key_ref {
              secret  = google_secret_manager_secret.secret[env.value].secret_id
              version = "latest"
            }
          }
        }
      }

      # Direct VPC egress can take a minute to connect on start: the startup probe waits for the
      # process, not for the broker (a venue that is down is /readyz's answer, not a restart).
      startup_probe {
        http_get {
          path = "/healthz"
        }
        initial_delay_seconds = 5
        period_seconds        = 10
        failure_threshold     = 12
        timeout_seconds       = 5
      }

      liveness_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds    = 30
        failure_threshold = 3
        timeout_seconds   = 5
      }
    }
  }

  depends_on = [
    google_secret_manager_secret_iam_member.reader,
    google_artifact_registry_repository_iam_member.bridge_pulls,
  ]
}

resource "google_cloud_run_v2_service_iam_member" "bridge_invoker" {
  for_each = { for key, grant in local.invoker_grants : key => grant if grant.service == "bridge" }
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.bridge.name
  role     = "roles/run.invoker"
  member   = each.value.member
}
