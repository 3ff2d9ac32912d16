output "network_id" {
  description = "The VPC."
  value       = google_compute_network.vpc.id
}

output "subnet_id" {
  description = "The subnet of the bridge's egress and the IB Gateway VM."
  value       = google_compute_subnetwork.subnet.id
}

output "egress_ip" {
  description = "The static address brokers see: put it on their IP allowlists."
  value       = google_compute_address.egress.address
}
