Feature: Limiting password guessing
  After 5 wrong passwords for one address within 15 minutes, that address cannot log
  in for a while, not even with the right password. Each attempt is counted before
  the password is checked, so parallel guesses cannot slip past the limit. A computer
  that failed 50 times in 15 minutes, whatever the addresses, has to wait two seconds
  before each further login, but a right password is never refused because of the
  computer alone: a party conference behind one internet connection is not locked
  out. Requests for a password reset are counted on their own and never count as
  failed logins. The records behind these limits hold no e-mail or IP address, only
  keyed pseudonyms.

  Background:
    Given the demo organisation
    And Anna Ahorn is a member of "Ortsverein Ahorn"
    And Bernd Birke is a member of "Ortsverein Birke"
    And at most 5 wrong passwords per address and 50 failed logins per computer are allowed in 15 minutes

  Scenario: After five wrong passwords even the right one is refused for a while
    When someone on the shared computer tries 5 wrong passwords for the address of Anna
    And Anna logs in with the right password on the shared computer
    Then the request is refused with status 429
    And the page says "Zu viele Versuche. Bitte warte 15 Minuten und versuche es dann erneut."
    And the shared computer is still logged out

  Scenario: Four wrong passwords do not lock the account
    When someone on the shared computer tries 4 wrong passwords for the address of Anna
    And Anna logs in with the right password on the shared computer
    Then Anna is logged in on the shared computer

  Scenario: Another account on the same computer may still log in
    When someone on the shared computer tries 5 wrong passwords for the address of Anna
    And Bernd logs in with the right password on the shared computer
    Then Bernd is logged in on the shared computer

  Scenario: A computer trying many addresses is slowed down, not locked out
    When someone on the shared computer tries a wrong password for 50 different addresses
    And Bernd logs in with the right password on the shared computer
    Then Bernd is logged in on the shared computer
    But the shared computer had to wait 2 seconds for that answer

  Scenario: Password-reset requests from a conference network do not lock its logins
    When someone on the shared computer asks 50 times for a password reset link for unknown addresses
    And Bernd logs in with the right password on the shared computer
    Then Bernd is logged in on the shared computer
    And the shared computer did not have to wait for that answer

  Scenario: Many members logging in from one conference network are not stopped
    When 60 members log in with their right passwords on the shared computer
    And Bernd logs in with the right password on the shared computer
    Then Bernd is logged in on the shared computer

  Scenario: The login records hold pseudonyms, not addresses
    When someone on the shared computer tries 3 wrong passwords for the address of Anna
    Then the login records hold neither the e-mail address of Anna nor the computer's IP address
    And all 3 records carry the same pseudonym for the address of Anna
    And the audit log of the failed logins holds no e-mail address either
