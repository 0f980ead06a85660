Feature: Safe login sessions
  The login session lives on the server. Its id changes at login, dies at logout and
  after a time without activity or a maximum lifetime, and travels only in a cookie
  that scripts cannot read and other sites cannot send along. Every response carries
  the browser security headers.

  Background:
    Given the demo organisation
    And Anna Ahorn is a member of "Ortsverein Ahorn"

  Scenario: A session id planted before the login is not adopted
    Given an attacker has planted the session cookie "id-des-angreifers" in Anna's browser
    When Anna logs in with the right password
    Then Anna sees the dashboard
    And Anna's browser holds a new session id, not "id-des-angreifers"
    And the planted session id "id-des-angreifers" opens no session

  Scenario: Logging out deletes the session on the server
    Given Anna is logged in
    When Anna logs out
    Then the server holds no session for Anna
    And the old session cookie of Anna no longer opens the dashboard

  Scenario: The session cookie is guarded
    When Anna logs in with the right password
    Then the session cookie is named "__Host-stimmwerk" and set with "Secure", "HttpOnly", "SameSite=lax" and "Path=/"
    And the session cookie names no domain

  Scenario Outline: A session ends after inactivity or when it is too old
    Given Anna is logged in
    And Anna's session <history>
    When Anna opens the dashboard
    Then <outcome>

    Examples:
      | history                                                       | outcome                                     |
      | was last used 29 minutes ago                                  | the page opens                              |
      | was last used 31 minutes ago                                  | Anna is sent to the login page for good     |
      | was started 11 hours ago and used a minute ago                | the page opens                              |
      | was started 13 hours ago, although it was used a minute ago   | Anna is sent to the login page for good     |

  Scenario Outline: Every kind of response carries the security headers
    When a visitor opens "<path>"
    Then the answer has status <status>
    And the response carries these security headers:
      | header                    | contains                |
      | content-security-policy   | frame-ancestors 'none'  |
      | strict-transport-security | max-age=31536000        |
      | x-content-type-options    | nosniff                 |
      | referrer-policy           | no-referrer             |

    Examples:
      | kind        | path                   | status |
      | page        | /                      | 200    |
      | error page  | /gibt-es-nicht         | 404    |
      | static file | /static/css/site.css   | 200    |
