Feature: Staff prepare the Mitgliederentscheid from a successful initiative on its form
  Background:
    Given the demo organisation
    And these members:
      | name        | unit             |
      | Anna Albers | Ortsverein Ahorn |
      | Ben Berg    | Ortsverein Birke |
      | Sven Stab   | Unterbezirk Eins |
      | Tom Tanne   | Unterbezirk Zwei |
    And Sven is staff of "Unterbezirk Eins"
    And Tom is staff of "Unterbezirk Zwei"
    And the rules of "Unterbezirk Eins" ask for 1 initiator and 50 % of the members
    And three members of the election commission of "Unterbezirk Eins"
    And the initiative "Mehr Mitbestimmung" of "Unterbezirk Eins" is open for signing
    And Anna is logged in
    And Ben is logged in
    And Sven is logged in
    And Anna and Ben have signed "Mehr Mitbestimmung" and the deadline has passed

  Scenario: The board did not adopt it; staff of the unit prepare the member referendum on the form
    Given the board's response period of "Mehr Mitbestimmung" has ended without adoption
    When Sven opens the form for the member referendum on "Mehr Mitbestimmung"
    Then the page says "Quorum laut Regeln: Beteiligung von mindestens 20 %."
    When Sven prepares the member referendum on "Mehr Mitbestimmung" on the form with the three commission members
    Then Sven is taken to the new member referendum's page
    And the member referendum asks the initiative's question with a turnout quorum of 20 %
    And the preparation of the member referendum on "Mehr Mitbestimmung" is in the audit log

  Scenario: While the board's response period runs it is not yet due
    When Sven prepares the member referendum on "Mehr Mitbestimmung" on the form with the three commission members
    Then the request is refused with status 400
    And the page says "Für dieses Mitgliederbegehren steht kein Mitgliederentscheid an."
    And no member referendum on "Mehr Mitbestimmung" exists

  Scenario: Staff of another unit cannot prepare it
    Given the board's response period of "Mehr Mitbestimmung" has ended without adoption
    And Tom is logged in
    When Tom prepares the member referendum on "Mehr Mitbestimmung" on the form with the three commission members
    Then the request is refused with status 404
    And no member referendum on "Mehr Mitbestimmung" exists

  Scenario: It is prepared once; a second preparation is refused
    Given the board's response period of "Mehr Mitbestimmung" has ended without adoption
    When Sven prepares the member referendum on "Mehr Mitbestimmung" on the form with the three commission members
    And Sven prepares the member referendum on "Mehr Mitbestimmung" on the form with the three commission members
    Then the request is refused with status 400
    And the page says "Für dieses Mitgliederbegehren steht kein Mitgliederentscheid an."
    And exactly one member referendum on "Mehr Mitbestimmung" exists
