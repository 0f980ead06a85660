Feature: Help, Impressum, Datenschutzhinweis and accessibility statement
  Every installation is run by someone who must say who they are, what is stored and how
  accessible the pages are. The operator fills these pages in from the settings; the
  registration form links the privacy notice it asks people to confirm. A short help
  page explains voting in plain language. The start page promises only what is there.

  Scenario: A visitor finds the operator, the privacy notice and the accessibility statement
    Given the operator has filled in the legal pages
    When a visitor opens the start page
    Then the page links "Impressum", "Datenschutzhinweis", "Erklärung zur Barrierefreiheit" and "Hilfe"
    And the page does not say "Befragungen"
    When a visitor opens "/impressum"
    Then the page says "SPD Landesverband Eins"
    And the page says "Musterstraße 1"
    And the page says "E-Mail: info@example.org"
    When a visitor opens "/datenschutz"
    Then the page says "Wer verantwortlich ist SPD Landesverband Eins"
    And the page says "Wie du abgestimmt hast, wird nicht gespeichert"
    And the page says "Zuständig ist: Die Landesbeauftragte für den Datenschutz"
    When a visitor opens "/barrierefreiheit"
    Then the page says "SPD Landesverband Eins möchte, dass alle Stimmwerk nutzen können."
    And the page says "barrierefrei@example.org"

  Scenario: Pages the operator has not filled in say so instead of inventing anything
    When a visitor opens "/impressum"
    Then the page opens
    And the page says "Der Betreiber dieser Installation hat diese Seite noch nicht ausgefüllt."

  Scenario: The registration form links the privacy notice it asks to confirm
    When a visitor opens "/register"
    Then the page links "Datenschutzhinweis lesen" to "/datenschutz"

  Scenario: The help page explains voting in short sentences
    When a visitor opens "/hilfe"
    Then the page says "Du kannst nur einmal abstimmen. Niemand kann sehen, wie du abgestimmt hast."
    And the page says "Wer per Briefwahl abstimmt, stimmt nicht online ab."
    And no sentence of the help page has more than 20 words
