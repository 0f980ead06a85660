"""The auditable ballot core (elections, credentials, casting, board, tally, record)."""
