"""Mitgliederentscheid (member referendum) online: the web layer over the ballot core.

Staff prepare a referendum (`referendums.pages`), the election commission holds the keys
and tallies (`referendums.commission`), members vote from their own browser and anyone
watches the bulletin board (`referendums.voting`). The cryptography of a member's vote
runs in the member's browser (``frontend/src/``); the server side only calls
`ballots.services`, which checks everything again.
"""
