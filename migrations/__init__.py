"""Alembic migrations of every package's tables."""
