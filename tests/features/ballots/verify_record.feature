Feature: An auditor verifies the published record of a vote
  Anyone who downloads the election record can check the result without trusting the
  server: no database, no network, just the record and the verifier. It checks that
  every ballot carries a credential the issuer signed, is signed by that credential and
  proves it holds an allowed vote; that no credential voted twice; that the board's
  signed checkpoints cover exactly these ballots; and that the trustees decrypted
  exactly the sum of the ballots. It names every check, and the first bad item.

  Background:
    Given the published record of a finished vote with 5 online ballots and 2 postal envelopes

  Scenario: A faithful record verifies
    When I run stimmwerk verify on the record
    Then every check passes
    And the exit status is 0

  Scenario: The record as a zip verifies too
    Given the record is packed as a zip
    When I run stimmwerk verify on the zip
    Then every check passes

  Scenario: A tampered ballot is named by its line and its failing check
    Given someone altered the encrypted vote on line 3 of the ballots and signed it again
    When I run stimmwerk verify on the record
    Then the check "ballots.proofs" fails at "ballots.jsonl line 3, field answers[0].option_proofs[0]"
    And the checks after it are not run
    And the exit status is 1

  Scenario: A ballot dropped from the board is noticed
    Given someone removed the ballot on line 2 from the board
    When I run stimmwerk verify on the record
    Then the check "board.checkpoint_consistency" fails at "checkpoints.jsonl line 3, field note"
    And the exit status is 1

  Scenario: A miscounted result is noticed
    Given someone added one vote to the first option of the published result
    When I run stimmwerk verify on the record
    Then the check "tally.result" fails at "tally.json line 1, field questions[0].result[0]"
    And the exit status is 1
