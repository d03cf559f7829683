"""`infergraph up --runtime containers`: the rendered pods run as containers in Docker.

plan.py (pure: objects to pods, refusals by field), dockerargs.py (pure: pods to Docker
arguments), engine.py (the Docker calls), probes.py and supervise.py (the kubelet's part),
run.py (the command).
"""

__all__: list[str] = []
