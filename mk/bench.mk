# Benchmarks: every bench/bench_*.py, run by bench/run.py; peers from mk/peers.mk, load from wrk.
bench: setup $(PEERS_STAMP) $(MLSERVER_STAMP) ## benchmarks: figures and ratios against peers, same run
	command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(DOCKER_SESSION) $(PY) bench/run.py
