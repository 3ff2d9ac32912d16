"""Venue adapters behind the Broker port: paper, Interactive Brokers (ib_async), ccxt exchanges."""
