"""Analyses Q1-Q10: result models, registry, runs and their storage."""
