"""The dashboard's headline and gap page say how old the newest data are."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_dashboard_headline_states_data_as_of(client: TestClient) -> None:
    for page in ("/", "/gap"):
        html = client.get(page).text
        found = re.search(r'class="freshness">Data as of (\d{4}-\d{2}-\d{2})', html)
        assert found, page
