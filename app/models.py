"""Imports every model so that Alembic and the tests see the whole metadata."""

from app.auth.models import LoginThrottle, RefreshToken
from app.clients.models import Client, SocialAccount
from app.clustering.models import PostClusterAssignment, PostClusterModel
from app.core.db import Base
from app.forecasting.models import FollowerForecast
from app.posts.models import AccountMetric, Post
from app.tenants.models import ApiKey, AuditEvent, Tenant, User

__all__ = [
    "AccountMetric",
    "ApiKey",
    "AuditEvent",
    "Base",
    "Client",
    "FollowerForecast",
    "LoginThrottle",
    "Post",
    "PostClusterAssignment",
    "PostClusterModel",
    "RefreshToken",
    "SocialAccount",
    "Tenant",
    "User",
]
