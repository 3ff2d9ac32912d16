# Every topic, dead-letter topic and subscription comes from infra/pubsub/topology.json through
# modules/topology: this file declares how each kind is provisioned, never which exist.
module "topology" {
  source = "../topology"
}

locals {
  topics             = module.topology.topics
  push_subscriptions = module.topology.push_subscriptions
  pull_subscriptions = module.topology.pull_subscriptions
  dead_lettered      = module.topology.dead_lettered
  dead_letter_topics = module.topology.dead_letter_topics
  pubsub_agent       = "serviceAccount:service-${var.project_number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_topic" "topic" {
  # checkov:skip=CKV_GCP_83:Messages carry signals, orders and fills, never credentials, and are encrypted at rest by Google; a customer-managed key would put a KMS key's availability on the order path (a disabled key stops trading).
  for_each                   = local.topics
  project                    = var.project_id
  name                       = each.key
  labels                     = var.labels
  message_retention_duration = "86400s"
}

resource "google_pubsub_subscription" "push" {
  for_each = local.push_subscriptions
  project  = var.project_id
  name     = each.key
  topic    = google_pubsub_topic.topic[each.value.topic].id
  labels   = var.labels

  ack_deadline_seconds       = try(each.value.ack_deadline_seconds, 60)
  enable_message_ordering    = try(each.value.ordering, false)
  message_retention_duration = var.message_retention

  expiration_policy {
    ttl = "" # Never expires for inactivity.
  }

  retry_policy {
    minimum_backoff = "${try(each.value.min_backoff_seconds, 10)}s"
    maximum_backoff = "${try(each.value.max_backoff_seconds, 600)}s"
  }

  push_config {
    push_endpoint = "${var.push_endpoints[each.value.push_function]}${try(each.value.push_path, "/")}"
    oidc_token {
      service_account_email = var.push_service_account_email
      audience              = var.push_audiences[each.value.push_function]
    }
    # The wrapped push body ({"message": ..., "subscription": ...}) is what every receiver
    # parses; functions-framework turns it into a CloudEvent for cerebro.
  }

  dynamic "dead_letter_policy" {
    for_each = contains(keys(local.dead_lettered), each.key) ? [local.dead_lettered[each.key]] : []
    content {
      dead_letter_topic     = google_pubsub_topic.topic[dead_letter_policy.value].id
      max_delivery_attempts = try(each.value.max_delivery_attempts, 10)
    }
  }
}

# Holds: every dead-letter topic keeps what it received for `mats dlq replay`.
resource "google_pubsub_subscription" "pull" {
  for_each                   = local.pull_subscriptions
  project                    = var.project_id
  name                       = each.key
  topic                      = google_pubsub_topic.topic[each.value.topic].id
  labels                     = var.labels
  ack_deadline_seconds       = try(each.value.ack_deadline_seconds, 60)
  message_retention_duration = var.message_retention
  retain_acked_messages      = false

  expiration_policy {
    ttl = ""
  }
}

# The Pub/Sub service agent forwards to a dead-letter topic only with publish on it, and
# acknowledges the forwarded message on the source subscription only with subscribe on that.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = local.dead_letter_topics
  project  = var.project_id
  topic    = google_pubsub_topic.topic[each.key].name
  role     = "roles/pubsub.publisher"
  member   = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each     = local.dead_lettered
  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

# `mats dlq replay TOPIC`: operators pull a hold and publish to its source topic.
locals {
  source_topics = { for name, topic in local.topics : name => topic if try(topic.dead_letter_topic, null) != null }
  operator_holds = { for pair in setproduct(keys(local.pull_subscriptions), var.operator_members) :
    "${pair[0]}/${pair[1]}" => { subscription = pair[0], member = pair[1] }
  }
  operator_topics = { for pair in setproduct(keys(local.source_topics), var.operator_members) :
    "${pair[0]}/${pair[1]}" => { topic = pair[0], member = pair[1] }
  }
}

resource "google_pubsub_subscription_iam_member" "operator_replays" {
  for_each     = local.operator_holds
  project      = var.project_id
  subscription = google_pubsub_subscription.pull[each.value.subscription].name
  role         = "roles/pubsub.subscriber"
  member       = each.value.member
}

resource "google_pubsub_topic_iam_member" "operator_replays" {
  for_each = local.operator_topics
  project  = var.project_id
  topic    = google_pubsub_topic.topic[each.value.topic].name
  role     = "roles/pubsub.publisher"
  member   = each.value.member
}
