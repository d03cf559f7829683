"""End to end on kind clusters: the Helm chart and the jsonnet output on a real Kubernetes."""
