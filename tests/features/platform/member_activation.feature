Feature: Member activation
  Members come from the register without a login. The member administration sends
  them an activation e-mail, after seeing how many mails will go and confirming; with
  its link a member chooses a password. The link works once. Nobody else can prepare
  a member's account: an account becomes the member's only when the link from the
  member's own mailbox sets a new password.

  Background:
    Given the demo organisation
    And Ada Adler is a member of "Landesverband Eins"
    And Ada is an admin of "Landesverband Eins"
    And Mia Meier is a member of "Ortsverein Ahorn" without an account yet
    And Max Moos is a member of "Ortsverein Ahorn" without an account yet

  Scenario: The member administration invites the members of an Ortsverein
    Given Ada is logged in
    When Ada opens the activation mailing for "Ortsverein Ahorn"
    Then the page says "Zu sendende E-Mails 2"
    And Mia receives no e-mail
    When Ada confirms the mailing
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

  Scenario: A mass mailing that is not confirmed sends nothing
    Given Ada is logged in
    When Ada opens the activation mailing for "Ortsverein Ahorn"
    And Ada sends the mailing without ticking the confirmation
    Then the request is refused with status 400
    And the page says "Es wurde nichts verschickt. Bitte prüfe die Zahlen und bestätige den Versand."
    And Mia receives no e-mail
    And Max receives no e-mail

  Scenario: Staff send one member's activation again
    Given Ada is logged in
    And Mia has been invited but has not activated yet
    When Ada sends Mia's activation e-mail again from Mia's member page
    Then the page says "Die Aktivierungs-E-Mail wurde noch einmal verschickt."
    And Mia has received 2 e-mails with the subject "Aktiviere dein Stimmwerk-Konto"
    When Mia follows the link in the e-mail "Aktiviere dein Stimmwerk-Konto"
    And Mia chooses the password "mein neues Passwort" on that page
    Then the page says "Dein Konto ist aktiv. Du kannst dich jetzt anmelden."

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

  Scenario: Registering a member's address first does not capture the member's account
    Given before Mia's record was imported, someone registered as a guest with her address and the password "vom Angreifer gewählt"
    When the administrator runs "stimmwerk invite-members --unit OV-A"
    Then nobody can log in as Mia with the password "vom Angreifer gewählt"
    When a mail scanner fetches every link mailed to Mia
    Then nobody can log in as Mia with the password "vom Angreifer gewählt"
    When Mia follows the link in the e-mail "Aktiviere dein Stimmwerk-Konto"
    And Mia chooses the password "mein neues Passwort" on that page
    Then the page says "Dein Konto ist aktiv. Du kannst dich jetzt anmelden."
    And Mia can still log in with the password "mein neues Passwort"
    But nobody can log in as Mia with the password "vom Angreifer gewählt"
    And Mia's account is linked to her member record
