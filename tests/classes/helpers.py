"""Shared helpers for class-mode tests: accounts, signed-in clients, chat."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from tests._services import TEST_BASE_URL, TEST_PEER

PASSWORD = "correct horse battery staple"


def make_account(app: Any, email: str, role: str = "learner") -> None:
    from apilab.accounts import Accounts

    Accounts.for_db(app.state.db, app.state.settings).create(email, password=PASSWORD,
                                                             role=role)


def signed_in(app: Any, email: str, peer: tuple[str, int] = TEST_PEER) -> TestClient:
    """A new browser (its own cookie jar) signed in as ``email``."""
    client = TestClient(app, base_url=TEST_BASE_URL, client=peer)
    response = client.post("/api/auth/signin", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return client


def sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for frame in text.strip().split("\n\n"):
        kind, data = "", {}
        for line in frame.splitlines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                data = json.loads(line.split(":", 1)[1])
        events.append((kind, data))
    return events


def ask(client: TestClient, lab: str, message: str) -> list[tuple[str, dict[str, Any]]]:
    response = client.post(f"/api/labs/{lab}/messages", json={"message": message})
    assert response.status_code == 200, response.text
    return sse(response.text)


# Three on-topic questions that complete the rate-limits lab with the offline tutor.
COMPLETING = ("RPM vs TPM?", "why add jitter to retries?",
              "How much do 2 million input tokens and 500k output tokens cost on gpt-4o-mini?")
