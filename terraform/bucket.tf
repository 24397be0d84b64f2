# The recordings bucket. The gateway refuses to start unless its retention policy is locked and at
# least store.minRetentionDays long (storage/store/retention.ts); this is the resource its refusal
# points at.
#
# WARNING: is_locked = true is irreversible. Once applied, the retention period can be raised but
# never shortened or removed, and neither the bucket nor any object in it can be deleted before every
# object has reached the period. https://cloud.google.com/storage/docs/bucket-lock
resource "google_storage_bucket" "tapegate_recordings" {
  name     = var.bucket_name
  location = var.bucket_location

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  # Objects are written once and never replaced; noncurrent versions would only hide overwrites.
  versioning {
    enabled = false
  }

  retention_policy {
    retention_period = var.retention_days * 86400 # seconds
    is_locked        = true
  }

  # Per-object Locked retention (the gateway sets it on every upload when this is on). Only settable
  # at creation.
  enable_object_retention = var.enable_object_retention

  force_destroy = false

  lifecycle {
    prevent_destroy = true
  }
}
