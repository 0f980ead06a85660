"""Mitgliederbefragung (surveys), built on ballots/."""
