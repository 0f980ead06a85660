Feature: Links keep their target
  A link from an invitation or reminder, or any page opened while logged out, leads
  to the login and then to that very page, not to the dashboard. Only pages of this
  site are accepted as a target. When a session has ended, the page says so ("Du
  wurdest abgemeldet") instead of calling the form expired.

  Background:
    Given the demo organisation
    And Anna Ahorn is a member of "Ortsverein Ahorn"

  Scenario: A page opened while logged out is shown after the login
    When Anna opens "/units/OV-A" while logged out
    Then she is asked to log in
    When Anna logs in on that page
    Then Anna lands on "/units/OV-A"

  Scenario Outline: A target on another site is ignored
    When Anna logs in with the target "<target>"
    Then Anna lands on "/dashboard"

    Examples:
      | target                  |
      | //evil.example          |
      | https://evil.example/x  |
      | /\evil.example          |

  Scenario: An ended session says so and keeps the page
    Given Anna is logged in
    And Anna's session has ended while she was away
    When Anna sends the reminder form on her own data page
    Then she is asked to log in
    And the page says "Du wurdest abgemeldet. Bitte melde dich wieder an, um weiterzumachen."
    And the page does not say "Das Formular ist abgelaufen"
    When Anna logs in on that page
    Then Anna lands on "/me"
