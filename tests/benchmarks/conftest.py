"""Fixtures for the benchmark tests: the project's own small MBPP files."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def mbpp_fixture() -> Path:
    """Six MBPP-format problems written for routerx (original schema, JSON lines)."""
    return FIXTURES / "mbpp_small.jsonl"


@pytest.fixture
def mbpp_sanitized_fixture() -> Path:
    """Two problems in the sanitized schema (JSON array, with test_imports)."""
    return FIXTURES / "sanitized_small.json"
