Feature: Results by sub-unit and age band that unmask nobody
  Staff can break a survey's results down by sub-unit and by age band. The groups are
  fixed when the survey opens, before anyone gets a credential, and each has at least
  the threshold of members (never below 5); a member's group travels with the anonymous
  credential, never the member. On the results a group with fewer answers than the
  threshold is merged into "übrige", never shown on its own.

  Background:
    Given the demo organisation
    And Sonja Stab is a member of "Unterbezirk Eins"
    And Sonja is staff of "Unterbezirk Eins"
    And 4 more members belong directly to "Unterbezirk Eins"
    And 5 members belong to "Ortsverein Ahorn"
    And 5 members belong to "Ortsverein Birke"

  Scenario: Each member answers with the credential of their group
    Given Sonja has opened the example survey for "Unterbezirk Eins" broken down by sub-unit with a threshold of 5
    Then the survey has 3 groups of at least 5 members each
    And a member of "Ortsverein Birke" gets the credential of the group "Ortsverein Birke"

  Scenario: A group with too few answers is not shown on its own
    Given Sonja has opened the example survey for "Unterbezirk Eins" broken down by sub-unit with a threshold of 5
    When 5 members of "Ortsverein Ahorn" answer the survey
    And 5 members of "Ortsverein Birke" answer the survey
    And 2 members of "Unterbezirk Eins" answer the survey
    And Sonja closes the survey
    Then the breakdown on the results page shows "Ortsverein Birke" and "übrige Gliederungen"
    And the breakdown on the results page does not show "Unterbezirk Eins"
    And the survey record downloads with a stable ETag and verifies

  Scenario: A tiny group is merged before anyone gets a credential
    Given a member born in 2001 belongs to "Ortsverein Ahorn"
    And Sonja has opened the example survey for "Unterbezirk Eins" broken down by age band with a threshold of 5
    Then no group of the survey has fewer than 5 members
    And the member born in 2001 gets the credential of the same group as the others

  Scenario: A threshold below 5 is refused and nothing is saved
    When Sonja creates the example survey for "Unterbezirk Eins" broken down by sub-unit with a threshold of 4
    Then the survey is refused because the threshold is below 5
    And no survey is saved
