Feature: Changing my e-mail address
  Members and guests correct their own e-mail address. The new address must be
  confirmed from its own mailbox before it is used; until then nothing changes. The
  answer never reveals whether an address already belongs to someone else.

  Background:
    Given the demo organisation
    And Anna Ahorn is a member of "Ortsverein Ahorn"
    And Bernd Birke is a member of "Ortsverein Birke"
    And Anna is logged in

  Scenario: A member changes the address and confirms it from the new mailbox
    When Anna asks to change her e-mail address to "anna.neu@example.org"
    Then the page says "Wir haben einen Bestätigungslink an die neue Adresse geschickt."
    And a mail with the subject "Bitte bestätige deine neue E-Mail-Adresse" goes to "anna.neu@example.org"
    And the login and member record of Anna still use the old address
    When Anna opens the confirmation link sent to "anna.neu@example.org"
    Then the page says "Deine E-Mail-Adresse wurde geändert."
    And the login and member record of Anna use "anna.neu@example.org"
    And Anna can log in with "anna.neu@example.org" and her password

  Scenario: The confirmation link works only once
    When Anna asks to change her e-mail address to "anna.neu@example.org"
    And Anna opens the confirmation link sent to "anna.neu@example.org"
    And Anna opens the confirmation link sent to "anna.neu@example.org"
    Then the request is refused with status 400
    And the page says "Dieser Link ist ungültig, wurde schon benutzt oder ist abgelaufen."

  Scenario: An address that belongs to someone else is not taken over, and not revealed
    When Anna asks to change her e-mail address to "bernd@example.org"
    Then the page says "Wir haben einen Bestätigungslink an die neue Adresse geschickt."
    And a mail with the subject "Dein Stimmwerk-Konto" goes to "bernd@example.org"
    And the login and member record of Anna still use the old address

  Scenario: A malformed address is refused with a clear message
    When Anna asks to change her e-mail address to "anna at example"
    Then the request is refused with status 400
    And the page says "Bitte gib eine gültige E-Mail-Adresse ein."
    And the login and member record of Anna still use the old address
