from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, status

from app.core.auth import AnalystDep, ReaderDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageDep
from app.core.routing import API_PREFIX
from app.core.session import DatabaseDep, SessionDep
from app.forecasting import service
from app.forecasting.models import FollowerForecast
from app.forecasting.schemas import (
    ForecastComparison,
    ForecastOut,
    ForecastPrediction,
    ForecastTrain,
)

router = APIRouter(
    prefix=API_PREFIX + "/clients/{client_id}/accounts/{account_id}/forecasts",
    tags=["forecasting"],
)

READ = problem_responses(401, 404, 422)
TRAIN = problem_responses(401, 403, 404, 409, 422)

VersionPath = Annotated[
    str,
    Path(
        pattern=service.VERSION_PATTERN,
        description="The version's number (`1`, `2`, ... per account), its id, or `latest` "
        "for the newest version",
        examples=["latest", "1", "5b0c7e0e-8f0b-4a53-9d1e-2b1f0c7e9a10"],
    ),
]


def _out(version: FollowerForecast) -> ForecastOut:
    return ForecastOut.model_validate(version)


@router.post(
    "",
    response_model=ForecastOut,
    status_code=status.HTTP_201_CREATED,
    summary="Train a follower forecast (a new version) from the account's metrics",
    description="Fits the naive forecast (last value carried forward) and trend + weekday "
    "models on all days but the most recent `holdout_fraction` (at least 7), reports R², "
    "MAE and RMSE on those days, keeps the form with the lowest hold-out RMSE (named in "
    "`metrics.chosen`) and refits it on every day. Forecasts start at the last observed "
    "value; their 80% and 95% intervals are calibrated on the form's forecast errors, and "
    "`metrics.coverage` reports the share of hold-out days inside bands calibrated on the "
    "training days only. Needs follower counts on at least 14 days (422 otherwise).",
    responses=TRAIN,
)
async def train_forecast(
    client_id: uuid.UUID,
    account_id: uuid.UUID,
    db: DatabaseDep,
    auth: AnalystDep,
    data: Annotated[ForecastTrain | None, Body()] = None,
) -> ForecastOut:
    version = await service.train_forecast(db, auth, client_id, account_id, data or ForecastTrain())
    return _out(version)


@router.get(
    "",
    response_model=Page[ForecastOut],
    summary="List forecast versions, newest first, with their hold-out metrics",
    responses=READ,
)
async def list_forecasts(
    client_id: uuid.UUID,
    account_id: uuid.UUID,
    session: SessionDep,
    auth: ReaderDep,
    page: PageDep,
) -> Page[ForecastOut]:
    versions, total = await service.list_versions(
        session, auth, client_id, account_id, limit=page.limit, offset=page.offset
    )
    return Page(
        items=[_out(v) for v in versions], total=total, limit=page.limit, offset=page.offset
    )


@router.get(
    "/compare",
    response_model=ForecastComparison,
    summary="Compare forecast versions by their hold-out errors",
    responses=READ,
)
async def compare_forecasts(
    client_id: uuid.UUID,
    account_id: uuid.UUID,
    session: SessionDep,
    auth: ReaderDep,
    ids: Annotated[
        str | None,
        Query(
            pattern=service.COMPARE_IDS_PATTERN,
            description=f"2 to {service.COMPARE_MAX} comma-separated version ids (a repeated "
            "one counts once); default: the 5 newest versions",
        ),
    ] = None,
) -> ForecastComparison:
    return await service.compare(session, auth, client_id, account_id, service.parse_ids(ids))


@router.get(
    "/{version_id}",
    response_model=ForecastOut,
    summary="One forecast version, by number, id or `latest`",
    responses=READ,
)
async def get_forecast(
    client_id: uuid.UUID,
    account_id: uuid.UUID,
    version_id: VersionPath,
    session: SessionDep,
    auth: ReaderDep,
) -> ForecastOut:
    ref = service.parse_ref(version_id)
    return _out(await service.get_version(session, auth, client_id, account_id, ref))


@router.get(
    "/{version_id}/predict",
    response_model=ForecastPrediction,
    summary="Predicted followers per day with 80% and 95% intervals (`1/predict`, "
    "`latest/predict` too)",
    description="One row per day after the last observed day; day 1 continues from the "
    "last observed value. The intervals are calibrated on the model's own forecast errors "
    "over the account's recent history and widen with the horizon; `coverage` says how "
    "many hold-out days bands calibrated before the hold-out covered.",
    responses=READ,
)
async def predict_forecast(
    client_id: uuid.UUID,
    account_id: uuid.UUID,
    version_id: VersionPath,
    session: SessionDep,
    auth: ReaderDep,
    days: Annotated[
        int | None,
        Query(ge=1, le=365, description="Days to predict; default: the version's horizon"),
    ] = None,
) -> ForecastPrediction:
    ref = service.parse_ref(version_id)
    return await service.predict(session, auth, client_id, account_id, ref, days)
