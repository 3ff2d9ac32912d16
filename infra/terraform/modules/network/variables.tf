variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "region" {
  description = "The region of the subnet, the router and the NAT."
  type        = string
}

variable "name" {
  description = "Prefix of every network resource."
  type        = string
  default     = "mats"
}

variable "subnet_cidr" {
  description = "The subnet the bridge's Direct VPC egress and the IB Gateway VM use."
  type        = string
  default     = "10.10.0.0/24"
}
