output "webhook_url" {
  description = "Where senders post (…/webhook/{sender_id}/{secret})."
  value       = module.pipeline.webhook_url
}

output "dashboard_url" {
  description = "The web dashboard."
  value       = module.pipeline.dashboard_url
}

output "private_dashboard_url" {
  description = "MATS_DASHBOARD_URL for the CLI."
  value       = module.pipeline.private_dashboard_url
}

output "bridge_url" {
  description = "MATS_BRIDGE_URL for the CLI."
  value       = module.pipeline.bridge_url
}

output "egress_ip" {
  description = "Give this address to the brokers' IP allowlists."
  value       = module.network.egress_ip
}

output "web_config" {
  description = "The hosted web app's config.json (make stage TF_ENV=prod writes it)."
  value       = module.pipeline.web_config
}

output "region" {
  description = "Where the functions run (Hosting's /api rewrite)."
  value       = module.pipeline.region
}

output "secret_names" {
  description = "Fill each with `mats secrets set NAME`."
  value       = module.pipeline.secret_names
}
