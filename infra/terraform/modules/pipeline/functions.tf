# The four functions (and the dashboard's code a second time as the public API behind Hosting),
# each uploaded from its folder staged by `make stage`: main.py, a copy of mats, requirements.txt.
locals {
  functions = {
    ingest = {
      source      = "ingest", memory = "512Mi", cpu = "1", timeout = 30
      min         = var.min_instances, max = 20, concurrency = 20, ingress = "ALLOW_ALL"
      environment = merge(local.common_environment, { MATS_TRUSTED_PROXY_HOPS = "1" })
    }
    cerebro = {
      source      = "cerebro", memory = "1Gi", cpu = "1", timeout = 120
      min         = var.min_instances, max = 10, concurrency = 4, ingress = "ALLOW_INTERNAL_ONLY"
      environment = merge(local.common_environment, local.notification_environment)
    }
    optimizer = {
      source      = "optimizer", memory = "2Gi", cpu = "2", timeout = 1800
      min         = 0, max = 2, concurrency = 1, ingress = "ALLOW_ALL"
      environment = merge(local.common_environment, local.private_environment, { MATS_OIDC_AUDIENCE = local.url.optimizer })
    }
    dashboard = {
      source = "dashboard", memory = "1Gi", cpu = "1", timeout = 300
      min    = 0, max = 5, concurrency = 8, ingress = "ALLOW_ALL"
      environment = merge(local.common_environment, local.private_environment, local.notification_environment,
      local.api_environment, local.schedule_environment, { MATS_OIDC_AUDIENCE = local.url.dashboard })
    }
    # Its private routes still refuse any caller without a pusher/scheduler/operator token for
    # the private dashboard's audience; /api takes Firebase ID tokens.
    dashboard-api = {
      source = "dashboard", memory = "1Gi", cpu = "1", timeout = 60
      min    = 0, max = 10, concurrency = 16, ingress = "ALLOW_ALL"
      environment = merge(local.common_environment, local.private_environment, local.notification_environment,
      local.api_environment, local.schedule_environment, { MATS_OIDC_AUDIENCE = local.url.dashboard })
    }
  }
}

data "archive_file" "function" {
  for_each    = toset(["ingest", "cerebro", "optimizer", "dashboard"])
  type        = "zip"
  source_dir  = "${var.functions_build_dir}/${each.key}"
  output_path = "${path.root}/.terraform/staged/${each.key}.zip"
  excludes    = ["**/__pycache__/**"]
}

resource "google_storage_bucket_object" "function" {
  for_each = data.archive_file.function
  bucket   = google_storage_bucket.sources.name
  name     = "functions/${each.key}-${each.value.output_md5}.zip"
  source   = each.value.output_path
}

resource "google_cloudfunctions2_function" "function" {
  # checkov:skip=CKV_GCP_124:Ingress ALLOW_ALL is needed where callers are outside Google: ingest is the public webhook, dashboard-api the API the hosting site calls, optimizer and dashboard take the operators' CLI calls behind Cloud Run IAM (no allUsers) and their own OIDC check; cerebro, which only Pub/Sub calls, is ALLOW_INTERNAL_ONLY.
  for_each = local.functions
  project  = var.project_id
  location = var.region
  name     = "mats-${each.key}"
  labels   = local.labels

  build_config {
    runtime         = "python311"
    entry_point     = each.value.source
    service_account = google_service_account.builder.id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.function[each.value.source].name
      }
    }
  }

  service_config {
    available_memory                 = each.value.memory
    available_cpu                    = each.value.cpu
    timeout_seconds                  = each.value.timeout
    min_instance_count               = each.value.min
    max_instance_count               = each.value.max
    max_instance_request_concurrency = each.value.concurrency
    ingress_settings                 = each.value.ingress
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.workload[each.key].email
    environment_variables = merge(
      each.value.environment,
      contains(local.backtest_readers, each.key) ? local.backtest_environment : {},
      local.secret_names_of[each.key],
      lookup(var.extra_environment, each.key, {}),
    )

    dynamic "secret_environment_variables" {
      for_each = local.secrets_of[each.key]
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = google_secret_manager_secret.secret[secret_environment_variables.value].secret_id
        version    = "latest"
      }
    }
  }

  depends_on = [
    google_secret_manager_secret_iam_member.reader,
    google_storage_bucket_iam_member.backtest_reader,
    google_project_iam_member.builder,
    google_storage_bucket_iam_member.builder_reads_source,
  ]
}

resource "google_cloud_run_v2_service_iam_member" "function_invoker" {
  for_each = { for key, grant in local.invoker_grants : key => grant if grant.service != "bridge" }
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function[each.value.service].name
  role     = "roles/run.invoker"
  member   = each.value.member
}
