Feature: Voting online in a member vote
  Members of the Landesverband vote in their browser. The browser fetches a one-time
  voting credential with the member's login, encrypts the ballot itself and casts it
  without the login, so the ballot cannot be linked to the member. The receipt shows
  that the ballot is on the public bulletin board.

  Background:
    Given the demo organisation
    And these members:
      | name        | unit             |
      | Anna Albers | Ortsverein Ahorn |
      | Ben Berger  | Ortsverein Birke |
      | Dora Dorfer | Ortsverein Dorf  |
      | Paul Post   | Ortsverein Ahorn |
    And Paul votes by post
    And the member vote of "Landesverband Eins" is open

  Scenario: A member votes and finds the receipt on the bulletin board
    Given Anna is logged in
    When Anna opens the vote page
    Then the page shows the ballot with the question "Soll die Satzung geändert werden?"
    And the page says "Du kannst deine Quittung jederzeit auf der öffentlichen Anschlagtafel prüfen"
    When Anna votes "yes" in her browser
    Then Anna gets a receipt that checks against the signed checkpoint
    And Anna finds her ballot hash on the bulletin board
    And looking up Anna's receipt on the bulletin board shows her ballot at its index with the inclusion proof

  Scenario: Without logging in there is no credential
    When a visitor asks for a voting credential
    Then the answer is "login_required" with status 401
    When a visitor opens the vote page
    Then the visitor is sent to the login page

  Scenario: A guest cannot vote
    Given Gina Gast is a registered guest
    And Gina is logged in
    When Gina opens the vote page
    Then the page says "Nur Mitglieder können abstimmen"
    And the page shows no ballot
    When Gina asks for a voting credential
    Then the answer is "not_eligible" with status 403

  Scenario: A member of another unit is not on the voter roll
    Given Dora is logged in
    When Dora opens the vote page
    Then the page says "Du stehst nicht im Stimmverzeichnis dieses Mitgliederentscheids"
    And the page shows no ballot
    When Dora asks for a voting credential
    Then the answer is "not_eligible" with status 403

  Scenario: A postal voter votes by post
    Given Paul is logged in
    When Paul opens the vote page
    Then the page says "Du stimmst per Brief ab"
    And the page shows no ballot
    When Paul asks for a voting credential
    Then the answer is "postal_voter" with status 403

  Scenario: A credential request without the page's token is refused
    Given Anna is logged in
    When Anna asks for a voting credential without the page's token
    Then the answer is "csrf_failed" with status 403

  Scenario: After closing nobody can vote any more
    Given Anna is logged in
    And Ben is logged in
    And Ben has fetched his credential
    When the election commission closes the vote
    And Anna opens the vote page
    Then the page says "Die Abstimmung ist beendet"
    And the page shows no ballot
    When Anna asks for a voting credential
    Then the answer is "closed" with status 403
    When Ben casts his ballot "no"
    Then the answer is "closed" with status 403

  Scenario: Only one credential per member
    Given Anna is logged in
    And Anna has fetched her credential
    When Anna asks for a voting credential
    Then the answer is "already_issued" with status 409
    When Anna opens the vote page
    Then the page says "Du hast deine Stimmberechtigung für diese Abstimmung schon abgeholt"
    And the page shows the ballot with the question "Soll die Satzung geändert werden?"

  Scenario: The same ballot sent twice counts once
    Given Anna is logged in
    When Anna votes "yes" in her browser
    And the same ballot is sent again
    Then the answer is "already_voted" with status 409
    And the bulletin board holds 1 ballot

  Scenario: An altered ballot is rejected
    Given Anna is logged in
    And Anna has fetched her credential
    When someone alters Anna's ballot "yes" on the way and sends it
    Then the answer is "rejected" with status 422
    And the bulletin board holds 0 ballots

  Scenario: Something that is not a ballot is refused
    When someone sends "not a ballot" as a ballot
    Then the answer is "malformed" with status 400
    When someone sends a ballot of 100000 bytes
    Then the answer is "too_large" with status 413

  Scenario: A ballot needs no login, and a login sent along does no harm
    Given Anna is logged in
    And Ben is logged in
    And Anna has fetched her credential
    And Ben has fetched his credential
    When Anna's browser sends her ballot "yes" together with her session cookie
    Then the ballot is on the bulletin board
    When Ben's ballot "no" is sent from a connection without any cookie
    Then the ballot is on the bulletin board
    And the bulletin board holds 2 ballots
