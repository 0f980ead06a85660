Feature: Following a discussion, the in-app count, the daily digest and live updates

  Background:
    Given the demo organisation
    And Sabine Schmidt is a member of "Ortsverein Ahorn"
    And Sabine is staff of "Landesverband Eins"
    And Anna Arndt is a member of "Ortsverein Ahorn"
    And Karl Klein is a member of "Ortsverein Birke"
    And the debate "Haushalt" of "Landesverband Eins" for members

  Scenario: New posts in a followed discussion and replies arrive as a count
    Given Anna is logged in
    And Karl is logged in
    And Anna has posted "Wie hoch ist der Etat?" in "Haushalt"
    When Karl replies "Etwa 10.000 Euro." to "Wie hoch ist der Etat?" in "Haushalt"
    And Karl posts "Und die Rücklagen?" in "Haushalt"
    Then Anna has 2 new posts for her
    When Anna opens the debate "Haushalt"
    Then Anna has 0 new posts for her

  Scenario: Following without posting
    Given Anna is logged in
    And Karl is logged in
    When Anna follows "Haushalt"
    And Karl posts "Erster Beitrag" in "Haushalt"
    Then Anna has 1 new post for her

  Scenario: The daily digest, once a day, with an unsubscribe link
    Given Anna is logged in
    And Karl is logged in
    And Anna follows "Haushalt"
    And Karl has posted "Neuer Vorschlag zum Etat" in "Haushalt"
    When the administrator runs "stimmwerk tick"
    Then the command succeeds and reports "discussion digests 1"
    And the e-mail "Neue Beiträge in deinen Diskussionen" to Anna names "Haushalt" and has an unsubscribe link
    When the administrator runs "stimmwerk tick"
    Then the command succeeds and reports "discussion digests 0"
    When Anna unsubscribes with the link in the e-mail "Neue Beiträge in deinen Diskussionen"
    Then the page says "Du bekommst die tägliche Diskussions-E-Mail nicht mehr."
    And the audit log holds "discussion:digest_unsubscribed"

  Scenario: The digest quotes each new post briefly, as plain text, with its link
    Given Anna is logged in
    And Karl is logged in
    And Anna has posted "Wie verteilen wir den Etat?" in "Haushalt"
    And Karl replies "Ich schlage **mehr Geld** für [Radwege](https://example.org/rad) vor." to "Wie verteilen wir den Etat?" in "Haushalt"
    And Karl has posted a post of 80 words in "Haushalt"
    When the administrator runs "stimmwerk tick"
    Then the e-mail "Neue Beiträge in deinen Diskussionen" to Anna says "Antwort auf deinen Beitrag: »Ich schlage mehr Geld für Radwege vor.«"
    And the e-mail "Neue Beiträge in deinen Diskussionen" to Anna links to the post "Ich schlage **mehr Geld** für [Radwege](https://example.org/rad) vor."
    And the e-mail "Neue Beiträge in deinen Diskussionen" to Anna does not say "**"
    And the e-mail "Neue Beiträge in deinen Diskussionen" to Anna does not say "example.org/rad"
    And the e-mail "Neue Beiträge in deinen Diskussionen" to Anna quotes the long post cut after a whole word
    And the e-mail "Neue Beiträge in deinen Diskussionen" to Anna names "Haushalt" and has an unsubscribe link

  Scenario: Members who turned the digest off get none
    Given Anna is logged in
    And Karl is logged in
    And Anna follows "Haushalt"
    When Anna turns off the daily e-mail and shows her full name
    And Karl posts "Noch ein Vorschlag" in "Haushalt"
    And the administrator runs "stimmwerk tick"
    Then Anna receives no e-mail

  Scenario: The open page shows a new reply without a reload
    Given Anna is logged in
    And Karl is logged in
    And Anna has posted "Was meint ihr?" in "Haushalt"
    When Anna keeps the page of "Haushalt" open
    And Karl replies "Gute Frage!" to "Was meint ihr?" in "Haushalt"
    And Anna's open page of "Haushalt" asks for new posts
    Then the page says "Gute Frage!"
