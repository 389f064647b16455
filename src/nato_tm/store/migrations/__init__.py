"""Migrations package."""
