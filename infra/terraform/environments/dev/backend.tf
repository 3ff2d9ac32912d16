# The state bucket is made once by hand (docs/runbook.md, "First deploy"): versioned, uniform
# access, in the project itself. `terraform init -backend-config="bucket=PROJECT-tfstate"`.
terraform {
  backend "gcs" {
    prefix = "mats/dev"
  }
}
