# The bridge leaves through one reserved address: brokers allowlist it and IB's 2FA cache keys on
# it. Direct VPC egress (ALL_TRAFFIC) puts the bridge on this subnet; Cloud NAT with a manual
# address is the only way out.
resource "google_compute_network" "vpc" {
  project                 = var.project_id
  name                    = "${var.name}-vpc"
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"
}

resource "google_compute_subnetwork" "subnet" {
  project                  = var.project_id
  name                     = "${var.name}-${var.region}"
  region                   = var.region
  network                  = google_compute_network.vpc.id
  ip_cidr_range            = var.subnet_cidr
  private_ip_google_access = true

  log_config {
    aggregation_interval = "INTERVAL_5_MIN"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_address" "egress" {
  project      = var.project_id
  name         = "${var.name}-egress"
  region       = var.region
  address_type = "EXTERNAL"
  network_tier = "PREMIUM"
  description  = "The bridge's and the IB Gateway's one public source address (broker allowlists)."
}

resource "google_compute_router" "router" {
  project = var.project_id
  name    = "${var.name}-router"
  region  = var.region
  network = google_compute_network.vpc.id
}

resource "google_compute_router_nat" "nat" {
  project                            = var.project_id
  name                               = "${var.name}-nat"
  region                             = var.region
  router                             = google_compute_router.router.name
  nat_ip_allocate_option             = "MANUAL_ONLY"
  nat_ips                            = [google_compute_address.egress.self_link]
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"
  min_ports_per_vm                   = 1024

  subnetwork {
    name                    = google_compute_subnetwork.subnet.id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

# Only the bridge reaches the gateway's API port; only IAP reaches SSH/VNC for the weekly 2FA.
resource "google_compute_firewall" "deny_all_ingress" {
  project   = var.project_id
  name      = "${var.name}-deny-all-ingress"
  network   = google_compute_network.vpc.id
  direction = "INGRESS"
  priority  = 65534

  deny {
    protocol = "all"
  }

  source_ranges = ["0.0.0.0/0"]
}

resource "google_compute_firewall" "bridge_to_gateway" {
  project     = var.project_id
  name        = "${var.name}-bridge-to-ib-gateway"
  network     = google_compute_network.vpc.id
  direction   = "INGRESS"
  priority    = 1000
  target_tags = ["ib-gateway"]

  allow {
    protocol = "tcp"
    ports    = ["4003", "4004"]
  }

  source_ranges = [var.subnet_cidr]
}

resource "google_compute_firewall" "iap_to_gateway" {
  project     = var.project_id
  name        = "${var.name}-iap-to-ib-gateway"
  network     = google_compute_network.vpc.id
  direction   = "INGRESS"
  priority    = 1000
  target_tags = ["ib-gateway"]

  allow {
    protocol = "tcp"
    ports    = ["22"] # VNC (5900) is bound to the VM's loopback: reach it through an SSH tunnel.
  }

  # Google's IAP TCP-forwarding range: reachable only through `gcloud compute start-iap-tunnel`.
  source_ranges = ["35.235.240.0/20"]
}
