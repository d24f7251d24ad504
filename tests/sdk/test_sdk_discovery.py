"""How Studio() finds the server: arguments, STUDIO_URL/TOKEN, config file, running servers."""

from __future__ import annotations

import json

import pytest

from studio_ext.exceptions import StudioError
from studio_ext.sdk import Studio

_VARS = ("STUDIO_URL", "STUDIO_TOKEN", "STUDIO_CONFIG", "XDG_CONFIG_HOME", "JUPYTER_RUNTIME_DIR")


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in _VARS:
        monkeypatch.delenv(name, raising=False)
    # No config file and no running servers unless a test puts them there.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "empty-runtime"))
    return monkeypatch


def test_given_env_vars_when_studio_then_uses_them(clean_env, live_studio):
    clean_env.setenv("STUDIO_URL", live_studio.url.rstrip("/"))
    clean_env.setenv("STUDIO_TOKEN", live_studio.token)

    studio = Studio()

    assert studio.server.source == "STUDIO_URL"
    assert studio.config().version


def test_given_config_file_when_studio_then_uses_it(clean_env, live_studio, tmp_path):
    path = tmp_path / "studio.json"
    path.write_text(json.dumps({"url": live_studio.url, "token": live_studio.token}))
    clean_env.setenv("STUDIO_CONFIG", str(path))

    studio = Studio()

    assert str(path) in studio.server.source
    assert studio.instance_types()


def test_given_default_config_location_when_studio_then_uses_it(clean_env, live_studio, tmp_path):
    path = tmp_path / "xdg" / "studio" / "config.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"url": live_studio.url, "token": live_studio.token}))

    assert Studio().config().version


def test_given_only_a_running_jupyter_server_when_studio_then_found_with_its_token(clean_env, live_studio):
    clean_env.setenv("JUPYTER_RUNTIME_DIR", str(live_studio.log_path.parent / f"runtime-{live_studio.port}"))

    studio = Studio()

    assert "running Jupyter server" in studio.server.source
    assert studio.server.token == live_studio.token
    assert studio.jobs.list(max_items=1) is not None


def test_given_arguments_when_studio_then_they_win_over_env(clean_env, live_studio):
    clean_env.setenv("STUDIO_URL", "http://127.0.0.1:9/")
    studio = Studio(url=live_studio.url, token=live_studio.token)
    assert studio.config().version


def test_given_nothing_when_studio_then_error_says_what_to_do(clean_env):
    with pytest.raises(StudioError, match="STUDIO_URL"):
        Studio()


def test_given_broken_config_file_when_studio_then_error_names_the_file(clean_env, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    clean_env.setenv("STUDIO_CONFIG", str(path))
    with pytest.raises(StudioError, match="bad.json"):
        Studio()


def _server_file(runtime, name: str, url: str, root: str, uid: int | None = None) -> None:
    import os

    runtime.mkdir(parents=True, exist_ok=True)
    path = runtime / f"jpserver-{name}.json"
    path.write_text(json.dumps({"url": url, "token": "t", "pid": os.getpid(), "root_dir": root}))
    if uid is not None:
        os.chown(path, uid, uid)


def test_given_two_servers_of_mine_when_guessing_then_it_says_which_and_why(clean_env, tmp_path, capsys):
    runtime = tmp_path / "runtime"
    _server_file(runtime, "1", "http://127.0.0.1:1111/", str(tmp_path / "elsewhere"))
    _server_file(runtime, "2", "http://127.0.0.1:2222/", str(tmp_path))
    clean_env.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    clean_env.chdir(tmp_path)

    from studio_ext.sdk._discovery import discover

    info = discover()
    discover()  # said once per process

    assert info.url == "http://127.0.0.1:2222/"
    said = capsys.readouterr().err
    assert said.count("2 Jupyter servers run here") == 1
    assert "http://127.0.0.1:2222/" in said and "its root holds the current directory" in said


def test_given_only_servers_of_other_users_then_it_refuses_to_guess(clean_env, tmp_path):
    runtime = tmp_path / "runtime"
    _server_file(runtime, "1", "http://127.0.0.1:1111/", str(tmp_path), uid=12345)
    clean_env.setenv("JUPYTER_RUNTIME_DIR", str(runtime))

    with pytest.raises(StudioError, match="other users .*uid 12345.*STUDIO_URL"):
        Studio()
