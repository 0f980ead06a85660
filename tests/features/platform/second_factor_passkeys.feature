Feature: Passkeys as a second factor
  Beside the authenticator app a member may use a passkey (WebAuthn): on the phone, the
  computer or a security key. It answers only this installation's address, so a
  phishing copy of the login page gets nothing it can use.

  Background:
    Given the demo organisation
    And Anna Ahorn is a member of "Ortsverein Ahorn"

  Scenario: Anna adds a passkey and confirms her next login with it
    Given Anna is logged in
    When Anna adds a passkey on the page "Anmeldesicherheit"
    Then the page says "Wiederherstellungscodes"
    When Anna logs out
    And Anna logs in with the right password
    Then Anna is asked for her second factor
    When Anna confirms with her passkey
    Then Anna sees the dashboard

  Scenario: A passkey answer made for another website is refused
    Given Anna is logged in
    And Anna has added a passkey
    When Anna logs out
    And Anna logs in with the right password
    And Anna's passkey answers a login page at "https://stimmwerk.example.net"
    Then the request is refused with status 400
    And the page says "Der Passkey konnte nicht geprüft werden. Bitte versuche es noch einmal."
    And Anna cannot open the dashboard yet

  Scenario: Anna removes her passkey
    Given Anna is logged in
    And Anna has added a passkey
    When Anna removes her passkey
    Then the page says "Der Passkey wurde entfernt."
    When Anna logs out
    And Anna logs in with the right password
    Then Anna sees the dashboard
