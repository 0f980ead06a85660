Feature: Members answer a survey, once, without being linked to their answers
  A member of the unit or its sub-units gets one anonymous survey credential, answers
  without the login session and keeps a receipt. The server checks every rule again.
  Guests answer only where the staff allowed it, and their answers are counted apart.
  After the close the results and the survey record are published, and the record
  verifies.

  Background:
    Given the demo organisation
    And Sonja Stab is a member of "Unterbezirk Eins"
    And Sonja is staff of "Unterbezirk Eins"
    And Anna Ahorn is a member of "Ortsverein Ahorn"
    And Bernd Birke is a member of "Ortsverein Birke"
    And Carla Chaussee is a member of "Ortsverein Chaussee"
    And Gustav Gast is a registered guest

  Scenario: A member answers once and gets a receipt; a second answer is refused
    Given Sonja has opened the example survey for "Unterbezirk Eins"
    Then Bernd sees that no credential was issued for him
    When Anna answers the survey
    Then Anna gets a receipt
    And Anna sees that a credential was issued for her today
    And the stored answer carries no account, address or time
    When Anna sends a second answer with the same credential
    Then the answer is refused with "already_answered"
    When Anna asks for a second credential
    Then the answer is refused with "already_issued"

  Scenario Outline: Answers that break a rule are refused, naming the question, and nothing is stored
    Given Sonja has opened the example survey for "Unterbezirk Eins"
    When Bernd answers the survey with <mistake>
    Then the answer is refused with "rejected" naming question "<question>"
    And no answer is stored

    Examples:
      | mistake                                  | question |
      | an unknown option for q1                 | q1       |
      | three topics for q3                      | q3       |
      | a text of 201 characters for q4          | q4       |
      | an answer to q4 although q2 is "no"      | q4       |

  Scenario: A member of another unit is told she is not asked
    Given Sonja has opened the example survey for "Unterbezirk Eins"
    When Carla asks for a credential
    Then the answer is refused with "not_eligible"
    And the message says "Du bist nicht Mitglied der Gliederung, die diese Befragung stellt."

  Scenario: A guest in a members-only survey is told so
    Given Sonja has opened the example survey for "Unterbezirk Eins"
    When Gustav asks for a credential
    Then the answer is refused with "members_only"
    And the message says "Wer mitentscheiden will, muss Mitglied sein."

  Scenario: Guests answer where allowed, and are counted apart from members
    Given Sonja has opened the example survey for "Unterbezirk Eins" with guests
    When Anna answers the survey
    And Gustav answers the survey
    And Sonja closes the survey
    Then the results count 1 member answer and 1 guest answer separately

  Scenario: After the close nobody can answer, and the published record verifies
    Given Sonja has opened the example survey for "Unterbezirk Eins"
    And Anna has fetched a credential
    When Bernd answers the survey
    And Sonja closes the survey
    And Anna answers with the credential she fetched
    Then the answer is refused with "closed"
    And the results are shown to everyone
    And the survey record downloads with a stable ETag and verifies

  Scenario: Exports and free texts only after the close
    Given Sonja has opened the example survey for "Unterbezirk Eins"
    When Anna answers the survey
    And Bernd answers the survey
    Then the export is refused until the survey has closed
    When Sonja closes the survey
    Then the XLSX export opens with 2 answers in the sheet "Antworten"
    And the CSV of the answers has one row per answer
    And searching the free texts of "q4" for "schneller" finds 2 texts
