Feature: Staff record a paper signature withdrawn in writing, with the rules of an online withdrawal
  Background:
    Given the demo organisation
    And these members:
      | name           | unit                |
      | Anna Albers    | Ortsverein Ahorn    |
      | Ben Berg       | Ortsverein Birke    |
      | Sven Stab      | Unterbezirk Eins    |
      | Tom Tanne      | Unterbezirk Zwei    |
    And Sven is staff of "Unterbezirk Eins"
    And Tom is staff of "Unterbezirk Zwei"
    And the initiative "Mehr Mitbestimmung" of "Unterbezirk Eins" is open for signing
    And Sven is logged in

  Scenario: Ben withdraws his paper signature in writing; it no longer counts and the audit log does not name him
    Given Sven enters the paper list "Anna, Ben" for "Mehr Mitbestimmung"
    When Sven withdraws the paper signature of Ben from "Mehr Mitbestimmung"
    Then the page says "Die Papier-Unterschrift wurde zurückgezogen. Das Mitgliederbegehren zählt jetzt 1 Unterschriften."
    And "Mehr Mitbestimmung" counts 1 signature
    And the audit log records that a paper signature of "Mehr Mitbestimmung" was withdrawn by Sven, without naming Ben

  Scenario: A member who also signed online still counts once
    Given Ben is logged in
    And Ben signs "Mehr Mitbestimmung"
    And Sven enters the paper list "Ben" for "Mehr Mitbestimmung"
    When Sven withdraws the paper signature of Ben from "Mehr Mitbestimmung"
    Then "Mehr Mitbestimmung" counts 1 signature

  Scenario: A withdrawn paper signature's receipt is not counted, and its signer is not mailed as a signer
    Given Sven enters the paper list "Anna, Ben" for "Mehr Mitbestimmung"
    And Ben is logged in
    And Ben notes his receipt
    When Sven withdraws the paper signature of Ben from "Mehr Mitbestimmung"
    And the signing deadline of "Mehr Mitbestimmung" passes and the schedule runs
    And Ben checks his noted receipt on the page of "Mehr Mitbestimmung"
    Then the page says "Nicht in der veröffentlichten Liste"
    And Anna receives an e-mail with the subject "Mitgliederbegehren hat das Quorum erreicht: Mehr Mitbestimmung"
    And Ben receives no e-mail

  Scenario: A membership number without a paper signature is refused, nothing changes
    Given Sven enters the paper list "Anna" for "Mehr Mitbestimmung"
    When Sven withdraws the paper signature of Ben from "Mehr Mitbestimmung"
    Then the request is refused with status 400
    And the page says "Diese Mitgliedsnummer hat keine Papier-Unterschrift für dieses Mitgliederbegehren. Es wurde nichts geändert."
    And "Mehr Mitbestimmung" counts 1 signature

  Scenario: After the deadline nothing is withdrawn
    Given Sven enters the paper list "Ben" for "Mehr Mitbestimmung"
    And the signing deadline of "Mehr Mitbestimmung" has passed
    When Sven withdraws the paper signature of Ben from "Mehr Mitbestimmung"
    Then the request is refused with status 409
    And the page says "Für dieses Mitgliederbegehren läuft keine Unterschriftensammlung"
    And "Mehr Mitbestimmung" counts 1 signature

  Scenario: Staff of another unit and members cannot withdraw a paper signature
    Given Sven enters the paper list "Ben" for "Mehr Mitbestimmung"
    And Tom is logged in
    And Anna is logged in
    When Tom withdraws the paper signature of Ben from "Mehr Mitbestimmung"
    Then the request is refused with status 404
    When Anna withdraws the paper signature of Ben from "Mehr Mitbestimmung"
    Then the request is refused with status 404
    And "Mehr Mitbestimmung" counts 1 signature
