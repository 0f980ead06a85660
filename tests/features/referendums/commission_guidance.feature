Feature: A guided election commission
  The trustees cannot lose their key shares by accident, every commission member sees
  what is due and gets a mail for it, and a counted result is published only once two
  different commission members have stated and confirmed it.
  (Python crypto stands in for the trustees' browsers, as in commission.feature.)

  Background:
    Given a member referendum of the Landesverband with the trustees Karla, Kai and Kim, 2 of whom must decrypt

  Scenario: A trustee cannot finish the key ceremony without a saved backup
    Given Karla, Kai and Kim have registered their sealing keys and dealt their shares
    When Karla confirms the shares she received without having saved a backup
    Then the answer is the error "backup_missing" with status 409
    And the answer's message says "Sicherung"
    And Karla has not confirmed her shares
    When Karla saves the backup of her key share and confirms her shares
    Then Karla has confirmed her shares
    And the audit log records "trustee:backup_confirmed"

  Scenario: A trustee tests her backup in a fresh browser before voting opens
    Given the key ceremony is done
    Then Karla's dashboard lists "Teste deine Sicherung in einem anderen Browser"
    When Karla restores her backup in a fresh browser and it matches her public key
    Then the commission page shows Karla's backup as "gespeichert und geprüft"
    And Karla's dashboard no longer lists "Teste deine Sicherung"
    And the audit log records "trustee:backup_tested"

  Scenario: Each due step shows on the dashboard and comes by mail once
    When the scheduler runs
    Then Karla, Kai and Kim each get one mail saying "Schlüsselzeremonie: Erzeuge und hinterlege deinen Versiegelungsschlüssel"
    And Kai's dashboard lists "Schlüsselzeremonie: Erzeuge und hinterlege deinen Versiegelungsschlüssel"
    When the scheduler runs again
    Then nobody gets a second mail about that step
    When Karla, Kai and Kim have registered their sealing keys
    And the scheduler runs
    Then Karla, Kai and Kim each get one mail saying "Schlüsselzeremonie: Teile deine Anteile aus"

  Scenario: A waiting commission page updates itself
    Given Karla has registered her sealing key
    When Karla's waiting page asks whether anything changed
    Then nothing has changed
    When Kai registers his sealing key
    And Karla's waiting page asks whether anything changed
    Then Karla's page reloads itself

  Scenario: The commission closes the vote early in the browser, giving a reason
    Given the key ceremony is done and the election is open
    When Kai closes the vote early without giving a reason
    Then Kai's commission page says "Gib den Grund an, aus dem die Abstimmung vorzeitig geschlossen wird."
    And the election is still open
    When Kai closes the vote early with the reason "Schwere technische Störung beim Rechenzentrum"
    Then the election is closed
    And the audit log records the reason "Schwere technische Störung beim Rechenzentrum"
    When the scheduler runs
    Then Karla, Kai and Kim each get one mail saying "Gib die ausgezählten Briefwahlstimmen ein"
    When Karla enters the postal votes and Kai confirms them
    And the scheduler runs
    Then Karla, Kai and Kim each get one mail saying "Die Abstimmung ist geschlossen: Entschlüssele deinen Teil des Ergebnisses"

  Scenario: A member who is not on the commission cannot close the vote early
    Given the key ceremony is done and the election is open
    And Anna is a member with an account
    When Anna tries to close the vote early with the reason "Ich will nicht mehr"
    Then the request is refused with status 403
    And the election is still open

  Scenario: A counted result is published only after a second commission member confirms it
    Given the vote has been counted with 2 "yes" and 1 "no"
    Then the results page says "noch nicht festgestellt"
    And the election record cannot be downloaded
    When Karla states the result
    Then Karla's commission page says "Ein zweites, anderes Mitglied der Wahlkommission muss es jetzt bestätigen"
    When Karla confirms the result herself
    Then Karla's commission page says "Du hast dieses Ergebnis selbst festgestellt."
    And the results page says "noch nicht festgestellt"
    And the audit log records "result:confirm_refused"
    When Kai confirms the result
    Then the results page shows the result
    When Kim confirms the result
    Then Kim's commission page says "Das Ergebnis ist bereits festgestellt und bestätigt."
    And the audit log records "result:stated" and "result:confirmed"
    And the minutes name Karla and Kai as the confirming members, with the turnout and the fingerprint

  Scenario: Nobody can confirm a result that was not stated, nor download minutes before
    Given the vote has been counted with 2 "yes" and 1 "no"
    When Kai confirms the result
    Then Kai's commission page says "Noch niemand hat das Ergebnis festgestellt"
    And Kai cannot download the minutes yet

  Scenario: Backup reports that are early, malformed or not a trustee's are refused and change nothing
    Given Karla, Kai and Kim have registered their sealing keys
    And Anna is a member with an account
    When Karla reports a saved backup before everybody has dealt
    Then the answer is the error "wrong_state" with status 409
    When Anna reports a saved backup
    Then the answer is the error "not_trustee" with status 403
    When Karla reports a saved backup with a malformed checksum
    Then the answer is the error "refused" with status 400
    And no trustee has a backup on record

  Scenario: Only the election commission states a result
    Given the vote has been counted with 2 "yes" and 1 "no"
    And Anna is a member with an account
    When Anna tries to state the result
    Then the request is refused with status 403
    And the results page says "noch nicht festgestellt"
