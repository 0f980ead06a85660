Feature: First start and login
  Stimmwerk greets visitors in German unless they ask for English. Members log in
  with e-mail address and password and land on their overview, which shows the
  units they belong to and the roles they hold.

  Background:
    Given the demo organisation
    And Anna Ahorn is a member of "Ortsverein Ahorn"
    And Anna is on the board of "Ortsverein Ahorn"

  Scenario: A visitor without a language preference gets the German start page
    When a visitor whose browser names no language opens the start page
    Then the page is in German
    And the page says "Willkommen bei Stimmwerk"

  Scenario Outline: The browser's language decides, German is the fallback
    When a visitor whose browser asks for "<languages>" opens the start page
    Then the page is in <language>
    And the page says "<greeting>"

    Examples:
      | languages            | language | greeting                 |
      | de-DE,de;q=0.9       | German   | Willkommen bei Stimmwerk |
      | fr-FR,fr;q=0.9       | German   | Willkommen bei Stimmwerk |
      | en-GB,en;q=0.8       | English  | Welcome to Stimmwerk     |

  Scenario: An English speaker switches the language to English
    Given a visitor whose browser asks for "de-DE,de;q=0.9" is on the start page
    When the visitor switches the language to "English"
    Then the start page is in English
    And the page says "Welcome to Stimmwerk"
    And the language stays English on the login page

  Scenario: A member logs in and sees units and roles
    When Anna logs in with the right password
    Then Anna sees the dashboard
    And the page says "Hallo, Anna Ahorn"
    And the dashboard lists these units of Anna:
      | unit               |
      | Bundesverband      |
      | Landesverband Eins |
      | Unterbezirk Eins   |
      | Ortsverein Ahorn   |
    And the page says "Vorstand: Ortsverein Ahorn"
    And the page does not say "Ortsverein Birke"

  Scenario: A wrong password shows an error and opens no session
    When Anna logs in with a wrong password
    Then the request is refused with status 400
    And the page says "E-Mail-Adresse oder Passwort ist falsch, oder das Konto ist noch nicht aktiviert."
    And Anna's browser holds no session cookie
    And the server holds no session for Anna
    And Anna is not logged in

  Scenario: A guest who has not confirmed the e-mail address cannot log in yet
    Given Gustav Gast registered as a guest but has not confirmed the address
    When Gustav logs in with the right password
    Then the request is refused with status 400
    And the page says "E-Mail-Adresse oder Passwort ist falsch, oder das Konto ist noch nicht aktiviert."
    And the server holds no session for Gustav
    And Gustav is not logged in

  Scenario: Logging out ends the session for good
    Given Anna is logged in
    When Anna logs out
    Then Anna is sent to the login page, which says "Du bist abgemeldet."
    And Anna is not logged in
    And the old session cookie of Anna no longer opens the dashboard
