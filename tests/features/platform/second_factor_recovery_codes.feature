Feature: Recovery codes for a lost second factor
  Whoever sets up a second factor gets ten recovery codes, shown once. Each works once
  instead of the code from the app. Using one is recorded and the owner gets an e-mail.
  New codes need the password and make the old ones worthless.

  Background:
    Given the demo organisation
    And Anna Ahorn is a member of "Ortsverein Ahorn"

  Scenario: Anna lost her phone and logs in with a recovery code
    Given Anna has set up the second factor
    When Anna logs in with the right password
    And Anna enters her first recovery code
    Then Anna sees the dashboard
    And Anna gets an e-mail "Ein Wiederherstellungscode wurde benutzt"
    And the audit log has one entry "login:recovery_code_used" for Anna

  Scenario: A recovery code works only once
    Given Anna has set up the second factor
    And Anna has logged in with her first recovery code and logged out again
    When Anna logs in with the right password
    And Anna enters her first recovery code
    Then the request is refused with status 400
    And Anna cannot open the dashboard yet

  Scenario: Anna makes new recovery codes with her password
    Given Anna has set up the second factor
    And Anna is logged in
    When Anna makes new recovery codes with a wrong password
    Then the request is refused with status 400
    And the page says "Das Passwort stimmt nicht."
    When Anna makes new recovery codes with her password
    Then the page says "Deine bisherigen Wiederherstellungscodes gelten nicht mehr."
    When Anna logs out
    And Anna logs in with the right password
    And Anna enters her first recovery code
    Then the request is refused with status 400
