"""/api/v1/agents: agents, their prompt versions and stages."""

from fastapi import APIRouter

from app.core.routing import API_PREFIX

router = APIRouter(prefix=f"{API_PREFIX}/agents", tags=["agents"])
