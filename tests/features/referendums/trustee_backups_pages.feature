Feature: Staff see whether the trustees have backed up their key shares
  A trustee's key share exists only in their browser until they save an encrypted
  backup file, and they can test that file in another browser. The management page
  says for each trustee whether they saved a backup and whether they tested it, and
  warns before the vote is opened while a trustee has none: opening then needs an
  explicit confirmation, which the audit log records.

  Background:
    Given the demo organisation
    And Sabine Schmidt is a member of "Ortsverein Dorf"
    And Sabine is staff of "Landesverband Eins"
    And Karla Kern is a member of "Ortsverein Dorf"
    And Karla is on the election commission of "Landesverband Eins"
    And Kai Kurz is a member of "Ortsverein Dorf"
    And Kai is on the election commission of "Landesverband Eins"
    And the member referendum "Neue Satzung" of "Landesverband Eins" is ready to open

  Scenario: A trustee without a backup is named, and opening needs a confirmation
    Given Karla has saved a backup of her key share for "Neue Satzung" and tested it in another browser
    And Sabine is logged in
    When Sabine opens the management page of "Neue Satzung"
    Then the backup of Karla reads "Sicherung in anderem Browser geprüft"
    And the backup of Kai reads "noch keine Sicherung"
    And the page says "Noch keine Sicherung von Kai Kurz."
    When Sabine fixes the voter roll of "Neue Satzung"
    Then the page says "Noch keine Sicherung von Kai Kurz."
    When Sabine opens voting for "Neue Satzung" without confirming the warning
    Then the request is refused with status 400
    And the page says "Setze das Häkchen, um zu bestätigen, dass du die Abstimmung öffnest"
    And "Neue Satzung" is not open yet
    When Sabine opens voting for "Neue Satzung" and confirms the warning
    Then the page says "Zur Abstimmung geöffnet"
    And the audit log records "referendum:opened_without_backups"

  Scenario: With every backup saved the vote opens without a warning
    Given Karla has saved a backup of her key share for "Neue Satzung" and tested it in another browser
    And Kai has saved a backup of his key share for "Neue Satzung"
    And Sabine is logged in
    When Sabine opens the management page of "Neue Satzung"
    Then the backup of Kai reads "Sicherung gespeichert"
    And the page does not say "Noch keine Sicherung"
    When Sabine fixes the voter roll of "Neue Satzung"
    And Sabine opens voting for "Neue Satzung"
    Then the page says "Zur Abstimmung geöffnet"
    And the audit log does not record "referendum:opened_without_backups"
