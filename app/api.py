"""The API's routers under /api/v1, in the order requests are matched against them."""

from fastapi import APIRouter

from app.agents.router import router as agents_router
from app.analyses.router import router as analyses_router
from app.auth.router import router as auth_router
from app.chat.router import router as chat_router
from app.clients.router import router as clients_router
from app.clustering.router import router as clustering_router
from app.documents.router import router as documents_router
from app.forecasting.router import router as forecasting_router
from app.metrics.router import router as metrics_router
from app.posts.router import router as posts_router
from app.tenants.router import admin_router
from app.tenants.router import router as tenant_router

# A request is matched against the routes one by one: the routers read most often come
# first (the documentation's order is set by the tags, not by this).
API_ROUTERS: tuple[APIRouter, ...] = (
    posts_router,
    metrics_router,
    clients_router,
    analyses_router,
    forecasting_router,
    clustering_router,
    chat_router,
    agents_router,
    documents_router,
    auth_router,
    tenant_router,
    admin_router,
)
