"""Fault injection: a killed worker, a hanging gateway, a full disk, … then reconciled."""
