Feature: Search within a discussion and across the debates of a unit
  German full-text search on PostgreSQL, word search on SQLite.

  Background:
    Given the demo organisation
    And Sabine Schmidt is a member of "Ortsverein Ahorn"
    And Sabine is staff of "Landesverband Eins"
    And Anna Arndt is a member of "Ortsverein Ahorn"
    And Ben Berg is a member of "Ortsverein Dorf"
    And the debate "Verkehr" of "Landesverband Eins" for members and guests
    And the debate "Schule" of "Landesverband Eins" for members and guests
    And the debate "Interna" of "Landesverband Eins" for members of the unit only
    And Anna is logged in
    And Anna has posted "Wir brauchen einen Radweg am Markt." in "Verkehr"
    And Anna has posted "Der Radweg zur Schule fehlt." in "Schule"
    And Anna has posted "Der Radweg im Vorstand" in "Interna"
    And Anna has posted "Mehr Busse bitte." in "Verkehr"

  Scenario: Search within one discussion
    When a visitor searches "radweg" in "Verkehr"
    Then the page says "1 Beitrag gefunden"
    And the page says "Wir brauchen einen Radweg am Markt."
    And the page does not say "Der Radweg zur Schule fehlt."

  Scenario: Search across the debates of a unit, only where the reader may read
    Given Ben is logged in
    When Ben searches "Radweg" in the debates of "Landesverband Eins"
    Then the page says "2 Beiträge gefunden"
    And the page says "Der Radweg zur Schule fehlt."
    And the page does not say "Der Radweg im Vorstand"
    When Anna searches "Radweg" in the debates of "Landesverband Eins"
    Then the page says "3 Beiträge gefunden"
