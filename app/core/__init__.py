"""app/core package."""
