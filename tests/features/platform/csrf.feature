Feature: Forms are protected against cross-site requests
  Every form carries a token that another site cannot know. A form sent without it,
  or with a wrong one, is refused with a clear message and changes nothing. Pages
  that update parts of themselves (htmx) send the token in a request header instead.

  Background:
    Given the demo organisation
    And Anna Ahorn is a member of "Ortsverein Ahorn"
    And Anna has the phone number "+49 30 1111111"

  Scenario Outline: A form without a valid token is refused and changes nothing
    Given Anna is logged in
    When a form sends the phone number "+49 30 9999999" for Anna <token>
    Then the request is refused with status 403
    And the page says "Das Formular ist abgelaufen oder wurde von anderswo gesendet. Bitte lade die Seite neu und versuche es noch einmal."
    And Anna's phone number is still "+49 30 1111111"

    Examples:
      | token                                 |
      | without a token                       |
      | with a made-up token                  |
      | with the token of a different browser |

  Scenario: A registration sent from another site creates no account
    When another site sends a guest registration for "gustav@example.org" without a token
    Then the request is refused with status 403
    And the page says "Das Formular ist abgelaufen oder wurde von anderswo gesendet."
    And there is no account for "gustav@example.org"

  Scenario: An htmx request with the token in its header is accepted
    Given Anna is logged in
    When Anna's page sends the phone number "+49 30 2222222" with htmx, the token in the "x-csrftoken" header
    Then the change is accepted
    And Anna's phone number is now "+49 30 2222222"
