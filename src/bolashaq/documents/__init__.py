"""Documents of an application: checked by content, stored with their SHA-256, served by right."""
