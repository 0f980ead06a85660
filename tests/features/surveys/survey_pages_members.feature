Feature: Members answer a survey on its page, and everyone reads the results
  The answer page shows every question, locked until the member's browser holds an
  anonymous survey credential; its inputs have no names, so nothing is ever sent in the
  clear. The answer goes without the login, signed with the credential key. Whoever may
  not answer is told why on the page; the server refuses what breaks a rule, saying
  which question, and stores nothing.

  Background:
    Given the demo organisation
    And Sonja Stab is a member of "Unterbezirk Eins"
    And Sonja is staff of "Unterbezirk Eins"
    And Anna Ahorn is a member of "Ortsverein Ahorn"
    And Bernd Birke is a member of "Ortsverein Birke"
    And Carla Chaussee is a member of "Ortsverein Chaussee"
    And Gustav Gast is a registered guest
    And Sonja has built and opened a survey with a condition

  Scenario: A member finds the survey on the dashboard and gets the answer page
    Given Anna is logged in
    When Anna opens her surveys on the dashboard
    Then the page lists the survey "Digitale Parteiarbeit"
    When Anna opens the survey
    Then the page shows question 2 with the note "Nur gefragt, wenn Frage 1 mit „Ja“ beantwortet wurde."
    And no input of the answer page has a name
    And the questions are locked until the browser holds a credential

  Scenario Outline: Who may not answer is told so on the page
    Given <name> is logged in
    When <name> opens the survey
    Then the page says "<message>"
    And the page shows no questions

    Examples:
      | name   | message                                                                                    |
      | Carla  | Du bist nicht Mitglied der Gliederung, die diese Befragung stellt.                         |
      | Gustav | Diese Befragung richtet sich nur an Mitglieder. Wer mitentscheiden will, muss Mitglied sein. |

  Scenario Outline: An answer that breaks a rule is refused with a clear message, and nothing is stored
    When Bernd answers with <mistake>
    Then the answer is refused, saying "<message>"
    And no answer is stored

    Examples:
      | mistake                                   | message                                                       |
      | a reason although question 1 is "Nein"    | q2: this question is not asked (its condition is false)       |
      | three topics where at most two are allowed | q3: choose at most 2                                         |
      | a text of 301 characters                  | q4: text longer than 300 characters                           |

  Scenario: A question asked on one of several answers is answered only after one of them
    Given Sonja has built and opened a survey asking question 2 only if question 1 is "Ja" or "Enthaltung"
    When Bernd answers question 1 with "abstain" and gives a reason
    Then the answer is accepted
    When Anna answers question 1 with "no" and gives a reason
    Then the answer is refused, saying "q2: this question is not asked (its condition is false)"
    And 1 answer is stored

  Scenario: A second answer is refused and only the first one counts
    When Anna answers the survey on its page
    And Anna sends a second answer with the same credential
    Then the answer is refused, saying "Mit diesem Zugang wurde diese Befragung schon beantwortet."
    And 1 answer is stored
    And Anna's receipt, looked up without a login, says it waits for its batch

  Scenario: A member keeps her receipt, and it checks against the published record
    When Bernd answers the survey on its page
    Then Bernd's receipt, looked up without a login, says it waits for its batch
    When Sonja confirms and closes the survey
    And Bernd saves his receipt, looked up without a login
    Then the saved receipt holds nothing about Bernd
    And the survey record, checked with Bernd's saved receipt, verifies
    When Bernd opens the survey
    Then the page tells him, for a browser without JavaScript, where to fetch his receipt

  Scenario: Guests answer where they are asked, and are counted apart and labelled
    Given Sonja has built and opened a survey with a condition that also asks guests
    And Gustav is logged in
    When Gustav opens the survey
    Then the page says "Du antwortest als Gast (Interessierte): Deine Antworten werden getrennt von denen der Mitglieder gezählt"
    When Gustav answers the survey on its page
    And Anna answers the survey on its page
    And Sonja confirms and closes the survey
    And Gustav opens the results
    Then the results show 1 member answer and, apart, 1 guest answer under "Gäste (Interessierte), getrennt gezählt"

  Scenario: After the close nobody answers, and the results page shows counts, charts and downloads
    Given Anna has fetched her credential
    When Bernd answers the survey on its page
    And Sonja confirms and closes the survey
    And Anna answers with the credential she fetched
    Then the answer is refused, saying "Diese Befragung ist beendet; Antworten werden nicht mehr angenommen."
    And 1 answer is stored
    When Anna opens the survey
    Then the page says "Diese Befragung ist beendet; Antworten werden nicht mehr angenommen."
    And the page says "geschlossen am"
    And Bernd's receipt, looked up without a login, says it is on the board at place 1
    When Anna opens the results
    Then the results show 1 member answer with a chart and a table for question 1
    And the results link the XLSX export and the survey record
    When Anna searches the free-text answers of question 4 for "schnell"
    Then 1 free-text answer is listed
