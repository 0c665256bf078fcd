"""Append-only, hash-chained log of every write in the system."""
