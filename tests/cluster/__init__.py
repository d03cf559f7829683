"""The cluster tier: our objects against a real Kubernetes control plane on this machine."""
