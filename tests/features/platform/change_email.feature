Feature: Changing my e-mail address
  Members and guests correct their own e-mail address. The change needs the current
  password, and the new address must be confirmed from its own mailbox before it is
  used; until then nothing changes. The old address is told and can undo the change,
  and every other session of the account ends, so a stolen session cannot quietly
  move the account to another mailbox. The answer never reveals whether an address
  already belongs to someone else.

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
    Then the page says "Bestätige deine neue E-Mail-Adresse"
    And the login and member record of Anna still use the old address
    When Anna presses "Neue Adresse bestätigen" on that page
    Then the page says "Deine E-Mail-Adresse wurde geändert."
    And the login and member record of Anna use "anna.neu@example.org"
    And Anna can log in with "anna.neu@example.org" and her password
    And a mail with the subject "Deine E-Mail-Adresse wurde geändert" goes to the old address of Anna

  Scenario: Without the password nothing is sent
    When Anna asks to change her e-mail address to "anna.neu@example.org" with the password "falsch geraten"
    Then the request is refused with status 400
    And the page says "Das Passwort stimmt nicht."
    And no mail goes to "anna.neu@example.org"
    And the login and member record of Anna still use the old address

  Scenario: A change ends the other sessions of the account
    Given Anna is also logged in on her phone
    When Anna asks to change her e-mail address to "anna.neu@example.org"
    Then Anna is logged in
    But Anna's phone is not logged in any more

  Scenario: The old address undoes a change it did not make
    Given Anna is also logged in on her phone
    When Anna asks to change her e-mail address to "dieb@example.org"
    And Anna opens the confirmation link sent to "dieb@example.org"
    And Anna presses "Neue Adresse bestätigen" on that page
    And the owner of the old address of Anna opens the undo link and chooses the password "wieder meins 2026"
    Then the page says "Deine alte E-Mail-Adresse gilt wieder, mit deinem neuen Passwort. Bitte melde dich an."
    And the login and member record of Anna still use the old address
    And the server holds no session for Anna
    And Anna can log in with her old address and the password "wieder meins 2026" only

  Scenario: The confirmation link works only once
    When Anna asks to change her e-mail address to "anna.neu@example.org"
    And Anna opens the confirmation link sent to "anna.neu@example.org"
    And Anna presses "Neue Adresse bestätigen" on that page
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
