# Firebase on the same project: Hosting serves web/ (uploaded by `firebase deploy --only hosting`
# from build/hosting, which `make stage` writes), /api/** is rewritten to the dashboard-api
# function; Auth (Identity Platform) holds the dashboard's users, admins with an SMS second factor.
resource "google_firebase_project" "firebase" {
  provider = google-beta
  project  = var.project_id
}

resource "google_firebase_hosting_site" "site" {
  provider = google-beta
  project  = google_firebase_project.firebase.project
  site_id  = var.hosting_site_id
}

resource "google_firebase_web_app" "dashboard" {
  provider        = google-beta
  project         = google_firebase_project.firebase.project
  display_name    = "MATS dashboard"
  deletion_policy = "DELETE"
}

data "google_firebase_web_app_config" "dashboard" {
  provider   = google-beta
  project    = google_firebase_project.firebase.project
  web_app_id = google_firebase_web_app.dashboard.app_id
}

resource "google_identity_platform_config" "auth" {
  project                    = var.project_id
  autodelete_anonymous_users = true
  authorized_domains = [
    "${var.hosting_site_id}.web.app",
    "${var.hosting_site_id}.firebaseapp.com",
  ]

  sign_in {
    allow_duplicate_emails = false
    email {
      enabled           = true
      password_required = true
    }
  }

  mfa {
    state             = "ENABLED"
    enabled_providers = ["PHONE_SMS"]
  }

  depends_on = [google_firebase_project.firebase]
}
