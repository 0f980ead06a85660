Feature: Checking my own entry on the voter roll and the fingerprint of the vote
  Every member can check, logged in, that they are on the published voter roll (with a
  proof against the roll's commitment that the trustees bind) and whether a voting
  credential was issued for them. A member who did not vote but finds a credential
  issued for their entry has evidence that someone voted in their name. Everyone can
  compare the vote's fingerprint with a copy published outside Stimmwerk.

  Background:
    Given the demo organisation
    And these members:
      | name        | unit             |
      | Anna Albers | Ortsverein Ahorn |
      | Ben Berger  | Ortsverein Birke |
      | Paul Post   | Ortsverein Ahorn |
    And Paul votes by post
    And the member vote of "Landesverband Eins" is open

  Scenario: A member who voted finds their entry and the issued credential
    Given Anna has voted in the member vote
    And Anna is logged in
    When Anna opens her entry on the voter roll
    Then the page says "Du stehst im veröffentlichten Stimmverzeichnis."
    And the page says "Für deinen Eintrag wurde eine Stimmberechtigung ausgegeben."
    And the inclusion proof on the page leads from Anna's entry to the published roll commitment

  Scenario: A member who did not vote sees that no credential was issued, until someone mints one
    Given Ben is logged in
    When Ben opens his entry on the voter roll
    Then the page says "Für deinen Eintrag wurde keine Stimmberechtigung ausgegeben."
    When the operator mints a credential for Ben without Ben asking
    And Ben opens his entry on the voter roll
    Then the page says "Für deinen Eintrag wurde eine Stimmberechtigung ausgegeben."

  Scenario: A postal voter is on the roll but not in the online list
    Given Paul is logged in
    When Paul opens his entry on the voter roll
    Then the page says "Du stehst als Briefwähler*in im Stimmverzeichnis."

  Scenario: Everyone sees the fingerprint of the vote
    When a visitor opens the page of the member vote
    Then the page shows the fingerprint of the vote
