data "google_project" "project" {
  project_id = var.project_id
}

locals {
  services = [
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "compute.googleapis.com",
    "eventarc.googleapis.com",
    "firebase.googleapis.com",
    "firebasehosting.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "identitytoolkit.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
  ]
}

resource "google_project_service" "service" {
  for_each           = toset(local.services)
  project            = var.project_id
  service            = each.key
  disable_on_destroy = false
}

module "network" {
  source     = "../../modules/network"
  project_id = var.project_id
  region     = var.region

  depends_on = [google_project_service.service]
}

module "pubsub" {
  source                     = "../../modules/pubsub"
  project_id                 = var.project_id
  project_number             = data.google_project.project.number
  push_endpoints             = module.pipeline.push_endpoints
  push_audiences             = module.pipeline.push_endpoints
  push_service_account_email = module.pipeline.pusher_email
  operator_members           = var.operator_members
  labels                     = { system = "mats", environment = "dev" }

  depends_on = [google_project_service.service]
}

module "pipeline" {
  source              = "../../modules/pipeline"
  project_id          = var.project_id
  project_number      = data.google_project.project.number
  region              = var.region
  zone                = var.zone
  environment         = "dev"
  firestore_location  = var.firestore_location
  functions_build_dir = "${path.root}/../../../../build/functions"
  bridge_image        = var.bridge_image
  ib_gateway_image    = var.ib_gateway_image
  ib_trading_mode     = var.ib_trading_mode
  ib_accounts         = var.ib_accounts
  ccxt_venues         = var.ccxt_venues
  telegram_chat_id    = var.telegram_chat_id
  operator_members    = var.operator_members
  operator_emails     = var.operator_emails
  alert_emails        = var.alert_emails
  hosting_site_id     = var.hosting_site_id
  network_id          = module.network.network_id
  subnet_id           = module.network.subnet_id
  topics              = module.pubsub.topic_names
  extra_environment   = var.extra_environment
  # dev idles cheaply: no warm instances.
  min_instances = 0

  depends_on = [google_project_service.service]
}
