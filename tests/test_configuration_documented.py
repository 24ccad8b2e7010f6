"""Every setting is listed in .env.example and in the README's configuration table, and
neither lists a setting that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

from app.core.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def _table_rows(readme: str) -> str:
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("| `"))


def test_every_setting_is_documented_and_nothing_else() -> None:
    settings = {name.upper() for name in Settings.model_fields}
    example = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    # The first column of the table: `NAME` or `NAME` / `OTHER_NAME`.
    table = {
        name
        for row in _table_rows((ROOT / "README.md").read_text()).splitlines()
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])
    }
    assert settings - example == set(), "missing in .env.example"
    assert example - settings == set(), "in .env.example but not a setting"
    assert settings - table == set(), "missing in the README's configuration table"
    assert table - settings == set(), "in the README's table but not a setting"
