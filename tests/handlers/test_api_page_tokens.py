"""Every list route refuses a next_token it did not issue with a 400 naming it (never a 500)."""

from __future__ import annotations

import pytest

FOREIGN_TOKENS = ["é", "abc", "YWJj", "%%%", "eyJvIjogLTF9", "A" * 5000]


@pytest.mark.parametrize("path", ["models", "experiments", "experiments/0/runs", "jobs", "audit-events",
                                  "job-definitions"])
async def test_given_tokens_the_server_never_issued_when_listing_then_400_names_next_token(studio_api, path):
    for token in FOREIGN_TOKENS:
        code, body = await studio_api("GET", *path.split("/"), params={"next_token": token})

        assert code == 400, (token, body)
        assert body["error_code"] == "InvalidParameterValue" and body["message"].startswith("next_token"), body
