Feature: Opening, invitations, one reminder before closing, and automatic closing
  A scheduled task runs every minute; it opens the ballot box when the window starts,
  invites the online voters, reminds those who have not voted 48 hours before the end,
  and closes the ballot box when the window ends.

  Background:
    Given a member referendum of the Landesverband whose key ceremony is done
    And the members Anna, Ben, Cem and Dora have accounts, and Paul votes by post

  Scenario: The scheduler freezes the roll, opens the election and invites the online voters once
    When the scheduler runs when the window has started
    And the scheduler runs again a minute later
    Then the election is open
    And Anna, Ben, Cem and Dora each receive exactly one e-mail "Abstimmung geöffnet: Mitgliederentscheid zur Satzung"
    And Anna's invitation shows the fingerprint of the vote
    And Paul receives no e-mail

  Scenario: Two scheduler runs at the same moment send every mail once
    Given the scheduler has opened the election
    When two scheduler runs start at the same moment 47 hours before the end of the window
    Then Cem and Dora each receive exactly one e-mail "Erinnerung: Die Abstimmung endet bald: Mitgliederentscheid zur Satzung"

  Scenario: One reminder 48 hours before closing, not to voters who took part or opted out
    Given the scheduler has opened the election
    And Anna has obtained her voting credential
    And Ben has switched off reminders on his own data page
    When the scheduler runs 47 hours before the end of the window
    And the scheduler runs again a minute later
    Then Cem and Dora each receive exactly one e-mail "Erinnerung: Die Abstimmung endet bald: Mitgliederentscheid zur Satzung"
    And Anna and Ben receive no e-mail "Erinnerung: Die Abstimmung endet bald: Mitgliederentscheid zur Satzung"

  Scenario: No reminder before the last 48 hours
    Given the scheduler has opened the election
    When the scheduler runs 49 hours before the end of the window
    Then Cem and Dora receive no e-mail "Erinnerung: Die Abstimmung endet bald: Mitgliederentscheid zur Satzung"

  Scenario: The link in the reminder switches reminders off
    Given the scheduler has opened the election
    When the scheduler runs 47 hours before the end of the window
    And Cem follows the opt-out link in the reminder and confirms
    Then Cem's reminders are switched off

  Scenario: Reminders go out in the member's language
    Given Dora reads Stimmwerk in English
    And the scheduler has opened the election
    When the scheduler runs 47 hours before the end of the window
    Then Dora receives exactly one e-mail "Reminder: voting closes soon: Mitgliederentscheid zur Satzung"
    And Cem receives exactly one e-mail "Erinnerung: Die Abstimmung endet bald: Mitgliederentscheid zur Satzung"

  Scenario: The scheduler closes the election at the end of the window
    Given the scheduler has opened the election
    When the scheduler runs when the window has ended
    Then the election is closed

  Scenario: The beat task runs through Celery in the app process
    When the Celery task "stimmwerk.referendums.tick" runs when the window has started
    Then the election is open
    And Anna receives exactly one e-mail "Abstimmung geöffnet: Mitgliederentscheid zur Satzung"
