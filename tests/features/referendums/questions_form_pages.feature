Feature: Staff ask as many questions as the referendum needs
  The form for a new Mitgliederentscheid starts with one question. "Weitere Frage
  hinzufügen" adds an empty block and "Frage entfernen" takes one away, without
  JavaScript: the page comes back with everything typed kept, and nothing is stored
  until the form is saved. A referendum has at most 20 questions (the ballot core's
  limit), and the encrypted ballot must stay small enough to be cast online.

  Background:
    Given the demo organisation
    And Sabine Schmidt is a member of "Ortsverein Dorf"
    And Sabine is staff of "Landesverband Eins"
    And Karla Kern is a member of "Ortsverein Dorf"
    And Karla is on the election commission of "Landesverband Eins"
    And Kai Kurz is a member of "Ortsverein Dorf"
    And Kai is on the election commission of "Landesverband Eins"
    And Sabine is logged in

  Scenario: Staff add and remove questions without losing what they typed
    When Sabine opens the page for a new member referendum
    Then the form has 1 question block
    When Sabine writes "Soll die neue Satzung gelten?" as question 1 and adds another question
    Then the form has 2 question blocks
    And question 1 of the form reads "Soll die neue Satzung gelten?"
    When Sabine writes "Soll der Vorstand kleiner werden?" as question 2 and adds another question
    And Sabine writes "Wo soll der Parteitag stattfinden?" as question 3 and adds another question
    Then the form has 4 question blocks
    And there is no member referendum
    When Sabine removes question 2
    Then the form has 3 question blocks
    And question 2 of the form reads "Wo soll der Parteitag stattfinden?"
    When Sabine completes the form as "Neue Satzung" for "Landesverband Eins" with Karla and Kai as trustees and saves it
    Then Sabine sees the management page of "Neue Satzung"
    And the preview shows the question "Soll die neue Satzung gelten?" with the answers "Ja, Nein, Enthaltung"
    And the preview shows the question "Wo soll der Parteitag stattfinden?" with the answers "Ja, Nein, Enthaltung"
    And the page does not say "Soll der Vorstand kleiner werden?"

  Scenario: Twenty questions are the most a referendum has
    When Sabine saves a new referendum with 20 yes-no questions
    Then Sabine sees the management page of "Viele Fragen"
    And the preview shows the question "Frage 20?" with the answers "Ja, Nein, Enthaltung"

  Scenario: A twenty-first question is refused and nothing is stored
    When Sabine asks for another question on a form with 20 questions
    Then the request is refused with status 400
    And the page says "Ein Mitgliederentscheid hat höchstens 20 Fragen."
    And the form has 20 question blocks
    And question 20 of the form reads "Frage 20?"
    When Sabine saves a new referendum with 21 yes-no questions
    Then the request is refused with status 400
    And the page says "Ein Mitgliederentscheid hat höchstens 20 Fragen."
    And there is no member referendum

  Scenario: A ballot too big to be cast online is refused before anything is stored
    When Sabine saves a new referendum with 20 questions of 10 options each
    Then the request is refused with status 400
    And the page says "Der Stimmzettel wäre zu groß, um online abgegeben zu werden (94 KB, höchstens 64 KB)."
    And there is no member referendum

  Scenario: Staff add a question when they change a prepared referendum
    Given the member referendum "Neue Satzung" of "Landesverband Eins" has been prepared
    When Sabine opens the edit page of "Neue Satzung"
    Then the form has 1 question block
    When Sabine adds another question
    Then the form has 2 question blocks
    And question 1 of the form reads "Soll die Satzung geändert werden?"
    When Sabine writes "Soll der Vorstand kleiner werden?" as question 2 and saves the form
    Then Sabine sees the management page of "Neue Satzung"
    And the preview shows the question "Soll die Satzung geändert werden?" with the answers "Ja, Nein, Enthaltung"
    And the preview shows the question "Soll der Vorstand kleiner werden?" with the answers "Ja, Nein, Enthaltung"
    And the audit log records "referendum:updated"
