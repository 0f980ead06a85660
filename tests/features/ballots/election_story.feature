Feature: A member vote from the voter roll to a verified result
  The Landesverband asks its members a binding question online. Staff set the vote up,
  the election commission holds the keys, members vote secretly, and anyone can check
  the published record. Nobody, the server included, can read a single ballot.

  Background:
    Given the Landesverband "LV1" with the members Anna, Ben, Cem and Dora
    And Paul, a member of the Landesverband, votes by post
    And Sabine is staff of the Landesverband
    And Karla, Kai and Kim are on the election commission

  Scenario: One member vote, from the roll to the verified result
    When Sabine sets up the member vote "Satzungsänderung" with Karla, Kai and Kim as trustees, any 2 of whom can decrypt
    And the trustees hold their key ceremony, each keeping a key file
    And Sabine freezes the voter roll at the cut-off
    Then the roll counts 5 eligible members, 1 of them voting by post
    When the vote opens
    And Anna votes "yes"
    And Ben votes "no"
    And Cem votes "yes"
    Then Anna, Ben and Cem each find their ballot on the board with their receipt
    When the vote closes
    And Karla enters the postal votes: 1 envelope, 1 "yes"
    And Kai confirms the postal votes
    And Karla and Kai decrypt the tally with their key files
    And the commission counts the result
    Then the result is 3 "yes", 1 "no" and 0 "abstain"
    And the turnout is 80.00 % and the result is binding
    And anyone who checks the published election record finds it correct

  Scenario: A postal voter gets no online credential
    Given the member vote "Satzungsänderung" is open
    When Paul asks for an online credential
    Then he is told that he votes by post and gets no credential

  Scenario: A member gets only one credential
    Given the member vote "Satzungsänderung" is open
    And Anna has her credential
    When Anna asks for a second credential
    Then she is told that she already has her credential

  Scenario: Only the first ballot of a credential counts
    Given the member vote "Satzungsänderung" is open
    And Anna has voted "yes"
    When Anna casts a second ballot "no" with the same credential
    Then the ballot is refused because the credential has already voted
    And the board holds 1 ballot

  Scenario: A ballot with an altered ciphertext is refused
    Given the member vote "Satzungsänderung" is open
    When somebody alters a ciphertext in Ben's ballot before it reaches the board
    Then the ballot is refused
    And the board holds 0 ballots

  Scenario: Casting after the close is refused
    Given the member vote "Satzungsänderung" is open
    And Dora has her credential
    And the vote has closed
    When Dora casts her ballot "yes"
    Then the ballot is refused because the vote is not open

  Scenario: A trustee cannot decrypt before the vote closes
    Given the member vote "Satzungsänderung" is open
    And Anna has voted "yes"
    When Karla tries to decrypt the tally
    Then she is told that this is not possible while the vote is open
