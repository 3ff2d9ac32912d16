"""Cerebro, the brain: turn a standard signal into orders, and say exactly why."""
