"""Mounts the routers under /api/v1."""

from fastapi import APIRouter

from app.analyses.router import router as analyses_router
from app.auth.router import router as auth_router
from app.clients.router import router as clients_router
from app.clustering.router import router as clustering_router
from app.forecasting.router import router as forecasting_router
from app.posts.router import router as posts_router
from app.tenants.router import admin_router
from app.tenants.router import router as tenant_router

api_router = APIRouter(prefix="/api/v1")
# FastAPI matches a request against the routes in order, one by one: the routers read
# most often come first (the documentation's order is set by the tags, not by this).
api_router.include_router(posts_router)
api_router.include_router(clients_router)
api_router.include_router(analyses_router)
api_router.include_router(forecasting_router)
api_router.include_router(clustering_router)
api_router.include_router(auth_router)
api_router.include_router(tenant_router)
api_router.include_router(admin_router)
