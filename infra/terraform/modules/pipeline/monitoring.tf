resource "google_monitoring_notification_channel" "email" {
  for_each     = toset(var.alert_emails)
  project      = var.project_id
  display_name = "MATS alerts: ${each.key}"
  type         = "email"
  labels       = { email_address = each.key }
}

locals {
  channels = [for channel in google_monitoring_notification_channel.email : channel.id]
  # Logging query language: a regular expression on the service's name.
  services = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=~\"^mats-\""
}

resource "google_logging_metric" "function_errors" {
  project     = var.project_id
  name        = "mats/function_errors"
  description = "ERROR or worse log lines of a MATS function or the bridge, by service."
  filter      = "${local.services} AND severity>=ERROR"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    labels {
      key         = "service"
      value_type  = "STRING"
      description = "The Cloud Run service."
    }
  }
  label_extractors = { service = "EXTRACT(resource.labels.service_name)" }
}

resource "google_logging_metric" "bridge_connection_failures" {
  project     = var.project_id
  name        = "mats/bridge_connection_failures"
  description = "The bridge's failed (re)connections to IB Gateway."
  filter      = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"mats-bridge\" AND jsonPayload.message=\"ib connection failed\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
  }
}

resource "google_logging_metric" "nightly_failures" {
  project     = var.project_id
  name        = "mats/nightly_run_failures"
  description = "Cloud Scheduler attempts of the nightly optimisation that did not get a 2xx."
  filter      = "resource.type=\"cloud_scheduler_job\" AND resource.labels.job_id=\"mats-nightly-optimization\" AND severity>=ERROR"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
  }
}

# A nightly run the optimiser refused (too few backtests, settings it cannot meet) is stored
# FAILED and answered 200, since retrying cannot fix it: the Scheduler sees a success.
resource "google_logging_metric" "nightly_failed_runs" {
  project     = var.project_id
  name        = "mats/nightly_runs_failed"
  description = "Nightly optimisations that finished FAILED (the optimizer's \"nightly optimisation finished\" line)."
  filter      = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"mats-optimizer\" AND jsonPayload.message=\"nightly optimisation finished\" AND jsonPayload.status=\"FAILED\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
  }
}

resource "google_monitoring_alert_policy" "function_errors" {
  project               = var.project_id
  display_name          = "MATS: function errors"
  combiner              = "OR"
  notification_channels = local.channels
  documentation {
    content   = "A MATS service logged errors. See docs/runbook.md, \"Alerts\": function errors."
    mime_type = "text/markdown"
  }
  conditions {
    display_name = "errors in 5 minutes"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.function_errors.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.service"]
      }
    }
  }
}

resource "google_monitoring_alert_policy" "dead_letters" {
  project               = var.project_id
  display_name          = "MATS: dead letters waiting"
  combiner              = "OR"
  notification_channels = local.channels
  documentation {
    content   = "A dead-letter hold has messages. See docs/runbook.md, \"Replay dead letters\"."
    mime_type = "text/markdown"
  }
  conditions {
    display_name = "a -dead-letter-hold subscription is not empty"
    condition_threshold {
      filter          = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.type=\"pubsub_subscription\" AND resource.labels.subscription_id=ends_with(\"-dead-letter-hold\")"
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "60s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "bridge_not_ready" {
  project               = var.project_id
  display_name          = "MATS: bridge not connected to IB Gateway"
  combiner              = "OR"
  notification_channels = local.channels
  documentation {
    content   = "The bridge keeps failing to connect to IB Gateway (orders wait). See docs/runbook.md, \"Alerts\": bridge not ready."
    mime_type = "text/markdown"
  }
  conditions {
    display_name = "3 failed connections in 10 minutes"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.bridge_connection_failures.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 2
      duration        = "0s"
      aggregations {
        alignment_period     = "600s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }
  conditions {
    display_name = "no bridge instance"
    condition_absent {
      filter   = "metric.type=\"run.googleapis.com/container/instance_count\" AND resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"mats-bridge\""
      duration = "300s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "orders_waiting" {
  project               = var.project_id
  display_name          = "MATS: orders wait and no fills"
  combiner              = "AND"
  notification_channels = local.channels
  documentation {
    content   = "Orders have waited 10 minutes for the bridge and nothing was filled meanwhile. See docs/runbook.md, \"Alerts\": orders waiting."
    mime_type = "text/markdown"
  }
  conditions {
    display_name = "oldest order older than 10 minutes"
    condition_threshold {
      filter          = "metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" AND resource.type=\"pubsub_subscription\" AND resource.labels.subscription_id=\"bridge-orders\""
      comparison      = "COMPARISON_GT"
      threshold_value = 600
      duration        = "0s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }
  conditions {
    display_name = "no fill published for 15 minutes"
    condition_absent {
      filter   = "metric.type=\"pubsub.googleapis.com/topic/send_request_count\" AND resource.type=\"pubsub_topic\" AND resource.labels.topic_id=\"fills\""
      duration = "900s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "nightly_failed" {
  project               = var.project_id
  display_name          = "MATS: nightly optimisation failed"
  combiner              = "OR"
  notification_channels = local.channels
  documentation {
    content   = "The nightly run did not answer 2xx, or it finished FAILED. See docs/runbook.md, \"Alerts\": nightly run failed."
    mime_type = "text/markdown"
  }
  conditions {
    display_name = "a run finished FAILED"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.nightly_failed_runs.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }
  conditions {
    display_name = "a failed Scheduler attempt"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.nightly_failures.name}\" AND resource.type=\"cloud_scheduler_job\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }
}
