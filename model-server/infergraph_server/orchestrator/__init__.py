"""The graph orchestrator: runs one predictor's runtime graph by calling its node servers.

`executor.Executor` walks the graph (each node's behaviour is its type's object in
`infergraph_server.node_types`) and talks to nodes through a `transport.Transport`
(`InProcessTransport` for tests, `HttpTransport` and `GrpcTransport` for real servers);
`readiness.Readiness` keeps which nodes may be sent to; `service.OrchestratorService` puts it
all behind the component server's HTTP core. The package imports none of them itself, so the
node types can import `errors` without a cycle.
"""

__all__: list[str] = []
