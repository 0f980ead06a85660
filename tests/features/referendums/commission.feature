Feature: The election commission holds the key ceremony and decrypts the result in the browser
  The trustees' secrets are made and kept in their own browsers; the server only
  passes on public keys, commitments, sealed shares and proven partial decryptions.
  (In these scenarios Python crypto stands in for the trustees' browsers.)

  Background:
    Given a member referendum of the Landesverband with the trustees Karla, Kai and Kim, 2 of whom must decrypt

  Scenario: The trustees hold the key ceremony on the commission page
    When Karla, Kai and Kim each create a sealing key in the browser and register it
    And Karla, Kai and Kim each deal their shares
    And Karla, Kai and Kim each check the shares they received
    Then the election key is ready
    And Karla's commission page says "Die Schlüsselzeremonie ist abgeschlossen."

  Scenario: A dealing with a wrong proof is refused and changes nothing
    Given Karla, Kai and Kim have registered their sealing keys
    When Karla sends a dealing whose proof does not verify
    Then the answer is the error "ceremony_failed" with status 409
    And Karla has not dealt

  Scenario: Only the election's trustees and commission see the commission page
    Given Anna is a member with an account
    When Anna opens the commission page
    Then the request is refused with status 403

  Scenario: Requests that are not a trustee's, or malformed, are refused and change nothing
    Given Anna is a member with an account
    When Anna sends a sealing key to the trustees' interface
    Then the answer is the error "not_trustee" with status 403
    When Karla sends a sealing key that is not 32 bytes long
    Then the answer is the error "malformed" with status 400
    When a visitor who is not logged in asks for the ceremony state
    Then the answer is the error "login_required" with status 401
    And no trustee has registered a sealing key

  Scenario: A trustee cannot decrypt before the election has closed
    Given the key ceremony is done and the election is open
    When Karla asks for her decryption task
    Then the answer is the error "not_closed" with status 409
    And the answer's message says "erst möglich, wenn die Abstimmung geschlossen ist"
    And Karla's commission page says "Entschlüsseln ist erst möglich, wenn die Abstimmung geschlossen ist."

  Scenario: Two of three trustees decrypt and the commission counts the result
    Given the key ceremony is done and the election is open
    And Anna and Ben have voted "yes" and Cem has voted "no"
    When the election closes at the end of its window
    And Karla enters the postal votes: 1 envelope, 1 "yes"
    And Kai confirms the postal votes: 1 envelope, 1 "yes"
    And Karla and Kim each decrypt their part in the browser
    And Kim counts the result on the commission page
    Then the election is tallied with 3 "yes" and 1 "no"

  Scenario: The tally waits for enough partial decryptions
    Given the key ceremony is done and the election is open
    When the election closes at the end of its window
    And Karla enters the postal votes: 0 envelopes, 0 "yes"
    And Kai confirms the postal votes: 0 envelopes, 0 "yes"
    And Karla decrypts her part in the browser
    And Kim counts the result on the commission page
    Then Kim's commission page says "Die Auszählung braucht Teilentschlüsselungen von mindestens 2 Treuhändern."
    And the election is still closed
