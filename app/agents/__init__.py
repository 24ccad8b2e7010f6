"""Agents: who the tenant's team and customers talk to (a staged flow or an assistant)."""
