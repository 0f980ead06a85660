Feature: Guest registration
  Anyone may join the discussion: people who are not party members register as guests
  with their e-mail address. The answer never tells whether an address already has an
  account; the owner of the address learns it by e-mail instead.

  Background:
    Given the demo organisation

  Scenario: A guest registers, confirms the address and logs in
    When Gustav Gast registers as a guest with a password of 12 or more characters
    Then Gustav is asked to confirm the address by e-mail
    And Gustav receives an e-mail with the subject "Bitte bestätige deine E-Mail-Adresse"
    And Gustav cannot log in yet
    When Gustav follows the link in the e-mail "Bitte bestätige deine E-Mail-Adresse"
    Then the page says "Bestätige deine E-Mail-Adresse"
    And Gustav cannot log in yet
    When Gustav presses "E-Mail-Adresse bestätigen" on that page
    Then the page says "Deine E-Mail-Adresse ist bestätigt. Du kannst dich jetzt anmelden."
    When Gustav logs in with the right password
    Then Gustav sees the dashboard
    And the page says "Du bist als Gast registriert: Du kannst lesen und mitdiskutieren, aber nicht abstimmen."

  Scenario: Registering with an address that already has an account reveals nothing
    Given Anna Ahorn is a member of "Ortsverein Ahorn"
    When Gustav Gast registers as a guest with a password of 12 or more characters
    And someone registers as a guest with the e-mail address of Anna
    Then both registrations got the same answer
    And Anna receives an e-mail with the subject "Dein Stimmwerk-Konto"
    And the e-mail to Anna offers to reset the password and holds no confirmation link
    And there is still exactly one account with the e-mail address of Anna
    And Anna can still log in with the right password

  Scenario: A password shorter than 12 characters is refused
    When Gustav Gast registers as a guest with the password "elf Zeichen"
    Then the request is refused with status 400
    And the page says "Das Passwort muss mindestens 12 Zeichen lang sein."
    And there is no account with the e-mail address of Gustav
    And Gustav receives no e-mail

  Scenario: A confirmation link works only once
    Given Gustav Gast has registered as a guest and confirmed the address
    When Gustav follows the link in the e-mail "Bitte bestätige deine E-Mail-Adresse"
    Then the page says "Dieser Link ist ungültig, wurde schon benutzt oder ist abgelaufen."

  Scenario: The confirmation e-mail repeats nothing the stranger typed
    When someone registers as a guest with the name "Ihr Konto wird gesperrt! Jetzt handeln" for "opfer@example.org"
    Then a mail with the subject "Bitte bestätige deine E-Mail-Adresse" goes to "opfer@example.org"
    And the mail to "opfer@example.org" does not contain "Ihr Konto wird gesperrt"

  Scenario Outline: A name over several lines, with a web address or too long is refused
    When someone registers as a guest with the name "<name>" for "opfer@example.org"
    Then the request is refused with status 400
    And the page says "<message>"
    And no mail goes to "opfer@example.org"

    Examples:
      | name                                  | message                                                   |
      | Gustav\nBitte Passwort bestätigen     | Der Name muss eine Zeile Text ohne Steuerzeichen sein.     |
      | Gustav, siehe https://evil.example    | Der Name darf keine Web- oder E-Mail-Adresse enthalten.    |
      | Gustav, siehe www.evil.example        | Der Name darf keine Web- oder E-Mail-Adresse enthalten.    |
      | 101 characters                        | Der Name darf höchstens 100 Zeichen lang sein.             |

  Scenario: Registrations for one address are limited
    When someone registers as a guest 8 times for "opfer@example.org"
    Then the last registrations are refused with status 429
    And at most 5 mails went to "opfer@example.org"

  Scenario: Registering with a member's register address leads to the member's activation
    Given Mia Meier is a member of "Ortsverein Ahorn" without an account yet
    When Gustav Gast registers as a guest with a password of 12 or more characters
    And someone registers as a guest with the e-mail address of Mia
    Then both registrations got the same answer
    And Mia receives an e-mail with the subject "Aktiviere dein Stimmwerk-Konto"
    And there is no guest account with the e-mail address of Mia
    And nobody can log in as Mia with the password typed into the guest form
