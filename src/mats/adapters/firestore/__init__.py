"""Firestore adapters: one store per aggregate, all sharing one lazily created client."""
