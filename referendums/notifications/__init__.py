"""Scheduled work of a Mitgliederentscheid: open, invite, remind once, close.

`referendums.notifications.tasks` holds the Celery beat task (bound to
``app.core.celery.celery_app``; ``app.core.celery`` names the module by string so that
``app.core`` never imports ``referendums``). `referendums.notifications.models` holds
the sent-markers that make every mail go out at most once per election and member.
"""
