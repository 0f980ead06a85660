Feature: At the deadline the initiative succeeds or fails; the board answers
  Background:
    Given the demo organisation
    And these members:
      | name          | unit             |
      | Anna Albers   | Ortsverein Ahorn |
      | Ben Berg      | Ortsverein Birke |
      | Vera Vorstand | Unterbezirk Eins |
    And Vera is on the board of "Unterbezirk Eins"
    And the rules of "Unterbezirk Eins" ask for 1 initiator and 50 % of the members
    And the initiative "Mehr Mitbestimmung" of "Unterbezirk Eins" is open for signing

  Scenario: Below the threshold it fails; the count and threshold are recorded and the signers hear of it
    Given Anna is logged in
    When Anna signs "Mehr Mitbestimmung"
    And the signing deadline of "Mehr Mitbestimmung" passes and the schedule runs
    Then "Mehr Mitbestimmung" has failed with 1 of 2 signatures, recorded in the audit log
    And Anna receives an e-mail with the subject "Mitgliederbegehren hat das Quorum nicht erreicht: Mehr Mitbestimmung"

  Scenario: Reaching the threshold it succeeds; the published list proves the count and Anna's signature
    Given Anna is logged in
    And Ben is logged in
    When Anna signs "Mehr Mitbestimmung"
    And Ben signs "Mehr Mitbestimmung"
    And the signing deadline of "Mehr Mitbestimmung" passes and the schedule runs
    Then "Mehr Mitbestimmung" has succeeded with 2 of 2 signatures, recorded in the audit log
    And the published signature list of "Mehr Mitbestimmung" checks out with the auditor's command
    And Anna finds her receipt in the published list of "Mehr Mitbestimmung"

  Scenario: The board adopts a successful initiative
    Given Anna is logged in
    And Ben is logged in
    And Vera is logged in
    When Anna signs "Mehr Mitbestimmung"
    And Ben signs "Mehr Mitbestimmung"
    And the signing deadline of "Mehr Mitbestimmung" passes and the schedule runs
    And Vera adopts "Mehr Mitbestimmung" answering "Wir setzen das um."
    Then "Mehr Mitbestimmung" is adopted
    And Ben receives an e-mail with the subject "Der Vorstand hat das Mitgliederbegehren übernommen: Mehr Mitbestimmung"

  Scenario: The initiator and every signer hear of the outcome once; nobody else does, and no mail names another member
    Given Anna is logged in
    And Ben is logged in
    When Ben signs "Mehr Mitbestimmung"
    And the signing deadline of "Mehr Mitbestimmung" passes and the schedule runs
    And the schedule of the initiatives runs again a minute later
    Then Anna receives exactly one e-mail with the subject "Mitgliederbegehren hat das Quorum nicht erreicht: Mehr Mitbestimmung"
    And Ben receives exactly one e-mail with the subject "Mitgliederbegehren hat das Quorum nicht erreicht: Mehr Mitbestimmung"
    And Vera receives no e-mail
    And the mail to Ben names none of Anna and Vera

  Scenario: Signers learn the board's answer from the mail
    Given Anna is logged in
    And Ben is logged in
    And Vera is logged in
    When Anna signs "Mehr Mitbestimmung"
    And Ben signs "Mehr Mitbestimmung"
    And the signing deadline of "Mehr Mitbestimmung" passes and the schedule runs
    And Vera adopts "Mehr Mitbestimmung" answering "Wir setzen das zum Parteitag um."
    And the schedule of the initiatives runs again a minute later
    Then Ben receives exactly one e-mail with the subject "Der Vorstand hat das Mitgliederbegehren übernommen: Mehr Mitbestimmung"
    And the mail to Ben about the board's adoption holds "Wir setzen das zum Parteitag um."
    And Anna receives exactly one e-mail with the subject "Mitgliederbegehren hat das Quorum erreicht: Mehr Mitbestimmung"
    And the mail to Ben names none of Anna and Vera
