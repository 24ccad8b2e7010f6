"""/api/v1/documents: upload, list, read, delete and search the tenant's documents."""

from fastapi import APIRouter

from app.core.routing import API_PREFIX

router = APIRouter(prefix=f"{API_PREFIX}/documents", tags=["documents"])
