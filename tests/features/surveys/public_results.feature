Feature: Everyone reads a survey's results once they are published, without a login
  The survey record is public so that anyone can check the result; the results page
  that sums it up is public too, like a referendum's result. Before the close nobody
  sees figures, unless the staff chose live results; free-text answers are listed only
  after the close. A draft has no results page at all.

  Background:
    Given the demo organisation
    And Sonja Stab is a member of "Unterbezirk Eins"
    And Sonja is staff of "Unterbezirk Eins"
    And Bernd Birke is a member of "Ortsverein Birke"

  Scenario: After the close a visitor without a login reads the results, the free texts and the downloads
    Given Sonja has built and opened a survey with a condition
    When Bernd answers the survey on its page
    And a visitor without a login opens the results
    Then the page says "Die Ergebnisse werden nach dem Ende der Befragung gezeigt."
    And the results show no figures
    When Sonja confirms and closes the survey
    And a visitor without a login opens the results
    Then the results show 1 member answer with a chart and a table for question 1
    And the results link the XLSX export and the survey record
    When a visitor without a login searches the free-text answers of question 4 for "schnell"
    Then 1 free-text answer is listed

  Scenario: With live results a visitor sees the interim figures, but no free texts before the close
    Given Sonja has built and opened a survey with a condition and live results
    When Bernd answers the survey on its page
    And a visitor without a login opens the results
    Then the page says "Zwischenstand: Die Befragung läuft noch."
    When a visitor without a login searches the free-text answers of question 4 for "schnell"
    Then no free-text answers are listed

  Scenario: A draft has no results page
    Given Sonja has built a survey with a condition
    When a visitor without a login opens the results
    Then the request is refused with status 404
