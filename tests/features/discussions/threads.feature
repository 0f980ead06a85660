Feature: Threads with replies, quotes, edits, tombstones, agreement markers, sorting and paging

  Background:
    Given the demo organisation
    And Sabine Schmidt is a member of "Ortsverein Ahorn"
    And Sabine is staff of "Landesverband Eins"
    And Anna Arndt is a member of "Ortsverein Ahorn"
    And Karl Klein is a member of "Ortsverein Birke"
    And Gustav Gast is a registered guest
    And the debate "Radverkehr" of "Landesverband Eins" for members and guests

  Scenario: A member replies to a post and quotes it
    Given Anna is logged in
    And Karl is logged in
    And Anna has posted "Wir brauchen mehr Radwege." in "Radverkehr"
    When Karl replies "Ja, vor allem an der Schule." to "Wir brauchen mehr Radwege." in "Radverkehr" quoting it
    And Anna opens the debate "Radverkehr"
    Then "Ja, vor allem an der Schule." is shown as a reply to "Wir brauchen mehr Radwege."
    And the page says "Anna Arndt schrieb: Wir brauchen mehr Radwege."

  Scenario: A reply to a reply stays in the thread of the first post
    Given Anna is logged in
    And Karl is logged in
    And Anna has posted "Erster Gedanke" in "Radverkehr"
    And Karl replies "Zweiter Gedanke" to "Erster Gedanke" in "Radverkehr"
    When Anna replies "Dritter Gedanke" to "Zweiter Gedanke" in "Radverkehr"
    And Anna opens the debate "Radverkehr"
    Then "Dritter Gedanke" is shown as a reply to "Erster Gedanke"

  Scenario: The author edits a post within the edit window and it is marked as edited
    Given Anna is logged in
    And Anna has posted "Radwege sind gut." in "Radverkehr"
    When Anna edits "Radwege sind gut." in "Radverkehr" to "Radwege sind sehr gut."
    And Anna opens the debate "Radverkehr"
    Then the page says "Radwege sind sehr gut."
    And the page says "(bearbeitet)"
    And the audit log holds "discussion:edited"

  Scenario: Editing after the edit window is refused
    Given Anna is logged in
    And Anna posted "Alte Meinung" in "Radverkehr" 20 minutes ago
    When Anna edits "Alte Meinung" in "Radverkehr" to "Neue Meinung"
    Then the request is refused with status 409
    And the page says "Beiträge können nur innerhalb von 15 Minuten nach dem Absenden bearbeitet werden."
    And the stored post still reads "Alte Meinung"

  Scenario: Editing someone else's post is refused
    Given Anna is logged in
    And Karl is logged in
    And Anna has posted "Meine Meinung" in "Radverkehr"
    When Karl edits "Meine Meinung" in "Radverkehr" to "Karls Meinung"
    Then the request is refused with status 403
    And the page says "Du kannst nur deine eigenen Beiträge ändern."
    And the stored post still reads "Meine Meinung"

  Scenario: Deleting one's own post leaves a tombstone and keeps the replies
    Given Anna is logged in
    And Karl is logged in
    And Anna has posted "Das nehme ich zurück." in "Radverkehr"
    And Karl replies "Wieso?" to "Das nehme ich zurück." in "Radverkehr"
    When Anna deletes "Das nehme ich zurück." in "Radverkehr"
    And Karl opens the debate "Radverkehr"
    Then the page does not say "Das nehme ich zurück."
    And the page says "Dieser Beitrag wurde von der Verfasserin oder dem Verfasser gelöscht."
    And the page says "Wieso?"
    And the audit log holds "discussion:deleted"

  Scenario: Agreement markers, one per account
    Given Anna is logged in
    And Karl is logged in
    And Gustav is logged in
    And Sabine is logged in
    And Anna has posted "Tempo 30 überall" in "Radverkehr"
    When Karl marks "Tempo 30 überall" in "Radverkehr" as dafür
    And Gustav marks "Tempo 30 überall" in "Radverkehr" as dagegen
    And Sabine marks "Tempo 30 überall" in "Radverkehr" as neutral
    And Karl marks "Tempo 30 überall" in "Radverkehr" as dafür
    And Karl marks "Tempo 30 überall" in "Radverkehr" as dagegen
    And Anna opens the debate "Radverkehr"
    Then the post "Tempo 30 überall" shows 0 for, 2 against and 1 neutral

  Scenario: Sorting by newest, oldest and most agreed
    Given Anna is logged in
    And Karl is logged in
    And Anna has posted "Früher Beitrag" in "Radverkehr"
    And Anna has posted "Später Beitrag" in "Radverkehr"
    When Karl marks "Früher Beitrag" in "Radverkehr" as dafür
    And Karl opens page 1 of "Radverkehr" sorted by newest
    Then "Später Beitrag" comes before "Früher Beitrag"
    When Karl opens page 1 of "Radverkehr" sorted by oldest
    Then "Früher Beitrag" comes before "Später Beitrag"
    When Karl opens page 1 of "Radverkehr" sorted by agreed
    Then "Früher Beitrag" comes before "Später Beitrag"

  Scenario: Long debates are paged
    Given 25 posts "Gedanke <n>" are in "Radverkehr"
    And Anna is logged in
    When Anna opens page 2 of "Radverkehr" sorted by oldest
    Then the page says "Seite 2 von 2"
    And the page says "Gedanke 21"
    And the page does not say "Gedanke 20 "

  Scenario: New posts since the last visit are marked
    Given Anna is logged in
    And Karl is logged in
    And Karl has posted "Schon gesehen" in "Radverkehr"
    And Anna opens the debate "Radverkehr"
    And Karl has posted "Ganz frisch" in "Radverkehr"
    When Anna opens the debate "Radverkehr"
    Then the post "Ganz frisch" is marked new
    And the post "Schon gesehen" is not marked new

  Scenario: An empty or over-long post is refused
    Given Anna is logged in
    When Anna posts "   " in "Radverkehr"
    Then the request is refused with status 400
    And the page says "Bitte schreibe etwas, bevor du den Beitrag absendest."
    When Anna posts 5001 characters in "Radverkehr"
    Then the request is refused with status 400
    And the page says "Ein Beitrag darf höchstens 5.000 Zeichen haben."
    And "Radverkehr" has 0 posts
