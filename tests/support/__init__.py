"""Test support code shared by unit, BDD and benchmark code (no fixtures here)."""
