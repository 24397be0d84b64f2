# The gateway's own identity: it can add objects to the recordings bucket and read the bucket's
# metadata, and nothing that could delete or overwrite a recording. Each connection's credential is a
# separate service account that the gateway impersonates.

resource "google_service_account" "gateway" {
  account_id   = "${var.name}-gateway"
  display_name = "tapegate gateway"
  description  = "Runs the tapegate gateway VMs: writes recordings (create-only), impersonates the connections' service accounts."
}

# storage.objects.create only (plus resumable/multipart upload parts): no delete, so no overwrite.
resource "google_storage_bucket_iam_member" "gateway_object_creator" {
  bucket = google_storage_bucket.tapegate_recordings.name
  role   = "roles/storage.objectCreator"
  member = "serviceAccount:${google_service_account.gateway.email}"
}

# What the predefined role lacks: storage.buckets.get for the start-up retention-lock check, and
# optionally storage.objects.get (read-back verification after upload) and storage.objects.setRetention
# (Object Retention Lock: a Locked retention can only ever be lengthened, so it removes nothing).
resource "google_project_iam_custom_role" "gateway_bucket_reader" {
  role_id     = replace("${var.name}_gateway_bucket", "-", "_")
  title       = "tapegate gateway: bucket checks"
  description = "Read the recordings bucket's metadata (retention lock check); optionally read back uploaded objects and set object retention."
  permissions = concat(
    ["storage.buckets.get"],
    var.verify_uploads ? ["storage.objects.get"] : [],
    var.enable_object_retention ? ["storage.objects.setRetention"] : [],
  )
}

resource "google_storage_bucket_iam_member" "gateway_bucket_reader" {
  bucket = google_storage_bucket.tapegate_recordings.name
  role   = google_project_iam_custom_role.gateway_bucket_reader.name
  member = "serviceAccount:${google_service_account.gateway.email}"
}

# The connections' service accounts (connections[].service_account): the gateway mints their tokens
# by impersonation, so no key file ever exists. They may live in other projects.
locals {
  target_service_accounts = toset(compact([for c in var.connections : c.service_account]))
}

resource "google_service_account_iam_member" "gateway_impersonates" {
  for_each           = local.target_service_accounts
  service_account_id = "projects/-/serviceAccounts/${each.value}"
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${google_service_account.gateway.email}"
}

# Where the VMs fetch tapegate from, when it is a bucket: read-only, on that bucket only.
locals {
  source_bucket = startswith(var.tapegate_source, "gs://") ? split("/", trimprefix(var.tapegate_source, "gs://"))[0] : null
}

resource "google_storage_bucket_iam_member" "gateway_reads_source" {
  count  = local.source_bucket == null ? 0 : 1
  bucket = local.source_bucket
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.gateway.email}"
}
