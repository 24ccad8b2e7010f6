"""Passwords, JWTs and opaque secrets.

All JWT decoding goes through `decode_token`: algorithms pinned, `exp`/`iat`/`sub`/
`aud`/`iss` required (python-jose lets a token without `aud` or `exp` pass unless told),
`iat` not in the future and `exp - iat` no longer than the lifetime this server allows.
Password hashing runs in a small bounded thread pool, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jose import JWTError, jwt
from passlib.context import CryptContext

from app.core.config import Settings
from app.core.errors import ServiceUnavailable, Unauthorized

# argon2id with OWASP's minimum profile (19 MiB, t=2, p=1): ~20 ms here instead of
# ~120 ms for passlib's defaults; bcrypt hashes from older systems verify and get rehashed.
pwd_context = CryptContext(
    schemes=["argon2", "bcrypt"],
    deprecated=["bcrypt"],
    argon2__memory_cost=19456,
    argon2__time_cost=2,
    argon2__parallelism=1,
)

ACCESS = "access"


def _background_priority() -> None:
    """Hashing threads yield the CPU to request handling: a burst of logins then slows
    logins, not every other request (argon2 releases the GIL and would compete)."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


class PasswordHasher:
    """Hash/verify in a bounded pool so a burst of logins cannot starve the event loop."""

    def __init__(self, workers: int, queue: int) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="pwhash", initializer=_background_priority
        )
        self._slots = asyncio.Semaphore(workers + queue)
        # Verified against when the email is unknown, so timing does not reveal accounts.
        self._dummy_hash = pwd_context.hash(secrets.token_urlsafe(16))

    async def _run(self, fn: Any, *args: Any) -> Any:
        if self._slots.locked():
            raise ServiceUnavailable(
                "Too many concurrent password operations; retry shortly",
                headers={"Retry-After": "1"},
            )
        async with self._slots:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def hash(self, password: str) -> str:
        result: str = await self._run(pwd_context.hash, password)
        return result

    async def verify(self, password: str, hashed: str | None) -> tuple[bool, str | None]:
        """(valid, new_hash): new_hash is set when the stored hash should be upgraded."""
        if hashed is None:
            await self._run(pwd_context.verify, password, self._dummy_hash)
            return False, None
        ok, new_hash = await self._run(pwd_context.verify_and_update, password, hashed)
        return bool(ok), new_hash

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True, slots=True)
class TokenClaims:
    sub: str
    tenant_id: str | None
    jti: str | None
    external: bool = False


def create_access_token(
    settings: Settings, *, user_id: uuid.UUID, tenant_id: uuid.UUID, now: datetime | None = None
) -> str:
    now = now or datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "tid": str(tenant_id),
        "typ": ACCESS,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=settings.access_token_minutes)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    token: str = jwt.encode(
        claims, settings.secret_key.get_secret_value(), algorithm=settings.jwt_algorithm
    )
    return token


_REQUIRED = {
    "verify_signature": True,
    "verify_aud": True,
    "verify_iss": True,
    "verify_exp": True,
    "verify_iat": True,
    "require_exp": True,
    "require_iat": True,
    "require_sub": True,
    "require_aud": True,
    "require_iss": True,
    "leeway": 5,
}


# Clocks of other servers (and ours) drift: a token may say it was issued this many
# seconds in the future, or live this much longer than the lifetime allowed.
CLOCK_LEEWAY_SECONDS = 30


def _decode(
    token: str, key: str, algorithm: str, audience: str, issuer: str, max_lifetime: int
) -> dict[str, Any]:
    """Verified claims, or JWTError. `max_lifetime` (seconds) bounds `exp - iat`: a token
    signed with a known key (the public development secret, a leaked one) cannot make
    itself valid for a century."""
    claims: dict[str, Any] = jwt.decode(
        token, key, algorithms=[algorithm], audience=audience, issuer=issuer, options=_REQUIRED
    )
    # jose checks presence of these only when asked; be explicit about the types too.
    for name in ("exp", "iat"):
        if not isinstance(claims.get(name), int | float) or isinstance(claims[name], bool):
            raise JWTError(f"{name} must be a number")
    if not isinstance(claims.get("sub"), str):
        raise JWTError("sub must be a string")
    # jose's verify_iat checks only that iat is a number.
    if claims["iat"] > time.time() + CLOCK_LEEWAY_SECONDS:
        raise JWTError("iat is in the future")
    lifetime = claims["exp"] - claims["iat"]
    if lifetime <= 0 or lifetime > max_lifetime + CLOCK_LEEWAY_SECONDS:
        raise JWTError("lifetime (exp - iat) out of bounds")
    return claims


class _VerifiedTokens:
    """Tokens whose signature and claims were verified, until their `exp`.

    A client sends the same access token on every request; verifying it once per
    process saves the HMAC and claim checks (a measurable share of a small request).
    Expiry is still checked on every use; user and tenant status are checked by the
    caller (`app.core.auth`, at most AUTH_RECHECK_SECONDS apart).
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._items: dict[str, tuple[TokenClaims, float]] = {}

    def get(self, token: str) -> TokenClaims | None:
        found = self._items.get(token)
        if found is None:
            return None
        claims, expires = found
        if expires <= time.time():
            self._items.pop(token, None)
            return None
        return claims

    def put(self, token: str, claims: TokenClaims, expires: float) -> None:
        if len(self._items) >= self._size:
            self._items.clear()  # crude but bounded; a refill costs one verify each
        self._items[token] = (claims, expires)


_verified = _VerifiedTokens()


def decode_token(settings: Settings, token: str) -> TokenClaims:
    """The one place tokens are verified. Raises Unauthorized on any problem."""
    cached = _verified.get(token)
    if cached is not None:
        return cached
    return _verify(settings, token)


def _verify(settings: Settings, token: str) -> TokenClaims:
    try:
        header = jwt.get_unverified_header(token)
    except JWTError:
        raise Unauthorized("Malformed token")
    if header.get("alg") != settings.jwt_algorithm and not settings.external_jwt_secret:
        raise Unauthorized("Invalid token")
    try:
        claims = _decode(
            token,
            settings.secret_key.get_secret_value(),
            settings.jwt_algorithm,
            settings.jwt_audience,
            settings.jwt_issuer,
            settings.access_token_minutes * 60,
        )
    except JWTError as own_error:
        ext = _decode_external(settings, token)
        if ext is None:
            raise Unauthorized(_describe(own_error))
        return ext
    if claims.get("typ") != ACCESS or not isinstance(claims.get("tid"), str):
        raise Unauthorized("Not an access token")
    verified = TokenClaims(sub=claims["sub"], tenant_id=claims["tid"], jti=claims.get("jti"))
    _verified.put(token, verified, float(claims["exp"]))
    return verified


def _decode_external(settings: Settings, token: str) -> TokenClaims | None:
    """Tokens of a configured external issuer (shared HS256 secret); `sub` is an email."""
    if not (
        settings.external_jwt_secret
        and settings.external_jwt_issuer
        and settings.external_jwt_audience
    ):
        return None
    try:
        claims = _decode(
            token,
            settings.external_jwt_secret.get_secret_value(),
            "HS256",
            settings.external_jwt_audience,
            settings.external_jwt_issuer,
            settings.external_jwt_max_lifetime_minutes * 60,
        )
    except JWTError:
        return None
    email = claims.get("email") or claims["sub"]
    return TokenClaims(sub=str(email).lower(), tenant_id=None, jti=claims.get("jti"), external=True)


def decode_product_token(settings: Settings, token: str) -> str:
    """The user id in an access token of an existing product that shares an HS256
    secret with Pixely (`EXTERNAL_JWT_SECRET`), shaped like a Django SimpleJWT access
    token: `token_type` "access", `exp`, `iat`, `jti` and the user id in
    `EXTERNAL_JWT_USER_CLAIM`; `iss` and `aud` are checked only when configured. Raises
    Unauthorized on any problem (our own tokens are not accepted here)."""
    if settings.external_jwt_secret is None:
        raise Unauthorized("This endpoint takes tokens of an external issuer; none is configured")
    try:
        header = jwt.get_unverified_header(token)
    except JWTError:
        raise Unauthorized("Malformed token")
    if header.get("alg") != "HS256":
        raise Unauthorized("Invalid token")
    options = {
        "verify_signature": True,
        "verify_aud": settings.external_jwt_audience is not None,
        "verify_iss": settings.external_jwt_issuer is not None,
        "verify_exp": True,
        "verify_iat": True,
        "require_exp": True,
        "require_iat": True,
        "require_jti": True,
    }
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.external_jwt_secret.get_secret_value(),
            algorithms=["HS256"],
            audience=settings.external_jwt_audience,
            issuer=settings.external_jwt_issuer,
            options=options,
        )
    except JWTError as error:
        raise Unauthorized(_describe(error))
    if claims.get("token_type") != "access":
        raise Unauthorized("Not an access token")
    for name in ("exp", "iat"):
        if not isinstance(claims.get(name), int | float) or isinstance(claims[name], bool):
            raise Unauthorized(f"Invalid token: {name} must be a number")
    lifetime = claims["exp"] - claims["iat"]
    max_lifetime = settings.external_jwt_max_lifetime_minutes * 60
    if claims["iat"] > time.time() + CLOCK_LEEWAY_SECONDS or not (
        0 < lifetime <= max_lifetime + CLOCK_LEEWAY_SECONDS
    ):
        raise Unauthorized("Invalid token: iat or lifetime out of bounds")
    user = claims.get(settings.external_jwt_user_claim)
    if isinstance(user, bool) or not isinstance(user, str | int) or str(user) == "":
        raise Unauthorized(f"Invalid token: no {settings.external_jwt_user_claim} claim")
    return str(user)


def _describe(error: JWTError) -> str:
    text = str(error).lower()
    if "expired" in text:
        return "Token expired"
    return "Invalid token"


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode(), b.encode())
