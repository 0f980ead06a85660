Feature: Anyone may read and discuss an initiative on its page; guests never sign
  Background:
    Given the demo organisation
    And these members:
      | name        | unit             |
      | Anna Albers | Ortsverein Ahorn |
    And the initiative "Mehr Mitbestimmung" of "Unterbezirk Eins" is open for signing

  Scenario: A guest discusses on the initiative page but cannot sign; a member answers there
    Given Gustav Gast is a registered guest
    And Gustav is logged in
    And Anna is logged in
    When Gustav posts "Wie wird das finanziert?" on the page of "Mehr Mitbestimmung"
    Then the page of "Mehr Mitbestimmung" shows the post "Wie wird das finanziert?"
    When Gustav opens the initiative "Mehr Mitbestimmung"
    Then the page says "Wie wird das finanziert?"
    And the page says "Nur Mitglieder dieser Gliederung können unterschreiben."
    And the page offers no signing button
    When Anna posts "Aus dem Mitgliedsbeitrag." on the page of "Mehr Mitbestimmung"
    Then the page of "Mehr Mitbestimmung" shows the post "Aus dem Mitgliedsbeitrag."
    When the visitor opens the initiative "Mehr Mitbestimmung"
    Then the page says "Wie wird das finanziert?"
    And the page says "Melde dich an, um mitzudiskutieren."

  Scenario: An empty post is refused and nothing is stored
    Given Anna is logged in
    When Anna posts "" on the page of "Mehr Mitbestimmung"
    Then the request is refused with status 400
    And the discussion of "Mehr Mitbestimmung" has no posts
