"""Closed vocabularies shared by models and schemas."""

from enum import StrEnum


class Role(StrEnum):
    owner = "owner"
    admin = "admin"
    analyst = "analyst"
    viewer = "viewer"


# Higher rank may do everything a lower rank may.
ROLE_RANK = {Role.viewer: 0, Role.analyst: 1, Role.admin: 2, Role.owner: 3}


class Platform(StrEnum):
    x = "x"
    instagram = "instagram"
    facebook = "facebook"
    tiktok = "tiktok"
    linkedin = "linkedin"
    youtube = "youtube"


class ContentType(StrEnum):
    text = "text"
    image = "image"
    video = "video"
    carousel = "carousel"
    link = "link"
    reel = "reel"
    story = "story"


class Language(StrEnum):
    es = "es"
    en = "en"


def check_in(column: str, enum: type[StrEnum]) -> str:
    """SQL CHECK expression limiting a text column to an enum's values."""
    values = ", ".join(f"'{m.value}'" for m in enum)
    return f"{column} IN ({values})"


class AgentKind(StrEnum):
    assistant = "assistant"  # answers questions from the tenant's data and documents
    staged = "staged"  # leads a conversation through ordered stages, filling each one's fields


class AgentTool(StrEnum):
    """What an agent may be allowed to call: the chat's data tools (app/chat/tools.py,
    one each) and retrieval over the tenant's documents."""

    count_posts = "count_posts"
    engagement = "engagement"
    followers = "followers"
    latest_results = "latest_results"
    forecast = "forecast"
    search_documents = "search_documents"


class Channel(StrEnum):
    api = "api"
    webchat = "webchat"
    whatsapp = "whatsapp"
    voice = "voice"


class MessageRole(StrEnum):
    user = "user"
    agent = "agent"


class DocumentStatus(StrEnum):
    pending = "pending"  # stored, its ingestion queued
    ready = "ready"  # chunked and indexed: retrieval finds it
    failed = "failed"  # its text could not be read (see `error`)
