"""Persistence: the ORM, the engine and managed sessions, and Alembic migrations."""
