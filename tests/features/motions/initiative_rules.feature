Feature: The rules of a members' initiative are data, set per unit
  Staff of a unit set its rules as a new version valid from a date; units below inherit
  them unless they set their own; an initiative keeps the version it started under, and
  members read the rules in plain German on its page.

  Background:
    Given the demo organisation
    And these members:
      | name        | unit             |
      | Anna Albers | Ortsverein Ahorn |
      | Sven Stab   | Unterbezirk Eins |
    And Sven is staff of "Unterbezirk Eins"
    And Sven is logged in

  Scenario: Staff save their unit's own rules; the units below inherit them
    When Sven saves the rules of "Unterbezirk Eins" with 15 % of the members and 3 initiators
    Then the rules in force for "Ortsverein Ahorn" ask for 15 % and 3 initiators
    And the rules in force for "Unterbezirk Zwei" are the defaults

  Scenario: A threshold out of range is refused and nothing is stored
    When Sven saves the rules of "Unterbezirk Eins" with 0 % of the members and 3 initiators
    Then the request is refused with status 400
    And the page says "Das Quorum ist ein ganzer Prozentwert von 1 bis 100."
    And "Unterbezirk Eins" has no rules of its own

  Scenario: Members read the rules in plain German, including why staying at home can count against
    Given the initiative "Mehr Mitbestimmung" of "Unterbezirk Eins" is open for signing
    When the visitor opens the initiative "Mehr Mitbestimmung"
    Then the page says "Es ist erfolgreich, wenn mindestens 10 % der Mitglieder der Gliederung innerhalb von 92 Tagen unterschreiben."
    And the page says "Der Mitgliederentscheid ist nur gültig, wenn sich mindestens 20 % der Mitglieder beteiligen."
    And the page says "Warum Zuhausebleiben gegen den Vorschlag zählen kann"
    And the page says "Ein gültiges Ergebnis bindet 24 Monate lang. In dieser Zeit kann es nur eine Mehrheit von 2/3 des Gremiums „Parteitag“ ändern."

  Scenario: A running initiative keeps the rules it started under
    Given the initiative "Mehr Mitbestimmung" of "Unterbezirk Eins" is open for signing
    When Sven saves the rules of "Unterbezirk Eins" with 30 % of the members and 3 initiators
    And the visitor opens the initiative "Mehr Mitbestimmung"
    Then the page says "mindestens 10 % der Mitglieder"
    And the page does not say "mindestens 30 % der Mitglieder"
