# Component server (model-server/): gRPC code generation and the server's own test target.
SERVER_PROTO := model-server/infergraph_server/proto

.PHONY: protos test-server

protos: setup ## regenerate the committed gRPC stubs from model-server/infergraph_server/proto/*.proto
	cd model-server && ../$(PY) -m grpc_tools.protoc -I . --python_out=. --grpc_python_out=. \
		infergraph_server/proto/prediction.proto infergraph_server/proto/inference.proto

test-server: setup ## component server tests only (tests/server)
	$(PY) -m pytest -q tests/server
