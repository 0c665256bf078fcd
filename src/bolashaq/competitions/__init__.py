"""Intakes: the windows in which applications are accepted, bound to a rule set."""
