variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "project_number" {
  description = "The project's number (names the Pub/Sub service agent)."
  type        = string
}

variable "push_endpoints" {
  description = "Base URL of each push target named by topology.json's push_function (cerebro, optimizer, dashboard, bridge)."
  type        = map(string)
}

variable "push_audiences" {
  description = "OIDC audience of each push target: the service URL Cloud Run checks the token against."
  type        = map(string)
}

variable "push_service_account_email" {
  description = "The service account whose OIDC token Pub/Sub signs on every push."
  type        = string
}

variable "message_retention" {
  description = "How long a subscription keeps unacknowledged messages."
  type        = string
  default     = "604800s"
}

variable "labels" {
  description = "Labels on every topic and subscription."
  type        = map(string)
  default     = {}
}

variable "operator_members" {
  description = "IAM members who replay dead letters (`mats dead-letters replay`): subscriber on each hold, publisher on each source topic."
  type        = list(string)
  default     = []
}
