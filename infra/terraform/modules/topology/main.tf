# What infra/pubsub/topology.json declares, in the shapes Terraform iterates over. It is the one
# declaration of the message topology (the local stack applies the same file): add a topic or a
# subscription there, never in a .tf file. No provider here, so tests evaluate it offline.
terraform {
  required_version = ">= 1.5"
}

locals {
  topology      = jsondecode(file("${path.module}/../../../pubsub/topology.json"))
  topics        = { for topic in local.topology.topics : topic.name => topic }
  subscriptions = { for subscription in local.topology.subscriptions : subscription.name => subscription }

  push_subscriptions = {
    for name, subscription in local.subscriptions : name => subscription
    if try(subscription.push_function, null) != null
  }
  pull_subscriptions = {
    for name, subscription in local.subscriptions : name => subscription
    if try(subscription.push_function, null) == null
  }
  # A push subscription dead-letters to its topic's dead-letter topic; a dead-letter topic has none.
  dead_lettered = {
    for name, subscription in local.push_subscriptions : name => local.topics[subscription.topic].dead_letter_topic
    if try(local.topics[subscription.topic].dead_letter_topic, null) != null
  }
  dead_letter_topics = toset(compact([for topic in local.topology.topics : try(topic.dead_letter_topic, null)]))
}

output "topics" {
  description = "Topic name to its declaration."
  value       = local.topics
}

output "push_subscriptions" {
  description = "Push subscriptions (they name a push_function)."
  value       = local.push_subscriptions
}

output "pull_subscriptions" {
  description = "Pull subscriptions: the dead-letter holds."
  value       = local.pull_subscriptions
}

output "dead_lettered" {
  description = "Push subscription name to the dead-letter topic it forwards to."
  value       = local.dead_lettered
}

output "dead_letter_topics" {
  description = "Every dead-letter topic (the Pub/Sub service agent publishes to each)."
  value       = local.dead_letter_topics
}
