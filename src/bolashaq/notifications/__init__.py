"""E-mail and SMS to people, per language, with a delivery log."""
