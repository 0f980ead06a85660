Feature: Resetting a forgotten password
  A member who forgot the password asks for a link by e-mail and sets a new one. The
  answer is the same whether or not the address has an account. Setting the new
  password ends every session of the account, on every device.

  Background:
    Given the demo organisation
    And Anna Ahorn is a member of "Ortsverein Ahorn"

  Scenario: A member sets a new password with the link from the e-mail
    When Anna asks for a link to reset her password
    Then the page says "Falls es zu dieser Adresse ein Konto gibt, haben wir einen Link zum Zurücksetzen des Passworts"
    And Anna receives an e-mail with the subject "Passwort zurücksetzen"
    When Anna follows the link in the e-mail "Passwort zurücksetzen"
    Then the page says "Neues Passwort setzen"
    When Anna sets the new password "ein ganz neues Passwort" on that page
    Then the page says "Dein Passwort wurde geändert. Bitte melde dich mit dem neuen Passwort an."
    And Anna cannot log in with her old password any more
    And Anna can log in with the new password

  Scenario: Setting a new password logs the member out everywhere
    Given Anna is logged in
    And Anna is also logged in on her phone
    When Anna asks for a link to reset her password
    And Anna follows the link in the e-mail "Passwort zurücksetzen"
    And Anna sets the new password "ein ganz neues Passwort" on that page
    Then Anna is not logged in
    And Anna's phone is not logged in any more
    And the server holds no session for Anna

  Scenario: An unknown address gets the same answer and no e-mail is sent
    When Anna asks for a link to reset her password
    And someone asks for a link to reset the password of "niemand@example.org"
    Then both requests got the same answer
    And nobody but Anna receives an e-mail

  Scenario Outline: A link that was used, has expired or was made up is refused
    Given Anna has asked for a link to reset her password
    And the link <condition>
    When Anna sets the new password "noch ein neues Passwort" on that page
    Then the request is refused with status 400
    And the page says "Dieser Link ist ungültig, wurde schon benutzt oder ist abgelaufen."
    And Anna can log in with her current password only

    Examples:
      | condition                                                |
      | has already been used to set the password "erstes neues Passwort" |
      | has expired                                              |
      | was replaced by a made-up one                            |
