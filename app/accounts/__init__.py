"""app/accounts package."""
