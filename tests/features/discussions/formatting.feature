Feature: A small Markdown subset that cannot hurt
  Paragraphs, emphasis, lists, quotes and links; links are marked nofollow ugc; no
  images, no HTML, no control characters.

  Background:
    Given the demo organisation
    And Sabine Schmidt is a member of "Ortsverein Ahorn"
    And Sabine is staff of "Landesverband Eins"
    And Anna Arndt is a member of "Ortsverein Ahorn"
    And the debate "Formate" of "Landesverband Eins" for members and guests
    And Anna is logged in

  Scenario: Emphasis, lists and links are formatted, images are not shown
    When Anna posts "Das ist *wichtig*.\n\n- eins\n- zwei\n\n[Mehr dazu](https://example.org/info) ![Bild](https://example.org/b.png) [böse](javascript:alert(1))" in "Formate"
    And a visitor opens the debate "Formate"
    Then the page shows "wichtig" as emphasis
    And the link is marked nofollow ugc and there is no image

  Scenario: HTML and script are refused
    When Anna posts "<script>alert(1)</script> Hallo" in "Formate"
    Then the request is refused with status 400
    And the page says "HTML ist in Beiträgen nicht erlaubt."
    And the page does not contain the markup "<script>alert(1)"
    And "Formate" has 0 posts

  Scenario: Bidirectional control characters are refused
    When Anna posts "Harmlos ‮txt.exe" in "Formate"
    Then the request is refused with status 400
    And the page says "Die Eingabe enthält Steuerzeichen oder unsichtbare Formatierungszeichen."
    And "Formate" has 0 posts
