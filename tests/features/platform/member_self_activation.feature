Feature: Getting in alone as a member
  A party member without a login does not need the office: she activates her own
  account with her membership number and the e-mail address the register holds, or,
  if the register has no e-mail address for her, with the code from a letter. A
  registration or a "forgot password" with a register address leads to the member's
  activation. The answers never tell a stranger whether an address belongs to a
  member; only the mail differs. Every activation sets a new password from the
  member's own mailbox.

  Background:
    Given the demo organisation
    And Ada Adler is a member of "Landesverband Eins"
    And Ada is an admin of "Landesverband Eins"
    And Mia Meier is a member of "Ortsverein Ahorn" without an account yet

  Scenario: A member activates her account with her membership number and e-mail address
    When Mia asks for her activation with her membership number and her e-mail address
    Then the page says "Wir haben dir eine E-Mail mit einem Link zum Aktivieren deines Kontos geschickt."
    And Mia receives an e-mail with the subject "Aktiviere dein Stimmwerk-Konto"
    When Mia follows the link in the e-mail "Aktiviere dein Stimmwerk-Konto"
    Then the page says "Willkommen, Mia Meier."
    When Mia chooses the password "mein neues Passwort" on that page
    Then the page says "Dein Konto ist aktiv. Du kannst dich jetzt anmelden."
    When Mia logs in with the right password
    Then Mia sees the dashboard

  Scenario: A wrong membership number is refused without revealing membership
    When Mia asks for her activation with the membership number "999999" and her e-mail address
    Then the request is refused with status 400
    And the page says "Mitgliedsnummer und E-Mail-Adresse passen nicht zusammen"
    And Mia receives no e-mail
    When someone asks for an activation with the membership number "999999" and the address "fremd@example.org"
    Then the page says "Mitgliedsnummer und E-Mail-Adresse passen nicht zusammen"
    And both refusals read the same

  Scenario: Guessing membership numbers is stopped
    When someone asks for an activation of Mia's address with 6 wrong membership numbers
    Then the last answer is refused with status 429
    When Mia asks for her activation with her membership number and her e-mail address
    Then the request is refused with status 429
    And Mia receives no e-mail

  Scenario: A member without e-mail activates with the code from her letter
    Given Kai Kranz is a member of "Ortsverein Ahorn" without an e-mail address
    And Ada is logged in
    When Ada downloads the letter codes for "Ortsverein Ahorn"
    Then the download lists Kai with a code and does not list Mia
    When Kai enters his membership number, the code from his letter and "kai@example.org"
    Then the page says "Wir haben dir eine E-Mail mit einem Link zum Aktivieren deines Kontos geschickt."
    When Kai follows the link in the e-mail "Aktiviere dein Stimmwerk-Konto"
    And Kai chooses the password "mein neues Passwort" on that page
    Then the page says "Dein Konto ist aktiv. Du kannst dich jetzt anmelden."
    And Kai's member record now has the address "kai@example.org"
    When Kai enters his membership number, the code from his letter and "kai2@example.org"
    Then the request is refused with status 400

  Scenario: "Forgot password" for a member who has not activated yet sends the activation
    When Mia asks for a link to reset her password
    Then the page says "Falls es zu dieser Adresse ein Konto gibt"
    And Mia receives an e-mail with the subject "Aktiviere dein Stimmwerk-Konto"

  Scenario: The invitation to a vote works for a member without a login
    Given a member referendum is open and Mia is on its roll without a login
    When the scheduler sends the invitations
    Then Mia receives an e-mail with the subject "Abstimmung geöffnet: Mitgliederentscheid zur Satzung"
    When Mia follows the link in the e-mail "Abstimmung geöffnet: Mitgliederentscheid zur Satzung"
    And Mia chooses the password "mein neues Passwort" on that page
    And Mia logs in on the page she was sent to
    Then Mia lands on the voting page of the referendum
