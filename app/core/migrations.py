"""Run Alembic programmatically (used by the CLI, the server start-up and the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command

ROOT = Path(__file__).resolve().parents[2]


def _root() -> Path:
    # A source checkout keeps alembic/ beside app/; an installed wheel (the Docker image)
    # runs from a folder holding alembic.ini and alembic/.
    return ROOT if (ROOT / "alembic.ini").exists() else Path.cwd()


def alembic_config(url: str) -> Config:
    root = _root()
    cfg = Config(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "alembic"))
    cfg.attributes["url"] = url
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)
