Feature: Granting and revoking roles
  The member administration of a Landesverband makes members board members or staff
  of units in its area, by their e-mail address. It cannot hand out roles elsewhere,
  and guests cannot hold roles that see member data. Every change is in the audit log.

  Background:
    Given the demo organisation
    And Ada Adler is a member of "Landesverband Eins"
    And Ada is an admin of "Landesverband Eins"
    And Berta Birke is a member of "Ortsverein Birke"
    And Gustav Gast is a registered guest

  Scenario: An admin makes a member board member of an Ortsverein in her area
    Given Ada is logged in
    When Ada grants Berta the role "Vorstand" on "Ortsverein Birke"
    Then the page says "Die Rolle wurde vergeben."
    And the list of roles shows Berta as "Vorstand" of "Ortsverein Birke"
    And the audit log records that Ada granted Berta the role "board" on "Ortsverein Birke"
    When Berta logs in with the right password
    Then Berta sees the dashboard
    And the page says "Vorstand: Ortsverein Birke"

  Scenario: An admin cannot grant roles outside her area
    Given Ada is logged in
    When Ada grants Berta the role "Vorstand" on "Ortsverein Dorf"
    Then the request is refused with status 403
    And Berta holds no role

  Scenario: An admin revokes a role
    Given Berta is on the board of "Ortsverein Birke"
    And Ada is logged in
    When Ada revokes the role "Vorstand" of Berta on "Ortsverein Birke"
    Then the page says "Die Rolle wurde entzogen."
    And Berta holds no role
    And the audit log records that Ada revoked the role "board" of Berta on "Ortsverein Birke"

  Scenario: A guest cannot become a board member
    Given Ada is logged in
    When Ada grants Gustav the role "Vorstand" on "Ortsverein Birke"
    Then the request is refused with status 400
    And the page says "Diese Rolle können nur Mitglieder haben."
    And Gustav holds no role
