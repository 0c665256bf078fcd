"""Demo data for `make run`: one user per role and a few applicants. Never in production."""
