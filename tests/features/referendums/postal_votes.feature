Feature: Postal votes are entered by one commission member and confirmed by another

  Background:
    Given a member referendum of the Landesverband with the trustees Karla, Kai and Kim, 2 of whom must decrypt
    And the key ceremony is done and the election is open
    And the election closes at the end of its window

  Scenario: A second commission member confirms the postal votes
    When Karla enters the postal votes: 1 envelope, 1 "no"
    Then Karla's commission page says "Ein zweites Kommissionsmitglied muss es jetzt bestätigen."
    When Kai confirms the postal votes: 1 envelope, 1 "no"
    Then Kai's commission page says "Das Briefwahlergebnis ist bestätigt."
    And the audit log records "tally:postal_entered" and "tally:postal_confirmed"

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
