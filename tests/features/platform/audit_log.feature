Feature: The audit log
  Logins, imports, role changes and every look at member data are recorded in an
  append-only audit log. The member administration reads it; nobody can change or
  delete an entry, not even with direct database access.

  Background:
    Given the demo organisation
    And Ada Adler is a member of "Landesverband Eins"
    And Ada is an admin of "Landesverband Eins"
    And Anna Ahorn is a member of "Ortsverein Ahorn"

  Scenario: The member administration reads logins, imports and role changes
    Given Ada is logged in
    And Ada has imported a member file with 2 members
    And Ada has made Anna board member of "Ortsverein Ahorn"
    When Ada opens the audit log
    Then the page opens
    And the audit log shows entries for these events:
      | event                      |
      | Angemeldet                 |
      | Mitgliederregister importiert |
      | Rolle vergeben             |
    And the audit log shows no e-mail address
    And the audit log names "Ada Adler" as the person who acted
    And the audit log shows no account id

  Scenario: An Ortsverein admin reads only the log of the Ortsverein
    Given Olaf Ost is a member of "Ortsverein Ahorn"
    And Olaf is an admin of "Ortsverein Ahorn"
    And Dora Dorf is a member of "Ortsverein Dorf"
    And Ada is logged in
    And Dora is logged in
    And Olaf is logged in
    When Olaf opens the audit log
    Then the page opens
    And the audit log names "Olaf Ost" as the person who acted
    And the audit log does not mention "Ada Adler"
    And the audit log does not mention "Dora Dorf"

  Scenario: The member administration filters the log by event, person and date
    Given Ada is logged in
    And Anna is logged in
    When Ada filters the audit log by the event "Angemeldet" and the person "Anna"
    Then the page opens
    And the audit log names "Anna Ahorn" as the person who acted
    And the audit log does not mention "Ada Adler"
    When Ada filters the audit log from "2000-01-01" until "2000-01-02"
    Then the page says "Keine Einträge passen zum Filter."
    When Ada filters the audit log from "gestern" until "morgen"
    Then the request is refused with status 400
    And the page says "Gib ein Datum wie 2026-12-04 ein."

  Scenario: Only the member administration may read the audit log
    Given Anna is on the board of "Ortsverein Ahorn"
    And Anna is logged in
    When Anna opens the audit log
    Then the request is refused with status 403

  Scenario Outline: Not even direct database access rewrites the audit log
    Given Ada is logged in
    And the audit log as it is now has been noted
    When someone runs "<statement>" directly on the database
    Then the database refuses the statement
    And the audit log is exactly as noted before

    Examples:
      | statement                                           |
      | UPDATE audit_events SET action = 'nothing:happened' |
      | DELETE FROM audit_events                            |
