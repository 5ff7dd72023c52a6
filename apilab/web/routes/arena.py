"""Routes: arena (see docs/architecture.md for who owns what)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
