Feature: Members start an initiative, staff check that it is admissible
  Background:
    Given the demo organisation
    And these members:
      | name          | unit                |
      | Anna Albers   | Ortsverein Ahorn    |
      | Ben Berg      | Ortsverein Birke    |
      | Carla Chaussee | Ortsverein Chaussee |
      | Sven Stab     | Unterbezirk Eins    |
    And Sven is staff of "Unterbezirk Eins"
    And the rules of "Unterbezirk Eins" ask for 2 initiators

  Scenario: Two initiators start it, staff admit it, signing opens and the unit's members hear of it
    Given Anna is logged in
    And Ben is logged in
    And Sven is logged in
    When Anna starts the initiative "Mehr Mitbestimmung" in "Unterbezirk Eins" with Ben as co-initiator
    And Ben confirms that he is an initiator of "Mehr Mitbestimmung"
    And Anna submits "Mehr Mitbestimmung" for the check
    And Sven admits "Mehr Mitbestimmung"
    Then "Mehr Mitbestimmung" is open for signing with a threshold computed from the members of "Unterbezirk Eins"
    And Ben receives an e-mail with the subject "Neues Mitgliederbegehren: Mehr Mitbestimmung"
    And Carla receives no e-mail

  Scenario: Fewer confirmed initiators than the rules ask for are refused
    Given Anna is logged in
    When Anna starts the initiative "Mehr Mitbestimmung" in "Unterbezirk Eins" with Ben as co-initiator
    And Anna submits "Mehr Mitbestimmung" for the check
    Then the request is refused with status 409
    And the page says "Ein Mitgliederbegehren braucht mindestens 2 Initiator:innen, die bestätigt haben; es sind 1."
    And "Mehr Mitbestimmung" is still collecting initiators

  Scenario: A member of another unit cannot be a co-initiator
    Given Anna is logged in
    When Anna starts the initiative "Mehr Mitbestimmung" in "Unterbezirk Eins" with Carla as co-initiator
    Then the request is refused with status 400
    And the page says "Eine Mitgliedsnummer der Mitinitiator:innen gehört nicht zu einem Mitglied dieser Gliederung."
    And there is no initiative "Mehr Mitbestimmung"

  Scenario: Staff find it not admissible and say why
    Given Anna is logged in
    And Ben is logged in
    And Sven is logged in
    When Anna starts the initiative "Mehr Mitbestimmung" in "Unterbezirk Eins" with Ben as co-initiator
    And Ben confirms that he is an initiator of "Mehr Mitbestimmung"
    And Anna submits "Mehr Mitbestimmung" for the check
    And Sven refuses "Mehr Mitbestimmung" because "Der Antrag verstößt gegen die Satzung."
    And Anna opens the initiative "Mehr Mitbestimmung"
    Then the page says "Unzulässig"
    And the page says "Der Antrag verstößt gegen die Satzung."
