"""Security parts of the studio: the tamper-evident audit chain (audit_chain.py)."""
