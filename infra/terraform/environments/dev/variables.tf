variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "region" {
  description = "Region of everything regional."
  type        = string
  default     = "us-central1"
}

variable "zone" {
  description = "Zone of the IB Gateway VM."
  type        = string
  default     = "us-central1-a"
}

variable "firestore_location" {
  description = "Firestore's location; it cannot change later."
  type        = string
  default     = "nam5"
}

variable "bridge_image" {
  description = "The bridge image by digest (docs/runbook.md builds and pushes it)."
  type        = string
}

variable "ib_gateway_image" {
  description = "The IB Gateway image, pinned by digest."
  type        = string
}

variable "ib_trading_mode" {
  description = "live or paper."
  type        = string
  default     = "paper"
}

variable "ib_accounts" {
  description = "MATS_IB_ACCOUNTS (MATS account=IB code, comma-separated); empty: no IB venue."
  type        = string
  default     = ""
}

variable "ccxt_venues" {
  description = "ccxt venues: name => { exchange, account, password, sandbox }."
  type = map(object({
    exchange = string
    account  = string
    password = optional(bool, false)
    sandbox  = optional(bool, false)
  }))
  default = {}
}

variable "telegram_chat_id" {
  description = "The Telegram chat alerts go to."
  type        = string
  default     = ""
}

variable "operator_members" {
  description = "IAM members who run the CLI (group:ops@example.com)."
  type        = list(string)
  default     = []
}

variable "operator_emails" {
  description = "Their emails, for the services' own OIDC check."
  type        = list(string)
  default     = []
}

variable "alert_emails" {
  description = "Where alert notifications go."
  type        = list(string)
}

variable "hosting_site_id" {
  description = "The Firebase Hosting site id (https://SITE.web.app)."
  type        = string
}

variable "extra_environment" {
  description = "More settings per workload (README Configuration)."
  type        = map(map(string))
  default     = {}
}
