# ---------------------------------------------------------------------------------------------------
# Where
# ---------------------------------------------------------------------------------------------------

variable "project_id" {
  description = "Project that holds the bucket, the network and the gateway fleet."
  type        = string
}

variable "region" {
  description = "Region of the subnet, the instance group and the internal load balancer."
  type        = string
  default     = "europe-west1"
}

variable "zones" {
  description = "Zones of the instance group; empty: the first three zones of the region."
  type        = list(string)
  default     = []
}

variable "name" {
  description = "Prefix of every resource name (network, service account, instance group, …)."
  type        = string
  default     = "tapegate"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,20}$", var.name))
    error_message = "name: expected 5-21 lower-case letters, digits or dashes, starting with a letter (it prefixes service account ids, which are at most 30 characters)."
  }
}

# ---------------------------------------------------------------------------------------------------
# The recordings bucket (bucket.tf)
# ---------------------------------------------------------------------------------------------------

variable "bucket_name" {
  description = "Name of the recordings bucket (globally unique). Becomes store.bucket in the gateway config."
  type        = string
}

variable "bucket_location" {
  description = "Location of the recordings bucket: a region, dual-region or multi-region (EU, US, …)."
  type        = string
  default     = "EU"
}

variable "retention_days" {
  description = "Locked retention period of the bucket, in days; also store.minRetentionDays. Can be raised later, NEVER lowered."
  type        = number
  default     = 365

  validation {
    condition     = var.retention_days >= 1 && floor(var.retention_days) == var.retention_days
    error_message = "retention_days: expected a whole number of days, at least 1."
  }
}

variable "enable_object_retention" {
  description = "Enable Object Retention Lock on the bucket: the gateway then also puts a Locked retention on each object. Can only be set when the bucket is created."
  type        = bool
  default     = false
}

variable "store_prefix" {
  description = "Object name prefix in the bucket (store.prefix)."
  type        = string
  default     = "tapegate"
}

variable "verify_uploads" {
  description = "Grant the gateway storage.objects.get on the bucket, so it reads each object's metadata back after upload (recommended, see the README's Store section)."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------------------------------
# Network (network.tf)
# ---------------------------------------------------------------------------------------------------

variable "subnet_cidr" {
  description = "Primary range of the gateway subnet."
  type        = string
  default     = "10.10.0.0/24"
}

variable "agent_source_ranges" {
  description = "CIDR ranges of the agents allowed to reach the data port. At least one of agent_source_ranges / agent_source_tags must be set."
  type        = list(string)
  default     = []
}

variable "agent_source_tags" {
  description = "Network tags of agent VMs in this VPC allowed to reach the data port."
  type        = list(string)
  default     = []
}

variable "admin_source_ranges" {
  description = "CIDR ranges allowed to reach the admin port (approvers, Prometheus). Google's health-check ranges are always allowed."
  type        = list(string)
  default     = []
}

variable "allow_iap_ssh" {
  description = "Allow SSH to the gateway VMs through Identity-Aware Proxy (35.235.240.0/20)."
  type        = bool
  default     = false
}

variable "enable_cloud_nat" {
  description = "Give the (IP-less) gateway VMs outbound internet through Cloud NAT. The startup script needs it to install Node.js and npm packages; turn it off only with an image that has them baked in."
  type        = bool
  default     = true
}

variable "ilb_global_access" {
  description = "Let agents in other regions of the VPC (or connected networks) reach the internal load balancer."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------------------------------
# The gateway fleet (fleet.tf) and its config (templates/tapegate.json.tftpl)
# ---------------------------------------------------------------------------------------------------

variable "tapegate_source" {
  description = "Where the VMs fetch tapegate from: a gs:// or https:// URL of a .tar.gz of the repository (git archive --format=tar.gz HEAD)."
  type        = string

  validation {
    condition     = can(regex("^(gs|https)://[^'\\s]+$", var.tapegate_source))
    error_message = "tapegate_source: expected a gs:// or https:// URL (no quotes or spaces)."
  }
}

variable "tapegate_source_sha256" {
  description = "SHA-256 of the tapegate_source archive; the VMs refuse an archive that does not match. Empty: not checked."
  type        = string
  default     = ""

  validation {
    condition     = var.tapegate_source_sha256 == "" || can(regex("^[0-9a-f]{64}$", var.tapegate_source_sha256))
    error_message = "tapegate_source_sha256: expected 64 lower-case hex digits, or empty."
  }
}

variable "machine_type" {
  description = "Machine type of the gateway VMs."
  type        = string
  default     = "e2-standard-2"
}

variable "instance_count" {
  description = "Number of gateway VMs in the regional instance group."
  type        = number
  default     = 3
}

variable "spool_disk_gb" {
  description = "Size of each VM's data disk (dataDir: the recording spool). It is a stateful disk: it survives autohealing, so segments not yet uploaded are not lost. recording.spoolMaxBytes is set to 70% of it."
  type        = number
  default     = 50
}

variable "data_port" {
  description = "The data port (agents' API calls): listen.port, and the load balancer's port."
  type        = number
  default     = 8080
}

variable "admin_port" {
  description = "The admin port (/healthz, /readyz, /metrics, reviews): listen.adminPort, and the health checks' port."
  type        = number
  default     = 9090
}

variable "drain_timeout_seconds" {
  description = "How long a stopping gateway lets in-flight exchanges finish (drainTimeoutMs), and the load balancer's connection draining."
  type        = number
  default     = 30
}

variable "connections" {
  description = <<-EOT
    The upstream APIs (config connections[]). service_account: the service account whose token the
    gateway injects for this connection, by impersonation; the gateway's own service account is granted
    roles/iam.serviceAccountTokenCreator on it. null: no credential is injected.
  EOT
  type = list(object({
    name            = string
    path_prefixes   = list(string)
    upstream        = string
    service_account = optional(string)
    recording       = optional(string, "full")
  }))

  validation {
    condition     = length(var.connections) > 0
    error_message = "connections: expected at least one connection."
  }
}

variable "auth_issuers" {
  description = "The OIDC issuers agents' tokens come from, exactly as config auth.issuers (objects with issuer, audience, and optionally subjectClaim, groupsClaim, …)."
  type        = any

  validation {
    condition     = length(var.auth_issuers) > 0
    error_message = "auth_issuers: expected at least one issuer (the development issuer is refused on non-loopback listeners)."
  }
}

variable "policy_rules" {
  description = "Config policy.rules, as objects (first match wins; no rule matches: deny). Empty: every request is denied."
  type        = any
  default     = []
}
