"""One graph node served: data plane, REST and gRPC adapters, user classes, prepackaged models.

`command.py` is `infergraph-server component`; `dataplane.py` holds the protocol-neutral logic that
`rest.py` and `grpc_server.py` adapt; the orchestrator's front reuses their V2 pieces.
"""

__all__: list[str] = []
