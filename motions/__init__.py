"""Anträge, amendments and Mitgliederbegehren, built on ballots/ for decisions."""
