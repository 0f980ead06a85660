Feature: Member activation
  Members come from the register without a login. The member administration sends
  them an activation e-mail; with its link a member chooses a password. The link works
  once.

  Background:
    Given the demo organisation
    And Ada Adler is a member of "Landesverband Eins"
    And Ada is an admin of "Landesverband Eins"
    And Mia Meier is a member of "Ortsverein Ahorn" without an account yet
    And Max Moos is a member of "Ortsverein Ahorn" without an account yet

  Scenario: The member administration invites the members of an Ortsverein
    Given Ada is logged in
    When Ada sends activation e-mails to the members of "Ortsverein Ahorn"
    Then the page says "Die Aktivierungs-E-Mails werden verschickt."
    And Mia receives an e-mail with the subject "Aktiviere dein Stimmwerk-Konto"
    And Max receives an e-mail with the subject "Aktiviere dein Stimmwerk-Konto"
    When Mia follows the link in the e-mail "Aktiviere dein Stimmwerk-Konto"
    Then the page says "Konto aktivieren"
    When Mia chooses the password "mein neues Passwort" on that page
    Then the page says "Dein Konto ist aktiv. Du kannst dich jetzt anmelden."
    When Mia logs in with the right password
    Then Mia sees the dashboard
    And the page says "Hallo, Mia Meier"

  Scenario: The invitations are sent from the command line
    When the administrator runs "stimmwerk invite-members --unit OV-A"
    Then the command succeeds and reports "invited 2"
    And Max receives an e-mail with the subject "Aktiviere dein Stimmwerk-Konto"
    When Max follows the link in the e-mail "Aktiviere dein Stimmwerk-Konto"
    And Max chooses the password "mein neues Passwort" on that page
    Then the page says "Dein Konto ist aktiv. Du kannst dich jetzt anmelden."
    When Max logs in with the right password
    Then Max sees the dashboard

  Scenario: An activation link cannot be used a second time
    Given Mia has been invited and has activated her account with the password "mein neues Passwort"
    When someone opens the same activation link and chooses the password "ein anderes Passwort"
    Then the request is refused with status 400
    And the page says "Dieser Link ist ungültig, wurde schon benutzt oder ist abgelaufen."
    And Mia can still log in with the password "mein neues Passwort"
    But nobody can log in as Mia with the password "ein anderes Passwort"
