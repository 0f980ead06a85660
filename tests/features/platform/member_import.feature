Feature: Importing units and the member register
  The member administration keeps the register in the party's membership system and
  loads it into Stimmwerk as CSV files. An import is all or nothing: a file with a
  single bad row changes nothing, and the answer lists every bad row by its line.

  Scenario: A new installation is filled from the command line
    Given a freshly installed Stimmwerk without any units
    And the file "units.csv":
      """
      code,name,level,parent_code
      BV,Bundesverband,Bund,
      LV1,Landesverband Eins,Landesverband,BV
      UB1,Unterbezirk Eins,Unterbezirk,LV1
      OV-A,Ortsverein Ahorn,Ortsverein,UB1
      OV-B,Ortsverein Birke,Ortsverein,UB1
      """
    And the file "members.csv":
      """
      membership_number,given_name,family_name,email,birth_year,unit_code,joined_on,status,postal_vote
      100001,Anna,Ahorn,anna@example.org,1980,OV-A,2010-01-01,aktiv,nein
      100002,Bernd,Birke,bernd@example.org,1975,OV-B,01.02.2012,aktiv,ja
      """
    When the administrator runs "stimmwerk import-units units.csv"
    Then the command succeeds and reports "units imported: created 5"
    When the administrator runs "stimmwerk import-members members.csv"
    Then the command succeeds and reports "members imported: created 2"
    And "Ortsverein Birke" lies below "Unterbezirk Eins", "Landesverband Eins" and "Bundesverband"
    And the register holds these members:
      | membership number | name        | e-mail            | unit             | status | postal vote |
      | 100001            | Anna Ahorn  | anna@example.org  | Ortsverein Ahorn | active | no          |
      | 100002            | Bernd Birke | bernd@example.org | Ortsverein Birke | active | yes         |

  Scenario: A good file creates the members
    Given the demo organisation
    When the administrator imports the member file:
      """
      membership_number,given_name,family_name,email,birth_year,unit_code,joined_on,status,postal_vote
      100001,Anna,Ahorn,anna@example.org,1980,OV-A,2010-01-01,aktiv,nein
      100002,Bernd,Birke,bernd@example.org,1975,OV-B,2012-02-01,aktiv,ja
      100003,Clara,Chaussee,,1990,OV-C,2020-05-17,aktiv,nein
      """
    Then the import reports 3 created, 0 updated and 0 unchanged
    And the register holds these members:
      | membership number | name           | e-mail            | unit                | status | postal vote |
      | 100001            | Anna Ahorn     | anna@example.org  | Ortsverein Ahorn    | active | no          |
      | 100002            | Bernd Birke    | bernd@example.org | Ortsverein Birke    | active | yes         |
      | 100003            | Clara Chaussee |                   | Ortsverein Chaussee | active | no          |

  Scenario: Importing a changed file updates the members
    Given the demo organisation
    And the administrator has imported the member file:
      """
      membership_number,given_name,family_name,email,birth_year,unit_code,joined_on,status,postal_vote
      100001,Anna,Ahorn,anna@example.org,1980,OV-A,2010-01-01,aktiv,nein
      100002,Bernd,Birke,bernd@example.org,1975,OV-B,2012-02-01,aktiv,ja
      100003,Clara,Chaussee,,1990,OV-C,2020-05-17,aktiv,nein
      """
    When the administrator imports the member file:
      """
      membership_number,given_name,family_name,email,birth_year,unit_code,joined_on,status,postal_vote
      100001,Anna,Ahorn,anna@example.org,1980,OV-A,2010-01-01,aktiv,nein
      100002,Bernd,Birke,bernd.birke@example.org,1975,OV-A,2012-02-01,aktiv,nein
      100003,Clara,Chaussee,,1990,OV-C,2020-05-17,aktiv,nein
      """
    Then the import reports 0 created, 1 updated and 2 unchanged
    And the register holds these members:
      | membership number | name           | e-mail                  | unit                | status | postal vote |
      | 100001            | Anna Ahorn     | anna@example.org        | Ortsverein Ahorn    | active | no          |
      | 100002            | Bernd Birke    | bernd.birke@example.org | Ortsverein Ahorn    | active | no          |
      | 100003            | Clara Chaussee |                         | Ortsverein Chaussee | active | no          |

  Scenario: A member who left is marked as left, not deleted
    Given the demo organisation
    And the administrator has imported the member file:
      """
      membership_number,given_name,family_name,email,birth_year,unit_code,joined_on,status,postal_vote
      100001,Anna,Ahorn,anna@example.org,1980,OV-A,2010-01-01,aktiv,nein
      100002,Bernd,Birke,bernd@example.org,1975,OV-B,2012-02-01,aktiv,ja
      """
    When the administrator imports the member file:
      """
      membership_number,given_name,family_name,email,birth_year,unit_code,joined_on,status,postal_vote
      100001,Anna,Ahorn,anna@example.org,1980,OV-A,2010-01-01,aktiv,nein
      100002,Bernd,Birke,bernd@example.org,1975,OV-B,2012-02-01,ausgetreten,ja
      """
    Then the import reports 0 created, 1 updated and 1 unchanged
    And the register still holds 2 members
    And member 100002 is marked as having left today

  Scenario: Members missing from the complete register are marked as left
    Given the demo organisation
    And the administrator has imported the member file:
      """
      membership_number,given_name,family_name,email,birth_year,unit_code,joined_on,status,postal_vote
      100001,Anna,Ahorn,anna@example.org,1980,OV-A,2010-01-01,aktiv,nein
      100002,Bernd,Birke,bernd@example.org,1975,OV-B,2012-02-01,aktiv,ja
      """
    When the administrator imports the complete register, marking missing members as left:
      """
      membership_number,given_name,family_name,email,birth_year,unit_code,joined_on,status,postal_vote
      100001,Anna,Ahorn,anna@example.org,1980,OV-A,2010-01-01,aktiv,nein
      """
    Then the import reports 1 marked as left
    And the register still holds 2 members
    And member 100002 is marked as having left today

  Scenario: A file with bad rows is rejected as a whole
    Given the demo organisation
    And the administrator has imported the member file:
      """
      membership_number,given_name,family_name,email,birth_year,unit_code,joined_on,status,postal_vote
      100001,Anna,Ahorn,anna@example.org,1980,OV-A,2010-01-01,aktiv,nein
      100002,Bernd,Birke,bernd@example.org,1975,OV-B,2012-02-01,aktiv,ja
      100003,Clara,Chaussee,,1990,OV-C,2020-05-17,aktiv,nein
      """
    And the register as it is now has been noted
    When the administrator imports the member file:
      """
      membership_number,given_name,family_name,email,birth_year,unit_code,joined_on,status,postal_vote
      100001,Anna,Ahorn,anna.neu@example.org,1980,OV-B,2010-01-01,aktiv,ja
      100004,Dora,Dorn,dora@example.org,1990,OV-X,2020-01-01,aktiv,nein
      100005,Emil,Eiche,emil@example.org,1991,OV-A,2020-31-12,aktiv,nein
      100006,Frida,Fichte,frida(at)example.org,1992,OV-A,2020-01-01,aktiv,nein
      100007,Gero,Gans,gero@example.org,1993,OV-A,2021-01-01,aktiv,nein
      100007,Gerda,Gans,gerda@example.org,1994,OV-A,2021-01-01,aktiv,nein
      100003,Clara,Chaussee,,1990,OV-C,2020-05-17,ausgetreten,nein
      """
    Then the file is rejected with these problems:
      | line | field             |
      | 3    | unit_code         |
      | 4    | joined_on         |
      | 5    | email             |
      | 6    | membership_number |
      | 7    | membership_number |
    And the register is exactly as noted before
