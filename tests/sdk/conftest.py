"""SDK tests run against a real `jupyter lab` + agent in another process (the session's
`studio_server`): the SDK is synchronous, so it cannot share pytest-jupyter's in-process loop."""

from __future__ import annotations

import pytest


@pytest.fixture
def studio(live_studio):
    from studio_ext.sdk import Studio

    return Studio(url=live_studio.url, token=live_studio.token)
