"""Imports every model so that Alembic and the tests see the whole metadata."""

from app.agents.models import Agent, AgentPromptVersion, AgentStage
from app.analyses.models import AnalysisJob, AnalysisRun
from app.auth.models import LoginThrottle
from app.chat.models import Contact, Conversation, Message
from app.clients.models import Client, SocialAccount
from app.clustering.models import PostClusterAssignment, PostClusterModel
from app.core.db import Base
from app.core.idempotency import IdempotencyRecord
from app.documents.models import Document, DocumentChunk
from app.forecasting.models import FollowerForecast
from app.metrics.models import AccountMetric
from app.posts.models import Post
from app.tenants.models import ApiKey, AuditEvent, RefreshToken, Tenant, User

__all__ = [
    "AccountMetric",
    "Agent",
    "AgentPromptVersion",
    "AgentStage",
    "AnalysisJob",
    "AnalysisRun",
    "ApiKey",
    "AuditEvent",
    "Base",
    "Client",
    "Contact",
    "Conversation",
    "Document",
    "DocumentChunk",
    "FollowerForecast",
    "IdempotencyRecord",
    "LoginThrottle",
    "Message",
    "Post",
    "PostClusterAssignment",
    "PostClusterModel",
    "RefreshToken",
    "SocialAccount",
    "Tenant",
    "User",
]
