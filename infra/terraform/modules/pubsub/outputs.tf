output "topic_ids" {
  description = "Topic name to its id (projects/P/topics/T)."
  value       = { for name, topic in google_pubsub_topic.topic : name => topic.id }
}

output "topic_names" {
  description = "Topic name to its short name, for IAM bindings."
  value       = { for name, topic in google_pubsub_topic.topic : name => topic.name }
}

output "hold_subscriptions" {
  description = "The dead-letter holds `mats dlq list|replay` reads."
  value       = sort(keys(google_pubsub_subscription.pull))
}
