variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "project_number" {
  description = "The project's number (Cloud Run URLs and service agents are named by it)."
  type        = string
}

variable "region" {
  description = "Region of the functions, the bridge, Scheduler and Artifact Registry."
  type        = string
}

variable "zone" {
  description = "Zone of the IB Gateway VM."
  type        = string
}

variable "environment" {
  description = "dev or prod: labels, and whether Firestore may be deleted."
  type        = string
  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "firestore_location" {
  description = "Firestore's location (e.g. nam5 or us-central1); it cannot change later."
  type        = string
}

variable "functions_build_dir" {
  description = "Where `make stage` put each function's upload (build/functions)."
  type        = string
}

variable "bridge_image" {
  description = "The bridge's container image, pinned by digest (REGION-docker.pkg.dev/PROJECT/mats/ib-bridge@sha256:...)."
  type        = string
}

variable "ib_gateway_image" {
  description = "The headless IB Gateway image (IB Gateway + IBC), pinned by digest."
  type        = string
  default     = "ghcr.io/gnzsnz/ib-gateway:stable"
}

variable "ib_trading_mode" {
  description = "live or paper: which IB Gateway API port the bridge uses (4003 live, 4004 paper)."
  type        = string
  default     = "paper"
  validation {
    condition     = contains(["live", "paper"], var.ib_trading_mode)
    error_message = "ib_trading_mode must be live or paper."
  }
}

variable "ib_accounts" {
  description = "MATS_IB_ACCOUNTS: MATS account to IB account code, e.g. IBKR_Main=U1234567 (empty: no IB venue)."
  type        = string
  default     = ""
}

variable "ib_gateway_machine_type" {
  description = "The IB Gateway VM's machine type."
  type        = string
  default     = "e2-small"
}

variable "ccxt_venues" {
  description = "ccxt venues the bridge trades: venue name => { exchange, account, password (whether the exchange needs a passphrase), sandbox }. Each gets Secret Manager secrets for its key, secret and passphrase."
  type = map(object({
    exchange = string
    account  = string
    password = optional(bool, false)
    sandbox  = optional(bool, false)
  }))
  default = {}
}

variable "telegram_chat_id" {
  description = "The Telegram chat alerts go to (not secret; the bot token is in Secret Manager)."
  type        = string
  default     = ""
}

variable "operator_members" {
  description = "IAM members who run the CLI against the project (user:... or group:...): they may invoke the bridge, the dashboard and the optimizer."
  type        = list(string)
  default     = []
}

variable "operator_emails" {
  description = "The operators' emails, accepted by the services' own OIDC check (MATS_OIDC_ALLOWED_EMAILS)."
  type        = list(string)
  default     = []
}

variable "alert_emails" {
  description = "Where Cloud Monitoring sends alert notifications."
  type        = list(string)
  validation {
    condition     = length(var.alert_emails) > 0
    error_message = "alert_emails needs at least one address: without one every alert policy notifies nobody."
  }
}

variable "hosting_site_id" {
  description = "The Firebase Hosting site id (its URL is https://SITE.web.app)."
  type        = string
}

variable "network_id" {
  description = "The VPC (modules/network)."
  type        = string
}

variable "subnet_id" {
  description = "The subnet of the bridge's Direct VPC egress and the gateway VM (modules/network)."
  type        = string
}

variable "schedules" {
  description = "Cron (UTC) of each scheduled job. The nightly one is then moved by `mats schedule set-time`, which Terraform leaves alone."
  type = object({
    nightly_optimization = optional(string, "0 22 * * *")
    hourly_snapshot      = optional(string, "0 * * * *")
    nav_strike           = optional(string, "0 22 * * *")
    month_end            = optional(string, "0 1 1 * *")
  })
  default = {}
}

variable "min_instances" {
  description = "Warm instances of ingest and cerebro (latency of the first alert after a quiet spell)."
  type        = number
  default     = 1
}

variable "extra_environment" {
  description = "More settings per workload (README Configuration), e.g. { cerebro = { MATS_BASE_CURRENCY = \"EUR\" } }."
  type        = map(map(string))
  default     = {}
}

variable "topics" {
  description = "Topic name to its short name (modules/pubsub's topic_names)."
  type        = map(string)
}
