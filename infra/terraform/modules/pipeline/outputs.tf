output "webhook_url" {
  description = "Where senders post: WEBHOOK_URL/webhook/{sender_id}/{secret} (mats senders create prints the full URL)."
  value       = google_cloudfunctions2_function.function["ingest"].service_config[0].uri
}

output "dashboard_url" {
  description = "The web dashboard (Firebase Hosting; /api is the dashboard API)."
  value       = "https://${google_firebase_hosting_site.site.site_id}.web.app"
}

output "private_dashboard_url" {
  description = "MATS_DASHBOARD_URL for the CLI (mats fund set, dashboard calls)."
  value       = google_cloudfunctions2_function.function["dashboard"].service_config[0].uri
}

output "bridge_url" {
  description = "MATS_BRIDGE_URL for the CLI (mats orders cancel, reconcile, status)."
  value       = google_cloud_run_v2_service.bridge.uri
}

output "function_urls" {
  description = "Every function's URL."
  value       = { for name, function in google_cloudfunctions2_function.function : name => function.service_config[0].uri }
}

output "push_endpoints" {
  description = "Base URL of each push target (modules/pubsub)."
  value       = { for name in ["cerebro", "optimizer", "dashboard", "bridge"] : name => local.url[name] }
}

output "pusher_email" {
  description = "The account Pub/Sub signs pushes as."
  value       = google_service_account.workload["pusher"].email
}

output "ib_gateway_ip" {
  description = "The IB Gateway VM's internal address."
  value       = google_compute_instance.ib_gateway.network_interface[0].network_ip
}

output "web_config" {
  description = "The hosted web app's config.json (web/src/config.ts; public by design: it names the project and the API, it grants nothing). `make stage TF_ENV=...` writes it into build/hosting."
  value = {
    apiUrl     = "https://${google_firebase_hosting_site.site.site_id}.web.app/api"
    projectId  = var.project_id
    apiKey     = data.google_firebase_web_app_config.dashboard.api_key
    authDomain = data.google_firebase_web_app_config.dashboard.auth_domain
  }
}

output "region" {
  description = "Where the functions run (Hosting's /api rewrite names the dashboard API's region)."
  value       = var.region
}

output "secret_names" {
  description = "Secrets to fill with `mats secrets set NAME` before the first use."
  value       = sort(keys(google_secret_manager_secret.secret))
}
