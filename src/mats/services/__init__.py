"""Use cases: each service runs one job over the ports."""
