"""Adapters: the ports implemented on real technologies (Google Cloud, brokers, exchanges)."""
