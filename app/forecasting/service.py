"""Follower forecasts per social account: train versions, read them, predict, compare.

Training reads the account's follower series in one short transaction, fits in a worker
thread while holding no connection, then stores the version (and its audit event) in a
second short transaction: seconds of numeric work never keep a transaction open.
"""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.clients import service as clients_service
from app.core.auth import AuthContext
from app.core.db import Database
from app.core.errors import NotFound, UnprocessableEntity
from app.core.repository import flush_or_conflict
from app.forecasting import model
from app.forecasting.models import FollowerForecast
from app.forecasting.repository import ForecastRepository, VersionRef
from app.forecasting.schemas import (
    ComparedVersion,
    ForecastComparison,
    ForecastPrediction,
    ForecastTrain,
    PredictionPoint,
)
from app.metrics import service as metrics_service
from app.tenants import audit

VERSION_NOT_FOUND = "Forecast version not found"
COMPARE_DEFAULT = 5
COMPARE_MAX = 10
_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# The `ids` of a comparison: 2 to COMPARE_MAX version ids, comma-separated.
COMPARE_IDS_PATTERN = f"^{_UUID}(?:,{_UUID}){{1,{COMPARE_MAX - 1}}}$"
# A version in a path: its number (1 to 999,999,999, no leading zero), its id, or `latest`.
VERSION_PATTERN = f"^(?:latest|[1-9][0-9]{{0,8}}|{_UUID})$"


def parse_ref(raw: str) -> VersionRef:
    """A path's version (already checked against `VERSION_PATTERN`)."""
    if raw == "latest":
        return "latest"
    return int(raw) if raw.isdigit() else uuid.UUID(raw)


async def train_forecast(
    db: Database,
    auth: AuthContext,
    client_id: uuid.UUID,
    account_id: uuid.UUID,
    data: ForecastTrain,
) -> FollowerForecast:
    async with db.session() as session, session.begin():
        await clients_service.get_account(session, auth, client_id, account_id)
        points = await metrics_service.follower_series(session, auth.scope, client_id, account_id)
    try:
        fit = await asyncio.to_thread(model.fit_forecast, points, data.holdout_fraction)
    except model.NotEnoughData as exc:
        raise UnprocessableEntity(
            str(exc),
            errors=[{"loc": ["account_metric", "followers"], "msg": str(exc), "type": "too_few"}],
        )
    async with db.session() as session, session.begin():
        # The account may have been deleted meanwhile: the foreign key would fail; 404.
        await clients_service.get_account(session, auth, client_id, account_id)
        version = await store_version(
            session,
            auth,
            client_id,
            account_id,
            fit,
            horizon_days=data.horizon_days,
            holdout_fraction=data.holdout_fraction,
        )
        audit.record(
            session,
            auth.actor,
            "forecast.train",
            "follower_forecast",
            version.id,
            {
                "client_id": str(client_id),
                "account_id": str(account_id),
                "version": version.version,
                "n_points": version.n_points,
                "chosen": fit.evaluation.chosen,
                "holdout_rmse": fit.evaluation.model.rmse,
                "naive_rmse": fit.evaluation.naive.rmse,
                "holdout_coverage": fit.evaluation.to_dict()["coverage"],
            },
        )
    return version


async def store_version(
    session: AsyncSession,
    auth: AuthContext,
    client_id: uuid.UUID,
    account_id: uuid.UUID,
    fit: model.ForecastFit,
    *,
    horizon_days: int,
    holdout_fraction: float,
) -> FollowerForecast:
    repo = ForecastRepository(session, auth.scope)
    version = repo.add(
        FollowerForecast(
            client_id=client_id,
            account_id=account_id,
            version=await repo.next_version(account_id),
            method=model.METHOD,
            horizon_days=horizon_days,
            holdout_fraction=holdout_fraction,
            n_points=fit.model.n_points,
            train_start=fit.model.start_date,
            train_end=fit.model.end_date,
            parameters=fit.model.to_dict(),
            metrics=fit.evaluation.to_dict(),
        )
    )
    # Two trainings of one account at once compute the same number: one of them gets 409.
    await flush_or_conflict(session, "Another forecast of this account was stored meanwhile; retry")
    return version


async def list_versions(
    session: AsyncSession,
    auth: AuthContext,
    client_id: uuid.UUID,
    account_id: uuid.UUID,
    *,
    limit: int,
    offset: int,
) -> tuple[list[FollowerForecast], int]:
    await clients_service.get_account(session, auth, client_id, account_id)
    return await ForecastRepository(session, auth.scope).page(
        client_id, account_id, limit=limit, offset=offset
    )


async def get_version(
    session: AsyncSession,
    auth: AuthContext,
    client_id: uuid.UUID,
    account_id: uuid.UUID,
    ref: VersionRef,
) -> FollowerForecast:
    await clients_service.get_account(session, auth, client_id, account_id)
    version = await ForecastRepository(session, auth.scope).get_ref(client_id, account_id, ref)
    if version is None:
        raise NotFound(VERSION_NOT_FOUND)
    return version


async def predict(
    session: AsyncSession,
    auth: AuthContext,
    client_id: uuid.UUID,
    account_id: uuid.UUID,
    ref: VersionRef,
    days: int | None,
) -> ForecastPrediction:
    version = await get_version(session, auth, client_id, account_id, ref)
    trend = model.TrendModel.from_dict(version.parameters)
    # At most 365 rows of 8 features: cheap enough for the event loop.
    prediction = trend.predict(days or version.horizon_days)
    points = [
        PredictionPoint(
            date=day,
            horizon=int(prediction.horizon[i]),
            followers=float(prediction.point[i]),
            lower_80=float(prediction.lower_80[i]),
            upper_80=float(prediction.upper_80[i]),
            lower_95=float(prediction.lower_95[i]),
            upper_95=float(prediction.upper_95[i]),
        )
        for i, day in enumerate(prediction.dates)
    ]
    return ForecastPrediction(
        version_id=version.id,
        version=version.version,
        account_id=version.account_id,
        chosen=version.metrics["chosen"],
        coverage=version.metrics.get("coverage"),
        last_observed=trend.end_date,
        last_value=trend.last_value,
        days=len(points),
        points=points,
    )


def parse_ids(raw: str | None) -> list[uuid.UUID] | None:
    """`a,b,c` (already checked against `COMPARE_IDS_PATTERN`) -> the distinct ids."""
    if raw is None:
        return None
    return list(dict.fromkeys(uuid.UUID(part) for part in raw.split(",")))


async def compare(
    session: AsyncSession,
    auth: AuthContext,
    client_id: uuid.UUID,
    account_id: uuid.UUID,
    ids: list[uuid.UUID] | None,
) -> ForecastComparison:
    """The given versions (or the newest few), newest first, and the best by hold-out RMSE."""
    await clients_service.get_account(session, auth, client_id, account_id)
    repo = ForecastRepository(session, auth.scope)
    if ids is None:
        versions = await repo.newest(client_id, account_id, COMPARE_DEFAULT)
    else:
        versions = await repo.by_ids(client_id, account_id, ids)
        if len(versions) != len(ids):
            raise NotFound(VERSION_NOT_FOUND)
    items = [_compared(v) for v in sorted(versions, key=lambda v: -v.version)]
    best = min(items, key=lambda i: (i.rmse, -i.version), default=None)
    return ForecastComparison(
        criterion="hold-out RMSE (lower is better)",
        best_version_id=best.id if best else None,
        items=items,
    )


def _compared(version: FollowerForecast) -> ComparedVersion:
    metrics = version.metrics
    return ComparedVersion(
        id=version.id,
        version=version.version,
        created_at=version.created_at,
        chosen=metrics["chosen"],
        n_points=version.n_points,
        train_start=version.train_start,
        train_end=version.train_end,
        holdout_start=metrics["holdout_start"],
        holdout_end=metrics["holdout_end"],
        rmse=metrics["model"]["rmse"],
        mae=metrics["model"]["mae"],
        r2=metrics["model"]["r2"],
        naive_rmse=metrics["naive"]["rmse"],
        skill=metrics["skill"],
        coverage=metrics.get("coverage"),
    )
