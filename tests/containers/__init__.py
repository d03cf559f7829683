"""The container tier: the server image built by `make image`, run in a local Docker Engine."""
