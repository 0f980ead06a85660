Feature: A voting booth that is hard to get wrong, and a check a member can trust
  Anna is on the voter roll of an open member vote with two questions: question 1 is
  answered with Ja, Nein or Enthaltung; in question 2 she may choose up to two people
  for the Beirat, or abstain. She votes in her browser.

  Background:
    Given the member vote with two questions is open
    And Anna has opened the vote page

  Scenario: The page says until when she can vote
    Then she reads until when she can vote, with weekday, date and time

  Scenario: Ticking too many options is refused, and the message names the question
    When she ticks "Anna", "Ben" and "Cem" in question 2
    Then she reads "Bei Frage 2 darfst du höchstens 2 Optionen wählen."
    And "Cem" is not ticked

  Scenario: A question left blank by mistake is named before the review
    When she answers question 1 with "Ja"
    And she goes on to the review
    Then she reads "Bei Frage 2 hast du nichts gewählt."
    And she does not see the review

  Scenario: She abstains on purpose and reviews her choice before casting
    When she answers question 1 with "Nein"
    And she ticks "Ich enthalte mich bei dieser Frage (keine Option)" in question 2
    And she goes on to the review
    Then she reads "Bitte prüfe deine Auswahl"
    And the review shows "Nein" and "Enthaltung (keine Option gewählt)"
    When she wants to change her choice
    Then she can tick the options again

  Scenario: After casting she sees an unmistakable confirmation, also after a reload
    When she answers question 1 with "Ja"
    And she ticks "Anna" in question 2
    And she goes on to the review
    And she casts her vote
    Then she reads "Deine Stimme ist abgegeben."
    And the choices are disabled
    When she reloads the page
    Then she reads "Du hast in diesem Mitgliederentscheid bereits abgestimmt."
    And she is not told that she may finish voting

  Scenario: The opened ballot passes the separate check page and the command line
    When she answers question 1 with "Ja"
    And she ticks "Ben" in question 2
    And she goes on to the review
    And she checks her ballot
    Then the page shows that the encrypted ballot contains "Ja" and "Ben"
    When she pastes the check data into the check page, without logging in
    Then the check page says "Prüfung bestanden." and lists "Ben"
    And the command "stimmwerk check-audit" accepts the check data

  Scenario: Changed check data fails both checks
    When she answers question 1 with "Ja"
    And she ticks "Ben" in question 2
    And she goes on to the review
    And she checks her ballot
    And someone changes the revealed choice of question 1 in the check data
    And she pastes the check data into the check page, without logging in
    Then the check page says "Prüfung NICHT bestanden." and names question 1
    And the command "stimmwerk check-audit" refuses the check data
