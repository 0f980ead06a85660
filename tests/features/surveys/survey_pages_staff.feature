Feature: Staff build a survey in the browser, preview it, copy it, open and close it
  The staff of a unit build a survey on one form that works without JavaScript: buttons
  add and remove questions and sections and the form comes back with everything typed
  kept. A question can be asked only under a condition. The preview shows the survey
  exactly as members get it. Once the survey is open, its questions cannot change.

  Background:
    Given the demo organisation
    And Sonja Stab is a member of "Unterbezirk Eins"
    And Sonja is staff of "Unterbezirk Eins"
    And Anna Ahorn is a member of "Ortsverein Ahorn"

  Scenario: Staff build a survey with a condition; the preview shows it as members will
    Given Sonja is logged in
    When Sonja fills in the new survey form with a yes/no question "Online-Parteitage?"
    And Sonja adds a question
    Then the form comes back with the title and question 1 kept, and no survey is stored yet
    When Sonja makes question 2 a long text "Warum?" shown only if question 1 is "Ja"
    And Sonja saves the draft
    Then the survey is stored as a draft with question "q2" asked only if "q1" is "yes"
    When Sonja opens the preview
    Then the page says "Nur gefragt, wenn Frage 1 mit „Ja“ beantwortet wurde."
    And no input of the preview has a name

  Scenario: A question is asked only if an earlier one has one of several answers
    Given Sonja is logged in
    When Sonja fills in the new survey form with a yes/no question "Online-Parteitage?"
    And Sonja adds a question
    And Sonja makes question 2 a long text "Warum?" shown only if question 1 is "Ja" or "Enthaltung"
    And Sonja saves the draft
    Then the survey is stored as a draft with question "q2" asked only if "q1" is one of "yes" and "abstain"
    When Sonja opens the preview
    Then the page says "Nur gefragt, wenn Frage 1 mit einer dieser Antworten beantwortet wurde: „Ja“, „Enthaltung“."
    When Sonja opens the edit form of the survey
    Then "Ja" and "Enthaltung" are ticked in the condition of question 2

  Scenario: A condition naming options of two different questions is refused and nothing is stored
    Given Sonja is logged in
    When Sonja ticks options of two different questions in the condition of question 4
    And Sonja saves the draft
    Then the form comes back with status 400
    And the page says "Eine Bedingung kann nur Antworten einer früheren Frage nennen"
    And no survey is stored

  Scenario: Staff start a survey from the unit page
    Given Sonja is logged in
    When Sonja opens the surveys section of the page of "Unterbezirk Eins"
    And Sonja follows the link to a new survey for this unit
    Then the new survey form has "Unterbezirk Eins" chosen as the unit that asks

  Scenario: A mistake in the form is named at its field and nothing is stored
    Given Sonja is logged in
    When Sonja saves a survey whose multiple-choice question allows 5 of 3 options
    Then the form comes back with status 400
    And the page says "Die Zahlen müssen 0 ≤ mindestens ≤ höchstens ≤ Anzahl der Optionen erfüllen"
    And no survey is stored

  Scenario: An earlier survey is copied as a new draft
    Given Sonja has built and opened a survey with a condition
    When Sonja copies the survey on its page
    Then a second survey is stored as a draft with the same questions
    And the edit form of the copy opens

  Scenario: Opening needs a confirmation, and an open survey cannot be changed
    Given Sonja has built a survey with a condition
    When Sonja presses "Befragung öffnen" without confirming
    Then the page says "Bitte bestätige, dass die Befragung geöffnet werden darf"
    And the survey is still a draft
    When Sonja confirms and opens the survey
    Then the survey is open
    And the audit log records that Sonja created and opened the survey
    When Sonja sends a changed question text to the edit form
    Then the request is refused with status 409
    And the page says "Die Befragung läuft: Ihre Fragen können nicht mehr geändert werden."
    And the questions of the survey are unchanged

  Scenario: A survey whose closing time has passed is not opened
    Given Sonja has built a survey with a condition that closed yesterday
    When Sonja confirms and opens the survey
    Then the page says "Das Ende der Befragung liegt in der Vergangenheit"
    And the survey is still a draft

  Scenario: Only the staff and board of the unit manage its surveys
    Given Sonja has built a survey with a condition
    And Anna is logged in
    When Anna opens the page of the survey for staff
    Then the request is refused with status 403
    When Anna sends the form that opens the survey
    Then the request is refused with status 403
    And the survey is still a draft
    Given Uwe Zwei is a member of "Unterbezirk Zwei"
    And Uwe is staff of "Unterbezirk Zwei"
    And Uwe is logged in
    When Uwe opens the page of the survey for staff
    Then the request is refused with status 403
    Given Bea Brett is a member of "Ortsverein Birke"
    And Bea is on the board of "Unterbezirk Eins"
    And Bea is logged in
    When Bea opens the page of the survey for staff
    Then the page opens
