Feature: Postal votes are entered by one trustee and confirmed by another, both signing
  The postal votes are entered by a commission member who holds a trustee seat and
  confirmed by a second, different one. Each signs the figures with their own trustee
  key in the browser, so the election record proves that two trustees counted them and
  the operator of the installation cannot enter any figures itself. Kurt is on the
  election commission but holds no trustee seat.

  Background:
    Given a member referendum of the Landesverband with the trustees Karla, Kai and Kim, 2 of whom must decrypt
    And the key ceremony is done and the election is open
    And the election closes at the end of its window

  Scenario: A second commission member confirms the postal votes
    When Karla enters the postal votes: 1 envelope, 1 "no"
    Then Karla's commission page says "Ein zweites Kommissionsmitglied muss es jetzt bestätigen."
    When Kai confirms the postal votes: 1 envelope, 1 "no"
    Then Kai's commission page says "Das Briefwahlergebnis ist bestätigt."
    And the postal votes carry the signatures of Karla and Kai
    And the audit log records "tally:postal_entered" and "tally:postal_confirmed"

  Scenario: A commission member without a trustee seat cannot enter the postal votes
    When Kurt opens the commission page
    Then the page says "Du hast in dieser Abstimmung keinen Treuhändersitz"
    And the page does not say "Briefwahlergebnis eingeben"
    And the page does not say "Gib die ausgezählten Briefwahlstimmen ein"
    When Kurt enters the postal votes: 1 envelope, 1 "no"
    Then Kurt's commission page says "Nur ein Kommissionsmitglied mit einem Treuhändersitz in dieser Abstimmung kann die Briefwahlstimmen eingeben oder bestätigen"
    And no postal votes are entered
    And the audit log records "tally:postal_refused"

  Scenario: Postal votes that are not signed with the trustee's key are refused
    When Kai enters the postal votes without signing them: 1 envelope, 1 "no"
    Then Kai's commission page says "Die Zahlen sind nicht mit deinem Treuhänderschlüssel unterschrieben."
    And no postal votes are entered
    And the audit log records "tally:postal_refused"

  Scenario: The member who entered the postal votes cannot confirm them
    When Karla enters the postal votes: 1 envelope, 1 "no"
    And Karla confirms the postal votes: 1 envelope, 1 "no"
    Then Karla's commission page says "Das Briefwahlergebnis muss von einem anderen Kommissionsmitglied bestätigt werden."
    And the postal votes are not confirmed
    And the audit log records "tally:postal_confirm_refused"

  Scenario: Different figures discard the entry
    When Karla enters the postal votes: 1 envelope, 1 "no"
    And Kai confirms the postal votes: 1 envelope, 1 "yes"
    Then Kai's commission page says "Die bestätigten Zahlen weichen von den eingegebenen ab."
    And no postal votes are entered

  Scenario: Figures that do not add up are refused
    When Karla enters the postal votes: 1 envelope, 2 "no"
    Then Karla's commission page says "Frage 1 (Soll die Satzung geändert werden?): Gültige und ungültige Stimmen müssen zusammen die Zahl der Wahlbriefe ergeben."
    And no postal votes are entered

  Scenario: Postal votes cannot be entered before the election closes
    Given a second referendum that is still open
    When Karla opens the commission page of the second referendum
    Then the page does not say "Briefwahlergebnis eingeben"
