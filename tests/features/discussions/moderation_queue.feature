Feature: The moderation queue, named moderators and lifting exclusions
  Moderators (staff or board of the unit, or named moderators) find what waits for them
  in one place: reported posts with the reasons and how often, and the first posts of new
  guests held for approval. They act there. Staff and board of the unit name further
  moderators and lift exclusions. Every step is in the audit log.

  Background:
    Given the demo organisation
    And Sabine Schmidt is a member of "Ortsverein Ahorn"
    And Sabine is staff of "Landesverband Eins"
    And Anna Arndt is a member of "Ortsverein Ahorn"
    And Karl Klein is a member of "Ortsverein Birke"
    And Otto Ost is a member of "Ortsverein Dorf"
    And Otto is staff of "Landesverband Zwei"
    And Gustav Gast is a registered guest
    And the debate "Marktplatz" of "Landesverband Eins" for members and guests, where a guest's first post waits for approval

  Scenario: A moderator sees reported and held posts with the reasons and acts in the queue
    Given Karl is logged in
    And Anna is logged in
    And Gustav is logged in
    And Sabine is logged in
    And Karl has posted "Ihr habt doch alle keine Ahnung" in "Marktplatz"
    And Anna reports "Ihr habt doch alle keine Ahnung" in "Marktplatz" because "Beleidigend"
    And Gustav has posted "Darf ich als Gast mitreden?" in "Marktplatz"
    When Sabine opens the moderation queue
    Then the page says "Gemeldete Beiträge (1)"
    And the page says "1-mal gemeldet: Beleidigend"
    And the page says "Ihr habt doch alle keine Ahnung"
    And the page says "Darf ich als Gast mitreden?"
    And the page says "Beiträge, die auf Freigabe warten (1)"
    When Sabine approves "Darf ich als Gast mitreden?" in the moderation queue
    Then the page says "Es wartet kein Beitrag auf Freigabe."
    And the audit log holds "discussion:post_approved"
    When Sabine hides "Ihr habt doch alle keine Ahnung" in the moderation queue because "Bitte sachlich bleiben"
    Then the page says "Keine gemeldeten Beiträge."
    And the audit log holds "discussion:post_hidden"
    When a visitor opens the debate "Marktplatz"
    Then the page says "Darf ich als Gast mitreden?"
    And the page does not say "Ihr habt doch alle keine Ahnung"

  Scenario: A moderator dismisses a report that is unfounded
    Given Karl is logged in
    And Anna is logged in
    And Sabine is logged in
    And Karl has posted "Ich bin anderer Meinung" in "Marktplatz"
    And Anna reports "Ich bin anderer Meinung" in "Marktplatz" because "Passt mir nicht"
    When Sabine dismisses the reports of "Ich bin anderer Meinung" in the moderation queue
    Then the page says "Keine gemeldeten Beiträge."
    And the audit log holds "discussion:report_dismissed"
    When a visitor opens the debate "Marktplatz"
    Then the page says "Ich bin anderer Meinung"

  Scenario: Hiding without a reason is refused in the queue
    Given Karl is logged in
    And Anna is logged in
    And Sabine is logged in
    And Karl has posted "Grenzwertig" in "Marktplatz"
    And Anna reports "Grenzwertig" in "Marktplatz" because "Unsachlich"
    When Sabine hides "Grenzwertig" in the moderation queue because ""
    Then the request is refused with status 400
    And the page says "Bitte gib einen Grund an (höchstens 500 Zeichen)."
    And the page says "1-mal gemeldet: Unsachlich"
    And the audit log does not hold "discussion:post_hidden"

  Scenario: A moderator excludes an author in the queue, who then sees why
    Given Karl is logged in
    And Anna is logged in
    And Sabine is logged in
    And Karl has posted "Kauft meine Schuhe" in "Marktplatz"
    And Anna reports "Kauft meine Schuhe" in "Marktplatz" because "Werbung"
    When Sabine excludes the author of "Kauft meine Schuhe" in the moderation queue because "Wiederholte Werbung"
    Then the audit log holds "discussion:banned"
    When Karl opens the debate "Marktplatz"
    Then the page says "Die Moderation hat dich von dieser Diskussion ausgeschlossen. Grund: Wiederholte Werbung"
    When Karl posts "Sonderangebot" in "Marktplatz"
    Then the request is refused with status 403
    And the page says "Grund: Wiederholte Werbung"
    And "Marktplatz" has 1 post

  Scenario: The author of a hidden post sees the reason, everyone else a neutral note
    Given Karl is logged in
    And Anna is logged in
    And Sabine is logged in
    And Karl has posted "Alles Lügner hier" in "Marktplatz"
    When Sabine hides "Alles Lügner hier" in "Marktplatz" because "Unterstellung"
    And Karl opens the debate "Marktplatz"
    Then the page says "Von der Moderation ausgeblendet: Unterstellung"
    When Anna opens the debate "Marktplatz"
    Then the page says "Dieser Beitrag wurde von der Moderation ausgeblendet."
    And the page does not say "Unterstellung"
    And the page does not say "Alles Lügner hier"

  Scenario: A member who moderates nothing cannot open the queue
    Given Anna is logged in
    When Anna opens the moderation queue
    Then the request is refused with status 403
    And the page says "Nur die Moderation einer Diskussion sieht ihre Moderationsliste."
    When Anna opens the moderation page of "Marktplatz"
    Then the request is refused with status 403

  Scenario: Staff of another unit see nothing of this debate's queue and cannot act
    Given Karl is logged in
    And Anna is logged in
    And Otto is logged in
    And Karl has posted "Streit" in "Marktplatz"
    And Anna reports "Streit" in "Marktplatz" because "Provokation"
    When Otto opens the moderation queue
    Then the page says "Keine gemeldeten Beiträge."
    And the page does not say "Streit"
    When Otto opens the moderation page of "Marktplatz"
    Then the request is refused with status 403
    When Otto hides "Streit" in "Marktplatz" because "Provokation"
    Then the request is refused with status 403
    And the audit log does not hold "discussion:post_hidden"

  Scenario: Staff name a moderator, who then moderates, and remove them again
    Given Anna is logged in
    And Karl is logged in
    And Sabine is logged in
    And Karl has posted "Off topic" in "Marktplatz"
    When Sabine names Anna as a moderator of "Marktplatz"
    Then the audit log holds "discussion:moderator_named"
    And the page says "Anna Arndt"
    When Anna opens the moderation page of "Marktplatz"
    Then the page opens
    When Anna hides "Off topic" in "Marktplatz" because "Nicht zum Thema"
    Then the audit log holds "discussion:post_hidden"
    When Sabine removes Anna as a moderator of "Marktplatz"
    Then the audit log holds "discussion:moderator_removed"
    When Anna opens the moderation page of "Marktplatz"
    Then the request is refused with status 403

  Scenario: Naming a moderator by an address without an account is refused
    Given Sabine is logged in
    When Sabine names "niemand@example.org" as a moderator of "Marktplatz"
    Then the request is refused with status 400
    And the page says "Zu dieser E-Mail-Adresse gibt es kein aktives Konto."
    And the audit log does not hold "discussion:moderator_named"

  Scenario: A named moderator may not name others or lift exclusions
    Given Anna is a named moderator of "Marktplatz"
    And Karl is logged in
    And Anna is logged in
    And Karl has posted "Störung" in "Marktplatz"
    And Anna excludes the author of "Störung" from "Marktplatz" because "Störung"
    When Anna names Gustav as a moderator of "Marktplatz"
    Then the request is refused with status 403
    And the page says "Nur Mitarbeitende und Vorstand der Gliederung der Diskussion können Moderatorinnen und Moderatoren benennen und Ausschlüsse aufheben."
    When Anna lifts the exclusion of Karl from "Marktplatz"
    Then the request is refused with status 403
    And Karl is still excluded from "Marktplatz"

  Scenario: Staff lift an exclusion and the member may post again
    Given Karl is logged in
    And Sabine is logged in
    And Karl has posted "Störung" in "Marktplatz"
    And Sabine excludes the author of "Störung" from "Marktplatz" because "Störung"
    When Sabine lifts the exclusion of Karl from "Marktplatz"
    Then the audit log holds "discussion:unbanned"
    And the page says "Niemand ist ausgeschlossen."
    When Karl posts "Entschuldigung" in "Marktplatz"
    Then "Marktplatz" has 2 posts
