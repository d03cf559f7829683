"""Hand-written good objects (data/good.yaml) that the checker tests break one field at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

GOOD_YAML = Path(__file__).parent / "data" / "good.yaml"


@pytest.fixture
def good_yaml() -> Path:
    """The file itself, for tools that read YAML files (checkov)."""
    return GOOD_YAML


@pytest.fixture
def good() -> dict[str, dict[str, Any]]:
    """A fresh copy of every good object, keyed by kind (one object per kind)."""
    objects = list(yaml.safe_load_all(GOOD_YAML.read_text()))
    by_kind = {obj["kind"]: obj for obj in objects}
    assert len(by_kind) == len(objects)
    return by_kind
