# The gateway fleet: Debian 12 VMs from one instance template, in a regional managed instance group
# that autoheals on /readyz, behind an internal passthrough TCP load balancer on the data port.

data "google_compute_zones" "available" {
  region = var.region
  status = "UP"
}

locals {
  zones             = length(var.zones) > 0 ? var.zones : slice(data.google_compute_zones.available.names, 0, 3)
  data_dir          = "/var/lib/tapegate"
  spool_device_name = "tapegate-spool"

  # Values rendered into templates/tapegate.json.tftpl, whose fields follow core/config/*.ts.
  tapegate_config_vars = {
    data_dir         = local.data_dir
    drain_timeout_ms = var.drain_timeout_seconds * 1000
    data_port        = var.data_port
    admin_port       = var.admin_port
    spool_max_bytes  = floor(var.spool_disk_gb * 0.7) * 1073741824
    bucket           = google_storage_bucket.tapegate_recordings.name
    store_prefix     = var.store_prefix
    retention_days   = var.retention_days
    auth_issuers     = var.auth_issuers
    policy_rules     = var.policy_rules
    connections = [for c in var.connections : merge(
      {
        name      = c.name
        match     = { pathPrefixes = c.path_prefixes }
        upstream  = c.upstream
        recording = c.recording
      },
      c.service_account == null ? {} : {
        credentials = { type = "impersonate", source = { type = "adc" }, targetPrincipal = c.service_account }
      },
    )]
  }

  # Values rendered into templates/startup.sh.tftpl.
  startup_vars = {
    tapegate_source        = var.tapegate_source
    tapegate_source_sha256 = var.tapegate_source_sha256
    data_dir               = local.data_dir
    spool_device_name      = local.spool_device_name
    stop_timeout_seconds   = var.drain_timeout_seconds + 30
    config_json            = templatefile("${path.module}/templates/tapegate.json.tftpl", local.tapegate_config_vars)
  }
}

resource "google_compute_instance_template" "gateway" {
  name_prefix  = "${var.name}-"
  machine_type = var.machine_type
  tags         = [local.gateway_tag]

  disk {
    boot         = true
    source_image = "debian-cloud/debian-12"
    disk_type    = "pd-balanced"
    disk_size_gb = 20
  }

  # dataDir (the recording spool). Stateful in the instance group below: kept when autohealing
  # recreates the VM, so sealed segments that were not yet uploaded are uploaded after the restart.
  disk {
    device_name  = local.spool_device_name
    disk_type    = "pd-balanced"
    disk_size_gb = var.spool_disk_gb
    boot         = false
  }

  network_interface {
    subnetwork = google_compute_subnetwork.private.id
    # No access_config: no external IP.
  }

  service_account {
    email  = google_service_account.gateway.email
    scopes = ["cloud-platform"] # what it may do is decided by IAM (iam.tf), not by scopes
  }

  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  metadata = {
    startup-script         = templatefile("${path.module}/templates/startup.sh.tftpl", local.startup_vars)
    enable-oslogin         = "TRUE"
    block-project-ssh-keys = "TRUE"
  }

  lifecycle {
    create_before_destroy = true
  }
}

# Load balancer health: /readyz answers 503 while an instance drains or its recorder refuses new
# exchanges, so traffic moves away at once.
resource "google_compute_health_check" "ready" {
  name                = "${var.name}-ready"
  check_interval_sec  = 5
  timeout_sec         = 5
  healthy_threshold   = 2
  unhealthy_threshold = 2

  http_health_check {
    port         = var.admin_port
    request_path = "/readyz"
  }
}

# Autohealing: the same probe, but patient (5 minutes unready before the VM is recreated), so a drain
# or a short outage of the store does not churn instances.
resource "google_compute_health_check" "autohealing" {
  name                = "${var.name}-autohealing"
  check_interval_sec  = 30
  timeout_sec         = 10
  healthy_threshold   = 1
  unhealthy_threshold = 10

  http_health_check {
    port         = var.admin_port
    request_path = "/readyz"
  }
}

resource "google_compute_region_instance_group_manager" "gateway" {
  name                      = var.name
  region                    = var.region
  base_instance_name        = var.name
  distribution_policy_zones = local.zones
  target_size               = var.instance_count

  version {
    instance_template = google_compute_instance_template.gateway.id
  }

  named_port {
    name = "data"
    port = var.data_port
  }

  auto_healing_policies {
    health_check      = google_compute_health_check.autohealing.id
    initial_delay_sec = 900 # the first boot installs Node.js and builds tapegate
  }

  stateful_disk {
    device_name = local.spool_device_name
    delete_rule = "ON_PERMANENT_INSTANCE_DELETION"
  }

  # A stateful regional group keeps instance names and zones (RECREATE, no redistribution, no surge).
  # OPPORTUNISTIC: a new template reaches a VM when it is recreated; roll it out one VM at a time
  # with `gcloud compute instance-groups managed update-instances` (terraform/README.md).
  update_policy {
    type                         = "OPPORTUNISTIC"
    minimal_action               = "REPLACE"
    replacement_method           = "RECREATE"
    instance_redistribution_type = "NONE"
    max_surge_fixed              = 0
    max_unavailable_fixed        = length(local.zones)
  }
}

resource "google_compute_region_backend_service" "data" {
  name                            = "${var.name}-data"
  region                          = var.region
  protocol                        = "TCP"
  load_balancing_scheme           = "INTERNAL"
  health_checks                   = [google_compute_health_check.ready.id]
  connection_draining_timeout_sec = var.drain_timeout_seconds
  # Resumable upload chunks must reach the instance that holds the upload's session binding, which
  # the in-process approvals store (the one rendered here) does not share between instances.
  session_affinity = "CLIENT_IP"

  backend {
    group          = google_compute_region_instance_group_manager.gateway.instance_group
    balancing_mode = "CONNECTION"
  }
}

resource "google_compute_forwarding_rule" "data" {
  name                  = "${var.name}-data"
  region                = var.region
  load_balancing_scheme = "INTERNAL"
  backend_service       = google_compute_region_backend_service.data.id
  ip_protocol           = "TCP"
  ports                 = [tostring(var.data_port)]
  network               = google_compute_network.vpc.id
  subnetwork            = google_compute_subnetwork.private.id
  allow_global_access   = var.ilb_global_access
}
