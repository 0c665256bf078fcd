"""The application for the competition: its states, documents, submission and acceptance."""
