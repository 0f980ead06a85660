Feature: Second factor with an authenticator app
  Members may protect their account with a time-based one-time code (TOTP). The
  member administration and the election commission must have one. A code is asked
  after the password, works only once and gives a fresh session id.

  Background:
    Given the demo organisation
    And Anna Ahorn is a member of "Ortsverein Ahorn"

  Scenario: A member switches the second factor on and needs it at the next login
    Given Anna is logged in
    When Anna sets up the second factor with her authenticator app
    Then the page says "Der zweite Faktor ist aktiv."
    When Anna logs out
    And Anna logs in with the right password
    Then Anna is asked for the code from her authenticator app
    And Anna cannot open the dashboard yet
    When Anna enters a wrong code
    Then the request is refused with status 400
    And the page says "Der Code stimmt nicht. Bitte versuche es noch einmal."
    When Anna enters the code her authenticator app shows
    Then Anna sees the dashboard
    And the session id changed when the code was accepted
    And the session id of the half-finished login opens nothing any more

  Scenario: A code cannot be used a second time
    Given Anna has set up the second factor
    And Anna has logged in with password and code and logged out again
    When Anna logs in with the right password
    And Anna enters the same code as last time
    Then the request is refused with status 400
    And the page says "Der Code stimmt nicht. Bitte versuche es noch einmal."
    And Anna cannot open the dashboard yet

  Scenario: An admin without a second factor must set it up before anything else
    Given Ada Adler is a member of "Landesverband Eins"
    And Ada is an admin of "Landesverband Eins" without a second factor yet
    When Ada logs in with the right password
    Then Ada is taken to the set-up page of the second factor
    And Ada cannot open the dashboard yet
    When Ada sets up the second factor with her authenticator app
    Then Ada can open the dashboard
