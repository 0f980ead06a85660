Feature: Members of the unit sign online or on paper, once; the count is public and auditable
  Background:
    Given the demo organisation
    And these members:
      | name           | unit                |
      | Anna Albers    | Ortsverein Ahorn    |
      | Ben Berg       | Ortsverein Birke    |
      | Carla Chaussee | Ortsverein Chaussee |
      | Sven Stab      | Unterbezirk Eins    |
      | Vera Vorstand  | Unterbezirk Eins    |
    And Sven is staff of "Unterbezirk Eins"
    And Vera is on the board of "Unterbezirk Eins"
    And Kim is on the election commission of "Unterbezirk Eins"
    And the initiative "Mehr Mitbestimmung" of "Unterbezirk Eins" is open for signing

  Scenario: A member signs; the public count and the bar move; she gets a receipt
    Given Anna is logged in
    When Anna signs "Mehr Mitbestimmung"
    Then "Mehr Mitbestimmung" counts 1 signature
    And the visitor sees 1 signature on the count of "Mehr Mitbestimmung"
    And Anna's page shows her receipt

  Scenario: A second signature is refused and counts once
    Given Anna is logged in
    When Anna signs "Mehr Mitbestimmung"
    And Anna signs "Mehr Mitbestimmung"
    Then the request is refused with status 409
    And the page says "Du hast dieses Mitgliederbegehren bereits unterschrieben; deine Unterschrift zählt einmal."
    And "Mehr Mitbestimmung" counts 1 signature

  Scenario: A guest cannot sign
    Given Gustav Gast is a registered guest
    And Gustav is logged in
    When Gustav signs "Mehr Mitbestimmung"
    Then the request is refused with status 403
    And the page says "Nur Mitglieder dieser Gliederung können unterschreiben."
    And "Mehr Mitbestimmung" counts 0 signatures

  Scenario: A member of another unit cannot sign
    Given Carla is logged in
    When Carla signs "Mehr Mitbestimmung"
    Then the request is refused with status 403
    And "Mehr Mitbestimmung" counts 0 signatures

  Scenario: A withdrawn signature is not counted
    Given Anna is logged in
    When Anna signs "Mehr Mitbestimmung"
    And Anna withdraws her signature from "Mehr Mitbestimmung"
    Then "Mehr Mitbestimmung" counts 0 signatures

  Scenario: Nobody signs after the deadline
    Given Anna is logged in
    And the signing deadline of "Mehr Mitbestimmung" has passed
    When Anna signs "Mehr Mitbestimmung"
    Then the request is refused with status 409
    And the page says "Für dieses Mitgliederbegehren läuft keine Unterschriftensammlung"
    And "Mehr Mitbestimmung" has no signature stored

  Scenario: A paper list with someone not in the register is refused as a whole
    Given Sven is logged in
    When Sven enters the paper list "Ben, 999999" for "Mehr Mitbestimmung"
    Then the request is refused with status 400
    And the page says "Eine Mitgliedsnummer der Liste steht nicht im Mitgliederverzeichnis. Es wurde nichts gespeichert"
    And "Mehr Mitbestimmung" has no signature stored

  Scenario: A member who signed on paper and online counts once, and the commission sees it
    Given Anna is logged in
    And Sven is logged in
    And Kim is logged in
    When Anna signs "Mehr Mitbestimmung"
    And Sven enters the paper list "Anna, Ben" for "Mehr Mitbestimmung"
    Then the page says "1 Unterschriften hinzugefügt, 1 hatten schon unterschrieben (zählen einmal)."
    And "Mehr Mitbestimmung" counts 2 signatures
    When Kim opens the signers of "Mehr Mitbestimmung"
    Then the page says "1 Mitglieder haben online und auf Papier unterschrieben (zählen einmal)."

  Scenario: Only the election commission sees who signed, not the initiator, the board or staff
    Given Anna is logged in
    And Ben is logged in
    And Vera is logged in
    And Sven is logged in
    When Ben signs "Mehr Mitbestimmung"
    And Anna opens the signers of "Mehr Mitbestimmung"
    Then the request is refused with status 404
    When Vera opens the signers of "Mehr Mitbestimmung"
    Then the request is refused with status 404
    When Sven opens the signers of "Mehr Mitbestimmung"
    Then the request is refused with status 404
    When Anna opens the initiative "Mehr Mitbestimmung"
    Then the page does not say "Ben Berg"
