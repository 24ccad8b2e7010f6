"""Chat turns with an agent, conversations and their messages, and the existing
product's chat endpoint."""

from fastapi import APIRouter

from app.core.routing import API_PREFIX

router = APIRouter(prefix=API_PREFIX, tags=["chat"])
