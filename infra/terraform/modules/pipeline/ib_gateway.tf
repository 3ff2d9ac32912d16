# IB Gateway (Java, IBC, Xvfb) on a small VM on the VPC: no public address (egress through the
# NAT's reserved address, which IB's 2FA cache and allowlists see), the API port reachable from
# the subnet only, SSH/VNC only through IAP for the weekly 2FA. The container reads its login
# from Secret Manager at boot (startup script below), never from metadata or Terraform.
resource "google_compute_instance" "ib_gateway" {
  # checkov:skip=CKV_GCP_38:A customer-supplied key must be sent with every start of the VM, which an unattended gateway that restarts on its own cannot do; the disk holds no credentials (they are read into tmpfs from Secret Manager at boot) and is encrypted at rest by Google.
  project                   = var.project_id
  zone                      = var.zone
  name                      = "mats-ib-gateway"
  machine_type              = var.ib_gateway_machine_type
  tags                      = ["ib-gateway"]
  labels                    = local.labels
  deletion_protection       = var.environment == "prod"
  allow_stopping_for_update = true

  boot_disk {
    initialize_params {
      image = "projects/cos-cloud/global/images/family/cos-stable"
      size  = 20
      type  = "pd-balanced"
    }
  }

  network_interface {
    subnetwork = var.subnet_id
    # No access_config: no public address.
  }

  service_account {
    email  = google_service_account.workload["ib-gateway"].email
    scopes = ["cloud-platform"]
  }

  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  metadata = {
    block-project-ssh-keys = "true"
    enable-oslogin         = "TRUE"
    serial-port-enable     = "false"
    google-logging-enabled = "true"
    startup-script = templatefile("${path.module}/ib_gateway_startup.sh.tftpl", {
      image        = var.ib_gateway_image
      trading_mode = var.ib_trading_mode
      project      = var.project_id
    })
  }

  depends_on = [google_secret_manager_secret_iam_member.reader]
}
