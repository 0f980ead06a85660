Feature: Voting on another device with the recovery code
  The browser fetches the member's voting credential as soon as the vote page opens and
  shows a short recovery code (Wiederherstellungscode). A member who later opens the vote
  on another device, in a private window or after clearing the browser data can enter
  the code there and vote, exactly once. The server only sees the same request again and
  learns nothing about which ballot is the member's.

  Background:
    Given the demo organisation
    And these members:
      | name        | unit             |
      | Anna Albers | Ortsverein Ahorn |
    And the member vote of "Landesverband Eins" is open

  Scenario: A member votes on a second device with the recovery code
    Given Anna is logged in
    And Anna has fetched her credential with the recovery code "ABCD-EFGH-IJKL-MNOP-QRST-UVWX"
    When Anna opens the vote page on her phone
    Then the page offers to enter the recovery code
    When Anna enters the recovery code "abcd efgh ijkl mnop qrst uvwx" on her phone
    Then Anna's phone holds the same credential as her first browser
    When Anna votes "yes" on her phone
    Then Anna gets a receipt that checks against the signed checkpoint
    When Anna's first browser casts a ballot "no" with the credential
    Then the answer is "already_voted" with status 409
    And the bulletin board holds 1 ballot

  Scenario: A wrong recovery code changes nothing
    Given Anna is logged in
    And Anna has fetched her credential with the recovery code "ABCD-EFGH-IJKL-MNOP-QRST-UVWX"
    When Anna enters the recovery code "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA" on her phone
    Then the answer is "already_issued" with status 409
    And Anna's roll entry shows one credential issued, on today's date only

  Scenario: The vote page cannot send a choice without the browser's encryption
    Given Anna is logged in
    When Anna opens the vote page
    Then the page shows the ballot with the question "Soll die Satzung geändert werden?"
    And the page says "Online abstimmen geht nur mit JavaScript"
