"""Local stand-ins for the Google Cloud services MATS uses, for running without a cloud account."""
