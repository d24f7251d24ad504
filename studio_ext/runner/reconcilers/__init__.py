"""The agent's reconcilers: each moves one kind of desired state toward the real one (base.py: the contract)."""
