Feature: Staff prepare a member referendum
  Staff of a unit set up a Mitgliederentscheid: the question, the texts members read, the
  voting period and the trustees of the election commission who will hold the keys.
  Before anything happens they see the ballot exactly as members will see it. Only staff
  of the unit (or above it) may prepare and manage it.

  Background:
    Given the demo organisation
    And Sabine Schmidt is a member of "Ortsverein Dorf"
    And Sabine is staff of "Landesverband Eins"
    And Karla Kern is a member of "Ortsverein Dorf"
    And Karla is on the election commission of "Landesverband Eins"
    And Kai Kurz is a member of "Ortsverein Dorf"
    And Kai is on the election commission of "Bundesverband"
    And Anna Arndt is a member of "Ortsverein Ahorn"

  Scenario: Staff prepare a referendum and preview the ballot
    Given Sabine is logged in
    When Sabine prepares the member referendum "Neue Satzung" for "Landesverband Eins" with Karla and Kai as trustees, any 2 of whom can count
    Then Sabine sees the management page of "Neue Satzung"
    And the page says "Der Mitgliederentscheid ist gespeichert. Als Nächstes halten die Treuhänder auf ihrer Kommissionsseite die Schlüsselzeremonie ab"
    And the page says "Schlüsselzeremonie der Wahlkommission"
    And the page says "2 von 2 Treuhändern sind zum Auszählen nötig."
    And the page says "Kein Spielraum: Zum Auszählen wird jeder Treuhänder gebraucht."
    And the preview shows the question "Soll die neue Satzung gelten?" with the answers "Ja, Nein, Enthaltung"
    And the preview shows the question "Wo soll der Parteitag stattfinden?" with the answers "Berlin, Bonn"
    And the preview shows the question "Wen wählt ihr in den Beirat?" with up to 2 of "Anna, Ben, Cem" to tick
    And the page says "Noch kein Treuhänder hat einen Schlüssel angemeldet."
    And the audit log records "referendum:created"

  Scenario: A question block after an empty one is kept
    Given Sabine is logged in
    When Sabine opens the page for a new member referendum
    Then the form has 1 question block
    When Sabine prepares the member referendum "Neue Satzung" for "Landesverband Eins" with a fifth question "Soll der Vorstand verkleinert werden?"
    Then Sabine sees the management page of "Neue Satzung"
    And the preview shows the question "Soll der Vorstand verkleinert werden?" with the answers "Ja, Nein, Enthaltung"
    And the preview shows the question "Wo soll der Parteitag stattfinden?" with the answers "Berlin, Bonn"

  Scenario: An invalid form is refused and changes nothing
    Given Sabine is logged in
    When Sabine sends the new referendum form without a title and with the voting closing before it opens
    Then the request is refused with status 400
    And the page says "Gib der Abstimmung einen Titel mit höchstens 200 Zeichen."
    And the page says "Der Stichtag darf nicht nach der Öffnung liegen, und die Öffnung muss vor dem Ende liegen."
    And there is no member referendum

  Scenario: A member without the staff role cannot prepare a referendum
    Given Anna is logged in
    When Anna opens the page for a new member referendum
    Then the request is refused with status 403

  Scenario: Staff of another unit cannot manage the referendum
    Given Otto Ost is a member of "Ortsverein Dorf"
    And Otto is staff of "Landesverband Zwei"
    And the member referendum "Neue Satzung" of "Landesverband Eins" has been prepared
    And Otto is logged in
    When Otto opens the management page of "Neue Satzung"
    Then the request is refused with status 403

  Scenario: After the key ceremony staff fix the voter roll and open voting
    Given the member referendum "Neue Satzung" of "Landesverband Eins" has been prepared
    And the election commission has held the key ceremony for "Neue Satzung"
    And Sabine is logged in
    When Sabine opens the management page of "Neue Satzung"
    Then the page says "Daran kann sich nichts mehr ändern."
    When Sabine fixes the voter roll of "Neue Satzung"
    Then the page says "Stimmverzeichnis festgelegt, noch nicht geöffnet"
    And the page says "Stimmberechtigte Mitglieder 1"
    When Sabine opens voting for "Neue Satzung" and confirms the warning
    Then the page says "Zur Abstimmung geöffnet"

  Scenario: Staff change the question and the closing time before the key ceremony
    Given the member referendum "Neue Satzung" of "Landesverband Eins" has been prepared
    And Sabine is logged in
    When Sabine opens the management page of "Neue Satzung"
    Then the page offers to change the referendum
    When Sabine changes the question of "Neue Satzung" to "Soll die Satzung neu gefasst werden?" and the closing to 20 days from now
    Then Sabine sees the management page of "Neue Satzung"
    And the preview shows the question "Soll die Satzung neu gefasst werden?" with the answers "Ja, Nein, Enthaltung"
    And the page shows the changed closing time
    And the election hash of "Neue Satzung" has changed, its id has not
    And the audit log records "election:updated"
    And the audit log records "referendum:updated"

  Scenario: An invalid change is refused and changes nothing
    Given the member referendum "Neue Satzung" of "Landesverband Eins" has been prepared
    And Sabine is logged in
    When Sabine changes the question of "Neue Satzung" to "Soll die Satzung neu gefasst werden?" and the closing to 2 days ago
    Then the request is refused with status 400
    And the page says "Der Stichtag darf nicht nach der Öffnung liegen, und die Öffnung muss vor dem Ende liegen."
    And "Neue Satzung" is unchanged

  Scenario: Once a trustee has registered a key the referendum cannot change any more
    Given the member referendum "Neue Satzung" of "Landesverband Eins" has been prepared
    And Karla has registered her key for "Neue Satzung"
    And Sabine is logged in
    When Sabine opens the management page of "Neue Satzung"
    Then the page does not offer to change the referendum
    When Sabine opens the edit page of "Neue Satzung"
    Then the request is refused with status 409
    And the page says "Dieser Mitgliederentscheid kann nicht mehr geändert werden: Die Treuhänder haben mit der Schlüsselzeremonie begonnen."
    When Sabine sends a changed question for "Neue Satzung"
    Then the request is refused with status 409
    And "Neue Satzung" is unchanged

  Scenario: Staff of another unit cannot change the referendum
    Given Otto Ost is a member of "Ortsverein Dorf"
    And Otto is staff of "Landesverband Zwei"
    And the member referendum "Neue Satzung" of "Landesverband Eins" has been prepared
    And Otto is logged in
    When Otto opens the edit page of "Neue Satzung"
    Then the request is refused with status 403
    When Otto sends a changed question for "Neue Satzung"
    Then the request is refused with status 403
    And "Neue Satzung" is unchanged
