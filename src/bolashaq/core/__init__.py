"""Shared foundations: base model, errors, security headers, task retries, health."""
