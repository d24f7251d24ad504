"""CLI tests run `studio` against a real `jupyter lab` + agent in another process."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner


@pytest.fixture
def studio_cli(client_env: dict, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """studio_cli("jobs", "list") -> click Result, with STUDIO_URL/STUDIO_TOKEN pointing at the server."""
    from studio_ext.cli import cli

    monkeypatch.delenv("STUDIO_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    runner = CliRunner()

    def run(*args: str, env: dict | None = None):
        return runner.invoke(cli, list(args), env={**client_env, **(env or {})}, catch_exceptions=False)

    return run
