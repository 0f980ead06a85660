Feature: Staff or board of a unit open debates for its members, or for members and guests
  A debate has a title, an opening text and is open until a date or open-ended. It is
  listed on the unit's page and on the dashboard of everyone who may take part.

  Background:
    Given the demo organisation
    And Sabine Schmidt is a member of "Ortsverein Ahorn"
    And Sabine is staff of "Landesverband Eins"
    And Anna Arndt is a member of "Ortsverein Ahorn"
    And Ben Berg is a member of "Ortsverein Dorf"
    And Gustav Gast is a registered guest

  Scenario: Staff open a debate for members and guests; it is listed for those who may take part
    Given Sabine is logged in
    When Sabine opens the debate "Zukunft des Verbands" in "Landesverband Eins" for members and guests until next week
    Then the page says "Zukunft des Verbands"
    And the page says "Lasst uns über die Zukunft reden."
    And the page says "Mitglieder und Gäste"
    And the audit log holds "discussion:opened"
    Given Anna is logged in
    When Anna opens the page of "Landesverband Eins"
    Then the page says "Zukunft des Verbands"
    When Anna looks at her dashboard
    Then the page says "Zukunft des Verbands"
    Given Gustav is logged in
    When Gustav looks at his dashboard
    Then the page says "Zukunft des Verbands"
    Given Ben is logged in
    When Ben looks at his dashboard
    Then the page does not say "Zukunft des Verbands"

  Scenario: A debate for members only is not on a guest's dashboard
    Given the debate "Nur für Mitglieder" of "Landesverband Eins" for members
    And Gustav is logged in
    And Anna is logged in
    When Gustav looks at his dashboard
    Then the page does not say "Nur für Mitglieder"
    When Anna looks at her dashboard
    Then the page says "Nur für Mitglieder"

  Scenario: An open-ended debate
    Given Sabine is logged in
    When Sabine opens the debate "Dauerthema" in "Landesverband Eins" for members until further notice
    Then the page says "Offen bis ohne Enddatum"

  Scenario: A member without a role cannot open a debate
    Given Anna is logged in
    When Anna opens the debate "Meine Debatte" in "Landesverband Eins" for members until next week
    Then the request is refused with status 404
    And no debate "Meine Debatte" exists

  Scenario: A debate without a title is refused
    Given Sabine is logged in
    When Sabine opens the debate " " in "Landesverband Eins" for members until next week
    Then the request is refused with status 400
    And the page says "Bitte gib einen Titel mit höchstens 200 Zeichen ein."

  Scenario: Posting to a closed debate is refused
    Given the debate "Vorbei" of "Landesverband Eins" for members and guests
    And the debate "Vorbei" ended yesterday
    And Anna is logged in
    When Anna posts "Noch ein Gedanke" in "Vorbei"
    Then the request is refused with status 409
    And the page says "Diese Diskussion ist geschlossen. Neue Beiträge sind nicht mehr möglich."
    And "Vorbei" has 0 posts
