"""MATS: multi-strategy automated trading on Google Cloud."""
