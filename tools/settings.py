"""The one typed settings object of crsagent.

Settings are read from the environment and an optional ``.env`` file when :func:`load_settings`
is called (never at import time) and passed explicitly to every component that needs them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The directory of data files that ship with the project (the default catalog).
PACKAGED_DATA_DIR = Path(__file__).resolve().parent.parent / "data"


class Settings(BaseSettings):
    """All crsagent configuration (see ``.env.example`` for documentation of every field)."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        validate_by_name=True,
    )

    home: Path = Field(default=Path("~/.crsagent"), validation_alias="CRSAGENT_HOME")
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    chroma_path: Path | None = Field(default=None, validation_alias="CHROMA_PATH")
    chroma_url: str | None = Field(default=None, validation_alias="CHROMA_URL")
    chroma_tenant: str | None = Field(default=None, validation_alias="CHROMA_TENANT")
    chroma_database: str | None = Field(default=None, validation_alias="CHROMA_DATABASE")
    data_dir: Path = Field(default=PACKAGED_DATA_DIR, validation_alias="CRSAGENT_DATA_DIR")

    llm: Literal["offline", "openai"] = Field(default="offline", validation_alias="CRSAGENT_LLM")
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    llm_model: str = Field(default="gpt-4o-mini", validation_alias="CRSAGENT_LLM_MODEL")
    llm_timeout_s: float = Field(default=30.0, validation_alias="CRSAGENT_LLM_TIMEOUT")
    llm_max_retries: int = Field(default=2, validation_alias="CRSAGENT_LLM_MAX_RETRIES")

    sim_llm: Literal["offline", "openai"] = Field(default="offline", validation_alias="CRSAGENT_SIM_LLM")
    sim_api_key: SecretStr | None = Field(default=None, validation_alias="CRSAGENT_SIM_API_KEY")
    sim_base_url: str | None = Field(default=None, validation_alias="CRSAGENT_SIM_BASE_URL")
    sim_model: str = Field(default="gpt-4o-mini", validation_alias="CRSAGENT_SIM_MODEL")

    embedding_model: str | None = Field(default=None, validation_alias="CRSAGENT_EMBEDDING_MODEL")
    query_encoder: Literal["auto", "numpy", "sentence-transformers"] = Field(
        default="auto", validation_alias="CRSAGENT_QUERY_ENCODER"
    )
    n_items: int = Field(default=5, ge=1, le=20, validation_alias="CRSAGENT_N_ITEMS")
    max_message_chars: int = Field(default=4000, ge=1, validation_alias="CRSAGENT_MAX_MESSAGE_CHARS")
    ui_user: str | None = Field(default=None, validation_alias="CRSAGENT_UI_USER")
    ui_password: SecretStr | None = Field(default=None, validation_alias="CRSAGENT_UI_PASSWORD")
    ui_rate_limit: int = Field(default=30, ge=0, validation_alias="CRSAGENT_UI_RATE_LIMIT")

    def model_post_init(self, __context: object) -> None:
        self.home = self.home.expanduser()

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL of the catalog / memory database."""
        return self.database_url or f"sqlite:///{self.home / 'crsagent.db'}"

    @property
    def chroma_dir(self) -> Path:
        """The directory of the embedded (persistent) Chroma store."""
        return (self.chroma_path or self.home / "chroma").expanduser()

    @property
    def models_dir(self) -> Path:
        """Where trained recommender models are persisted."""
        return self.home / "models"

    @property
    def checkpoint_path(self) -> Path:
        """The LangGraph checkpointer's SQLite file (conversation state per user and session)."""
        return self.home / "sessions.sqlite"


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment / ``.env``; keyword overrides (by field name) win and are validated."""
    return Settings(**overrides)  # type: ignore[arg-type]
