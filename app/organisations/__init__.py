"""app/organisations package."""
