"""End-to-end tests against a real `jupyter lab`; the fixtures live in tests/e2e/server.py (a plugin
registered by tests/conftest.py, so tests/ui and SDK/CLI tests can use them too)."""
