Feature: Guessing the second factor does not pay
  Whoever knows a password still has to get past the second factor. Wrong codes are
  counted before they are checked: five per login attempt, then the password must be
  entered again; ten per account within 15 minutes, then everyone waits. A new admin
  or election commission member needs the second factor at once, not at the next login.

  Background:
    Given the demo organisation
    And Anna Ahorn is a member of "Ortsverein Ahorn"
    And Anna has set up the second factor

  Scenario: Five wrong codes end the half-finished login
    When Anna logs in with the right password
    And Anna enters a wrong code 5 times
    Then the request is refused with status 429
    And the page says "Zu viele falsche Codes. Bitte melde dich noch einmal mit deinem Passwort an."
    When Anna enters the code her authenticator app shows
    Then Anna cannot open the dashboard yet
    When Anna logs in with the right password
    And Anna enters the code her authenticator app shows
    Then Anna sees the dashboard

  Scenario: Ten wrong codes make the account wait, and its owner is told
    When Anna logs in with the right password
    And Anna enters a wrong code 5 times
    And Anna logs in with the right password
    And Anna enters a wrong code 5 times
    Then Anna gets an e-mail "Viele falsche Codes bei deiner Anmeldung"
    And the audit log has one entry "login:second_factor_locked" for Anna
    When Anna logs in with the right password
    And Anna enters the code her authenticator app shows
    Then the request is refused with status 429
    And the page says "Zu viele Versuche. Bitte warte 15 Minuten und versuche es dann erneut."

  Scenario: A member who becomes admin needs the second factor at once
    Given Berta Birke is a member of "Ortsverein Birke"
    And Berta is logged in
    And Berta cannot open the role administration
    When Berta is made an admin of "Landesverband Eins" on the command line
    Then Berta cannot open the role administration
    And Berta cannot open the dashboard yet
    When Berta sets up the second factor with her authenticator app
    Then Berta can open the role administration
