"""One discussion component for every module: debates of a unit, referendum comments, and
later surveys, motions and initiatives (issue 11). Modules above ``app`` use
``app.discussions.services``; the component never imports them.
"""
