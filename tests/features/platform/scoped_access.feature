Feature: Member data only within one's own area
  Party membership is special-category data. The board of an Ortsverein sees the
  members of its Ortsverein, staff of a sub-district the members of every Ortsverein
  below it, and nobody else sees anything but their own data. Every look at the
  member register by an official is written to the audit log.

  Background:
    Given the demo organisation
    And these members:
      | name            | unit                |
      | Anna Ahorn      | Ortsverein Ahorn    |
      | Paul Pappel     | Ortsverein Ahorn    |
      | Bernd Birke     | Ortsverein Birke    |
      | Clara Chaussee  | Ortsverein Chaussee |
      | Ulla Ulme       | Unterbezirk Eins    |
    And Anna is on the board of "Ortsverein Ahorn"
    And Ulla is staff of "Unterbezirk Eins"

  Scenario: The board of an Ortsverein sees its own members
    Given Anna is logged in
    When Anna opens the member list of "Ortsverein Ahorn"
    Then the page opens
    And the list shows exactly these members:
      | name          |
      | Ahorn, Anna   |
      | Pappel, Paul  |
    When Anna opens the member record of Paul
    Then the page opens
    And the page shows the membership number of Paul

  Scenario Outline: Nobody sees member data outside their area
    Given <reader> is logged in
    When <reader> opens <what>
    Then the request is refused with status <status>
    And the page shows no member data

    Examples: the board of Ortsverein Ahorn looks at Ortsverein Birke
      | reader | what                                 | status |
      | Anna   | the member list of "Ortsverein Birke" | 403    |
      | Anna   | the member record of Bernd           | 404    |
      | Anna   | the member list of "Unterbezirk Eins" | 403    |

    Examples: staff of Unterbezirk Eins looks at Unterbezirk Zwei
      | reader | what                                    | status |
      | Ulla   | the member list of "Ortsverein Chaussee" | 403    |
      | Ulla   | the member record of Clara              | 404    |

    Examples: an ordinary member looks at others
      | reader | what                                 | status |
      | Paul   | the member list of "Ortsverein Ahorn" | 403    |
      | Paul   | the member record of Anna            | 404    |

  Scenario: Staff of a sub-district sees every Ortsverein below it
    Given Ulla is logged in
    When Ulla opens the member list of "Unterbezirk Eins"
    Then the page opens
    And the list shows exactly these members:
      | name          |
      | Ahorn, Anna   |
      | Birke, Bernd  |
      | Pappel, Paul  |
      | Ulme, Ulla    |
    When Ulla opens the member list of "Ortsverein Birke"
    Then the page opens
    And the page says "1 Mitglied, Seite 1 von 1"
    When Ulla opens the member record of Anna
    Then the page opens

  Scenario: A guest sees no member data at all
    Given Gustav Gast is a registered guest
    And Gustav is logged in
    When Gustav opens the member list of "Ortsverein Ahorn"
    Then the request is refused with status 403
    And the page shows no member data
    When Gustav opens the member record of Anna
    Then the request is refused with status 404
    And the page shows no member data
    When Gustav opens his own data page
    Then the page opens
    And the page does not say "Mitgliedsnummer"

  Scenario: An ordinary member sees their own data
    Given Paul is logged in
    When Paul opens his own data page
    Then the page opens
    And the page shows the membership number of Paul
    And the page says "Ortsverein Ahorn"
    And the page shows no member data of anyone else

  Scenario: Every look at the member register by an official is recorded
    Given Anna is logged in
    When Anna opens the member list of "Ortsverein Ahorn"
    And Anna opens the member list of "Ortsverein Ahorn"
    And Anna opens the member record of Paul
    And Anna opens the member list of "Ortsverein Birke"
    Then the audit log holds exactly these entries about Anna reading member data:
      | action         | object                  |
      | members:listed | unit Ortsverein Ahorn   |
      | members:listed | unit Ortsverein Ahorn   |
      | member:viewed  | member Paul             |
