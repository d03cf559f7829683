"""Files of the repository the checks read when no other location is configured."""

from __future__ import annotations

from pathlib import Path

__all__ = ["REPO_ROOT"]

#: The checkout this package runs from (it is installed editable; see `make setup`).
REPO_ROOT = Path(__file__).resolve().parents[3]
