"""Talking to a live cluster with the `kubernetes` client: `infergraph diff` (what an apply of
the rendered objects would change) and `infergraph status` (how far their rollout is).

connect.py holds the one connection (kubeconfig, context, errors as `ClusterError`);
discovery.py finds where each kind is served; diff.py and status.py do the talking;
normalize.py, changes.py and rollout.py are pure, tested without a cluster.
"""

from __future__ import annotations

__all__: list[str] = []
