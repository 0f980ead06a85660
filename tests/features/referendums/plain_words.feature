Feature: Words and times a member understands
  More than half of the members are over 60. Pages and mails say times the way people
  say them ("Freitag, 18. Dezember 2026, 18:00 Uhr", German time), never as machine
  timestamps; the quorum is said in full; counts read "1 Mitglied", not "1 Mitglieder".

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
    And Paul Post is a member of "Ortsverein Ahorn"
    And Paul votes by post

  Scenario: No page of an open vote shows a machine timestamp
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is open and Anna has voted "Ja"
    And Anna is logged in
    And Sabine is logged in
    When Anna opens the pages of "Neue Satzung" a member reads
    And Sabine opens the management page of "Neue Satzung"
    Then no page shows a time as ISO 8601 or in UTC
    And the page of "Neue Satzung" says when voting ends in words
    And the page of "Neue Satzung" says "Das Ergebnis ist gültig, wenn mindestens 20 % der Stimmberechtigten teilnehmen."

  Scenario: No page of a counted vote shows a machine timestamp
    Given the member referendum "Neue Satzung" of "Landesverband Eins" with a quorum of 20 % has been counted: Anna voted "Ja"
    And Anna is logged in
    When Anna opens the pages of "Neue Satzung" a member reads
    And a visitor opens the results of "Neue Satzung"
    Then no page shows a time as ISO 8601 or in UTC

  Scenario: The invitation and the reminder give the end of voting in words
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is ready to open
    When the scheduler opens the vote and later sends the reminders
    Then Anna receives the invitation and the reminder
    And no mail shows a time as ISO 8601 or in UTC
    And every mail to Anna says when voting ends in words

  Scenario: Only someone who can vote online is promised a receipt
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is open for voting
    And Paul is logged in
    And Anna is logged in
    When Paul opens the vote page of "Neue Satzung"
    Then the page does not say "Quittung"
    And the page says "Du stimmst per Brief ab."
    When Anna opens the vote page of "Neue Satzung"
    Then the page says "Nach der Abstimmung bekommst du eine Quittung"
