Feature: Everyone reads a member referendum and discusses it
  The page of a Mitgliederentscheid is public: what is decided, the arguments for and
  against, the questions and how many have voted so far (never a partial result).
  Members and guests with an account discuss it below; only members on the voter roll
  get the button to vote, and members registered for postal voting are told so.

  Background:
    Given the demo organisation
    And Sabine Schmidt is a member of "Ortsverein Dorf"
    And Sabine is staff of "Landesverband Eins"
    And Karla Kern is a member of "Ortsverein Dorf"
    And Karla is on the election commission of "Landesverband Eins"
    And Kai Kurz is a member of "Ortsverein Dorf"
    And Kai is on the election commission of "Landesverband Eins"
    And Anna Arndt is a member of "Ortsverein Ahorn"
    And Ben Berg is a member of "Ortsverein Birke"
    And Paul Post is a member of "Ortsverein Ahorn"
    And Paul votes by post
    And Gustav Gast is a registered guest

  Scenario: A visitor reads the referendum without logging in
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is open for voting
    When a visitor opens the page of "Neue Satzung"
    Then the page opens
    And the page says "Neue Satzung"
    And the page says "Die Mitglieder entscheiden über die neue Satzung."
    And the page says "Argumente dafür Die Satzung wird einfacher."
    And the page says "Argumente dagegen Die alte Satzung hat sich bewährt."
    And the page says "Zur Abstimmung geöffnet"
    And the page says "Soll die Satzung geändert werden?"
    And the page says "0 Stimmzettel auf der Anschlagtafel von 3 Stimmberechtigten"
    And the page offers no vote button
    And the page offers to log in to vote, and to activate a login first
    And the page says "Melde dich an, um mitzudiskutieren."

  Scenario: Participation so far shows the number of ballots, not the result
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is open and Anna has voted "Ja"
    When a visitor opens the page of "Neue Satzung"
    Then the page says "1 Stimmzettel auf der Anschlagtafel von 3 Stimmberechtigten"
    And the page does not say "Ergebnis veröffentlicht"

  Scenario: A member on the roll gets the vote button and sees the referendum on the dashboard
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is open for voting
    And Ben is logged in
    When Ben opens the page of "Neue Satzung"
    Then the page offers the vote button
    When Ben looks at his open member referendums
    Then the page says "Neue Satzung"
    And the page says "Jetzt abstimmen"

  Scenario: A member who already got a credential is told so
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is open and Anna has voted "Ja"
    And Anna is logged in
    When Anna looks at her open member referendums
    Then the page says "Du hast deine Berechtigung bereits erhalten."

  Scenario: A postal voter is told to vote by post
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is open for voting
    And Paul is logged in
    When Paul opens the page of "Neue Satzung"
    Then the page offers no vote button
    And the page says "Du stimmst per Briefwahl ab. Deine Unterlagen kommen mit der Post an deine Adresse aus dem Mitgliederverzeichnis."
    When Paul looks at his open member referendums
    Then the page says "Du stimmst per Briefwahl ab. Deine Unterlagen kommen mit der Post"

  Scenario: A guest reads and comments but cannot vote
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is open for voting
    And Gustav is logged in
    When Gustav opens the page of "Neue Satzung"
    Then the page offers no vote button
    And the page says "Gäste können lesen und mitdiskutieren, aber nicht abstimmen."
    When Gustav comments "Ich finde die neue Satzung gut." on "Neue Satzung"
    And a visitor opens the page of "Neue Satzung"
    Then the page says "Gustav G. Gast"
    And the page says "Ich finde die neue Satzung gut."
    And the audit log records "referendum:comment_posted"

  Scenario: Staff hide a comment, and only staff may
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is open for voting
    And Gustav is logged in
    And Gustav has commented "Werbung für etwas ganz anderes" on "Neue Satzung"
    And Anna is logged in
    When Anna hides the comment "Werbung für etwas ganz anderes" on "Neue Satzung"
    Then the request is refused with status 403
    Given Sabine is logged in
    When Sabine hides the comment "Werbung für etwas ganz anderes" on "Neue Satzung"
    And a visitor opens the page of "Neue Satzung"
    Then the page does not say "Werbung für etwas ganz anderes"
    And the audit log records "referendum:comment_hidden"

  Scenario: Comments with HTML are refused, never shown as markup
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is open for voting
    And Anna is logged in
    When Anna comments "<script>alert(1)</script> Meinung" on "Neue Satzung"
    Then the request is refused with status 400
    And the page says "HTML ist in Beiträgen nicht erlaubt."
    And the page shows the comment as text, not as markup
    And there is no comment on "Neue Satzung"

  Scenario: An empty comment is refused
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is open for voting
    And Anna is logged in
    When Anna comments "   " on "Neue Satzung"
    Then the request is refused with status 400
    And the page says "Bitte schreibe etwas, bevor du den Beitrag absendest."
    And there is no comment on "Neue Satzung"

  Scenario: A visitor cannot comment without logging in
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is open for voting
    When a visitor tries to comment "Hallo" on "Neue Satzung"
    Then the visitor is sent to the login page
    And there is no comment on "Neue Satzung"

  Scenario: The list shows every member referendum
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is open for voting
    When a visitor opens the list of member referendums
    Then the page says "Neue Satzung"
    And the page says "Landesverband Eins"

  Scenario: A staff login without a membership is not called a guest
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is open for voting
    And Gustav is staff of "Landesverband Eins"
    And Gustav is logged in
    When Gustav looks at his open member referendums
    Then the page says "Diese Anmeldung gehört zu keiner Mitgliedschaft, daher ist für sie kein Mitgliederentscheid offen."
    And the page does not say "Gäste"
