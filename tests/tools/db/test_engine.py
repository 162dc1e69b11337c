"""The engine factory: a home that cannot be created is one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.db.base import CatalogError
from tools.db.engine import make_engine
from tools.settings import load_settings


def test_unwritable_home_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CatalogError, match="CRSAGENT_HOME"):
        make_engine(load_settings(home=blocker / "home"))
