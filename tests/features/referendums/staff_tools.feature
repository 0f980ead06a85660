Feature: Staff see the voter roll per Ortsverein and send the postal documents
  The staff of the Landesverband see how many members of each Ortsverein are on the
  voter roll and vote by post, see participation where an Ortsverein has at least 10
  online voters (in a smaller one it would come close to naming who has not voted),
  and download the postal voters' addresses (CSV) and cover letters (PDF) to send the
  documents. Every download is in the audit log; nobody else gets the addresses.

  Background:
    Given the demo organisation
    And Sabine Schmidt is a member of "Ortsverein Dorf"
    And Sabine is staff of "Landesverband Eins"
    And Karla Kern is a member of "Ortsverein Dorf"
    And Karla is on the election commission of "Landesverband Eins"
    And Kai Kurz is a member of "Ortsverein Dorf"
    And Kai is on the election commission of "Landesverband Eins"
    And these members:
      | name          | unit             |
      | Anna Arndt    | Ortsverein Ahorn |
      | Ben Berg      | Ortsverein Birke |
      | Ada Ahorn     | Ortsverein Ahorn |
      | Alf Ahorn     | Ortsverein Ahorn |
      | Alma Ahorn    | Ortsverein Ahorn |
      | Arne Ahorn    | Ortsverein Ahorn |
      | Aron Ahorn    | Ortsverein Ahorn |
      | Asta Ahorn    | Ortsverein Ahorn |
      | Axel Ahorn    | Ortsverein Ahorn |
      | Ayla Ahorn    | Ortsverein Ahorn |
      | Azra Ahorn    | Ortsverein Ahorn |
    And Paul Post is a member of "Ortsverein Ahorn"
    And Paul votes by post

  Scenario: Staff see the roll and the participation per Ortsverein
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is open and Anna has voted "Ja"
    And Sabine is logged in
    When Sabine opens the management page of "Neue Satzung"
    Then the page links the voter roll by Ortsverein
    When Sabine opens the voter roll by Ortsverein of "Neue Satzung"
    Then the page says "Ortsverein Ahorn Im Stimmverzeichnis: 11 Davon Briefwahl: 1 Beteiligung online: 1 von 10 (10,0 %)"
    And the page says "Ortsverein Birke Im Stimmverzeichnis: 1 Davon Briefwahl: 0 Beteiligung online: nicht gezeigt (weniger als 10 online)"
    And the page says "1 Mitglied stimmt per Briefwahl ab."
    And the page says "Bei 1 Briefwähler*in fehlt die vollständige Adresse im Mitgliederverzeichnis: Paul Post"

  Scenario: Staff download the postal voters' addresses and letters, and it is recorded
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is open and Anna has voted "Ja"
    And Paul lives at "Lindenweg 3", "12345 Musterstadt"
    And Sabine is logged in
    When Sabine downloads the postal voters' addresses of "Neue Satzung"
    Then the download is a CSV file with the line "Post;Lindenweg 3;12345;Musterstadt;Ortsverein Ahorn"
    And the CSV file has no line for Anna
    And the audit log records "referendum:postal_voters_exported"
    When Sabine downloads the postal letters of "Neue Satzung"
    Then the download is a PDF that says "Paul Post"
    And the PDF says "Dein Brief muss bis"

  Scenario: Nobody but the staff gets the addresses, and none before the roll is fixed
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is open and Anna has voted "Ja"
    And Anna is logged in
    When Anna downloads the postal voters' addresses of "Neue Satzung"
    Then the request is refused with status 403
    When Anna opens the voter roll by Ortsverein of "Neue Satzung"
    Then the request is refused with status 403

  Scenario: Before the roll is fixed there are no addresses to download
    Given the member referendum "Neue Satzung" of "Landesverband Eins" has been prepared
    And Sabine is logged in
    When Sabine downloads the postal voters' addresses of "Neue Satzung"
    Then the request is refused with status 404
    When Sabine opens the voter roll by Ortsverein of "Neue Satzung"
    Then the page says "Das Stimmverzeichnis ist noch nicht festgelegt."

  Scenario: Staff send the reminder now, once they confirm it
    Given the member referendum "Neue Satzung" of "Landesverband Eins" is open and Anna has voted "Ja"
    And Sabine is logged in
    When Sabine sends the reminder for "Neue Satzung" without confirming it
    Then the request is refused with status 400
    And the page says "Setze das Häkchen, um zu bestätigen, dass die Erinnerung jetzt hinausgeht."
    And Ben receives no e-mail
    When Sabine sends the reminder for "Neue Satzung" and confirms it
    Then the page says "Erinnerungen wurden verschickt."
    And Ben receives an e-mail with the subject "Erinnerung: Die Abstimmung endet bald: Neue Satzung"
    And Anna receives no e-mail
    And the audit log records "referendum:reminder_requested"
    When Sabine sends the reminder for "Neue Satzung" and confirms it
    Then the page says "0 Erinnerungen wurden verschickt."
