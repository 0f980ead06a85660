Feature: Results of a member referendum and the election record
  Once the commission has counted, everyone sees per question how many voted online and
  by post, the turnout, whether the quorum was met and whether the result is binding.
  Anyone can download the election record and check it with the independent verifier.

  Background:
    Given the demo organisation
    And Sabine Schmidt is a member of "Ortsverein Dorf"
    And Sabine is staff of "Landesverband Eins"
    And Karla Kern is a member of "Ortsverein Dorf"
    And Karla is on the election commission of "Landesverband Eins"
    And Kai Kurz is a member of "Ortsverein Dorf"
    And Kai is on the election commission of "Landesverband Eins"
    And these members:
      | name        | unit                |
      | Anna Arndt  | Ortsverein Ahorn    |
      | Ben Berg    | Ortsverein Birke    |
      | Cem Cakir   | Ortsverein Chaussee |
      | Dora Dietz  | Ortsverein Ahorn    |
    And Paul Post is a member of "Ortsverein Ahorn"
    And Paul votes by post

  Scenario: Everyone sees the counted result and can verify the record
    Given the member referendum "Neue Satzung" of "Landesverband Eins" with a quorum of 20 % has been counted: Anna and Ben voted "Ja", Cem voted "Nein", and one postal vote "Ja"
    When a visitor opens the results of "Neue Satzung"
    Then the page opens
    And the page says "Das Ergebnis ist verbindlich."
    And the result for "Ja" is 2 online, 1 by post, 3 in total
    And the result for "Nein" is 1 online, 0 by post, 1 in total
    And the result for "Enthaltung" is 0 online, 0 by post, 0 in total
    And the page says "Stimmberechtigt 5 Mitglieder"
    And the page says "Teilgenommen 4 Mitglieder: 3 online und 1 per Briefwahl"
    And the page says "Wahlbeteiligung 80,0 % der Stimmberechtigten haben teilgenommen."
    And the page says "Quorum Erreicht: Mindestens 20 % mussten teilnehmen, 80,0 % haben teilgenommen."
    And the page says "Angenommen: 3 Ja-Stimmen, 1 Nein-Stimme (75,0 % Ja unter den Ja- und Nein-Stimmen)."
    And the page says "Enthaltungen zählen für die Beteiligung, nicht für die Mehrheit."
    And the result for "Ja" has the share "75,0 %"
    And the page shows a chart of question 1 with a text alternative
    When the visitor downloads the results as PDF of "Neue Satzung"
    Then the download is a PDF that says "Angenommen"
    When a visitor opens the page of "Neue Satzung"
    Then the page does not say "Bisherige Beteiligung"
    And the page says "Die Abstimmung ist beendet."
    When the visitor downloads the election record of "Neue Satzung"
    Then the download is a zip file
    And stimmwerk verify accepts the downloaded record

  Scenario: A result below the quorum is not binding
    Given the member referendum "Neue Satzung" of "Landesverband Eins" with a quorum of 50 % has been counted: Anna voted "Ja"
    When a visitor opens the results of "Neue Satzung"
    Then the page says "Das Ergebnis ist nicht verbindlich: Das Quorum wurde nicht erreicht."
    And the page says "Nicht erreicht: Mindestens 50 % hätten teilnehmen müssen, teilgenommen haben nur 20,0 %."
    And the page says "Über die Frage entscheidet das Gremium, das nach der Satzung zuständig ist."
    And the page says "Teilgenommen 1 Mitglied: 1 online und 0 per Briefwahl"

  Scenario: A tie between yes and no is rejected
    Given the member referendum "Neue Satzung" of "Landesverband Eins" with a quorum of 20 % has been counted: Anna voted "Ja", Cem voted "Nein"
    When a visitor opens the results of "Neue Satzung"
    Then the page says "Abgelehnt: 1 Ja-Stimme, 1 Nein-Stimme (50,0 % Ja unter den Ja- und Nein-Stimmen)."

  Scenario: There are no results before the count
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is open and Anna has voted "Ja"
    When a visitor opens the results of "Neue Satzung"
    Then the request is refused with status 404
    When the visitor downloads the election record of "Neue Satzung"
    Then the request is refused with status 404
    When the visitor downloads the results as PDF of "Neue Satzung"
    Then the request is refused with status 404
