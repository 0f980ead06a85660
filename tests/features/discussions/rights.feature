Feature: Who may read and post, per discussion; names on public pages
  Reading is public, for members, or for members of the unit; posting is for members,
  or for members and guests. Guests are always labelled "Gast". Party membership is
  special-category data: on a public page a member appears as first name and initial,
  unless the member agreed to show the full name.

  Background:
    Given the demo organisation
    And Sabine Schmidt is a member of "Ortsverein Ahorn"
    And Sabine is staff of "Landesverband Eins"
    And Anna Arndt is a member of "Ortsverein Ahorn"
    And Ben Berg is a member of "Ortsverein Dorf"
    And Gustav Gast is a registered guest

  Scenario: A guest may not post in a debate for members
    Given the debate "Interna" of "Landesverband Eins" for members
    And Gustav is logged in
    When Gustav posts "Darf ich auch?" in "Interna"
    Then the request is refused with status 403
    And the page says "In dieser Diskussion dürfen nur Mitglieder schreiben."
    And "Interna" has 0 posts

  Scenario: A debate for the members of the unit is hidden from others
    Given the debate "Vorstandsfragen" of "Landesverband Eins" for members of the unit only
    And Ben is logged in
    And Anna is logged in
    When Ben opens the debate "Vorstandsfragen"
    Then the request is refused with status 404
    When a visitor opens the debate "Vorstandsfragen"
    Then the request is refused with status 404
    When Anna opens the debate "Vorstandsfragen"
    Then the page says "Vorstandsfragen"

  Scenario: Visitors see members as first name and initial, and guests labelled "Gast"
    Given the debate "Offene Runde" of "Landesverband Eins" for members and guests
    And Anna is logged in
    And Gustav is logged in
    And Ben is logged in
    And Anna has posted "Hallo zusammen" in "Offene Runde"
    And Gustav has posted "Hallo aus der Nachbarschaft" in "Offene Runde"
    When a visitor opens the debate "Offene Runde"
    Then the page says "Anna A."
    And the page does not say "Anna Arndt"
    And the page says "Gustav G. Gast"
    When Gustav opens the debate "Offene Runde"
    Then the page does not say "Anna Arndt"
    When Ben opens the debate "Offene Runde"
    Then the page says "Anna Arndt"

  Scenario: A member agrees to show the full name
    Given the debate "Offene Runde" of "Landesverband Eins" for members and guests
    And Anna is logged in
    And Anna has posted "Hallo zusammen" in "Offene Runde"
    When Anna agrees to show her full name
    And a visitor opens the debate "Offene Runde"
    Then the page says "Anna Arndt"
    And the audit log holds "discussion:preferences"
