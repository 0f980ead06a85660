Feature: A signer keeps a receipt and checks after the deadline that her signature is counted
  Background:
    Given the demo organisation
    And these members:
      | name        | unit             |
      | Anna Albers | Ortsverein Ahorn |
      | Ben Berg    | Ortsverein Birke |
    And the rules of "Unterbezirk Eins" ask for 1 initiator and 50 % of the members
    And the initiative "Mehr Mitbestimmung" of "Unterbezirk Eins" is open for signing
    And Anna is logged in
    And Ben is logged in

  Scenario: The receipt gives her membership number and salt, from which she recomputes her code herself
    When Anna signs "Mehr Mitbestimmung"
    Then Anna's receipt shows her membership number and a salt
    And the code on Anna's receipt is the SHA-256 the receipt's recipe makes of her membership number and salt

  Scenario: The receipt is only on the signer's own page
    When Anna signs "Mehr Mitbestimmung"
    And Ben opens the initiative "Mehr Mitbestimmung"
    Then the page does not show Anna's salt
    When the visitor opens the initiative "Mehr Mitbestimmung"
    Then the page does not show Anna's salt

  Scenario: After the deadline she asks on the initiative page "Ist meine Unterschrift gezählt?" and it is found
    When Anna signs "Mehr Mitbestimmung"
    And Anna notes her receipt
    And Ben signs "Mehr Mitbestimmung"
    And the signing deadline of "Mehr Mitbestimmung" passes and the schedule runs
    And Anna checks her noted receipt on the page of "Mehr Mitbestimmung"
    Then the page says "Gefunden: Diese Unterschrift steht in der veröffentlichten Liste"
    And the auditor's command finds Anna's noted receipt in the published list of "Mehr Mitbestimmung" by salt and number
    And the auditor's command finds Anna's noted receipt in the published list of "Mehr Mitbestimmung" by its code

  Scenario: A withdrawn signature's receipt is not counted, on the page nor with the auditor's command
    When Anna signs "Mehr Mitbestimmung"
    And Anna notes her receipt
    And Anna withdraws her signature from "Mehr Mitbestimmung"
    And Ben signs "Mehr Mitbestimmung"
    And the signing deadline of "Mehr Mitbestimmung" passes and the schedule runs
    And Anna checks her noted receipt on the page of "Mehr Mitbestimmung"
    Then the page says "Nicht in der veröffentlichten Liste"
    And the auditor's command does not find Anna's noted receipt in the published list of "Mehr Mitbestimmung"

  Scenario: Something that is not a receipt is refused with a message
    When Anna signs "Mehr Mitbestimmung"
    And the signing deadline of "Mehr Mitbestimmung" passes and the schedule runs
    And Anna checks the salt "kein-salz" with her membership number on the page of "Mehr Mitbestimmung"
    Then the request is refused with status 400
    And the page says "Das ist keine Quittung"

  Scenario: Before the deadline there is no published list to check against
    When Anna signs "Mehr Mitbestimmung"
    And Anna notes her receipt
    And Anna checks her noted receipt on the page of "Mehr Mitbestimmung"
    Then the request is refused with status 404
