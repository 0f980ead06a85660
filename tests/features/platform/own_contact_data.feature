Feature: Keeping one's own contact data up to date
  Members see and correct their own phone number, address and bank account (IBAN)
  under "Meine Daten". The IBAN is stored encrypted and shown only masked. Guests
  have no member record and therefore no contact form.

  Background:
    Given the demo organisation
    And Anna Ahorn is a member of "Ortsverein Ahorn"

  Scenario: A member corrects her contact data
    Given Anna is logged in
    When Anna saves her contact data:
      | field    | value                       |
      | phone    | +49 30 1234567              |
      | street   | Lindenstraße 5              |
      | postcode | 10115                       |
      | city     | Berlin                      |
      | iban     | DE89 3704 0044 0532 0130 00 |
    Then the page says "Deine Änderungen sind gespeichert."
    And the contact form shows:
      | field    | value          |
      | phone    | +49 30 1234567 |
      | street   | Lindenstraße 5 |
      | postcode | 10115          |
      | city     | Berlin         |
      | iban     |                |
    And the page says "Derzeit: DE89 •••• 3000"
    And the full IBAN "DE89370400440532013000" appears nowhere on the page
    And the database holds the IBAN of Anna only in encrypted form

  Scenario Outline: Invalid contact data is refused and nothing is changed
    Given Anna is logged in
    And Anna has saved the phone number "+49 30 1111111" and the city "Berlin"
    When Anna saves her contact data:
      | field | value      |
      | phone | <phone>    |
      | city  | Hamburg    |
      | iban  | <iban>     |
    Then the request is refused with status 400
    And the page says "<message>"
    And the stored contact data of Anna is still phone "+49 30 1111111", city "Berlin" and no IBAN

    Examples:
      | phone          | iban                        | message                                                              |
      | +49 30 2222222 | DE00 3704 0044 0532 0130 00 | Diese IBAN ist ungültig (die Prüfziffern stimmen nicht).             |
      | ruf mich an    |                             | Bitte gib eine Telefonnummer nur mit Ziffern (und + - / ( )) ein.    |

  Scenario: A guest has no contact form
    Given Gustav Gast is a registered guest
    And Gustav is logged in
    When Gustav opens his own data page
    Then the page opens
    And the page has no contact form
    When Gustav sends contact data anyway
    Then the request is refused with status 403
