"""The result model of temporal."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field

from app.analyses.questions.parts import (
    Direction,
    Part,
    Result,
    share_doc,
)


class HeatCell(Part):
    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday (tenant time zone).")
    hour: int = Field(ge=0, le=23, description="Hour of day 0..23 (tenant time zone).")
    posts: int = Field(ge=0, description="Posts published in this weekday x hour cell.")
    own_posts: int = Field(ge=0, description="Of those, posts by the brand's own accounts.")
    mean_engagement: float = Field(ge=0, description="Mean likes + comments + shares (0 if empty).")
    mean_engagement_rate: float = Field(
        ge=0, le=1, description="Mean engagement / max(author followers, 100), capped at 1."
    )


class TimeWindow(Part):
    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday.")
    hour: int = Field(ge=0, le=23, description="Hour of day (tenant time zone).")
    label: str = Field(description="Readable slot in the tenant's language, e.g. 'jueves 19:00'.")
    posts: int = Field(ge=0, description="Posts in the slot (of the basis).")
    mean_engagement_rate: float = Field(ge=0, le=1, description="Mean engagement rate of the slot.")
    lift: float = Field(ge=0, description="Slot rate / mean rate of the basis.")
    lift_low: float = Field(
        ge=0,
        description="Lower bound of the lift's 95% interval (slot against the other posts of "
        "the basis); above 1 for every best window.",
    )
    lift_high: float = Field(ge=0, description="Upper bound of the lift's 95% interval.")


class WeekPoint(Part):
    week_start: date = Field(description="Monday of the week (tenant time zone).")
    posts: int = Field(ge=0, description="Posts that week.")
    mean_engagement: float = Field(ge=0, description="Mean likes + comments + shares that week.")


class Trend(Part):
    slope_per_week: float = Field(
        description="Least-squares slope per week (posts/week, or engagement per post/week)."
    )
    relative_slope: float = Field(
        description="slope / mean weekly value: 0.05 = grows 5% of the mean per week."
    )
    direction: Direction = Field(
        description="'rising' if relative_slope >= 0.02, 'falling' if <= -0.02, else 'stable'."
    )


class Concentration(Part):
    """Most posts of the window fall in a few of its days: no weekly trend is reported."""

    days: int = Field(ge=1, description="The fewest days that hold posts_share of the posts.")
    span_days: int = Field(ge=1, description="Days from the first post's to the last post's.")
    posts_share: float = Field(ge=0, le=1, description=share_doc("posts in those days / all posts"))
    first_day: date = Field(description="First of those days (tenant time zone).")
    last_day: date = Field(description="Last of those days (tenant time zone).")


class TemporalResult(Result):
    """Q8: when posts are published and when they engage (tenant time zone)."""

    timezone: str = Field(description="IANA time zone the weekdays and hours are in.")
    cells: list[HeatCell] = Field(description="All 168 weekday x hour cells, Monday 0:00 first.")
    best_windows_basis: Literal["own", "all"] = Field(
        description="Posts the best windows are ranked on: own posts, or all if too few; "
        "each text once, retweets left out (a retweet's engagement is its original's)."
    )
    best_windows: list[TimeWindow] = Field(
        description="Up to 3 slots with the highest engagement rate among slots with the minimum "
        "sample (30 posts and 2% of the basis) whose lift holds up (95% interval above 1)."
    )
    weekly: list[WeekPoint] = Field(description="Weekly volume and engagement, oldest first.")
    volume_trend: Trend | None = Field(
        description="Trend of weekly post volume (null with fewer than 3 weeks, or when the "
        "posts are concentrated)."
    )
    engagement_trend: Trend | None = Field(
        description="Trend of weekly mean engagement (null with fewer than 3 weeks, or when "
        "the posts are concentrated)."
    )
    concentration: Concentration | None = Field(
        description="Set when at least 80% of the posts fall in at most 20% of the days: a "
        "trend would show when the data was collected, so none is reported."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 2500,
                    "timezone": "America/Lima",
                    "cells": [
                        {
                            "weekday": 3,
                            "hour": 19,
                            "posts": 41,
                            "own_posts": 9,
                            "mean_engagement": 310.2,
                            "mean_engagement_rate": 0.034,
                        }
                    ],
                    "best_windows_basis": "own",
                    "best_windows": [
                        {
                            "weekday": 3,
                            "hour": 19,
                            "label": "jueves 19:00",
                            "posts": 41,
                            "mean_engagement_rate": 0.041,
                            "lift": 1.9,
                            "lift_low": 1.3,
                            "lift_high": 2.6,
                        }
                    ],
                    "weekly": [{"week_start": "2025-03-03", "posts": 96, "mean_engagement": 120.4}],
                    "volume_trend": {
                        "slope_per_week": 1.8,
                        "relative_slope": 0.019,
                        "direction": "stable",
                    },
                    "engagement_trend": {
                        "slope_per_week": -3.2,
                        "relative_slope": -0.027,
                        "direction": "falling",
                    },
                    "concentration": None,
                    "notes": [],
                }
            ]
        }
    )
