"""Generated gRPC stubs (`make protos`) and the .proto files they come from."""

__all__: list[str] = []
