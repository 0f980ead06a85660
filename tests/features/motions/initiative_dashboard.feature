Feature: A member finds on her overview the initiatives she may sign and the ones she must confirm
  Not every member reads the mail about a new initiative, and some have no address at all.
  The overview shows each member the initiatives of her own units that collect signatures,
  whether she has signed, and the drafts that name her as a co-initiator.

  Background:
    Given the demo organisation
    And these members:
      | name           | unit                |
      | Anna Albers    | Ortsverein Ahorn    |
      | Ben Berg       | Ortsverein Birke    |
      | Carla Chaussee | Ortsverein Chaussee |
      | Sven Stab      | Unterbezirk Eins    |
    And the initiative "Mehr Mitbestimmung" of "Unterbezirk Eins" is open for signing

  Scenario: A member of the unit sees the initiative, its count, and later that she has signed
    Given Ben is logged in
    When Ben opens the initiatives on his overview
    Then the overview lists "Mehr Mitbestimmung" with "0 von"
    And the overview does not say "Du hast unterschrieben."
    When Ben signs "Mehr Mitbestimmung"
    And Ben opens the initiatives on his overview
    Then the overview lists "Mehr Mitbestimmung" with "1 von"
    And the overview says "Du hast unterschrieben."

  Scenario: A withdrawn signature no longer shows as signed
    Given Ben is logged in
    When Ben signs "Mehr Mitbestimmung"
    And Ben withdraws her signature from "Mehr Mitbestimmung"
    And Ben opens the initiatives on his overview
    Then the overview does not say "Du hast unterschrieben."

  Scenario: A member of another unit is not asked to sign it
    Given Carla is logged in
    When Carla opens the initiatives on his overview
    Then the overview does not list "Mehr Mitbestimmung"
    And the overview says "In deinen Gliederungen sammelt gerade kein Mitgliederbegehren Unterschriften."

  Scenario: A named co-initiator is asked to confirm, and no longer once she has
    Given Anna is logged in
    And Ben is logged in
    When Anna starts the initiative "Direktwahl" in "Unterbezirk Eins" with Ben as co-initiator
    And Ben opens the initiatives on his overview
    Then the overview lists "Direktwahl" with "Bitte lies das Mitgliederbegehren und bestätige es"
    When Ben confirms that he is an initiator of "Direktwahl"
    And Ben opens the initiatives on his overview
    Then the overview does not list "Direktwahl"

  Scenario: The overview section is for logged-in people only
    When the visitor opens the initiatives section of the overview
    Then the visitor is sent to the login
