"""A local, in-memory implementation of the Google Cloud Pub/Sub REST API subset MATS uses."""
