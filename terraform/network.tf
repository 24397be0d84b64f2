# A private network for the gateway: VMs without external IPs, Google APIs reached through Private
# Google Access, and ingress only to the data port (agents) and the admin port (health checks).

locals {
  gateway_tag = "${var.name}-gateway"
  # Where Google's health checks (load balancer and autohealing) come from.
  health_check_ranges = ["35.191.0.0/16", "130.211.0.0/22"]
}

resource "google_compute_network" "vpc" {
  name                    = var.name
  auto_create_subnetworks = false
}

resource "google_compute_subnetwork" "private" {
  name                     = "${var.name}-${var.region}"
  region                   = var.region
  network                  = google_compute_network.vpc.id
  ip_cidr_range            = var.subnet_cidr
  private_ip_google_access = true # storage.googleapis.com and the other upstreams without public IPs
}

# Agents reach the gateway's data port, and nothing else. The internal passthrough load balancer
# keeps the agent's address, so this rule is what admits traffic through it.
resource "google_compute_firewall" "agents_to_data_port" {
  name          = "${var.name}-agents-to-data-port"
  network       = google_compute_network.vpc.id
  direction     = "INGRESS"
  source_ranges = var.agent_source_ranges
  source_tags   = var.agent_source_tags
  target_tags   = [local.gateway_tag]

  allow {
    protocol = "tcp"
    ports    = [tostring(var.data_port)]
  }

  lifecycle {
    precondition {
      condition     = length(var.agent_source_ranges) + length(var.agent_source_tags) > 0
      error_message = "Set agent_source_ranges or agent_source_tags: otherwise no agent can reach the gateway."
    }
  }
}

# Health checks (load balancer and autohealing) probe /readyz on the admin port.
resource "google_compute_firewall" "health_checks_to_admin_port" {
  name          = "${var.name}-health-checks-to-admin-port"
  network       = google_compute_network.vpc.id
  direction     = "INGRESS"
  source_ranges = local.health_check_ranges
  target_tags   = [local.gateway_tag]

  allow {
    protocol = "tcp"
    ports    = [tostring(var.admin_port)]
  }
}

# Approvers and metrics scrapers, where configured.
resource "google_compute_firewall" "admins_to_admin_port" {
  count         = length(var.admin_source_ranges) > 0 ? 1 : 0
  name          = "${var.name}-admins-to-admin-port"
  network       = google_compute_network.vpc.id
  direction     = "INGRESS"
  source_ranges = var.admin_source_ranges
  target_tags   = [local.gateway_tag]

  allow {
    protocol = "tcp"
    ports    = [tostring(var.admin_port)]
  }
}

resource "google_compute_firewall" "iap_ssh" {
  count         = var.allow_iap_ssh ? 1 : 0
  name          = "${var.name}-iap-ssh"
  network       = google_compute_network.vpc.id
  direction     = "INGRESS"
  source_ranges = ["35.235.240.0/20"]
  target_tags   = [local.gateway_tag]

  allow {
    protocol = "tcp"
    ports    = ["22"]
  }
}

# Outbound internet for the startup script (Node.js packages, npm registry); Google APIs do not need it.
resource "google_compute_router" "nat" {
  count   = var.enable_cloud_nat ? 1 : 0
  name    = "${var.name}-nat"
  region  = var.region
  network = google_compute_network.vpc.id
}

resource "google_compute_router_nat" "nat" {
  count                              = var.enable_cloud_nat ? 1 : 0
  name                               = "${var.name}-nat"
  region                             = var.region
  router                             = google_compute_router.nat[0].name
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  subnetwork {
    name                    = google_compute_subnetwork.private.id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}
