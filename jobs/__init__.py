"""Scheduled jobs (collect, daily report, housekeeping) as plain functions over ``monitor``,
usable from cron one-shots and from the APScheduler daemon alike."""
