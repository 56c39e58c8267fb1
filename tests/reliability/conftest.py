"""Fixtures of the reliability tests: the real app over the session's fixture index with a fresh
SQLite ticket database per test."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .reliability_support import make_app


@pytest.fixture()
def app(built_settings, matcher, tmp_path):
    return make_app(built_settings, matcher, f"sqlite:///{tmp_path}/tickets.db")


@pytest.fixture()
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
