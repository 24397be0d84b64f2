output "bucket" {
  description = "The recordings bucket (store.bucket)."
  value       = google_storage_bucket.tapegate_recordings.name
}

output "gateway_service_account" {
  description = "The gateway VMs' service account."
  value       = google_service_account.gateway.email
}

output "data_endpoint" {
  description = "Where agents send their API calls: the internal load balancer's data port."
  value       = "http://${google_compute_forwarding_rule.data.ip_address}:${var.data_port}"
}

output "instance_group" {
  description = "The regional managed instance group (for `gcloud compute instance-groups managed …`)."
  value       = google_compute_region_instance_group_manager.gateway.name
}

output "zones" {
  description = "Zones the instance group runs in."
  value       = local.zones
}

output "network" {
  description = "The gateway network and subnet, for peering or agent VMs."
  value = {
    network    = google_compute_network.vpc.id
    subnetwork = google_compute_subnetwork.private.id
  }
}

output "gateway_config" {
  description = "The rendered /etc/tapegate/tapegate.json, for review."
  value       = templatefile("${path.module}/templates/tapegate.json.tftpl", local.tapegate_config_vars)
}
