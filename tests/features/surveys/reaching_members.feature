Feature: Members are invited when a survey opens, and the survey closes on time
  When a survey opens, every member of its audience gets one invitation by mail; a member
  who has no login yet gets it with an activation link that leads to the survey, and so
  does the one reminder. Members without an e-mail address cannot be reached online: the
  staff see how many there are and print paper questionnaires for them. At the closing time the
  survey closes by itself, with its results and its record.

  Background:
    Given the demo organisation
    And Sonja Stab is a member of "Unterbezirk Eins"
    And Sonja is staff of "Unterbezirk Eins"
    And Anna Ahorn is a member of "Ortsverein Ahorn"

  Scenario: One invitation per member; members without an address are counted
    Given a member of "Ortsverein Ahorn" has no e-mail address
    And Sonja has built and opened a survey with a condition
    When the schedule runs
    Then Anna has 1 invitation to the survey in her mailbox
    When the schedule runs
    Then Anna has 1 invitation to the survey in her mailbox
    When Sonja opens the page of the survey for staff
    Then the page says "1 Mitglied ohne E-Mail-Adresse (Fragebogen auf Papier)"

  Scenario: The survey closes by itself at its closing time
    Given Sonja has built and opened a survey with a condition
    When the closing time has passed and the schedule runs
    Then the survey is closed and its record can be downloaded

  Scenario: A member without a login is invited with an activation link that leads to the survey
    Given Olga Offen is a member of "Ortsverein Ahorn" without an account yet
    And Sonja has built and opened a survey with a condition
    When the schedule runs
    And the schedule runs
    Then Olga has 1 invitation to the survey with an activation link in her mailbox
    And Anna has 1 invitation to the survey in her mailbox
    When Olga opens the activation link of the invitation and chooses her password
    Then she is sent to log in and on to the survey
    When Olga logs in and opens the survey
    Then the page lets Olga answer

  Scenario: The one reminder reaches a member without a login too, with an activation link
    Given Olga Offen is a member of "Ortsverein Ahorn" without an account yet
    And Sonja has built and opened a survey with a condition that runs for three days
    When the schedule runs
    And the schedule runs 47 hours before the close
    And the schedule runs 46 hours before the close
    Then Olga has 1 reminder to the survey with an activation link in her mailbox
    And Anna has 1 reminder to the survey in her mailbox
