Feature: Staff count paper questionnaires as their own line, entered and confirmed by two people
  Members who do not answer online get a printed questionnaire. The staff count the
  returned sheets: one staff member enters the figures per question, a second one counts
  again and enters the same figures to confirm them. The paper answers are shown as their
  own line, never mixed into the online answers, and the survey record carries them.

  Background:
    Given the demo organisation
    And Sonja Stab is a member of "Unterbezirk Eins"
    And Sonja is staff of "Unterbezirk Eins"
    And Stefan Stab is a member of "Unterbezirk Eins"
    And Stefan is staff of "Unterbezirk Eins"
    And Anna Ahorn is a member of "Ortsverein Ahorn"
    And Sonja has built and opened a survey with a condition

  Scenario: Staff print the questionnaire
    When Sonja prints the paper questionnaire
    Then she gets a PDF document

  Scenario: Two staff members enter and confirm; the results show the paper line apart
    Given Stefan is logged in
    When Sonja enters the paper answers of 3 questionnaires
    Then the page says "Die Papier-Antworten sind eingetragen und warten auf die Bestätigung durch eine zweite Person."
    When Sonja confirms the paper answers of 3 questionnaires
    Then the paper answers are refused with status 403, saying "Die Papier-Antworten muss eine andere Person aus der Geschäftsstelle bestätigen."
    And the paper answers are not confirmed
    When Stefan confirms the paper answers of 2 questionnaires
    Then the paper answers are refused with status 409, saying "Deine Zahlen weichen von den eingetragenen ab"
    And the paper answers are not confirmed
    When Stefan confirms the paper answers of 3 questionnaires
    Then the page says "Die Papier-Antworten sind bestätigt: 3 Fragebögen."
    When Sonja confirms and closes the survey
    And Sonja opens the results
    Then the results show a paper line of 3 questionnaires apart from 0 member answers
    And the downloaded survey record carries the paper line and verifies

  Scenario: Figures that cannot be right are refused, naming the question, and nothing is stored
    When Sonja enters paper answers where question "q1" has more marks than sheets
    Then the paper answers are refused with status 400, saying "Die Papier-Antworten wurden nicht angenommen: keine Option kann mehr Kreuze haben, als Bögen die Frage beantwortet haben (Frage q1)"
    And no paper answers are stored

  Scenario: A member who is not staff cannot enter paper answers
    Given Anna is logged in
    When Anna enters the paper answers of 3 questionnaires
    Then the paper answers are refused with status 403, saying "Nur die Geschäftsstelle"
    And no paper answers are stored

  Scenario: After the close no paper answers are entered
    When Sonja confirms and closes the survey
    And Sonja enters the paper answers of 3 questionnaires
    Then the paper answers are refused with status 409, saying "Diese Befragung nimmt gerade keine Antworten an."
    And no paper answers are stored
