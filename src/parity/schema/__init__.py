"""Desired-schema sources, database discovery and the ``schema diff`` service."""
