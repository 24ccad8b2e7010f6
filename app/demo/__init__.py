"""Deterministic demo data for Pixely."""
