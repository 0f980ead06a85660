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
    And the audit log shows entries for these actions:
      | action           |
      | login:succeeded  |
      | members:imported |
      | role:granted     |
    And the audit log shows no e-mail address

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
