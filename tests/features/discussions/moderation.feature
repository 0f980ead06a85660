Feature: Reporting, hiding with a reason, excluding, flood limits and approval of new guests

  Background:
    Given the demo organisation
    And Sabine Schmidt is a member of "Ortsverein Ahorn"
    And Sabine is staff of "Landesverband Eins"
    And Anna Arndt is a member of "Ortsverein Ahorn"
    And Karl Klein is a member of "Ortsverein Birke"
    And Gustav Gast is a registered guest
    And the debate "Marktplatz" of "Landesverband Eins" for members and guests

  Scenario: Anyone reports a post, a moderator hides it with a reason the author sees
    Given Karl is logged in
    And Gustav is logged in
    And Sabine is logged in
    And Karl has posted "Ihr seid alle Idioten" in "Marktplatz"
    When Gustav reports "Ihr seid alle Idioten" in "Marktplatz" because "Beleidigung"
    Then the audit log holds "discussion:reported"
    When Sabine opens the debate "Marktplatz"
    Then the page says "1-mal gemeldet: Beleidigung"
    When Sabine hides "Ihr seid alle Idioten" in "Marktplatz" because "Beleidigung anderer Teilnehmender"
    Then the audit log holds "discussion:post_hidden"
    When a visitor opens the debate "Marktplatz"
    Then the page does not say "Ihr seid alle Idioten"
    And the page says "Dieser Beitrag wurde von der Moderation ausgeblendet."
    When Karl opens the debate "Marktplatz"
    Then the page says "Von der Moderation ausgeblendet: Beleidigung anderer Teilnehmender"
    When Sabine shows "Ihr seid alle Idioten" in "Marktplatz" again
    Then the audit log holds "discussion:post_shown"
    When a visitor opens the debate "Marktplatz"
    Then the page says "Ihr seid alle Idioten"

  Scenario: A member who is not a moderator cannot hide a post
    Given Karl is logged in
    And Anna is logged in
    And Karl has posted "Meine Meinung" in "Marktplatz"
    When Anna hides "Meine Meinung" in "Marktplatz" because "Gefällt mir nicht"
    Then the request is refused with status 403
    When a visitor opens the debate "Marktplatz"
    Then the page says "Meine Meinung"

  Scenario: A named moderator may hide
    Given Anna is a named moderator of "Marktplatz"
    And Karl is logged in
    And Anna is logged in
    And Karl has posted "Werbung für Schuhe" in "Marktplatz"
    When Anna hides "Werbung für Schuhe" in "Marktplatz" because "Werbung"
    And a visitor opens the debate "Marktplatz"
    Then the page does not say "Werbung für Schuhe"

  Scenario: A moderator excludes an author from the discussion
    Given Karl is logged in
    And Sabine is logged in
    And Karl has posted "Störung" in "Marktplatz"
    When Sabine excludes the author of "Störung" from "Marktplatz" because "Wiederholte Störung"
    Then the audit log holds "discussion:banned"
    When Karl posts "Noch eine Störung" in "Marktplatz"
    Then the request is refused with status 403
    And the page says "Die Moderation hat dich von dieser Diskussion ausgeschlossen. Grund: Wiederholte Störung"
    And "Marktplatz" has 1 post

  Scenario: Flooding is stopped
    Given Anna is logged in
    When Anna posts 7 times in "Marktplatz"
    Then the request is refused with status 429
    And the page says "Du schreibst zu schnell."
    And "Marktplatz" has 6 posts

  Scenario: A new guest is limited more strictly
    Given Gustav is logged in
    When Gustav posts 3 times in "Marktplatz"
    Then the request is refused with status 429
    And "Marktplatz" has 2 posts

  Scenario: A guest's first post waits for approval where the debate asks for it
    Given the debate "Sprechstunde" of "Landesverband Eins" for members and guests, where a guest's first post waits for approval
    And Gustav is logged in
    And Sabine is logged in
    And Gustav has posted "Meine erste Frage" in "Sprechstunde"
    When a visitor opens the debate "Sprechstunde"
    Then the page does not say "Meine erste Frage"
    When Gustav opens the debate "Sprechstunde"
    Then the page says "Meine erste Frage"
    And the page says "Wartet auf Freigabe durch die Moderation"
    When Sabine approves "Meine erste Frage" in "Sprechstunde"
    And a visitor opens the debate "Sprechstunde"
    Then the page says "Meine erste Frage"
    And the audit log holds "discussion:post_approved"
