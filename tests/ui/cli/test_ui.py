"""``crsagent ui``'s options."""

from __future__ import annotations

from typer.testing import CliRunner

from ui.cli.main import app


def test_ui_command_is_registered_with_host_and_port() -> None:
    runner = CliRunner()
    helped = runner.invoke(app, ["ui", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
    assert helped.exit_code == 0, helped.output
    assert "--host" in helped.output and "--port" in helped.output and "127.0.0.1" in helped.output
    assert "7860" in helped.output
    bad = runner.invoke(app, ["ui", "--port", "70000"])
    assert bad.exit_code != 0 and "65535" in bad.output
