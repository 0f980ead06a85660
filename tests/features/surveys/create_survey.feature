Feature: Staff create a Mitgliederbefragung
  The staff of a unit build a survey from sections and questions of every kind, with
  conditions; they see it exactly as members will; what breaks a rule is refused with
  the question named and nothing is saved; once the survey is open, nothing about its
  questions can change; an earlier survey can be copied as a new draft.

  Background:
    Given the demo organisation
    And Sonja Stab is a member of "Unterbezirk Eins"
    And Sonja is staff of "Unterbezirk Eins"
    And Anna Ahorn is a member of "Ortsverein Ahorn"

  Scenario: Staff build a survey with a condition and preview it
    Given Sonja is logged in
    When Sonja creates the example survey for "Unterbezirk Eins"
    Then the survey is saved as a draft
    And the preview shows question "q4" only if "q2" is answered "yes"

  Scenario: A question that breaks a rule is refused with the question named
    Given Sonja is logged in
    When Sonja creates the example survey with question "q3" allowing 9 of 3 options
    Then the survey is refused, naming question "q3"
    And no survey is saved

  Scenario: Nothing about the questions can change once the survey is open
    Given Sonja is logged in
    And Sonja has opened the example survey for "Unterbezirk Eins"
    When Sonja changes the title of the survey
    Then the change is refused because the survey is open

  Scenario: Staff copy an earlier survey as a new draft
    Given Sonja is logged in
    And Sonja has opened the example survey for "Unterbezirk Eins"
    When Sonja copies the survey
    Then the copy is a draft with the same questions

  Scenario: A member without a staff role cannot create a survey
    Given Anna is logged in
    When Anna creates the example survey for "Unterbezirk Eins"
    Then the request is refused with status 403
    And no survey is saved
