Feature: The public bulletin board of a member vote
  Anyone can see every ballot cast online, by its hash, under a signed checkpoint, and
  check a receipt. The board shows the turnout so far, never a partial result.

  Background:
    Given the demo organisation
    And these members:
      | name        | unit             |
      | Anna Albers | Ortsverein Ahorn |
      | Ben Berger  | Ortsverein Birke |
      | Cem Celik   | Ortsverein Chaussee |
      | Paul Post   | Ortsverein Ahorn |
    And Paul votes by post
    And the member vote of "Landesverband Eins" is open

  Scenario: Anyone sees the ballots and the turnout, but no result
    Given Anna has voted "yes"
    And Ben has voted "no"
    When a visitor opens the bulletin board
    Then the board lists 2 ballots with their hashes
    And the page says "2 von 4 stimmberechtigten Mitgliedern"
    And the page shows the latest signed checkpoint
    And the page shows no result

  Scenario: A voter checks the receipt on the board
    Given Anna has voted "yes"
    When a visitor looks up Anna's ballot hash on the bulletin board
    Then the page says "Gefunden: Dieser Stimmzettel liegt auf der Anschlagtafel und wird mitgezählt."
    And the page says "Die Anschlagtafel ist unterschrieben: Niemand kann sie später unbemerkt ändern."
    And the page shows the checkpoint the proof leads to
    When a visitor looks up a ballot hash that nobody cast
    Then the page says "Nicht gefunden"
    When a visitor looks up "not-a-hash"
    Then the page says "Das ist keine Quittungsnummer"

  Scenario: The browser checks the receipt through the board API
    Given Anna has voted "yes"
    And Ben has voted "no"
    When Anna's browser asks the board API for her ballot hash
    Then the answer is a receipt that checks against the signed checkpoint
    When a browser asks the board API for a ballot hash that nobody cast
    Then the answer is "not_found" with status 404

  Scenario: The browser gets the public election data
    When a visitor fetches the client data of the member vote
    Then the client data hold the manifest and the keys a voter's browser needs

  Scenario: A long board is shown in pages
    Given the bulletin board shows 2 ballots per page
    And Anna has voted "yes"
    And Ben has voted "no"
    And Cem has voted "abstain"
    When a visitor opens the bulletin board
    Then the board lists 2 ballots with their hashes
    And the page says "Seite 1 von 2"
    When a visitor opens page 2 of the bulletin board
    Then the board lists 1 ballot with its hash
