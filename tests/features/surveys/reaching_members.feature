Feature: Members are invited when a survey opens, and the survey closes on time
  When a survey opens, every member of its audience who can log in gets one invitation by
  mail. Members without an e-mail address cannot be reached online: the staff see how
  many there are and print paper questionnaires for them. At the closing time the
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
