"""Imports every model so that Alembic and the tests see the whole metadata."""

from app.auth.models import LoginThrottle, RefreshToken
from app.clients.models import Client, SocialAccount
from app.core.db import Base
from app.posts.models import AccountMetric, Post
from app.tenants.models import ApiKey, AuditEvent, Tenant, User

__all__ = [
    "AccountMetric",
    "ApiKey",
    "AuditEvent",
    "Base",
    "Client",
    "LoginThrottle",
    "Post",
    "RefreshToken",
    "SocialAccount",
    "Tenant",
    "User",
]
