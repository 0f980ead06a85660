Feature: From a members' initiative to a binding member referendum
  Scenario: Signatures online and on paper, the board does not adopt, the members decide, the result binds
    Given the demo organisation
    And these members:
      | name          | unit             |
      | Anna Albers   | Ortsverein Ahorn |
      | Ben Berg      | Ortsverein Birke |
      | Sven Stab     | Unterbezirk Eins |
    And Sven is staff of "Unterbezirk Eins"
    And the rules of "Unterbezirk Eins" ask for 1 initiator and 50 % of the members
    And three members of the election commission of "Unterbezirk Eins"
    And the initiative "Mehr Mitbestimmung" of "Unterbezirk Eins" is open for signing
    And Anna is logged in
    And Sven is logged in
    When Anna signs "Mehr Mitbestimmung"
    And Sven enters the paper list "Ben" for "Mehr Mitbestimmung"
    Then "Mehr Mitbestimmung" counts 2 signatures
    When the signing deadline of "Mehr Mitbestimmung" passes and the schedule runs
    Then "Mehr Mitbestimmung" has succeeded with 2 of 2 signatures, recorded in the audit log
    When the board's response period of "Mehr Mitbestimmung" ends without adoption and the schedule runs
    Then a member referendum on "Mehr Mitbestimmung" is due
    When Sven prepares the member referendum on "Mehr Mitbestimmung" with the commission
    Then the member referendum asks the initiative's question with a turnout quorum of 20 %
    When Anna and Ben vote yes and the votes are counted
    Then the result page of the member referendum says it binds until 24 months after the vote
